%%% serialize/deserialize: snapshots of linear memory and their restore.
-module(hb_beamr_06_snapshot_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

round_trip_test() ->
    %% State built in one instance continues in a fresh one.
    A = start("erl_io"),
    {ok, Size0} = hb_beamr_io:size(A),
    [{ok, [N]} = hb_beamr:call(A, "bump", []) || N <- [1, 2, 3]],
    %% A block big enough to grow the memory.
    {ok, [Block]} = hb_beamr:call(A, "fill_new", [300000, 7]),
    {ok, Name} = hb_beamr_io:write_string(A, <<"snapshot">>),
    {ok, Snapshot} = hb_beamr:serialize(A),
    {ok, SizeA} = hb_beamr_io:size(A),
    ?assert(SizeA > Size0),
    ?assertEqual(SizeA, byte_size(Snapshot)),
    ok = hb_beamr:stop(A),

    B = start("erl_io"),
    ?assertEqual({ok, Size0}, hb_beamr_io:size(B)),
    ?assertEqual({ok, [0]}, hb_beamr:call(B, "get_counter", [])),
    ?assertEqual(ok, hb_beamr:deserialize(B, Snapshot)),
    ?assertEqual({ok, SizeA}, hb_beamr_io:size(B)),
    ?assertEqual({ok, Snapshot}, hb_beamr:serialize(B)),
    %% Calls see the restored state, and go on from it.
    ?assertEqual({ok, [3]}, hb_beamr:call(B, "get_counter", [])),
    ?assertEqual({ok, [4]}, hb_beamr:call(B, "bump", [])),
    ?assertEqual({ok, <<"snapshot">>}, hb_beamr_io:read_string(B, Name)),
    ?assertEqual({ok, [300000 * 7]}, hb_beamr:call(B, "sum_bytes", [Block, 300000])),
    %% The restored heap keeps working.
    {ok, [Greeting]} = hb_beamr:call(B, "greet", [Name]),
    ?assertEqual({ok, <<"Hello, snapshot!">>}, hb_beamr_io:read_string(B, Greeting)),
    ok = hb_beamr:stop(B).

restore_older_snapshot_test() ->
    %% Going back to an earlier, smaller snapshot zeroes what came after it.
    WASM = start("erl_io"),
    {ok, Early} = hb_beamr:serialize(WASM),
    {ok, [Block]} = hb_beamr:call(WASM, "fill_new", [300000, 9]),
    {ok, [1]} = hb_beamr:call(WASM, "bump", []),
    ?assertEqual(ok, hb_beamr:deserialize(WASM, Early)),
    ?assertEqual({ok, [0]}, hb_beamr:call(WASM, "get_counter", [])),
    {ok, Size} = hb_beamr_io:size(WASM),
    ?assert(Size > byte_size(Early)),
    ?assertEqual({ok, [0]}, hb_beamr:call(WASM, "sum_bytes", [Block, 300000])),
    ok = hb_beamr:stop(WASM).

memory64_snapshot_test_() ->
    hb_beamr_test_util:requires(memory64, fun() ->
        A = start("fac64"),
        {ok, []} = hb_beamr:call(A, "store_byte", [1234, 77]),
        {ok, Snap} = hb_beamr:serialize(A),
        ok = hb_beamr:stop(A),
        B = start("fac64"),
        ok = hb_beamr:deserialize(B, Snap),
        ?assertEqual({ok, [77]}, hb_beamr:call(B, "load_byte", [1234])),
        ok = hb_beamr:stop(B)
    end).

snapshot_errors_test() ->
    NoMemory = start("fac"),
    ?assertEqual({error, no_memory}, hb_beamr:serialize(NoMemory)),
    ?assertEqual({error, no_memory}, hb_beamr:deserialize(NoMemory, <<1, 2, 3>>)),
    ok = hb_beamr:stop(NoMemory),
    %% At most two pages: a three-page snapshot cannot fit.
    Bounded = start("mem_bounded"),
    ?assertMatch({error, _}, hb_beamr:deserialize(Bounded, <<0:(3 * 65536 * 8)>>)),
    ?assertEqual({error, badarg}, hb_beamr:deserialize(Bounded, not_binary)),
    ?assertEqual(ok, hb_beamr:deserialize(Bounded, <<1, 2, 3>>)),
    ?assertEqual({ok, <<1, 2, 3, 0>>}, hb_beamr_io:read(Bounded, 0, 4)),
    ok = hb_beamr:stop(Bounded).
