// Internal: what contexts need to know about the runtime.
#pragma once

#include <cstdint>

#include "engine_adapter.hpp"

namespace hb_beamr::runtime {

/// The current engine and its generation (0 and null when there is none).
struct Snapshot {
  engine::EnginePtr engine;
  uint64_t generation;
};
Snapshot snapshot();

/// Generation of the live runtime, 0 if none. A context whose generation
/// differs was made on a runtime that has since been destroyed.
uint64_t current_generation();

} // namespace hb_beamr::runtime
