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
-module(hb_beamr).

-export([load_driver/0, start/1, start/2, start/3, compile/1]).
-export([call/3, call/4, call/5, call/6]).
-export([stop/1, wasm_send/2, serialize/1, deserialize/2]).
-export([request/3]).

-export_type([wasm/0, mode/0, extern_kind/0, import_desc/0, export_desc/0,
              value/0, func_ref/0, import_request/0, import_fun/0,
              start_opts/0, call_opts/0]).

-define(DRIVER, "hb_beamr").
%% In every instance process's dictionary (see check_instance/1).
-define(INSTANCE_MARK, '$hb_beamr_instance').
%% The most native stack WebAssembly may get: the instance thread has
%% max_stack + 2 MiB, and ERTS gives a driver thread at most 64 MiB.
-define(MAX_STACK, (62 * 1024 * 1024)).
%% Call time limits from this many milliseconds (about 35 years) on mean no
%% limit, as in the driver.
-define(MAX_TIMEOUT, (1 bsl 40)).

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
                        max_stack => pos_integer(),
                        deterministic => boolean()}.
%% Limits of an instance, fixed when it starts (absent or `infinity': no
%% limit of ours).
%% <ul>
%% <li>`max_memory': bytes any linear memory may grow to. `memory.grow' past
%%     it returns -1 inside WebAssembly (and {@link deserialize/2} cannot grow
%%     past it either); a module whose initial memory is larger fails to
%%     start with `{instantiate, Message}'.</li>
%% <li>`max_table_elements': elements any table may grow to (`table.grow'
%%     returns -1 past it).</li>
%% <li>`fuel': roughly, WebAssembly instructions each call may execute
%%     (refilled for every call). Running out is
%%     `{trap, <<"all fuel consumed">>}'.</li>
%% <li>`max_stack': bytes of native stack WebAssembly may use (engine
%%     default otherwise: 512 KiB on Wasmtime), at most 62 MiB. Recursing
%%     deeper is `{trap, <<"call stack exhausted">>}'.</li>
%% <li>`deterministic': `true' for bit-for-bit reproducible execution (NaNs
%%     are canonicalized).</li>
%% </ul>
%% An engine that cannot honour an option refuses it with
%% `{error, {unsupported, Message}}'.
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
    case erl_ddll:load(driver_dir(), ?DRIVER) of
        ok ->
            ok;
        {error, Reason} ->
            {ok, Loaded} = erl_ddll:loaded_drivers(),
            case lists:member(?DRIVER, Loaded) of
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
    Ref = make_ref(),
    Init = case map_size(DriverOpts) of
               0 -> {init, Ref, WasmBinary, Mode};
               _ -> {init, Ref, WasmBinary, Mode, DriverOpts}
           end,
    case spawn_worker() of
        {ok, WASM} ->
            case run(WASM, Ref, Init, [], fun stub_import/2, #{}, #{}) of
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
%% no-limit values are left out.
driver_options(Opts) ->
    lists:foldl(
      fun({Key, Value}, {ok, Acc}) ->
              case driver_option(Key, Value) of
                  {ok, omit} -> {ok, Acc};
                  {ok, V} -> {ok, Acc#{Key => V}};
                  error -> {error, {badopt, Key}}
              end;
         (_, Error) ->
              Error
      end, {ok, #{}}, lists:sort(maps:to_list(Opts))).

driver_option(Key, infinity)
  when Key =:= max_memory; Key =:= max_table_elements; Key =:= fuel ->
    {ok, omit};
driver_option(Key, N)
  when (Key =:= max_memory orelse Key =:= max_table_elements orelse Key =:= fuel),
       is_integer(N), N > 0, N < 1 bsl 64 ->
    {ok, N};
driver_option(max_stack, N) when is_integer(N), N > 0, N =< ?MAX_STACK ->
    {ok, N};
driver_option(deterministic, true) ->
    {ok, true};
driver_option(deterministic, false) ->
    {ok, omit};
driver_option(_Key, _Value) ->
    error.

%% @doc Compiles a WebAssembly binary to the engine's native format, for
%% `start(Precompiled, aot)', which then loads without compiling.
-spec compile(binary()) -> {ok, binary()} | {error, term()}.
compile(WasmBinary) when is_binary(WasmBinary) ->
    case spawn_worker() of
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
    case call(WASM, FuncRef, Args, fun stub_import/2, #{}, #{}) of
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
            case hb_beamr_ports:lookup(WASM) of
                {ok, Port} ->
                    fast_call(WASM, Port, FuncRef, Args, Timeout, ImportFun,
                              State, Opts);
                error ->
                    relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State,
                               Opts)
            end
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
    case check_instance(WASM) of
        ok ->
            MRef = erlang:monitor(process, WASM),
            WASM ! {stop, self()},
            receive
                {'DOWN', MRef, process, WASM, _} -> ok
            end;
        Error ->
            Error
    end.

