%%% A caller with a long mailbox of unrelated messages (issue 13, item 10):
%%% every path of a call (the fast path, the instance process, the instance
%%% thread), imports, memory requests and starts give the right results,
%%% and leave the caller's own messages where they were, all of them, in
%%% order. How fast such calls are is a benchmark's business
%%% (bench/erl/hb_beamr_bench.erl, group mailbox), not a test's.
-module(hb_beamr_18_busy_mailbox_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1, start/1]).

-define(UNRELATED, 100000).
%% Loops this many times before its import: long enough for the fast path
%% to hand the call to the instance thread (as in the fast path tests).
-define(LONG, 400000000).

busy_mailbox_test_() ->
    {timeout, 120,
     [{"calls, imports and starts", fun() -> in_busy_process(fun calls/0) end},
      {"memory requests", fun() -> in_busy_process(fun memory/0) end},
      {"a call queued behind another process's call",
       fun() -> in_busy_process(fun queued_call/0) end},
      {"a long call (handed to the thread on Wasmtime)",
       fun() -> in_busy_process(fun long_call/0) end}]}.

%% What makes the above cheap: the compiler's receive optimisation (as
%% `erlc +recv_opt_info' reports it) on the call loop's receive and the
%% memory request's, for every path: a call the driver moves to its
%% thread is tagged with a reference the caller makes just before, too.
receives_use_markers_test() ->
    Source = proplists:get_value(source, hb_beamr_call:module_info(compile)),
    {ok, _, _, [{_, Warnings}]} =
        compile:file(Source, [recv_opt_info, return_warnings, binary]),
    Kinds = [case W of
                 {used_receive_marker, _} -> used;
                 unoptimized_selective_receive -> unoptimized;
                 _ -> other
             end || {_Line, beam_ssa_recv, W} <- Warnings],
    ?assertEqual({2, 0}, {count(used, Kinds), count(unoptimized, Kinds)}).

count(X, List) ->
    length([Y || Y <- List, Y =:= X]).

calls() ->
    {ok, WASM, [], _} = hb_beamr:start(fixture("fac")),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual({error, {unknown_export, <<"nope">>}}, hb_beamr:call(WASM, "nope", [])),
    ok = hb_beamr:stop(WASM),
    P = start("pow"),
    Mul = fun(Calls, #{args := [A, B]}) -> {ok, [A * B], Calls + 1} end,
    ?assertEqual({ok, [1024.0], 10}, hb_beamr:call(P, "pow", [2.0, 10], Mul, 0)),
    %% A nested call from the import function.
    Nested = fun(Calls, #{instance := I, args := [A, B]}) ->
                     {ok, [A], 1} = hb_beamr:call(I, "pow", [A, 1], Mul, 0),
                     {ok, [A * B], Calls + 1}
             end,
    ?assertEqual({ok, [8.0], 3}, hb_beamr:call(P, "pow", [2.0, 3], Nested, 0)),
    ok = hb_beamr:stop(P),
    ?assertEqual({error, not_running}, hb_beamr:call(P, "pow", [2.0, 1])).

memory() ->
    WASM = start("erl_io"),
    {ok, Size} = hb_beamr_io:size(WASM),
    ?assert(Size > 0),
    {ok, Ptr} = hb_beamr_io:write_string(WASM, <<"busy">>),
    ?assertEqual({ok, <<"busy">>}, hb_beamr_io:read_string(WASM, Ptr)),
    ?assertEqual({error, out_of_bounds}, hb_beamr_io:read(WASM, Size, 1)),
    {ok, Snapshot} = hb_beamr:serialize(WASM),
    ?assertEqual(ok, hb_beamr:deserialize(WASM, Snapshot)),
    ok = hb_beamr_io:free(WASM, Ptr),
    ok = hb_beamr:stop(WASM).

%% A call made while another process's call waits in its import goes
%% through the instance process on every engine.
queued_call() ->
    P = start("pow"),
    Holder = hb_beamr_caller_util:spawn_caller(P, 2.0, s),
    Holder ! go,
    receive {in_import, Holder} -> ok after 10000 -> error(no_holder) end,
    Releaser = spawn_link(fun() -> timer:sleep(100), Holder ! answer end),
    Mul = fun(Calls, #{args := [A, B]}) -> {ok, [A * B], Calls + 1} end,
    ?assertEqual({ok, [9.0], 2}, hb_beamr:call(P, "pow", [3.0, 2], Mul, 0)),
    receive {result, Holder, Held} -> ?assertEqual({ok, [2.0], s}, Held)
    after 10000 -> error(held)
    end,
    unlink(Releaser),
    ok = hb_beamr:stop(P).

%% Without a fast path (WAMR) every call runs on the thread already, and
%% its interpreter would take minutes over ?LONG.
long_call() ->
    Long = case hb_beamr_test_util:missing_reason(fast_path) of
               none -> ?LONG;
               _ -> 1000
           end,
    W = start("work_then_ask"),
    Ask = fun(S, #{args := [N]}) -> {ok, [N * 2], S + 1} end,
    ?assertEqual({ok, [2 * Long + 1], 1}, hb_beamr:call(W, "work_then_ask", [Long], Ask, 0)),
    ok = hb_beamr:stop(W).

%% Runs `Fun' in a fresh process holding ?UNRELATED unrelated messages,
%% then checks that exactly those are left, in order.
in_busy_process(Fun) ->
    {Pid, MRef} =
        spawn_monitor(
          fun() ->
                  Unrelated = [{unrelated, N} || N <- lists:seq(1, ?UNRELATED)],
                  lists:foreach(fun(M) -> self() ! M end, Unrelated),
                  Fun(),
                  {messages, Left} = erlang:process_info(self(), messages),
                  exit({done, Left =:= Unrelated, length(Left)})
          end),
    receive
        {'DOWN', MRef, process, Pid, Reason} ->
            ?assertEqual({done, true, ?UNRELATED}, Reason)
    after 100000 ->
        exit(Pid, kill),
        error(timeout)
    end.
