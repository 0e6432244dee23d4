#!/usr/bin/env escript
%% Writes the driver decoders' seed corpora: real commands, encoded the way
%% the Erlang side sends them. External-term commands are term_to_binary of
%% every op (as hb_beamr_call and hb_beamr_instance send them); compact
%% calls and answers come from hb_beamr_wire itself, so the seeds follow the
%% encoder. Usage: make_seeds.escript EBIN_DIR CORPUS_DIR (see make_seeds.sh).
-mode(compile).

main([Ebin, Corpus]) ->
    true = code:add_patha(Ebin),
    Ref = make_ref(),
    Values = [0, -1, 42, 1 bsl 31, -(1 bsl 63), (1 bsl 64) - 1, 1.5, -0.0,
              nan, infinity, neg_infinity, null],
    Args = [[], [5], [5.0], [1, 2, 3.0, 4.0], Values],
    Wasm = <<0, "asm", 1, 0, 0, 0>>,
    Options = #{max_memory => 65536, max_table_elements => 10, fuel => 1000,
                max_stack => 1 bsl 20, deterministic => true},
    Commands =
        [{init, Ref, Wasm, wasm}, {init, Ref, Wasm, aot},
         {init, Ref, Wasm, wasm, Options}, {init, Ref, Wasm, wasm, #{}},
         {compile, Ref, Wasm}]
        ++ [{call, Ref, <<"fac">>, A} || A <- Args]
        ++ [{call, Ref, <<"fac">>, [5], 250}, {call, Ref, <<"fac">>, [5], infinity},
            {indirect_call, Ref, 0, [1]}, {indirect_call, Ref, 3, [], 100},
            {import_response, Ref, []}, {import_response, Ref, Values},
            {import_response, answer, [7]},
            {import_error, Ref, <<"boom">>}, {import_error, abort, <<>>},
            {size, Ref}, {read, Ref, 0, 16}, {write, Ref, 8, <<"data">>},
            {serialize, Ref}, {deserialize, Ref, <<1, 2, 3>>},
            {info, Ref}, {ping, Ref}, {ping, 17}],
    write(Corpus, "decode_command", [term_to_binary(C) || C <- Commands]),
    Calls = [begin {ok, B} = hb_beamr_wire:compact_call(N, A, T), B end
             || {N, A, T} <- [{<<"fac">>, [5], infinity}, {<<"f">>, [], 250},
                              {<<"all">>, Values, 1 bsl 40},
                              {<<>>, [1.0], (1 bsl 40) + 1},
                              {0, [], infinity}, {7, Values, 10}]],
    write(Corpus, "decode_compact_call", Calls),
    Answers = [hb_beamr_wire:compact_answer(R) || R <- [[], [42], Values]]
        ++ [<<5, "trap message">>, <<5>>],
    write(Corpus, "decode_compact_answer", Answers).

write(Corpus, Target, Binaries) ->
    Dir = filename:join(Corpus, Target),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    lists:foldl(fun(B, N) ->
                        File = filename:join(Dir, io_lib:format("seed_~2..0b", [N])),
                        ok = file:write_file(File, B),
                        N + 1
                end, 0, Binaries).
