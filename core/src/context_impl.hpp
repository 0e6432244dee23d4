// Internal: Context's private state and the steps its methods share. Only
// the context_*.cpp files include this; everything else in the core goes
// through context.hpp (and context_internal.hpp for the C facade).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine_adapter.hpp"
#include "hb_beamr/context.hpp"

namespace hb_beamr {

/// Everything a Context holds. Methods named like Context's do its work;
/// the others are the steps they share. Same thread rules as Context.
struct Context::Impl {
  using Clock = std::chrono::steady_clock;

  explicit Impl(Context &owner) : owner(owner) {}

  // --- shared steps (context.cpp) ---
  // Fails with invalid_state unless the context is in one of `allowed`.
  Status require(std::initializer_list<State> allowed,
                 const char *operation) const;
  // require() for operations that need a live instance.
  Status require_instance(const char *operation) const;
  // Records a failure's message as last_error and passes it through.
  Error fail(Error error) const;
  State current_state() const;
  const std::vector<ExternDesc> &module_imports() const;
  // Common part of the two instantiate functions.
  Status make_instance();
  // Runs the host function of function import `index` (state
  // AWAITING_IMPORT meanwhile) and checks what it returned.
  Status answer_import(size_t index, const wasm_val_t *args,
                       wasm_val_t *results);

  // --- top-level calls and their deadline (context_deadline.cpp) ---
  // Before a top-level call: a stop requested meanwhile fails it, and its
  // fuel is refilled.
  Status prepare_top_level_call();
  // Fixes the starting top-level call's deadline and arms the watchdog; an
  // error (and no deadline) if the watchdog cannot run.
  Status start_deadline();
  // Drops the deadline of a top-level call that did not start after all.
  void cancel_deadline();
  // Whether the top-level call in progress has passed its deadline.
  bool deadline_passed() const;
  // `status` as the call in progress reports it: a failure past the
  // deadline is a timeout.
  Status timed(Status status) const;
  // The error a top-level call ends with, once its time limit and stop
  // requests are taken into account (clears them and the deadline).
  Status top_level_outcome(Status status);

  // --- blocking calls (context_calls.cpp) ---
  // Checks args against `sig`, runs `invoke` with the state machine's
  // transitions, and records failures.
  Status run_call(const FuncSig &sig, const std::vector<wasm_val_t> &args,
                  std::vector<wasm_val_t> &results,
                  const std::function<Status(wasm_val_t *)> &invoke);
  // A blocking call (`name` empty: table entry `index`) on an engine that
  // suspends: begins it, then polls it to its end, answering each import
  // it awaits by running the host function.
  Status call_suspending(std::string_view name, uint64_t index,
                         const wasm_val_t *args, wasm_val_t *results);
  Status blocking_call(const char *operation, std::string_view name,
                       uint64_t index, const std::vector<wasm_val_t> &args,
                       std::vector<wasm_val_t> &results);

  // --- suspendable calls (context_suspend.cpp) ---
  // Starts a suspendable call (`name` empty: table entry `index`).
  Result<CallProgress> begin_suspendable(std::string_view name, uint64_t index,
                                         const std::vector<wasm_val_t> &args,
                                         std::chrono::microseconds slice);
  // Signature of a named export or of table entry `index` (copied into
  // `storage`), or an error.
  Result<const FuncSig *> call_signature(std::string_view name, uint64_t index,
                                         FuncSig &storage);
  // Polls the innermost call and brings the state machine up to date.
  Result<CallProgress> run_slice(std::chrono::microseconds slice);
  // Settles a finished innermost call: its results or its error.
  Result<CallProgress> settle_finished();
  std::optional<ImportRequest> pending_import() const;
  Status reject_import(std::string message);
  size_t suspended_calls() const;

  Context &owner;
  // instantiate_suspending() was used: the public suspendable API is on.
  bool suspending = false;
  std::vector<wasm_val_t> results;

  // The engine's error for options it cannot honour; load() reports it.
  std::optional<Error> options_error;
  ContextOptions options;
  uint64_t call_timeout_ms = 0;
  // The top-level call in progress's deadline and the limit it came from.
  std::optional<Clock::time_point> deadline;
  uint64_t deadline_ms = 0;
  // Set by interrupt() (any thread) and by the watchdog at a deadline; read
  // by the engine while a call runs; cleared when a top-level call ends.
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> timed_out{false};
  // Guards instance against interrupt() from another thread.
  mutable std::mutex instance_mutex;

  State state = State::uninitialized;
  uint64_t runtime_generation = 0;
  // Blocking calls in progress (nested ones included).
  int call_depth = 0;
  std::shared_ptr<wasm_engine_t> engine;
  std::shared_ptr<const engine::Module> module;
  std::unique_ptr<engine::Instance> instance;
  // By import index; empty where the import is not a function.
  std::vector<HostFunction> import_functions;
  mutable std::string last_error;
};

/// The one door from the core's internal code into a Context's Impl.
struct ContextAccess {
  static Context::Impl &of(Context &ctx) { return *ctx.impl_; }
  static const Context::Impl &of(const Context &ctx) { return *ctx.impl_; }
};

/// Argument checks shared by blocking and suspendable calls
/// (context_calls.cpp).
bool args_match(const FuncSig &sig, const std::vector<wasm_val_t> &args);
std::string describe_sig_mismatch(const FuncSig &sig,
                                  const std::vector<wasm_val_t> &args);

/// Call-like operations are allowed at top level, after a trap, and nested
/// inside a host function of the same context.
inline constexpr std::initializer_list<State> kCallableStates = {
    State::instantiated, State::trapped, State::awaiting_import};

} // namespace hb_beamr
