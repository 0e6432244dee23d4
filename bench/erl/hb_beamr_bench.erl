%%% @doc The Erlang side of the benchmark suite (bench/run.sh runs it once
%%% per engine and group, each in a fresh VM): call overhead and import
%%% round trips (each by the fast path and by the instance thread, and calls
%%% from 1, 2 and 8 concurrent callers), compute kernels, start times,
%%% memory and snapshot throughput, footprint and scale, a call into the
%%% Lua fixture (an AO-style module: wasm64, legacy exceptions), calls from
%%% a caller with a busy mailbox, how late a sleeping process wakes while
%%% instances spin (scheduler starvation), and the Erlang-side floors
%%% (message and port round trips). Native floors come from bench/native.
%%%
%%% Every measurement is repeated and appended to a CSV file as
%%% `Engine,Group,Name,Unit,Reps,Min,Median,Detail', where Min and Median are
%%% seconds per operation (unit `s'), bytes (unit `bytes') or a count (unit
%%% `count': the schedulers online).
%%%
%%% Run: `erl -noshell -pa <hb_beamr ebin> -pa <this ebin> -run hb_beamr_bench
%%% main Engine Out.csv WasmDir FacWasm Groups Sha256MiB MatmulN FibN' with
%%% the driver found through `$HB_BEAMR_DRIVER_DIR'. Groups is a
%%% comma-separated subset of
%%% `call,import,compute,start,memory,scale,lua,mailbox,sched' or
%%% `all'; the kernel sizes are those given to the native kernels.
%%% `$HB_BEAMR_BENCH_QUICK' shortens every measurement (a smoke run, numbers
%%% not meaningful).
-module(hb_beamr_bench).

-export([main/1]).

-define(DRIVER, "hb_beamr").
-define(IMPORTS_PER_CALL, 5000).
-define(MEMORY_MIB, [1, 64, 256]).
-define(SCALE_INSTANCES, 1000).
-define(UNRELATED, 100000).
-define(MANY_EXPORTS, 20000).
-define(SPINNERS, 2).
-define(SLEEP_MS, 10).
-define(SLEEPS_PER_REP, 20).

-type budget() :: {MinReps :: pos_integer(), MaxReps :: pos_integer(),
                   Seconds :: number()}.

-spec main([string()]) -> no_return().
main([Engine, Out, WasmDir, FacWasm, Groups, ShaMiB, MatmulN, FibN]) ->
    Code = try
               run(#{engine => Engine, out => Out, wasm_dir => WasmDir,
                     fac => read(FacWasm), fixture_dir => filename:dirname(FacWasm),
                     groups => groups(Groups),
                     sizes => [list_to_integer(X) || X <- [ShaMiB, MatmulN, FibN]]}),
               0
           catch
               Class:Reason:Stack ->
                   io:format(standard_error, "bench failed: ~p:~p~n~p~n",
                             [Class, Reason, Stack]),
                   1
           end,
    erlang:halt(Code);
main(_) ->
    io:format(standard_error,
              "usage: hb_beamr_bench main Engine Out.csv WasmDir FacWasm Groups "
              "Sha256MiB MatmulN FibN~n", []),
    erlang:halt(2).

groups("all") -> [call, import, compute, start, memory, scale, lua, mailbox, sched];
groups(Text) -> [list_to_existing_atom(G) || G <- string:lexemes(Text, ",")].

