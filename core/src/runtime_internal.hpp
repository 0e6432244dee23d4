// Internal: what contexts need to know about the runtime.
#pragma once

#include <cstdint>
#include <optional>

#include "engine_adapter.hpp"

namespace hb_beamr::runtime {

/// The engine for `profile` on the current runtime (made on first use; the
/// default profile gets the engine init() made) and the runtime's generation.
/// No runtime: null engine, generation 0. An engine that cannot honour the
/// profile: null engine and `error` set.
struct Snapshot {
  engine::EnginePtr engine;
  uint64_t generation;
  std::optional<Error> error;
};
Snapshot snapshot(const engine::EngineProfile &profile);

/// Generation of the live runtime, 0 if none. A context whose generation
/// differs was made on a runtime that has since been destroyed.
uint64_t current_generation();

} // namespace hb_beamr::runtime
