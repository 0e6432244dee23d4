%%% Only the caller may answer its imports (issue 13, item 6, the instance
%%% process's side). Another process that learns a waiting call's tag (here
%%% by tracing the caller) and sends an answer for it through the instance
%%% process is refused, `{WASM, Tag, {error, not_the_caller}}', and the call
%%% goes on waiting for its caller, whose answer makes the result.
%%%
%%% The call is made while another process's call waits in its import, so it
%%% goes through the instance process on both engines (on Wasmtime the fast
%%% path falls back; on WAMR every call does); the test checks that its
%%% import came from the instance process. A call the driver itself handed to
%%% its thread is answered by port_command, which the driver guards.
-module(hb_beamr_19_import_answers_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).
-import(hb_beamr_caller_util, [spawn_caller/3]).

forged_answer_is_refused_test_() ->
    {timeout, 60,
     [{"a forged {import_response, ...}",
       fun() -> forge(fun(Tag) -> {import_response, Tag, [7.0]} end) end},
      {"a forged {import_error, ...}",
       fun() -> forge(fun(Tag) -> {import_error, Tag, <<"forged">>} end) end},
      {"a forged answer as an encoded {command, ...}",
       fun() ->
               forge(fun(Tag) -> {command, term_to_binary({import_response, Tag, [7.0]})} end)
       end}]}.

forge(Forgery) ->
    WASM = start("pow"),
    %% Holds the instance: its call waits in its import until answered.
    Holder = spawn_caller(WASM, 2.0, s),
    Holder ! go,
    receive {in_import, Holder} -> ok after 10000 -> error(no_holder) end,
    %% The caller: answers its import with 3.0 once told to.
    Caller = spawn_caller(WASM, 3.0, c),
    1 = erlang:trace(Caller, true, [send, 'receive']),
    Caller ! go,
    %% Its call has gone to the instance process; let the holder finish.
    receive
        {trace, Caller, send, {wasm_send, Caller, {call, _, _, _}}, WASM} -> ok
    after 10000 -> error(no_relayed_call)
    end,
    Holder ! answer,
    Tag = receive
              {trace, Caller, 'receive', {WASM, T, {import, _, _, _, _}}} -> T
          after 10000 -> error(no_import_seen)
          end,
    receive {in_import, Caller} -> ok after 10000 -> error(not_in_import) end,
    ok = hb_beamr:wasm_send(WASM, Forgery(Tag)),
    receive
        {WASM, Tag, Refusal} -> ?assertEqual({error, not_the_caller}, Refusal)
    after 5000 -> error(not_refused)
    end,
    Caller ! answer,
    Result = receive {result, Caller, R} -> R after 5000 -> timeout end,
    %% The caller has exited by now, and its trace with it.
    flush_trace(),
    ?assertEqual({ok, [3.0], c}, Result),
    receive {result, Holder, Held} -> ?assertEqual({ok, [2.0], s}, Held)
    after 5000 -> error(held)
    end,
    %% The instance still serves anyone.
    ?assertEqual({ok, [4.0], x}, hb_beamr:call(WASM, "pow", [2.0, 2], fun times/2, x)),
    ok = hb_beamr:stop(WASM).

times(S, #{args := [A, B]}) ->
    {ok, [A * B], S}.

flush_trace() ->
    receive {trace, _, _, _} -> flush_trace(); {trace, _, _, _, _} -> flush_trace()
    after 0 -> ok
    end.
