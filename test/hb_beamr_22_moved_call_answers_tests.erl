%%% Only the caller may answer the imports of a call moved to the instance
%%% thread (issue 13, item 6). A process that learns a waiting call's tag
%%% (here by tracing the caller) and sends an answer of its own, through the
%%% port or through the instance process, must not be heard: the call takes
%%% the caller's answer.
-module(hb_beamr_22_moved_call_answers_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LIMIT, 60).
%% Loops this many times before its import: long enough for Wasmtime's fast
%% path to hand the call to the instance thread.
-define(LONG, 400000000).

forged_answer_is_not_taken_test_() ->
    {timeout, ?LIMIT, fun forged_answer_is_not_taken/0}.

forged_answer_is_not_taken() ->
    W = hb_beamr_test_util:start("work_then_ask"),
    Self = self(),
    Ask = fun(S, #{args := [N]}) ->
                  Self ! {asked, self()},
                  receive answer -> {ok, [N], S + 1} end
          end,
    Caller = spawn_link(fun() ->
                                receive go -> ok end,
                                Self ! {result, hb_beamr:call(W, "work_then_ask", [?LONG], Ask, 0)}
                        end),
    erlang:trace(Caller, true, ['receive']),
    Caller ! go,
    receive {asked, Caller} -> ok end,
    {Source, Tag} = import_request_seen(Caller),
    forge(W, Source, Tag),
    timer:sleep(100),
    Caller ! answer,
    Result = receive {result, R} -> R end,
    %% ask(?LONG) answered by the caller, once: ?LONG + 1 and state 1. A
    %% forged 7 would give 8.
    ?assertEqual({ok, [?LONG + 1], 1}, Result),
    ok = hb_beamr:stop(W).

%% The {Source, Tag, {import, ...}} message that asked the caller, whether it
%% came from the port (a call the fast path moved to the instance thread) or
%% from the instance process.
import_request_seen(Caller) ->
    receive
        {trace, Caller, 'receive', {Source, Tag, {import, _, _, _, _}}} -> {Source, Tag}
    after 5000 ->
        error(no_import_request_traced)
    end.

forge(_W, Port, Tag) when is_port(Port) ->
    true = port_command(Port, term_to_binary({import_response, Tag, [7]}));
forge(W, _Instance, Tag) ->
    ok = hb_beamr:wasm_send(W, {import_response, Tag, [7]}).
