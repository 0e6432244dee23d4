// Internal: the seam between the engine-independent core and one engine.
//
// Exactly one engine_<name>.cpp defines everything declared here; CMake picks
// it with HB_BEAMR_ENGINE. The core speaks wasm.h's vocabulary (wasm_config_t,
// wasm_engine_t, wasm_val_t, type objects); how a store, an instance and a
// call are made is the adapter's business, because wasm.h alone cannot
// interrupt, meter or resume a running call on every engine.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wasm.h>

#include "hb_beamr/result.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr::engine {

using EnginePtr = std::shared_ptr<wasm_engine_t>;

/// Name of this engine ("wasmtime", "wamr").
const char *name();

/// Per-thread engine state: attach_thread() returns whether it attached
/// (and so whether detach_thread() must be called on this thread later).
bool attach_thread();
void detach_thread();

/// Settings that an engine fixes for every module it compiles, so contexts
/// that differ in them need engines of their own.
struct EngineProfile {
  bool consume_fuel = false;   ///< meter calls with fuel
  bool deterministic = false;  ///< canonical NaNs, no nondeterminism
  uint64_t max_wasm_stack = 0; ///< native stack for wasm; 0: default

  bool operator==(const EngineProfile &o) const {
    return consume_fuel == o.consume_fuel && deterministic == o.deterministic &&
           max_wasm_stack == o.max_wasm_stack;
  }
};

/// Creates an engine from `config` (consumed; null = defaults) with the
/// features hb_beamr promises switched on and `profile` applied. An engine
/// that cannot honour the profile fails with `unsupported`.
Result<EnginePtr> create_engine(wasm_config_t *config,
                                const EngineProfile &profile);

/// A compiled module; immutable and shareable between instances.
class Module;
using ModulePtr = std::shared_ptr<const Module>;

Result<ModulePtr> compile(const EnginePtr &engine, const uint8_t *bytes,
                          size_t size);
Result<ModulePtr> deserialize(const EnginePtr &engine, const uint8_t *bytes,
                              size_t size);
Result<std::vector<uint8_t>> serialize(const Module &module);
const std::vector<ExternDesc> &imports(const Module &module);
const std::vector<ExternDesc> &exports(const Module &module);

/// Answers a call of function import number `index` (module order). `results`
/// arrive pre-filled with zeros of the right types. An error becomes a trap.
using ImportHandler = std::function<Status(size_t index, const wasm_val_t *args,
                                           wasm_val_t *results)>;

/// Raw view of a linear memory; valid until the next call or grow.
struct MemoryView {
  uint8_t *data;
  uint64_t size;
  bool is64;
};

/// Wakes every running instance of `engine` so that each checks its stop
/// flag (used while a start function runs, before its Instance exists).
/// Engines that can only interrupt a known instance do nothing here.
void interrupt_all(const EnginePtr &engine);

/// Makes every instance of `engine` that is running look at the clock (for
/// time slices). Thread-safe.
void tick(wasm_engine_t *engine);

/// Per-instance settings. Zero means no limit of our own.
struct InstanceSettings {
  uint64_t max_memory_bytes = 0;
  uint64_t max_table_elements = 0;
  uint64_t max_wasm_stack =
      0;             ///< the engine profile's, for per-instance stacks
  uint64_t fuel = 0; ///< for the start function, if metering
  /// Set (from any thread) when the running call must stop; the adapter
  /// checks it whenever interrupt() wakes the instance. Outlives the instance.
  const std::atomic<bool> *stop_requested = nullptr;
  /// Function imports suspend the call (see Instance::begin) instead of
  /// calling the ImportHandler, which then only answers a start function's
  /// imports. Needs can_suspend().
  bool suspending_imports = false;
};

/// Whether this engine can suspend a call and resume it later (at an import
/// or when its time slice runs out). Engines that cannot run every call to
/// its end on the calling thread.
bool can_suspend();

/// Where a suspendable call stands after Instance::poll().
enum class Progress {
  finished,        ///< the innermost call returned or trapped: finish() it
  awaiting_import, ///< it called an import: answer() or reject() it
  yielded,         ///< its slice ran out: poll() again to continue
};

/// A function import a suspended call is waiting for.
struct PendingImport {
  size_t index = 0;             ///< import number, module order
  std::vector<wasm_val_t> args; ///< its arguments
};

using SteadyClock = std::chrono::steady_clock;

/// A store with one instance of a module in it.
class Instance {
public:
  /// Instantiates `module`; function imports go to `handler`, other imports
  /// get fresh objects of their type.
  static Result<std::unique_ptr<Instance>>
  create(const EnginePtr &engine, const ModulePtr &module,
         ImportHandler handler, const InstanceSettings &settings);

  /// Makes a running call look at *settings.stop_requested promptly and fail
  /// if it is set. Thread-safe; cheap; harmless when nothing runs.
  void interrupt();
  /// Gives the next call `fuel` to spend (engines with metering only).
  Status set_fuel(uint64_t fuel);
  ~Instance();

  Result<FuncSig> export_signature(std::string_view name);
  /// `args`/`results` were checked against export_signature() by the caller.
  Status call(std::string_view name, const wasm_val_t *args,
              wasm_val_t *results);
  Result<FuncSig> table_signature(uint64_t index);
  Status call_indirect(uint64_t index, const wasm_val_t *args,
                       wasm_val_t *results);
  /// Suspendable calls (instances made with suspending_imports). begin()
  /// starts a call of export `name` (or table entry `index` if name is
  /// empty), at top level or, while the innermost call awaits an import,
  /// nested inside that import. Nothing runs until poll(), which runs the
  /// innermost call until it finishes, reaches an import or passes
  /// `slice_end`. finish() ends a finished innermost call: it writes its
  /// results and returns its outcome. answer()/reject() settle the import
  /// the innermost call waits for; the next poll() resumes it. abandon()
  /// unwinds and drops every call in progress.
  Status begin(std::string_view name, uint64_t index, const wasm_val_t *args);
  Result<Progress> poll(SteadyClock::time_point slice_end);
  Status finish(std::vector<wasm_val_t> &results);
  /// export_signature() without a copy, for suspendable calls; valid as
  /// long as the instance.
  Result<const FuncSig *> export_signature_ref(std::string_view name);
  const PendingImport *pending_import() const;
  Status answer(const wasm_val_t *results);
  void reject(std::string message);
  void abandon();
  /// Suspendable calls in progress (0: none).
  size_t suspended_calls() const;

  Result<MemoryView> memory();
  Result<uint64_t> memory_grow(uint64_t delta_pages);
  Result<wasm_val_t> global_get(std::string_view name);
  Status global_set(std::string_view name, const wasm_val_t &value);
  void *store_handle();

  struct Impl;

private:
  explicit Instance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace hb_beamr::engine

namespace hb_beamr::engine {

/// A trap carrying `message`, for a C host function to return. `store` is
/// Instance::store_handle() (some engines tie traps to a store).
wasm_trap_t *new_trap(void *store, std::string_view message);

/// The text of a trap made by new_trap (or any wasm.h trap). Does not take
/// ownership.
std::string trap_text(const wasm_trap_t *trap);

} // namespace hb_beamr::engine
