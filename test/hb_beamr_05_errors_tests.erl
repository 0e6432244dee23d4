%%% Every error a call can give, traps, and malformed driver commands.
-module(hb_beamr_05_errors_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

call_errors_test_() ->
    {setup, fun() -> start("erl_io") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             [?_assertEqual({error, {unknown_export, <<"nope">>}},
                            hb_beamr:call(WASM, "nope", [])),
              ?_assertEqual({error, {not_a_function, <<"memory">>}},
                            hb_beamr:call(WASM, "memory", [])),
              ?_assertEqual({error, {invalid_func_ref, {bad}}},
                            hb_beamr:call(WASM, {bad}, [])),
              ?_assertEqual({error, {invalid_func_ref, -1}},
                            hb_beamr:call(WASM, -1, [])),
              ?_assertEqual({ok, [1]}, hb_beamr:call(WASM, "bump", []))]
     end}.

invalid_args_test_() ->
    {setup, fun() -> start("values") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             Bad = fun(Name, Args) ->
                           ?_assertEqual({error, {invalid_args, Args}},
                                         hb_beamr:call(WASM, Name, Args))
                   end,
             [Bad("id_i32", []),
              Bad("id_i32", [1, 2]),
              Bad("id_i32", [1.0]),
              Bad("id_i32", [nan]),
              Bad("id_i32", [foo]),
              Bad("id_i32", [<<"1">>]),
              Bad("id_i32", [4294967296]),
              Bad("id_i64", [18446744073709551616]),
              Bad("id_i64", [-9223372036854775809]),
              Bad("id_f64", [foo]),
              Bad("id_f64", ["1.0"]),
              Bad("reverse4", [1, 2, 3.0]),
              Bad("nothing", [1]),
              ?_assertEqual({error, {invalid_args, [1 | 2]}},
                            hb_beamr:call(WASM, "id_i32", [1 | 2])),
              ?_assertEqual({error, {invalid_args, not_a_list}},
                            hb_beamr:call(WASM, "id_i32", not_a_list)),
              ?_assertEqual({ok, [1]}, hb_beamr:call(WASM, "id_i32", [1]))]
     end}.

indirect_errors_test_() ->
    {setup, fun() -> start("indirect") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             [?_assertEqual({error, {bad_table_index, 3}}, hb_beamr:call(WASM, 3, [])),
              ?_assertEqual({error, {bad_table_index, 99}}, hb_beamr:call(WASM, 99, [])),
              ?_assertEqual({error, {bad_table_index, 16#FFFFFFFFFFFFFFFF}},
                            hb_beamr:call(WASM, 16#FFFFFFFFFFFFFFFF, [])),
              ?_assertEqual({error, {invalid_args, [1.0, 2.0]}},
                            hb_beamr:call(WASM, 0, [1.0, 2.0])),
              ?_assertEqual({error, {invalid_args, [5]}}, hb_beamr:call(WASM, 0, [5])),
              ?_assertMatch({error, {trap, _}}, hb_beamr:call(WASM, 2, [])),
              ?_assertEqual({ok, [5]}, hb_beamr:call(WASM, 0, [2, 3]))]
     end}.

no_table_test() ->
    WASM = start("fac"),
    ?assertMatch({error, _}, hb_beamr:call(WASM, 0, [1.0])),
    ?assertEqual({ok, [1.0]}, hb_beamr:call(WASM, "fac", [1.0])),
    ok = hb_beamr:stop(WASM).

traps_test_() ->
    {setup, fun() -> start("traps") end, fun hb_beamr:stop/1,
     fun(WASM) ->
             Trap = fun(Name, Args) ->
                            fun() ->
                                    {error, {trap, Msg}} = hb_beamr:call(WASM, Name, Args),
                                    ?assert(is_binary(Msg)),
                                    ?assert(byte_size(Msg) > 0),
                                    %% Still usable.
                                    ?assertEqual({ok, [42]}, hb_beamr:call(WASM, "answer", []))
                            end
                    end,
             [Trap("unreachable", []),
              Trap("div_by_zero", [1]),
              Trap("oob_load", []),
              Trap("stack_overflow", []),
              fun() ->
                      {error, {trap, Msg}} = hb_beamr:call(WASM, "unreachable", []),
                      ?assertNotEqual(nomatch, binary:match(Msg, <<"unreachable">>))
              end,
              fun() ->
                      {error, {trap, Msg}} = hb_beamr:call(WASM, "div_by_zero", [1]),
                      ?assertNotEqual(nomatch, binary:match(Msg, <<"divide by zero">>))
              end,
              fun() ->
                      %% The host import answered by call/3's stub: no trap.
                      ?assertEqual({ok, []}, hb_beamr:call(WASM, "host_trap", []))
              end]
     end}.

dead_instance_test() ->
    WASM = start("fac"),
    ok = hb_beamr:stop(WASM),
    ?assertEqual({error, not_running}, hb_beamr:call(WASM, "fac", [1.0])),
    ?assertEqual({error, not_running, s},
                 hb_beamr:call(WASM, "fac", [1.0], fun(S, _) -> {ok, [], S} end, s)),
    ?assertEqual({error, not_running}, hb_beamr_io:size(WASM)),
    ?assertEqual({error, not_running}, hb_beamr_io:read(WASM, 0, 1)),
    ?assertEqual({error, not_running}, hb_beamr:serialize(WASM)),
    ?assertEqual({error, not_running}, hb_beamr:deserialize(WASM, <<>>)).

malformed_commands_test() ->
    WASM = start("erl_io"),
    Raw = fun(Message) ->
                  ok = hb_beamr:wasm_send(WASM, Message),
                  receive {WASM, Tag, Reply} -> {Tag, Reply}
                  after 5000 -> error({no_reply, Message})
                  end
          end,
    R = make_ref(),
    ?assertEqual({undefined, {error, badarg}}, Raw(hello)),
    ?assertEqual({undefined, {error, badarg}}, Raw({})),
    ?assertEqual({R, {error, badarg}}, Raw({unknown_op, R})),
    ?assertEqual({R, {error, badarg}}, Raw({size, R, extra})),
    ?assertEqual({R, {error, badarg}}, Raw({read, R, -1, 4})),
    ?assertEqual({R, {error, badarg}}, Raw({read, R, 0, 1 bsl 64})),
    ?assertEqual({R, {error, badarg}}, Raw({write, R, 0, not_binary})),
    ?assertEqual({R, {error, badarg}}, Raw({call, R, "str_len", [1]})),
    ?assertEqual({R, {error, badarg}},
                 Raw({command, term_to_binary({call, R, <<"str_len">>, [1 | 2]})})),
    ?assertEqual({R, {error, invalid_args}}, Raw({call, R, <<"str_len">>, [1 | 2]})),
    ?assertEqual({R, {error, badarg}}, Raw({indirect_call, R, -1, []})),
    ?assertEqual({R, {error, badarg}}, Raw({init, R, <<>>, jit})),
    ?assertEqual({R, {error, already_initialized}},
                 Raw({init, R, hb_beamr_test_util:fixture("fac"), wasm})),
    ?assertEqual({R, {error, no_pending_import}}, Raw({import_response, R, [1]})),
    ?assertEqual({R, {error, no_pending_import}}, Raw({import_error, R, <<"x">>})),
    ?assertEqual({R, {error, invalid_args}}, Raw({call, R, <<"str_len">>, [1, 2]})),
    %% Undecodable bytes.
    ?assertEqual({undefined, {error, badarg}}, Raw({command, <<"garbage">>})),
    ?assertEqual({undefined, {error, badarg}}, Raw({command, <<>>})),
    Good = term_to_binary({size, R}),
    lists:foreach(
      fun(N) ->
              ?assertMatch({_, {error, badarg}},
                           Raw({command, binary:part(Good, 0, N)}))
      end, lists:seq(1, byte_size(Good) - 1)),
    %% Trailing bytes make the whole command unreadable.
    ?assertEqual({undefined, {error, badarg}}, Raw({command, <<Good/binary, 0>>})),
    %% A huge claimed length.
    ?assertEqual({undefined, {error, badarg}},
                 Raw({command, <<131, 104, 2, 100, 0, 4, "size", 109, 255, 255, 255, 255>>})),
    %% Deep nesting is refused, not recursed into.
    Deep = lists:foldl(fun(_, Acc) -> [Acc] end, [], lists:seq(1, 1000)),
    ?assertEqual({undefined, {error, badarg}},
                 Raw({command, term_to_binary({call, R, <<"str_len">>, Deep})})),
    %% And the instance is fine.
    ?assertEqual({R, {ok, 131072}}, Raw({size, R})),
    ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "bump", [])),
    ok = hb_beamr:stop(WASM).

fuzz_commands_test() ->
    %% Random mutations of valid commands: every one gets an answer or is
    %% taken as a valid command; the VM survives.
    WASM = start("erl_io"),
    rand:seed(exsss, {1, 2, 3}),
    Seeds = [term_to_binary({size, make_ref()}),
             term_to_binary({read, make_ref(), 0, 16}),
             term_to_binary({call, make_ref(), <<"bump">>, []}),
             term_to_binary({write, make_ref(), 0, <<1, 2, 3>>})],
    lists:foreach(
      fun(_) ->
              Seed = lists:nth(rand:uniform(length(Seeds)), Seeds),
              Pos = rand:uniform(byte_size(Seed)) - 1,
              <<Before:Pos/binary, _, After/binary>> = Seed,
              Mutant = <<Before/binary, (rand:uniform(256) - 1), After/binary>>,
              ok = hb_beamr:wasm_send(WASM, {command, Mutant})
      end, lists:seq(1, 500)),
    %% Drain the answers first: a mutated reference can equal one that
    %% make_ref/0 hands out later (they are sequential), and size/1's
    %% own request would then take that stale answer for its reply.
    flush(WASM),
    ?assertEqual({ok, 131072}, hb_beamr_io:size(WASM)),
    ok = hb_beamr:stop(WASM).

flush(WASM) ->
    receive {WASM, _, _} -> flush(WASM) after 100 -> ok end.
