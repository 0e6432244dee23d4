%%% Many clients on one instance, long calls, and stopping while busy.
-module(hb_beamr_07_concurrency_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1, wait_until/2, info/1]).

-define(LONG_COUNT, 4294967295). % i32 -1: count() loops 2^32 - 1 times

multi_client_test() ->
    %% Processes other than the starter call the same instance at once.
    WASM = start("erl_io"),
    Self = self(),
    Clients = [spawn_link(fun() ->
                                  Rs = [hb_beamr:call(WASM, "sum_bytes", [0, 0])
                                        || _ <- lists:seq(1, 50)],
                                  {ok, Ptr} = hb_beamr_io:write_string(WASM, integer_to_list(K)),
                                  {ok, S} = hb_beamr_io:read_string(WASM, Ptr),
                                  ok = hb_beamr_io:free(WASM, Ptr),
                                  Self ! {done, self(), Rs, S, K}
                          end) || K <- lists:seq(1, 8)],
    lists:foreach(
      fun(Pid) ->
              receive
                  {done, Pid, Rs, S, K} ->
                      ?assertEqual(lists:duplicate(50, {ok, [0]}), Rs),
                      ?assertEqual(integer_to_binary(K), S)
              after 30000 -> error(timeout)
              end
      end, Clients),
    ok = hb_beamr:stop(WASM).

multi_client_imports_test() ->
    %% Clients with imports: each gets its own import requests and state.
    WASM = start("pow"),
    Self = self(),
    Mul = fun(Calls, #{args := [A, B]}) -> {ok, [A * B], Calls + 1} end,
    Clients = [spawn_link(fun() ->
                                  R = [hb_beamr:call(WASM, "pow", [float(K), E], Mul, 0)
                                       || E <- lists:seq(0, 6)],
                                  Self ! {done, self(), K, R}
                          end) || K <- lists:seq(1, 6)],
    lists:foreach(
      fun(Pid) ->
              receive
                  {done, Pid, K, R} ->
                      ?assertEqual([{ok, [math:pow(float(K), E)], E} || E <- lists:seq(0, 6)], R)
              after 30000 -> error(timeout)
              end
      end, Clients),
    ok = hb_beamr:stop(WASM).

long_call_does_not_block_vm_test_() ->
    {timeout, 120,
     fun() ->
             WASM = start("loop"),
             Self = self(),
             Caller = spawn_link(fun() ->
                                         Self ! {result, hb_beamr:call(WASM, "count", [?LONG_COUNT])}
                                 end),
             %% While it computes, the VM (and other instances) go on: another
             %% instance starts and answers before the long call is done.
             %% Ordering, not wall-clock time, so a busy machine cannot fail it.
             Other = start("fac"),
             ?assertEqual({ok, [120.0]}, hb_beamr:call(Other, "fac", [5.0])),
             ?assertEqual(still_running,
                          receive {result, _} = Early -> {finished_first, Early}
                          after 0 -> still_running
                          end),
             receive
                 {result, R} -> ?assertEqual({ok, [-1]}, R)
             after 110000 -> error({timeout, Caller})
             end,
             ok = hb_beamr:stop(Other),
             ok = hb_beamr:stop(WASM)
     end}.

stop_during_long_call_test_() ->
    {timeout, 120,
     fun() ->
             Probe = start("fac"),
             #{threads := Threads0, contexts := Contexts0} = info(Probe),
             WASM = start("loop"),
             Self = self(),
             Caller = spawn_link(fun() ->
                                         Self ! {result, hb_beamr:call(WASM, "count", [?LONG_COUNT])}
                                 end),
             timer:sleep(200),
             T0 = erlang:monotonic_time(millisecond),
             ?assertEqual(ok, hb_beamr:stop(WASM)),
             receive
                 {result, R} -> ?assertEqual({error, stopped}, R)
             after 5000 -> error({caller_not_told, Caller})
             end,
             ?assert(erlang:monotonic_time(millisecond) - T0 < 2000),
             ?assertEqual({error, not_running}, hb_beamr:call(WASM, "count", [1])),
             %% The computation is interrupted: its thread and context are
             %% gone (within milliseconds; the bound is generous).
             ?assert(wait_until(fun() ->
                                        maps:with([threads, contexts], info(Probe))
                                            =:= #{threads => Threads0,
                                                  contexts => Contexts0}
                                end, 100000)),
             ok = hb_beamr:stop(Probe)
     end}.

stop_during_import_test() ->
    %% Stopping an instance whose call waits for an import: the caller gets
    %% an error and the thread ends at once.
    Probe = start("fac"),
    #{threads := Threads0} = info(Probe),
    WASM = start("pow"),
    Self = self(),
    Slow = fun(S, #{args := [A, B]}) ->
                   Self ! in_import,
                   receive go -> {ok, [A * B], S} end
           end,
    Caller = spawn_link(fun() -> Self ! {result, hb_beamr:call(WASM, "pow", [2.0, 3], Slow, s)} end),
    receive in_import -> ok after 5000 -> error(no_import) end,
    ok = hb_beamr:stop(WASM),
    Caller ! go,
    receive {result, R} -> ?assertEqual({error, stopped, s}, R)
    after 5000 -> error(no_result)
    end,
    ?assert(wait_until(fun() -> maps:get(threads, info(Probe)) =:= Threads0 end, 2000)),
    ok = hb_beamr:stop(Probe).

caller_exit_during_import_test() ->
    %% A caller that dies while its import is pending does not wedge the
    %% instance: others can still call it.
    WASM = start("pow"),
    Self = self(),
    Hang = fun(_, _) -> Self ! in_import, receive never -> error(unreachable) end end,
    {Caller, MRef} = spawn_monitor(fun() -> hb_beamr:call(WASM, "pow", [2.0, 3], Hang, s) end),
    receive in_import -> ok after 5000 -> error(no_import) end,
    exit(Caller, kill),
    receive {'DOWN', MRef, process, Caller, killed} -> ok after 5000 -> error(alive) end,
    Mul = fun(S, #{args := [A, B]}) -> {ok, [A * B], S} end,
    ?assertEqual({ok, [8.0], s}, hb_beamr:call(WASM, "pow", [2.0, 3], Mul, s)),
    ok = hb_beamr:stop(WASM).

queued_calls_wait_for_import_test() ->
    %% While one client's call waits in an import, another client's call is
    %% not run inside it: it runs after.
    WASM = start("pow"),
    Self = self(),
    Slow = fun(S, #{args := [A, B]}) ->
                   Self ! {in_import, self()},
                   receive go -> {ok, [A * B], [A | S]} end
           end,
    First = spawn_link(fun() -> Self ! {first, hb_beamr:call(WASM, "pow", [2.0, 1], Slow, [])} end),
    receive {in_import, First} -> ok after 5000 -> error(no_import) end,
    Second = spawn_link(fun() ->
                                Self ! {second, hb_beamr:call(WASM, "pow", [3.0, 2],
                                                              fun(S, #{args := [A, B]}) ->
                                                                      {ok, [A * B], S + 1}
                                                              end, 0)}
                        end),
    receive {second, Early} -> error({second_ran_inside_first, Early}) after 300 -> ok end,
    First ! go,
    receive {first, R1} -> ?assertEqual({ok, [2.0], [1.0]}, R1) after 5000 -> error(first) end,
    receive {second, R2} -> ?assertEqual({ok, [9.0], 2}, R2) after 5000 -> error({second, Second}) end,
    ok = hb_beamr:stop(WASM).
