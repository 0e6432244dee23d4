%%% The Lua fixture (fixtures/lua/) through the Erlang API: a Lua 5.4
%%% interpreter built by emscripten for wasm64 with legacy exception
%%% handling, the shape of an AO process module. Lua errors travel as
%%% WebAssembly exceptions, so pcall and uncaught errors exercise exception
%%% handling on both engines. Imports (WASI and emscripten stubs) are
%%% answered with zeros, as call/3 does.
-module(hb_beamr_14_lua_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [fixture/1]).

%% Runs `Code' through the module's handle() and returns its answer.
eval(WASM, Code) ->
    {ok, In} = hb_beamr_io:write_string(WASM, Code),
    {ok, [Out]} = hb_beamr:call(WASM, "handle", [In]),
    ok = hb_beamr_io:free(WASM, In),
    {ok, Answer} = hb_beamr_io:read_string(WASM, Out),
    Answer.

lua_test_() ->
    hb_beamr_test_util:requires(memory64,
      {setup, fun() -> hb_beamr_test_util:start("lua") end, fun hb_beamr:stop/1,
       fun(WASM) ->
               [?_assertEqual(<<"2">>, eval(WASM, <<"return 1+1">>)),
                ?_assertEqual(<<"false boom">>,
                              eval(WASM, <<"local ok, e = pcall(error, 'boom') "
                                           "return tostring(ok) .. ' ' .. e">>)),
                ?_assertEqual(<<"inner outer">>,
                              eval(WASM, <<"local _, a = pcall(function() "
                                           "local _, b = pcall(error, 'inner') "
                                           "error(b .. ' outer', 0) end) return a">>)),
                ?_assertEqual(<<"caught: from C++">>,
                              eval(WASM, <<"return cxx_catch('from C++')">>)),
                ?_test(uncaught_error(WASM)),
                ?_test(thousand_calls(WASM))]
       end}).

%% An uncaught Lua error comes back as text and the instance goes on.
uncaught_error(WASM) ->
    Answer = eval(WASM, <<"error('no handler')">>),
    ?assertMatch(<<"error: ", _/binary>>, Answer),
    ?assertNotEqual(nomatch, binary:match(Answer, <<"no handler">>)),
    ?assertEqual(<<"3">>, eval(WASM, <<"return 1+2">>)),
    ?assertMatch(<<"error: ", _/binary>>, eval(WASM, <<"not lua">>)),
    ?assertEqual(<<"ok">>, eval(WASM, <<"return 'ok'">>)).

%% 1,000 calls in a row, every fifth raising and catching an error, with
%% state kept in a global between calls.
thousand_calls(WASM) ->
    ?assertEqual(<<"nil">>, eval(WASM, <<"n = 0">>)),
    lists:foreach(
      fun(I) ->
              Code = case I rem 5 of
                         0 -> <<"pcall(error, 'x') n = n + 1 return n">>;
                         _ -> <<"n = n + 1 return n">>
                     end,
              ?assertEqual(integer_to_binary(I), eval(WASM, Code))
      end, lists:seq(1, 1000)).

%% compile/1 and start(_, aot) on the Lua module (Wasmtime: the rewritten
%% module is what gets precompiled).
precompiled_test_() ->
    hb_beamr_test_util:requires(aot, {timeout, 120, fun() ->
        {ok, Pre} = hb_beamr:compile(fixture("lua")),
        {ok, WASM, _Imports, _Exports} = hb_beamr:start(Pre, aot),
        try
            ?assertEqual(<<"2">>, eval(WASM, <<"return 1+1">>)),
            ?assertMatch(<<"error: ", _/binary>>, eval(WASM, <<"error('x')">>)),
            ?assertEqual(<<"6">>, eval(WASM, <<"return 2*3">>))
        after
            hb_beamr:stop(WASM)
        end
    end}).
