// The process-wide engine that every context compiles and runs on.
#pragma once

#include <cstddef>
#include <cstdint>

#include <wasm.h>

#include "hb_beamr/result.hpp"
#include "hb_beamr/state.hpp"

namespace hb_beamr::runtime {

/// Creates the process-wide engine. `config` may be null (defaults) and is
/// consumed either way, as wasm_engine_new_with_config does. The engine's
/// required features (memory64, bulk memory, reference types, multi-value,
/// SIMD, exceptions where supported) are switched on in the given config.
/// Fails with invalid_state if the runtime is already initialized.
/// Thread-safe.
Status init(wasm_config_t *config);

/// Releases the process-wide engine. Contexts still alive keep the engine's
/// memory alive but move to RUNTIME_DESTROYED: only destruction is allowed on
/// them. A later init() starts a new runtime. Thread-safe.
void destroy();

/// UNINITIALIZED, RUNTIME_INITIALIZED or RUNTIME_DESTROYED.
State state();

/// Name of the engine compiled in ("wasmtime" or "wamr").
const char *engine_name();

/// Counters of the compiled-module cache: loading bytes that a live context
/// already compiled shares its module instead of compiling again.
struct ModuleCacheStats {
  uint64_t hits;   ///< loads answered from the cache
  uint64_t misses; ///< loads that compiled
  size_t entries;  ///< modules currently cached (held by a live context)
};
ModuleCacheStats module_cache_stats();

/// Engines alive in this runtime: the default one (0 before init() and after
/// destroy()) plus one per other engine profile (fuel metering, determinism,
/// a stack limit) that a live context or compiled module still uses. An
/// engine for a profile is freed with the last context that used it.
/// Thread-safe.
size_t engines_alive();

/// Prepares the calling thread for running WebAssembly and undoes it when
/// destroyed. Create one at the top of every thread, other than the one that
/// called init(), on which contexts are loaded, called or destroyed (some
/// engines, e.g. WAMR, keep per-thread state). Costs nothing on engines that
/// need no such state. Not copyable; must be destroyed on the same thread.
class ThreadEnv {
public:
  ThreadEnv();
  ~ThreadEnv();
  ThreadEnv(const ThreadEnv &) = delete;
  ThreadEnv &operator=(const ThreadEnv &) = delete;

private:
  bool attached_;
};

} // namespace hb_beamr::runtime
