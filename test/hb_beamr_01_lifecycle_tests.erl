%%% Driver loading, instance start/stop, precompiled modules, owner death.
-module(hb_beamr_01_lifecycle_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, wait_until/2, info/1]).

driver_load_unload_test() ->
    ?assertEqual(ok, hb_beamr:load_driver()),
    ?assertEqual(ok, hb_beamr:load_driver()),
    ?assert(lists:member("hb_beamr", element(2, erl_ddll:loaded_drivers()))),
    WASM = start("fac"),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual(ok, hb_beamr:stop(WASM)),
    case erl_ddll:info(hb_beamr, permanent) of
        true ->
            %% An earlier test left WebAssembly running past its stop: the
            %% driver keeps itself loaded for it, by design.
            ok;
        false ->
            %% Drop every reference this process holds; the driver goes once
            %% no process and no port uses it.
            unload_all(),
            ?assert(wait_until(fun() -> not is_loaded() end, 5000)),
            %% And it comes back.
            ?assertEqual(ok, hb_beamr:load_driver()),
            ?assert(is_loaded()),
            W2 = start("fac"),
            ?assertEqual({ok, [6.0]}, hb_beamr:call(W2, "fac", [3.0])),
            ?assertEqual(ok, hb_beamr:stop(W2))
    end.

load_driver_bad_dir_test() ->
    %% Put back what was there: later tests start child VMs that find the
    %% driver of this build through the same variable.
    Saved = os:getenv("HB_BEAMR_DRIVER_DIR"),
    os:putenv("HB_BEAMR_DRIVER_DIR", "/nonexistent/hb_beamr"),
    try
        case is_loaded() of
            true -> ?assertEqual(ok, hb_beamr:load_driver());
            false -> ?assertMatch({error, _}, hb_beamr:load_driver())
        end
    after
        case Saved of
            false -> os:unsetenv("HB_BEAMR_DRIVER_DIR");
            _ -> os:putenv("HB_BEAMR_DRIVER_DIR", Saved)
        end
    end.

start_fac_test() ->
    {ok, WASM, Imports, Exports} = hb_beamr:start(fixture("fac")),
    ?assert(is_pid(WASM)),
    ?assertEqual([], Imports),
    ?assertEqual([{func, "fac", "(F)F"}], Exports),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual(ok, hb_beamr:stop(WASM)),
    ?assertEqual(ok, hb_beamr:stop(WASM)),
    ?assertEqual({error, not_running}, hb_beamr:call(WASM, "fac", [5.0])).

start_wasm_mode_test() ->
    {ok, WASM, _, _} = hb_beamr:start(fixture("fac"), wasm),
    ?assertEqual({ok, [1.0]}, hb_beamr:call(WASM, "fac", [0.0])),
    ok = hb_beamr:stop(WASM).

imports_and_exports_test() ->
    {ok, Pow, PowImports, PowExports} = hb_beamr:start(fixture("pow")),
    ?assertEqual([{func, "my_lib", "mul", "(FF)F"}], PowImports),
    ?assertEqual([{func, "pow", "(Fi)F"}], PowExports),
    ok = hb_beamr:stop(Pow),
    {ok, All, Imports, Exports} = hb_beamr:start(fixture("imports_all")),
    ?assertEqual([{func, "env", "add_i64", "(II)I"},
                  {func, "host", "mix", "(ifF)F"},
                  {memory, "env", "memory", "i32:1..2"},
                  {table, "env", "table", "r:1..10"},
                  {global, "env", "counter", "i"},
                  {global, "env", "level", "mut I"}], Imports),
    ?assert(lists:member({memory, "memory", "i32:1..2"}, Exports)),
    ?assert(lists:member({func, "call_mix", "(ifF)F"}, Exports)),
    ok = hb_beamr:stop(All).

start_errors_test_() ->
    [?_assertMatch({error, {load, _}}, hb_beamr:start(<<"not wasm">>)),
     ?_assertMatch({error, {load, _}}, hb_beamr:start(<<>>)),
     ?_assertMatch({error, {instantiate, _}}, hb_beamr:start(fixture("start_trap"))),
     ?_assertEqual({error, badarg}, hb_beamr:start(not_a_binary)),
     ?_assertEqual({error, badarg}, hb_beamr:start(fixture("fac"), jit))].

