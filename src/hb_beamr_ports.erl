%%% @doc Which port runs each instance, so that callers can talk to the
%%% port directly (the fast path of {@link hb_beamr:call/6} and
%%% {@link hb_beamr:request/3}) instead of through the instance process.
%%%
%%% A public ETS table, read without any message. It is owned by a small
%%% process started on first use, which also deletes the entry of an
%%% instance process that dies without unregistering (one that is killed).
-module(hb_beamr_ports).

-export([register/2, unregister/1, lookup/1, set_imports/2, imports/1]).

-define(TABLE, hb_beamr_ports).

%% @doc Records that instance process `WASM' runs `Port'.
-spec register(pid(), port()) -> ok.
register(WASM, Port) ->
    ok = ensure_owner(),
    true = ets:insert(?TABLE, {WASM, Port, {}}),
    ?TABLE ! {watch, WASM},
    ok.

%% @doc Records the module's imports, in module order, as
%% `{Module, Name, Signature}' tuples (the fast path names imports by
%% number).
-spec set_imports(pid(), tuple()) -> ok.
set_imports(WASM, Imports) ->
    _ = ets:update_element(?TABLE, WASM, {3, Imports}),
    ok.

%% @doc The imports recorded for `WASM' (an empty tuple if none are).
-spec imports(pid()) -> tuple().
imports(WASM) ->
    try
        ets:lookup_element(?TABLE, WASM, 3)
    catch
        error:badarg -> {}
    end.

%% @doc Forgets `WASM''s port (before the port closes).
-spec unregister(pid()) -> ok.
unregister(WASM) ->
    try ets:delete(?TABLE, WASM) of
        true -> ok
    catch
        error:badarg -> ok
    end.

%% @doc The port of instance process `WASM', if it has one.
-spec lookup(pid()) -> {ok, port()} | error.
lookup(WASM) ->
    try ets:lookup_element(?TABLE, WASM, 2) of
        Port -> {ok, Port}
    catch
        error:badarg -> error
    end.

%% The owner registers its name before it makes the table, so the table
%% never exists without its owner's name. Whoever loses the race to register
%% waits for the winner's table.
ensure_owner() ->
    case ets:whereis(?TABLE) of
        undefined ->
            Ref = make_ref(),
            Parent = self(),
            {Pid, MRef} = spawn_monitor(fun() -> owner_init(Parent, Ref) end),
            receive
                {Ref, ready} ->
                    erlang:demonitor(MRef, [flush]),
                    ok;
                {'DOWN', MRef, process, Pid, _} ->
                    erlang:yield(),
                    ensure_owner()
            end;
        _ ->
            ok
    end.

owner_init(Parent, Ref) ->
    try erlang:register(?TABLE, self()) of
        true ->
            ?TABLE = ets:new(?TABLE, [named_table, public, set,
                                      {read_concurrency, true}]),
            Parent ! {Ref, ready},
            owner_loop()
    catch
        error:badarg ->
            exit(normal)
    end.

owner_loop() ->
    receive
        {watch, WASM} ->
            erlang:monitor(process, WASM),
            owner_loop();
        {'DOWN', _, process, WASM, _} ->
            ets:delete(?TABLE, WASM),
            owner_loop();
        _ ->
            owner_loop()
    end.
