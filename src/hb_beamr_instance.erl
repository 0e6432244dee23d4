%%% @doc The instance process: owns an instance's port and routes the
%%% messages of the calls that do not take the fast path.
%%%
%%% It is the `WASM' pid of {@link hb_beamr}. Started with `proc_lib' by
%%% {@link hb_beamr:start/3} (its caller, the owner, is its parent: the
%%% instance stops when the owner exits) and `sys'-compatible:
%%% `sys:get_state/1', `sys:get_status/1', `sys:suspend/1' and
%%% `sys:resume/1' work on it. While it is suspended, commands through it
%%% wait; fast-path calls, which go to the port directly, do not.
%%%
%%% It admits calls one at a time (calls from the process whose call is
%%% running, made from its import function, run nested), forwards each
%%% reply to the process that sent the command, fails the imports of a
%%% caller that exited, and answers every waiting caller `{error, stopped}'
%%% when it stops. The C++ side's instance thread, which runs the
%%% WebAssembly, is another thing: see c_src/instance_thread.hpp.
%%%
%%% ```
%%% {ok, WASM} = hb_beamr_instance:start(self()),
%%% ok = hb_beamr_instance:check(WASM),
%%% ok = hb_beamr_instance:stop(WASM).
%%% '''
-module(hb_beamr_instance).

-export([start/1, check/1, send/2, stop/1]).
-export([init/2]).
-export([system_continue/3, system_terminate/4, system_get_state/1,
         system_replace_state/2, system_code_change/4]).

%% In every instance process's dictionary (see check/1).
-define(INSTANCE_MARK, '$hb_beamr_instance').

-record(instance, {
    port :: port(),
    owner :: pid(),
    owner_mon :: reference(),
    %% Where replies with an unknown tag go: the last sender of a command.
    listener :: pid(),
    init_tag = none :: term(),
    exports = #{} :: #{binary() => {hb_beamr:extern_kind(), string()}},
    %% Tag => process that sent the command.
    pending = #{} :: #{term() => pid()},
    %% Calls running in the driver, innermost first.
    active = [] :: [reference()],
    %% Calls from other processes, waiting for the instance to be idle.
    queued = queue:new() :: queue:queue({pid(), tuple()}),
    %% Monitors of processes with calls running.
    clients = #{} :: #{pid() => reference()},
    %% Calls whose import request is with their caller.
    awaiting = #{} :: #{reference() => true},
    %% Calls whose caller exited: their imports are failed by us.
    abandoned = #{} :: #{reference() => true},
    %% WASI output streams sent to a process (the driver sends us their
    %% bytes, since only we know the pid).
    output_to = #{} :: #{stdout | stderr => pid()}
}).

-type state() :: #instance{}.
%% What `sys:get_state/1' shows.
-export_type([state/0]).

%%% ------------------------------------------------------------------------
%%% API
%%% ------------------------------------------------------------------------

%% @doc Starts an instance process owned by `Owner', with a port of the
%% driver and no module yet (the first command, an `init' or a `compile',
%% gives it one).
-spec start(pid()) -> {ok, hb_beamr:wasm()} | {error, term()}.
start(Owner) ->
    case proc_lib:start(?MODULE, init, [Owner, self()], infinity) of
        {ok, Pid} -> {ok, Pid};
        {error, {load_driver, _}} = Error -> Error;
        {error, {open_port, _}} = Error -> Error;
        {error, Reason} -> {error, {instance_exited, Reason}}
    end.

%% @doc `ok' if `WASM' may be an instance: a live local instance process, a
%% process that is gone (its caller then learns `not_running') or a remote
%% one. A local process that is neither an instance nor gone would never
%% answer a relayed command: it gives `{error, not_an_instance}'. An
%% instance marks itself before it registers its port and keeps the mark
%% until it exits.
-spec check(pid()) -> ok | {error, not_an_instance}.
check(WASM) when node(WASM) =/= node() ->
    ok;
check(WASM) ->
    case hb_beamr_ports:lookup(WASM) of
        {ok, _Port} ->
            ok;
        error ->
            case erlang:process_info(WASM, dictionary) of
                undefined ->
                    ok;
                {dictionary, Dict} ->
                    case lists:keymember(?INSTANCE_MARK, 1, Dict) of
                        true -> ok;
                        false -> {error, not_an_instance}
                    end
            end
    end.

%% @doc Sends a command to the instance's port through the instance
%% process; its replies go to the caller. See {@link hb_beamr:wasm_send/2}.
-spec send(hb_beamr:wasm(), term()) -> ok.
send(WASM, Command) ->
    WASM ! {wasm_send, self(), Command},
    ok.

%% @doc Stops the instance process and waits until it is gone.
-spec stop(hb_beamr:wasm()) -> ok.
stop(WASM) ->
    MRef = erlang:monitor(process, WASM),
    WASM ! {stop, self()},
    receive
        {'DOWN', MRef, process, WASM, _} -> ok
    end.

%% @private proc_lib's entry point.
-spec init(pid(), pid()) -> ok | no_return().
init(Owner, Parent) ->
    process_flag(trap_exit, true),
    put(?INSTANCE_MARK, true),
    case hb_beamr:load_driver() of
        ok ->
            try open_port({spawn_driver, hb_beamr_wire:driver_name()}, [binary]) of
                Port ->
                    ok = hb_beamr_ports:register(self(), Port),
                    OwnerMon = erlang:monitor(process, Owner),
                    proc_lib:init_ack(Parent, {ok, self()}),
                    loop(#instance{port = Port, owner = Owner, owner_mon = OwnerMon,
                                   listener = Owner},
                         sys:debug_options([]))
            catch
                error:Reason ->
                    proc_lib:init_ack(Parent, {error, {open_port, Reason}})
            end;
        {error, Reason} ->
            proc_lib:init_ack(Parent, {error, {load_driver, Reason}})
    end.

%%% ------------------------------------------------------------------------
%%% The loop
%%% ------------------------------------------------------------------------

loop(S = #instance{port = Port, owner = Owner, owner_mon = OwnerMon}, Debug) ->
    receive
        {Port, Tag, Reply} ->
            loop(from_port(Tag, Reply, S), Debug);
        {wasm_send, From, Message} when is_pid(From) ->
            loop(from_client(From, Message, S#instance{listener = From}), Debug);
        {stop, _From} ->
            shutdown(stopped, S);
        {'DOWN', OwnerMon, process, _, _} ->
            shutdown(stopped, S);
        {'DOWN', MRef, process, Pid, _} ->
            loop(client_exited(Pid, MRef, S), Debug);
        {'EXIT', Port, Reason} ->
            shutdown({port_exit, Reason}, S);
        {system, From, Request} ->
            sys:handle_system_msg(Request, From, Owner, ?MODULE, Debug, S);
        _Other ->
            loop(S, Debug)
    end.

%% @private sys callback: resumes the loop.
-spec system_continue(pid(), [sys:dbg_opt()], state()) -> no_return().
system_continue(_Parent, Debug, S) ->
    loop(S, Debug).

%% @private sys callback: stops as {@link stop/1} does.
-spec system_terminate(term(), pid(), [sys:dbg_opt()], state()) -> no_return().
system_terminate(_Reason, _Parent, _Debug, S) ->
    shutdown(stopped, S).

%% @private sys callback.
-spec system_get_state(state()) -> {ok, state()}.
system_get_state(S) ->
    {ok, S}.

%% @private sys callback.
-spec system_replace_state(fun((state()) -> state()), state()) -> {ok, state(), state()}.
system_replace_state(StateFun, S) ->
    S2 = StateFun(S),
    {ok, S2, S2}.

%% @private sys callback: the state has no version to convert.
-spec system_code_change(state(), module(), term(), term()) -> {ok, state()}.
system_code_change(S, _Module, _OldVsn, _Extra) ->
    {ok, S}.

%%% ------------------------------------------------------------------------
%%% Commands from clients
%%% ------------------------------------------------------------------------

%% Calls are admitted one at a time, except calls from a process whose call
%% is running (made from its import function), which run nested.
from_client(From, {Op, Tag, _FuncRef, Args} = Command, S)
  when (Op =:= call orelse Op =:= indirect_call), is_reference(Tag), is_list(Args) ->
    from_caller(From, Tag, Command, S);
from_client(From, {Op, Tag, _FuncRef, Args, _Timeout} = Command, S)
  when (Op =:= call orelse Op =:= indirect_call), is_reference(Tag), is_list(Args) ->
    from_caller(From, Tag, Command, S);
from_client(From, {Op, Tag, _} = Command, S)
  when Op =:= import_response; Op =:= import_error ->
    import_answer(From, Tag, fun() -> to_port(Command, S) end, S);
from_client(From, Command, S)
  when element(1, Command) =:= init,
       (tuple_size(Command) =:= 4 orelse tuple_size(Command) =:= 5) ->
    Tag = element(2, Command),
    to_port(Command, S),
    S#instance{init_tag = Tag, pending = (S#instance.pending)#{Tag => From},
               output_to = output_pids(Command)};
from_client(From, {command, Data}, S = #instance{port = Port}) ->
    Send = fun() ->
                   try port_command(Port, Data) of
                       true -> ok
                   catch
                       error:_ -> ok
                   end
           end,
    case encoded_answer_tag(Data) of
        {ok, Tag} -> import_answer(From, Tag, Send, S);
        none -> Send(), S
    end;
from_client(From, Command, S) when is_tuple(Command), tuple_size(Command) >= 2 ->
    to_port(Command, S),
    S#instance{pending = (S#instance.pending)#{element(2, Command) => From}};
from_client(_From, Command, S) ->
    %% The driver answers this with {error, badarg} to the listener.
    to_port(Command, S),
    S.

%% Only the process a call's messages go to may answer its imports (or, for
%% a nested call, the one that made it): an answer from any other process
%% that learned the tag is refused, to that process, and the call keeps
%% waiting for its caller. An answer for a tag we do not know goes to the
%% driver, which refuses it unless a raw command started that call.
import_answer(From, Tag, Send, S = #instance{pending = Pending}) ->
    case maps:find(Tag, Pending) of
        {ok, Owner} when Owner =/= From ->
            From ! {self(), Tag, {error, not_the_caller}},
            S;
        _ ->
            ok = Send(),
            S#instance{pending = Pending#{Tag => From},
                       awaiting = maps:remove(Tag, S#instance.awaiting)}
    end.

%% The tag of an encoded import answer (a raw `{command, Data}'), so that
%% one cannot answer another process's import either.
encoded_answer_tag(Data) ->
    try binary_to_term(iolist_to_binary(Data), [safe]) of
        {import_response, Tag, _} -> {ok, Tag};
        {import_error, Tag, _} -> {ok, Tag};
        _ -> none
    catch
        error:_ -> none
    end.

from_caller(From, Tag, Command, S) ->
    case precheck(Command, S) of
        ok ->
            case S#instance.active =:= [] orelse maps:is_key(From, S#instance.clients) of
                true -> admit(From, Command, S);
                false -> S#instance{queued = queue:in({From, Command}, S#instance.queued)}
            end;
        {error, Reason} ->
            From ! {self(), Tag, {error, Reason}},
            S
    end.

%% Checks a named call against the export list, so that a bad call never
%% reaches the instance (the driver checks again; it alone knows the table).
precheck({call, Tag, Name, Args, _Timeout}, S) ->
    precheck({call, Tag, Name, Args}, S);
precheck({call, _Tag, Name, Args}, #instance{exports = Exports}) when is_binary(Name) ->
    case maps:find(Name, Exports) of
        {ok, {func, Sig}} ->
            case hb_beamr_values:parse_signature(Sig) of
                {ok, Params, _} ->
                    case hb_beamr_values:check(Params, Args) of
                        true -> ok;
                        false -> {error, invalid_args}
                    end;
                error ->
                    ok
            end;
        {ok, _} ->
            {error, {not_a_function, Name}};
        error when map_size(Exports) > 0 ->
            {error, {unknown_export, Name}};
        error ->
            ok
    end;
precheck(_Command, _S) ->
    ok.

admit(From, Command, S = #instance{clients = Clients}) ->
    Tag = element(2, Command),
    to_port(Command, S),
    Clients2 = case maps:is_key(From, Clients) of
                   true -> Clients;
                   false -> Clients#{From => erlang:monitor(process, From)}
               end,
    S#instance{active = [Tag | S#instance.active], clients = Clients2,
               pending = (S#instance.pending)#{Tag => From}}.

to_port(Command, #instance{port = Port}) ->
    try port_command(Port, term_to_binary(Command)) of
        true -> ok
    catch
        error:_ -> ok % the port is gone; its 'EXIT' follows
    end.

%%% ------------------------------------------------------------------------
%%% Messages from the driver, routed by tag
%%% ------------------------------------------------------------------------

from_port(hb_beamr_output, {Stream, Bytes}, S = #instance{output_to = To}) ->
    case maps:find(Stream, To) of
        {ok, Pid} -> Pid ! {hb_beamr_output, self(), Stream, Bytes}, S;
        error -> S
    end;
from_port(Tag, {import, _, _, _, _} = Request, S) ->
    case maps:is_key(Tag, S#instance.abandoned) of
        true ->
            to_port({import_error, Tag, <<"caller exited">>}, S),
            S;
        false ->
            forward(Tag, Request, S),
            S#instance{awaiting = (S#instance.awaiting)#{Tag => true}}
    end;
from_port(Tag, {ok, Imports, _Exports} = Reply, S = #instance{init_tag = Tag}) ->
    %% Before the caller learns of the instance: fast calls name their
    %% imports by number in this list.
    ok = hb_beamr_ports:set_imports(
           self(), list_to_tuple([{M, N, Sig} || {_Kind, M, N, Sig} <- Imports])),
    from_port_reply(Tag, Reply, S);
from_port(Tag, Reply, S) ->
    from_port_reply(Tag, Reply, S).

from_port_reply(Tag, Reply, S) ->
    case maps:is_key(Tag, S#instance.abandoned) of
        true -> ok;
        false -> forward(Tag, Reply, S)
    end,
    S2 = case {Tag, Reply} of
             {Init, {ok, _Imports, Exports}} when Init =:= S#instance.init_tag ->
                 S#instance{exports = maps:from_list([{list_to_binary(N), {K, Sig}}
                                                      || {K, N, Sig} <- Exports])};
             _ ->
                 S
         end,
    call_finished(Tag, S2#instance{pending = maps:remove(Tag, S2#instance.pending)}).

%% The pids of an init's wasi option (see hb_beamr:wasi_option/1).
output_pids({init, _, _, _, #{wasi := {_, _, _, Out, Err, _, _}}}) ->
    maps:from_list([{Stream, Pid} || {Stream, Pid} <- [{stdout, Out}, {stderr, Err}],
                                     is_pid(Pid)]);
output_pids(_) ->
    #{}.

forward(Tag, Message, #instance{pending = Pending, listener = Listener}) ->
    Dest = maps:get(Tag, Pending, Listener),
    Dest ! {self(), Tag, Message},
    ok.

call_finished(Tag, S = #instance{active = Active}) ->
    case lists:member(Tag, Active) of
        false ->
            S;
        true ->
            S2 = S#instance{active = lists:delete(Tag, Active),
                            awaiting = maps:remove(Tag, S#instance.awaiting),
                            abandoned = maps:remove(Tag, S#instance.abandoned)},
            admit_queued(drop_idle_clients(S2))
    end.

drop_idle_clients(S = #instance{clients = Clients, active = Active, pending = Pending}) ->
    Busy = [maps:get(T, Pending, undefined) || T <- Active],
    Idle = [P || P <- maps:keys(Clients), not lists:member(P, Busy)],
    lists:foreach(fun(P) -> erlang:demonitor(maps:get(P, Clients), [flush]) end, Idle),
    S#instance{clients = maps:without(Idle, Clients)}.

admit_queued(S = #instance{active = [], queued = Queued}) ->
    case queue:out(Queued) of
        {{value, {From, Command}}, Rest} ->
            case is_process_alive(From) of
                true -> admit(From, Command, S#instance{queued = Rest});
                false -> admit_queued(S#instance{queued = Rest})
            end;
        {empty, _} ->
            S
    end;
admit_queued(S) ->
    S.

%% A process with a running call exited: the driver interrupts the call if
%% it computes (`cancel', the driver's one rule for a caller's exit), its
%% pending import is answered with an error so the instance unwinds, and
%% its future imports fail the same way.
client_exited(Pid, MRef, S = #instance{clients = Clients}) ->
    case maps:find(Pid, Clients) of
        {ok, MRef} ->
            Tags = [T || T <- S#instance.active,
                         maps:get(T, S#instance.pending, undefined) =:= Pid],
            lists:foreach(
              fun(T) ->
                      to_port({cancel, T}, S),
                      case maps:is_key(T, S#instance.awaiting) of
                          true -> to_port({import_error, T, <<"caller exited">>}, S);
                          false -> ok
                      end
              end, Tags),
            Abandoned = maps:merge(S#instance.abandoned,
                                   maps:from_list([{T, true} || T <- Tags])),
            Queued = queue:filter(fun({From, _}) -> From =/= Pid end, S#instance.queued),
            S#instance{clients = maps:remove(Pid, Clients), abandoned = Abandoned,
                       awaiting = maps:without(Tags, S#instance.awaiting), queued = Queued};
        _ ->
            S
    end.

-spec shutdown(term(), #instance{}) -> no_return().
shutdown(Reason, S = #instance{port = Port}) ->
    ok = hb_beamr_ports:unregister(self()),
    catch erlang:port_close(Port),
    Waiting = maps:to_list(S#instance.pending)
        ++ [{element(2, C), From} || {From, C} <- queue:to_list(S#instance.queued)],
    lists:foreach(fun({Tag, Pid}) -> Pid ! {self(), Tag, {error, stopped}} end, Waiting),
    exit(case Reason of stopped -> normal; _ -> Reason end).
