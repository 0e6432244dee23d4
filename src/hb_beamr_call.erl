%%% @doc The call loop: runs one call in the caller's process, whichever
%%% way its messages travel, and answers its imports with the caller's
%%% import function.
%%%
%%% A call takes one of three paths (see the README's "Calls: the fast path
%%% and the instance thread"):
%%% <ul>
%%% <li>`fast': `erlang:port_control/3' on the instance's port; each
%%% round trip returns the call's next event (c_src/fast_path.hpp);</li>
%%% <li>`relay': port commands through the instance process
%%% ({@link hb_beamr_instance}), events as `{WASM, Tag, Event}' messages;</li>
%%% <li>`port': port commands straight to the port, events as
%%% `{Port, Tag, Event}' messages: a fast call the driver moved to the
%%% instance thread, or a call made from such a call's import function.</li>
%%% </ul>
%%% All three share one loop: an import request runs the import function and
%%% answers it; a bad answer, a raise or an exit of the import function makes
%%% the import trap and the call unwind before the caller gets its error, so
%%% the instance is free again. Only sending and receiving depend on the
%%% path.
%%%
%%% ```
%%% Mul = fun(S, #{args := [A, B]}) -> {ok, [A * B], S + 1} end,
%%% {ok, [1024.0], 10} = hb_beamr_call:call(WASM, "pow", [2.0, 10], infinity,
%%%                                         Mul, 0, #{}).
%%% '''
-module(hb_beamr_call).

-include("../include/hb_beamr_wire.hrl").

-export([call/7, run/6, request/3, stub_import/2]).
-export_type([result/0, tag/0]).

-type result() :: {ok, term(), term()} | {error, term(), term()}
                | {error, atom(), term(), list(), term()}.
%% The outcome of a call: results (or, for an init, `{Imports, Exports}')
%% and the import function's final state, or an error with that state.

-type tag() :: none | reference().
%% How the loop finds a call's messages, passed beside the `#call{}' record
%% (never in it) so that the compiler can see where a reference comes from:
%% `none' on the fast path (no messages); on the relay and port paths a
%% reference made just before the call was sent, which is the call's tag
%% and the monitor of the messages' source at once, so every clause of the
%% receive matches it and the VM starts looking at the mark it set when the
%% reference was made (OTP's receive optimisation; `erlc +recv_opt_info'
%% reports it), skipping the caller's other messages. A call the driver
%% moves to its instance thread gets such a reference too (see `move' in
%% loop/4).

%% Small steps of every import's round trip, inlined to keep the loop as
%% cheap as the fast path's own was.
-compile({inline, [invoke/4, answer/4, control/3]}).

-record(call, {
    wasm :: hb_beamr:wasm(),
    path :: fast | relay | port,
    %% Where the call's events come from: the port (fast, port) or the
    %% instance process (relay).
    source :: port() | pid(),
    args :: [hb_beamr:value()],
    %% Not hb_beamr:import_fun(): a user's function may return anything.
    import_fun :: fun(),
    opts :: hb_beamr:call_opts(),
    %% fast: the module's imports, fetched at the first compact import
    %% request (which names its import by number).
    imports = none :: tuple() | none
}).

%%% ------------------------------------------------------------------------
%%% Entry points
%%% ------------------------------------------------------------------------

%% @doc Runs a call whose arguments and options `hb_beamr:call/6' has
%% checked: on the fast path when the instance has a port that can serve it
%% now, else through the instance process.
-spec call(hb_beamr:wasm(), term(), [hb_beamr:value()],
           pos_integer() | infinity, hb_beamr:import_fun(), term(),
           hb_beamr:call_opts()) -> result().
call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case hb_beamr_ports:lookup(WASM) of
        {ok, Port} ->
            fast_call(WASM, Port, FuncRef, Args, Timeout, ImportFun, State, Opts);
        error ->
            relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts)
    end.

