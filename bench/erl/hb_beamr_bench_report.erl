%%% @doc Turns the benchmark suite's raw measurements (bench/results/raw.csv:
%%% `Engine,Group,Name,Unit,Reps,Min,Median,Detail') into the summary: one
%%% row per figure with its floor from the same run and their ratio
%%% (hb_beamr time / floor time, so 1.0 is the floor and higher is slower).
%%%
%%% Writes, into the results directory: summary.md (the machine and one
%%% table per engine), summary.csv (the same rows as numbers) and
%%% summary.dat (median ratios per engine, for bench/summary.gp).
%%%
%%% Calls and imports are shown by both paths of the driver: the fast path
%%% (`call_fac', `import_erl': hb_beamr:call in the caller's port_control)
%%% and the instance thread (`*_thread': the raw protocol, the path of every
%%% call before the fast path), each against the Erlang message round trip,
%%% and one against the other (the before/after). Scaling with the cores is
%%% the 8-caller rate against 1 caller's rate times min(8, cores).
%%%
%%% Run: `erl -noshell -pa <ebin> -run hb_beamr_bench_report main Raw.csv
%%% ResultsDir Machine.txt'.
-module(hb_beamr_bench_report).

-export([main/1]).

-record(m, {reps :: non_neg_integer(), min :: float() | undefined,
            median :: float() | undefined, detail :: string()}).

%% {Id, Label, Figure, Floor, FloorLabel, Kind, Target}
%% Figure: a measurement's name. Floor: a measurement's name, or
%% {per_core, Name, Cores, Max}: Name's time divided by min(Max, Cores's
%% value), what Name would take with as many callers running at once as
%% there are cores (up to Max), i.e. linear scaling.
%% Kind: call (time + ops/s), time, mem (time + MB/s), bytes.
%% Target: {ratio, Max} | {seconds, Max} | {ratio_on, Engine, Max} | none.
%% Ids are never renumbered (README and chart refer to them): new rows take
%% the next free letter of their group.
rows() ->
    [{"1a", "call fac(5.0), 1 caller", "call_fac", "port_ping",
      "empty port round trip (ping)", call, {ratio, 3}},
     %% Issue 7's target for the fast path: at most 5 Erlang message round
     %% trips per call.
     {"1b", "call fac(5.0), 1 caller", "call_fac", "erl_msg_rtt",
      "Erlang message round trip (measured in turns)", call, {ratio, 5}},
     {"1c", "ping via the instance's process", "instance_ping", "port_ping",
      "empty port round trip (ping)", call, none},
     {"1d", "call fac(5.0), 1 caller", "call_fac", "native_call_fac",
      "same call on the C++ core alone", call, none},
     {"1e", "empty port round trip (ping)", "port_ping", "port_control",
      "port_control round trip", call, none},
     {"1f", "call fac(5.0), 1 caller", "call_fac", "thread_handoff",
      "thread hand-off round trip (C++ condvars)", call, none},
     {"1g", "call fac(5.0), 2 callers, total", "call_fac_c2", "port_ping_c2",
      "2 concurrent pingers", call, {ratio, 3}},
     {"1h", "call fac(5.0), 8 callers, total", "call_fac_c8", "port_ping_c8",
      "8 concurrent pingers", call, {ratio, 3}},
     %% The path of every call before the fast path, for the before/after.
     {"1i", "call fac(5.0), 1 caller, via the instance thread", "call_fac_thread",
      "erl_msg_rtt", "Erlang message round trip", call, none},
     {"1j", "call fac(5.0), 1 caller", "call_fac", "call_fac_thread",
      "same call via the instance thread", call, none},
     %% Issue 7: the rate with 8 callers scales with the cores. The ratio is
     %% min(8, cores) / speedup over 1 caller; 1.25 is 80% of linear.
     {"1k", "call fac(5.0), 8 callers, total", "call_fac_c8",
      {per_core, "call_fac_c1", "cores", 8},
      "1 caller's time / min(8, cores) (linear scaling)", call, {ratio, 1.25}},
     {"2a", "import answered in Erlang, per import", "import_erl", "port_ping",
      "empty port round trip (2 port messages)", call, {ratio, 3}},
     {"2b", "import answered in Erlang, per import", "import_erl", "import_native",
      "same loop, import answered in C++", call, none},
     %% Issue 7's target for the fast path, as for calls (row 1b).
     {"2c", "import answered in Erlang, per import", "import_erl", "erl_msg_rtt_import",
      "Erlang message round trip (measured in turns)", call, {ratio, 5}},
     {"2d", "import answered in Erlang, via the instance thread", "import_erl_thread",
      "erl_msg_rtt_import", "Erlang message round trip", call, none},
     {"2e", "import answered in Erlang, per import", "import_erl", "import_erl_thread",
      "same loop via the instance thread", call, none},
     %% Issue 14: an import the WASI provider answers costs at most 2x a
     %% C++ host function that does nothing.
     {"2f", "import answered by the WASI provider, per import", "import_wasi",
      "import_native", "same loop, import answered by a C++ no-op", call,
      {ratio, 2}},
     {"2g", "import answered by the WASI provider, per import", "import_wasi",
      "import_erl", "same loop, import answered in Erlang", call, none},
     {"3a", "sha256 over 64 MiB", "sha256_wasm", "sha256_native",
      "native, same clang -O2", time, {ratio_on, "wasmtime", 1.5}},
     {"3b", "matmul 512x512 f64", "matmul_wasm", "matmul_native",
      "native, same clang -O2", time, {ratio_on, "wasmtime", 1.5}},
     {"3c", "fib(35), recursive", "fib_wasm", "fib_native",
      "native, same clang -O2", time, {ratio_on, "wasmtime", 1.5}},
     {"3d", "sha256 over 64 MiB", "sha256_wasm", "sha256_native_novec",
      "native, -O2 without auto-vectorization", time, none},
     {"3e", "matmul 512x512 f64", "matmul_wasm", "matmul_native_novec",
      "native, -O2 without auto-vectorization", time, none},
     {"3f", "fib(35), recursive", "fib_wasm", "fib_native_novec",
      "native, -O2 without auto-vectorization", time, none},
     {"4a", "start small (fac, 77 B), cold", "start_small_cold",
      "native_start_small_cold", "C++ load + instantiate", time, none},
     {"4b", "start small, module cached", "start_small_cached",
      "native_start_small_cached", "C++ load + instantiate", time, none},
     {"4c", "start small, aot", "start_small_aot",
      "native_start_small_aot", "C++ load + instantiate", time, none},
     {"4d", "start small, module cached", "start_small_cached", "port_open",
      "open a port, start its thread, one reply", time, none},
     {"4e", "start large (3 MB code), cold", "start_large_cold",
      "native_start_large_cold", "C++ load + instantiate", time, none},
     {"4f", "start large, module cached", "start_large_cached",
      "native_start_large_cached", "C++ load + instantiate", time, {seconds, 0.001}},
     {"4g", "start large, aot", "start_large_aot",
      "native_start_large_aot", "C++ load + instantiate", time, none},
     %% The Lua fixture: an AO-style module (wasm64, legacy exceptions).
     {"4h", "start Lua (wasm64, legacy EH), cold", "start_lua_cold",
      "native_start_lua_cold", "C++ load + instantiate", time, none},
     {"4i", "start Lua, module cached", "start_lua_cached",
      "native_start_lua_cached", "C++ load + instantiate", time, none},
     {"4j", "start Lua, aot", "start_lua_aot",
      "native_start_lua_aot", "C++ load + instantiate", time, none},
     %% Issue 13, item 9: start time was quadratic in the exports.
     {"4m", "start 20,000 exports, cold", "start_exports20k_cold",
      "start_small_cold", "start small (fac), cold", time, none},
     %% Issue 11: rewriting legacy exception handling costs at most 10% of
     %% compiling the module (the cold start on the C++ core includes it).
     {"4k", "legacy-EH rewrite of the Lua module", "native_rewrite_lua",
      "native_start_lua_cold", "its cold load + instantiate on the C++ core",
      time, {ratio_on, "wasmtime", 0.1}},
     {"4l", "rewriter's scan of the large module (no legacy EH)",
      "native_rewrite_large", "native_start_large_cold",
      "its cold load + instantiate on the C++ core", time, none}]
    ++ [{"5" ++ [$a + K], io_lib:format("~s ~b MiB", [Op, MiB]),
         io_lib:format("~s_~bMiB", [Name, MiB]), io_lib:format("memcpy_~bMiB", [MiB]),
         "memcpy, C++", mem, Target}
        || {K, {Op, Name, Target, MiB}} <-
               lists:zip(lists:seq(0, 11),
                         [{Op, Name, Target, MiB}
                          || MiB <- [1, 64, 256],
                             {Op, Name, Target} <-
                                 [{"hb_beamr_io:read", "io_read", none},
                                  {"hb_beamr_io:write", "io_write", none},
                                  {"serialize", "serialize", {ratio, 2}},
                                  {"deserialize", "deserialize", {ratio, 2}}]])]
    ++ [{"6a", "RSS per idle instance (1,000)", "rss_per_instance",
         "native_rss_per_context", "C++ context alone", bytes, none},
        {"6b", "RSS per idle instance (1,000)", "rss_per_instance",
         "rss_per_port", "bare port + idle thread, no module", bytes, none},
        {"6c", "call fac, 1,000 busy instances, total", "call_fac_many",
         "port_ping_many", "1,000 concurrent pingers", call, {ratio, 3}},
        {"7a", "Lua handle(\"return 1+1\")", "lua_handle", "native_lua_handle",
         "same call on the C++ core alone", call, none},
        {"7b", "Lua handle(\"return 1+1\")", "lua_handle", "erl_msg_rtt",
         "Erlang message round trip", call, none},
        %% Issue 13, item 10: reply receives skip a busy caller's mailbox
        %% (on WAMR every call waits for messages; before, 25-35x).
        {"8a", "call fac(5.0), 100,000 unrelated messages queued",
         "mailbox_call_busy", "mailbox_call", "same call, empty mailbox (in turns)",
         call, {ratio, 2}},
        {"8b", "import answered in Erlang, 100,000 messages queued, per import",
         "mailbox_import_busy", "mailbox_import", "same loop, empty mailbox (in turns)",
         call, {ratio, 2}},
        %% Issue 13, item 12: instance threads run below the schedulers.
        {"9a", "10 ms sleeper's lateness (worst of 20), 2 instances spinning",
         "sleeper_late_spin", "sleeper_late_idle", "same sleeper, nothing spinning",
         time, none}].

