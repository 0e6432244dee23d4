// The one owner of who may run on a port's instance. The two executors, the
// fast path (fast_path.hpp, inline in port_control) and the instance thread
// (thread_executor.hpp), ask it before they touch the Context:
//
//   - the queue: commands sent with port_command wait here for the thread,
//     in their order;
//   - the borrow: the fast path may take the instance only while the thread
//     is idle with nothing queued, and then holds it until it gives it back
//     or hands its call over to the thread (ahead of the queue);
//   - the hold: between taking a message and its final reply the thread
//     holds the instance (also while a call waits for an import), so the
//     fast path falls back;
//   - the callers' monitors: the fast path's borrower while its call
//     outlives a port_control, and the caller of a handed-over call, whose
//     death must not leave the instance busy or waiting;
//   - cancelling: the thread's outermost call whose caller has exited is
//     interrupted (cancel()), whoever learns of the exit: this Session's
//     monitor for a handed-over call, the instance process (the port's
//     owner, which monitors the callers it relays for) with {cancel, Tag}.
//
//   - the nesting rule: while a call waits for an import, only the process
//     its import request went to (the call's caller, or the instance process
//     for a relayed call) may call the instance, and that call runs nested
//     where the waiting call runs (nesting_for()). Both executors report
//     each import request they send out and its answer, and ask here.
//
// Thread-safe. Which answers belong to which call is the holder's: only it
// sees the calls in progress (CallStack on the thread).
#pragma once

#include <erl_driver.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "drv_sync.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {

/// A call the fast path started and hands to the instance thread because it
/// runs long. Never on the wire: it is suspended in the Context, and the
/// thread resumes it. Its messages go to `caller`, who answers its imports
/// with port_command.
struct HandOver {
  Tag tag;                 ///< the call's tag (made up for a compact call)
  bool indirect = false;   ///< an indirect_call (`index`), else `name`
  std::string name;        ///< the export called
  uint64_t index = 0;      ///< the table index called
  ErlDrvTermData caller{}; ///< the process that made the call
};

/// What the instance thread takes from the Session: a command from Erlang or
/// a call handed over by the fast path.
using ThreadMessage = std::variant<Command, HandOver>;

/// See the file comment. One per port, shared by the port's callbacks and
/// its thread.
class Session {
public:
  /// Queues a command for the thread; false (and the command dropped) once
  /// closed. A {cancel, Tag} is not queued but acted on at once (from the
  /// port's owner only; ignored from anyone else).
  bool push(Command &&command);
  /// The thread's next message, waiting for one (and for the end of a
  /// borrow); nullopt once closed. Taking one makes the thread hold the
  /// instance; a take `inside_command` (while a call waits for an import)
  /// keeps holding it, any other ends the previous hold.
  std::optional<ThreadMessage> take(bool inside_command = false);
  /// The thread is done with its command (it is about to send the final
  /// reply): the fast path may borrow from now on.
  void release();
  /// Lends the instance to the fast path: succeeds only while the thread is
  /// idle with nothing queued, and keeps the thread from taking messages
  /// until end_borrow() or hand_over().
  bool try_borrow();
  /// Ends a borrow.
  void end_borrow();
  /// Ends a borrow by giving `call` to the thread, ahead of anything queued.
  void hand_over(HandOver &&call);
  // ---- Cancelling the thread's call: thread-safe ------------------------
  /// The thread starts call `tag` on `context`, which outlives the call. An
  /// outermost call becomes the one cancel() interrupts until end_call();
  /// a call cancelled while it was queued is interrupted at once.
  void begin_call(const Tag &tag, Context &context, bool outermost);
  /// The thread's outermost call has ended.
  void end_call();
  /// The caller of call `tag` has exited: interrupts it if it is the
  /// thread's outermost call (nested calls, which come from the same
  /// caller, go with it), else keeps the tag so that the call is
  /// interrupted when it begins. A cancel that
  /// comes as the call ends may instead fail the instance's next call with
  /// `interrupted` (Context::interrupt() stops the next call when none
  /// runs); the window is the few instructions between the two.
  void cancel(const Tag &tag);