%% @doc Sends a raw command to the instance's driver. The sender becomes the
%% listener: replies to the command, `{WASM, Tag, Reply}', go to it (and so do
%% replies whose tag is not known). `Message' is a command tuple such as
%% `{size, Ref}' (see the driver's protocol) or `{command, Binary}' with an
%% encoded command.
-spec wasm_send(wasm(), term()) -> ok.
wasm_send(WASM, Message) when is_pid(WASM) ->
    WASM ! {wasm_send, self(), Message},
    ok.

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

%% @doc Sends the driver command `{Op, Ref | Args}' and waits for its one
%% reply. Used by {@link hb_beamr_io}; not for commands that call
%% WebAssembly.
-spec request(wasm(), atom(), [term()]) -> term().
request(WASM, Op, Args) when is_pid(WASM) ->
    Ref = make_ref(),
    Command = list_to_tuple([Op, Ref | Args]),
    case fast_request(WASM, Op, Command) of
        {done, Reply} -> Reply;
        fallback -> relay_request(WASM, Ref, Command)
    end;
request(_WASM, _Op, _Args) ->
    {error, badarg}.

relay_request(WASM, Ref, Command) ->
    case check_instance(WASM) of
        ok -> relay_checked_request(WASM, Ref, Command);
        Error -> Error
    end.

relay_checked_request(WASM, Ref, Command) ->
    MRef = erlang:monitor(process, WASM),
    WASM ! {wasm_send, self(), Command},
    receive
        {WASM, Ref, Reply} ->
            erlang:demonitor(MRef, [flush]),
            Reply;
        {'DOWN', MRef, process, WASM, Reason} ->
            {error, down_reason(Reason)}
    end.

%%% ------------------------------------------------------------------------
%%% The fast path: the caller talks to the port itself (c_src/fast_path.hpp)
%%% ------------------------------------------------------------------------

-define(CTL_CALL, 1).
-define(CTL_ANSWER, 2).
-define(CTL_RESUME, 3).
-define(CTL_REQUEST, 4).

%% One port_control round trip. `closed' when the port is gone.
control(Port, Op, Term) ->
    try erlang:port_control(Port, Op, term_to_binary(Term)) of
        Reply -> control_reply(Reply)
    catch
        error:badarg -> closed
    end.

control_reply(<<1, Reply/binary>>) -> binary_to_term(Reply);
control_reply(<<2, Values/binary>>) -> {ok, from_compact(Values)};
control_reply(<<3, Index:32, Args/binary>>) -> {import_at, Index, from_compact(Args)};
control_reply(<<0, Data/binary>>) -> {ok, Data};
control_reply(_) -> {error, enomem}.

