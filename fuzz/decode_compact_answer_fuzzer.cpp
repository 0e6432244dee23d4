// libFuzzer target: the compact import answer decoder
// (decode_compact_answer), then import_answer() against signatures of every
// value type (value_checks.hpp).
#include <cstddef>
#include <cstdint>

#include "value_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace hb_beamr::driver;
  const auto *buf = reinterpret_cast<const char *>(data);
  Command command;
  if (!decode_compact_answer(buf, size, command))
    return 0;
  const auto *answer = command.as<cmd::ImportAnswer>();
  if (answer == nullptr || !is_compact_answer(buf, size))
    fuzz::fail();
  fuzz::exercise_answer(*answer);
  return 0;
}
