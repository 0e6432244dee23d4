%%% Runs last (by name): a storm of everything that can go wrong with an
%%% instance, all at once, then the driver's counts of live contexts and
%%% threads must come back to where they were, and at the very end of the
%%% run every context and thread left must belong to a live port.
-module(hb_beamr_99_leak_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, start/2, counts/0, settled/2]).

-define(ROUNDS, 3).

storm_leaves_nothing_behind_test_() ->
    {timeout, 300,
     fun() ->
             Before = counts(),
             Scenarios = scenarios(),
             lists:foreach(
               fun(Round) ->
                       Self = self(),
                       Pids = [spawn(fun() -> Self ! {done, self(), Name, catch Run()} end)
                               || {Name, Run} <- Scenarios],
                       Results = [receive {done, P, Name, R} -> {Name, R}
                                  after 120000 -> {timeout, P}
                                  end || P <- Pids],
                       Failed = [NR || {_, R} = NR <- Results, R =/= ok],
                       ?assertEqual({round, Round, []}, {round, Round, Failed})
               end, lists:seq(1, ?ROUNDS)),
             ?assertEqual(Before, settled(Before, 30000)),
             %% And the VM is fine.
             WASM = start("fac"),
             ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
             ok = hb_beamr:stop(WASM)
     end}.

