// The Wasmtime adapter's engines: the features hb_beamr promises, the
// profile's settings, and waking running calls.
#include "slice_ticker.hpp"
#include "wasmtime/adapter.hpp"

namespace hb_beamr::engine {

const char *name() { return "wasmtime"; }

// Wasmtime keeps no per-thread state that embedders must set up.
bool attach_thread() { return false; }
void detach_thread() {}
Result<EnginePtr> create_engine(wasm_config_t *config,
                                const EngineProfile &profile) {
  if (config == nullptr)
    config = wasm_config_new();
  if (config == nullptr)
    return make_error(ErrorKind::allocation, "cannot allocate engine config");
  wasmtime_config_wasm_memory64_set(config, true);
  wasmtime_config_wasm_bulk_memory_set(config, true);
  wasmtime_config_wasm_reference_types_set(config, true);
  wasmtime_config_wasm_multi_value_set(config, true);
  wasmtime_config_wasm_simd_set(config, true);
  wasmtime_config_gc_support_set(config, true);
  wasmtime_config_wasm_exceptions_set(config, true);
  // Interruption and time limits advance the engine's epoch; a store whose
  // deadline passes asks its callback whether to stop (see Instance::Impl).
  wasmtime_config_epoch_interruption_set(config, true);
  if (profile.consume_fuel)
    wasmtime_config_consume_fuel_set(config, true);
  if (profile.deterministic) {
    wasmtime_config_cranelift_nan_canonicalization_set(config, true);
    // Threads, the other nondeterministic feature, are not built in at all.
    wasmtime_config_wasm_relaxed_simd_deterministic_set(config, true);
  }
  if (profile.max_wasm_stack > 0) {
    wasmtime_config_max_wasm_stack_set(config, profile.max_wasm_stack);
    // Wasmtime refuses (by panicking) a wasm stack larger than the async
    // stack, whose default is 2 MiB; keep room above it for host frames.
    wasmtime_config_async_stack_size_set(config,
                                         profile.max_wasm_stack + (1 << 20));
  }
  // A memory that outgrows its reservation is moved to a larger mapping by
  // copying all of it (gigabytes for a memory64 growing in 4 GiB steps, every
  // page made resident). Memories never move here: each reserves what its
  // limit allows (the core sizes the reservation from max_memory_bytes), and
  // a grow past the reservation fails with -1 like one past the limit.
  wasmtime_config_memory_may_move_set(config, false);
  if (profile.memory_reservation > 0)
    wasmtime_config_memory_reservation_set(config, profile.memory_reservation);
  use_stack_pool(config);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  if (engine == nullptr)
    return make_error(ErrorKind::engine_init, "cannot create Wasmtime engine");
  slice_ticker::remember(engine);
  return EnginePtr(engine, [](wasm_engine_t *e) {
    slice_ticker::forget(e);
    wasm_engine_delete(e);
  });
}

void interrupt_all(const EnginePtr &engine) {
  wasmtime_engine_increment_epoch(engine.get());
}

void tick(wasm_engine_t *engine) { wasmtime_engine_increment_epoch(engine); }

bool can_suspend() { return true; }

} // namespace hb_beamr::engine