-spec main([string()]) -> no_return().
main([Raw, Dir, MachineFile]) ->
    Code = try
               report(Raw, Dir, MachineFile),
               0
           catch
               Class:Reason:Stack ->
                   io:format(standard_error, "report failed: ~p:~p~n~p~n",
                             [Class, Reason, Stack]),
                   1
           end,
    erlang:halt(Code).

report(Raw, Dir, MachineFile) ->
    Data = parse(Raw),
    Engines = [E || E <- ["wasmtime", "wamr"], maps:is_key(E, Data)],
    {ok, Machine} = file:read_file(MachineFile),
    Summary = [{E, [summarize(E, maps:get(E, Data), Row) || Row <- rows()]}
               || E <- Engines],
    Md = ["### Machine\n\n```\n", string:trim(Machine), "\n```\n",
          combined(Summary),
          [table(E, Rows) || {E, Rows} <- Summary]],
    ok = file:write_file(filename:join(Dir, "summary.md"), utf8(Md)),
    ok = file:write_file(filename:join(Dir, "summary.csv"), utf8(csv(Summary))),
    ok = file:write_file(filename:join(Dir, "summary.dat"), utf8(dat(Engines, Summary))),
    ok = io:setopts([{encoding, unicode}]),
    io:format("~ts", [Md]).

