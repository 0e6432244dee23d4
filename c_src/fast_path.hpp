// The fast path: calls and memory access run right in the caller's
// erlang:port_control/3, on its scheduler, without the instance thread.
//
// A port_control command borrows the instance from its thread while the
// thread is idle (Session::try_borrow) and runs the call as a suspendable
// call (Context::start_call) for one slice of at most kSlice. The reply says
// where the call stands:
//
//   {ok, Results} | {error, Reason}      the call is over (same reasons as
//                                        the thread's replies)
//   {import, Module, Func, Args, Sig}    it waits for an import: the caller
//                                        answers with `answer`
//   yield                                its slice is over: the caller
//                                        lets other processes run, then
//                                        sends `resume`
//   {moved, Tag}                         it ran for kInlineSlices slices:
//                                        it goes on on the instance thread,
//                                        which sends the caller
//                                        {Port, Tag, {import, ...}} and the
//                                        final {Port, Tag, Reply}; the
//                                        caller answers imports with
//                                        port_command(Port, {import_response
//                                        | import_error, Tag, _})
//   fallback                             the fast path cannot serve this
//                                        now: use the instance thread
//
// While a call is suspended the instance stays borrowed: that caller alone
// may answer, resume, or call again from its import function (a nested
// call), and memory commands from any process are served while the call
// waits for an import. Anything else falls back to the thread, which takes
// it once the borrow ends, so calls from different processes still run one
// after another. If the caller exits mid-call, the call is abandoned and the
// instance returned. Only engines that can suspend a call (Context::
// can_suspend) have a fast path; on others every command falls back.
//
// Commands (erlang:port_control(Port, Op, term_to_binary(Command))):
//   1 call     {call | indirect_call, Tag, NameOrIndex, Args[, Timeout]},
//              or the same in the compact encoding (compact.hpp), whose
//              results come back compact too
//   2 answer   {import_response, Tag, Results} | {import_error, Tag, Msg}
//   3 resume   anything (ignored)
//   4 request  {size | read | write | serialize | deserialize, Tag, ...}
//   (0 is the driver's no-op; any other Op raises badarg.)
// Replies are binaries: <<0, Data/binary>> stands for {ok, Data} (memory
// read and serialize, without copying the data into a term), and
// <<1, Term/binary>> for binary_to_term(Term).
#pragma once

#include <erl_driver.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "commands.hpp"
#include "hb_beamr/context.hpp"
#include "instance_thread.hpp"

namespace hb_beamr::driver {

class ControlSink;

/// The fast path of one port. Used only from the port's callbacks (which
/// the VM never runs concurrently for one port).
class FastPath {
public:
  /// Longest stretch of WebAssembly one port_control runs.
  static constexpr std::chrono::microseconds kSlice{1000};
  /// Slices a top-level call may take on schedulers before it is handed to
  /// the instance thread.
  static constexpr int kInlineSlices = 3;

  FastPath(ErlDrvPort port, Shared &shared);
  FastPath(const FastPath &) = delete;
  FastPath &operator=(const FastPath &) = delete;

  /// Serves port_control command `op`; returns the reply's size and points
  /// *rbuf at it (see the driver's control callback), or -1 for an unknown
  /// op (badarg in Erlang).
  ErlDrvSSizeT control(unsigned int op, const char *buf, size_t len,
                       char **rbuf, ErlDrvSizeT rlen);
  /// A monitored caller exited: abandons its calls.
  void caller_exited(const ErlDrvMonitor &monitor);
  /// Abandons any call in progress and gives the instance back to its
  /// thread. Called before the port stops.
  void stop();

private:
  void on_call(const char *buf, size_t len, ControlSink &sink);
  void on_answer(const char *buf, size_t len, ControlSink &sink);
  void on_resume(ControlSink &sink);
  void on_request(const char *buf, size_t len, ControlSink &sink);
  void on_move(const char *buf, size_t len, ControlSink &sink);
  // Reports where the innermost call stands after a slice.
  void settle(Result<CallProgress> progress, ControlSink &sink);
  // Answers the imports the instance's providers cover, in C++, and
  // resumes, until the call needs its caller or this slice is used up.
  // Returns false once it has replied itself (yield or hand-over).
  bool answer_host_imports(Result<CallProgress> &progress, ControlSink &sink);
  // read_output on a scheduler: between calls, or while one waits for an
  // import.
  void on_read_output(const cmd::ReadOutput &read, ControlSink &sink);
  // Borrows the instance from the session for a top-level call; false if
  // the thread holds it or has work queued.
  bool begin_borrow();
  // Drops the calls, stops watching their caller and gives the instance back.
  void end_borrow();
  // Whether this port_control comes from the caller of the borrowed call.
  bool is_borrower() const;
  // Gives the suspended top-level call to the instance thread; a call with
  // no tag of its own first asks its caller for one (`move`).
  void hand_over(ControlSink &sink);

  ErlDrvPort port_;
  Shared &shared_;
  // The borrowed context, while calls are in progress.
  Context *context_ = nullptr;
  // The calls in progress, outermost first: their signatures, and whether
  // they came (and are answered) in the compact encoding (compact.hpp).
  struct Call {
    CallSignature signature;
    bool compact;
  };
  std::vector<Call> calls_;
  // The top-level call, as needed to hand it over, and its slices so far.
  HandOver outermost_;
  int slices_ = 0;
  // The call waits for its caller's tag (it was told `move`).
  bool moving_ = false;
};

/// Calls started on the fast path, and commands it handed to the thread
/// instead (fallback), by all ports since the driver was loaded.
uint64_t fast_calls();
uint64_t fast_fallbacks();

} // namespace hb_beamr::driver
