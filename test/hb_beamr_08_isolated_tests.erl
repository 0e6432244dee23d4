%%% Tests that run in a child Erlang VM of their own: ones that leave the
%%% driver locked in memory (WebAssembly that never returns).
-module(hb_beamr_08_isolated_tests).

-include_lib("eunit/include/eunit.hrl").

%% Run inside the child VM.
-export([child_stop_spin/0]).

stop_during_spin_test_() ->
    %% spin() never returns and cannot be interrupted: stop still answers the
    %% caller at once, and the driver stays loaded for good, since the
    %% thread still runs its code.
    {timeout, 60,
     fun() ->
             ?assertEqual({ok, {error, stopped}, fast, permanent, {ok, [120.0]}},
                          run_isolated(child_stop_spin))
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
    Permanent = case erl_ddll:info(hb_beamr, permanent) of
                    true -> permanent;
                    false -> unloadable
                end,
    {ok, Fac, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("fac")),
    FacResult = hb_beamr:call(Fac, "fac", [5.0]),
    ok = hb_beamr:stop(Fac),
    {ok, Result, case Elapsed < 2000 of true -> fast; false -> {slow, Elapsed} end,
     Permanent, FacResult}.

%%% Helpers

%% Runs ?MODULE:Fun() in a fresh VM and returns its result, or
%% {child_failed, ExitStatus, Output} if the VM died.
run_isolated(Fun) ->
    Erl = os:find_executable("erl"),
    Paths = lists:usort([filename:dirname(code:which(M))
                         || M <- [hb_beamr, hb_beamr_test_util, ?MODULE]]),
    Expr = lists:flatten(
             io_lib:format("io:format(\"~~nRESULT:~~w.~~n\", [catch ~s:~s()]), "
                           "erlang:halt(0).", [?MODULE, Fun])),
    Args = ["-noshell", "-pa" | Paths] ++ ["-eval", Expr],
    Port = open_port({spawn_executable, Erl},
                     [{args, Args}, exit_status, stderr_to_stdout, binary]),
    {Status, Output} = collect(Port, <<>>),
    case {Status, binary:split(Output, <<"\nRESULT:">>)} of
        {0, [_, Rest]} ->
            {ok, Tokens, _} = erl_scan:string(binary_to_list(Rest)),
            {ok, Term} = erl_parse:parse_term(Tokens),
            Term;
        _ ->
            {child_failed, Status, Output}
    end.

collect(Port, Acc) ->
    receive
        {Port, {data, Data}} -> collect(Port, <<Acc/binary, Data/binary>>);
        {Port, {exit_status, Status}} -> {Status, Acc}
    after 50000 ->
        catch port_close(Port),
        {timeout, Acc}
    end.
