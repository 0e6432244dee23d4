%%% Issue 7: the fast path. Calls run in the caller's own port_control on
%%% engines that can suspend them, and fall back to the instance thread
%%% whenever the instance is busy. These tests check that the fast path is
%%% taken, that falling back keeps the rules of the Erlang API (one call
%%% at a time across processes, nesting from the import function, memory
%%% access during an import), and that a caller dying mid-call, a stop and
%%% long computations behave as on the thread. On WAMR they are skipped
%%% with the reason: every call there runs on the thread, which the rest of
%%% the suite covers.
-module(hb_beamr_12_fast_path_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1, info/1]).

fast_path_test_() ->
    hb_beamr_test_util:requires(
      fast_path,
      [fun calls_and_imports_take_the_fast_path/0,
       fun memory_commands_take_the_fast_path/0,
       fun long_call_runs_in_slices/0,
       fun other_callers_wait_for_a_call_in_an_import/0,
       fun memory_is_open_while_a_call_waits_for_an_import/0,
       fun nested_calls_stay_on_the_fast_path/0,
       fun caller_exit_mid_call_frees_the_instance/0,
       fun stop_during_a_fast_import/0,
       fun stop_during_a_long_fast_call/0,
       fun fast_and_thread_calls_interleave/0,
       fun long_call_moves_to_the_thread/0,
       fun caller_exit_after_the_move_frees_the_instance/0,
       fun moved_call_keeps_other_callers_waiting/0,
       fun moved_call_nests_from_its_import_function/0]).

counters(WASM) ->
    maps:with([fast_calls, fast_fallbacks, thread_calls], info(WASM)).

