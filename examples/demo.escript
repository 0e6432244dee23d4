#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% A tour of hb_beamr: load a module, call it, answer an import in Erlang,
%% read and write linear memory, snapshot an instance and restore it.
%%
%% Usage: examples/demo.escript [FIXTURE_DIR]
%%   FIXTURE_DIR holds fac.wasm, pow.wasm and erl_io.wasm (default:
%%   $HB_BEAMR_FIXTURE_DIR, else build/fixtures). The driver is taken from
%%   $HB_BEAMR_DRIVER_DIR, else priv/. Build both first:
%%     cmake -S . -B build -G Ninja && cmake --build build
-mode(compile).

main(Args) ->
    Root = filename:dirname(filename:dirname(filename:absname(escript:script_name()))),
    FixtureDir = case Args of
                     [Dir | _] -> Dir;
                     [] -> env("HB_BEAMR_FIXTURE_DIR", filename:join([Root, "build", "fixtures"]))
                 end,
    os:putenv("HB_BEAMR_DRIVER_DIR", env("HB_BEAMR_DRIVER_DIR", filename:join(Root, "priv"))),
    load_modules(Root),
    Wasm = fun(Name) ->
                   Path = filename:join(FixtureDir, Name ++ ".wasm"),
                   case file:read_file(Path) of
                       {ok, Bin} -> Bin;
                       {error, Reason} -> fail("cannot read ~s: ~p", [Path, Reason])
                   end
           end,
    ok = check(hb_beamr:load_driver(), "load the driver"),

    step("1. Load fac.wasm and call fac(5.0)"),
    {ok, Fac, FacImports, FacExports} = hb_beamr:start(Wasm("fac")),
    say("imports: ~p~nexports: ~p", [FacImports, FacExports]),
    {ok, [Result]} = hb_beamr:call(Fac, "fac", [5.0]),
    say("fac(5.0) = ~p", [Result]),
    %% Where calls ran: on the caller's scheduler (fast path, on engines
    %% that can suspend a call) or on the instance's thread.
    {ok, Info} = hb_beamr:request(Fac, info, []),
    say("engine ~p: ~p call(s) on the fast path, ~p on instance threads",
        [proplists:get_value(engine, Info), proplists:get_value(fast_calls, Info),
         proplists:get_value(thread_calls, Info)]),
    ok = hb_beamr:stop(Fac),

    step("2. pow.wasm: my_lib.mul is answered in Erlang"),
    {ok, Pow, PowImports, _} = hb_beamr:start(Wasm("pow")),
    say("imports: ~p", [PowImports]),
    Mul = fun(Calls, #{module := M, func := F, args := [A, B]}) ->
                  say("  import ~s.~s(~p, ~p) -> ~p", [M, F, A, B, A * B]),
                  {ok, [A * B], Calls + 1}
          end,
    {ok, [Power], Calls} = hb_beamr:call(Pow, "pow", [2.0, 5], Mul, 0),
    say("pow(2.0, 5) = ~p after ~p import calls", [Power, Calls]),
    ok = hb_beamr:stop(Pow),

    step("3. Memory I/O on erl_io.wasm"),
    {ok, IO, _, _} = hb_beamr:start(Wasm("erl_io")),
    {ok, Size} = hb_beamr_io:size(IO),
    say("memory size: ~p bytes", [Size]),
    {ok, Name} = hb_beamr_io:write_string(IO, <<"Erlang">>),
    say("wrote \"Erlang\" at ~p (malloc'd in WebAssembly)", [Name]),
    {ok, [Greeting]} = hb_beamr:call(IO, "greet", [Name]),
    {ok, Text} = hb_beamr_io:read_string(IO, Greeting),
    say("greet(~p) -> ~p: ~s", [Name, Greeting, Text]),
    ok = hb_beamr_io:free(IO, Greeting),
    {ok, Bytes} = hb_beamr_io:read(IO, Name, 6),
    say("raw bytes at ~p: ~p", [Name, Bytes]),
    say("reading past the end: ~p", [hb_beamr_io:read(IO, Size - 2, 4)]),

    step("4. Snapshot and restore"),
    [{ok, _} = hb_beamr:call(IO, "bump", []) || _ <- lists:seq(1, 3)],
    {ok, [Counter]} = hb_beamr:call(IO, "get_counter", []),
    {ok, Snapshot} = hb_beamr:serialize(IO),
    say("counter is ~p; snapshot of ~p bytes taken", [Counter, byte_size(Snapshot)]),
    ok = hb_beamr:stop(IO),
    {ok, Fresh, _, _} = hb_beamr:start(Wasm("erl_io")),
    {ok, [FreshCounter]} = hb_beamr:call(Fresh, "get_counter", []),
    say("a fresh instance's counter: ~p", [FreshCounter]),
    ok = hb_beamr:deserialize(Fresh, Snapshot),
    {ok, [Restored]} = hb_beamr:call(Fresh, "get_counter", []),
    {ok, [Next]} = hb_beamr:call(Fresh, "bump", []),
    {ok, Again} = hb_beamr_io:read_string(Fresh, Name),
    say("after deserialize: counter ~p, bump -> ~p, string at ~p: ~s",
        [Restored, Next, Name, Again]),
    ok = hb_beamr:stop(Fresh),

    step("5. Errors"),
    {ok, Err, _, _} = hb_beamr:start(Wasm("fac")),
    say("unknown export: ~p", [hb_beamr:call(Err, "nope", [])]),
    say("bad arguments:  ~p", [hb_beamr:call(Err, "fac", [<<"five">>])]),
    ok = hb_beamr:stop(Err),
    say("after stop:     ~p", [hb_beamr:call(Err, "fac", [5.0])]),
    io:format("~ndone~n").

load_modules(Root) ->
    %% Every module of the application, compiled from source, so the demo
    %% needs no rebar3 build.
    lists:foreach(
      fun(Src) ->
              case compile:file(Src, [binary, return_errors]) of
                  {ok, Module, Beam} ->
                      {module, Module} = code:load_binary(Module, Src, Beam);
                  Error ->
                      fail("cannot compile ~s: ~p", [Src, Error])
              end
      end, filelib:wildcard(filename:join([Root, "src", "*.erl"]))).

env(Name, Default) ->
    case os:getenv(Name) of
        false -> Default;
        "" -> Default;
        Value -> Value
    end.

check(ok, _What) -> ok;
check({error, Reason}, What) -> fail("cannot ~s: ~p", [What, Reason]).

step(Title) -> io:format("~n== ~s~n", [Title]).
say(Format, Args) -> io:format(Format ++ "~n", Args).

fail(Format, Args) ->
    io:format(standard_error, "demo: " ++ Format ++ "~n", Args),
    halt(1).
