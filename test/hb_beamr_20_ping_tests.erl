%%% The driver's no-op round trips, which the benchmarks use as floors:
%%% {ping, Tag} answered by the driver itself, and port_control command 0
%%% (an empty reply).
-module(hb_beamr_20_ping_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

ping_through_instance_test() ->
    WASM = start("fac"),
    ?assertEqual(pong, hb_beamr:request(WASM, ping, [])),
    %% Also while an instance is idle between calls, and with no module.
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual(pong, hb_beamr:request(WASM, ping, [])),
    ?assertEqual(ok, hb_beamr:stop(WASM)).

ping_bare_port_test() ->
    ok = hb_beamr:load_driver(),
    Port = open_port({spawn_driver, "hb_beamr"}, [binary]),
    try
        Ref = make_ref(),
        true = port_command(Port, term_to_binary({ping, Ref})),
        ?assertEqual(pong, receive {Port, Ref, Reply} -> Reply after 5000 -> timeout end),
        %% A ping with extra elements is malformed.
        Bad = make_ref(),
        true = port_command(Port, term_to_binary({ping, Bad, extra})),
        ?assertEqual({error, badarg},
                     receive {Port, _, R} -> R after 5000 -> timeout end)
    after
        port_close(Port)
    end.

port_control_test() ->
    ok = hb_beamr:load_driver(),
    Port = open_port({spawn_driver, "hb_beamr"}, [binary]),
    try
        ?assertEqual(<<>>, erlang:port_control(Port, 0, <<>>)),
        %% 1-5 are the fast path's. A port without an instance sends every
        %% call to its thread; garbage and out-of-turn answers are refused.
        %% An engine without a fast path sends everything to the thread.
        Call = term_to_binary({call, make_ref(), <<"f">>, []}),
        ?assertEqual(fallback, control_reply(Port, 1, Call)),
        ?assertEqual(fallback, control_reply(Port, 4, term_to_binary({size, x}))),
        Refused = fun(Reason) ->
                          case hb_beamr_test_util:engine() of
                              wamr -> fallback;
                              _ -> {error, Reason}
                          end
                  end,
        ?assertEqual(Refused(badarg), control_reply(Port, 1, <<"garbage">>)),
        ?assertEqual(Refused(no_pending_import),
                     control_reply(Port, 2, term_to_binary({import_response, x, []}))),
        ?assertEqual(Refused(not_suspended), control_reply(Port, 3, <<>>)),
        ?assertEqual(Refused(not_moving),
                     control_reply(Port, 5, term_to_binary(make_ref()))),
        ?assertError(badarg, erlang:port_control(Port, 6, <<>>)),
        ?assertError(badarg, erlang:port_control(Port, 99, <<>>))
    after
        port_close(Port)
    end.

control_reply(Port, Op, Data) ->
    case erlang:port_control(Port, Op, Data) of
        <<1, Term/binary>> -> binary_to_term(Term);
        <<0, Raw/binary>> -> {ok, Raw}
    end.
