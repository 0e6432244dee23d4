// The process-wide engine, and the generation that tells contexts whether the
// engine they were made on still exists.
#include "hb_beamr/runtime.hpp"

#include <atomic>
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
// Engines for other profiles, made on first use.
std::vector<std::pair<engine::EngineProfile, engine::EnginePtr>> profiled;
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
  for (auto &[p, e] : profiled)
    if (p == profile)
      return Snapshot{e, generation, std::nullopt};
  Result<engine::EnginePtr> made = engine::create_engine(nullptr, profile);
  if (!made)
    return Snapshot{nullptr, generation, made.error()};
  profiled.emplace_back(profile, made.value());
  return Snapshot{made.value(), generation, std::nullopt};
}

uint64_t current_generation() { return live_generation; }

} // namespace hb_beamr::runtime
