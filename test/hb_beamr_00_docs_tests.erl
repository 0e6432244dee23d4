%%% The examples in the module docs run as written.
-module(hb_beamr_00_docs_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture_dir/0, start/1]).

hb_beamr_example_test() ->
    Code = example(hb_beamr),
    Paths = [{"\"" ++ F ++ ".wasm\"", "\"" ++ filename:join(fixture_dir(), F ++ ".wasm") ++ "\""}
             || F <- ["fac", "pow"]],
    Code2 = lists:foldl(fun({From, To}, Acc) -> string:replace(Acc, From, To, all) end,
                        Code, Paths),
    ?assertEqual(ok, eval(lists:flatten(Code2), #{})).

hb_beamr_io_example_test() ->
    WASM = start("erl_io"),
    ?assertEqual(ok, eval(example(hb_beamr_io), #{'WASM' => WASM})),
    ok = hb_beamr:stop(WASM).

hb_beamr_values_example_test() ->
    ?assertEqual([0.0], eval(example(hb_beamr_values), #{})).

%% The text between ``` and ''' in the module's header comment.
example(Module) ->
    Source = proplists:get_value(source, Module:module_info(compile)),
    {ok, Text} = file:read_file(Source),
    Lines = [strip(L) || L <- string:split(binary_to_list(Text), "\n", all)],
    {_, [_ | Rest]} = lists:splitwith(fun(L) -> string:find(L, "```") =:= nomatch end, Lines),
    {Example, _} = lists:splitwith(fun(L) -> string:find(L, "'''") =:= nomatch end, Rest),
    lists:flatten(lists:join("\n", Example)).

strip("%%% " ++ Line) -> Line;
strip("%%%" ++ Line) -> Line;
strip(Line) -> Line.

eval(Code, Bindings) ->
    {ok, Tokens, _} = erl_scan:string(Code),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    {value, Value, _} = erl_eval:exprs(Exprs, Bindings),
    Value.
