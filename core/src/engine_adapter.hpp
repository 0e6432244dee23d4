// Internal: the seam between the engine-independent core and one engine.
//
// Exactly one adapter, the files of core/src/<engine>/, defines everything
// declared here; CMake picks it with HB_BEAMR_ENGINE. The core speaks wasm.h's
// vocabulary (wasm_config_t, wasm_engine_t, wasm_val_t, type objects); how a
// store, an instance and a call are made is the adapter's business, because
// wasm.h alone cannot interrupt, meter or resume a running call on every
// engine.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  /// Address space each linear memory reserves and never grows past (for
  /// engines that would otherwise move a memory outgrowing it); 0: default.
  uint64_t memory_reservation = 0;

  bool operator==(const EngineProfile &o) const {
    return consume_fuel == o.consume_fuel && deterministic == o.deterministic &&
           max_wasm_stack == o.max_wasm_stack &&
           memory_reservation == o.memory_reservation;
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

/// Answers a call of function import number `index` (module order) at once,
/// on the calling thread: every import on an engine without suspension, and
/// only a start function's imports on one with it. `results` arrive
/// pre-filled with zeros of the right types. An error becomes a trap.
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

/// Per-instance settings. Zero means no limit of our own, except for tables.
struct InstanceSettings {
  uint64_t max_memory_bytes = 0;
  /// 0: the engine's default; UINT64_MAX (ContextOptions::kNoLimit): none.
  uint64_t max_table_elements = 0;
  /// The engine profile's, for engines that size stacks per instance.
  uint64_t max_wasm_stack = 0;
  uint64_t fuel = 0; ///< for the start function, if metering
  /// Set (from any thread) when the running call must stop; the adapter
  /// checks it whenever interrupt() wakes the instance. Outlives the instance.
  const std::atomic<bool> *stop_requested = nullptr;
};

/// Whether this engine can suspend a call and resume it later (at an import
/// or when its time slice runs out): whether Instance::suspension() is
/// non-null.
bool can_suspend();

/// Where a suspendable call stands after Suspension::poll().
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

/// Suspendable calls: the one way an engine that can suspend runs calls.
/// A function import called during such a call does not run the
/// ImportHandler but suspends the call until answer() or reject(); the core
/// builds blocking calls from this too. Owned by its Instance; used from one
/// thread at a time, like the Instance.
class Suspension {
public:
  virtual ~Suspension() = default;
  /// Starts a call of export `name` (or table entry `index` if name is
  /// empty), at top level or, while the innermost call awaits an import,
  /// nested inside that import. `args` were checked against the signature.
  /// Nothing runs until poll().
  virtual Status begin(std::string_view name, uint64_t index,
                       const wasm_val_t *args) = 0;
  /// Runs the innermost call until it finishes, reaches an import or passes
  /// `slice_end` (nullopt: no slice, it runs until one of the other two).
  virtual Result<Progress>
  poll(std::optional<SteadyClock::time_point> slice_end) = 0;
  /// Ends a finished innermost call: writes its results, returns its outcome.
  virtual Status finish(std::vector<wasm_val_t> &results) = 0;
  /// Signature of export `name`, cached: valid as long as the instance.
  virtual Result<const FuncSig *>
  export_signature_ref(std::string_view name) = 0;
  /// The import the innermost call waits for; null if none does.
  virtual const PendingImport *pending_import() const = 0;
  /// Settle the awaited import (checked results / a trap with `message`);
  /// the next poll() resumes the call.
  virtual Status answer(const wasm_val_t *results) = 0;
  virtual void reject(std::string message) = 0;
  /// Unwinds and drops every call in progress.
  virtual void abandon() = 0;
  /// Calls in progress, nested ones included (0: none).
  virtual size_t suspended_calls() const = 0;
};

/// Calls that run to their end on the calling thread, answering function
/// imports through the ImportHandler as they come: the one way an engine
/// that cannot suspend runs calls. Owned by its Instance.
class DirectCalls {
public:
  virtual ~DirectCalls() = default;
  /// `args`/`results` were checked against the signature by the caller.
  virtual Status call(std::string_view name, const wasm_val_t *args,
                      wasm_val_t *results) = 0;
  virtual Status call_indirect(uint64_t index, const wasm_val_t *args,
                               wasm_val_t *results) = 0;
};

/// A store with one instance of a module in it.
class Instance {
public:
  /// Instantiates `module`. Function imports called while the start
  /// function runs, and every call of one on an engine without
  /// suspension(), go to `handler`; other imports get fresh objects of
  /// their type.
  static Result<std::unique_ptr<Instance>>
  create(const EnginePtr &engine, const ModulePtr &module,
         ImportHandler handler, const InstanceSettings &settings);

  /// Makes a running call look at *settings.stop_requested promptly and fail
  /// if it is set. Thread-safe; cheap; harmless when nothing runs.
  void interrupt();
  /// Gives the next call `fuel` to spend (engines with metering only).
  Status set_fuel(uint64_t fuel);
  ~Instance();

  /// How this instance runs calls: exactly one of the two is non-null, for
  /// the instance's lifetime (suspension() on engines that can_suspend()).
  Suspension *suspension();
  DirectCalls *direct_calls();

  Result<FuncSig> export_signature(std::string_view name);
  Result<FuncSig> table_signature(uint64_t index);

  Result<MemoryView> memory();
  Result<uint64_t> memory_grow(uint64_t delta_pages);
  Result<wasm_val_t> global_get(std::string_view name);
  Status global_set(std::string_view name, const wasm_val_t &value);
  /// The store handle host code ties traps to (see new_trap()); borrowed.
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
