%%% Tests that run in a child Erlang VM of their own: ones that watch the
%%% driver being unloaded, or that would take the VM down if the driver got
%%% them wrong (WebAssembly that never returns, very deep native stacks).
-module(hb_beamr_08_isolated_tests).

-include_lib("eunit/include/eunit.hrl").

%% Run inside the child VM.
-export([child_stop_spin/0, child_start_spin/0, child_deep_stack/0]).

-define(MiB, (1024 * 1024)).

stop_during_spin_test_() ->
    %% spin() never returns: stop answers the caller at once and interrupts
    %% it, so its thread ends and is joined, and the driver is not kept in
    %% memory: it unloads once nobody uses it, and loads again.
    %% (Until interruption existed, the thread ran on and the driver locked
    %% itself in memory for good.)
    {timeout, 60,
     fun() ->
             ?assertEqual({ok, {error, stopped}, fast,
                           #{contexts => 1, threads => 1}, unloadable, unloaded,
                           {ok, [120.0]}},
                          run_isolated(child_stop_spin))
     end}.

start_spin_owner_exit_test_() ->
    %% A start function that never returns: the owner gives up (exits), the
    %% instantiation is interrupted and everything is freed.
    {timeout, 60,
     fun() ->
             ?assertEqual({ok, #{contexts => 1, threads => 1}, unloadable, unloaded},
                          run_isolated(child_start_spin))
     end}.

deep_stack_test_() ->
    %% max_stack near the maximum: the instance thread's stack is sized to
    %% hold it, so recursion that uses most of it traps cleanly (or returns)
    %% instead of overflowing the thread's real stack, which would kill the
    %% VM.
    {timeout, 120,
     fun() ->
             ?assertMatch({ok, {Depth, {ok, [Depth]}},
                           {error, {trap, <<"call stack exhausted">>}},
                           {ok, [10]}, {error, {trap, <<"call stack exhausted">>}}},
                          run_isolated(child_deep_stack))
     end}.

child_stop_spin() ->
    {ok, WASM, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("loop")),
    Self = self(),
    spawn(fun() -> Self ! {spin, hb_beamr:call(WASM, "spin", [])} end),
    timer:sleep(200),
    T0 = erlang:monotonic_time(millisecond),
    ok = hb_beamr:stop(WASM),
    Result = receive {spin, R} -> R after 5000 -> no_reply end,
    Elapsed = erlang:monotonic_time(millisecond) - T0,
    {Counts, Permanent} = probe(),
    Unloaded = unloaded(),
    {ok, Fac, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("fac")),
    FacResult = hb_beamr:call(Fac, "fac", [5.0]),
    ok = hb_beamr:stop(Fac),
    {ok, Result, case Elapsed < 2000 of true -> fast; false -> {slow, Elapsed} end,
     Counts, Permanent, Unloaded, FacResult}.

child_start_spin() ->
    Self = self(),
    {Owner, MRef} = spawn_monitor(
                      fun() ->
                              Self ! starting,
                              hb_beamr:start(hb_beamr_test_util:fixture("start_spin"))
                      end),
    receive starting -> ok end,
    timer:sleep(300),
    exit(Owner, kill),
    receive {'DOWN', MRef, process, Owner, _} -> ok end,
    {Counts, Permanent} = probe(),
    {ok, Counts, Permanent, unloaded()}.

child_deep_stack() ->
    {ok, W, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("limits"), wasm,
                                   #{max_stack => 62 * ?MiB}),
    %% Frames that need tens of MiB: far more than the default stack, and
    %% more than a thread of the default 8 MiB could hold. A million on
    %% Wasmtime; WAMR's classic interpreter uses about three times as much
    %% stack per frame, so a quarter as many there.
    Depth = case hb_beamr_test_util:engine() of
                wamr -> 250000;
                _ -> 1000000
            end,
    Deep = {Depth, hb_beamr:call(W, "depth", [Depth])},
    Endless = hb_beamr:call(W, "depth", [100000000]),
    After = hb_beamr:call(W, "depth", [10]),
    ok = hb_beamr:stop(W),
    {ok, D, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("limits")),
    Default = hb_beamr:call(D, "depth", [1000000]),
    ok = hb_beamr:stop(D),
    {ok, Deep, Endless, After, Default}.

%% Once the instances above are gone: the driver's counts, seen from a new
%% instance, and whether the driver is locked in memory.
probe() ->
    {ok, Probe, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("fac")),
    Counts = fun() ->
                     {ok, Info} = hb_beamr:request(Probe, info, []),
                     maps:with([contexts, threads], maps:from_list(Info))
             end,
    _ = hb_beamr_test_util:wait_until(
          fun() -> Counts() =:= #{contexts => 1, threads => 1} end, 5000),
    Result = {Counts(), case erl_ddll:info(hb_beamr, permanent) of
                            true -> permanent;
                            false -> unloadable
                        end},
    ok = hb_beamr:stop(Probe),
    Result.

%% With no instance left, nobody uses the driver: it is unloaded.
unloaded() ->
    Loaded = fun() -> lists:member("hb_beamr", element(2, erl_ddll:loaded_drivers())) end,
    case hb_beamr_test_util:wait_until(fun() -> not Loaded() end, 5000) of
        true -> unloaded;
        false -> still_loaded
    end.

%%% Helpers

run_isolated(Fun) ->
    hb_beamr_test_util:run_isolated(?MODULE, Fun).
