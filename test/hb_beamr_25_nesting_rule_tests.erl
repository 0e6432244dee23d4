%%% The nesting rule lives in the driver's Session: while a call waits for
%%% an import, only the process that import request went to may call the
%%% instance (its call runs nested); anybody else's call waits for the
%%% waiting call to end. These tests send calls straight to the port, as a
%%% process that learnt it could, so nothing on the Erlang side (the
%%% instance process, hb_beamr_call) can be what enforces the rule.
-module(hb_beamr_25_nesting_rule_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LIMIT, 60).

%% `via_host(7)' calls env.callback(7), whose import function tells the test
%% it is waiting, then waits for `go'. Meanwhile another process sends
%% `inc(41)' to the port itself: it must not run inside that import.
a_stranger_cannot_nest_into_a_waiting_call_test_() ->
    {timeout, ?LIMIT, fun a_stranger_cannot_nest_into_a_waiting_call/0}.

a_stranger_cannot_nest_into_a_waiting_call() ->
    W = hb_beamr_test_util:start("nested"),
    {ok, Port} = hb_beamr_ports:lookup(W),
    Self = self(),
    Wait = fun(S, #{args := [X]}) ->
                   Self ! {waiting, self()},
                   receive go -> {ok, [X], S} end
           end,
    spawn_link(fun() -> Self ! {caller_done, hb_beamr:call(W, "via_host", [7], Wait, 0)} end),
    Caller = receive {waiting, P} -> P after 5000 -> error(not_waiting) end,
    Stranger = spawn_link(fun() -> Self ! {stranger_done, direct_call(Port, "inc", [41])} end),
    receive {stranger_done, Early} -> error({ran_nested, Early}) after 300 -> ok end,
    Caller ! go,
    ?assertEqual({ok, [7], 0}, receive {caller_done, R} -> R after 5000 -> error(caller) end),
    ?assertEqual({ok, [42]}, receive {stranger_done, S} -> S after 5000 -> error(Stranger) end),
    ok = hb_beamr:stop(W).

%% The waiting call's own import function may call, by any route: its call
%% runs nested and returns before the import is answered.
the_waiting_caller_nests_test_() ->
    {timeout, ?LIMIT, fun the_waiting_caller_nests/0}.

the_waiting_caller_nests() ->
    W = hb_beamr_test_util:start("nested"),
    Nest = fun(S, #{args := [X]}) ->
                   {ok, [Y], S1} = hb_beamr:call(W, "inc", [X], fun(St, _) -> {ok, [0], St} end, S),
                   {ok, [Y], S1 + 1}
           end,
    ?assertEqual({ok, [8], 1}, hb_beamr:call(W, "via_host", [7], Nest, 0)),
    ok = hb_beamr:stop(W).

%% A call sent to the port with port_command, as hb_beamr_call does for a
%% call the driver tells it to send that way; its reply comes tagged.
direct_call(Port, Name, Args) ->
    {ok, Command} = hb_beamr_wire:call_command(Name, Args, infinity),
    Ref = erlang:monitor(port, Port),
    true = port_command(Port, term_to_binary(setelement(2, Command, Ref))),
    receive
        {Port, Ref, {ok, Results}} -> {ok, Results};
        {Port, Ref, Other} -> Other;
        {'DOWN', Ref, _, _, Reason} -> {down, Reason}
    end.
