%%% @doc Helpers shared by the hb_beamr EUnit tests: fixture loading and
%%% small waits. Fixtures are WebAssembly modules built from fixtures/ by
%%% CMake into $HB_BEAMR_FIXTURE_DIR (default: <app root>/build/fixtures).
-module(hb_beamr_test_util).

-export([fixture_dir/0, fixture/1, start/1, wait_until/2, info/1,
         baseline_threads/0, engine/0, requires/2]).

-type feature() :: aot | memory64 | simd.

%% @doc The directory holding the compiled fixtures.
-spec fixture_dir() -> file:filename().
fixture_dir() ->
    case os:getenv("HB_BEAMR_FIXTURE_DIR") of
        Dir when is_list(Dir), Dir =/= "" -> Dir;
        _ -> filename:join([app_root(), "build", "fixtures"])
    end.

%% @doc The bytes of fixture `Name' (without ".wasm").
-spec fixture(string()) -> binary().
fixture(Name) ->
    Path = filename:join(fixture_dir(), Name ++ ".wasm"),
    case file:read_file(Path) of
        {ok, Bin} -> Bin;
        {error, Reason} -> error({missing_fixture, Path, Reason})
    end.

%% @doc Starts an instance of fixture `Name'; returns the instance only.
-spec start(string()) -> hb_beamr:wasm().
start(Name) ->
    {ok, WASM, _Imports, _Exports} = hb_beamr:start(fixture(Name)),
    WASM.

%% @doc Polls `Fun' every 20 ms until it returns true or `TimeoutMs' passes.
-spec wait_until(fun(() -> boolean()), non_neg_integer()) -> boolean().
wait_until(Fun, TimeoutMs) ->
    case Fun() of
        true -> true;
        false when TimeoutMs =< 0 -> false;
        false ->
            timer:sleep(20),
            wait_until(Fun, TimeoutMs - 20)
    end.

%% @doc The engine the driver was built with.
-spec engine() -> wasmtime | wamr.
engine() ->
    WASM = start("fac"),
    #{engine := Engine} = info(WASM),
    ok = hb_beamr:stop(WASM),
    Engine.

%% @doc `Tests' if the engine has `Feature'; otherwise no tests, after
%% printing which were skipped and why (EUnit has no skip of its own).
-spec requires(feature(), Tests) -> Tests | [] when Tests :: term().
requires(Feature, Tests) ->
    case missing_reason(engine(), Feature) of
        none ->
            Tests;
        Reason ->
            io:format(user, "~nSKIPPED (~s): ~s~n", [Feature, Reason]),
            []
    end.

%% Mirrors engine_supports() of the C++ suite (core/test/test_support.cpp).
missing_reason(wamr, aot) ->
    "this WAMR build has no AOT loader: precompiled modules are unsupported";
missing_reason(wamr, memory64) ->
    "WAMR's fast interpreter has no memory64";
missing_reason(wamr, simd) ->
    "this WAMR build leaves SIMD out";
missing_reason(_, _) ->
    none.

%% @doc The driver's counters: live contexts and instance threads.
-spec info(hb_beamr:wasm()) ->
    #{engine := atom(), contexts := integer(), threads := integer()}.
info(WASM) ->
    {ok, List} = hb_beamr:request(WASM, info, []),
    maps:from_list(List).

%% @doc Instance threads alive, as seen from a fresh instance (which itself
%% counts as one).
-spec baseline_threads() -> integer().
baseline_threads() ->
    WASM = start("fac"),
    #{threads := Threads} = info(WASM),
    ok = hb_beamr:stop(WASM),
    Threads - 1.

app_root() ->
    %% test/ sits next to src/ at the application root.
    filename:dirname(filename:dirname(filename:absname(?FILE))).