%% Runs a call in slices in this process. The driver answers `fallback' when
%% the instance is busy (another process's call, or a command queued on its
%% thread) or cannot suspend calls; the call then goes through the instance
%% process as before. The command is in the driver's compact encoding
%% (c_src/compact.hpp), which is cheaper than a term both here and there.
fast_call(WASM, Port, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case compact_call(FuncRef, Args, Timeout) of
        {ok, Command} ->
            case control_raw(Port, ?CTL_CALL, Command) of
                fallback ->
                    case get({?MODULE, direct, WASM}) of
                        Port ->
                            direct_call(WASM, Port, FuncRef, Args, Timeout,
                                        ImportFun, State, Opts);
                        _ ->
                            relay_call(WASM, FuncRef, Args, Timeout, ImportFun,
                                       State, Opts)
                    end;
                closed ->
                    {error, not_running, State};
                Reply ->
                    fast_loop(WASM, Port, none, Reply, Args, ImportFun, State, Opts)
            end;
        relay ->
            relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts)
    end.

%% A call from the import function of a call that the fast path handed to
%% the instance thread: it goes straight to the port, whose thread runs it
%% nested and answers this process directly (calls through the instance
%% process would wait for the handed-over call to end).
direct_call(WASM, Port, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case call_command(FuncRef, Args, Timeout) of
        {ok, Ref, Command} ->
            MRef = erlang:monitor(port, Port),
            Chan = {port, WASM, Port},
            ok = answer(Chan, Command),
            Result = loop(Chan, Ref, MRef, Args, ImportFun, State, Opts),
            erlang:demonitor(MRef, [flush]),
            Result;
        error ->
            {error, {invalid_func_ref, FuncRef}, State}
    end.

relay_call(WASM, FuncRef, Args, Timeout, ImportFun, State, Opts) ->
    case {check_instance(WASM), call_command(FuncRef, Args, Timeout)} of
        {{error, Reason}, _} ->
            {error, Reason, State};
        {ok, {ok, Ref, Command}} ->
            run(WASM, Ref, Command, Args, ImportFun, State, Opts);
        {ok, error} ->
            {error, {invalid_func_ref, FuncRef}, State}
    end.

%% A local process that is neither an instance nor gone would never answer
%% a relayed command: refuse it rather than wait forever. An instance marks
%% itself (?INSTANCE_MARK in its dictionary) before it registers its port
%% and keeps the mark until it exits; a dead process is left to the relay's
%% monitor (`not_running'), and a remote one is relayed as it is.
check_instance(WASM) when node(WASM) =/= node() ->
    ok;
check_instance(WASM) ->
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

