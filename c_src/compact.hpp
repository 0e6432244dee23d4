// The fast path's compact encoding of calls and results.
//
// The numbers below are wire::CompactCode, wire::ReplyMarker and
// wire::ValueCode (wire.hpp). A fast call is small and frequent; in the
// external term format its command and reply cost more to encode and decode (a
// reference, lists, atoms, on both sides) than running fac(5.0). This format is
// fixed-width and needs no allocation to read. All integers are big-endian.
//
//   call        <<0, TimeoutMs:64, Len:32, Name:Len/binary, Values/binary>>
//   indirect    <<1, TimeoutMs:64, Index:64, Values/binary>>
//   results     <<2, Values/binary>>        (a reply: {ok, Results})
//   import      <<3, Index:32, Values/binary>>  (a reply: the call waits for
//               import number Index, module order, called with Values)
//   answer      <<4, Values/binary>>        (the import's results)
//               <<5, Message/binary>>       (the import traps with Message)
//   value       <<Code, Payload:64>>, Code a wire::ValueCode
//
// TimeoutMs 0 means no time limit. Erlang's side is hb_beamr:fast_call/8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <wasm.h>

#include "hb_beamr/types.hpp"
#include "protocol.hpp"
#include "wire.hpp"

namespace hb_beamr::driver {

/// Whether `buf` holds a compact command rather than an external term
/// (which starts with 131).
inline bool is_compact(const char *buf, size_t len) {
  const auto first = len > 0 ? static_cast<unsigned char>(buf[0]) : 131;
  return first == wire::byte(wire::CompactCode::call) ||
         first == wire::byte(wire::CompactCode::indirect);
}

/// Decodes a compact call into `command`'s request (a cmd::Call; the tag is
/// left empty). False if malformed; never reads outside [buf, buf + len).
bool decode_compact_call(const char *buf, size_t len, Command &command);

/// Appends <<ReplyMarker::results, Values>> for `types.size()` values.
void encode_compact_results(std::vector<char> &out, const wasm_val_t *values,
                            const std::vector<ValType> &types);

/// Appends <<ReplyMarker::import, Index:32, Values>> for an import's arguments.
void encode_compact_import(std::vector<char> &out, uint32_t index,
                           const wasm_val_t *args,
                           const std::vector<ValType> &types);

/// Whether `buf` holds a compact import answer.
inline bool is_compact_answer(const char *buf, size_t len) {
  const auto first = len > 0 ? static_cast<unsigned char>(buf[0]) : 131;
  return first == wire::byte(wire::CompactCode::answer) ||
         first == wire::byte(wire::CompactCode::reject);
}

/// Decodes a compact answer into `command`'s request (a cmd::ImportAnswer).
/// False if malformed.
bool decode_compact_answer(const char *buf, size_t len, Command &command);

} // namespace hb_beamr::driver
