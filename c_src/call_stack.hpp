// The calls the instance thread has in progress, innermost last, and what
// belongs to each: the process its messages go to, and import answers that
// arrived for it while a call nested inside it was innermost. Pure
// book-keeping (no ERTS calls), so it is unit-tested on its own.
#pragma once

#include <erl_driver.h>

#include <deque>
#include <optional>
#include <vector>

#include "protocol.hpp"

namespace hb_beamr::driver {

/// Who gets a call's messages: a process, or kOwner for the port's owner
/// (the instance process).
using Receiver = ErlDrvTermData;
/// The port's owner, as a Receiver.
constexpr Receiver kOwner = 0;

/// See the file comment. Used by the instance thread only.
class CallStack {
public:
  /// A call starts, nested in the innermost one if any. `handed_over`: the
  /// fast path's call that the thread took over (at most one, outermost).
  void push(const Tag &tag, Receiver receiver, bool handed_over = false);
  /// The innermost call has ended. A handed-over call's tag is remembered,
  /// so that answers arriving after its end are dropped quietly.
  void pop();
  /// Whether no call is in progress.
  bool empty() const { return calls_.empty(); }
  /// The innermost call's tag. Needs !empty().
  const Tag &innermost() const;
  /// The receiver of any message tagged `tag`: that of the call in
  /// progress with this tag, else the owner.
  Receiver receiver(const Tag &tag) const;
  /// Whether `from` may answer the imports of call `tag`: only the receiver
  /// of its messages may (kOwner: the instance process, which checks its
  /// own callers), so a process that learns the tag cannot. Answers for a
  /// tag not in progress are not this rule's concern.
  bool may_answer(const Tag &tag, Receiver from) const;
  /// Whether `tag` is a call in progress other than the innermost.
  bool is_outer(const Tag &tag) const;
  /// Whether `tag` is that of the last handed-over call, which has ended.
  bool is_ended_hand_over(const Tag &tag) const;
  /// Keeps an answer for an outer call until that call is innermost again.
  void defer(Command &&answer);
  /// The kept answer for `tag`, if any (removed).
  std::optional<Command> take_deferred(const Tag &tag);

private:
  struct Call {
    Tag tag;
    Receiver receiver;
    bool handed_over;
  };
  std::vector<Call> calls_;
  std::deque<Command> deferred_;
  Tag ended_hand_over_;
};

} // namespace hb_beamr::driver
