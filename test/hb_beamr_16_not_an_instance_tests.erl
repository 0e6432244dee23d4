%%% Calls, stop and memory access on a pid that is not an instance: each
%%% returns an error at once instead of waiting forever for an answer that
%%% never comes (issue 13, item 4). Every test has a short time limit, so a
%%% regression fails here instead of hanging the suite.
-module(hb_beamr_16_not_an_instance_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LIMIT, 10).

%% A live process that is not an instance.
bystander() ->
    spawn(fun() -> receive stop -> ok end end).

refused(Pid) ->
    [?assertEqual({error, not_an_instance}, hb_beamr:call(Pid, "fac", [1.0])),
     ?assertEqual({error, not_an_instance, st},
                  hb_beamr:call(Pid, "fac", [1.0], fun(S, _) -> {ok, [], S} end, st)),
     ?assertEqual({error, not_an_instance}, hb_beamr_io:size(Pid)),
     ?assertEqual({error, not_an_instance}, hb_beamr_io:read(Pid, 0, 4)),
     ?assertEqual({error, not_an_instance}, hb_beamr_io:write(Pid, 0, <<1>>)),
     ?assertEqual({error, not_an_instance}, hb_beamr:serialize(Pid)),
     ?assertEqual({error, not_an_instance}, hb_beamr:deserialize(Pid, <<0:65536/unit:8>>)),
     ?assertEqual({error, not_an_instance}, hb_beamr:stop(Pid))].

self_test_() ->
    {timeout, ?LIMIT, fun() -> refused(self()) end}.

other_process_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             Pid = bystander(),
             try
                 refused(Pid),
                 %% It received nothing meant for an instance.
                 ?assertEqual({messages, []}, erlang:process_info(Pid, messages))
             after
                 Pid ! stop
             end
     end}.

dead_process_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             {Pid, MRef} = spawn_monitor(fun() -> ok end),
             receive {'DOWN', MRef, process, Pid, _} -> ok end,
             ?assertEqual({error, not_running}, hb_beamr:call(Pid, "fac", [1.0])),
             ?assertEqual(ok, hb_beamr:stop(Pid))
     end}.

instances_still_answer_test_() ->
    {timeout, ?LIMIT,
     fun() ->
             WASM = hb_beamr_test_util:start("erl_io"),
             ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "bump", [])),
             ?assertEqual({ok, 131072}, hb_beamr_io:size(WASM)),
             ?assertEqual(ok, hb_beamr:stop(WASM)),
             ?assertEqual({error, not_running}, hb_beamr:call(WASM, "bump", []))
     end}.