failed_start_leaves_nothing_test() ->
    Before = erlang:processes(),
    {error, _} = hb_beamr:start(<<"junk">>),
    {error, _} = hb_beamr:start(fixture("start_trap")),
    ?assert(wait_until(fun() -> erlang:processes() -- Before =:= [] end, 2000)).

precompiled_test_() ->
    hb_beamr_test_util:requires(aot, fun() ->
        Fac = fixture("fac"),
        {ok, Pre} = hb_beamr:compile(Fac),
        ?assert(is_binary(Pre)),
        ?assertNotEqual(Fac, Pre),
        {ok, WASM, [], [{func, "fac", "(F)F"}]} = hb_beamr:start(Pre, aot),
        ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
        ok = hb_beamr:stop(WASM)
    end).

precompiled_errors_test_() ->
    hb_beamr_test_util:requires(aot, {generator, fun precompiled_errors/0}).

precompiled_errors() ->
    Fac = fixture("fac"),
    {ok, Pre} = hb_beamr:compile(Fac),
    Half = binary:part(Pre, 0, byte_size(Pre) div 2),
    [?_assertMatch({error, _}, hb_beamr:start(Fac, aot)),
     ?_assertMatch({error, _}, hb_beamr:start(<<"garbage">>, aot)),
     ?_assertMatch({error, _}, hb_beamr:start(Half, aot)),
     ?_assertMatch({error, {load, _}}, hb_beamr:compile(<<"not wasm">>)),
     ?_assertEqual({error, badarg}, hb_beamr:compile(42))].

no_aot_engine_says_so_test_() ->
    %% Where precompiled modules are unsupported, both ends say so clearly.
    case hb_beamr_test_util:engine() of
        wasmtime ->
            [];
        _ ->
            Fac = fixture("fac"),
            [?_assertMatch({error, {unsupported, _}}, hb_beamr:compile(Fac)),
             ?_assertMatch({error, {unsupported, _}}, hb_beamr:start(Fac, aot))]
    end.

owner_death_stops_instance_test() ->
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, WASM, _, _} = hb_beamr:start(fixture("fac")),
                          Self ! {wasm, self(), WASM},
                          receive die -> ok end
                  end),
    WASM = receive {wasm, Owner, W} -> W after 10000 -> error(timeout) end,
    MRef = erlang:monitor(process, WASM),
    %% Someone else may use it while the owner lives.
    ?assertEqual({ok, [2.0]}, hb_beamr:call(WASM, "fac", [2.0])),
    Owner ! die,
    receive
        {'DOWN', MRef, process, WASM, _} -> ok
    after 5000 ->
        error(instance_survived_owner)
    end,
    ?assertEqual({error, not_running}, hb_beamr:call(WASM, "fac", [2.0])).

killed_instance_test() ->
    WASM = start("fac"),
    exit(WASM, kill),
    ?assert(wait_until(fun() -> not is_process_alive(WASM) end, 2000)),
    ?assertEqual({error, not_running}, hb_beamr:call(WASM, "fac", [1.0])),
    ?assertEqual(ok, hb_beamr:stop(WASM)).

no_leak_after_stop_test() ->
    Probe = start("fac"),
    #{contexts := C0, threads := T0} = info(Probe),
    Instances = [start("fac") || _ <- lists:seq(1, 8)],
    #{contexts := C1, threads := T1} = info(Probe),
    ?assertEqual(C0 + 8, C1),
    ?assertEqual(T0 + 8, T1),
    lists:foreach(fun hb_beamr:stop/1, Instances),
    ?assert(wait_until(fun() -> maps:with([contexts, threads], info(Probe)) =:=
                                  #{contexts => C0, threads => T0} end, 5000)),
    ok = hb_beamr:stop(Probe).

%%% Helpers

is_loaded() ->
    {ok, Drivers} = erl_ddll:loaded_drivers(),
    lists:member("hb_beamr", Drivers).

unload_all() ->
    case erl_ddll:unload(hb_beamr) of
        ok -> unload_all();
        {error, _} -> ok
    end.
