%%% WASI preview 1 from Erlang: the `wasi' start option, read_output/2,
%%% output messages, proc_exit, and imports the provider does not cover
%%% (fixtures/wasi/wasi_hello.c, fixtures/wasi/wasi_mixed.wat).
-module(hb_beamr_23_wasi_tests).

-include_lib("eunit/include/eunit.hrl").

%% Starts wasi_hello with argv ["wasi_hello" | Args] and `Extra' options.
hello(Args, Extra) ->
    Wasi = maps:merge(#{args => [<<"wasi_hello">> | Args]}, Extra),
    hb_beamr_test_util:start("wasi_hello", #{wasi => Wasi}).

%% Runs _start; every import it makes must be answered by the provider.
run(WASM) ->
    run(WASM, #{}).
run(WASM, Opts) ->
    NoImport = fun(_State, Request) -> error({import_reached_erlang, Request}) end,
    hb_beamr:call(WASM, "_start", [], NoImport, none, Opts).

out(WASM, Stream) ->
    {ok, Bytes} = hb_beamr:read_output(WASM, Stream),
    Bytes.

hello_world_test() ->
    WASM = hello([<<"hello">>], #{}),
    ?assertEqual({ok, [], none}, run(WASM)),
    ?assertEqual(<<"hello, world\n">>, out(WASM, stdout)),
    ?assertEqual(<<"oops\n">>, out(WASM, stderr)),
    %% Drained.
    ?assertEqual(<<>>, out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

empty_options_test() ->
    {ok, WASM, _, _} = hb_beamr:start(hb_beamr_test_util:fixture("wasi_hello"),
                                      wasm, #{wasi => #{}}),
    %% No argv at all: the program takes its default, hello.
    ?assertEqual({ok, [], none}, run(WASM)),
    ?assertEqual(<<"hello, world\n">>, out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

args_test() ->
    WASM = hello([<<"args">>, <<"a b">>, <<"ü"/utf8>>], #{}),
    ?assertEqual({ok, [], none}, run(WASM)),
    ?assertEqual(<<"[0]=wasi_hello\n[1]=args\n[2]=a b\n[3]=ü\n"/utf8>>,
                 out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

env_test_() ->
    [?_assertEqual(<<"FOO=bar\ncount=2\n">>, env_output(Env))
     || Env <- [[{<<"FOO">>, <<"bar">>}, {<<"X">>, <<"1">>}],
                #{<<"FOO">> => <<"bar">>, <<"X">> => <<"1">>}]]
    ++ [?_assertEqual(<<"FOO=(unset)\ncount=0\n">>, env_output([]))].

env_output(Env) ->
    WASM = hello([<<"env">>, <<"FOO">>], #{env => Env}),
    {ok, [], none} = run(WASM),
    Out = out(WASM, stdout),
    ok = hb_beamr:stop(WASM),
    Out.

stdin_test() ->
    WASM = hello([<<"stdin">>], #{stdin => <<"abc">>}),
    ?assertEqual({ok, [], none}, run(WASM)),
    ?assertEqual(<<"3:ABC">>, out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

seeded_random_is_reproducible_test() ->
    Run = fun() ->
                  WASM = hello([<<"random">>, <<"16">>], #{seed => 42}),
                  {ok, [], none} = run(WASM),
                  Out = out(WASM, stdout),
                  ok = hb_beamr:stop(WASM),
                  Out
          end,
    First = Run(),
    ?assertEqual(33, byte_size(First)),
    ?assertEqual(First, Run()).

%% Both streams in every mode: captured, sent to a pid, dropped.
sinks_test_() ->
    [{atom_to_list(Out) ++ "/" ++ atom_to_list(Err),
      fun() -> sinks(Out, Err) end}
     || {Out, Err} <- [{pid, discard}, {discard, pid}, {capture, pid},
                       {pid, capture}, {discard, discard}]].

sinks(OutMode, ErrMode) ->
    Sink = fun(pid) -> self(); (Mode) -> Mode end,
    WASM = hello([<<"hello">>], #{stdout => Sink(OutMode), stderr => Sink(ErrMode)}),
    {ok, [], none} = run(WASM),
    check_stream(WASM, stdout, OutMode, <<"hello, world\n">>),
    check_stream(WASM, stderr, ErrMode, <<"oops\n">>),
    ok = hb_beamr:stop(WASM),
    %% Nothing else was sent.
    receive {hb_beamr_output, _, _, _} = Extra -> error({unexpected, Extra})
    after 0 -> ok
    end.

check_stream(WASM, Stream, capture, Expected) ->
    ?assertEqual(Expected, out(WASM, Stream));
check_stream(WASM, Stream, discard, _Expected) ->
    ?assertEqual(<<>>, out(WASM, Stream));
check_stream(WASM, Stream, pid, Expected) ->
    ?assertEqual(<<>>, out(WASM, Stream)),
    ?assertEqual(Expected, receive_output(WASM, Stream, byte_size(Expected), <<>>)).

receive_output(_WASM, _Stream, Size, Acc) when byte_size(Acc) >= Size ->
    Acc;
receive_output(WASM, Stream, Size, Acc) ->
    receive
        {hb_beamr_output, WASM, Stream, Bytes} ->
            receive_output(WASM, Stream, Size, <<Acc/binary, Bytes/binary>>)
    end.

proc_exit_test() ->
    WASM = hello([<<"exit">>, <<"3">>], #{}),
    ?assertEqual({error, {exit, 3}, none}, run(WASM)),
    %% exit() flushed stdio first.
    ?assertEqual(<<"bye\n">>, out(WASM, stdout)),
    %% Trapped but usable: it can be called again (wasi-libc's _start
    %% refuses to run twice, with a trap) and its memory read.
    ?assertMatch({error, _, none}, run(WASM)),
    ?assertMatch({ok, N} when N > 0, hb_beamr_io:size(WASM)),
    ok = hb_beamr:stop(WASM).

exit_zero_test() ->
    WASM = hello([<<"exit">>, <<"0">>], #{}),
    ?assertEqual({error, {exit, 0}, none}, run(WASM)),
    ok = hb_beamr:stop(WASM).

%% Imports the provider does not cover still reach the import function.
mixed_imports_test() ->
    WASM = hb_beamr_test_util:start("wasi_mixed", #{wasi => #{}}),
    Ask = fun(Seen, #{module := M, func := F}) -> {ok, [5], [{M, F} | Seen]} end,
    ?assertEqual({ok, [5], [{"env", "ask"}]}, hb_beamr:call(WASM, "run", [], Ask, [])),
    ?assertEqual(<<"hi\n">>, out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

%% Without the option nothing changes: fd_write goes to the import function.
without_wasi_test() ->
    WASM = hb_beamr_test_util:start("wasi_mixed"),
    Answer = fun(Seen, #{func := "fd_write" = F}) -> {ok, [7], [F | Seen]};
                (Seen, #{func := "ask" = F}) -> {ok, [5], [F | Seen]}
             end,
    ?assertEqual({ok, [12], ["ask", "fd_write"]},
                 hb_beamr:call(WASM, "run", [], Answer, [])),
    ?assertEqual({error, no_wasi}, hb_beamr:read_output(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

%% Past output_limit a captured stream keeps the newest bytes.
flood_is_bounded_test() ->
    WASM = hello([<<"flood">>, <<"1000000">>], #{output_limit => 1000}),
    ?assertEqual({ok, [], none}, run(WASM)),
    Out = out(WASM, stdout),
    ?assertEqual(1000, byte_size(Out)),
    ?assertEqual(binary:copy(<<"0123456789">>, 100), Out),
    ok = hb_beamr:stop(WASM).

%% A guest sleeping in poll_oneoff still ends at its call's time limit
%% (it would sleep ten minutes otherwise).
sleep_honours_timeout_test() ->
    WASM = hello([<<"sleep">>, <<"600000">>], #{}),
    ?assertEqual({error, timeout, none}, run(WASM, #{timeout => 100})),
    ok = hb_beamr:stop(WASM).

short_sleep_test() ->
    WASM = hello([<<"sleep">>, <<"1">>], #{}),
    ?assertEqual({ok, [], none}, run(WASM)),
    ?assertEqual(<<"slept\n">>, out(WASM, stdout)),
    ok = hb_beamr:stop(WASM).

%% read_output from inside an import function of the instance's own call.
read_output_in_import_test() ->
    WASM = hb_beamr_test_util:start("wasi_mixed", #{wasi => #{}}),
    Ask = fun(_, #{instance := I}) -> {ok, [0], hb_beamr:read_output(I, stdout)} end,
    ?assertEqual({ok, [0], {ok, <<"hi\n">>}}, hb_beamr:call(WASM, "run", [], Ask, none)),
    ok = hb_beamr:stop(WASM).

bad_options_test_() ->
    Bin = hb_beamr_test_util:fixture("wasi_hello"),
    Start = fun(Wasi) -> hb_beamr:start(Bin, wasm, #{wasi => Wasi}) end,
    [?_assertEqual({error, {badopt, wasi}}, Start(5)),
     ?_assertEqual({error, {badopt, wasi}}, Start([foo])),
     ?_assertEqual({error, {badopt, {wasi, bogus}}}, Start(#{bogus => 1})),
     ?_assertEqual({error, {badopt, {wasi, args}}}, Start(#{args => [foo]})),
     ?_assertEqual({error, {badopt, {wasi, args}}}, Start(#{args => <<"x">>})),
     ?_assertEqual({error, {badopt, {wasi, env}}}, Start(#{env => [{a, <<"b">>}]})),
     ?_assertEqual({error, {badopt, {wasi, env}}}, Start(#{env => #{<<"a">> => 1}})),
     ?_assertEqual({error, {badopt, {wasi, stdin}}}, Start(#{stdin => "abc"})),
     ?_assertEqual({error, {badopt, {wasi, stdout}}}, Start(#{stdout => foo})),
     ?_assertEqual({error, {badopt, {wasi, stderr}}}, Start(#{stderr => "x"})),
     ?_assertEqual({error, {badopt, {wasi, output_limit}}}, Start(#{output_limit => -1})),
     ?_assertEqual({error, {badopt, {wasi, output_limit}}}, Start(#{output_limit => 1 bsl 64})),
     ?_assertEqual({error, {badopt, {wasi, seed}}}, Start(#{seed => 1.5})),
     ?_assertEqual({error, badarg}, hb_beamr:read_output(self(), stdin)),
     ?_test(begin
                {ok, W, _, _} = Start([{args, [<<"x">>]}, {stdout, discard}]),
                ok = hb_beamr:stop(W)
            end)].