%% @doc Sends `Command' through the instance process and serves its import
%% requests until the final reply. The command's tag (its second element)
%% is replaced by a fresh reference, the monitor of the instance process.
-spec run(hb_beamr:wasm(), tuple(), [hb_beamr:value()],
          hb_beamr:import_fun(), term(), hb_beamr:call_opts()) -> result().
run(WASM, Command, Args, ImportFun, State, Opts) ->
    C = #call{wasm = WASM, path = relay, source = WASM, args = Args,
              import_fun = ImportFun, opts = Opts},
    converse(C, erlang:monitor(process, WASM), Command, State).

%% @doc Sends the driver command `{Op, Ref | Args}' and waits for its one
%% reply: in this process's `port_control' when the port can serve it now,
%% else through the instance process.
-spec request(hb_beamr:wasm(), atom(), [term()]) -> term().
request(WASM, Op, Args) ->
    Ref = make_ref(),
    Command = list_to_tuple([Op, Ref | Args]),
    case fast_request(WASM, Op, Command) of
        {done, Reply} -> Reply;
        fallback -> relay_request(WASM, Command)
    end.

%% @doc The import function of `hb_beamr:call/3' and of start functions:
%% answers with zeros of the import's result types.
-spec stub_import(term(), hb_beamr:import_request()) -> {ok, [hb_beamr:value()], term()}.
stub_import(State, #{func_sig := Sig}) ->
    case hb_beamr_values:parse_signature(Sig) of
        {ok, _Params, Results} -> {ok, hb_beamr_values:zeros(Results), State};
        error -> {ok, [], State}
    end.

%%% ------------------------------------------------------------------------
%%% Starting a call on each path
%%% ------------------------------------------------------------------------

%% The driver answers `fallback' when the instance is busy (another
%% process's call, or a command queued on its thread) or cannot suspend
%% calls: the call then goes through the instance process. It answers
%% `via_port' to the import function of a call waiting on the instance
%% thread (the driver's Session keeps that rule): the call goes straight to
%% the port, and the thread runs it nested.
fast_call(WASM, Port, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case hb_beamr_wire:compact_call(FuncRef, Args, Timeout) of
        {ok, Command} ->
            case control(Port, ?HB_CTL_CALL, Command) of
                fallback ->
                    relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State,
                               Opts);
                via_port ->
                    direct_call(WASM, Port, FuncRef, Args, Timeout, ImportFun,
                                State, Opts);
                closed ->
                    {error, not_running, State};
                {ok, Results} when is_list(Results) ->
                    %% Done within its first slice, the common case: no
                    %% loop state to build.
                    {ok, Results, State};
                Event ->
                    C = #call{wasm = WASM, path = fast, source = Port, args = Args,
                              import_fun = ImportFun, opts = Opts,
                              imports = imports_for(Event, WASM)},
                    loop(Event, C, none, State)
            end;
        relay ->
            relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts)
    end.

%% A call that starts with a compact import request needs the module's
%% imports at once; fetching them here spares updating the loop state.
imports_for({import_at, _, _}, WASM) -> hb_beamr_ports:imports(WASM);
imports_for(_Event, _WASM) -> none.

%% A call from the import function of a call that the fast path handed to
%% the instance thread: the thread runs it nested and answers this process
%% directly.
direct_call(WASM, Port, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case hb_beamr_wire:call_command(FuncRef, Args, Timeout) of
        {ok, Command} ->
            C = #call{wasm = WASM, path = port, source = Port, args = Args,
                      import_fun = ImportFun, opts = Opts},
            converse(C, erlang:monitor(port, Port), Command, State);
        error ->
            {error, {invalid_func_ref, FuncRef}, State}
    end.

relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case {hb_beamr_instance:check(WASM),
          hb_beamr_wire:call_command(FuncRef, Args, Timeout)} of
        {{error, Reason}, _} ->
            {error, Reason, State};
        {ok, {ok, Command}} ->
            run(WASM, Command, Args, ImportFun, State, Opts);
        {ok, error} ->
            {error, {invalid_func_ref, FuncRef}, State}
    end.

%% Sends `Command' tagged `Ref', which the caller made just before, as the
%% monitor of `C''s source, and runs the loop on its messages.
converse(C, Ref, Command, State) ->
    ok = send(C, setelement(2, Command, Ref)),
    finish(Ref, loop(next(C, Ref), C, Ref, State)).

finish(Ref, Result) ->
    erlang:demonitor(Ref, [flush]),
    Result.

%%% ------------------------------------------------------------------------
%%% The loop, the same on every path
%%% ------------------------------------------------------------------------

loop({import, Module, Func, ImportArgs, Sig}, C, T, State) ->
    import({Module, Func, Sig}, ImportArgs, term, C, T, State);
loop({import_at, _, _} = Event, C = #call{imports = none, wasm = WASM}, T, State) ->
    loop(Event, C#call{imports = hb_beamr_ports:imports(WASM)}, T, State);
loop({import_at, Index, ImportArgs}, C = #call{imports = Imports}, T, State) ->
    case Index < tuple_size(Imports) of
        true ->
            import(element(Index + 1, Imports), ImportArgs, compact, C, T, State);
        false ->
            %% The instance has gone (its entry with it) while we called.
            abort(C, T, <<"instance stopped">>),
            {error, stopped, State}
    end;
loop(yield, C, T, State) ->
    %% The slice is over: let the other processes of this scheduler run.
    erlang:yield(),
    loop(resume(C), C, T, State);
loop(move, C = #call{path = fast, source = Port}, T, State) ->
    %% A long call goes on on the instance thread, tagged with a reference
    %% made here, just before the messages it tags: their receives skip the
    %% rest of the mailbox. It doubles as the port's monitor.
    Ref = erlang:monitor(port, Port),
    case control(Port, ?HB_CTL_MOVE, term_to_binary(Ref)) of
        {moved, Ref} ->
            Moved = C#call{path = port},
            finish(Ref, loop(next(Moved, Ref), Moved, Ref, State));
        Other ->
            erlang:demonitor(Ref, [flush]),
            loop(Other, C, T, State)
    end;
loop(Final, C, _T, State) ->
    final(Final, C, State).

final({ok, Results}, _C, State) when is_list(Results) ->
    {ok, Results, State};
final({ok, Imports, Exports}, _C, State) ->
    {ok, {Imports, Exports}, State};
final({error, invalid_args}, #call{args = Args}, State) ->
    {error, {invalid_args, Args}, State};
final({error, Reason}, _C, State) ->
    {error, Reason, State};
final(closed, _C, State) ->
    {error, stopped, State};
final({down, noproc}, _C, State) ->
    {error, not_running, State};
final({down, _Reason}, _C, State) ->
    {error, stopped, State}.

import({Module, Func, Sig}, ImportArgs, Encoding,
       C = #call{wasm = WASM, import_fun = ImportFun, opts = Opts}, T, State) ->
    Request = #{instance => WASM, module => Module, func => Func,
                args => ImportArgs, func_sig => Sig},
    try invoke(ImportFun, State, Request, Opts) of
        {ok, Results, NewState} ->
            case hb_beamr_values:check_results(Sig, Results) of
                true ->
                    loop(answer(C, T, Encoding, Results), C, T, NewState);
                false ->
                    abort(C, T, <<"invalid import result">>),
                    {error, {invalid_import_result, Module, Func, Results}, NewState}
            end;
        Other ->
            abort(C, T, <<"bad import function return">>),
            {error, {bad_import_return, Other}, State}
    catch
        Class:Reason:Stack ->
            abort(C, T, <<"import function raised">>),
            {error, Class, Reason, Stack, State}
    end.

invoke(ImportFun, State, Request, _Opts) when is_function(ImportFun, 2) ->
    ImportFun(State, Request);
invoke(ImportFun, State, Request, Opts) ->
    ImportFun(State, Request, Opts).

%% Makes the pending import trap and lets the call unwind, so the instance
%% is free again when the caller gets its error.
abort(C, T, Message) ->
    unwind(reject(C, T, Message), C, T, Message).

unwind({import, _, _, _, _}, C, T, Message) ->
    abort(C, T, Message);
unwind({import_at, _, _}, C, T, Message) ->
    abort(C, T, Message);
unwind(yield, C, T, Message) ->
    unwind(resume(C), C, T, Message);
unwind(_Final, _C, _T, _Message) ->
    %% Over; or moved to the thread, which finishes unwinding the trap.
    ok.

%%% ------------------------------------------------------------------------
%%% Sending and receiving, by path
%%% ------------------------------------------------------------------------

%% The import's results, in the encoding its request came in; returns the
%% call's next event.
answer(#call{path = fast, source = Port}, _T, compact, Results) ->
    control(Port, ?HB_CTL_ANSWER, hb_beamr_wire:compact_answer(Results));
answer(#call{path = fast, source = Port}, _T, term, Results) ->
    control(Port, ?HB_CTL_ANSWER,
            term_to_binary({import_response, answer, Results}));
answer(C, T, term, Results) ->
    ok = send(C, {import_response, T, Results}),
    next(C, T).

%% Makes the pending import trap with `Message'; returns the next event.
reject(#call{path = fast, source = Port}, _T, Message) ->
    control(Port, ?HB_CTL_ANSWER, term_to_binary({import_error, abort, Message}));
reject(C, T, Message) ->
    ok = send(C, {import_error, T, Message}),
    next(C, T).

resume(#call{path = fast, source = Port}) ->
    control(Port, ?HB_CTL_RESUME, term_to_binary(resume)).

%% One port_control round trip. `closed' when the port is gone.
control(Port, Op, Binary) ->
    try erlang:port_control(Port, Op, Binary) of
        Reply -> hb_beamr_wire:decode_control(Reply)
    catch
        error:badarg -> closed
    end.

send(#call{path = relay, wasm = WASM}, Command) ->
    hb_beamr_instance:send(WASM, Command);
send(#call{path = port, source = Port}, Command) ->
    try port_command(Port, term_to_binary(Command)) of
        true -> ok
    catch
        error:_ -> ok % the port is gone; its 'DOWN' follows
    end.

%% The next event of a call on the relay or port path. Every clause matches
%% `Ref' (see tag()): the VM skips the messages that came before it.
next(#call{source = Source}, Ref) when is_reference(Ref) ->
    receive
        {Source, Ref, {import, _, _, _, _} = Event} -> Event;
        {Source, Ref, {ok, Results} = Event} when is_list(Results) -> Event;
        {Source, Ref, {ok, _Imports, _Exports} = Event} -> Event;
        {Source, Ref, {error, _} = Event} -> Event;
        {'DOWN', Ref, _, Source, Reason} -> {down, Reason}
    end.

%%% ------------------------------------------------------------------------
%%% Memory requests
%%% ------------------------------------------------------------------------

%% Memory commands go straight to the port when it can serve them now: the
%% instance is free, or its call waits for an import.
fast_request(WASM, Op, Command)
  when Op =:= size; Op =:= read; Op =:= write; Op =:= serialize;
       Op =:= deserialize; Op =:= read_output ->
    case hb_beamr_ports:lookup(WASM) of
        {ok, Port} ->
            case control(Port, ?HB_CTL_REQUEST, term_to_binary(Command)) of
                fallback -> fallback;
                closed -> fallback;
                Reply -> {done, Reply}
            end;
        error ->
            fallback
    end;
fast_request(_WASM, _Op, _Command) ->
    fallback.

%% Tagged with the monitor, made just before sending: the receive skips
%% the caller's other messages (see tag()).
relay_request(WASM, Command) ->
    case hb_beamr_instance:check(WASM) of
        ok ->
            Ref = erlang:monitor(process, WASM),
            ok = hb_beamr_instance:send(WASM, setelement(2, Command, Ref)),
            receive
                {WASM, Ref, Reply} ->
                    erlang:demonitor(Ref, [flush]),
                    Reply;
                {'DOWN', Ref, process, WASM, noproc} ->
                    {error, not_running};
                {'DOWN', Ref, process, WASM, _Reason} ->
                    {error, stopped}
            end;
        Error ->
            Error
    end.
