// The WAMR adapter's engine: the process-wide runtime, per-thread
// environments, and interrupting start functions.
#include <mutex>

#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

const char *name() { return "wamr"; }

// WAMR wants wasm_runtime_init_thread_env() on every thread it did not start
// itself before that thread runs wasm. (wasm_store_new also sets it up for the
// first store of a thread, and wasm_store_delete tears it down with that
// thread's last store; in this build, without hardware bounds checks, both
// only matter on Windows.)
bool attach_thread() { return wasm_runtime_init_thread_env(); }
void detach_thread() { wasm_runtime_destroy_thread_env(); }

Result<EnginePtr> create_engine(wasm_config_t *config,
                                const EngineProfile &profile) {
  // The interpreter computes floats with the host's own NaNs, and nothing in
  // WAMR canonicalizes them.
  if (profile.deterministic) {
    if (config != nullptr)
      wasm_config_delete(config);
    return make_error(ErrorKind::unsupported,
                      "deterministic mode is not supported on WAMR: its "
                      "interpreter cannot canonicalize NaNs");
  }
  // The rest of the profile needs nothing here. Instruction metering is
  // built into WAMR and costs nothing unless a budget is set: each instance
  // gets its fuel (InstanceSettings::fuel, Instance::set_fuel). WAMR sizes
  // each instance's stack when it is made (InstanceSettings::max_wasm_stack).
  if (config == nullptr)
    config = wasm_config_new();
  if (config == nullptr)
    return make_error(ErrorKind::allocation, "cannot allocate engine config");
  // WAMR keeps no ownership of the config (the standard says it takes it).
  // Its features are fixed when WAMR is built; none are switched at run time.
  // The engine is a process singleton, so every profile gets another
  // reference to it.
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  wasm_config_delete(config);
  if (engine == nullptr)
    return make_error(ErrorKind::engine_init, "cannot create WAMR engine");
  // WAMR's output is dropped where it is built (engine/wamr/silent_print.c);
  // this spares it formatting log lines no one reads. Load and link failures
  // reach callers as errors.
  wasm_runtime_set_log_level(WASM_LOG_LEVEL_FATAL);
  // The thread manager (built in for interruption) splits a module's aux
  // stack between the instance and the threads it may spawn; hb_beamr spawns
  // none, and 1 is the fewest WAMR allows.
  wasm_runtime_set_max_thread_num(1);
  return EnginePtr(engine, wasm_engine_delete);
}

namespace {

// Instances whose start function is running, for interrupt_all(): the core
// has no Instance to interrupt until create() returns.
struct Starting {
  wasm_module_inst_t inst;
  const std::atomic<bool> *stop_requested;
};
std::mutex starting_mutex;
std::vector<Starting> starting;

} // namespace

void interrupt_all(const EnginePtr &) {
  std::lock_guard<std::mutex> lock(starting_mutex);
  for (const Starting &s : starting)
    if (s.stop_requested != nullptr && s.stop_requested->load())
      wasm_runtime_terminate(s.inst);
}

StartingScope::StartingScope(wasm_module_inst_t inst,
                             const std::atomic<bool> *stop)
    : inst_(inst) {
  std::lock_guard<std::mutex> lock(starting_mutex);
  starting.push_back(Starting{inst, stop});
}

StartingScope::~StartingScope() {
  std::lock_guard<std::mutex> lock(starting_mutex);
  for (auto it = starting.begin(); it != starting.end(); ++it)
    if (it->inst == inst_) {
      starting.erase(it);
      break;
    }
}

// See Instance::suspension().
bool can_suspend() { return false; }
void tick(wasm_engine_t *) {}

} // namespace hb_beamr::engine
