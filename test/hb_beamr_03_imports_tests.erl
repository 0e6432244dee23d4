%%% Imports answered in Erlang: state, options, nested calls, errors.
-module(hb_beamr_03_imports_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

mul(Calls, #{module := "my_lib", func := "mul", args := [A, B], func_sig := "(FF)F"}) ->
    {ok, [A * B], Calls + 1}.

pow_test() ->
    WASM = start("pow"),
    ?assertEqual({ok, [1024.0], 10}, hb_beamr:call(WASM, "pow", [2.0, 10], fun mul/2, 0)),
    ?assertEqual({ok, [1.0], 0}, hb_beamr:call(WASM, "pow", [2.0, 0], fun mul/2, 0)),
    ok = hb_beamr:stop(WASM).

pow_default_state_test() ->
    WASM = start("pow"),
    Fun = fun(State, #{instance := I, args := [A, B]}) ->
                  ?assertEqual(WASM, I),
                  {ok, [A * B], State}
          end,
    ?assertEqual({ok, [27.0], #{}}, hb_beamr:call(WASM, "pow", [3.0, 3], Fun)),
    ok = hb_beamr:stop(WASM).

import_fun_with_opts_test() ->
    WASM = start("pow"),
    Fun = fun(Log, #{args := [A, B]}, #{factor := F}) -> {ok, [A * B * F], [B | Log]} end,
    %% acc = mul(1, 2) * 2 = 4, then mul(4, 2) * 2 = 16.
    ?assertEqual({ok, [16.0], [2.0, 2.0]},
                 hb_beamr:call(WASM, "pow", [2.0, 2], Fun, [], #{factor => 2.0})),
    ok = hb_beamr:stop(WASM).

stub_answers_zeros_test() ->
    %% call/3 answers every import with zeros of its result types.
    WASM = start("pow"),
    ?assertEqual({ok, [0.0]}, hb_beamr:call(WASM, "pow", [2.0, 3])),
    ok = hb_beamr:stop(WASM),
    All = start("imports_all"),
    ?assertEqual({ok, [0]}, hb_beamr:call(All, "call_add_i64", [1, 2])),
    ?assertEqual({ok, [0.0]}, hb_beamr:call(All, "call_mix", [1, 2.0, 3.0])),
    ok = hb_beamr:stop(All).

import_values_test() ->
    WASM = start("imports_all"),
    Fun = fun(S, #{func := "add_i64", args := [A, B], func_sig := "(II)I"}) ->
                  {ok, [A + B], S};
             (S, #{func := "mix", args := Args, func_sig := "(ifF)F"}) ->
                  {ok, [lists:last(Args)], [Args | S]}
          end,
    %% i64 arguments arrive signed; an unsigned result wraps.
    ?assertEqual({ok, [-1], []},
                 hb_beamr:call(WASM, "call_add_i64", [16#FFFFFFFFFFFFFFFF, 0], Fun, [])),
    ?assertEqual({ok, [-9223372036854775808], []},
                 hb_beamr:call(WASM, "call_add_i64", [9223372036854775807, 1], Fun, [])),
    ?assertEqual({ok, [nan], [[-1, infinity, nan]]},
                 hb_beamr:call(WASM, "call_mix", [16#FFFFFFFF, infinity, nan], Fun, [])),
    ?assertEqual({ok, [2.5], [[7, 0.5, 2.5]]},
                 hb_beamr:call(WASM, "call_mix", [7, 0.5, 2.5], Fun, [])),
    ok = hb_beamr:stop(WASM).

nested_calls_test() ->
    %% descend(n) = callback(n) + 1; answering callback(n) with descend(n - 1)
    %% nests n calls deep, all on the instance's thread.
    WASM = start("nested"),
    Fun = fun Handler(Depth, #{instance := I, func := "callback", args := [N]}) ->
                  {ok, [R], _} = hb_beamr:call(I, "descend", [N - 1], Handler, Depth + 1),
                  {ok, [R], max(Depth, N)}
          end,
    ?assertMatch({ok, [5], _}, hb_beamr:call(WASM, "descend", [5], Fun, 0)),
    %% A plain call from inside an import.
    Inc = fun(S, #{instance := I, args := [X]}) ->
                  {ok, [Y]} = hb_beamr:call(I, "inc", [X]),
                  {ok, [Y], S}
          end,
    ?assertEqual({ok, [42], x}, hb_beamr:call(WASM, "via_host", [41], Inc, x)),
    ok = hb_beamr:stop(WASM).

emscripten_invoke_test() ->
    %% invoke_ii(index, x): the host calls table[index](x) inside the import.
    WASM = start("erl_invoke"),
    Invoke = fun(Calls, #{instance := I, func := "invoke_ii", args := [Index, X]}) ->
                     {ok, Results} = hb_beamr:call(I, Index, [X]),
                     {ok, Results, Calls + 1}
             end,
    ?assertEqual({ok, [50], 1}, hb_beamr:call(WASM, "run", [0, 7], Invoke, 0)),
    ?assertEqual({ok, [15], 1}, hb_beamr:call(WASM, "run", [1, 7], Invoke, 0)),
    ok = hb_beamr:stop(WASM).

memory_access_from_import_test() ->
    WASM = start("nested"),
    Fun = fun(S, #{instance := I, args := [Addr]}) ->
                  ok = hb_beamr_io:write(I, Addr, <<16#01020304:32/little>>),
                  {ok, <<4, 3, 2, 1>>} = hb_beamr_io:read(I, Addr, 4),
                  {ok, [0], S}
          end,
    ?assertEqual({ok, [16#01020304], s}, hb_beamr:call(WASM, "write_then_read", [64], Fun, s)),
    ok = hb_beamr:stop(WASM).

import_fun_raises_test() ->
    WASM = start("pow"),
    Boom = fun(_S, _Req) -> error(boom) end,
    ?assertMatch({error, error, boom, [_ | _], state},
                 hb_beamr:call(WASM, "pow", [2.0, 3], Boom, state)),
    Throw = fun(_S, _Req) -> throw(oops) end,
    ?assertMatch({error, throw, oops, _, 7},
                 hb_beamr:call(WASM, "pow", [2.0, 3], Throw, 7)),
    %% The instance is left clean.
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(WASM, "pow", [2.0, 3], fun mul/2, 0)),
    ok = hb_beamr:stop(WASM).

nested_import_raises_test() ->
    WASM = start("nested"),
    Fun = fun(_, #{instance := I, args := [N]}) when N > 2 ->
                  %% The inner call's handler raises; the outer one reports it.
                  Inner = fun(_, _) -> error(inner) end,
                  {error, error, inner, _, _} = hb_beamr:call(I, "descend", [N - 1], Inner, x),
                  {ok, [100], y}
          end,
    ?assertEqual({ok, [101], y}, hb_beamr:call(WASM, "descend", [5], Fun, x)),
    ?assertEqual({ok, [2]}, hb_beamr:call(WASM, "inc", [1])),
    ok = hb_beamr:stop(WASM).

bad_import_results_test_() ->
    WASM = start("pow"),
    Returning = fun(Results) -> fun(S, _) -> {ok, Results, S} end end,
    {setup, fun() -> WASM end, fun hb_beamr:stop/1,
     [?_assertEqual({error, {invalid_import_result, "my_lib", "mul", []}, s},
                    hb_beamr:call(WASM, "pow", [2.0, 1], Returning([]), s)),
      ?_assertEqual({error, {invalid_import_result, "my_lib", "mul", [1.0, 2.0]}, s},
                    hb_beamr:call(WASM, "pow", [2.0, 1], Returning([1.0, 2.0]), s)),
      ?_assertEqual({error, {invalid_import_result, "my_lib", "mul", [foo]}, s},
                    hb_beamr:call(WASM, "pow", [2.0, 1], Returning([foo]), s)),
      ?_assertEqual({error, {invalid_import_result, "my_lib", "mul", not_a_list}, s},
                    hb_beamr:call(WASM, "pow", [2.0, 1], Returning(not_a_list), s)),
      ?_assertEqual({error, {bad_import_return, what}, s},
                    hb_beamr:call(WASM, "pow", [2.0, 1], fun(_, _) -> what end, s)),
      ?_assertEqual({ok, [4.0], 2}, hb_beamr:call(WASM, "pow", [2.0, 2], fun mul/2, 0))]}.

bad_import_result_range_test() ->
    WASM = start("imports_all"),
    Big = fun(S, _) -> {ok, [16#10000000000000000], S} end,
    ?assertMatch({error, {invalid_import_result, "env", "add_i64", _}, s},
                 hb_beamr:call(WASM, "call_add_i64", [1, 2], Big, s)),
    Float = fun(S, _) -> {ok, [1.5], S} end,
    ?assertMatch({error, {invalid_import_result, "env", "add_i64", [1.5]}, s},
                 hb_beamr:call(WASM, "call_add_i64", [1, 2], Float, s)),
    ok = hb_beamr:stop(WASM).

driver_rejects_bad_import_response_test() ->
    %% Below the API: a bad answer sent straight to the driver traps the
    %% call instead of passing for a result.
    WASM = start("pow"),
    Ref = make_ref(),
    ok = hb_beamr:wasm_send(WASM, {call, Ref, <<"pow">>, [2.0, 2]}),
    receive
        {WASM, Ref, {import, "my_lib", "mul", [1.0, 2.0], "(FF)F"}} -> ok
    after 5000 -> error(no_import)
    end,
    ok = hb_beamr:wasm_send(WASM, {import_response, Ref, [<<"bad">>]}),
    receive
        {WASM, Ref, Reply} ->
            ?assertMatch({error, {trap, <<_/binary>>}}, Reply)
    after 5000 -> error(no_reply)
    end,
    ?assertEqual({ok, [4.0], 2}, hb_beamr:call(WASM, "pow", [2.0, 2], fun mul/2, 0)),
    ok = hb_beamr:stop(WASM).

import_error_message_test() ->
    %% An import answered with an error traps with that message.
    WASM = start("pow"),
    Ref = make_ref(),
    ok = hb_beamr:wasm_send(WASM, {call, Ref, <<"pow">>, [2.0, 2]}),
    receive {WASM, Ref, {import, _, _, _, _}} -> ok after 5000 -> error(no_import) end,
    ok = hb_beamr:wasm_send(WASM, {import_error, Ref, <<"no multiplication today">>}),
    receive
        {WASM, Ref, {error, {trap, Msg}}} ->
            ?assertNotEqual(nomatch, binary:match(Msg, <<"no multiplication today">>))
    after 5000 -> error(no_reply)
    end,
    ok = hb_beamr:stop(WASM).

driver_keeps_outer_answers_test() ->
    %% Below the API (raw commands skip the instance process's queue): a
    %% second call runs nested in the first one's import. An answer for the
    %% outer import that arrives while the inner one waits is kept and used
    %% once the inner call is done.
    WASM = start("pow"),
    Raw = fun(Command) -> hb_beamr:wasm_send(WASM, {command, term_to_binary(Command)}) end,
    Outer = make_ref(),
    Inner = make_ref(),
    ok = Raw({call, Outer, <<"pow">>, [2.0, 1]}),
    receive {WASM, Outer, {import, _, _, [1.0, 2.0], _}} -> ok after 5000 -> error(outer) end,
    ok = Raw({call, Inner, <<"pow">>, [3.0, 1]}),
    receive {WASM, Inner, {import, _, _, [1.0, 3.0], _}} -> ok after 5000 -> error(inner) end,
    ok = Raw({import_response, Outer, [2.0]}),
    receive {WASM, Outer, Early} -> error({outer_answered_early, Early}) after 100 -> ok end,
    ok = Raw({import_response, Inner, [3.0]}),
    receive {WASM, Inner, R1} -> ?assertEqual({ok, [3.0]}, R1) after 5000 -> error(inner_result) end,
    receive {WASM, Outer, R2} -> ?assertEqual({ok, [2.0]}, R2) after 5000 -> error(outer_result) end,
    ok = hb_beamr:stop(WASM).

runaway_nesting_test() ->
    %% A host that answers every callback by calling back in again nests
    %% until WebAssembly's stack runs out: that level traps, the error
    %% unwinds every level, and the instance stays usable.
    WASM = start("nested"),
    Self = self(),
    Fun = fun Loop(Depth, #{instance := I, args := [N]}) ->
                  Self ! {depth, Depth},
                  case hb_beamr:call(I, "descend", [N], Loop, Depth + 1) of
                      {ok, Results, S} -> {ok, Results, S};
                      Error -> error({nested, Error})
                  end
          end,
    Result = hb_beamr:call(WASM, "descend", [1], Fun, 1),
    ?assertMatch({error, error, {nested, _}, _, 1}, Result),
    ?assert(max_depth(0) > 10),
    ?assertEqual({ok, [2]}, hb_beamr:call(WASM, "inc", [1])),
    ok = hb_beamr:stop(WASM).

max_depth(Max) ->
    receive {depth, D} -> max_depth(max(D, Max)) after 0 -> Max end.
