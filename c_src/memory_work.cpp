// The cost of memory commands; see memory_work.hpp.
#include "memory_work.hpp"

#include <algorithm>
#include <variant>

namespace hb_beamr::driver {

uint64_t memory_work(const Request &request, uint64_t memory_size) {
  if (const auto *read = std::get_if<cmd::Read>(&request))
    return read->length;
  if (const auto *write = std::get_if<cmd::Write>(&request))
    return write->data.size();
  if (std::holds_alternative<cmd::Serialize>(request))
    return memory_size;
  // The image is written, then everything past it up to the memory's end
  // (after any growth the image needs) is checked and zeroed: the payload
  // alone says nothing about the cost.
  if (const auto *image = std::get_if<cmd::Deserialize>(&request))
    return std::max<uint64_t>(image->data.size(), memory_size);
  return 0;
}

bool runs_inline(const Request &request, uint64_t memory_size) {
  return memory_work(request, memory_size) <= kInlineMemoryBytes;
}

} // namespace hb_beamr::driver
