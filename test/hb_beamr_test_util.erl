%%% @doc Helpers shared by the hb_beamr EUnit tests: fixture loading and
%%% small waits. Fixtures are WebAssembly modules built from fixtures/ by
%%% CMake into $HB_BEAMR_FIXTURE_DIR (default: <app root>/build/fixtures).
-module(hb_beamr_test_util).

-export([fixture_dir/0, fixture/1, start/1, wait_until/2, info/1,
         baseline_threads/0]).

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

%% @doc The driver's counters: live contexts and instance threads.
-spec info(hb_beamr:wasm()) -> #{contexts := integer(), threads := integer()}.
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
