%%% An owner that dies while its instance compiles a large module (issue 13,
%%% item 8): the port's stop callback runs on a scheduler, so it must return
%%% at once rather than wait for a compile no engine can interrupt; the
%%% compile finishes alone, frees its instance and the VM stays healthy. Run
%%% in a child VM: a use-after-free there would crash the VM.
-module(hb_beamr_26_stop_during_compile_tests).

-include_lib("eunit/include/eunit.hrl").

-export([kill_owner_during_compile/0, big_module/2]).

%% Long enough for the compile to outlast any wait the stop callback could
%% have had (it waited 500 ms before the fix).
-define(FUNCTIONS, 3000).
-define(STATEMENTS, 300).
%% Generous: the stop callback now waits at most a few milliseconds.
-define(PROMPT_MS, 250).

owner_killed_during_compile_test_() ->
    {timeout, 120,
     fun() ->
             Result = hb_beamr_test_util:run_isolated(?MODULE,
                                                      kill_owner_during_compile),
             ?assertMatch(#{settled := true, healthy := true}, Result),
             #{stop_ms := StopMs, compiling_after_stop := Compiling} = Result,
             case hb_beamr_test_util:engine() of
                 wasmtime ->
                     %% Ordering: the port was gone while its compile ran.
                     ?assert(Compiling),
                     ?assert(StopMs < ?PROMPT_MS);
                 wamr ->
                     %% WAMR's interpreter loads without compiling: the load
                     %% may end first, but stopping is prompt either way.
                     ?assert(StopMs < ?PROMPT_MS)
             end
     end}.

%% @doc In the child VM: starts a large module from a process killed while
%% the module compiles, and reports how long the port took to close, whether
%% the compile still ran after it closed, whether the driver's contexts and
%% threads came back to what they were, and whether the VM still runs
%% instances.
-spec kill_owner_during_compile() -> map().
kill_owner_during_compile() ->
    Wasm = big_module(?FUNCTIONS, ?STATEMENTS),
    Before = hb_beamr_test_util:counts(),
    Ports = hb_ports(),
    Owner = spawn(fun() -> hb_beamr:start(Wasm) end),
    Port = new_port(Ports, 5000),
    %% The init is the port's first command; let its compile get going.
    timer:sleep(100),
    MRef = erlang:monitor(port, Port),
    T0 = erlang:monotonic_time(millisecond),
    exit(Owner, kill),
    receive {'DOWN', MRef, port, Port, _} -> ok end,
    StopMs = erlang:monotonic_time(millisecond) - T0,
    #{threads := Threads} = hb_beamr_test_util:counts(),
    Compiling = Threads > maps:get(threads, Before),
    Settled = hb_beamr_test_util:settled(Before, 60000) =:= Before,
    W = hb_beamr_test_util:start("fac"),
    Healthy = hb_beamr:call(W, "fac", [5.0]) =:= {ok, [120.0]},
    ok = hb_beamr:stop(W),
    #{stop_ms => StopMs, compiling_after_stop => Compiling,
      settled => Settled, healthy => Healthy}.

hb_ports() ->
    [P || P <- erlang:ports(), erlang:port_info(P, name) =:= {name, "hb_beamr"}].

new_port(Old, TimeoutMs) when TimeoutMs > 0 ->
    case hb_ports() -- Old of
        [Port | _] -> Port;
        [] -> timer:sleep(1), new_port(Old, TimeoutMs - 1)
    end.

%% @doc A valid module of `Functions' functions of `Statements' arithmetic
%% statements each (about 10 bytes of code per statement); only the first is
%% exported, but an engine compiles them all.
-spec big_module(pos_integer(), pos_integer()) -> binary().
big_module(Functions, Statements) ->
    Type = section(1, [1, 16#60, 1, 16#7f, 1, 16#7f]),
    Funcs = section(3, [uleb(Functions) | lists:duplicate(Functions, 0)]),
    Export = section(7, [1, uleb(2), "f0", 0, 0]),
    Bodies = [body(F, Statements) || F <- lists:seq(0, Functions - 1)],
    Code = section(10, [uleb(Functions) | Bodies]),
    iolist_to_binary([<<0, "asm", 1, 0, 0, 0>>, Type, Funcs, Export, Code]).

%% x = x * C1 + C2, repeated; constants below 64 are one signed LEB byte.
body(F, Statements) ->
    Code = iolist_to_binary(
             [[[16#20, 0, 16#41, (F + S) rem 60 + 2, 16#6c,
                16#41, (F * 3 + S) rem 60 + 1, 16#6a, 16#21, 0]
               || S <- lists:seq(1, Statements)],
              16#20, 0, 16#0b]),
    Local = <<0, Code/binary>>, % no local declarations
    [uleb(byte_size(Local)), Local].

section(Id, Content) ->
    Bin = iolist_to_binary(Content),
    [Id, uleb(byte_size(Bin)), Bin].

uleb(N) when N < 128 -> [N];
uleb(N) -> [(N band 127) bor 128 | uleb(N bsr 7)].