mul(Calls, #{args := [A, B]}) -> {ok, [A * B], Calls + 1}.

calls_and_imports_take_the_fast_path() ->
    W = start("pow"),
    #{fast_calls := F0, thread_calls := T0} = counters(W),
    ?assertEqual({ok, [1024.0], 10}, hb_beamr:call(W, "pow", [2.0, 10], fun mul/2, 0)),
    [?assertEqual({ok, [8.0], 3}, hb_beamr:call(W, "pow", [2.0, 3], fun mul/2, 0))
     || _ <- lists:seq(1, 50)],
    #{fast_calls := F1, thread_calls := T1} = counters(W),
    ?assertEqual(51, F1 - F0),
    ?assertEqual(0, T1 - T0),
    ok = hb_beamr:stop(W).

memory_commands_take_the_fast_path() ->
    W = start("erl_io"),
    #{fast_fallbacks := B0} = counters(W),
    ok = hb_beamr_io:write(W, 1024, <<"hello">>),
    ?assertEqual({ok, <<"hello">>}, hb_beamr_io:read(W, 1024, 5)),
    {ok, Size} = hb_beamr_io:size(W),
    ?assert(Size > 0),
    #{fast_fallbacks := B1} = counters(W),
    ?assertEqual(B0, B1),
    %% Large transfers go to the thread, whose result is the same.
    Big = binary:copy(<<7>>, 2 bsl 20),
    case Size >= byte_size(Big) of
        true ->
            ok = hb_beamr_io:write(W, 0, Big),
            ?assertEqual({ok, Big}, hb_beamr_io:read(W, 0, byte_size(Big))),
            #{fast_fallbacks := B2} = counters(W),
            ?assertEqual(2, B2 - B1);
        false ->
            ok
    end,
    ok = hb_beamr:stop(W).

long_call_runs_in_slices() ->
    %% Far longer than a slice: it yields many times and still returns its
    %% result, while the VM goes on (another process counts meanwhile).
    W = start("loop"),
    Self = self(),
    Counter = spawn_link(fun() -> count_ticks(Self, 0) end),
    ?assertEqual({ok, [300000000]}, hb_beamr:call(W, "count", [300000000])),
    Counter ! {stop, self()},
    Ticks = receive {ticks, N} -> N after 5000 -> error(no_ticks) end,
    ?assert(Ticks > 0),
    ok = hb_beamr:stop(W).

count_ticks(Parent, N) ->
    receive
        {stop, Parent} -> Parent ! {ticks, N}
    after 1 ->
        count_ticks(Parent, N + 1)
    end.

other_callers_wait_for_a_call_in_an_import() ->
    %% A's call waits in its import function; B's call arrives meanwhile,
    %% falls back and runs only after A's call has finished.
    W = start("pow"),
    Self = self(),
    Slow = fun(S, #{args := [A, B]}) ->
                   Self ! {a_in_import, self()},
                   receive go -> ok end,
                   {ok, [A * B], S}
           end,
    A = spawn_link(fun() -> Self ! {a_done, hb_beamr:call(W, "pow", [3.0, 1], Slow, 0)} end),
    receive {a_in_import, A} -> ok after 5000 -> error(a_not_in_import) end,
    _B = spawn_link(fun() -> Self ! {b_done, hb_beamr:call(W, "pow", [2.0, 2], fun mul/2, 0)} end),
    receive {b_done, Early} -> error({b_ran_during_a, Early}) after 200 -> ok end,
    A ! go,
    ?assertEqual({ok, [3.0], 0}, receive {a_done, RA} -> RA after 5000 -> error(a) end),
    ?assertEqual({ok, [4.0], 2}, receive {b_done, RB} -> RB after 5000 -> error(b) end),
    ok = hb_beamr:stop(W).

memory_is_open_while_a_call_waits_for_an_import() ->
    %% Another process reads and writes memory while a call waits.
    W = start("nested"),
    Self = self(),
    Import = fun(S, #{args := [Addr]}) ->
                     Self ! {waiting, self(), Addr},
                     receive written -> ok end,
                     {ok, [0], S}
             end,
    spawn_link(fun() -> Self ! {done, hb_beamr:call(W, "write_then_read", [64], Import, 0)} end),
    Caller = receive {waiting, P, 64} -> P after 5000 -> error(not_waiting) end,
    #{fast_fallbacks := B0} = counters(W),
    ok = hb_beamr_io:write(W, 64, <<42:32/little>>),
    ?assertEqual({ok, <<42:32/little>>}, hb_beamr_io:read(W, 64, 4)),
    #{fast_fallbacks := B1} = counters(W),
    ?assertEqual(B0, B1),
    Caller ! written,
    ?assertEqual({ok, [42], 0}, receive {done, R} -> R after 5000 -> error(no_result) end),
    ok = hb_beamr:stop(W).

nested_calls_stay_on_the_fast_path() ->
    W = start("nested"),
    #{fast_calls := F0, thread_calls := T0} = counters(W),
    Descend = fun Loop(S, #{instance := I, args := [N]}) ->
                      {ok, [R], S2} = hb_beamr:call(I, "descend", [N - 1], Loop, S + 1),
                      {ok, [R], S2}
              end,
    ?assertEqual({ok, [5], 5}, hb_beamr:call(W, "descend", [5], Descend, 0)),
    #{fast_calls := F1, thread_calls := T1} = counters(W),
    ?assertEqual(6, F1 - F0),
    ?assertEqual(0, T1 - T0),
    ok = hb_beamr:stop(W).

caller_exit_mid_call_frees_the_instance() ->
    %% The caller dies inside its import function: the driver, which
    %% monitors it, abandons the call and the instance is free again.
    W = start("pow"),
    Self = self(),
    Dying = fun(_S, _Request) -> Self ! in_import, exit(self(), kill) end,
    {Pid, MRef} = spawn_monitor(fun() ->
                                        hb_beamr:call(W, "pow", [2.0, 3],
                                                      fun(S, R) -> Dying(S, R) end, 0)
                                end),
    receive in_import -> ok after 5000 -> error(no_import) end,
    receive {'DOWN', MRef, process, Pid, killed} -> ok after 5000 -> error(alive) end,
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(W, "pow", [2.0, 3], fun mul/2, 0)),
    %% Killed outright while waiting, without running any cleanup.
    {Pid2, MRef2} = spawn_monitor(fun() ->
                                          hb_beamr:call(W, "pow", [2.0, 3],
                                                        fun(S, _) -> Self ! {in_import, self()},
                                                                     receive never -> {ok, [0.0], S} end
                                                        end, 0)
                                  end),
    receive {in_import, Pid2} -> ok after 5000 -> error(no_import2) end,
    exit(Pid2, kill),
    receive {'DOWN', MRef2, process, Pid2, killed} -> ok after 5000 -> error(alive2) end,
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(W, "pow", [2.0, 3], fun mul/2, 0)),
    ok = hb_beamr:stop(W).

stop_during_a_fast_import() ->
    W = start("pow"),
    Self = self(),
    Stopper = fun(S, _) -> Self ! {in_import, self()}, receive go -> ok end, {ok, [1.0], S} end,
    Caller = spawn_link(fun() -> Self ! {done, hb_beamr:call(W, "pow", [2.0, 3], Stopper, s)} end),
    receive {in_import, Caller} -> ok after 5000 -> error(no_import) end,
    ok = hb_beamr:stop(W),
    Caller ! go,
    ?assertEqual({error, stopped, s}, receive {done, R} -> R after 5000 -> error(no_reply) end),
    ?assertEqual({error, not_running}, hb_beamr:call(W, "pow", [1.0, 1])).

stop_during_a_long_fast_call() ->
    W = start("loop"),
    Self = self(),
    spawn_link(fun() -> Self ! {done, hb_beamr:call(W, "spin", [])} end),
    timer:sleep(50),
    ok = hb_beamr:stop(W),
    ?assertEqual({error, stopped}, receive {done, R} -> R after 5000 -> error(no_reply) end).

fast_and_thread_calls_interleave() ->
    %% A raw call through the instance process runs on the thread and waits
    %% there for its import; an API call meanwhile falls back, queues, and
    %% runs once the raw call is answered.
    W = start("pow"),
    Ref = make_ref(),
    ok = hb_beamr:wasm_send(W, {call, Ref, <<"pow">>, [2.0, 1]}),
    receive {W, Ref, {import, _, _, [1.0, 2.0], _}} -> ok after 5000 -> error(no_import) end,
    Self = self(),
    #{fast_fallbacks := B0} = counters(W),
    spawn_link(fun() -> Self ! {api, hb_beamr:call(W, "pow", [3.0, 2], fun mul/2, 0)} end),
    receive {api, Early} -> error({ran_early, Early}) after 200 -> ok end,
    ok = hb_beamr:wasm_send(W, {import_response, Ref, [2.0]}),
    receive {W, Ref, Final} -> ?assertEqual({ok, [2.0]}, Final) after 5000 -> error(raw) end,
    ?assertEqual({ok, [9.0], 2}, receive {api, R} -> R after 5000 -> error(api) end),
    #{fast_fallbacks := B1} = counters(W),
    ?assert(B1 > B0),
    ok = hb_beamr:stop(W).

engine_without_fast_path_uses_the_thread_test() ->
    %% Every engine serves the same API; one that cannot suspend calls
    %% runs them all on the instance thread.
    W = start("pow"),
    #{fast_calls := F0, thread_calls := T0} = counters(W),
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(W, "pow", [2.0, 3], fun mul/2, 0)),
    #{fast_calls := F1, thread_calls := T1} = counters(W),
    case hb_beamr_test_util:engine() of
        wamr -> ?assertEqual({0, 1}, {F1 - F0, T1 - T0});
        _ -> ?assertEqual({1, 0}, {F1 - F0, T1 - T0})
    end,
    ok = hb_beamr:stop(W).

%% Loops this many times before its import: far more than a few slices.
-define(LONG, 400000000).

long_call_moves_to_the_thread() ->
    %% After a few slices on the caller's scheduler the call goes on on the
    %% instance thread, which sends its import to the caller directly.
    W = start("work_then_ask"),
    #{fast_calls := F0, thread_calls := T0} = counters(W),
    Ask = fun(S, #{args := [N]}) -> {ok, [N * 2], S + 1} end,
    ?assertEqual({ok, [2 * ?LONG + 1], 1}, hb_beamr:call(W, "work_then_ask", [?LONG], Ask, 0)),
    #{fast_calls := F1, thread_calls := T1} = counters(W),
    ?assertEqual({1, 1}, {F1 - F0, T1 - T0}),
    %% A short one stays on the fast path.
    ?assertEqual({ok, [3], 1}, hb_beamr:call(W, "work_then_ask", [1], Ask, 0)),
    #{fast_calls := F2, thread_calls := T2} = counters(W),
    ?assertEqual({1, 0}, {F2 - F1, T2 - T1}),
    ok = hb_beamr:stop(W).

caller_exit_after_the_move_frees_the_instance() ->
    W = start("work_then_ask"),
    Self = self(),
    Hang = fun(S, _) -> Self ! {asked, self()}, receive never -> {ok, [0], S} end end,
    {Pid, MRef} = spawn_monitor(fun() ->
                                        hb_beamr:call(W, "work_then_ask", [?LONG], Hang, 0)
                                end),
    receive {asked, Pid} -> ok after 20000 -> error(not_asked) end,
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, killed} -> ok after 5000 -> error(alive) end,
    Ask = fun(S, #{args := [N]}) -> {ok, [N], S} end,
    ?assertEqual({ok, [2], s}, hb_beamr:call(W, "work_then_ask", [1], Ask, s)),
    ok = hb_beamr:stop(W).

moved_call_keeps_other_callers_waiting() ->
    %% A's call moved to the thread and waits in its import; B's call must
    %% wait for A's call to end, not run nested inside A's import.
    W = start("work_then_ask"),
    Self = self(),
    Slow = fun(S, #{args := [N]}) -> Self ! {asked, self()}, receive go -> ok end, {ok, [N], S} end,
    A = spawn_link(fun() -> Self ! {a, hb_beamr:call(W, "work_then_ask", [?LONG], Slow, 0)} end),
    receive {asked, A} -> ok after 20000 -> error(not_asked) end,
    Echo = fun(S, #{args := [N]}) -> {ok, [N], S + 1} end,
    spawn_link(fun() -> Self ! {b, hb_beamr:call(W, "work_then_ask", [1], Echo, 0)} end),
    receive {b, Early} -> error({b_ran_during_a, Early}) after 300 -> ok end,
    A ! go,
    ?assertEqual({ok, [?LONG + 1], 0}, receive {a, RA} -> RA after 20000 -> error(a) end),
    ?assertEqual({ok, [2], 1}, receive {b, RB} -> RB after 5000 -> error(b) end),
    ok = hb_beamr:stop(W).

moved_call_nests_from_its_import_function() ->
    %% The import function of a moved call calls the instance again (and
    %% that call's own import is answered too), and reads its state.
    W = start("work_then_ask"),
    Inner = fun(S, #{args := [N]}) -> {ok, [N * 10], S + 1} end,
    Outer = fun(S, #{instance := I, args := [N]}) when N =:= ?LONG ->
                    {ok, [R], S2} = hb_beamr:call(I, "work_then_ask", [5], Inner, S + 1),
                    {ok, [R], S2}
            end,
    %% ask(?LONG) = work_then_ask(5) = 5 * 10 + 1 = 51, so the result is 52.
    ?assertEqual({ok, [52], 2}, hb_beamr:call(W, "work_then_ask", [?LONG], Outer, 0)),
    %% Afterwards the instance is free for plain fast calls again.
    ?assertEqual({ok, [71], 1}, hb_beamr:call(W, "work_then_ask", [7], Inner, 0)),
    ok = hb_beamr:stop(W).

fuzz_fast_path_commands_test() ->
    %% Random mutations of valid fast-path commands, and garbage, sent to
    %% every control op: each gets a reply (or badarg for an unknown op),
    %% never a crash, and the instance works afterwards.
    W = start("pow"),
    {ok, Port} = hb_beamr_ports:lookup(W),
    rand:seed(exsss, {7, 8, 9}),
    Seeds = [<<0, 0:64, 3:32, "pow", 2, 2.0:64/float, 0, 3:64>>,
             <<1, 0:64, 0:64, 0, 1:64>>,
             term_to_binary({call, make_ref(), <<"pow">>, [2.0, 3]}),
             term_to_binary({import_response, x, [1.0]}),
             term_to_binary({read, make_ref(), 0, 16})],
    lists:foreach(
      fun(I) ->
              Seed = lists:nth(rand:uniform(length(Seeds)), Seeds),
              Pos = rand:uniform(byte_size(Seed)) - 1,
              <<Before:Pos/binary, _, After/binary>> = Seed,
              Mutant = case I rem 5 of
                           0 -> garbage(rand:uniform(40));
                           _ -> <<Before/binary, (rand:uniform(256) - 1), After/binary>>
                       end,
              Op = rand:uniform(4),
              Reply = erlang:port_control(Port, Op, Mutant),
              ?assert(is_binary(Reply)),
              settle(W, Port, Reply)
      end, lists:seq(1, 500)),
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(W, "pow", [2.0, 3], fun mul/2, 0)),
    ok = hb_beamr:stop(W).

garbage(N) ->
    list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, N)]).

%% A mutant that happened to start a call leaves it suspended: finish it so
%% the next mutant finds the instance free.
settle(W, Port, <<1, Term/binary>>) ->
    case binary_to_term(Term) of
        {import, _, _, _, _} ->
            Next = erlang:port_control(Port, 2, term_to_binary({import_error, x, <<"fuzz">>})),
            settle(W, Port, Next);
        yield ->
            settle(W, Port, erlang:port_control(Port, 3, <<>>));
        {moved, Tag} ->
            receive {Port, Tag, {import, _, _, _, _}} ->
                    port_command(Port, term_to_binary({import_error, Tag, <<"fuzz">>})),
                    receive {Port, Tag, _} -> ok after 5000 -> error(no_final) end;
                {Port, Tag, _} -> ok
            after 5000 -> error(no_reply)
            end;
        _ ->
            ok
    end;
settle(_W, _Port, _Reply) ->
    ok.