  // ---- The nesting rule: thread-safe ------------------------------------
  /// Which executor runs a call that waits for an import.
  enum class Executor { fast_path, thread };
  /// Where a call made now by `caller` (kOwner, 0: the instance process) may
  /// run: nested in the fast path's waiting call, nested in the thread's, or
  /// not nested at all (none: it queues or falls back like any call).
  enum class Nesting { none, fast_path, thread };
  /// An import request of the innermost call of `by` went to `receiver`:
  /// until import_answered(), `receiver` alone may nest calls.
  void awaits_import(ErlDrvTermData receiver, Executor by);
  /// The innermost waiting call's import has its answer (or its call has
  /// ended): the call it was nested in, if it waits, is innermost again.
  void import_answered();
  /// Forgets the waiting calls of `by` (its calls were abandoned or handed
  /// over).
  void forget_waits(Executor by);
  /// See Nesting.
  Nesting nesting_for(ErlDrvTermData caller);

  /// Closes the session and wakes the thread. Returns whether the thread
  /// held the instance (e.g. was running WebAssembly) at that moment.
  bool close();

  // ---- The fast path's caller: port callbacks only ----------------------
  // The VM never runs two callbacks of one port at once, so these need no
  // lock; the thread never touches them.
  /// `caller` has borrowed the instance for its call (after try_borrow()).
  void lend_to(ErlDrvTermData caller) { caller_ = caller; }
  /// The process whose call holds the borrow (0: none).
  ErlDrvTermData borrower() const { return caller_; }
  /// Monitors the borrower, once: a call that outlives its port_control
  /// must not keep the instance when its caller dies.
  void watch_borrower(ErlDrvPort port);
  /// The borrow has ended: stops watching its caller.
  void forget_borrower(ErlDrvPort port);
  /// The borrowed call is handed over as `tag`: its caller stays watched, so
  /// that its death fails the call's import instead of leaving it waiting.
  void watch_handed_over(const Tag &tag);
  /// Stops watching a handed-over call's caller (the thread has ended the
  /// call, or the port stops).
  void forget_handed_over(ErlDrvPort port);
  /// What the exit of a monitored process means.
  enum class Exit {
    unrelated,   ///< not a caller watched now
    borrower,    ///< the caller of the borrowed call: abandon it
    handed_over, ///< the caller of a handed-over call (tag in `tag`)
  };
  /// Matches `monitor` against the watched callers, and stops watching it.
  /// For a handed-over call, sets `tag` and `caller` and cancels the call.
  Exit caller_exited(const ErlDrvMonitor &monitor, Tag &tag,
                     ErlDrvTermData &caller);

private:
  DrvMutex mutex_{"hb_beamr_session"};
  DrvCond cond_{"hb_beamr_session"};
  std::deque<ThreadMessage> queue_;
  bool closed_ = false;
  bool held_ = false;     // by the thread
  bool borrowed_ = false; // by the fast path
  // The thread's outermost call, and calls cancelled while still queued.
  struct ThreadCall {
    Tag tag;
    Context *context;
  };
  std::optional<ThreadCall> thread_call_;
  // Calls waiting for an import, innermost last: who may nest into each.
  struct Waiting {
    ErlDrvTermData receiver;
    Executor by;
  };
  std::vector<Waiting> waiting_;
  std::vector<Tag> cancelled_;
  // The fast path's caller and the monitors on callers (port callbacks only).
  ErlDrvTermData caller_ = 0;
  std::optional<ErlDrvMonitor> borrower_monitor_;
  struct HandedOverWatch {
    Tag tag;
    ErlDrvMonitor monitor;
    ErlDrvTermData caller;
  };
  std::optional<HandedOverWatch> handed_over_;
};

} // namespace hb_beamr::driver
