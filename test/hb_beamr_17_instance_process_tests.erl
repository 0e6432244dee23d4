%%% The instance process is a proc_lib process that answers sys's system
%%% messages (issue 12): sys:get_state/1, sys:get_status/1, sys:suspend/1
%%% and sys:resume/1 work on it, and it goes on serving afterwards.
-module(hb_beamr_17_instance_process_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

started_by_proc_lib_test() ->
    WASM = start("fac"),
    ?assertEqual({hb_beamr_instance, init, 2}, proc_lib:translate_initial_call(WASM)),
    {dictionary, Dict} = erlang:process_info(WASM, dictionary),
    ?assertEqual(self(), hd(proplists:get_value('$ancestors', Dict))),
    ok = hb_beamr:stop(WASM).

get_state_test() ->
    WASM = start("fac"),
    State = sys:get_state(WASM, 5000),
    ?assertEqual(instance, element(1, State)),
    %% The state holds the instance's port.
    {ok, Port} = hb_beamr_ports:lookup(WASM),
    ?assert(lists:member(Port, tuple_to_list(State))),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ok = hb_beamr:stop(WASM).

get_status_test() ->
    WASM = start("fac"),
    {status, Pid, {module, Module}, [_PDict, SysState, Parent, _Debug, _Misc]} =
        sys:get_status(WASM, 5000),
    ?assertEqual({WASM, hb_beamr_instance, running, self()},
                 {Pid, Module, SysState, Parent}),
    ok = hb_beamr:stop(WASM).

suspend_and_resume_test() ->
    WASM = start("fac"),
    ok = sys:suspend(WASM, 5000),
    {status, _, _, [_, suspended | _]} = sys:get_status(WASM, 5000),
    %% A command through the instance process waits while it is suspended...
    Ref = make_ref(),
    ok = hb_beamr:wasm_send(WASM, {ping, Ref}),
    ?assertEqual(waiting, receive {WASM, Ref, R} -> {early, R} after 200 -> waiting end),
    %% ...and is served once it resumes.
    ok = sys:resume(WASM, 5000),
    ?assertEqual(pong, receive {WASM, Ref, R2} -> R2 after 5000 -> timeout end),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual({ok, [6.0], st},
                 hb_beamr:call(WASM, "fac", [3.0], fun(S, _) -> {ok, [], S} end, st)),
    ok = hb_beamr:stop(WASM).

stop_while_suspended_test() ->
    %% stop/1 is served once the instance resumes; sys:terminate/2 stops it
    %% as stop/1 does.
    WASM = start("fac"),
    ok = sys:suspend(WASM, 5000),
    Self = self(),
    spawn_link(fun() -> Self ! {stopped, hb_beamr:stop(WASM)} end),
    ?assertEqual(waiting, receive {stopped, R} -> {early, R} after 200 -> waiting end),
    ok = sys:resume(WASM, 5000),
    ?assertEqual(ok, receive {stopped, R2} -> R2 after 5000 -> timeout end),
    ?assertEqual({error, not_running}, hb_beamr:call(WASM, "fac", [1.0])),
    W2 = start("fac"),
    ok = sys:terminate(W2, shutdown, 5000),
    ?assertEqual({error, not_running}, hb_beamr:call(W2, "fac", [1.0])).
