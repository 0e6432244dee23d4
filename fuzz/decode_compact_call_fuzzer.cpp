// libFuzzer target: the fast path's compact call decoder
// (decode_compact_call). Decoded arguments go through the conversions and
// the compact round trip of value_checks.hpp.
#include <cstddef>
#include <cstdint>

#include "value_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace hb_beamr::driver;
  const auto *buf = reinterpret_cast<const char *>(data);
  Command command;
  if (!decode_compact_call(buf, size, command))
    return 0;
  // The driver only hands it what is_compact() accepts; a call it decodes
  // must be one of those.
  if (!is_compact(buf, size))
    fuzz::fail();
  const auto *call = command.as<cmd::Call>();
  if (call == nullptr || call->timeout_ms > wire::kMaxTimeoutMs)
    fuzz::fail();
  fuzz::exercise_values(call->args);
  return 0;
}
