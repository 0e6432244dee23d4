%%% @doc The driver's wire protocol, Erlang side: the term commands of the
%%% instance thread's path (c_src/protocol.hpp), the compact encoding of the
%%% fast path (c_src/compact.hpp) and the replies of `port_control'
%%% (c_src/fast_path.hpp).
%%%
%%% Op codes, reply markers, value codes and limits come from
%%% `include/hb_beamr_wire.hrl', which the driver's suite checks against
%%% its C++ constants; nothing here writes them as literals. The module only
%%% builds and reads terms and binaries: it sends nothing.
%%%
%%% ```
%%% {ok, Bin} = hb_beamr_wire:compact_call("fac", [5.0], infinity),
%%% <<0, 0:64, 3:32, "fac", 2, 5.0:64/float>> = Bin,
%%% {ok, [120.0]} = hb_beamr_wire:decode_control(<<2, 2, 120.0:64/float>>).
%%% '''
-module(hb_beamr_wire).

-include("../include/hb_beamr_wire.hrl").

-export([driver_name/0]).
-export([call_command/3, name_to_binary/1]).
-export([compact_call/3, compact_answer/1, decode_control/1]).
-export_type([control_reply/0]).

-compile({inline, [compact_values/1]}).

%% The name of the driver (priv/hb_beamr.so); the .hrl has no entry for it.
-define(DRIVER_NAME, "hb_beamr").

-type control_reply() ::
        {ok, [hb_beamr:value()]} | {ok, binary()}
      | {import_at, non_neg_integer(), [hb_beamr:value() | ref | v128]}
      | {error, enomem}
      | term().
%% A decoded `port_control' reply: the compact results and imports, raw
%% data, or any term the driver sent in the external format (`fallback',
%% `yield', `{moved, Tag}', `{import, ...}', `{error, Reason}', ...).

%% @doc The driver's name, for `erl_ddll' and `open_port'.
-spec driver_name() -> string().
driver_name() ->
    ?DRIVER_NAME.

%% @doc The term command of a call, `{call, Tag, Name, Args[, Timeout]}' or
%% `{indirect_call, Tag, Index, Args[, Timeout]}', with `Tag' still
%% `undefined': the sender puts in a reference made just before it sends
%% (see {@link hb_beamr_call:tag()}). `error' for a function reference that
%% is neither a name nor an index.
-spec call_command(term(), [hb_beamr:value()], pos_integer() | infinity) ->
    {ok, tuple()} | error.
call_command(Index, Args, Timeout) when is_integer(Index), Index >= 0 ->
    {ok, with_timeout({indirect_call, undefined, Index, Args}, Timeout)};
call_command(Name, Args, Timeout) when is_binary(Name); is_list(Name) ->
    case name_to_binary(Name) of
        {ok, Bin} ->
            {ok, with_timeout({call, undefined, Bin, Args}, Timeout)};
        error ->
            error
    end;
call_command(_, _, _) ->
    error.

with_timeout(Command, infinity) -> Command;
with_timeout(Command, Ms) -> erlang:append_element(Command, Ms).

%% @doc An export name as the driver takes it. Names in export lists are
%% strings of UTF-8 bytes; other lists are taken as Unicode text.
-spec name_to_binary(binary() | list()) -> {ok, binary()} | error.
name_to_binary(Name) ->
    try iolist_to_binary(Name) of
        Bin -> {ok, Bin}
    catch
        error:_ ->
            try unicode:characters_to_binary(Name) of
                Text when is_binary(Text) -> {ok, Text};
                _ -> error
            catch
                error:_ -> error
            end
    end.

%% @doc A call in the compact encoding:
%% `<<CALL, TimeoutMs:64, Len:32, Name, Values>>' or
%% `<<INDIRECT, TimeoutMs:64, Index:64, Values>>'. `relay' for what only
%% the term protocol carries (huge indices, names that are not text).
-spec compact_call(term(), [hb_beamr:value()], pos_integer() | infinity) ->
    {ok, binary()} | relay.
compact_call(Index, Args, Timeout) when is_integer(Index), Index >= 0,
                                        Index < 1 bsl 64 ->
    {ok, <<?HB_COMPACT_INDIRECT, (compact_timeout(Timeout)):64, Index:64,
           (compact_values(Args))/binary>>};
compact_call(Name, Args, Timeout) when is_binary(Name); is_list(Name) ->
    case name_to_binary(Name) of
        {ok, Bin} ->
            {ok, <<?HB_COMPACT_CALL, (compact_timeout(Timeout)):64,
                   (byte_size(Bin)):32, Bin/binary, (compact_values(Args))/binary>>};
        error ->
            relay
    end;
compact_call(_FuncRef, _Args, _Timeout) ->
    relay.

compact_timeout(infinity) -> 0;
compact_timeout(Ms) -> Ms.

%% @doc An import's results in the compact encoding, `<<ANSWER, Values>>'.
-spec compact_answer([hb_beamr:value()]) -> binary().
compact_answer(Results) ->
    <<?HB_COMPACT_ANSWER, (compact_values(Results))/binary>>.

compact_values(Values) ->
    << <<(compact_value(V))/binary>> || V <- Values >>.

compact_value(I) when is_integer(I), I >= -(1 bsl 63), I < 1 bsl 63 ->
    <<?HB_VALUE_INT, I:64/signed>>;
compact_value(I) when is_integer(I), I >= 0, I < 1 bsl 64 -> <<?HB_VALUE_UINT, I:64>>;
compact_value(F) when is_float(F) -> <<?HB_VALUE_FLOAT, F:64/float>>;
compact_value(nan) -> <<?HB_VALUE_NAN, 0:64>>;
compact_value(infinity) -> <<?HB_VALUE_INFINITY, 0:64>>;
compact_value(neg_infinity) -> <<?HB_VALUE_NEG_INFINITY, 0:64>>;
compact_value(null) -> <<?HB_VALUE_NULL, 0:64>>;
compact_value(_) -> <<?HB_VALUE_INVALID, 0:64>>.

%% @doc Decodes a `port_control' reply by its first byte: a term, compact
%% results, a compact import request (`{import_at, Index, Args}', the
%% import's number in module order), or raw data. `{error, enomem}' for an
%% empty reply (the driver could not allocate one).
-spec decode_control(binary()) -> control_reply().
decode_control(<<?HB_REPLY_TERM, Reply/binary>>) -> binary_to_term(Reply);
decode_control(<<?HB_REPLY_RESULTS, Values/binary>>) -> {ok, from_compact(Values)};
decode_control(<<?HB_REPLY_IMPORT, Index:32, Args/binary>>) ->
    {import_at, Index, from_compact(Args)};
decode_control(<<?HB_REPLY_DATA, Data/binary>>) -> {ok, Data};
decode_control(_) -> {error, enomem}.

from_compact(<<>>) -> [];
from_compact(<<?HB_VALUE_INT, I:64/signed, Rest/binary>>) -> [I | from_compact(Rest)];
from_compact(<<?HB_VALUE_FLOAT, F:64/float, Rest/binary>>) -> [F | from_compact(Rest)];
from_compact(<<?HB_VALUE_NAN, _:64, Rest/binary>>) -> [nan | from_compact(Rest)];
from_compact(<<?HB_VALUE_INFINITY, _:64, Rest/binary>>) -> [infinity | from_compact(Rest)];
from_compact(<<?HB_VALUE_NEG_INFINITY, _:64, Rest/binary>>) ->
    [neg_infinity | from_compact(Rest)];
from_compact(<<?HB_VALUE_NULL, _:64, Rest/binary>>) -> [null | from_compact(Rest)];
from_compact(<<?HB_VALUE_REF, _:64, Rest/binary>>) -> [ref | from_compact(Rest)];
from_compact(<<_, _:64, Rest/binary>>) -> [v128 | from_compact(Rest)].
