// Internal: compiled modules shared between contexts, keyed by their bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine_adapter.hpp"

namespace hb_beamr::module_cache {

/// The module compiled from `bytes` on `engine`: an already compiled one if a
/// live context still holds it, else a fresh compilation (then remembered).
/// A hit requires the very same bytes, not just the same hash, so one user's
/// module can never be handed to another by a hash collision.
Result<engine::ModulePtr> compile(const engine::EnginePtr &engine,
                                  const uint8_t *bytes, size_t size);

/// Forgets every entry (the runtime calls this when it is destroyed).
void clear();

/// Counters for tests and benchmarks.
struct Stats {
  uint64_t hits;
  uint64_t misses;
  size_t entries;
};
Stats stats();

} // namespace hb_beamr::module_cache
