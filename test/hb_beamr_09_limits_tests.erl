%%% start/3's limits: options checking, memory and table bounds, fuel, the
%%% native stack and the deterministic mode. A limit reached inside
%%% WebAssembly behaves as the spec allows and harms nobody else.
-module(hb_beamr_09_limits_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, start/2]).

-define(PAGE, 65536).
-define(MiB, (1024 * 1024)).

start_options_are_checked_test_() ->
    Fac = fixture("fac"),
    Bad = fun(Opts) -> hb_beamr:start(Fac, wasm, Opts) end,
    [?_assertEqual({error, {badopt, bogus}}, Bad(#{bogus => 1})),
     ?_assertEqual({error, {badopt, bogus}}, Bad(#{bogus => 1, fuel => 1000})),
     ?_assertEqual({error, {badopt, max_memory}}, Bad(#{max_memory => -1})),
     ?_assertEqual({error, {badopt, max_memory}}, Bad(#{max_memory => 0})),
     ?_assertEqual({error, {badopt, max_memory}}, Bad(#{max_memory => 1 bsl 64})),
     ?_assertEqual({error, {badopt, max_memory}}, Bad(#{max_memory => 1.0e6})),
     ?_assertEqual({error, {badopt, max_table_elements}}, Bad(#{max_table_elements => "10"})),
     ?_assertEqual({error, {badopt, fuel}}, Bad(#{fuel => 1.5})),
     ?_assertEqual({error, {badopt, max_stack}}, Bad(#{max_stack => 0})),
     ?_assertEqual({error, {badopt, max_stack}}, Bad(#{max_stack => 62 * ?MiB + 1})),
     ?_assertEqual({error, {badopt, deterministic}}, Bad(#{deterministic => yes})),
     ?_assertEqual({error, badarg}, hb_beamr:start(Fac, wasm, [{fuel, 1000}])),
     ?_assertEqual({error, badarg}, hb_beamr:start(Fac, jit, #{}))].

bad_options_start_nothing_test() ->
    Before = erlang:processes(),
    {error, {badopt, _}} = hb_beamr:start(fixture("fac"), wasm, #{nope => 1}),
    ?assertEqual([], erlang:processes() -- Before).

no_limit_values_test() ->
    %% infinity and deterministic => false are the same as leaving them out.
    WASM = start("fac", #{max_memory => infinity, max_table_elements => infinity,
                          fuel => infinity, deterministic => false}),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ok = hb_beamr:stop(WASM).

raw_init_options_are_checked_test() ->
    %% The driver checks the options map itself, whatever the sender.
    WASM = start("fac"),
    Fac = fixture("fac"),
    Init = fun(Opts) -> hb_beamr:request(WASM, init, [Fac, wasm, Opts]) end,
    ?assertEqual({error, badarg}, Init(#{bogus => 1})),
    ?assertEqual({error, badarg}, Init(#{fuel => -1})),
    ?assertEqual({error, badarg}, Init(#{max_memory => 1 bsl 64})),
    ?assertEqual({error, badarg}, Init(#{deterministic => 1})),
    ?assertEqual({error, badarg}, Init([{fuel, 1}])),
    %% Well-formed, but its thread is already running with a smaller stack.
    ?assertMatch({error, {invalid_argument, _}}, Init(#{max_stack => 32 * ?MiB})),
    ?assertEqual({error, already_initialized}, Init(#{fuel => 1000})),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ok = hb_beamr:stop(WASM).

max_memory_test() ->
    WASM = start("limits", #{max_memory => 3 * ?PAGE}),
    ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "grow", [2])),   % 1 -> 3 pages
    ?assertEqual({ok, [-1]}, hb_beamr:call(WASM, "grow", [1])),  % 4: refused
    ?assertEqual({ok, 3 * ?PAGE}, hb_beamr_io:size(WASM)),
    %% The host is held to it too: a snapshot that needs more memory fails.
    ?assertMatch({error, _}, hb_beamr:deserialize(WASM, <<0:(4 * ?PAGE)/unit:8>>)),
    ?assertEqual({ok, 3 * ?PAGE}, hb_beamr_io:size(WASM)),
    %% An instance without the limit is not affected.
    Free = start("limits"),
    ?assertEqual({ok, [1]}, hb_beamr:call(Free, "grow", [8])),
    ok = hb_beamr:stop(Free),
    ok = hb_beamr:stop(WASM).

initial_memory_over_the_limit_test() ->
    ?assertMatch({error, {instantiate, _}},
                 hb_beamr:start(fixture("limits"), wasm, #{max_memory => 1024})).

max_table_elements_test_() ->
    case hb_beamr_test_util:missing_reason(table_limits) of
        none ->
            fun() ->
                    WASM = start("limits", #{max_table_elements => 4}),
                    ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "table_grow", [3])),
                    ?assertEqual({ok, [-1]}, hb_beamr:call(WASM, "table_grow", [1])),
                    ok = hb_beamr:stop(WASM)
            end;
        Reason ->
            unsupported(table_limits, Reason, #{max_table_elements => 4})
    end.

fuel_test_() ->
    case hb_beamr_test_util:missing_reason(fuel) of
        none ->
            fun() ->
                    WASM = start("loop", #{fuel => 100000}),
                    %% Every call gets the whole budget again.
                    [?assertEqual({ok, [1000]}, hb_beamr:call(WASM, "count", [1000]))
                     || _ <- lists:seq(1, 5)],
                    ?assertEqual({error, {trap, <<"all fuel consumed">>}},
                                 hb_beamr:call(WASM, "count", [10000000])),
                    %% Fuel alone ends an endless loop.
                    ?assertEqual({error, {trap, <<"all fuel consumed">>}},
                                 hb_beamr:call(WASM, "spin", [])),
                    ?assertEqual({ok, [10]}, hb_beamr:call(WASM, "count", [10])),
                    ok = hb_beamr:stop(WASM)
            end;
        Reason ->
            unsupported(fuel, Reason, #{fuel => 1000})
    end.

max_stack_test() ->
    %% 5,000 frames fit in the engine's default stack, not in 64 KiB.
    Roomy = start("limits"),
    ?assertEqual({ok, [5000]}, hb_beamr:call(Roomy, "depth", [5000])),
    Tight = start("limits", #{max_stack => 64 * 1024}),
    ?assertEqual({error, {trap, <<"call stack exhausted">>}},
                 hb_beamr:call(Tight, "depth", [5000])),
    ?assertEqual({ok, [10]}, hb_beamr:call(Tight, "depth", [10])),
    ?assertEqual({ok, [5000]}, hb_beamr:call(Roomy, "depth", [5000])),
    ok = hb_beamr:stop(Tight),
    ok = hb_beamr:stop(Roomy).

stack_overflow_without_limit_test() ->
    %% Unbounded recursion on the default stack: a trap, nothing worse.
    WASM = start("traps"),
    ?assertMatch({error, {trap, _}}, hb_beamr:call(WASM, "stack_overflow", [])),
    ?assertEqual({ok, [42]}, hb_beamr:call(WASM, "answer", [])),
    ok = hb_beamr:stop(WASM).

deterministic_test_() ->
    case hb_beamr_test_util:missing_reason(deterministic) of
        none ->
            fun() ->
                    WASM = start("limits", #{deterministic => true}),
                    %% nan_add returns the bits of NaN + 1.0: canonical.
                    ?assertEqual({ok, [16#7ff8000000000000]},
                                 hb_beamr:call(WASM, "nan_add", [])),
                    ok = hb_beamr:stop(WASM)
            end;
        Reason ->
            unsupported(deterministic, Reason, #{deterministic => true})
    end.

%% Where the engine lacks an option, start says so clearly.
unsupported(Feature, Reason, Opts) ->
    io:format(user, "~nSKIPPED (~s): ~s; checking it is refused~n", [Feature, Reason]),
    ?_assertMatch({error, {unsupported, _}}, hb_beamr:start(fixture("limits"), wasm, Opts)).
