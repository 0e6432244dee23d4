%%% @doc Long-lived, sandboxed WebAssembly instances for Erlang.
%%%
%%% Each instance is a process (the `WASM' pid returned by {@link start/1})
%%% that owns one port of the `hb_beamr' driver, and an OS thread of that
%%% port. On engines that can suspend calls (Wasmtime) a call runs in the
%%% caller's own `erlang:port_control/3', on its scheduler, in slices of at
%%% most 1 ms: a short call costs a few microseconds, an import is a
%%% `port_control' round trip, and a call still running after three slices
%%% moves to the instance's thread. So a call that computes for minutes never
%%% blocks a scheduler, and many instances run in parallel. When the
%%% instance is busy with another process's call, or on WAMR, a call goes
%%% through the instance process to its thread instead (see the README's
%%% "Calls: the fast path and the instance thread"); results and errors are
%%% the same either way.
%%%
%%% When WebAssembly calls an import, the caller of {@link call/6} receives
%%% the request and answers it with its `ImportFun'; the import function may
%%% itself call the instance again (nested calls, as emscripten's `invoke_*'
%%% imports need) and read or write its memory with {@link hb_beamr_io}.
%%%
%%% Any process may call an instance. Calls from different processes are run
%%% one after another; calls made from inside an import function run nested
%%% in the call that is waiting for it (they must be made by the process
%%% running the import function: a call from a helper process it waits for
%%% would queue behind the call in progress). Memory access through
%%% {@link hb_beamr_io} is never queued: it runs between calls or while a
%%% call waits for an import. If a caller exits while its import is pending,
%%% the import fails and the instance unwinds. The instance stops with
%%% {@link stop/1} or when the process that started it exits.
%%%
%%% Example (`fac.wasm' exports `fac' on f64, `pow.wasm' imports
%%% `my_lib.mul'):
%%% ```
%%% {ok, Fac} = file:read_file("fac.wasm"),
%%% {ok, WASM, [], [{func, "fac", "(F)F"}]} = hb_beamr:start(Fac),
%%% {ok, [120.0]} = hb_beamr:call(WASM, "fac", [5.0]),
%%% ok = hb_beamr:stop(WASM),
%%%
%%% {ok, Pow} = file:read_file("pow.wasm"),
%%% {ok, P, [{func, "my_lib", "mul", "(FF)F"}], _} = hb_beamr:start(Pow),
%%% Mul = fun(Calls, #{func := "mul", args := [A, B]}) ->
%%%           {ok, [A * B], Calls + 1}
%%%       end,
%%% {ok, [1024.0], 10} = hb_beamr:call(P, "pow", [2.0, 10], Mul, 0),
%%% ok = hb_beamr:stop(P).
%%% '''
%%%
%%% Values are integers and floats; see {@link hb_beamr_values} for the
%%% ranges each type accepts. NaN and the infinities are the atoms `nan',
%%% `infinity' and `neg_infinity', both ways.
%%%
%%% Errors of a call: `{invalid_args, Args}', `{unknown_export, Name}',
%%% `{not_a_function, Name}', `{bad_table_index, Index}',
%%% `{trap, Message}' (the instance stays usable), `timeout' (the call ran
%%% past its time limit; the instance stays usable), `{badopt, timeout}',
%%% `not_running' (the instance had stopped before the call), `stopped'
%%% (it stopped during the call) and `not_an_instance' (the pid is a live
%%% process that is not an instance; calls, `stop/1' and `hb_beamr_io' give
%%% it instead of waiting for an answer that never comes). Other failures of the engine come as `{Kind, Message}' with
%%% `Kind' one of `load', `link', `instantiate', `invalid_state', ...
%%%
%%% Stopping: {@link stop/1} answers a call in progress with
%%% `{error, stopped}' at once (a caller busy in its import function learns
%%% it when the function returns). A call waiting for an import unwinds; a call
%%% that is computing, even an endless loop or a start function that never
%%% returns, is interrupted. Either way the instance's thread ends and is
%%% joined within milliseconds, and its memory is freed. (Only work that
%%% cannot be interrupted, such as compiling a very large module, may outlive
%%% a grace period of half a second; the driver then keeps itself loaded
%%% until the VM exits, as it must while its code runs.)
%%%
%%% Time limits: `call/6' takes `#{timeout => Milliseconds}'. A call still
%%% running WebAssembly past it is interrupted and returns
%%% `{error, timeout, State}', typically within a few milliseconds of the
%%% deadline; the instance stays usable. The limit counts from the moment
%%% the instance starts the call (not time spent queued behind other
%%% callers) and covers nested calls made from its import function. An
%%% import function running in Erlang cannot be preempted: if the deadline
%%% passes while it runs, the call fails with `timeout' as soon as it
%%% returns, without resuming WebAssembly. On both engines the instance
%%% stays usable after a timeout (the EUnit suite checks it on each).
%%%
%%% Limits: {@link start/3} bounds an instance's memory, tables, fuel per
%%% call and native stack, and can make it deterministic; see
%%% {@link start_opts()}. A limit reached inside WebAssembly behaves as the
%%% WebAssembly spec says: `memory.grow' and `table.grow' return -1, running
%%% out of fuel is `{trap, <<"all fuel consumed">>}', a too deep recursion
%%% is `{trap, <<"call stack exhausted">>}'. None of it affects other
%%% instances or the VM, and the instance stays usable.
%%%
%%% Cost: each instance is one Erlang process and one OS thread, started
%%% with its first command (it runs start functions, long calls and, on
%%% WAMR, every call), that blocks on a condition variable while idle.
%%% The thread's stack is 8 MiB of reserved address space (max_stack + 2 MiB
%%% if that is more), of which only the pages in use are resident. Measured
%%% on Wasmtime (x86-64, 200 idle instances in a fresh VM), an instance
%%% costs about 22 KiB of resident memory for a module without memory and
%%% about 30 KiB for a small C module that has used its memory, plus the
%%% linear-memory pages it touches. Wasmtime also reserves (without using)
%%% about 4 GiB of address space per 32-bit linear memory. Compiled code is
%%% shared by all instances of the same module bytes and limits profile.
%%% 1,000 instances called at once from 1,000 processes run on 2 cores in
%%% a few seconds.
%%%
%%% Below this API, {@link wasm_send/2} speaks the driver's protocol
%%% directly: commands are tuples `{Op, Tag, ...}' (see c_src/protocol.hpp)
%%% and every reply comes back as `{WASM, Tag, Reply}'. Such commands always
%%% take the instance thread's path; the fast path's `port_control'
%%% commands are internal (c_src/fast_path.hpp).
%%%
%%% Inside, this module checks arguments and delegates: {@link hb_beamr_call}
%%% runs a call (one loop for the fast path and the paths through messages),
%%% {@link hb_beamr_wire} encodes and decodes the driver's protocol, and
%%% {@link hb_beamr_instance} is the instance process (`proc_lib'/`sys').
-module(hb_beamr).

-export([load_driver/0, start/1, start/2, start/3, compile/1]).
-export([call/3, call/4, call/5, call/6]).
-export([stop/1, wasm_send/2, serialize/1, deserialize/2]).
-export([request/3, read_output/2]).

-export_type([wasm/0, mode/0, extern_kind/0, import_desc/0, export_desc/0,
              value/0, func_ref/0, import_request/0, import_fun/0,
              start_opts/0, call_opts/0, wasi_opts/0, output_sink/0]).

%% The most native stack WebAssembly may get (?HB_MAX_STACK): the instance
%% thread has max_stack + 2 MiB, and ERTS gives a driver thread at most
%% 64 MiB. Call time limits from ?HB_MAX_TIMEOUT_MS milliseconds (about 35
%% years) on mean no limit, as in the driver.
-include("../include/hb_beamr_wire.hrl").

-type wasm() :: pid().
%% A running instance.
-type mode() :: wasm | aot.
%% `wasm': a WebAssembly binary; `aot': a module precompiled by
%% {@link compile/1}.
-type extern_kind() :: func | memory | table | global | tag.
%% `tag' is an exception tag (exception handling). WAMR builds never list
%% tags: WAMR cannot describe them, so its adapter leaves tag exports out.
-type import_desc() :: {extern_kind(), Module :: string(), Field :: string(),
                        Signature :: string()}.
%% An import; `Signature' as in {@link export_desc()}.
-type export_desc() :: {extern_kind(), Name :: string(), Signature :: string()}.
%% An export. `Signature' is, for a function, its type, `"(iI)f"' (i=i32
%% I=i64 f=f32 F=f64 V=v128 r=funcref e=externref; parameters in
%% parentheses, then results); a global `"i"' or `"mut i"'; a memory
%% `"i32:1..2"' or `"i64:1.."' (limits in pages); a table `"r:1..10"'
%% (limits in elements, up to 2^64 for a 64-bit table); a tag its
%% parameters in function notation, `"(iI)"' (a tag has no results).
-type value() :: hb_beamr_values:value().
-type func_ref() :: string() | binary() | non_neg_integer().
%% An export name, or an index into the exported function table.
-type import_request() :: #{instance := wasm(), module := string(),
                            func := string(), args := [value()],
                            func_sig := string()}.
-type import_fun() ::
        fun((State :: term(), import_request()) ->
                {ok, [value()], NewState :: term()})
      | fun((State :: term(), import_request(), Opts :: map()) ->
                {ok, [value()], NewState :: term()}).
-type start_opts() :: #{max_memory => pos_integer() | infinity,
                        max_table_elements => pos_integer() | infinity,
                        fuel => pos_integer() | infinity,
                        max_stack => pos_integer() | infinity,
                        deterministic => boolean(),
                        wasi => wasi_opts()}.
%% Limits of an instance, fixed when it starts. An absent option takes its
%% default; `infinity' lifts it.
%% <ul>
%% <li>`max_memory': bytes any linear memory may grow to (default 4 GiB).
%%     `memory.grow' past it returns -1 inside WebAssembly (and
%%     {@link deserialize/2} cannot grow past it either); a module whose
%%     initial memory is larger fails to start with `{instantiate, Message}'.
%%     On Wasmtime a memory never moves, so it cannot grow past the address
%%     space it reserved: 4 GiB, or `max_memory' if larger, 64 GiB with
%%     `infinity'.</li>
%% <li>`max_table_elements': elements any table may grow to (`table.grow'
%%     returns -1 past it; default 10,000,000 on Wasmtime, none on
%%     WAMR).</li>
%% <li>`fuel': roughly, WebAssembly instructions each call may execute
%%     (refilled for every call; no limit by default). Running out is
%%     `{trap, <<"all fuel consumed">>}'.</li>
%% <li>`max_stack': bytes of native stack WebAssembly may use (engine
%%     default otherwise: 512 KiB on Wasmtime, 1 MiB on WAMR), at most 62 MiB;
%%     `infinity' gives the most, 62 MiB. Recursing deeper is
%%     `{trap, <<"call stack exhausted">>}'.</li>
%% <li>`deterministic': `true' for bit-for-bit reproducible execution (NaNs
%%     are canonicalized).</li>
%% <li>`wasi': answer the module's WASI preview 1 imports in C++ (see
%%     {@link wasi_opts()}).</li>
%% </ul>
%% An engine that cannot honour an option refuses it with
%% `{error, {unsupported, Message}}'.
-type output_sink() :: capture | discard | pid().
%% Where a WASI guest's stdout or stderr goes: kept in the instance for
%% {@link read_output/2} (`capture'), dropped (`discard'), or sent to a
%% process as `{hb_beamr_output, WASM, stdout | stderr, Bytes}' messages,
%% in the order written (they may arrive after the call that wrote them
%% has returned).
-type wasi_opts() :: #{args => [binary()],
                       env => [{binary(), binary()}] | #{binary() => binary()},
                       stdin => binary(),
                       stdout => output_sink(),
                       stderr => output_sink(),
                       output_limit => non_neg_integer(),
                       seed => non_neg_integer()}
                   | [{atom(), term()}].
%% The `wasi' start option: a map or a keyword list. The guest sees `args'
%% as its argv (program name included; default none), `env' as its
%% environment (default empty), reads `stdin' from fd 0 (default empty),
%% and writes fds 1 and 2 to `stdout' and `stderr' (default `capture').
%% Each captured stream keeps at most `output_limit' bytes (default 1 MiB),
%% the newest. `seed' makes `random_get' a reproducible sequence (also
%% seeded, from 0, when the instance is `deterministic'). Imports of
%% `wasi_snapshot_preview1' it covers never reach the import function;
%% other imports do, as without it.
-type call_opts() :: #{timeout => pos_integer() | infinity, term() => term()}.
%% Options of {@link call/6}. `timeout' limits, in milliseconds, how long the
%% call may run WebAssembly; the whole map is also passed to an import
%% function of arity 3.

%%% ------------------------------------------------------------------------
%%% API
%%% ------------------------------------------------------------------------

%% @doc Loads the `hb_beamr' driver from the application's `priv' directory
%% (or from `$HB_BEAMR_DRIVER_DIR'). Returns `ok' also when it is already
%% loaded. The calling process becomes a user of the driver (it stays loaded
%% while a user lives or a port uses it).
-spec load_driver() -> ok | {error, term()}.
load_driver() ->
    Driver = hb_beamr_wire:driver_name(),
    case erl_ddll:load(driver_dir(), Driver) of
        ok ->
            ok;
        {error, Reason} ->
            {ok, Loaded} = erl_ddll:loaded_drivers(),
            case lists:member(Driver, Loaded) of
                true -> ok;
                false -> {error, Reason}
            end
    end.

%% @equiv start(WasmBinary, wasm, #{})
-spec start(binary()) ->
    {ok, wasm(), [import_desc()], [export_desc()]} | {error, term()}.
start(WasmBinary) ->
    start(WasmBinary, wasm).

%% @equiv start(WasmBinary, Mode, #{})
-spec start(binary(), mode()) ->
    {ok, wasm(), [import_desc()], [export_desc()]} | {error, term()}.
start(WasmBinary, Mode) ->
    start(WasmBinary, Mode, #{}).

%% @doc Starts an instance of a module, with limits. In mode `wasm' the
%% binary is compiled; in mode `aot' it must come from {@link compile/1} with
%% the same build of the engine, and a corrupt or incompatible one gives
%% `{error, {load, Message}}'. Function imports are answered, during calls,
%% by the caller's import function (and with zeros while a start function
%% runs). The caller is the instance's owner: it stops when the owner exits.
%%
%% `Opts' (see {@link start_opts()}) are checked before anything starts: an
%% unknown key or a value of the wrong type or range gives
%% `{error, {badopt, Key}}', an option the engine cannot honour
%% `{error, {unsupported, Message}}'. For example, an instance with at most
%% 16 MiB of memory and ten million instructions per call:
%% ```
%% {ok, WASM, _, _} = hb_beamr:start(Bin, wasm, #{max_memory => 16 bsl 20,
%%                                                fuel => 10000000})
%% '''
-spec start(binary(), mode(), start_opts()) ->
    {ok, wasm(), [import_desc()], [export_desc()]} | {error, term()}.
start(WasmBinary, Mode, Opts)
  when is_binary(WasmBinary), (Mode =:= wasm orelse Mode =:= aot), is_map(Opts) ->
    case driver_options(Opts) of
        {ok, DriverOpts} -> start_checked(WasmBinary, Mode, DriverOpts);
        {error, _} = Error -> Error
    end;
start(_WasmBinary, _Mode, _Opts) ->
    {error, badarg}.

start_checked(WasmBinary, Mode, DriverOpts) ->
    %% hb_beamr_call:run/6 tags it.
    Init = case map_size(DriverOpts) of
               0 -> {init, undefined, WasmBinary, Mode};
               _ -> {init, undefined, WasmBinary, Mode, DriverOpts}
           end,
    case hb_beamr_instance:start(self()) of
        {ok, WASM} ->
            case hb_beamr_call:run(WASM, Init, [], fun hb_beamr_call:stub_import/2,
                                   #{}, #{}) of
                {ok, {Imports, Exports}, _} ->
                    {ok, WASM, Imports, Exports};
                {error, Reason, _} ->
                    ok = stop(WASM),
                    {error, Reason};
                {error, Class, Reason, _Stack, _} ->
                    ok = stop(WASM),
                    {error, {Class, Reason}}
            end;
        {error, _} = Error ->
            Error
    end.

%% Checks start options, in key order, and turns them into the driver's:
%% `fuel => infinity' is left out (no fuel is the default), the other
%% `infinity' values lift a default.
driver_options(Opts) ->
    lists:foldl(
      fun({Key, Value}, {ok, Acc}) ->
              case driver_option(Key, Value) of
                  {ok, omit} -> {ok, Acc};
                  {ok, V} -> {ok, Acc#{Key => V}};
                  {error, _} = Error -> Error;
                  error -> {error, {badopt, Key}}
              end;
         (_, Error) ->
              Error
      end, {ok, #{}}, lists:sort(maps:to_list(Opts))).

driver_option(fuel, infinity) ->
    {ok, omit};
driver_option(Key, infinity)
  when Key =:= max_memory; Key =:= max_table_elements ->
    {ok, infinity};
driver_option(max_stack, infinity) ->
    {ok, ?HB_MAX_STACK};
driver_option(Key, N)
  when (Key =:= max_memory orelse Key =:= max_table_elements orelse Key =:= fuel),
       is_integer(N), N > 0, N < 1 bsl 64 ->
    {ok, N};
driver_option(max_stack, N) when is_integer(N), N > 0, N =< ?HB_MAX_STACK ->
    {ok, N};
driver_option(deterministic, true) ->
    {ok, true};
driver_option(deterministic, false) ->
    {ok, omit};
driver_option(wasi, Wasi) ->
    wasi_option(Wasi);
driver_option(_Key, _Value) ->
    error.

%% The wasi option as the driver takes it:
%% {Args, Env, Stdin, Stdout, Stderr, OutputLimit, Seed | none}. A bad key
%% or value gives {error, {badopt, {wasi, Key}}}.
wasi_option(Wasi) when is_list(Wasi) ->
    try maps:from_list(Wasi) of
        Map -> wasi_option(Map)
    catch
        error:_ -> error
    end;
wasi_option(Wasi) when is_map(Wasi) ->
    Known = [args, env, stdin, stdout, stderr, output_limit, seed],
    case [K || K <- lists:sort(maps:keys(Wasi)), not lists:member(K, Known)] of
        [Unknown | _] -> {error, {badopt, {wasi, Unknown}}};
        [] -> wasi_fields(Wasi)
    end;
wasi_option(_) ->
    error.

wasi_fields(Wasi) ->
    Checks = [{args, [], fun binaries/1},
              {env, [], fun env_pairs/1},
              {stdin, <<>>, fun(B) when is_binary(B) -> {ok, B}; (_) -> error end},
              {stdout, capture, fun output_sink/1},
              {stderr, capture, fun output_sink/1},
              {output_limit, 1 bsl 20, fun uint64/1},
              {seed, none, fun(none) -> {ok, none}; (N) -> uint64(N) end}],
    Checked = [{Key, Check(maps:get(Key, Wasi, Default))}
               || {Key, Default, Check} <- Checks],
    case [Key || {Key, error} <- Checked] of
        [Bad | _] -> {error, {badopt, {wasi, Bad}}};
        [] -> {ok, list_to_tuple([V || {_, {ok, V}} <- Checked])}
    end.

binaries(List) when is_list(List) ->
    case lists:all(fun is_binary/1, List) of
        true -> {ok, List};
        false -> error
    end;
binaries(_) ->
    error.

env_pairs(Env) when is_map(Env) ->
    env_pairs(lists:sort(maps:to_list(Env)));
env_pairs(Env) when is_list(Env) ->
    case lists:all(fun({N, V}) -> is_binary(N) andalso is_binary(V);
                      (_) -> false
                   end, Env) of
        true -> {ok, Env};
        false -> error
    end;
env_pairs(_) ->
    error.

output_sink(Sink) when Sink =:= capture; Sink =:= discard; is_pid(Sink) ->
    {ok, Sink};
output_sink(_) ->
    error.

uint64(N) when is_integer(N), N >= 0, N < 1 bsl 64 -> {ok, N};
uint64(_) -> error.

%% @doc Compiles a WebAssembly binary to the engine's native format, for
%% `start(Precompiled, aot)', which then loads without compiling.
-spec compile(binary()) -> {ok, binary()} | {error, term()}.
compile(WasmBinary) when is_binary(WasmBinary) ->
    case hb_beamr_instance:start(self()) of
        {ok, WASM} ->
            Result = request(WASM, compile, [WasmBinary]),
            ok = stop(WASM),
            Result;
        {error, _} = Error ->
            Error
    end;
compile(_) ->
    {error, badarg}.

%% @doc Calls an export (by name) or a function table entry (by index).
%% Imports the function calls are answered with zeros of their result types.
-spec call(wasm(), func_ref(), [value()]) -> {ok, [value()]} | {error, term()}.
call(WASM, FuncRef, Args) ->
    case call(WASM, FuncRef, Args, fun hb_beamr_call:stub_import/2, #{}, #{}) of
        {ok, Results, _} -> {ok, Results};
        {error, Reason, _} -> {error, Reason};
        {error, Class, Reason, Stack, _} -> {error, {Class, Reason, Stack}}
    end.

%% @equiv call(WASM, FuncRef, Args, ImportFun, #{}, #{})
-spec call(wasm(), func_ref(), [value()], import_fun()) ->
    {ok, [value()], term()} | {error, term(), term()}
    | {error, atom(), term(), list(), term()}.
call(WASM, FuncRef, Args, ImportFun) ->
    call(WASM, FuncRef, Args, ImportFun, #{}, #{}).

%% @equiv call(WASM, FuncRef, Args, ImportFun, State, #{})
-spec call(wasm(), func_ref(), [value()], import_fun(), term()) ->
    {ok, [value()], term()} | {error, term(), term()}
    | {error, atom(), term(), list(), term()}.
call(WASM, FuncRef, Args, ImportFun, State) ->
    call(WASM, FuncRef, Args, ImportFun, State, #{}).

%% @doc Calls a function, answering its imports with `ImportFun'.
%%
%% `ImportFun(State, Request)' or `ImportFun(State, Request, Opts)' gets a
%% request map with `instance', `module', `func', `args' and `func_sig', and
%% returns `{ok, Results, NewState}'; it may call the instance again. The
%% final state is returned with the results. Results that do not match the
%% import's signature give `{error, {invalid_import_result, Module, Func,
%% Results}, State}', any other return value `{error, {bad_import_return,
%% Value}, State}'. If `ImportFun' raises, the import traps, WebAssembly
%% unwinds, and `{error, Class, Reason, Stacktrace, State}' is returned; the
%% instance stays usable in every case.
%%
%% `Opts' may hold `timeout' (see {@link call_opts()}): milliseconds of
%% WebAssembly execution after which the call is interrupted and returns
%% `{error, timeout, State}' (the instance stays usable); `infinity' (the
%% default) means no limit. It applies to calls made from outside an import
%% function; a call made from inside one (a nested call) ignores its own
%% `timeout' and runs within its outer call's limit, if any. The limit
%% counts WebAssembly execution from the moment the instance starts the
%% call; an import function is not preempted, but if the deadline passes
%% while it runs, the call fails with `timeout' as soon as it returns.
%% A `timeout' that is not a positive integer or `infinity' gives
%% `{error, {badopt, timeout}, State}'. Other keys are free for the import
%% function.
-spec call(wasm(), func_ref(), [value()], import_fun(), term(), call_opts()) ->
    {ok, [value()], term()} | {error, term(), term()}
    | {error, atom(), term(), list(), term()}.
call(WASM, FuncRef, Args, ImportFun, State, Opts)
  when is_pid(WASM), is_map(Opts),
       (is_function(ImportFun, 2) orelse is_function(ImportFun, 3)) ->
    case {call_timeout(Opts), valid_args(Args)} of
        {error, _} ->
            {error, {badopt, timeout}, State};
        {_, false} ->
            {error, {invalid_args, Args}, State};
        {{ok, Timeout}, true} ->
            hb_beamr_call:call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts)
    end;
call(_WASM, _FuncRef, _Args, _ImportFun, State, _Opts) ->
    {error, badarg, State}.

%% @doc Stops an instance: its port closes, WebAssembly it is running is
%% interrupted, its thread ends, and a call in progress returns
%% `{error, stopped}'. Returns `ok', also when the instance had already
%% stopped. A live process that is not an instance gives
%% `{error, not_an_instance}'.
-spec stop(wasm()) -> ok | {error, not_an_instance}.
stop(WASM) when is_pid(WASM) ->
    case hb_beamr_instance:check(WASM) of
        ok -> hb_beamr_instance:stop(WASM);
        Error -> Error
    end.

%% @doc Sends a raw command to the instance's driver. The sender becomes the
%% listener: replies to the command, `{WASM, Tag, Reply}', go to it (and so do
%% replies whose tag is not known). `Message' is a command tuple such as
%% `{size, Ref}' (see the driver's protocol) or `{command, Binary}' with an
%% encoded command. Only the process a call's messages go to may answer its
%% imports: an `import_response' or `import_error' for another process's
%% call is refused with `{WASM, Tag, {error, not_the_caller}}'.
-spec wasm_send(wasm(), term()) -> ok.
wasm_send(WASM, Message) when is_pid(WASM) ->
    hb_beamr_instance:send(WASM, Message).

%% @doc Snapshot of the instance's state: its whole linear memory.
-spec serialize(wasm()) -> {ok, binary()} | {error, term()}.
serialize(WASM) ->
    request(WASM, serialize, []).

%% @doc Restores a snapshot from {@link serialize/1} into an instance of the
%% same module, growing its memory as needed; memory past the snapshot's
%% size is zeroed.
-spec deserialize(wasm(), binary()) -> ok | {error, term()}.
deserialize(WASM, Binary) when is_binary(Binary) ->
    request(WASM, deserialize, [Binary]);
deserialize(_WASM, _Binary) ->
    {error, badarg}.

%% @doc Drains what a WASI guest has written to `stdout' or `stderr' so
%% far, when that stream is captured (see {@link wasi_opts()}): `{ok,
%% Bytes}', then `{ok, <<>>}' until it writes again. A `discard' or pid
%% stream always gives `{ok, <<>>}'; an instance started without the `wasi'
%% option gives `{error, no_wasi}'. It may be called from an import
%% function of the instance's call in progress.
-spec read_output(wasm(), stdout | stderr) -> {ok, binary()} | {error, term()}.
read_output(WASM, Stream) when is_pid(WASM), (Stream =:= stdout orelse Stream =:= stderr) ->
    request(WASM, read_output, [Stream]);
read_output(_WASM, _Stream) ->
    {error, badarg}.

%% @doc Sends the driver command `{Op, Ref | Args}' and waits for its one
%% reply. Used by {@link hb_beamr_io}; not for commands that call
%% WebAssembly.
-spec request(wasm(), atom(), [term()]) -> term().
request(WASM, Op, Args) when is_pid(WASM) ->
    hb_beamr_call:request(WASM, Op, Args);
request(_WASM, _Op, _Args) ->
    {error, badarg}.

%%% ------------------------------------------------------------------------
%%% Argument checks
%%% ------------------------------------------------------------------------

valid_args([]) ->
    true;
valid_args([Arg | Rest]) ->
    hb_beamr_values:is_value(Arg) andalso valid_args(Rest);
valid_args(_) ->
    false.

call_timeout(Opts) ->
    case maps:find(timeout, Opts) of
        error -> {ok, infinity};
        {ok, infinity} -> {ok, infinity};
        {ok, Ms} when is_integer(Ms), Ms > 0, Ms < ?HB_MAX_TIMEOUT_MS -> {ok, Ms};
        {ok, Ms} when is_integer(Ms), Ms > 0 -> {ok, infinity};
        {ok, _} -> error
    end.

driver_dir() ->
    case os:getenv("HB_BEAMR_DRIVER_DIR") of
        Dir when is_list(Dir), Dir =/= "" ->
            Dir;
        _ ->
            case code:priv_dir(hb_beamr) of
                Dir when is_list(Dir) ->
                    Dir;
                {error, _} ->
                    Ebin = filename:dirname(code:which(?MODULE)),
                    filename:join(filename:dirname(Ebin), "priv")
            end
    end.
