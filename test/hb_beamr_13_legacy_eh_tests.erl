%%% Legacy exception handling (try / catch / catch_all / delegate / rethrow)
%%% through the Erlang API: the same fixtures and expected values as the
%%% C++ suite's legacy_eh_test.cpp, so both engines must agree; plus
%%% precompiling, the module cache and invalid modules.
-module(hb_beamr_13_legacy_eh_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, info/1]).

%% {Export, Args, Expected}: -1 would mean a handler ran that must not.
cases() ->
    [{"throw_catch", [], 42},
     {"no_throw", [], 5},
     {"catch_all", [], 2},
     {"multi_catch", [0], 100},
     {"multi_catch", [1], 1010},
     {"multi_catch", [2], 2050},
     {"multi_catch", [3], 3005},
     {"multi_value", [0], 43},
     {"multi_value", [1], 65},
     {"block_param", [0], 11},
     {"block_param", [1], 111},
     {"rethrow", [], 1005},
     {"rethrow_outer", [], 101},
     {"rethrow_in_block", [], 103},
     {"catch_all_rethrow", [], 77},
     {"delegate_to_try", [], 207},
     {"delegate_to_block", [], 308},
     {"delegate_to_loop", [], 511},
     {"delegate_from_handler", [], 612},
     {"delegate_chain", [], 713},
     {"delegate_to_caller", [], 409},
     {"try_in_loop", [], 45},
     {"try_in_if", [1], 20},
     {"try_in_if", [0], 30},
     {"branch_out", [0], 50},
     {"branch_out", [1], 51},
     {"branch_out", [2], 52},
     {"no_matching_clause", [], 88},
     {"throw_deep", [], 99}].

constructs_test_() ->
    {setup, fun() -> start("eh_legacy") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             [{lists:flatten(io_lib:format("~s ~w", [Name, Args])),
               ?_assertEqual({ok, [Expected]}, hb_beamr:call(WASM, Name, Args))}
              || {Name, Args, Expected} <- cases()]
     end}.

uncaught_exception_test_() ->
    {setup, fun() -> start("eh_legacy") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             [?_assertMatch({error, {trap, _}}, hb_beamr:call(WASM, "uncaught", [])),
              ?_assertEqual({ok, [42]}, hb_beamr:call(WASM, "throw_catch", [])),
              ?_assertMatch({error, {trap, _}},
                            hb_beamr:call(WASM, "uncaught_rethrow", [])),
              ?_assertEqual({ok, [1005]}, hb_beamr:call(WASM, "rethrow", []))]
     end}.

wasm64_test_() ->
    hb_beamr_test_util:requires(memory64, fun() ->
        WASM = start("eh_legacy64"),
        try
            ?assertEqual({ok, [1234]}, hb_beamr:call(WASM, "store_in_handler", [])),
            ?assertEqual({ok, [65528]}, hb_beamr:call(WASM, "delegate_rethrow", []))
        after
            hb_beamr:stop(WASM)
        end
    end).

%% The cache holds the rewritten module: a second instance of the same
%% bytes is a hit, and runs the same.
cached_start_test() ->
    First = start("eh_legacy"),
    try
        #{module_cache_hits := Hits} = info(First),
        Second = start("eh_legacy"),
        try
            ?assertEqual(Hits + 1, maps:get(module_cache_hits, info(Second))),
            ?assertEqual({ok, [713]}, hb_beamr:call(Second, "delegate_chain", []))
        after
            hb_beamr:stop(Second)
        end
    after
        hb_beamr:stop(First)
    end.

precompiled_test_() ->
    hb_beamr_test_util:requires(aot, fun() ->
        {ok, Pre} = hb_beamr:compile(fixture("eh_legacy")),
        {ok, WASM, [], Exports} = hb_beamr:start(Pre, aot),
        try
            ?assert(lists:member({func, "delegate_to_caller", "()i"}, Exports)),
            [?assertEqual({ok, [Expected]}, hb_beamr:call(WASM, Name, Args))
             || {Name, Args, Expected} <- cases()]
        after
            hb_beamr:stop(WASM)
        end
    end).

%% `rethrow 0' inside a try body, not a handler: invalid, as bytes because
%% wat2wasm refuses to write it.
rethrow_outside_catch() ->
    <<0, "asm", 1:32/little,
      1, 4, 1, 16#60, 0, 0,              % type 0: [] -> []
      3, 2, 1, 0,                        % func 0: type 0
      10, 9, 1, 7, 0,                    % code: one body, no locals
      16#06, 16#40, 16#09, 0, 16#0b,     % try, rethrow 0, end
      16#0b>>.

invalid_module_test_() ->
    Truncated = binary:part(fixture("eh_legacy"), 0, 200),
    [?_assertMatch({error, {load, _}}, hb_beamr:start(rethrow_outside_catch())),
     ?_assertMatch({error, {load, _}}, hb_beamr:start(Truncated)),
     ?_test(case hb_beamr_test_util:engine() of
                wasmtime ->
                    {error, {load, Message}} = hb_beamr:compile(rethrow_outside_catch()),
                    ?assertMatch({match, _}, re:run(Message, "function 0.*offset"));
                wamr ->
                    ?assertMatch({error, _}, hb_beamr:compile(rethrow_outside_catch()))
            end)].
