// One WebAssembly instance per port, run on a thread of its own.
//
// The port's callbacks (on schedulers) only decode commands and post them to
// the instance's mailbox; the instance thread owns the hb_beamr::Context and
// does all work on it: loading, calls, memory access. Replies go straight from
// the thread to the port owner as {Port, Tag, Reply}:
//
//   init            -> {ok, Imports, Exports} | {error, Reason}
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
// out_of_bounds | no_memory | no_pending_import | badarg},
// {error, {unknown_export, Name}}, {error, {not_a_function, Name}},
// {error, {bad_table_index, Index}}, and for failures of the core
// {error, {Kind, Message}} with Kind one of error_kind_name() (trap, load,
// link, instantiate, ...).
//
// Imports: when WebAssembly calls an import, the thread sends
// {import, ...} tagged with the innermost call in progress and waits on its
// mailbox. An {import_response, Tag, Results} or {import_error, Tag, Message}
// with that tag resumes it (an error makes the import trap with Message).
// Any other command that arrives meanwhile is executed right there, on the
// same thread: a call then runs nested inside the import, as emscripten's
// invoke_* need, and its reply is sent before the outer import is answered.
// Import answers for an outer call that arrive while a nested call waits are
// kept until that call is innermost again.
#pragma once

#include <erl_driver.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "drv_sync.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {

/// Where an instance's messages go: its port's owner, as {Port, Tag, Reply}.
/// Thread-safe. After close() every send is dropped, so the thread never
/// uses a port that is gone.
class Link {
public:
  Link(ErlDrvTermData port, ErlDrvTermData owner);

  /// Sends {Port, Tag, Reply}; a reply that failed to encode is replaced by
  /// {error, enomem}.
  void send(const Tag &tag, const TermBuffer &reply);
  /// Sends {Port, Tag, {ok, Binary}}, copying `size` bytes from `data`.
  void send_ok_binary(const Tag &tag, const uint8_t *data, size_t size);
  /// Drops every later send. Called when the port stops.
  void close();

private:
  ErlDrvTermData port_;
  ErlDrvTermData owner_;
  DrvMutex mutex_{"hb_beamr_link"};
  bool open_ = true;
};

/// Commands waiting for the instance thread. Thread-safe.
class Mailbox {
public:
  /// Queues a command; false (and the command dropped) once closed.
  bool push(Command &&command);
  /// The next command, waiting for one; nullopt once closed. Between two
  /// pops the thread counts as busy.
  std::optional<Command> pop();
  /// Closes the mailbox and wakes the thread. Returns whether the thread was
  /// busy (working on a command, e.g. running WebAssembly) at that moment.
  bool close();

private:
  DrvMutex mutex_{"hb_beamr_mailbox"};
  DrvCond cond_{"hb_beamr_mailbox"};
  std::deque<Command> queue_;
  bool closed_ = false;
  bool busy_ = false;
};

/// What the port and its thread share; owned jointly, so a thread that
/// outlives its port still has valid state.
struct Shared {
  Shared(ErlDrvTermData port, ErlDrvTermData owner) : link(port, owner) {}
  Link link;
  Mailbox mailbox;
};

/// Book-keeping for one instance thread.
struct ThreadRecord {
  ErlDrvTid tid{};
  std::atomic<bool> finished{false};
};

/// The instance thread of one port. Created by the port's start callback,
/// stopped by its stop callback; not copyable.
class InstanceThread {
public:
  /// Starts the thread; null if the thread could not be created.
  static std::unique_ptr<InstanceThread> start(ErlDrvTermData port,
                                               ErlDrvTermData owner);
  ~InstanceThread();
  InstanceThread(const InstanceThread &) = delete;
  InstanceThread &operator=(const InstanceThread &) = delete;

  /// Hands a command to the thread.
  void post(Command &&command);
  /// Replies from a scheduler (for commands answered without the thread).
  Link &link() { return shared_->link; }

  /// Stops the instance: no more replies, the mailbox is closed and an import
  /// being awaited fails, which unwinds the WebAssembly stack. Joins the
  /// thread if it finishes within a short grace period and returns true.
  /// Otherwise (WebAssembly is computing and cannot be interrupted) the
  /// thread is left to finish on its own, is joined later by
  /// reap_threads(), and false is returned: the caller must then keep the
  /// driver loaded.
  bool stop();

private:
  InstanceThread(std::shared_ptr<Shared> shared,
                 std::shared_ptr<ThreadRecord> record);
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ThreadRecord> record_;
  bool stopped_ = false;
};

/// Creates / destroys the process-wide thread registry. Called from the
/// driver's init and finish callbacks.
bool threads_init();
void threads_finish();
/// Joins threads that were left running by stop() and have finished since.
void reap_threads();
/// Instance threads currently alive.
size_t live_threads();

} // namespace hb_beamr::driver