utf8(Chars) -> unicode:characters_to_binary(Chars).

parse(Raw) ->
    {ok, Bin} = file:read_file(Raw),
    Lines = [L || L <- string:lexemes(binary_to_list(Bin), "\n"),
                  L =/= "", not lists:prefix("engine,", L)],
    lists:foldl(
      fun(Line, Acc) ->
              [Engine, _Group, Name, _Unit, Reps, Min, Median | Detail] =
                  string:split(Line, ",", all),
              M = #m{reps = list_to_integer(Reps), min = number(Min),
                     median = number(Median),
                     detail = lists:flatten(lists:join(",", Detail))},
              maps:update_with(Engine, fun(Ms) -> Ms#{Name => M} end,
                               #{Name => M}, Acc)
      end, #{}, Lines).

%% A figure or floor of a row (see rows/0); undefined when not measured.
measure({per_core, Name, Cores, Max}, Ms) ->
    case {measure(Name, Ms), measure(Cores, Ms)} of
        {#m{median = Med, min = Min} = M, #m{median = N}}
          when is_float(Med), is_float(Min), is_float(N), N >= 1 ->
            K = min(Max, N),
            M#m{median = Med / K, min = Min / K, detail = ""};
        {#m{} = M, _} ->
            M#m{median = undefined, min = undefined};
        _ ->
            undefined
    end;
measure(Name, Ms) ->
    maps:get(lists:flatten(Name), Ms, undefined).

%% A figure's or floor's name in summary.csv.
measure_name({per_core, Name, Cores, Max}) ->
    io_lib:format("~s/min(~b;~s)", [Name, Max, Cores]);
measure_name(Name) ->
    Name.

number("") -> undefined;
number(Text) ->
    try list_to_float(Text)
    catch error:badarg ->
            try float(list_to_integer(Text))
            catch error:badarg -> undefined
            end
    end.

%% One summary row: {Row, Figure, Floor, Ratio, Verdict}.
summarize(Engine, Ms, Row = {_, _, Fig, Floor, _, _, Target}) ->
    F = measure(Fig, Ms),
    L = measure(Floor, Ms),
    Ratio = case {F, L} of
                {#m{median = A}, #m{median = B}} when is_float(A), is_float(B), B > 0 -> A / B;
                _ -> undefined
            end,
    {Row, F, L, Ratio, verdict(Engine, Target, F, L, Ratio, Row)}.

verdict(_Engine, _Target, #m{median = undefined}, _L, _Ratio, _Row) ->
    "";
verdict(_Engine, _Target, undefined, _L, _Ratio, _Row) ->
    "not measured";
verdict(Engine, Target, F, L, Ratio, {Id, _, Fig, _, _, _, _}) ->
    Checksum = case lists:prefix("3", Id) of
                   true -> checksum_note(F, L);
                   false -> ""
               end,
    Within = fun(Max) -> Ratio =/= undefined andalso Ratio =< Max end,
    Checksum ++ path_note(Fig, F) ++ case Target of
        none -> "";
        {ratio, Max} -> met(Within(Max), io_lib:format("≤ ~p×", [Max]));
        {ratio_on, Engine, Max} -> met(Within(Max), io_lib:format("≤ ~p×", [Max]));
        {ratio_on, Other, Max} -> io_lib:format("(≤ ~p× on ~s)", [Max, Other]);
        {seconds, Max} -> met(F#m.median =< Max, "< " ++ time(Max))
    end.

%% The compute kernels return a checksum, which must not depend on the build.
checksum_note(#m{detail = Same}, #m{detail = Same}) -> "";
checksum_note(_F, _L) -> "**checksum differs from native** ".

%% A fast-path figure whose calls all ran on the instance thread (WAMR
%% cannot suspend calls, so it has no fast path): say so, since its target
%% is then out of reach by design.
path_note(Fig, #m{detail = "thread path"}) ->
    case lists:suffix("_thread", lists:flatten(Fig)) of
        true -> "";
        false -> "(all on the thread) "
    end;
path_note(_Fig, _F) ->
    "".

met(true, Text) -> ["**met** (", Text, ")"];
met(false, Text) -> ["**missed** (", Text, ")"].

table(Engine, Rows) ->
    ["\n### ", title(Engine), "\n\n",
     "| # | benchmark | hb_beamr median (min) | floor | floor median (min) | ratio | target |\n",
     "|---|---|---|---|---|---|---|\n",
     [table_row(R) || R <- Rows]].

%% Both engines side by side: medians "figure / floor" and the ratio.
combined(Summary) ->
    Engines = [E || {E, _} <- Summary],
    ["\n### Summary (medians: hb_beamr / floor = ratio)\n\n",
     "| # | benchmark | floor |", [[" ", title(E), " |"] || E <- Engines], " target |\n",
     "|---|---|---|", [["---|"] || _ <- Engines], "---|\n",
     [begin
          Cells = [lists:nth(K, Rows) || {_, Rows} <- Summary],
          {{Id, Label, _, _, FloorLabel, Kind, Target}, _, _, _, _} = hd(Cells),
          ["| ", Id, " | ", Label, " | ", FloorLabel, " |",
           [[" ", cell(Kind, F, L, Ratio), " |"] || {_, F, L, Ratio, _} <- Cells],
           " ", lists:join("; ", [[short(E), ": ", V]
                                  || {E, {_, _, _, _, V}} <- lists:zip(Engines, Cells),
                                     own_target(E, Target)]),
           " |\n"]
      end || K <- lists:seq(1, length(rows()))]].

%% Whether the row has a target for this engine.
own_target(_Engine, none) -> false;
own_target(Engine, {ratio_on, Other, _}) -> Engine =:= Other;
own_target(_Engine, _) -> true.

cell(_Kind, #m{median = undefined, detail = Detail}, _L, _Ratio) -> not_measured(Detail);
cell(Kind, F, L, Ratio) ->
    [brief(Kind, F), " / ", brief(Kind, L), " = **", ratio(Ratio), "**"].

brief(_Kind, undefined) -> "–";
brief(_Kind, #m{median = undefined}) -> "n/a";
brief(mem, #m{median = Med, detail = Bytes}) ->
    [digits(list_to_integer(Bytes) / Med / 1.0e6), " MB/s"];
brief(bytes, #m{median = Med}) -> [digits(Med / 1024), " KiB"];
brief(_Kind, #m{median = Med}) -> time(Med).

short("wasmtime") -> "Wasmtime";
short("wamr") -> "WAMR";
short(E) -> E.

title("wasmtime") -> "Wasmtime (Cranelift JIT)";
title("wamr") -> "WAMR (classic interpreter)";
title(E) -> E.

table_row({{Id, Label, _, _, FloorLabel, Kind, _}, F, L, Ratio, Verdict}) ->
    io_lib:format("| ~ts | ~ts | ~ts | ~ts | ~ts | ~ts | ~ts |~n",
                  [Id, Label, figure(Kind, F), FloorLabel, figure(Kind, L),
                   ratio(Ratio), Verdict]).

figure(_Kind, undefined) -> "–";
figure(_Kind, #m{median = undefined, detail = Detail}) -> not_measured(Detail);
figure(call, #m{min = Min, median = Med}) ->
    io_lib:format("~s (~s), ~s/s", [time(Med), time(Min), si(1 / Med)]);
figure(time, #m{min = Min, median = Med}) ->
    io_lib:format("~s (~s)", [time(Med), time(Min)]);
figure(mem, #m{min = Min, median = Med, detail = Bytes}) ->
    Size = list_to_integer(Bytes),
    io_lib:format("~s (~s), ~s MB/s", [time(Med), time(Min), digits(Size / Med / 1.0e6)]);
figure(bytes, #m{median = Med}) ->
    io_lib:format("~s KiB", [digits(Med / 1024)]).

%% A measurement the engine cannot make: its reason's kind (the whole reason
%% is in raw.csv).
not_measured("unsupported" ++ _) -> "n/a (unsupported)";
not_measured(_) -> "n/a".

ratio(undefined) -> "–";
ratio(R) -> [digits(R), "×"].

time(S) when S >= 1.0 -> [digits(S), " s"];
time(S) when S >= 1.0e-3 -> [digits(S * 1.0e3), " ms"];
time(S) when S >= 1.0e-6 -> [digits(S * 1.0e6), " µs"];
time(S) -> [digits(S * 1.0e9), " ns"].

si(X) when X >= 1.0e6 -> [digits(X / 1.0e6), " M"];
si(X) when X >= 1.0e3 -> [digits(X / 1.0e3), " k"];
si(X) -> digits(X).

%% Three significant digits.
digits(X) when X >= 100 -> integer_to_list(round(X));
digits(X) when X >= 10 -> io_lib:format("~.1f", [X]);
digits(X) -> io_lib:format("~.2f", [X]).

csv(Summary) ->
    ["engine,id,benchmark,unit,figure,figure_median,figure_min,floor,floor_median,"
     "floor_min,ratio,target\n",
     [io_lib:format("~s,~s,\"~ts\",~s,~ts,~s,~s,~ts,~s,~s,~s,\"~ts\"~n",
                    [E, Id, Label, unit(Kind), Fig, num(F, #m.median), num(F, #m.min),
                     measure_name(Floor), num(L, #m.median), num(L, #m.min), opt(Ratio),
                     [C || C <- lists:flatten(io_lib:format("~ts", [Verdict])), C =/= $*]])
      || {E, Rows} <- Summary,
         {{Id, Label, Fig, Floor, _, Kind, _}, F, L, Ratio, Verdict} <- Rows]].

%% Unit of the median and min columns.
unit(bytes) -> "bytes";
unit(_) -> "s".

num(#m{} = M, Field) -> opt(element(Field, M));
num(_, _) -> "".

opt(undefined) -> "";
opt(X) -> io_lib:format("~.6g", [X]).

%% Median ratio per row and engine; "-" where not measured.
dat(_Engines, Summary) ->
    Engines = ["wasmtime", "wamr"],
    Ratios = maps:from_list([{{E, element(1, Row)}, Ratio}
                             || {E, Rows} <- Summary, {Row, _, _, Ratio, _} <- Rows]),
    ["# id " ++ lists:join(" ", Engines) ++ "\n",
     [[Id, [[" ", case maps:get({E, Id}, Ratios, undefined) of
                      undefined -> "-";
                      R -> io_lib:format("~.4g", [R])
                  end] || E <- Engines], "\n"]
      || {Id, _, _, _, _, _, _} <- rows()]].
