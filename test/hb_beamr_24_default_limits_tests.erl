%%% Limits that hold when none is given, and `infinity', which lifts them;
%%% memory64 growth in 4 GiB steps, which must never copy the memory; and
%%% memory commands large enough to leave the scheduler. The cases that could
%%% take gigabytes run in a child VM, so a regression fails the test instead
%%% of the suite.
-module(hb_beamr_24_default_limits_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, start/2, requires/2]).

%% Run inside a child VM.
-export([child_grow_in_4gib_steps/0, child_restore_into_large_memory/0]).

-define(PAGE, 65536).
-define(MiB, (1024 * 1024)).
-define(GiB, (1024 * ?MiB)).
-define(PAGES_4GIB, 65536).

default_memory_limit_test_() ->
    %% With no max_memory, a memory stops at 4 GiB: reaching it is fine,
    %% one page more is refused inside WebAssembly.
    requires(memory64, fun() ->
        WASM = start("grow64"),
        ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "grow", [?PAGES_4GIB - 1])),
        ?assertEqual({ok, [-1]}, hb_beamr:call(WASM, "grow", [1])),
        ?assertEqual({ok, 4 * ?GiB}, hb_beamr_io:size(WASM)),
        ok = hb_beamr:stop(WASM)
    end).

infinity_lifts_the_memory_default_test_() ->
    requires(memory64, fun() ->
        WASM = start("grow64", #{max_memory => infinity}),
        ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "grow", [?PAGES_4GIB])),
        ?assertEqual({ok, 4 * ?GiB + ?PAGE}, hb_beamr_io:size(WASM)),
        %% The far end is real memory.
        ?assertEqual({ok, []}, hb_beamr:call(WASM, "poke", [4 * ?GiB])),
        ?assertEqual({ok, <<1>>}, hb_beamr_io:read(WASM, 4 * ?GiB, 1)),
        ok = hb_beamr:stop(WASM)
    end).

infinity_lifts_the_stack_default_test() ->
    %% 100,000 frames exceed the engines' default stacks (512 KiB and 1 MiB)
    %% and fit the largest one, which `infinity' gives.
    Default = start("limits"),
    ?assertMatch({error, {trap, _}}, hb_beamr:call(Default, "depth", [100000])),
    ok = hb_beamr:stop(Default),
    Deep = start("limits", #{max_stack => infinity}),
    ?assertEqual({ok, [100000]}, hb_beamr:call(Deep, "depth", [100000])),
    ok = hb_beamr:stop(Deep).

infinity_lifts_the_table_default_test_() ->
    %% Wasmtime's tables stop at 10,000,000 elements unless lifted.
    requires(table_limits, fun() ->
        Default = start("limits"),
        ?assertEqual({ok, [-1]}, hb_beamr:call(Default, "table_grow", [10000000])),
        ok = hb_beamr:stop(Default),
        Free = start("limits", #{max_table_elements => infinity}),
        ?assertEqual({ok, [1]}, hb_beamr:call(Free, "table_grow", [10000000])),
        ok = hb_beamr:stop(Free)
    end).

bad_limit_values_test_() ->
    Fac = fixture("fac"),
    Bad = fun(Opts) -> hb_beamr:start(Fac, wasm, Opts) end,
    [?_assertEqual({error, {badopt, max_memory}}, Bad(#{max_memory => unlimited})),
     ?_assertEqual({error, {badopt, max_table_elements}},
                   Bad(#{max_table_elements => 0})),
     ?_assertEqual({error, {badopt, max_stack}}, Bad(#{max_stack => 0})),
     ?_assertEqual({error, {badopt, max_stack}}, Bad(#{max_stack => neg_infinity}))].

grow_in_4gib_steps_stays_small_test_() ->
    %% The issue's case: memory64 grown by 4 GiB at a time, nothing touched.
    %% Wasmtime used to copy the memory to a new mapping once it outgrew its
    %% reservation, making gigabytes resident (4 GiB at the second grow);
    %% now the reservation covers max_memory, growth happens in place, and
    %% the grow past it fails.
    requires(memory64, {timeout, 300, fun() ->
        Result = hb_beamr_test_util:run_isolated(?MODULE, child_grow_in_4gib_steps),
        ?assertMatch({ok, _}, Result),
        {ok, Grown} = Result,
        io:format(user, "~nmemory64 grown to 8 GiB in 4 GiB steps: ~b MiB more "
                  "resident~n", [Grown div ?MiB]),
        ?assert(Grown < 256 * ?MiB)
    end}).

%% Run in the child VM: {ok, bytes made resident by the grows}.
-spec child_grow_in_4gib_steps() -> {ok, integer()} | {unexpected, term()}.
child_grow_in_4gib_steps() ->
    WASM = start("grow64", #{max_memory => 8 * ?GiB + ?PAGE}),
    Rss0 = rss(),
    Grows = [hb_beamr:call(WASM, "grow", [?PAGES_4GIB]) || _ <- lists:seq(1, 3)],
    Rss1 = rss(),
    Expected = [{ok, [1]}, {ok, [1 + ?PAGES_4GIB]}, {ok, [-1]}],
    case Grows of
        Expected -> {ok, Rss1 - Rss0};
        _ -> {unexpected, Grows}
    end.

large_deserialize_leaves_the_scheduler_test_() ->
    %% A 64 KiB snapshot restored into a 1 GiB memory zeroes the rest in
    %% place (nothing made resident) and is not run on the caller's scheduler:
    %% the fast path hands it to the instance thread (its fallback count).
    requires(fast_path, {timeout, 300, fun() ->
        Result = hb_beamr_test_util:run_isolated(?MODULE,
                                                 child_restore_into_large_memory),
        ?assertMatch(#{fell_back := 1, zeroed := true}, Result),
        #{resident := Resident} = Result,
        ?assert(Resident < 256 * ?MiB)
    end}).

%% Run in the child VM: whether the restore fell back to the thread, zeroed
%% what the snapshot does not cover, and how much it made resident.
-spec child_restore_into_large_memory() -> map().
child_restore_into_large_memory() ->
    Small = start("grow64"),
    {ok, Snapshot} = hb_beamr:serialize(Small),
    ok = hb_beamr:stop(Small),
    WASM = start("grow64"),
    {ok, [1]} = hb_beamr:call(WASM, "grow", [?GiB div ?PAGE - 1]),
    {ok, []} = hb_beamr:call(WASM, "poke", [?GiB - 1]),
    #{fast_fallbacks := F0} = hb_beamr_test_util:info(WASM),
    Rss0 = rss(),
    ok = hb_beamr:deserialize(WASM, Snapshot),
    Rss1 = rss(),
    #{fast_fallbacks := F1} = hb_beamr_test_util:info(WASM),
    {ok, Byte} = hb_beamr_io:read(WASM, ?GiB - 1, 1),
    {ok, Size} = hb_beamr_io:size(WASM),
    ok = hb_beamr:stop(WASM),
    #{fell_back => F1 - F0, zeroed => Byte =:= <<0>> andalso Size =:= ?GiB,
      resident => Rss1 - Rss0}.

%%% Helpers

%% This VM's resident set size in bytes (Linux).
rss() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s+(\\d+) kB",
                           [{capture, all_but_first, list}]),
    list_to_integer(Kb) * 1024.
