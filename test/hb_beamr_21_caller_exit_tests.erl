%%% A caller that dies while its call runs on the instance thread takes its
%%% call with it (issue 13, item 5): the WebAssembly stops, and the next
%%% caller gets the instance. On WAMR every call runs on the thread; on
%%% Wasmtime a call moves there after a few milliseconds of inline slices.
%%% Every test has a time limit, so a regression fails instead of hanging.
-module(hb_beamr_21_caller_exit_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LIMIT, 30).
%% Long past the fast path's hand-over (about 3 ms) and any WAMR start-up.
-define(ON_THE_THREAD_MS, 200).

%% Starts Fun in a process that the test can kill, and gives the call time
%% to reach the instance thread.
spawn_caller(Fun) ->
    {Pid, MRef} = spawn_monitor(Fun),
    timer:sleep(?ON_THE_THREAD_MS),
    {Pid, MRef}.

kill(Pid, MRef) ->
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, killed} -> ok end.

killed_in_an_endless_loop_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             W = hb_beamr_test_util:start("loop"),
             {Pid, MRef} = spawn_caller(fun() -> hb_beamr:call(W, "spin", []) end),
             kill(Pid, MRef),
             %% Only once the spin is over can another call run.
             ?assertEqual({ok, [10]}, hb_beamr:call(W, "count", [10])),
             ok = hb_beamr:stop(W)
     end}.

killed_in_a_loop_with_an_import_function_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             W = hb_beamr_test_util:start("loop"),
             Import = fun(S, _) -> {ok, [], S} end,
             {Pid, MRef} = spawn_caller(fun() -> hb_beamr:call(W, "spin", [], Import, s) end),
             kill(Pid, MRef),
             ?assertEqual({ok, [7], s}, hb_beamr:call(W, "count", [7], Import, s)),
             ok = hb_beamr:stop(W)
     end}.

others_waiting_behind_it_go_on_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             W = hb_beamr_test_util:start("loop"),
             {Pid, MRef} = spawn_caller(fun() -> hb_beamr:call(W, "spin", []) end),
             Self = self(),
             %% These queue behind the spin; they must all be served.
             Waiters = [spawn_link(fun() -> Self ! {done, N, hb_beamr:call(W, "count", [N])} end)
                        || N <- lists:seq(1, 5)],
             timer:sleep(50),
             kill(Pid, MRef),
             Results = [receive {done, N, R} -> R end || N <- lists:seq(1, 5)],
             ?assertEqual([{ok, [N]} || N <- lists:seq(1, 5)], Results),
             ?assertEqual(5, length(Waiters)),
             ok = hb_beamr:stop(W)
     end}.
