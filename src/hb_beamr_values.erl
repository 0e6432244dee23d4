%%% @doc Values and signatures as hb_beamr sees them.
%%%
%%% A signature is a string such as `"(FF)F"': the parameter letters in
%%% parentheses, then the result letters, with `i' = i32, `I' = i64,
%%% `f' = f32, `F' = f64, `V' = v128, `r' = funcref, `e' = externref.
%%%
%%% A value is an integer, a float, one of the atoms `nan', `infinity' and
%%% `neg_infinity' (for floats) or `null' (for references). These rules match
%%% the driver's, so that bad arguments and bad import results are caught
%%% before they are sent:
%%% <ul>
%%%   <li>i32 takes -2^31..2^32-1 and i64 takes -2^63..2^64-1 (the unsigned
%%%       halves wrap);</li>
%%%   <li>f32 and f64 take floats, integers and the three float atoms;</li>
%%%   <li>funcref and externref take only `null'; v128 takes nothing.</li>
%%% </ul>
%%%
%%% ```
%%% {ok, "FF", "F"} = hb_beamr_values:parse_signature("(FF)F"),
%%% true = hb_beamr_values:check("FF", [2.0, 3]),
%%% [0.0] = hb_beamr_values:zeros("F").
%%% '''
-module(hb_beamr_values).

-export([parse_signature/1, check/2, check_results/2, zeros/1, is_value/1]).
-export_type([value/0, type_letters/0]).

-type value() :: integer() | float() | nan | infinity | neg_infinity | null.
%% A value as passed to and returned from WebAssembly.
-type type_letters() :: string().
%% Type letters, e.g. `"iIfF"'.

-define(I32_MIN, -16#80000000).
-define(U32_MAX, 16#FFFFFFFF).
-define(I64_MIN, -16#8000000000000000).
-define(U64_MAX, 16#FFFFFFFFFFFFFFFF).

%% @doc Splits a function signature into its parameter and result letters.
-spec parse_signature(string()) ->
    {ok, Params :: type_letters(), Results :: type_letters()} | error.
parse_signature([$( | Rest]) ->
    case lists:splitwith(fun(C) -> C =/= $) end, Rest) of
        {Params, [$) | Results]} ->
            case valid_letters(Params) andalso valid_letters(Results) of
                true -> {ok, Params, Results};
                false -> error
            end;
        _ ->
            error
    end;
parse_signature(_) ->
    error.

%% @doc True if `Values' match `Types' in count and each value fits its type.
-spec check(type_letters(), term()) -> boolean().
check(Types, Values) when is_list(Values), length(Types) =:= length(Values) ->
    lists:all(fun({T, V}) -> fits(T, V) end, lists:zip(Types, Values));
check(_Types, _Values) ->
    false.

%% @doc True if `Results' are valid results for the function signature `Sig'.
-spec check_results(string(), term()) -> boolean().
check_results(Sig, Results) ->
    case parse_signature(Sig) of
        {ok, _Params, Types} -> check(Types, Results);
        error -> false
    end.

%% @doc Zeros of the given types: `0' for integers, `0.0' for floats, `null'
%% for references.
-spec zeros(type_letters()) -> [value()].
zeros(Types) ->
    [zero(T) || T <- Types].

%% @doc True if `Term' could be a value of some type.
-spec is_value(term()) -> boolean().
is_value(V) when is_integer(V); is_float(V) -> true;
is_value(nan) -> true;
is_value(infinity) -> true;
is_value(neg_infinity) -> true;
is_value(null) -> true;
is_value(_) -> false.

%%% Internal

valid_letters(Letters) ->
    lists:all(fun(C) -> lists:member(C, "iIfFVre") end, Letters).

fits($i, V) when is_integer(V) -> V >= ?I32_MIN andalso V =< ?U32_MAX;
fits($I, V) when is_integer(V) -> V >= ?I64_MIN andalso V =< ?U64_MAX;
fits(T, V) when T =:= $f; T =:= $F -> is_number(V) orelse is_special_float(V);
fits(T, null) when T =:= $r; T =:= $e -> true;
fits(_, _) -> false.

is_special_float(V) -> V =:= nan orelse V =:= infinity orelse V =:= neg_infinity.

zero(T) when T =:= $i; T =:= $I -> 0;
zero(T) when T =:= $f; T =:= $F -> 0.0;
zero(_) -> null.
