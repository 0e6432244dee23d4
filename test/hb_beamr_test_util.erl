%%% @doc Helpers shared by the hb_beamr EUnit tests: fixture loading and
%%% small waits. Fixtures are WebAssembly modules built from fixtures/ by
%%% CMake into $HB_BEAMR_FIXTURE_DIR (default: <app root>/build/fixtures).
-module(hb_beamr_test_util).

-export([fixture_dir/0, fixture/1, start/1, start/2, wait_until/2, info/1,
         baseline_threads/0, engine/0, requires/2, missing_reason/1,
         counts/0, settled/2, run_isolated/2, run_isolated/3]).

-type feature() :: aot | memory64 | simd | fuel | deterministic | table_limits
                 | fast_path.

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

%% @doc Starts an instance of fixture `Name' with start options `Opts'.
-spec start(string(), hb_beamr:start_opts()) -> hb_beamr:wasm().
start(Name, Opts) ->
    {ok, WASM, _Imports, _Exports} = hb_beamr:start(fixture(Name), wasm, Opts),
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

%% @doc Why the engine lacks `Feature', or `none'.
-spec missing_reason(feature()) -> string() | none.
missing_reason(Feature) ->
    missing_reason(engine(), Feature).

%% Mirrors engine_supports() of the C++ suite (core/test/test_support.cpp).
%% WAMR (the classic interpreter) has memory64 and fuel.
missing_reason(wamr, deterministic) ->
    "this WAMR build does not canonicalize NaNs";
missing_reason(wamr, table_limits) ->
    "WAMR cannot hold a table below its declared maximum";
missing_reason(wamr, aot) ->
    "this WAMR build has no AOT loader (WAMR cannot combine it with exception "
    "handling): precompiled modules are unsupported";
missing_reason(wamr, simd) ->
    "WAMR's classic interpreter has no SIMD";
missing_reason(wamr, fast_path) ->
    "WAMR cannot suspend a call, so every call runs on the instance thread";
missing_reason(_, _) ->
    none.

%% @doc The driver's counters: live contexts and instance threads, and the
%% compiled-module cache's hits, misses and entries.
-spec info(hb_beamr:wasm()) ->
    #{engine := atom(), contexts := integer(), threads := integer(),
      module_cache_hits := integer(), module_cache_misses := integer(),
      modules_cached := integer(), fast_calls := integer(),
      fast_fallbacks := integer(), thread_calls := integer()}.
info(WASM) ->
    {ok, List} = hb_beamr:request(WASM, info, []),
    maps:from_list(List).

%% @doc The driver's live contexts and instance threads, seen from a fresh
%% instance, without that instance.
-spec counts() -> #{contexts := integer(), threads := integer()}.
counts() ->
    WASM = start("fac"),
    #{contexts := C, threads := T} = info(WASM),
    ok = hb_beamr:stop(WASM),
    #{contexts => C - 1, threads => T - 1}.

%% @doc Waits up to `TimeoutMs' for the driver's contexts and threads to
%% equal `Counts' (from {@link counts/0}); returns the last counts seen.
-spec settled(#{contexts := integer(), threads := integer()}, non_neg_integer()) ->
    #{contexts := integer(), threads := integer()}.
settled(Counts, TimeoutMs) ->
    Last = counts(),
    case Last =:= Counts of
        true -> Last;
        false when TimeoutMs =< 0 -> Last;
        false ->
            timer:sleep(50),
            settled(Counts, TimeoutMs - 50)
    end.

%% @doc Instance threads alive, as seen from a fresh instance (which itself
%% counts as one).
-spec baseline_threads() -> integer().
baseline_threads() ->
    WASM = start("fac"),
    #{threads := Threads} = info(WASM),
    ok = hb_beamr:stop(WASM),
    Threads - 1.

%% @doc Runs `Module:Fun()' in a fresh Erlang VM and returns its result, or
%% `{child_failed, ExitStatus, Output}' if that VM died or did not finish
%% within 100 s. For tests that watch the driver unload, measure the VM's
%% memory, or could crash the VM if the driver were wrong.
-spec run_isolated(module(), atom()) -> term().
run_isolated(Module, Fun) ->
    run_isolated(Module, Fun, []).

%% @doc As {@link run_isolated/2}, with `Env' added to the child's
%% environment (as in `open_port/2''s `env' option).
-spec run_isolated(module(), atom(), [{string(), string() | false}]) -> term().
run_isolated(Module, Fun, Env) ->
    Erl = os:find_executable("erl"),
    Paths = lists:usort([filename:dirname(code:which(M))
                         || M <- [hb_beamr, ?MODULE, Module]]),
    Expr = lists:flatten(
             io_lib:format("io:format(\"~~nRESULT:~~w.~~n\", [catch ~s:~s()]), "
                           "erlang:halt(0).", [Module, Fun])),
    Args = ["-noshell", "-pa" | Paths] ++ ["-eval", Expr],
    Port = open_port({spawn_executable, Erl},
                     [{args, Args}, {env, Env}, exit_status, stderr_to_stdout,
                      binary]),
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
    after 100000 ->
        catch port_close(Port),
        {timeout, Acc}
    end.

app_root() ->
    %% test/ sits next to src/ at the application root.
    filename:dirname(filename:dirname(filename:absname(?FILE))).
