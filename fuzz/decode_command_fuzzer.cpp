// libFuzzer target: the driver's external-term command decoder
// (decode_command), fed real commands of every op (the seeds, see
// make_seeds.sh) and their mutations. A decoded call's arguments and an
// import answer go on through the conversions a call makes.
#include <cstddef>
#include <cstdint>

#include "value_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace hb_beamr::driver;
  Command command;
  if (!decode_command(reinterpret_cast<const char *>(data), size, command))
    return 0;
  if (const auto *call = command.as<cmd::Call>())
    fuzz::exercise_values(call->args);
  else if (const auto *answer = command.as<cmd::ImportAnswer>())
    fuzz::exercise_answer(*answer);
  return 0;
}
