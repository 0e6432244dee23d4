%%% Calls: by name and by table index, value conversion in both directions.
-module(hb_beamr_02_calls_tests).

-include_lib("eunit/include/eunit.hrl").

-import(hb_beamr_test_util, [start/1]).

-define(I32_MIN, -2147483648).
-define(I32_MAX, 2147483647).
-define(U32_MAX, 4294967295).
-define(I64_MIN, -9223372036854775808).
-define(I64_MAX, 9223372036854775807).
-define(U64_MAX, 18446744073709551615).

fac_test() ->
    WASM = start("fac"),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, <<"fac">>, [5.0])),
    ?assertEqual({ok, [3628800.0]}, hb_beamr:call(WASM, "fac", [10.0])),
    %% Integers are accepted for float parameters.
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5])),
    ok = hb_beamr:stop(WASM).

fac_memory64_test_() ->
    hb_beamr_test_util:requires(memory64, fun() ->
        {ok, WASM, [], Exports} = hb_beamr:start(hb_beamr_test_util:fixture("fac64")),
        ?assert(lists:member({memory, "memory", "i64:1.."}, Exports)),
        ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, "fac", [5.0])),
        ?assertEqual({ok, []}, hb_beamr:call(WASM, "store_byte", [100, 255])),
        ?assertEqual({ok, [255]}, hb_beamr:call(WASM, "load_byte", [100])),
        ?assertEqual({ok, [1]}, hb_beamr:call(WASM, "pages", [])),
        ok = hb_beamr:stop(WASM)
    end).

i32_values_test() ->
    WASM = start("values"),
    Id = fun(V) -> hb_beamr:call(WASM, "id_i32", [V]) end,
    ?assertEqual({ok, [0]}, Id(0)),
    ?assertEqual({ok, [?I32_MIN]}, Id(?I32_MIN)),
    ?assertEqual({ok, [?I32_MAX]}, Id(?I32_MAX)),
    %% The unsigned half wraps; results are signed.
    ?assertEqual({ok, [-1]}, Id(?U32_MAX)),
    ?assertEqual({ok, [?I32_MIN]}, Id(?I32_MAX + 1)),
    ?assertEqual({error, {invalid_args, [?U32_MAX + 1]}}, Id(?U32_MAX + 1)),
    ?assertEqual({error, {invalid_args, [?I32_MIN - 1]}}, Id(?I32_MIN - 1)),
    ok = hb_beamr:stop(WASM).

i64_extremes_test() ->
    WASM = start("values"),
    Id = fun(V) -> hb_beamr:call(WASM, "id_i64", [V]) end,
    ?assertEqual({ok, [?I64_MIN]}, Id(?I64_MIN)),
    ?assertEqual({ok, [?I64_MAX]}, Id(?I64_MAX)),
    ?assertEqual({ok, [-1]}, Id(?U64_MAX)),
    ?assertEqual({ok, [?I64_MIN]}, Id(?I64_MAX + 1)),
    ?assertEqual({ok, [4294967296]}, Id(4294967296)),
    ?assertEqual({error, {invalid_args, [?U64_MAX + 1]}}, Id(?U64_MAX + 1)),
    ?assertEqual({error, {invalid_args, [?I64_MIN - 1]}}, Id(?I64_MIN - 1)),
    ok = hb_beamr:stop(WASM).

float_values_test() ->
    WASM = start("values"),
    F64 = fun(V) -> hb_beamr:call(WASM, "id_f64", [V]) end,
    F32 = fun(V) -> hb_beamr:call(WASM, "id_f32", [V]) end,
    ?assertEqual({ok, [1.5]}, F64(1.5)),
    ?assertEqual({ok, [-0.0]}, F64(-0.0)),
    ?assertEqual({ok, [1.7976931348623157e308]}, F64(1.7976931348623157e308)),
    ?assertEqual({ok, [5.0e-324]}, F64(5.0e-324)),
    ?assertEqual({ok, [0.10000000149011612]}, F32(0.1)),
    ?assertEqual({ok, [1.5]}, F32(1.5)),
    %% Rounded to nearest: 1 + 2^-24 is halfway and goes to even (1.0),
    %% 1 + 3 * 2^-24 goes up.
    ?assertEqual({ok, [1.0]}, F32(1.0 + math:pow(2, -24))),
    ?assertEqual({ok, [1.0 + math:pow(2, -22)]}, F32(1.0 + 3 * math:pow(2, -24))),
    %% Too large for f32: rounds to infinity.
    ?assertEqual({ok, [infinity]}, F32(1.0e300)),
    ?assertEqual({ok, [neg_infinity]}, F32(-1.0e300)),
    ok = hb_beamr:stop(WASM).

