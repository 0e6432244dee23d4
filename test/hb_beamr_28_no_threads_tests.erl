%%% When no thread can be created (a process thread limit), starts and calls
%%% get {error, _} and the VM goes on (issue 13, item 2; the core's side is
%%% core/test/thread_limit_test.cpp). A child VM runs with
%%% test/thread_limit_shim.c preloaded, which makes pthread_create fail while
%%% a flag file exists: RLIMIT_NPROC does not bind root, and the VM needs
%%% its own threads to start before the limit begins.
-module(hb_beamr_28_no_threads_tests).

-include_lib("eunit/include/eunit.hrl").

-export([without_threads/0]).

no_thread_can_be_created_test_() ->
    case shim() of
        {ok, Shim, Flag} ->
            {timeout, 120,
             fun() ->
                     Result = hb_beamr_test_util:run_isolated(
                                ?MODULE, without_threads,
                                [{"LD_PRELOAD", Shim}, {"HB_BEAMR_NO_THREADS", Flag}]),
                     ok = file:del_dir_r(filename:dirname(Shim)),
                     ?assertMatch(#{start := {error, _}, compile := {error, _},
                                    timed_call := {error, _, none}, recovered := true},
                                  Result)
             end};
        {skip, Why} ->
            io:format(user, "~nSKIPPED (no thread limit): ~s~n", [Why]),
            []
    end.

%% @doc In the child VM: with thread creation failing, a start, a compile
%% and a first call with a time limit (it needs the watchdog's thread) of
%% an instance started before; then, threads allowed again, a start and a
%% call work.
-spec without_threads() -> map().
without_threads() ->
    Flag = os:getenv("HB_BEAMR_NO_THREADS"),
    Fac = hb_beamr_test_util:fixture("fac"),
    {ok, W, _, _} = hb_beamr:start(Fac),
    ok = file:write_file(Flag, <<>>),
    Start = hb_beamr:start(Fac),
    Compile = hb_beamr:compile(Fac),
    TimedCall = hb_beamr:call(W, "fac", [5.0], fun(S, _) -> {ok, [], S} end, none,
                              #{timeout => 10000}),
    ok = file:delete(Flag),
    {ok, W2, _, _} = hb_beamr:start(Fac),
    Recovered = hb_beamr:call(W2, "fac", [5.0]) =:= {ok, [120.0]}
        andalso hb_beamr:call(W, "fac", [5.0]) =:= {ok, [120.0]},
    #{start => Start, compile => Compile, timed_call => TimedCall,
      recovered => Recovered}.

%% Builds the shim with the system's C compiler into a fresh directory.
shim() ->
    Source = filename:join(filename:dirname(?FILE), "thread_limit_shim.c"),
    case {os:find_executable("cc"), filelib:is_file(Source), os:type()} of
        {false, _, _} -> {skip, "no C compiler"};
        {_, false, _} -> {skip, "no " ++ Source};
        {_, _, {unix, linux}} -> build_shim(Source);
        {_, _, _} -> {skip, "LD_PRELOAD shim is Linux only"}
    end.

build_shim(Source) ->
    Dir = filename:join(["/tmp", "hb_beamr_no_threads_" ++ os:getpid()]),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Shim = filename:join(Dir, "shim.so"),
    Flag = filename:join(Dir, "no_threads"),
    _ = file:delete(Flag),
    Out = os:cmd("cc -shared -fPIC -o " ++ Shim ++ " " ++ Source ++ " -ldl 2>&1"),
    case filelib:is_file(Shim) of
        true -> {ok, Shim, Flag};
        false -> {skip, "the shim did not build: " ++ Out}
    end.
