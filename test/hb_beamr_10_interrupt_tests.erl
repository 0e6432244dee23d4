%%% Stopping running WebAssembly: call time limits, stop/1 during endless
%%% loops, and a VM that stays responsive meanwhile. Bounds are generous: the
%%% point is that calls end at all, and instances stay usable.
-module(hb_beamr_10_interrupt_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1, counts/0, settled/2]).

%% Every bound below is far above what is expected (milliseconds).
-define(SLACK_MS, 3000).

timeout_stops_an_endless_loop_test_() ->
    {timeout, 60,
     fun() ->
             WASM = start("loop"),
             {Result, Elapsed} = timed(fun() -> call(WASM, "spin", [], 200) end),
             ?assertEqual({error, timeout, s}, Result),
             ?assert(Elapsed >= 200),
             ?assert(Elapsed < 200 + ?SLACK_MS),
             io:format(user, "~ntimeout 200 ms: answered after ~b ms~n", [Elapsed]),
             %% The instance stays usable, and the limit applies every time.
             ?assertEqual({ok, [10]}, hb_beamr:call(WASM, "count", [10])),
             ?assertEqual({error, timeout, s}, call(WASM, "spin", [], 50)),
             ?assertEqual({ok, [10], s}, call(WASM, "count", [10], 5000)),
             ?assertEqual({ok, [10], s}, call(WASM, "count", [10], infinity)),
             ok = hb_beamr:stop(WASM)
     end}.

timeout_is_per_instance_test_() ->
    %% One instance timing out leaves another's long call alone.
    {timeout, 120,
     fun() ->
             Victim = start("loop"),
             Bystander = start("loop"),
             Self = self(),
             spawn_link(fun() -> Self ! {count, hb_beamr:call(Bystander, "count", [300000000])} end),
             ?assertEqual({error, timeout, s}, call(Victim, "spin", [], 100)),
             receive {count, R} -> ?assertEqual({ok, [300000000]}, R)
             after 100000 -> error(bystander_never_finished)
             end,
             ok = hb_beamr:stop(Victim),
             ok = hb_beamr:stop(Bystander)
     end}.

