%%% @doc Access to an instance's linear memory (its default memory: the
%%% export named "memory", else the first exported memory).
%%%
%%% An access runs only between calls or while a call waits for an import,
%%% never while WebAssembly is running. Where it runs depends on the
%%% instance: on engines with a fast path (Wasmtime), when the instance is
%%% free or its call waits for an import, the driver serves it in the
%%% caller's own `erlang:port_control/3', on the caller's scheduler; a large
%%% transfer (more than 1 MiB of memory touched, which for
%%% {@link hb_beamr:deserialize/2} is the whole memory), a busy instance (a call computing, or commands queued) or an
%%% engine without a fast path (WAMR) sends it through the instance process
%%% to the instance thread, which serves it once the instance is free or its
%%% call waits. The result is the same either way. Reads and writes are
%%% bounds-checked: out of bounds gives `{error, out_of_bounds}' and touches
%%% nothing; a module without memory gives `{error, no_memory}'.
%%%
%%% {@link malloc/2}, {@link free/2} and {@link write_string/2} call the
%%% module's exported `malloc' and `free'; without them they give
%%% `{error, {missing_export, malloc | free}}'.
%%%
%%% ```
%%% {ok, Ptr} = hb_beamr_io:write_string(WASM, <<"world">>),
%%% {ok, [Greeting]} = hb_beamr:call(WASM, "greet", [Ptr]),
%%% {ok, <<"Hello, world!">>} = hb_beamr_io:read_string(WASM, Greeting),
%%% ok = hb_beamr_io:free(WASM, Greeting),
%%% ok = hb_beamr_io:free(WASM, Ptr).
%%% '''
-module(hb_beamr_io).

-compile({no_auto_import, [size/1]}).

-export([size/1, read/3, write/3, read_string/2, write_string/2, malloc/2, free/2]).

%% Bytes read at a time while looking for a string's NUL.
-define(STRING_CHUNK, 1024).

%% @doc Size of the memory in bytes.
-spec size(hb_beamr:wasm()) -> {ok, non_neg_integer()} | {error, term()}.
size(WASM) ->
    hb_beamr:request(WASM, size, []).

%% @doc Reads `Len' bytes at `Offset'.
-spec read(hb_beamr:wasm(), non_neg_integer(), non_neg_integer()) ->
    {ok, binary()} | {error, term()}.
read(WASM, Offset, Len) when is_integer(Offset), Offset >= 0, is_integer(Len), Len >= 0 ->
    hb_beamr:request(WASM, read, [Offset, Len]);
read(_WASM, _Offset, _Len) ->
    {error, badarg}.

%% @doc Writes `Data' at `Offset'; nothing is written unless all of it fits.
-spec write(hb_beamr:wasm(), non_neg_integer(), binary()) -> ok | {error, term()}.
write(WASM, Offset, Data) when is_integer(Offset), Offset >= 0, is_binary(Data) ->
    hb_beamr:request(WASM, write, [Offset, Data]);
write(_WASM, _Offset, _Data) ->
    {error, badarg}.

%% @doc Reads the NUL-terminated string at `Offset' (without the NUL).
%% `{error, not_terminated}' if memory ends first.
-spec read_string(hb_beamr:wasm(), non_neg_integer()) -> {ok, binary()} | {error, term()}.
read_string(WASM, Offset) when is_integer(Offset), Offset >= 0 ->
    case size(WASM) of
        {ok, Size} when Offset < Size -> read_string(WASM, Offset, Size, []);
        {ok, _} -> {error, out_of_bounds};
        {error, _} = Error -> Error
    end;
read_string(_WASM, _Offset) ->
    {error, badarg}.

read_string(_WASM, Offset, Size, _Acc) when Offset >= Size ->
    {error, not_terminated};
read_string(WASM, Offset, Size, Acc) ->
    Len = min(?STRING_CHUNK, Size - Offset),
    case read(WASM, Offset, Len) of
        {ok, Chunk} ->
            case binary:match(Chunk, <<0>>) of
                {Pos, 1} ->
                    Last = binary:part(Chunk, 0, Pos),
                    {ok, iolist_to_binary(lists:reverse(Acc, [Last]))};
                nomatch ->
                    read_string(WASM, Offset + Len, Size, [Chunk | Acc])
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc Copies `Data' and a terminating NUL into memory taken from the
%% module's `malloc'; the caller frees `Ptr' with {@link free/2}.
-spec write_string(hb_beamr:wasm(), iodata()) -> {ok, non_neg_integer()} | {error, term()}.
write_string(WASM, Data) ->
    case to_binary(Data) of
        {ok, Bin} ->
            case malloc(WASM, byte_size(Bin) + 1) of
                {ok, Ptr} ->
                    case write(WASM, Ptr, <<Bin/binary, 0>>) of
                        ok ->
                            {ok, Ptr};
                        {error, _} = Error ->
                            _ = free(WASM, Ptr),
                            Error
                    end;
                {error, _} = Error ->
                    Error
            end;
        error ->
            {error, badarg}
    end.

%% @doc Allocates `Size' bytes with the module's `malloc'. A null result gives
%% `{error, malloc_failed}'.
-spec malloc(hb_beamr:wasm(), non_neg_integer()) -> {ok, pos_integer()} | {error, term()}.
malloc(WASM, Size) when is_integer(Size), Size >= 0 ->
    case hb_beamr:call(WASM, "malloc", [Size]) of
        {ok, [0]} -> {error, malloc_failed};
        {ok, [Ptr]} when is_integer(Ptr) -> {ok, unsigned(Ptr)};
        {ok, _} -> {error, {bad_signature, malloc}};
        {error, Reason} -> {error, missing_export(malloc, Reason)}
    end;
malloc(_WASM, _Size) ->
    {error, badarg}.

%% @doc Frees memory from {@link malloc/2} with the module's `free'.
-spec free(hb_beamr:wasm(), non_neg_integer()) -> ok | {error, term()}.
free(WASM, Ptr) when is_integer(Ptr), Ptr >= 0 ->
    case hb_beamr:call(WASM, "free", [Ptr]) of
        {ok, _} -> ok;
        {error, Reason} -> {error, missing_export(free, Reason)}
    end;
free(_WASM, _Ptr) ->
    {error, badarg}.

%%% Internal

to_binary(Data) ->
    try iolist_to_binary(Data) of
        Bin -> {ok, Bin}
    catch
        error:_ -> error
    end.

%% Pointers come back as signed integers: i32 ones above 2^31 are negative.
unsigned(Ptr) when Ptr < 0, Ptr >= -16#80000000 -> Ptr + 16#100000000;
unsigned(Ptr) when Ptr < 0 -> Ptr + 16#10000000000000000;
unsigned(Ptr) -> Ptr.

missing_export(Name, {unknown_export, _}) -> {missing_export, Name};
missing_export(Name, {not_a_function, _}) -> {missing_export, Name};
missing_export(_Name, Reason) -> Reason.
