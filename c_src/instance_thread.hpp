// One WebAssembly instance per port, run on a thread of its own.
//
// The port's output callback (on a scheduler) only decodes commands and
// posts them to the port's Session (session.hpp); the instance thread owns the
// hb_beamr::Context and does the work on it: loading, calls, memory access.
// While the thread is idle the fast path (fast_path.hpp) may borrow the
// context for calls made with port_control, and may hand a long call over
// to the thread (a HandOver), whose messages then go to that call's caller.
// Replies go straight from the thread to the port owner as
// {Port, Tag, Reply}:
//
//   init            -> {ok, Imports, Exports} | {error, Reason}
//                      ({error, {unsupported, Message}} for options the
//                      engine cannot honour)
//   compile         -> {ok, Precompiled}      | {error, Reason}
//   call, indirect  -> {ok, Results}          | {error, Reason}
//                      preceded by any number of
//                      {import, Module, Func, Args, Signature}
//   size            -> {ok, Bytes}
//   read, serialize -> {ok, Binary}
//   write           -> ok
//   deserialize     -> ok
//   any, malformed  -> {error, badarg}
//
// Errors: {error, not_initialized | already_initialized | invalid_args |
// out_of_bounds | no_memory | no_pending_import | badarg | timeout |
// interrupted},
// {error, {unknown_export, Name}}, {error, {not_a_function, Name}},
// {error, {bad_table_index, Index}}, and for failures of the core
// {error, {Kind, Message}} with Kind one of error_kind_name() (trap, load,
// link, instantiate, ...).
//
// Imports: when WebAssembly calls an import, the thread sends
// {import, ...} tagged with the innermost call in progress and waits on its
// session. An {import_response, Tag, Results} or {import_error, Tag, Message}
// with that tag resumes it (an error makes the import trap with Message).
// Any other command that arrives meanwhile is executed right there, on the
// same thread: a call then runs nested inside the import, as emscripten's
// invoke_* need, and its reply is sent before the outer import is answered.
// Import answers for an outer call that arrive while a nested call waits are
// kept until that call is innermost again.
//
// Time limits: an outermost call with a Timeout is stopped by the core's
// watchdog once it has run that long, and answered {error, timeout}; the
// instance stays usable. Nested calls count toward their outermost call (their
// own Timeout is ignored), and fail with {error, timeout} too once its
// deadline has passed. The thread cannot preempt an import being answered in
// Erlang: an import answered after the deadline makes the call fail at once
// with {error, timeout}.
//
// Threads: a port's thread is started by its first command, with a stack of
// max(8 MiB, max_stack + 2 MiB) (max_stack from an init's options, at most
// 62 MiB since ERTS caps driver threads at 64 MiB), and blocks on a condition
// variable while idle. If it cannot be created the command gets
// {error, {allocation, Message}}; an init whose max_stack is too large, or
// does not fit the stack of a thread already started by an earlier command,
// gets {error, {invalid_argument, Message}}. Stopping the port interrupts any
// WebAssembly the thread runs and joins it, or leaves a thread busy with work
// that cannot be interrupted to finish alone (stop()). Instance threads run at
// nice 19, below the schedulers.
#pragma once

#include <erl_driver.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "drv_sync.hpp"
#include "host_imports.hpp"
#include "link.hpp"
#include "protocol.hpp"
#include "session.hpp"

namespace hb_beamr::driver {

/// Lets other threads stop the WebAssembly the instance thread runs.
/// Thread-safe: the instance thread attaches its context, port callbacks
/// interrupt it.
class Interruptor {
public:
  /// The context the thread works on from now on (null: none). Call with null
  /// before destroying it. A context attached after interrupt() is
  /// interrupted at once.
  void attach(Context *context);
  /// Interrupts the attached context (its running call, or else its next
  /// one), and every context attached later. May be called repeatedly.
  void interrupt();

private:
  DrvMutex mutex_{"hb_beamr_interruptor"};
  Context *context_ = nullptr;
  bool interrupted_ = false;
};

/// What the port and its thread share; owned jointly, so a thread that
/// outlives its port still has valid state.
struct Shared {
  Shared(ErlDrvTermData port, ErlDrvTermData owner) : link(port, owner) {}
  Link link;
  Session session;
  Interruptor interruptor;
  /// The instance's context, published by the thread; the fast path may use
  /// it only while it has borrowed it from the session.
  std::atomic<Context *> context{nullptr};
  /// Its built-in import providers (null: none), published with it.
  std::atomic<HostImports *> host_imports{nullptr};
};

/// Book-keeping for one instance thread.
struct ThreadRecord {
  ErlDrvTid tid{};
  std::atomic<bool> finished{false};
};

/// The instance thread of one port. Created by the port's start callback,
/// stopped by its stop callback; used only from the port's callbacks (which
/// the VM never runs concurrently for one port). Not copyable.
class InstanceThread {
public:
  /// The port's instance, without a thread yet: the first command starts it.
  static std::unique_ptr<InstanceThread> create(ErlDrvTermData port,
                                                ErlDrvTermData owner);
  ~InstanceThread();
  InstanceThread(const InstanceThread &) = delete;
  InstanceThread &operator=(const InstanceThread &) = delete;

  /// Hands a command to the thread, starting the thread for the first one
  /// (an init's max_stack sizes its stack). If the thread cannot be started,
  /// or an init's max_stack does not fit, the command is answered with an
  /// error instead.
  void post(Command &&command);
  /// Replies from a scheduler (for commands answered without the thread).
  Link &link() { return shared_->link; }
  /// What the thread shares with the port (for the fast path).
  Shared &shared() { return *shared_; }

  /// Stops the instance: no more replies, the session is closed, an import
  /// being awaited fails and running WebAssembly is interrupted, which
  /// unwinds its stack. Joins the thread and returns true if it finishes
  /// within a few milliseconds (interrupted WebAssembly does). Otherwise (it
  /// is busy with work that cannot be interrupted, such as compiling a large
  /// module) the thread is left to finish on its own without waiting for it:
  /// it holds the state it shares with the port, frees it last and sends
  /// nothing; reap_threads() interrupts it again and joins it once finished.
  /// false is then returned: the caller must keep the driver loaded.
  bool stop();

private:
  InstanceThread(std::shared_ptr<Shared> shared,
                 std::shared_ptr<ThreadRecord> record);
  // Starts the thread for `first`, or answers it with an error and returns
  // false.
  bool start_thread(const Command &first);
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ThreadRecord> record_;
  bool started_ = false;
  uint64_t stack_bytes_ = 0; // of the started thread
  bool stopped_ = false;
};

/// Creates / destroys the process-wide thread registry. Called from the
/// driver's init and finish callbacks.
bool threads_init();
void threads_finish();
/// Joins threads that were left running by stop() and have finished since,
/// and interrupts the others again.
void reap_threads();
/// Instance threads currently alive.
size_t live_threads();
/// Calls run by instance threads since the driver was loaded.
uint64_t thread_calls();

} // namespace hb_beamr::driver
