// The process-wide engine, and the generation that tells contexts whether the
// engine they were made on still exists.
#include "hb_beamr/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine_adapter.hpp"
#include "module_cache.hpp"
#include "runtime_internal.hpp"
#include "slice_ticker.hpp"
#include "watchdog.hpp"

namespace hb_beamr::runtime {
namespace {
std::mutex mutex;
engine::EnginePtr current; // the default profile's engine
// Engines for other profiles, made on first use and held only by the
// contexts and compiled modules that use them: every distinct max_stack (or
// fuel, or deterministic) setting would otherwise leave an engine behind
// for the life of the process.
std::vector<std::pair<engine::EngineProfile, std::weak_ptr<wasm_engine_t>>>
    profiled;

void drop_unused_profiles() {
  profiled.erase(
      std::remove_if(profiled.begin(), profiled.end(),
                     [](const auto &entry) { return entry.second.expired(); }),
      profiled.end());
}
uint64_t generation = 0; // 0: never initialized
bool destroyed = false;
// Read on every context operation, so kept lock-free.
std::atomic<uint64_t> live_generation{0};
} // namespace

Status init(wasm_config_t *config) {
  std::lock_guard<std::mutex> lock(mutex);
  if (current) {
    if (config != nullptr)
      wasm_config_delete(config);
    return make_error(ErrorKind::invalid_state,
                      "runtime is already initialized");
  }
  Result<engine::EnginePtr> made =
      engine::create_engine(config, engine::EngineProfile{});
  if (!made)
    return made.error();
  current = made.value();
  ++generation;
  live_generation = generation;
  destroyed = false;
  return {};
}

void destroy() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!current)
    return;
  watchdog::shutdown();
  slice_ticker::shutdown();
  current.reset();
  profiled.clear();
  module_cache::clear();
  live_generation = 0;
  destroyed = true;
}

State state() {
  std::lock_guard<std::mutex> lock(mutex);
  if (current)
    return State::runtime_initialized;
  return destroyed ? State::runtime_destroyed : State::uninitialized;
}

const char *engine_name() { return engine::name(); }

ModuleCacheStats module_cache_stats() {
  module_cache::Stats s = module_cache::stats();
  return ModuleCacheStats{s.hits, s.misses, s.entries};
}

size_t engines_alive() {
  std::lock_guard<std::mutex> lock(mutex);
  drop_unused_profiles();
  return (current ? 1 : 0) + profiled.size();
}

ThreadEnv::ThreadEnv() : attached_(engine::attach_thread()) {}

ThreadEnv::~ThreadEnv() {
  if (attached_)
    engine::detach_thread();
}

Snapshot snapshot(const engine::EngineProfile &profile) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!current)
    return Snapshot{nullptr, 0, std::nullopt};
  if (profile == engine::EngineProfile{})
    return Snapshot{current, generation, std::nullopt};
  drop_unused_profiles();
  for (auto &[p, e] : profiled)
    if (p == profile)
      if (engine::EnginePtr live = e.lock())
        return Snapshot{live, generation, std::nullopt};
  Result<engine::EnginePtr> made = engine::create_engine(nullptr, profile);
  if (!made)
    return Snapshot{nullptr, generation, made.error()};
  profiled.emplace_back(profile, made.value());
  return Snapshot{made.value(), generation, std::nullopt};
}

uint64_t current_generation() { return live_generation; }

} // namespace hb_beamr::runtime