%% <<0, TimeoutMs:64, Len:32, Name, Values>> or
%% <<1, TimeoutMs:64, Index:64, Values>>; `relay' for what only the term
%% protocol carries (huge indices, names that are not text).
compact_call(Index, Args, Timeout) when is_integer(Index), Index >= 0,
                                        Index < 1 bsl 64 ->
    {ok, <<1, (compact_timeout(Timeout)):64, Index:64, (compact_values(Args))/binary>>};
compact_call(Name, Args, Timeout) when is_binary(Name); is_list(Name) ->
    case name_to_binary(Name) of
        {ok, Bin} ->
            {ok, <<0, (compact_timeout(Timeout)):64, (byte_size(Bin)):32, Bin/binary,
                   (compact_values(Args))/binary>>};
        error ->
            relay
    end;
compact_call(_FuncRef, _Args, _Timeout) ->
    relay.

compact_timeout(infinity) -> 0;
compact_timeout(Ms) -> Ms.

compact_values(Values) ->
    << <<(compact_value(V))/binary>> || V <- Values >>.

compact_value(I) when is_integer(I), I >= -(1 bsl 63), I < 1 bsl 63 -> <<0, I:64/signed>>;
compact_value(I) when is_integer(I), I >= 0, I < 1 bsl 64 -> <<1, I:64>>;
compact_value(F) when is_float(F) -> <<2, F:64/float>>;
compact_value(nan) -> <<3, 0:64>>;
compact_value(infinity) -> <<4, 0:64>>;
compact_value(neg_infinity) -> <<5, 0:64>>;
compact_value(null) -> <<6, 0:64>>;
compact_value(_) -> <<7, 0:64>>.

from_compact(<<>>) -> [];
from_compact(<<0, I:64/signed, Rest/binary>>) -> [I | from_compact(Rest)];
from_compact(<<2, F:64/float, Rest/binary>>) -> [F | from_compact(Rest)];
from_compact(<<3, _:64, Rest/binary>>) -> [nan | from_compact(Rest)];
from_compact(<<4, _:64, Rest/binary>>) -> [infinity | from_compact(Rest)];
from_compact(<<5, _:64, Rest/binary>>) -> [neg_infinity | from_compact(Rest)];
from_compact(<<6, _:64, Rest/binary>>) -> [null | from_compact(Rest)];
from_compact(<<8, _:64, Rest/binary>>) -> [ref | from_compact(Rest)];
from_compact(<<_, _:64, Rest/binary>>) -> [v128 | from_compact(Rest)].

control_raw(Port, Op, Binary) ->
    try erlang:port_control(Port, Op, Binary) of
        Reply -> control_reply(Reply)
    catch
        error:badarg -> closed
    end.

%% Imports is the module's import list as a tuple, fetched once per call
%% when its first import in the compact encoding names one by number.
fast_loop(WASM, Port, Imports, {import, Module, Func, ImportArgs, Sig}, Args,
          ImportFun, State, Opts) ->
    fast_import(WASM, Port, Imports, {Module, Func, Sig}, ImportArgs, term, Args,
                ImportFun, State, Opts);
fast_loop(WASM, Port, Imports0, {import_at, Index, ImportArgs}, Args, ImportFun,
          State, Opts) ->
    Imports = case Imports0 of
                  none -> hb_beamr_ports:imports(WASM);
                  _ -> Imports0
              end,
    case Index < tuple_size(Imports) of
        true ->
            fast_import(WASM, Port, Imports, element(Index + 1, Imports),
                        ImportArgs, compact, Args, ImportFun, State, Opts);
        false ->
            %% The instance has gone (its entry with it) while we called.
            fast_abort(Port, <<"instance stopped">>),
            {error, stopped, State}
    end;
fast_loop(WASM, Port, Ref, yield, Args, ImportFun, State, Opts) ->
    %% The slice is over: let the other processes of this scheduler run.
    erlang:yield(),
    Next = control(Port, ?CTL_RESUME, resume),
    fast_loop(WASM, Port, Ref, Next, Args, ImportFun, State, Opts);
fast_loop(WASM, Port, _Ref, {moved, Tag}, Args, ImportFun, State, Opts) ->
    %% A long call: it goes on on the instance's thread, which talks to this
    %% process directly, tagging its messages with Tag.
    MRef = erlang:monitor(port, Port),
    Result = loop({port, WASM, Port}, Tag, MRef, Args, ImportFun, State, Opts),
    erlang:demonitor(MRef, [flush]),
    Result;
fast_loop(_WASM, _Port, _Ref, {ok, Results}, _Args, _ImportFun, State, _Opts)
  when is_list(Results) ->
    {ok, Results, State};
fast_loop(_WASM, _Port, _Ref, {error, invalid_args}, Args, _ImportFun, State,
          _Opts) ->
    {error, {invalid_args, Args}, State};
fast_loop(_WASM, _Port, _Ref, {error, Reason}, _Args, _ImportFun, State, _Opts) ->
    {error, Reason, State};
fast_loop(_WASM, _Port, _Ref, closed, _Args, _ImportFun, State, _Opts) ->
    {error, stopped, State}.

fast_import(WASM, Port, Imports, {Module, Func, Sig}, ImportArgs, Encoding, Args,
            ImportFun, State, Opts) ->
    Request = #{instance => WASM, module => Module, func => Func,
                args => ImportArgs, func_sig => Sig},
    try invoke(ImportFun, State, Request, Opts) of
        {ok, Results, NewState} ->
            case hb_beamr_values:check_results(Sig, Results) of
                true ->
                    Next = answer_import(Port, Encoding, Results),
                    fast_loop(WASM, Port, Imports, Next, Args, ImportFun, NewState,
                              Opts);
                false ->
                    fast_abort(Port, <<"invalid import result">>),
                    {error, {invalid_import_result, Module, Func, Results}, NewState}
            end;
        Other ->
            fast_abort(Port, <<"bad import function return">>),
            {error, {bad_import_return, Other}, State}
    catch
        Class:Reason:Stack ->
            fast_abort(Port, <<"import function raised">>),
            {error, Class, Reason, Stack, State}
    end.

%% The import's results, in the encoding its request came in.
answer_import(Port, term, Results) ->
    control(Port, ?CTL_ANSWER, {import_response, answer, Results});
answer_import(Port, compact, Results) ->
    control_raw(Port, ?CTL_ANSWER, <<4, (compact_values(Results))/binary>>).

%% Makes the pending import trap and lets the call unwind, so the instance is
%% free again when the caller gets its error.
fast_abort(Port, Message) ->
    fast_unwind(Port, control(Port, ?CTL_ANSWER, {import_error, abort, Message}),
                Message).

fast_unwind(Port, {import, _, _, _, _}, Message) ->
    fast_abort(Port, Message);
fast_unwind(Port, {import_at, _, _}, Message) ->
    fast_abort(Port, Message);
fast_unwind(Port, yield, Message) ->
    fast_unwind(Port, control(Port, ?CTL_RESUME, resume), Message);
fast_unwind(Port, {moved, _Tag}, _Message) ->
    %% Unwinding a trap never takes long; should it, the thread finishes it.
    _ = Port,
    ok;
fast_unwind(_Port, _Final, _Message) ->
    ok.

%% Memory commands go straight to the port when it can serve them now.
fast_request(WASM, Op, Command)
  when Op =:= size; Op =:= read; Op =:= write; Op =:= serialize;
       Op =:= deserialize ->
    case hb_beamr_ports:lookup(WASM) of
        {ok, Port} ->
            case control(Port, ?CTL_REQUEST, Command) of
                fallback -> fallback;
                closed -> fallback;
                Reply -> {done, Reply}
            end;
        error ->
            fallback
    end;
fast_request(_WASM, _Op, _Command) ->
    fallback.

%%% ------------------------------------------------------------------------
%%% Calls through the instance process (in the caller's process)
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
        {ok, Ms} when is_integer(Ms), Ms > 0, Ms < ?MAX_TIMEOUT -> {ok, Ms};
        {ok, Ms} when is_integer(Ms), Ms > 0 -> {ok, infinity};
        {ok, _} -> error
    end.

call_command(Index, Args, Timeout) when is_integer(Index), Index >= 0 ->
    Ref = make_ref(),
    {ok, Ref, with_timeout({indirect_call, Ref, Index, Args}, Timeout)};
call_command(Name, Args, Timeout) when is_binary(Name); is_list(Name) ->
    case name_to_binary(Name) of
        {ok, Bin} ->
            Ref = make_ref(),
            {ok, Ref, with_timeout({call, Ref, Bin, Args}, Timeout)};
        error ->
            error
    end;
call_command(_, _, _) ->
    error.

with_timeout(Command, infinity) -> Command;
with_timeout(Command, Ms) -> erlang:append_element(Command, Ms).

%% Names in export lists are strings of UTF-8 bytes; other lists are taken
%% as Unicode text.
name_to_binary(Name) ->
    try iolist_to_binary(Name) of
        Bin -> {ok, Bin}
    catch
        error:_ ->
            try unicode:characters_to_binary(Name) of
                Text when is_binary(Text) -> {ok, Text};
                _ -> error
            catch
                error:_ -> error
            end
    end.

%% Sends `Command' and serves its import requests until the final reply.
run(WASM, Ref, Command, Args, ImportFun, State, Opts) ->
    MRef = erlang:monitor(process, WASM),
    WASM ! {wasm_send, self(), Command},
    Result = loop({relay, WASM}, Ref, MRef, Args, ImportFun, State, Opts),
    erlang:demonitor(MRef, [flush]),
    Result.

