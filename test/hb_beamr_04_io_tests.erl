%%% Linear memory access: size, read, write, strings, malloc and free.
-module(hb_beamr_04_io_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

size_test() ->
    WASM = start("mem_bounded"),
    ?assertEqual({ok, 65536}, hb_beamr_io:size(WASM)),
    ok = hb_beamr:stop(WASM).

read_write_test() ->
    WASM = start("mem_bounded"),
    ?assertEqual({ok, <<0, 0, 0, 0>>}, hb_beamr_io:read(WASM, 0, 4)),
    ?assertEqual(ok, hb_beamr_io:write(WASM, 10, <<"hello">>)),
    ?assertEqual({ok, <<"hello">>}, hb_beamr_io:read(WASM, 10, 5)),
    %% WebAssembly sees the host's bytes and the host sees WebAssembly's.
    ?assertEqual({ok, [$h]}, hb_beamr:call(WASM, "load8", [10])),
    {ok, []} = hb_beamr:call(WASM, "store8", [20, 200]),
    ?assertEqual({ok, <<200>>}, hb_beamr_io:read(WASM, 20, 1)),
    %% Empty reads and writes, right at the end too.
    ?assertEqual({ok, <<>>}, hb_beamr_io:read(WASM, 0, 0)),
    ?assertEqual({ok, <<>>}, hb_beamr_io:read(WASM, 65536, 0)),
    ?assertEqual(ok, hb_beamr_io:write(WASM, 65536, <<>>)),
    ?assertEqual(ok, hb_beamr_io:write(WASM, 65535, <<1>>)),
    ?assertEqual({ok, <<1>>}, hb_beamr_io:read(WASM, 65535, 1)),
    ok = hb_beamr:stop(WASM).

out_of_bounds_test() ->
    WASM = start("mem_bounded"),
    ok = hb_beamr_io:write(WASM, 65530, <<"abcdef">>),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, 65530, 7)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, 65537, 0)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, 16#FFFFFFFFFFFFFFFF, 2)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, 1, 16#FFFFFFFFFFFFFFFF)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:write(WASM, 65530, <<"XYZXYZX">>)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:write(WASM, 16#FFFFFFFFFFFFFFFF, <<"X">>)),
    %% Nothing was touched.
    ?assertEqual({ok, <<"abcdef">>}, hb_beamr_io:read(WASM, 65530, 6)),
    ?assertEqual({error, badarg}, hb_beamr_io:read(WASM, -1, 2)),
    ?assertEqual({error, badarg}, hb_beamr_io:read(WASM, 0, -2)),
    ?assertEqual({error, badarg}, hb_beamr_io:write(WASM, 0, "not a binary")),
    %% Offsets beyond 64 bits never reach the memory.
    ?assertEqual({error, badarg}, hb_beamr_io:read(WASM, 1 bsl 64, 1)),
    ok = hb_beamr:stop(WASM).

memory64_io_test_() ->
    hb_beamr_test_util:requires(memory64, fun() ->
        WASM = start("fac64"),
        ?assertEqual({ok, 65536}, hb_beamr_io:size(WASM)),
        ok = hb_beamr_io:write(WASM, 65000, <<42>>),
        ?assertEqual({ok, [42]}, hb_beamr:call(WASM, "load_byte", [65000])),
        ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, 65536, 1)),
        ok = hb_beamr:stop(WASM)
    end).

no_memory_test() ->
    WASM = start("fac"),
    ?assertEqual({error, no_memory}, hb_beamr_io:size(WASM)),
    ?assertEqual({error, no_memory}, hb_beamr_io:read(WASM, 0, 1)),
    ?assertEqual({error, no_memory}, hb_beamr_io:write(WASM, 0, <<1>>)),
    ok = hb_beamr:stop(WASM).

malloc_free_test() ->
    WASM = start("erl_io"),
    {ok, Ptr} = hb_beamr_io:malloc(WASM, 100),
    ?assert(Ptr > 0),
    ok = hb_beamr_io:write(WASM, Ptr, list_to_binary(lists:seq(1, 100))),
    ?assertEqual({ok, [5050]}, hb_beamr:call(WASM, "sum_bytes", [Ptr, 100])),
    {ok, Ptr2} = hb_beamr_io:malloc(WASM, 100),
    ?assertNotEqual(Ptr, Ptr2),
    ?assertEqual(ok, hb_beamr_io:free(WASM, Ptr2)),
    ?assertEqual(ok, hb_beamr_io:free(WASM, Ptr)),
    ok = hb_beamr:stop(WASM).

strings_test() ->
    WASM = start("erl_io"),
    {ok, Name} = hb_beamr_io:write_string(WASM, <<"world">>),
    ?assertEqual({ok, <<"world">>}, hb_beamr_io:read_string(WASM, Name)),
    ?assertEqual({ok, [5]}, hb_beamr:call(WASM, "str_len", [Name])),
    {ok, [Greeting]} = hb_beamr:call(WASM, "greet", [Name]),
    ?assertEqual({ok, <<"Hello, world!">>}, hb_beamr_io:read_string(WASM, Greeting)),
    ok = hb_beamr_io:free(WASM, Greeting),
    ok = hb_beamr_io:free(WASM, Name),
    %% iodata, the empty string, and one longer than a read chunk.
    {ok, P1} = hb_beamr_io:write_string(WASM, ["ab", $c, <<"d">>]),
    ?assertEqual({ok, <<"abcd">>}, hb_beamr_io:read_string(WASM, P1)),
    {ok, P2} = hb_beamr_io:write_string(WASM, <<>>),
    ?assertEqual({ok, <<>>}, hb_beamr_io:read_string(WASM, P2)),
    Long = binary:copy(<<"0123456789">>, 500),
    {ok, P3} = hb_beamr_io:write_string(WASM, Long),
    ?assertEqual({ok, Long}, hb_beamr_io:read_string(WASM, P3)),
    ?assertEqual({ok, [5000]}, hb_beamr:call(WASM, "str_len", [P3])),
    ?assertEqual({error, badarg}, hb_beamr_io:write_string(WASM, [foo])),
    ok = hb_beamr:stop(WASM).

read_string_errors_test() ->
    WASM = start("mem_bounded"),
    ok = hb_beamr_io:write(WASM, 65533, <<"abc">>),
    ?assertEqual({error, not_terminated}, hb_beamr_io:read_string(WASM, 65533)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read_string(WASM, 65536)),
    ok = hb_beamr:stop(WASM).

no_malloc_test() ->
    WASM = start("mem_bounded"),
    ?assertEqual({error, {missing_export, malloc}}, hb_beamr_io:malloc(WASM, 10)),
    ?assertEqual({error, {missing_export, free}}, hb_beamr_io:free(WASM, 10)),
    ?assertEqual({error, {missing_export, malloc}}, hb_beamr_io:write_string(WASM, <<"x">>)),
    ok = hb_beamr:stop(WASM).

shared_memory_fixture_test() ->
    %% memory.wasm, the fixture the C++ core tests use too.
    WASM = start("memory"),
    {ok, In} = hb_beamr_io:write_string(WASM, <<"hello, wasm">>),
    {ok, [Out]} = hb_beamr:call(WASM, "upper", [In]),
    ?assertEqual({ok, <<"HELLO, WASM">>}, hb_beamr_io:read_string(WASM, Out)),
    ?assertEqual({ok, [11]}, hb_beamr:call(WASM, "str_length", [Out])),
    ok = hb_beamr_io:free(WASM, Out),
    ok = hb_beamr_io:free(WASM, In),
    ok = hb_beamr:stop(WASM).
