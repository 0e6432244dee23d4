%%% Many instances at once: a thousand instances called by a thousand
%%% processes, what an idle instance costs, and the compiled-module cache.
-module(hb_beamr_11_scale_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1, info/1, counts/0, settled/2]).

%% Run inside a child VM.
-export([child_idle_cost/0]).

-define(INSTANCES, 1000).

thousand_instances_test_() ->
    %% 1,000 processes each start an instance of pow and call it, answering
    %% its imports, all at once; every one gets its own right answer.
    {timeout, 600,
     fun() ->
             Before = counts(),
             Pow = fixture("pow"),
             Self = self(),
             Rss0 = rss(),
             Pids = [spawn_link(fun() -> instance_user(Self, Pow, K) end)
                     || K <- lists:seq(1, ?INSTANCES)],
             Results = [receive {done, P, R} -> R after 300000 -> error({no_answer, P}) end
                        || P <- Pids],
             Expected = [{ok, [float(K * K * K)], 3} || K <- lists:seq(1, ?INSTANCES)],
             ?assertEqual(Expected, Results),
             %% All of them alive at once, each with its context and thread.
             erlang:garbage_collect(),
             Rss1 = rss(),
             Now = counts(),
             ?assertEqual(Before#{contexts := maps:get(contexts, Before) + ?INSTANCES,
                                  threads := maps:get(threads, Before) + ?INSTANCES}, Now),
             report_rss("pow", Rss0, Rss1, ?INSTANCES),
             %% And a second round of calls on the live instances.
             [P ! again || P <- Pids],
             Again = [receive {done, P, R} -> R after 300000 -> error({no_answer, P}) end
                      || P <- Pids],
             ?assertEqual(Expected, Again),
             [P ! stop || P <- Pids],
             [receive {stopped, P} -> ok after 300000 -> error({not_stopped, P}) end
              || P <- Pids],
             ?assertEqual(Before, settled(Before, 60000))
     end}.

instance_user(Parent, Pow, K) ->
    {ok, WASM, _, _} = hb_beamr:start(Pow),
    Mul = fun(N, #{args := [A, B]}) -> {ok, [A * B], N + 1} end,
    Loop = fun Loop() ->
                   Parent ! {done, self(), hb_beamr:call(WASM, "pow", [float(K), 3], Mul, 0)},
                   receive
                       again -> Loop();
                       stop -> ok = hb_beamr:stop(WASM), Parent ! {stopped, self()}
                   end
           end,
    Loop().

idle_instance_cost_test_() ->
    %% Measures, and prints, the resident memory of idle instances in a fresh
    %% VM: of a module without memory (loop), and of a C module with its own
    %% linear memory and stack (erl_io) once each instance has used its
    %% memory. Loose bound only: this documents the cost.
    {timeout, 300,
     fun() ->
             Costs = hb_beamr_test_util:run_isolated(?MODULE, child_idle_cost),
             ?assertMatch(#{loop := _, erl_io := _}, Costs),
             maps:foreach(
               fun(Name, {PerInstance, Virtual}) ->
                       io:format(user, "~n200 idle instances of ~s: ~b KiB resident and "
                                 "~b MiB of address space each~n",
                                 [Name, PerInstance div 1024, Virtual div (1024 * 1024)]),
                       ?assert(PerInstance < 1024 * 1024)
               end, Costs)
     end}.

%% Run in the child VM: {RSS, virtual size} per instance, in bytes.
-spec child_idle_cost() -> #{atom() => {integer(), integer()}}.
child_idle_cost() ->
    maps:from_list([{list_to_atom(Name), idle_cost(Name)} || Name <- ["loop", "erl_io"]]).

idle_cost(Name) ->
    Warm = start(Name), % driver loaded, module compiled
    use(Name, Warm),
    timer:sleep(200),
    {Rss0, Vsz0} = {status("VmRSS"), status("VmSize")},
    Instances = [start(Name) || _ <- lists:seq(1, 200)],
    lists:foreach(fun(W) -> use(Name, W) end, Instances),
    timer:sleep(200),
    {Rss1, Vsz1} = {status("VmRSS"), status("VmSize")},
    lists:foreach(fun hb_beamr:stop/1, [Warm | Instances]),
    {(Rss1 - Rss0) div 200, (Vsz1 - Vsz0) div 200}.

use("loop", WASM) ->
    {ok, [10]} = hb_beamr:call(WASM, "count", [10]);
use("erl_io", WASM) ->
    {ok, Ptr} = hb_beamr_io:write_string(WASM, <<"hello">>),
    ok = hb_beamr_io:free(WASM, Ptr).

module_cache_test() ->
    %% Starting the same bytes again reuses the compiled module while an
    %% instance of it is alive: the driver's counters show hits, not
    %% compilations.
    Keep = start("pow"),
    #{module_cache_hits := H0, module_cache_misses := M0} = info(Keep),
    lists:foreach(fun(_) -> ok = hb_beamr:stop(start("pow")) end, lists:seq(1, 100)),
    #{module_cache_hits := H1, module_cache_misses := M1, modules_cached := Cached} = info(Keep),
    ?assert(H1 - H0 >= 100),
    ?assertEqual(M0, M1),
    ?assert(Cached >= 1),
    ok = hb_beamr:stop(Keep).

%%% Helpers

%% A size line of /proc/self/status in bytes (Linux only, like the test).
status(Field) ->
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, Field ++ ":\\s+(\\d+) kB",
                           [{capture, all_but_first, list}]),
    list_to_integer(Kb) * 1024.

%% Resident set size of this VM in bytes, if the OS tells.
rss() ->
    try status("VmRSS")
    catch error:_ -> unknown
    end.

report_rss(Name, Rss0, Rss1, N) when is_integer(Rss0), is_integer(Rss1) ->
    PerInstance = (Rss1 - Rss0) div N,
    io:format(user, "~n~b idle instances of ~s: ~.1f MiB resident in all, ~b KiB each~n",
              [N, Name, (Rss1 - Rss0) / (1024 * 1024), PerInstance div 1024]),
    PerInstance;
report_rss(_Name, _, _, _) ->
    unknown.