timeout_of_indirect_call_test() ->
    WASM = start("indirect"),
    ?assertEqual({ok, [5], s}, hb_beamr:call(WASM, 0, [2, 3], fun stub/2, s, #{timeout => 5000})),
    ok = hb_beamr:stop(WASM).

timeout_option_is_checked_test_() ->
    WASM = start("fac"),
    Call = fun(Timeout) -> hb_beamr:call(WASM, "fac", [5.0], fun stub/2, s, #{timeout => Timeout}) end,
    {setup, fun() -> WASM end, fun hb_beamr:stop/1,
     [?_assertEqual({error, {badopt, timeout}, s}, Call(0)),
      ?_assertEqual({error, {badopt, timeout}, s}, Call(-5)),
      ?_assertEqual({error, {badopt, timeout}, s}, Call(1.5)),
      ?_assertEqual({error, {badopt, timeout}, s}, Call(soon)),
      ?_assertEqual({ok, [120.0], s}, Call(infinity)),
      ?_assertEqual({ok, [120.0], s}, Call(1 bsl 70)), % longer than anyone waits
      %% Other keys are the import function's business.
      ?_assertEqual({ok, [120.0], s},
                    hb_beamr:call(WASM, "fac", [5.0], fun stub/2, s, #{mine => 1})),
      %% Raw commands with a bad time limit are refused by the driver.
      ?_assertEqual({error, badarg}, hb_beamr:request(WASM, call, [<<"fac">>, [5.0], -1])),
      ?_assertEqual({error, badarg}, hb_beamr:request(WASM, call, [<<"fac">>, [5.0], soon])),
      ?_assertEqual({ok, [120.0]}, hb_beamr:request(WASM, call, [<<"fac">>, [5.0], infinity]))]}.

timeout_while_import_runs_test_() ->
    %% The import function cannot be preempted: the call fails with timeout
    %% as soon as it returns, without resuming WebAssembly.
    {timeout, 60,
     fun() ->
             WASM = start("pow"),
             Slow = fun(N, #{args := [A, B]}) -> timer:sleep(300), {ok, [A * B], N + 1} end,
             {Result, Elapsed} =
                 timed(fun() ->
                               hb_beamr:call(WASM, "pow", [2.0, 5], Slow, 0, #{timeout => 100})
                       end),
             ?assertEqual({error, timeout, 1}, Result),
             ?assert(Elapsed >= 300),
             ?assert(Elapsed < 300 + ?SLACK_MS),
             %% Fast enough: no timeout.
             Mul = fun(N, #{args := [A, B]}) -> {ok, [A * B], N + 1} end,
             ?assertEqual({ok, [32.0], 5},
                          hb_beamr:call(WASM, "pow", [2.0, 5], Mul, 0, #{timeout => 5000})),
             ok = hb_beamr:stop(WASM)
     end}.

timeout_covers_nested_calls_test_() ->
    %% outer() calls an import whose function calls spin() on the same
    %% instance: the outer call's limit stops the nested loop, and both fail.
    {timeout, 60,
     fun() ->
             WASM = start("nested_spin"),
             Reenter = fun(_, _) ->
                               {ok, [], hb_beamr:call(WASM, "spin", [], fun stub/2, inner,
                                                      #{timeout => infinity})}
                       end,
             {Result, Elapsed} =
                 timed(fun() ->
                               hb_beamr:call(WASM, "outer", [], Reenter, none, #{timeout => 200})
                       end),
             ?assertEqual({error, timeout, {error, timeout, inner}}, Result),
             ?assert(Elapsed < 200 + ?SLACK_MS),
             ?assertEqual({error, timeout, s}, call(WASM, "spin", [], 50)),
             ok = hb_beamr:stop(WASM)
     end}.

stop_interrupts_an_endless_loop_test_() ->
    {timeout, 60,
     fun() ->
             Before = counts(),
             WASM = start("loop"),
             Self = self(),
             spawn_link(fun() -> Self ! {spin, hb_beamr:call(WASM, "spin", [])} end),
             timer:sleep(100),
             {ok, Elapsed} = timed(fun() -> hb_beamr:stop(WASM) end),
             receive {spin, R} -> ?assertEqual({error, stopped}, R)
             after 5000 -> error(caller_not_told)
             end,
             ?assert(Elapsed < ?SLACK_MS),
             %% Its thread is joined and its context freed.
             ?assertEqual(Before, settled(Before, 10000))
     end}.

stop_interrupts_a_nested_loop_test_() ->
    {timeout, 60,
     fun() ->
             Before = counts(),
             WASM = start("nested_spin"),
             Self = self(),
             Reenter = fun(S, _) ->
                               Self ! nested,
                               {error, stopped} = hb_beamr:call(WASM, "spin", []),
                               {ok, [], S}
                       end,
             spawn_link(fun() -> Self ! {outer, hb_beamr:call(WASM, "outer", [], Reenter, s)} end),
             receive nested -> ok after 5000 -> error(no_import) end,
             timer:sleep(100),
             ok = hb_beamr:stop(WASM),
             receive {outer, R} -> ?assertEqual({error, stopped, s}, R)
             after 5000 -> error(caller_not_told)
             end,
             ?assertEqual(Before, settled(Before, 10000))
     end}.

owner_exit_interrupts_a_start_function_test_() ->
    %% A start function that never returns ends with its owner.
    {timeout, 60,
     fun() ->
             Before = counts(),
             Self = self(),
             {Owner, MRef} = spawn_monitor(
                               fun() ->
                                       Self ! starting,
                                       hb_beamr:start(hb_beamr_test_util:fixture("start_spin"))
                               end),
             receive starting -> ok after 5000 -> error(not_started) end,
             timer:sleep(300),
             exit(Owner, kill),
             receive {'DOWN', MRef, process, Owner, _} -> ok end,
             ?assertEqual(Before, settled(Before, 10000))
     end}.

vm_stays_responsive_test_() ->
    %% Two instances spin on a 2-core machine; a process pinging another
    %% every 10 ms keeps getting answers.
    {timeout, 60,
     fun() ->
             Spinners = [start("loop") || _ <- [1, 2]],
             Self = self(),
             [spawn_link(fun() -> Self ! {spun, call(W, "spin", [], 2000)} end)
              || W <- Spinners],
             timer:sleep(50),
             Echo = spawn_link(fun Echo() -> receive {ping, P, N} -> P ! {pong, N}, Echo() end end),
             Latencies = ping(Echo, 100, []),
             unlink(Echo),
             exit(Echo, kill),
             [receive {spun, R} -> ?assertEqual({error, timeout, s}, R)
              after 30000 -> error(spinner_not_stopped)
              end || _ <- Spinners],
             Max = lists:max(Latencies),
             io:format(user, "~nping every 10 ms while 2 instances spin: ~b answers, "
                       "max round trip ~b us~n", [length(Latencies), Max]),
             ?assertEqual(100, length(Latencies)),
             ?assert(Max < 500000), % 0.5 s: generous; expected well under 10 ms
             lists:foreach(fun hb_beamr:stop/1, Spinners)
     end}.

%%% Helpers

stub(State, _Request) -> {ok, [], State}.

call(WASM, Func, Args, Timeout) ->
    hb_beamr:call(WASM, Func, Args, fun stub/2, s, #{timeout => Timeout}).

timed(Fun) ->
    T0 = erlang:monotonic_time(millisecond),
    Result = Fun(),
    {Result, erlang:monotonic_time(millisecond) - T0}.

%% Round-trip times in microseconds of N pings, one every 10 ms.
ping(_Echo, 0, Acc) ->
    lists:reverse(Acc);
ping(Echo, N, Acc) ->
    T0 = erlang:monotonic_time(microsecond),
    Echo ! {ping, self(), N},
    receive {pong, N} -> ok after 10000 -> error({no_pong, N}) end,
    Rtt = erlang:monotonic_time(microsecond) - T0,
    timer:sleep(10),
    ping(Echo, N - 1, [Rtt | Acc]).