run(Ctx = #{groups := Groups}) ->
    ok = hb_beamr:load_driver(),
    lists:foreach(
      fun(Group) ->
              T0 = erlang:monotonic_time(millisecond),
              progress("~s ...", [Group]),
              bench(Group, Ctx),
              progress("~s done in ~.1f s",
                       [Group, (erlang:monotonic_time(millisecond) - T0) / 1000])
      end, Groups).

%%% ------------------------------------------------------------------------
%%% 1. Call overhead, with its floors
%%% ------------------------------------------------------------------------

bench(call, Ctx = #{fac := Fac}) ->
    Fast = budget(5, 15, 4),
    %% Floor: a local Erlang message round trip, measured below in turns
    %% with the fast-path call it is the floor of.
    Echo = spawn_link(fun echo/0),
    Rtt = fun() -> echo_rtt(Echo) end,
    %% Floor: an empty round trip through a port of our driver ({ping, Tag},
    %% answered in the driver's output callback), and port_control.
    Port = open_driver_port(),
    row(Ctx, call, port_ping, sample(fun() -> ping(Port) end, 20000, Fast)),
    row(Ctx, call, port_control,
        sample(fun() -> erlang:port_control(Port, 0, <<>>) end, 100000, Fast)),
    %% The port stays open: it reads the driver's counters below.
    {ok, W, _, _} = hb_beamr:start(Fac),
    %% The ping through the instance's process: the Erlang hop alone.
    row(Ctx, call, instance_ping,
        sample(fun() -> pong = hb_beamr:request(W, ping, []) end, 20000, Fast)),
    %% The same call on the same instance by both paths, so that one run
    %% gives the before/after of the fast path: hb_beamr:call/3 (the fast
    %% path, where the engine can suspend calls) and the raw protocol, which
    %% always goes instance process -> driver -> instance thread and back (the
    %% path of every call before the fast path). The detail field says which
    %% path the calls took, from the driver's counters.
    FastCall = fun() -> {ok, [120.0]} = hb_beamr:call(W, "fac", [5.0]) end,
    ThreadCall = fun() -> {ok, [120.0]} = thread_call(W, <<"fac">>, [5.0], none) end,
    _ = [FastCall() || _ <- lists:seq(1, 1000)],
    %% In turns, so that a burst of load on this shared machine hits both
    %% the figure and its floor.
    {{RttTimes, CallTimes}, CallPath} =
        with_path(Port, fun() -> sample_pair(Rtt, 20000, FastCall, 5000, Fast) end),
    row(Ctx, call, erl_msg_rtt, RttTimes),
    row(Ctx, call, call_fac, CallTimes, CallPath),
    _ = [ThreadCall() || _ <- lists:seq(1, 1000)],
    {ThreadTimes, ThreadPath} =
        with_path(Port, fun() -> sample(ThreadCall, 5000, Fast) end),
    row(Ctx, call, call_fac_thread, ThreadTimes, ThreadPath),
    Echo ! stop,
    ok = hb_beamr:stop(W),
    %% Concurrent callers on separate instances; the floor is as many
    %% concurrent pingers on separate ports. One caller alone, and the
    %% schedulers that can run callers at once, give the scaling with the
    %% cores (the report's c8 / c1 row).
    Budget = budget(3, 7, 6),
    Cores = erlang:system_info(schedulers_online),
    row(Ctx, call, cores, count, [float(Cores)], "schedulers online"),
    {C1, C1Path} = with_path(Port, fun() -> concurrent(1, call_worker(Fac), Budget, 1.0) end),
    row(Ctx, call, call_fac_c1, C1, C1Path),
    lists:foreach(
      fun(N) ->
              {CN, CNPath} = with_path(
                               Port, fun() -> concurrent(N, call_worker(Fac), Budget, 1.0) end),
              row(Ctx, call, name("call_fac_c~b", [N]), CN, CNPath),
              row(Ctx, call, name("port_ping_c~b", [N]),
                  concurrent(N, ping_worker(), Budget, 1.0))
      end, [2, 8]),
    port_close(Port);

%%% ------------------------------------------------------------------------
%%% 2. Import round trip
%%% ------------------------------------------------------------------------

bench(import, Ctx) ->
    {ok, W, _, _} = hb_beamr:start(wasm(Ctx, "import_loop")),
    Probe = open_driver_port(),
    N = ?IMPORTS_PER_CALL,
    Tick = fun(S, #{args := [I]}) -> {ok, [I + 1], S} end,
    %% The same loop by both paths, as for calls: hb_beamr:call/5 (the fast
    %% path) and the raw protocol (every import a round trip between the
    %% instance thread and this process, through the instance process).
    FastLoop = fun() -> {ok, [N], 0} = hb_beamr:call(W, "loop", [N], Tick, 0) end,
    ThreadLoop = fun() -> {ok, [N]} = thread_call(W, <<"loop">>, [N], Tick) end,
    %% The floor (an Erlang message round trip) in turns with the fast path,
    %% as for calls.
    Echo = spawn_link(fun echo/0),
    FastLoop(),
    {{RttTimes, LoopTimes}, FastPath} =
        with_path(Probe, fun() ->
                                 sample_pair(fun() -> echo_rtt(Echo) end, 20000,
                                             FastLoop, 1, budget(5, 15, 6))
                         end),
    Echo ! stop,
    row(Ctx, import, erl_msg_rtt_import, RttTimes),
    row(Ctx, import, import_erl, [T / N || T <- LoopTimes], FastPath),
    ThreadLoop(),
    {ThreadTimes, ThreadPath} =
        with_path(Probe, fun() -> sample(ThreadLoop, 1, budget(5, 15, 6)) end),
    row(Ctx, import, import_erl_thread, [T / N || T <- ThreadTimes], ThreadPath),
    %% The same loop with an import the WASI provider answers in C++.
    {ok, Wasi, _, _} = hb_beamr:start(wasm(Ctx, "wasi_loop"), wasm, #{wasi => #{}}),
    NoImport = fun(_, Request) -> error({import_reached_erlang, Request}) end,
    WasiLoop = fun() -> {ok, [N], 0} = hb_beamr:call(Wasi, "loop", [N], NoImport, 0) end,
    WasiLoop(),
    {WasiTimes, WasiPath} =
        with_path(Probe, fun() -> sample(WasiLoop, 1, budget(5, 15, 6)) end),
    row(Ctx, import, import_wasi, [T / N || T <- WasiTimes], WasiPath),
    ok = hb_beamr:stop(Wasi),
    port_close(Probe),
    ok = hb_beamr:stop(W);

%%% ------------------------------------------------------------------------
%%% 3. Compute kernels, inside one call each
%%% ------------------------------------------------------------------------

bench(compute, Ctx = #{sizes := [ShaMiB, MatmulN, FibN]}) ->
    Budget = budget(3, 11, 20),
    kernel(Ctx, "sha256", [ShaMiB], [], Budget),
    kernel(Ctx, "matmul", [MatmulN], [], Budget),
    kernel(Ctx, "fib", none, [FibN], Budget);

%%% ------------------------------------------------------------------------
%%% 4. Start: cold compile, compiled-module cache, precompiled (aot)
%%% ------------------------------------------------------------------------

bench(start, Ctx = #{fac := Fac}) ->
    Large = wasm(Ctx, "large"),
    Probe = open_driver_port(),
    lists:foreach(
      fun({Name, Bin, Budget}) ->
              Detail = integer_to_list(byte_size(Bin)),
              %% Cold: no live instance holds the module, so it compiles.
              Cold = sample_self(fun() -> idle(Probe), time_start(Bin, wasm) end, Budget),
              row(Ctx, start, name("start_~s_cold", [Name]), Cold, Detail),
              %% Cached: a live instance holds the module; start shares it.
              {ok, Holder, _, _} = hb_beamr:start(Bin),
              Cached = sample_self(fun() -> time_start(Bin, wasm) end, budget(5, 21, 4)),
              row(Ctx, start, name("start_~s_cached", [Name]), Cached, Detail),
              ok = hb_beamr:stop(Holder),
              %% Precompiled by compile/1, started in mode aot.
              case hb_beamr:compile(Bin) of
                  {ok, Pre} ->
                      Aot = sample_self(fun() -> idle(Probe), time_start(Pre, aot) end,
                                        budget(5, 21, 4)),
                      row(Ctx, start, name("start_~s_aot", [Name]), Aot,
                          integer_to_list(byte_size(Pre)));
                  {error, Reason} ->
                      row(Ctx, start, name("start_~s_aot", [Name]), [],
                          reason_text(Reason))
              end
      end, [{small, Fac, budget(5, 21, 4)}, {large, Large, budget(3, 7, 20)},
            %% Issue 13, item 9: start time was quadratic in the exports.
            {exports20k, many_exports(?MANY_EXPORTS), budget(3, 11, 20)},
            {lua, wasm(Ctx, "lua"), budget(3, 11, 20)}]),
    %% The part of every start that is not WebAssembly: a port of the driver,
    %% its thread started by a first command, and that command's reply.
    PortOpen = sample_self(fun() ->
                                   T0 = erlang:monotonic_time(),
                                   P = open_driver_port(),
                                   wake_thread(P),
                                   T = seconds(erlang:monotonic_time() - T0),
                                   port_close(P),
                                   T
                           end, budget(5, 21, 4)),
    row(Ctx, start, port_open, PortOpen),
    port_close(Probe);

%%% ------------------------------------------------------------------------
%%% 7. The Lua fixture: one handle("return 1+1") call, imports answered with
%%% zeros (none is called on this path)
%%% ------------------------------------------------------------------------

bench(lua, Ctx) ->
    {ok, W, _, _} = hb_beamr:start(wasm(Ctx, "lua")),
    {ok, Code} = hb_beamr_io:write_string(W, <<"return 1+1">>),
    Handle = fun() ->
                     {ok, [Out]} = hb_beamr:call(W, "handle", [Code]),
                     Out
             end,
    {ok, <<"2">>} = hb_beamr_io:read_string(W, Handle()),
    Times = sample(Handle, 100, budget(5, 11, 3)),
    row(Ctx, lua, lua_handle, Times, "2"),
    ok = hb_beamr:stop(W);

%%% ------------------------------------------------------------------------
%%% 5. Memory access and snapshots
%%% ------------------------------------------------------------------------

bench(memory, Ctx) ->
    {ok, W, _, _} = hb_beamr:start(wasm(Ctx, "memory")),
    lists:foreach(
      fun(MiB) ->
              Size = MiB bsl 20,
              {ok, Current} = hb_beamr_io:size(W),
              Pages = (Size - Current) div 65536,
              {ok, [_]} = hb_beamr:call(W, "grow", [Pages]),
              {ok, Size} = hb_beamr_io:size(W),
              Data = binary:copy(<<16#5a>>, Size),
              %% Touch every page once, so no measurement pays first faults.
              ok = hb_beamr_io:write(W, 0, Data),
              Inner = max(1, 64 div MiB),
              Budget = case MiB of 256 -> budget(3, 7, 10); _ -> budget(5, 15, 5) end,
              Mem = fun(Name, Op) ->
                            Times = sample_gc(Op, Inner, Budget),
                            row(Ctx, memory, name("~s_~bMiB", [Name, MiB]), Times,
                                integer_to_list(Size))
                    end,
              Mem(io_read, fun() -> {ok, <<_:Size/binary>>} = hb_beamr_io:read(W, 0, Size) end),
              Mem(io_write, fun() -> ok = hb_beamr_io:write(W, 0, Data) end),
              Mem(serialize, fun() -> {ok, <<_:Size/binary>>} = hb_beamr:serialize(W) end),
              {ok, Snapshot} = hb_beamr:serialize(W),
              Mem(deserialize, fun() -> ok = hb_beamr:deserialize(W, Snapshot) end)
      end, ?MEMORY_MIB),
    ok = hb_beamr:stop(W),
    restore_hold(Ctx);

%%% ------------------------------------------------------------------------
%%% 6. Footprint and scale
%%% ------------------------------------------------------------------------

bench(scale, Ctx = #{fac := Fac}) ->
    N = case quick() of true -> 100; false -> ?SCALE_INSTANCES end,
    Budget = budget(3, 5, 10),
    %% Resident memory per bare port (its idle thread, no module), then per idle
    %% instance (its Erlang process, port, thread and context, after one
    %% call). The ports stay open meanwhile, so the instances' threads cannot
    %% reuse their stacks.
    erlang:garbage_collect(),
    Rss0 = resident_bytes(),
    Ports = [open_driver_port() || _ <- lists:seq(1, N)],
    [wake_thread(P) || P <- Ports],
    erlang:garbage_collect(),
    Rss1 = resident_bytes(),
    Ws = [begin {ok, W, _, _} = hb_beamr:start(Fac), W end || _ <- lists:seq(1, N)],
    [{ok, [120.0]} = hb_beamr:call(W, "fac", [5.0]) || W <- Ws],
    erlang:garbage_collect(),
    Rss2 = resident_bytes(),
    row(Ctx, scale, rss_per_port, bytes, [(Rss1 - Rss0) / N], integer_to_list(N)),
    row(Ctx, scale, rss_per_instance, bytes, [(Rss2 - Rss1) / N], integer_to_list(N)),
    [port_close(P) || P <- Ports],
    %% Busy instances: N callers, one per instance, all calling at once; the
    %% floor is N pingers on their own ports.
    row(Ctx, scale, call_fac_many,
        concurrent(N, fun(K) -> call_loop(lists:nth(K, Ws)) end, Budget, 2.0),
        integer_to_list(N)),
    [ok = hb_beamr:stop(W) || W <- Ws],
    row(Ctx, scale, port_ping_many, concurrent(N, ping_worker(), Budget, 2.0),
        integer_to_list(N));

%%% ------------------------------------------------------------------------
%%% 8. A caller with a busy mailbox
%%% ------------------------------------------------------------------------

%% The same calls from a caller with an empty mailbox and from one holding
%% ?UNRELATED unrelated messages, in turns (issue 13, item 10): a reply
%% receive that scanned the mailbox would make the second far slower.
bench(mailbox, Ctx = #{fac := Fac}) ->
    {ok, W, _, _} = hb_beamr:start(Fac),
    {ok, L, _, _} = hb_beamr:start(wasm(Ctx, "import_loop")),
    Probe = open_driver_port(),
    Tick = fun(S, #{args := [I]}) -> {ok, [I + 1], S} end,
    N = 100,
    Call = fun() -> {ok, [120.0]} = hb_beamr:call(W, "fac", [5.0]) end,
    Loop = fun() -> {ok, [N], 0} = hb_beamr:call(L, "loop", [N], Tick, 0) end,
    Quiet = spawn_link(fun() -> timing_worker(0) end),
    Busy = spawn_link(fun() -> timing_worker(?UNRELATED) end),
    Detail = name("~b messages queued", [?UNRELATED]),
    lists:foreach(
      fun({Name, Fun, Inner, PerOp}) ->
              %% In turns, so that both see the same load.
              Turn = fun() -> {timed_by(Quiet, Fun, Inner), timed_by(Busy, Fun, Inner)} end,
              {Pairs, Path} = with_path(Probe, fun() -> sample_self(Turn, budget(5, 15, 4)) end),
              {QuietTimes, BusyTimes} = lists:unzip(Pairs),
              row(Ctx, mailbox, Name, [T / PerOp || T <- QuietTimes], Path),
              row(Ctx, mailbox, Name ++ "_busy", [T / PerOp || T <- BusyTimes],
                  Detail ++ "; " ++ Path)
      end, [{"mailbox_call", Call, 2000, 1}, {"mailbox_import", Loop, 20, N}]),
    [Pid ! stop || Pid <- [Quiet, Busy]],
    port_close(Probe),
    ok = hb_beamr:stop(W),
    ok = hb_beamr:stop(L);

%%% ------------------------------------------------------------------------
%%% 9. Scheduler starvation (issue 13, item 12): how late a process that
%%% sleeps 10 ms wakes, alone and while instances spin in endless loops
%%% ------------------------------------------------------------------------

bench(sched, Ctx = #{fixture_dir := Dir}) ->
    Loop = read(filename:join(Dir, "loop.wasm")),
    Budget = budget(10, 30, 5),
    row(Ctx, sched, sleeper_late_idle, sleeper_lateness(Budget),
        name("~b ms sleep, worst of ~b", [?SLEEP_MS, ?SLEEPS_PER_REP])),
    Ws = [begin {ok, W, _, _} = hb_beamr:start(Loop), W end
          || _ <- lists:seq(1, ?SPINNERS)],
    _ = [spawn(fun() -> hb_beamr:call(W, "spin", []) end) || W <- Ws],
    %% Past the fast path's inline slices: the spins run where they stay.
    timer:sleep(200),
    row(Ctx, sched, sleeper_late_spin, sleeper_lateness(Budget),
        name("~b ms sleep, worst of ~b, ~b instances spinning, ~b schedulers",
             [?SLEEP_MS, ?SLEEPS_PER_REP, ?SPINNERS,
              erlang:system_info(schedulers_online)])),
    [ok = hb_beamr:stop(W) || W <- Ws],
    ok.

%%% ------------------------------------------------------------------------
%%% Pieces
%%% ------------------------------------------------------------------------

%% Seconds past ?SLEEP_MS that a sleeping process wakes, the worst of
%% ?SLEEPS_PER_REP sleeps per repetition: starvation shows in the tail, a
%% typical wake-up is on time either way.
sleeper_lateness(Budget) ->
    Late = fun() ->
                   T0 = erlang:monotonic_time(),
                   receive after ?SLEEP_MS -> ok end,
                   seconds(erlang:monotonic_time() - T0) - ?SLEEP_MS / 1000
           end,
    sample_self(fun() -> lists:max([Late() || _ <- lists:seq(1, ?SLEEPS_PER_REP)]) end,
                Budget).

%% A module of N functions () -> i32, each exported (as f0, f1, ...).
many_exports(N) ->
    Seq = lists:seq(0, N - 1),
    Type = section(1, [1, 16#60, 0, 1, 16#7f]),
    Funcs = section(3, [uleb(N) | [0 || _ <- Seq]]),
    Exports = section(7, [uleb(N) | [begin Name = "f" ++ integer_to_list(I),
                                           [uleb(length(Name)), Name, 0, uleb(I)]
                                     end || I <- Seq]]),
    %% Each body: no locals, i32.const (I rem 64), end.
    Code = section(10, [uleb(N) | [[4, 0, 16#41, I rem 64, 16#0b] || I <- Seq]]),
    iolist_to_binary([<<0, "asm", 1, 0, 0, 0>>, Type, Funcs, Exports, Code]).

section(Id, Content) ->
    Bin = iolist_to_binary(Content),
    [Id, uleb(byte_size(Bin)), Bin].

uleb(N) when N < 128 -> [N];
uleb(N) -> [(N band 127) bor 128 | uleb(N bsr 7)].

%% A process holding Unrelated messages that runs Fun Inner times on
%% request and answers the seconds per run.
timing_worker(Unrelated) ->
    [self() ! {unrelated, K} || K <- lists:seq(1, Unrelated)],
    timing_loop().

timing_loop() ->
    receive
        {time, From, Ref, Fun, Inner} ->
            From ! {Ref, hd(sample(Fun, Inner, {1, 1, 0}))},
            timing_loop();
        stop ->
            ok
    end.

%% Seconds per run of Fun, run Inner times by Worker (the time it measured,
%% not how long the request took).
timed_by(Worker, Fun, Inner) ->
    Ref = make_ref(),
    Worker ! {time, self(), Ref, Fun, Inner},
    receive {Ref, T} -> T after 60000 -> error(worker_timeout) end.

echo() ->
    receive
        {From, Ref} -> From ! {Ref, pong}, echo();
        stop -> ok
    end.

echo_rtt(Echo) ->
    Ref = make_ref(),
    Echo ! {self(), Ref},
    receive {Ref, pong} -> ok end.

open_driver_port() ->
    open_port({spawn_driver, ?DRIVER}, [binary]).

ping(Port) ->
    Ref = make_ref(),
    true = port_command(Port, term_to_binary({ping, Ref})),
    receive {Port, Ref, pong} -> ok after 5000 -> error(ping_timeout) end.

%% A call through the raw protocol: the instance process sends it to the
%% driver, which runs it on the instance thread, and relays every reply
%% (the path of every call before the fast path; the fast path never takes
%% a command sent this way). Imports are answered by ImportFun with the
%% request map and result check of hb_beamr:call/5, so the Erlang work per
%% import is the same on both paths; `none' for a call without imports.
thread_call(W, Name, Args, ImportFun) ->
    Ref = make_ref(),
    ok = hb_beamr:wasm_send(W, {call, Ref, Name, Args}),
    thread_reply(W, Ref, ImportFun, 0).

thread_reply(W, Ref, ImportFun, State) ->
    receive
        {W, Ref, {import, Module, Func, Args, Sig}} when ImportFun =/= none ->
            Request = #{instance => W, module => Module, func => Func,
                        args => Args, func_sig => Sig},
            {ok, Results, State2} = ImportFun(State, Request),
            true = hb_beamr_values:check_results(Sig, Results),
            ok = hb_beamr:wasm_send(W, {import_response, Ref, Results}),
            thread_reply(W, Ref, ImportFun, State2);
        {W, Ref, Reply} ->
            Reply
    after 10000 -> error({thread_call_timeout, Ref})
    end.

%% Runs Fun and says which path the calls it made took, from the driver's
%% counters (read through Port, any port of the driver; in this VM only the
%% benchmark calls): "fast path", "thread path", or both counts. WAMR, which
%% cannot suspend calls, runs every call on the thread.
with_path(Port, Fun) ->
    {Fast0, Thread0} = call_counters(Port),
    Result = Fun(),
    {Fast1, Thread1} = call_counters(Port),
    Path = case {Fast1 - Fast0, Thread1 - Thread0} of
               {0, 0} -> "";
               {_, 0} -> "fast path";
               {0, _} -> "thread path";
               {Fast, Thread} -> name("fast ~b; thread ~b calls", [Fast, Thread])
           end,
    {Result, Path}.

%% The driver's counts of calls run by the fast path and on instance threads
%% (0 from a driver without them).
call_counters(Port) ->
    Ref = make_ref(),
    true = port_command(Port, term_to_binary({info, Ref})),
    receive
        {Port, Ref, {ok, Info}} ->
            {proplists:get_value(fast_calls, Info, 0),
             proplists:get_value(thread_calls, Info, 0)}
    after 5000 -> error(info_timeout)
    end.

%% Sends the port a command that its instance thread answers (size, with no
%% module loaded), which starts the thread: the driver starts it on the first
%% command it cannot answer itself.
wake_thread(Port) ->
    Ref = make_ref(),
    true = port_command(Port, term_to_binary({size, Ref})),
    receive
        {Port, Ref, {error, not_initialized}} -> ok
    after 5000 -> error(size_timeout)
    end.

%% Waits until no instance of this driver holds a context (a stopped
%% instance's thread frees its context asynchronously), so that the next
%% start compiles afresh.
idle(Probe) ->
    Ref = make_ref(),
    true = port_command(Probe, term_to_binary({info, Ref})),
    receive
        {Probe, Ref, {ok, Info}} ->
            case proplists:get_value(contexts, Info) of
                0 -> ok;
                _ -> timer:sleep(5), idle(Probe)
            end
    after 5000 -> error(info_timeout)
    end.

%% Seconds taken by start/2 (the instance is stopped afterwards, untimed).
time_start(Bin, Mode) ->
    T0 = erlang:monotonic_time(),
    {ok, W, _, _} = hb_beamr:start(Bin, Mode),
    T = seconds(erlang:monotonic_time() - T0),
    ok = hb_beamr:stop(W),
    T.

kernel(Ctx, Name, PrepareArgs, RunArgs, Budget) ->
    {ok, W, _, _} = hb_beamr:start(wasm(Ctx, Name)),
    case PrepareArgs of
        none -> ok;
        _ -> {ok, [0]} = hb_beamr:call(W, Name ++ "_prepare", PrepareArgs)
    end,
    Run = fun() -> {ok, [Sum]} = hb_beamr:call(W, Name ++ "_run", RunArgs), Sum end,
    Checksum = Run(),
    Times = sample(Run, 1, Budget),
    row(Ctx, compute, Name ++ "_wasm", Times, integer_to_list(Checksum)),
    ok = hb_beamr:stop(W).

call_worker(Fac) ->
    fun(_K) ->
            {ok, W, _, _} = hb_beamr:start(Fac),
            call_loop(W)
    end.

call_loop(W) ->
    fun() -> {ok, [120.0]} = hb_beamr:call(W, "fac", [5.0]) end.

ping_worker() ->
    fun(_K) ->
            Port = open_driver_port(),
            fun() -> ping(Port) end
    end.

%% Throughput of N processes running their own operation at once for
%% Seconds per repetition: seconds per operation over all of them. Setup(K)
%% runs in process K and returns its operation.
concurrent(N, Setup, Budget, Seconds) ->
    Parent = self(),
    Pids = [spawn_link(fun() -> concurrent_worker(Parent, Setup(K)) end)
            || K <- lists:seq(1, N)],
    [receive {ready, P} -> ok end || P <- Pids],
    Times = sample_self(
              fun() ->
                      Deadline = erlang:monotonic_time() + erlang:convert_time_unit(
                                   round(Seconds * 1000), millisecond, native),
                      T0 = erlang:monotonic_time(),
                      [P ! {go, Deadline} || P <- Pids],
                      Total = lists:sum([receive {done, P, C} -> C end || P <- Pids]),
                      seconds(erlang:monotonic_time() - T0) / max(Total, 1)
              end, Budget),
    [P ! stop || P <- Pids],
    Times.

concurrent_worker(Parent, Op) ->
    Op(),
    Parent ! {ready, self()},
    concurrent_wait(Parent, Op).

concurrent_wait(Parent, Op) ->
    receive
        {go, Deadline} ->
            Parent ! {done, self(), concurrent_run(Op, Deadline, 0)},
            concurrent_wait(Parent, Op);
        stop ->
            ok
    end.

concurrent_run(Op, Deadline, Count) ->
    case erlang:monotonic_time() < Deadline of
        true -> Op(), concurrent_run(Op, Deadline, Count + 1);
        false -> Count
    end.

resident_bytes() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [_, Rest] = binary:split(Status, <<"VmRSS:">>),
    [Kb | _] = string:lexemes(binary_to_list(Rest), " \t\n"),
    list_to_integer(Kb) * 1024.

%%% ------------------------------------------------------------------------
%%% Repetition and output
%%% ------------------------------------------------------------------------

quick() ->
    case os:getenv("HB_BEAMR_BENCH_QUICK") of
        false -> false;
        "" -> false;
        "0" -> false;
        _ -> true
    end.

%% How long restoring a 64 KiB snapshot into a 1 GiB memory holds the
%% caller's scheduler: the longest stretch the VM's long_schedule monitor
%% reports (it sees any process or port running 1 ms or more without a
%% break; 0 when nothing did, as when the restore runs on the instance
%% thread). Issue 13 measured 1.7 s before restores were sized by the memory
%% they zero.
restore_hold(Ctx) ->
    {ok, W, _, _} = hb_beamr:start(wasm(Ctx, "memory")),
    {ok, Current} = hb_beamr_io:size(W),
    {ok, [_]} = hb_beamr:call(W, "grow", [((1 bsl 30) - Current) div 65536]),
    Snapshot = <<0:(65536 * 8)>>,
    Holds = sample_self(fun() -> scheduler_hold(fun() ->
                                                        ok = hb_beamr:deserialize(W, Snapshot)
                                                end)
                        end, budget(3, 10, 10)),
    row(Ctx, memory, deserialize_64KiB_into_1GiB_hold, Holds, "1073741824"),
    ok = hb_beamr:stop(W).

%% Seconds of the longest uninterrupted run the VM reports while Fun runs.
%% The reports go to a process of their own: the VM sends none about a
%% process to itself.
scheduler_hold(Fun) ->
    Self = self(),
    Watcher = spawn_link(fun() ->
                                 Previous = erlang:system_monitor(self(),
                                                                  [{long_schedule, 1}]),
                                 Self ! {watching, self()},
                                 receive {done, Self} -> ok end,
                                 _ = restore_monitor(Previous),
                                 Self ! {longest, self(), longest_schedule(0)}
                         end),
    receive {watching, Watcher} -> ok end,
    Fun(),
    erlang:yield(),
    Watcher ! {done, Self},
    receive {longest, Watcher, Ms} -> Ms / 1000 end.

restore_monitor(undefined) -> erlang:system_monitor(undefined);
restore_monitor({Pid, Opts}) -> erlang:system_monitor(Pid, Opts).

longest_schedule(Max) ->
    receive
        {monitor, _, long_schedule, Info} ->
            longest_schedule(max(Max, proplists:get_value(timeout, Info, 0)))
    after 0 ->
            Max
    end.

-spec budget(pos_integer(), pos_integer(), number()) -> budget().
budget(MinReps, MaxReps, Seconds) ->
    case quick() of
        true -> {1, min(MaxReps, 2), Seconds / 10};
        false -> {MinReps, MaxReps, Seconds}
    end.

%% Runs Fun Inner times per repetition; seconds per operation of each.
sample(Fun, Inner, Budget) ->
    sample_self(fun() ->
                        T0 = erlang:monotonic_time(),
                        repeat(Fun, Inner),
                        seconds(erlang:monotonic_time() - T0) / Inner
                end, Budget).

%% sample/3 of two operations in turns (one repetition of A, one of B, ...),
%% so that both see the same load; {TimesA, TimesB}.
sample_pair(FunA, InnerA, FunB, InnerB, Budget) ->
    Pairs = sample_self(fun() ->
                                {hd(sample(FunA, InnerA, {1, 1, 0})),
                                 hd(sample(FunB, InnerB, {1, 1, 0}))}
                        end, Budget),
    lists:unzip(Pairs).

%% As sample/3, with a garbage collection before each repetition (untimed),
%% so large binaries from the last one are freed.
sample_gc(Fun, Inner, Budget) ->
    sample_self(fun() ->
                        erlang:garbage_collect(),
                        T0 = erlang:monotonic_time(),
                        repeat(fun() -> Fun(), erlang:garbage_collect() end, Inner),
                        seconds(erlang:monotonic_time() - T0) / Inner
                end, Budget).

%% Fun() returns the seconds of one repetition.
sample_self(Fun, {MinReps, MaxReps, Seconds}) ->
    Start = erlang:monotonic_time(),
    sample_self(Fun, MinReps, MaxReps, Seconds, Start, []).

sample_self(_Fun, _MinReps, MaxReps, _Seconds, _Start, Acc) when length(Acc) >= MaxReps ->
    lists:reverse(Acc);
sample_self(Fun, MinReps, MaxReps, Seconds, Start, Acc) ->
    case length(Acc) >= MinReps andalso
        seconds(erlang:monotonic_time() - Start) > Seconds of
        true -> lists:reverse(Acc);
        false -> sample_self(Fun, MinReps, MaxReps, Seconds, Start, [Fun() | Acc])
    end.

repeat(_Fun, 0) -> ok;
repeat(Fun, N) -> _ = Fun(), repeat(Fun, N - 1).

seconds(Native) ->
    erlang:convert_time_unit(Native, native, nanosecond) / 1.0e9.

row(Ctx, Group, Name, Values) ->
    row(Ctx, Group, Name, s, Values, "").

row(Ctx, Group, Name, Values, Detail) ->
    row(Ctx, Group, Name, s, Values, Detail).

row(#{engine := Engine, out := Out}, Group, Name, Unit, Values, Detail) ->
    Line = case lists:sort(Values) of
               [] ->
                   io_lib:format("~s,~s,~s,~s,0,,,~s~n", [Engine, Group, Name, Unit, Detail]);
               Sorted ->
                   io_lib:format("~s,~s,~s,~s,~b,~.9g,~.9g,~s~n",
                                 [Engine, Group, Name, Unit, length(Sorted),
                                  float(hd(Sorted)), float(median(Sorted)), Detail])
           end,
    ok = file:write_file(Out, Line, [append]),
    io:put_chars(Line).

median(Sorted) ->
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) / 2
    end.

name(Format, Args) -> lists:flatten(io_lib:format(Format, Args)).

wasm(#{wasm_dir := Dir}, Name) -> read(filename:join(Dir, Name ++ ".wasm")).

read(Path) ->
    case file:read_file(Path) of
        {ok, Bin} -> Bin;
        {error, Reason} -> error({cannot_read, Path, Reason})
    end.

%% A failure as one CSV field: "Kind: message", no commas or newlines.
reason_text(Reason) ->
    Flat = case Reason of
               {Kind, Message} when is_atom(Kind), is_binary(Message) ->
                   atom_to_list(Kind) ++ ": " ++ binary_to_list(Message);
               _ ->
                   lists:flatten(io_lib:format("~p", [Reason]))
           end,
    [case C of $, -> $;; $\n -> $\s; _ -> C end || C <- Flat].

progress(Format, Args) ->
    io:format(standard_error, "bench: " ++ Format ++ "~n", Args).