%% Where a call's messages come from and its answers go: through the
%% instance process, or straight from and to the port (a call the fast path
%% handed to the thread).
-type channel() :: {relay, wasm()} | {port, wasm(), port()}.

-spec source(channel()) -> pid() | port().
source({relay, WASM}) -> WASM;
source({port, _WASM, Port}) -> Port.

-spec answer(channel(), tuple()) -> ok.
answer({relay, WASM}, Command) ->
    WASM ! {wasm_send, self(), Command},
    ok;
answer({port, _WASM, Port}, Command) ->
    try port_command(Port, term_to_binary(Command)) of
        true -> ok
    catch
        error:_ -> ok % the port is gone; its 'DOWN' follows
    end.

loop(Chan, Ref, MRef, Args, ImportFun, State, Opts) ->
    WASM = element(2, Chan),
    Source = source(Chan),
    receive
        {Source, Ref, {import, Module, Func, ImportArgs, Sig}} ->
            Request = #{instance => WASM, module => Module, func => Func,
                        args => ImportArgs, func_sig => Sig},
            try invoke_in(Chan, ImportFun, State, Request, Opts) of
                {ok, Results, NewState} ->
                    case hb_beamr_values:check_results(Sig, Results) of
                        true ->
                            answer(Chan, {import_response, Ref, Results}),
                            loop(Chan, Ref, MRef, Args, ImportFun, NewState, Opts);
                        false ->
                            abort(Chan, Ref, MRef, <<"invalid import result">>),
                            {error, {invalid_import_result, Module, Func, Results}, NewState}
                    end;
                Other ->
                    abort(Chan, Ref, MRef, <<"bad import function return">>),
                    {error, {bad_import_return, Other}, State}
            catch
                Class:Reason:Stack ->
                    abort(Chan, Ref, MRef, <<"import function raised">>),
                    {error, Class, Reason, Stack, State}
            end;
        {Source, Ref, {ok, Results}} when is_list(Results) ->
            {ok, Results, State};
        {Source, Ref, {ok, Imports, Exports}} ->
            {ok, {Imports, Exports}, State};
        {Source, Ref, {error, invalid_args}} ->
            {error, {invalid_args, Args}, State};
        {Source, Ref, {error, Reason}} ->
            {error, Reason, State};
        {'DOWN', MRef, _, Source, Reason} ->
            {error, down_reason(Reason), State}
    end.