end_of_run_counts_test() ->
    %% Whatever earlier tests left running: each live context and instance
    %% thread belongs to an open port of the driver.
    Ports = fun() -> length([P || P <- erlang:ports(),
                                  erlang:port_info(P, name) =:= {name, "hb_beamr"}])
            end,
    Check = fun() ->
                    #{contexts := C, threads := T} = counts(),
                    N = Ports(),
                    {C =< N andalso T =< N, #{contexts => C, threads => T, ports => N}}
            end,
    _ = hb_beamr_test_util:wait_until(fun() -> element(1, Check()) end, 30000),
    {Ok, Seen} = Check(),
    io:format(user, "~nend of run: ~p~n", [Seen]),
    ?assert(Ok).

%% Each scenario returns ok or what went wrong.
scenarios() ->
    [{traps, fun traps/0},
     {stack_overflow, fun stack_overflow/0},
     {memory_exhausted, fun memory_exhausted/0},
     {endless_loop_timeout, fun endless_loop_timeout/0},
     {endless_loop_stop, fun endless_loop_stop/0},
     {import_crash, fun import_crash/0},
     {owner_dies_mid_call, fun owner_dies_mid_call/0},
     {port_closes_mid_import, fun port_closes_mid_import/0},
     {stop_races_calls, fun stop_races_calls/0},
     {start_function_spins, fun start_function_spins/0},
     {nested_spin_stopped, fun nested_spin_stopped/0},
     {fuel_runs_out, fun fuel_runs_out/0}].

traps() ->
    WASM = start("traps"),
    [{error, {trap, _}} = hb_beamr:call(WASM, F, A)
     || {F, A} <- [{"unreachable", []}, {"div_by_zero", [1]}, {"oob_load", []}]],
    {ok, [42]} = hb_beamr:call(WASM, "answer", []),
    hb_beamr:stop(WASM).

stack_overflow() ->
    WASM = start("limits", #{max_stack => 64 * 1024}),
    {error, {trap, <<"call stack exhausted">>}} = hb_beamr:call(WASM, "depth", [1000000]),
    Free = start("traps"),
    {error, {trap, _}} = hb_beamr:call(Free, "stack_overflow", []),
    ok = hb_beamr:stop(Free),
    hb_beamr:stop(WASM).

memory_exhausted() ->
    WASM = start("limits", #{max_memory => 4 * 65536}),
    {ok, [1]} = hb_beamr:call(WASM, "grow", [3]),
    {ok, [-1]} = hb_beamr:call(WASM, "grow", [1]),
    {ok, [-1]} = hb_beamr:call(WASM, "grow", [65535]),
    hb_beamr:stop(WASM).

endless_loop_timeout() ->
    WASM = start("loop"),
    {error, timeout, s} = hb_beamr:call(WASM, "spin", [], fun stub/2, s, #{timeout => 50}),
    {ok, [7]} = hb_beamr:call(WASM, "count", [7]),
    hb_beamr:stop(WASM).

endless_loop_stop() ->
    WASM = start("loop"),
    Self = self(),
    spawn(fun() -> Self ! {spin, hb_beamr:call(WASM, "spin", [])} end),
    timer:sleep(30),
    ok = hb_beamr:stop(WASM),
    receive {spin, {error, stopped}} -> ok after 10000 -> error(spinner_not_told) end.

import_crash() ->
    WASM = start("pow"),
    {error, error, boom, _, s} =
        hb_beamr:call(WASM, "pow", [2.0, 3], fun(_, _) -> error(boom) end, s),
    {error, {bad_import_return, nonsense}, s} =
        hb_beamr:call(WASM, "pow", [2.0, 3], fun(_, _) -> nonsense end, s),
    {ok, [8.0], s} = hb_beamr:call(WASM, "pow", [2.0, 3], fun mul/2, s),
    hb_beamr:stop(WASM).

owner_dies_mid_call() ->
    Self = self(),
    Owner = spawn(fun() ->
                          WASM = start("loop"),
                          Self ! {wasm, self(), WASM},
                          receive die -> ok end
                  end),
    WASM = receive {wasm, Owner, W} -> W after 10000 -> error(no_instance) end,
    MRef = erlang:monitor(process, WASM),
    spawn(fun() -> Self ! {spin, hb_beamr:call(WASM, "spin", [])} end),
    timer:sleep(30),
    Owner ! die,
    receive {'DOWN', MRef, process, WASM, _} -> ok after 10000 -> error(instance_survived) end,
    receive {spin, {error, stopped}} -> ok after 10000 -> error(spinner_not_told) end.

port_closes_mid_import() ->
    %% The instance process is killed while its call waits for an import:
    %% the port closes under the waiting thread.
    WASM = start("pow"),
    Self = self(),
    Hang = fun(S, #{args := [A, B]}) -> Self ! in_import, timer:sleep(100), {ok, [A * B], S} end,
    spawn(fun() -> Self ! {pow, hb_beamr:call(WASM, "pow", [2.0, 3], Hang, s)} end),
    receive in_import -> ok after 10000 -> error(no_import) end,
    exit(WASM, kill),
    receive {pow, {error, stopped, s}} -> ok after 10000 -> error(caller_not_told) end.

stop_races_calls() ->
    %% Calls of every kind in flight while the instance stops.
    lists:foreach(
      fun(Delay) ->
              WASM = start("pow"),
              Self = self(),
              Callers = [spawn(fun() ->
                                       R = hb_beamr:call(WASM, "pow", [1.5, 20], fun mul/2, s),
                                       Self ! {raced, self(), R}
                               end) || _ <- lists:seq(1, 4)],
              timer:sleep(Delay),
              ok = hb_beamr:stop(WASM),
              [receive
                   {raced, P, {ok, _, s}} -> ok;
                   {raced, P, {error, E, s}} when E =:= stopped; E =:= not_running -> ok
               after 10000 -> error({caller_not_told, P})
               end || P <- Callers]
      end, [0, 1, 2, 5]),
    ok.

start_function_spins() ->
    Self = self(),
    {Owner, MRef} = spawn_monitor(fun() ->
                                          Self ! starting,
                                          hb_beamr:start(fixture("start_spin"))
                                  end),
    receive starting -> ok after 10000 -> error(not_started) end,
    timer:sleep(50),
    exit(Owner, kill),
    receive {'DOWN', MRef, process, Owner, _} -> ok after 10000 -> error(owner_alive) end,
    ok.

nested_spin_stopped() ->
    WASM = start("nested_spin"),
    Self = self(),
    Reenter = fun(S, _) -> Self ! nested, _ = hb_beamr:call(WASM, "spin", []), {ok, [], S} end,
    spawn(fun() -> Self ! {outer, hb_beamr:call(WASM, "outer", [], Reenter, s)} end),
    receive nested -> ok after 10000 -> error(no_import) end,
    timer:sleep(30),
    ok = hb_beamr:stop(WASM),
    receive {outer, {error, stopped, s}} -> ok after 10000 -> error(caller_not_told) end.

fuel_runs_out() ->
    case hb_beamr_test_util:missing_reason(fuel) of
        none ->
            WASM = start("loop", #{fuel => 10000}),
            {error, {trap, <<"all fuel consumed">>}} = hb_beamr:call(WASM, "spin", []),
            hb_beamr:stop(WASM);
        _ ->
            {error, {unsupported, _}} = hb_beamr:start(fixture("loop"), wasm, #{fuel => 10000}),
            ok
    end.

%%% Helpers

stub(State, _Request) -> {ok, [], State}.

mul(S, #{args := [A, B]}) -> {ok, [A * B], S}.
