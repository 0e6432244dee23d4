// The wire protocol's numbers, defined once: port_control operations, reply
// markers, the compact encoding's codes and value codes, and the limits the
// Erlang side checks before it sends anything. include/hb_beamr_wire.hrl is
// printed from this file by c_src/test/print_wire_hrl.cpp, and a ctest
// (wire_hrl_matches) fails when the checked-in copy differs. After changing a
// value here, regenerate it from the repository root with
//   build/c_src/test/print_wire_hrl > include/hb_beamr_wire.hrl
// Header-only and free of ERTS headers, so the printer needs no VM.
#pragma once

#include <cstdint>

namespace hb_beamr::driver::wire {

/// erlang:port_control/3 operations (see fast_path.hpp). 0 is the driver's
/// no-op, answered with an empty binary.
enum class ControlOp : unsigned int {
  ping = 0,
  call = 1,    ///< start a call (term or compact encoding)
  answer = 2,  ///< answer the awaited import
  resume = 3,  ///< continue a call after `yield`
  request = 4, ///< a memory command
  move = 5,    ///< hand the call over after `move`, tagged with a ref
};

/// First byte of a port_control reply.
enum class ReplyMarker : unsigned char {
  data = 0,    ///< <<0, Data>>: {ok, Data}
  term = 1,    ///< <<1, Term>>: binary_to_term(Term)
  results = 2, ///< <<2, Values>>: {ok, Results}
  import = 3,  ///< <<3, Index:32, Values>>: the call waits for import Index
};

/// First byte of a compact command or import answer (compact.hpp).
enum class CompactCode : unsigned char {
  call = 0,
  indirect = 1,
  answer = 4,
  reject = 5,
};

/// Value codes of the compact encoding: <<Code, Payload:64>>.
enum class ValueCode : unsigned char {
  integer = 0,  ///< Payload as a signed 64-bit integer
  uinteger = 1, ///< 2^63..2^64-1, Payload unsigned
  real = 2,     ///< Payload is an IEEE double
  nan = 3,
  infinity = 4,
  neg_infinity = 5,
  null = 6,
  invalid = 7, ///< anything else: makes a value list invalid
  ref = 8,     ///< a non-null reference (results only)
};

/// The byte that stands for `code` on the wire.
template <typename Code> constexpr unsigned char byte(Code code) {
  return static_cast<unsigned char>(code);
}

/// Largest max_stack option, in bytes: ERTS caps a driver thread's stack at
/// 64 MiB on 64-bit, and the host keeps 2 MiB of it for itself.
constexpr uint64_t kMaxStackBytes = (uint64_t{64} - 2) << 20;

/// Call time limits at or above this many milliseconds (about 35 years)
/// mean "no limit": the core's clock could not represent their deadline.
/// The decoders store them as 0.
constexpr uint64_t kMaxTimeoutMs = uint64_t{1} << 40;

} // namespace hb_beamr::driver::wire
