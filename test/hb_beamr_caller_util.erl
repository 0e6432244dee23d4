%%% A caller that can be held inside its import function, for tests that
%%% need a call waiting for an import (to keep an instance busy, or to
%%% answer late): on the fixture "pow", whose `pow(X, 1)' imports one
%%% `mul(1.0, X)'.
-module(hb_beamr_caller_util).

-export([spawn_caller/3]).

%% @doc Spawns a process that, once sent `go', calls `pow(Base, 1)' on
%% `WASM' with state `State'. Its import function sends the spawner
%% `{in_import, Pid}' and waits for `answer', then answers `1.0 * Base';
%% the call's result goes to the spawner as `{result, Pid, Result}'.
-spec spawn_caller(hb_beamr:wasm(), float(), term()) -> pid().
spawn_caller(WASM, Base, State) ->
    Parent = self(),
    spawn(fun() ->
                  receive go -> ok end,
                  Answer = fun(S, #{args := [A, B]}) ->
                                   Parent ! {in_import, self()},
                                   receive answer -> {ok, [A * B], S} end
                           end,
                  Parent ! {result, self(), hb_beamr:call(WASM, "pow", [Base, 1], Answer, State)}
          end).