%% Runs the import function; while it runs a call that talks to the port
%% directly, its own calls to the instance go to the port directly too.
invoke_in({relay, _WASM}, ImportFun, State, Request, Opts) ->
    invoke(ImportFun, State, Request, Opts);
invoke_in({port, WASM, Port}, ImportFun, State, Request, Opts) ->
    Key = {?MODULE, direct, WASM},
    Previous = put(Key, Port),
    try
        invoke(ImportFun, State, Request, Opts)
    after
        case Previous of
            undefined -> erase(Key);
            _ -> put(Key, Previous)
        end
    end.

invoke(ImportFun, State, Request, _Opts) when is_function(ImportFun, 2) ->
    ImportFun(State, Request);
invoke(ImportFun, State, Request, Opts) ->
    ImportFun(State, Request, Opts).

%% Makes the pending import trap and waits until the call has unwound, so the
%% instance is idle again when the caller gets its error.
abort(Chan, Ref, MRef, Message) ->
    answer(Chan, {import_error, Ref, Message}),
    Source = source(Chan),
    receive
        {Source, Ref, {import, _, _, _, _}} ->
            abort(Chan, Ref, MRef, Message);
        {Source, Ref, _Final} ->
            ok;
        {'DOWN', MRef, _, Source, _} ->
            ok
    end.

