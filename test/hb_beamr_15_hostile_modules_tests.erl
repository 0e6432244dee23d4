%%% Valid but hostile modules (issue 13): none may take the VM down.
%%%
%%% A table64 whose limits pass 2^32 once aborted the whole VM in start/1 and
%%% compile/1 (Wasmtime's C API panics reading such limits), so those modules
%%% run in a child VM: a regression shows as a failed test, not a dead suite.
%%% Exported exception tags are listed as `{tag, Name, Signature}'.
-module(hb_beamr_15_hostile_modules_tests).

-include_lib("eunit/include/eunit.hrl").

%% Run inside the child VM.
-export([child_table64/0]).

-define(TWO_TO_32, (1 bsl 32)).

table64_above_2_32_test_() ->
    {timeout, 120,
     fun() ->
             Results = hb_beamr_test_util:run_isolated(?MODULE, child_table64),
             ?assertMatch([_ | _], Results),
             Engine = hb_beamr_test_util:engine(),
             [check_table64(Engine, Case, Result) || {Case, Result} <- Results]
     end}.

%% The child VM survived each case; what each may answer:
check_table64(_Engine, alive, Result) ->
    %% The VM still runs modules after all the others.
    ?assertEqual({ok, [42]}, Result);
check_table64(_Engine, {start, min_above}, Result) ->
    %% 2^32+1 elements: described with its 64-bit limits, then refused (or,
    %% with memory to spare, created) when instantiated; never a crash.
    ?assert(lists:member(Result,
                         [{ok, [{table, "t", "r:4294967297.."}]},
                          {error, load}, {error, instantiate}]));
check_table64(wasmtime, {start, max_above}, Result) ->
    ?assertEqual({ok, [{table, "t", "r:1..8589934592"}]}, Result);
check_table64(wamr, {start, max_above}, Result) ->
    %% WAMR may refuse a table64 it cannot hold.
    ?assert(lists:member(Result, [{ok, [{table, "t", "r:1..8589934592"}]},
                                  {error, load}]));
check_table64(_Engine, {compile, _}, Result) ->
    %% Wasmtime refuses to precompile a table whose limits it could not
    %% describe again when loading (unsupported); WAMR has no aot (also
    %% unsupported) or refuses the module (load).
    ?assert(lists:member(Result, [ok, {error, load}, {error, unsupported}])).

child_table64() ->
    Modules = [{min_above, exported_table64(?TWO_TO_32 + 1, none)},
               {max_above, exported_table64(1, 2 * ?TWO_TO_32)}],
    Starts = [{{start, Name}, start_result(hb_beamr:start(Bin))}
              || {Name, Bin} <- Modules],
    Compiles = [{{compile, Name}, compile_result(hb_beamr:compile(Bin))}
                || {Name, Bin} <- Modules],
    {ok, Fac, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("tags")),
    Alive = hb_beamr:call(Fac, "answer", []),
    ok = hb_beamr:stop(Fac),
    Starts ++ Compiles ++ [{alive, Alive}].

start_result({ok, WASM, [], Exports}) ->
    ok = hb_beamr:stop(WASM),
    {ok, Exports};
start_result({error, {Kind, Message}}) when is_binary(Message) ->
    {error, Kind}.

compile_result({ok, Bin}) when is_binary(Bin) -> ok;
compile_result({error, {Kind, Message}}) when is_binary(Message) ->
    {error, Kind}.

%% (module (table (export "t") i64 Min [Max] funcref)), written by hand:
%% wat2wasm has no table64 syntax for such limits. About 25 bytes.
exported_table64(Min, Max) ->
    Limits = case Max of
                 none -> <<16#04, (leb(Min))/binary>>;
                 _ -> <<16#05, (leb(Min))/binary, (leb(Max))/binary>>
             end,
    Tables = <<1, 16#70, Limits/binary>>,
    Exports = <<1, 1, $t, 1, 0>>,
    <<0, "asm", 1, 0, 0, 0,
      4, (byte_size(Tables)), Tables/binary,
      7, (byte_size(Exports)), Exports/binary>>.

leb(N) when N < 128 -> <<N>>;
leb(N) -> <<(N band 127 bor 128), (leb(N bsr 7))/binary>>.

exported_tags_test() ->
    {ok, WASM, [], Exports} =
        hb_beamr:start(hb_beamr_test_util:fixture("tags")),
    Expected =
        case hb_beamr_test_util:engine() of
            wasmtime ->
                [{tag, "e", "(iI)"}, {tag, "none", "()"},
                 {func, "answer", "()i"}];
            wamr ->
                %% WAMR's wasm.h cannot list tags: its adapter drops tag
                %% exports when it loads the module, so none is listed.
                [{func, "answer", "()i"}]
        end,
    ?assertEqual(Expected, Exports),
    ?assertEqual({ok, [42]}, hb_beamr:call(WASM, "answer", [])),
    %% A tag is no function (on WAMR it is no export at all).
    ?assertMatch({error, {Reason, _}} when Reason =:= not_a_function;
                                            Reason =:= unknown_export,
                 hb_beamr:call(WASM, "e", [1, 2])),
    ok = hb_beamr:stop(WASM).