nan_and_infinity_test() ->
    WASM = start("values"),
    ?assertEqual({ok, [nan]}, hb_beamr:call(WASM, "nan_f64", [])),
    ?assertEqual({ok, [nan]}, hb_beamr:call(WASM, "nan_f32", [])),
    ?assertEqual({ok, [infinity]}, hb_beamr:call(WASM, "inf_f64", [])),
    ?assertEqual({ok, [neg_infinity]}, hb_beamr:call(WASM, "neg_inf_f32", [])),
    lists:foreach(
      fun(V) ->
              ?assertEqual({ok, [V]}, hb_beamr:call(WASM, "id_f64", [V])),
              ?assertEqual({ok, [V]}, hb_beamr:call(WASM, "id_f32", [V]))
      end, [nan, infinity, neg_infinity]),
    ok = hb_beamr:stop(WASM).

multi_value_test() ->
    WASM = start("values"),
    ?assertEqual({ok, [4.0, 3.0, 2, 1]},
                 hb_beamr:call(WASM, "reverse4", [1, 2, 3.0, 4.0])),
    ?assertEqual({ok, [nan, infinity, ?I64_MIN, -1]},
                 hb_beamr:call(WASM, "reverse4", [?U32_MAX, ?I64_MIN, infinity, nan])),
    ?assertEqual({ok, []}, hb_beamr:call(WASM, "nothing", [])),
    ok = hb_beamr:stop(WASM).

state_between_calls_test() ->
    WASM = start("values"),
    ?assertEqual({ok, [7]}, hb_beamr:call(WASM, "get_counter", [])),
    {ok, []} = hb_beamr:call(WASM, "bump_counter", []),
    {ok, []} = hb_beamr:call(WASM, "bump_counter", []),
    ?assertEqual({ok, [9]}, hb_beamr:call(WASM, "get_counter", [])),
    ok = hb_beamr:stop(WASM).

indirect_call_test() ->
    WASM = start("indirect"),
    ?assertEqual({ok, [5]}, hb_beamr:call(WASM, 0, [2, 3])),
    ?assertEqual({ok, [120.0]}, hb_beamr:call(WASM, 1, [5.0])),
    ?assertEqual({ok, [7]}, hb_beamr:call(WASM, "add", [3, 4])),
    ok = hb_beamr:stop(WASM).

indirect_call_c_module_test() ->
    %% A C-compiled module exports its table as __indirect_function_table.
    WASM = start("erl_invoke"),
    ?assertEqual({ok, [49]}, hb_beamr:call(WASM, 0, [7])),
    ?assertEqual({ok, [14]}, hb_beamr:call(WASM, 1, [7])),
    ok = hb_beamr:stop(WASM).

parallel_instances_test() ->
    %% Each instance has its own thread: several compute at once.
    Self = self(),
    Pids = [spawn_link(fun() ->
                               WASM = start("fac"),
                               R = [hb_beamr:call(WASM, "fac", [float(N)])
                                    || N <- lists:seq(1, 20)],
                               ok = hb_beamr:stop(WASM),
                               Self ! {done, self(), R}
                       end) || _ <- lists:seq(1, 4)],
    Expected = [{ok, [float(fac(N))]} || N <- lists:seq(1, 20)],
    lists:foreach(
      fun(Pid) ->
              receive {done, Pid, R} -> ?assertEqual(Expected, R)
              after 30000 -> error(timeout)
              end
      end, Pids).

fac(0) -> 1;
fac(N) -> N * fac(N - 1).

signature_letters_test() ->
    %% Every kind of export and every signature letter but V...
    {ok, W, [], Exports} = hb_beamr:start(hb_beamr_test_util:fixture("signatures")),
    ok = hb_beamr:stop(W),
    ?assertEqual([{func, "all_types", "(iIfFre)i"},
                  {func, "empty", "()"},
                  {func, "multi", "(F)fI"},
                  {memory, "memory", "i32:1..2"},
                  {table, "table", "r:1..10"},
                  {global, "const_i32", "i"},
                  {global, "var_i64", "mut I"}],
                 Exports).

v128_signature_test_() ->
    hb_beamr_test_util:requires(simd, fun() ->
        %% ...and V, which loads and is described, though no v128 value can cross
        %% into Erlang.
        {ok, W, _, Exports} = hb_beamr:start(hb_beamr_test_util:fixture("simd")),
        ?assert(lists:member({func, "id_v128", "(V)V"}, Exports)),
        ?assertMatch({error, _}, hb_beamr:call(W, "make_v128", [])),
        ?assertEqual({ok, [7]}, hb_beamr:call(W, "id_i32", [7])),
        ok = hb_beamr:stop(W)
    end).