%% The import function of call/3: zeros of the import's result types.
stub_import(State, #{func_sig := Sig}) ->
    case hb_beamr_values:parse_signature(Sig) of
        {ok, _Params, Results} -> {ok, hb_beamr_values:zeros(Results), State};
        error -> {ok, [], State}
    end.

down_reason(noproc) -> not_running;
down_reason(_) -> stopped.

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

%%% ------------------------------------------------------------------------
%%% The instance process: owns the port and routes its messages
%%% ------------------------------------------------------------------------

-record(w, {
    port :: port(),
    owner_mon :: reference(),
    listener :: pid(),
    init_tag = none :: term(),
    exports = #{} :: #{binary() => {extern_kind(), string()}},
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
    abandoned = #{} :: #{reference() => true}
}).

spawn_worker() ->
    Owner = self(),
    Ref = make_ref(),
    {Pid, MRef} = spawn_monitor(fun() -> worker_init(Owner, Ref) end),
    receive
        {Pid, Ref, ok} ->
            erlang:demonitor(MRef, [flush]),
            {ok, Pid};
        {Pid, Ref, {error, _} = Error} ->
            erlang:demonitor(MRef, [flush]),
            Error;
        {'DOWN', MRef, process, Pid, Reason} ->
            {error, {worker_exited, Reason}}
    end.

-spec worker_init(pid(), reference()) -> term().
worker_init(Owner, Ref) ->
    process_flag(trap_exit, true),
    put(?INSTANCE_MARK, true),
    case load_driver() of
        ok ->
            try open_port({spawn_driver, ?DRIVER}, [binary]) of
                Port ->
                    ok = hb_beamr_ports:register(self(), Port),
                    OwnerMon = erlang:monitor(process, Owner),
                    Owner ! {self(), Ref, ok},
                    worker_loop(#w{port = Port, owner_mon = OwnerMon, listener = Owner})
            catch
                error:Reason ->
                    Owner ! {self(), Ref, {error, {open_port, Reason}}}
            end;
        {error, Reason} ->
            Owner ! {self(), Ref, {error, {load_driver, Reason}}}
    end.

worker_loop(W = #w{port = Port, owner_mon = OwnerMon}) ->
    receive
        {Port, Tag, Reply} ->
            worker_loop(from_port(Tag, Reply, W));
        {wasm_send, From, Message} when is_pid(From) ->
            worker_loop(from_client(From, Message, W#w{listener = From}));
        {stop, _From} ->
            shutdown(stopped, W);
        {'DOWN', OwnerMon, process, _, _} ->
            shutdown(stopped, W);
        {'DOWN', MRef, process, Pid, _} ->
            worker_loop(client_exited(Pid, MRef, W));
        {'EXIT', Port, Reason} ->
            shutdown({port_exit, Reason}, W);
        _Other ->
            worker_loop(W)
    end.

%% Commands from clients. Calls are admitted one at a time, except calls from
%% a process whose call is running (made from its import function), which
%% run nested.
from_client(From, {Op, Tag, _FuncRef, Args} = Command, W)
  when (Op =:= call orelse Op =:= indirect_call), is_reference(Tag), is_list(Args) ->
    from_caller(From, Tag, Command, W);
from_client(From, {Op, Tag, _FuncRef, Args, _Timeout} = Command, W)
  when (Op =:= call orelse Op =:= indirect_call), is_reference(Tag), is_list(Args) ->
    from_caller(From, Tag, Command, W);
from_client(From, {Op, Tag, _} = Command, W)
  when Op =:= import_response; Op =:= import_error ->
    to_port(Command, W),
    W#w{pending = (W#w.pending)#{Tag => From},
        awaiting = maps:remove(Tag, W#w.awaiting)};
from_client(From, Command, W)
  when element(1, Command) =:= init, (tuple_size(Command) =:= 4 orelse tuple_size(Command) =:= 5) ->
    Tag = element(2, Command),
    to_port(Command, W),
    W#w{init_tag = Tag, pending = (W#w.pending)#{Tag => From}};
from_client(_From, {command, Data}, W = #w{port = Port}) ->
    try port_command(Port, Data) of
        true -> W
    catch
        error:_ -> W
    end;
from_client(From, Command, W) when is_tuple(Command), tuple_size(Command) >= 2 ->
    to_port(Command, W),
    W#w{pending = (W#w.pending)#{element(2, Command) => From}};
from_client(_From, Command, W) ->
    %% The driver answers this with {error, badarg} to the listener.
    to_port(Command, W),
    W.

from_caller(From, Tag, Command, W) ->
    case precheck(Command, W) of
        ok ->
            case W#w.active =:= [] orelse maps:is_key(From, W#w.clients) of
                true -> admit(From, Command, W);
                false -> W#w{queued = queue:in({From, Command}, W#w.queued)}
            end;
        {error, Reason} ->
            From ! {self(), Tag, {error, Reason}},
            W
    end.

%% Checks a named call against the export list, so that a bad call never
%% reaches the instance (the driver checks again; it alone knows the table).
precheck({call, Tag, Name, Args, _Timeout}, W) ->
    precheck({call, Tag, Name, Args}, W);
precheck({call, _Tag, Name, Args}, #w{exports = Exports}) when is_binary(Name) ->
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
precheck(_Command, _W) ->
    ok.

admit(From, Command, W = #w{clients = Clients}) ->
    Tag = element(2, Command),
    to_port(Command, W),
    Clients2 = case maps:is_key(From, Clients) of
                   true -> Clients;
                   false -> Clients#{From => erlang:monitor(process, From)}
               end,
    W#w{active = [Tag | W#w.active], clients = Clients2,
        pending = (W#w.pending)#{Tag => From}}.

to_port(Command, #w{port = Port}) ->
    try port_command(Port, term_to_binary(Command)) of
        true -> ok
    catch
        error:_ -> ok % the port is gone; its 'EXIT' follows
    end.

%% Messages from the driver, routed by tag.
from_port(Tag, {import, _, _, _, _} = Request, W) ->
    case maps:is_key(Tag, W#w.abandoned) of
        true ->
            to_port({import_error, Tag, <<"caller exited">>}, W),
            W;
        false ->
            forward(Tag, Request, W),
            W#w{awaiting = (W#w.awaiting)#{Tag => true}}
    end;
from_port(Tag, {ok, Imports, _Exports} = Reply, W = #w{init_tag = Tag}) ->
    %% Before the caller learns of the instance: fast calls name their
    %% imports by number in this list.
    ok = hb_beamr_ports:set_imports(
           self(), list_to_tuple([{M, N, S} || {_Kind, M, N, S} <- Imports])),
    from_port_reply(Tag, Reply, W);
from_port(Tag, Reply, W) ->
    from_port_reply(Tag, Reply, W).

from_port_reply(Tag, Reply, W) ->
    case maps:is_key(Tag, W#w.abandoned) of
        true -> ok;
        false -> forward(Tag, Reply, W)
    end,
    W2 = case {Tag, Reply} of
             {Init, {ok, _Imports, Exports}} when Init =:= W#w.init_tag ->
                 W#w{exports = maps:from_list([{list_to_binary(N), {K, S}}
                                               || {K, N, S} <- Exports])};
             _ ->
                 W
         end,
    call_finished(Tag, W2#w{pending = maps:remove(Tag, W2#w.pending)}).

forward(Tag, Message, #w{pending = Pending, listener = Listener}) ->
    Dest = maps:get(Tag, Pending, Listener),
    Dest ! {self(), Tag, Message},
    ok.

call_finished(Tag, W = #w{active = Active}) ->
    case lists:member(Tag, Active) of
        false ->
            W;
        true ->
            W2 = W#w{active = lists:delete(Tag, Active),
                     awaiting = maps:remove(Tag, W#w.awaiting),
                     abandoned = maps:remove(Tag, W#w.abandoned)},
            W3 = drop_idle_clients(W2),
            admit_queued(W3)
    end.

drop_idle_clients(W = #w{clients = Clients, active = Active, pending = Pending}) ->
    Busy = [maps:get(T, Pending, undefined) || T <- Active],
    Idle = [P || P <- maps:keys(Clients), not lists:member(P, Busy)],
    lists:foreach(fun(P) -> erlang:demonitor(maps:get(P, Clients), [flush]) end, Idle),
    W#w{clients = maps:without(Idle, Clients)}.

admit_queued(W = #w{active = [], queued = Queued}) ->
    case queue:out(Queued) of
        {{value, {From, Command}}, Rest} ->
            case is_process_alive(From) of
                true -> admit(From, Command, W#w{queued = Rest});
                false -> admit_queued(W#w{queued = Rest})
            end;
        {empty, _} ->
            W
    end;
admit_queued(W) ->
    W.

%% A process with a running call exited: answer its pending import with an
%% error so the instance unwinds, and fail its future imports the same way.
client_exited(Pid, MRef, W = #w{clients = Clients}) ->
    case maps:find(Pid, Clients) of
        {ok, MRef} ->
            Tags = [T || T <- W#w.active, maps:get(T, W#w.pending, undefined) =:= Pid],
            lists:foreach(
              fun(T) ->
                      case maps:is_key(T, W#w.awaiting) of
                          true -> to_port({import_error, T, <<"caller exited">>}, W);
                          false -> ok
                      end
              end, Tags),
            Abandoned = maps:merge(W#w.abandoned, maps:from_list([{T, true} || T <- Tags])),
            Queued = queue:filter(fun({From, _}) -> From =/= Pid end, W#w.queued),
            W#w{clients = maps:remove(Pid, Clients), abandoned = Abandoned,
                awaiting = maps:without(Tags, W#w.awaiting), queued = Queued};
        _ ->
            W
    end.

-spec shutdown(term(), #w{}) -> no_return().
shutdown(Reason, W = #w{port = Port}) ->
    ok = hb_beamr_ports:unregister(self()),
    catch erlang:port_close(Port),
    Waiting = maps:to_list(W#w.pending)
        ++ [{element(2, C), From} || {From, C} <- queue:to_list(W#w.queued)],
    lists:foreach(fun({Tag, Pid}) -> Pid ! {self(), Tag, {error, stopped}} end, Waiting),
    exit(case Reason of stopped -> normal; _ -> Reason end).
