// The per-port Session; see session.hpp.
#include "session.hpp"

#include <algorithm>
#include <utility>

namespace hb_beamr::driver {
namespace {

// Cancels kept for calls that have not begun. One for a call that ended
// just before its cancel came is never taken, so the oldest go.
constexpr size_t kMaxCancelled = 64;

} // namespace

bool Session::push(Command &&command) {
  if (command.as<cmd::Cancel>()) {
    // Only the instance process knows which of its callers have exited.
    if (command.reply_to == 0)
      cancel(command.tag);
    return true;
  }
  DrvLock lock(mutex_);
  if (closed_)
    return false;
  queue_.emplace_back(std::move(command));
  cond_.signal();
  return true;
}

std::optional<ThreadMessage> Session::take(bool inside_command) {
  DrvLock lock(mutex_);
  if (!inside_command)
    held_ = false;
  while ((queue_.empty() || borrowed_) && !closed_)
    cond_.wait(mutex_);
  if (closed_)
    return std::nullopt;
  ThreadMessage message = std::move(queue_.front());
  queue_.pop_front();
  held_ = true;
  return message;
}

void Session::release() {
  DrvLock lock(mutex_);
  held_ = false;
}

bool Session::try_borrow() {
  DrvLock lock(mutex_);
  if (closed_ || held_ || borrowed_ || !queue_.empty())
    return false;
  borrowed_ = true;
  return true;
}

void Session::end_borrow() {
  DrvLock lock(mutex_);
  borrowed_ = false;
  // Only a thread with messages waiting needs waking: waking an idle one on
  // every fast call would cost the thread hand-off the fast path avoids.
  if (!queue_.empty() || closed_)
    cond_.signal();
}

void Session::hand_over(HandOver &&call) {
  DrvLock lock(mutex_);
  queue_.emplace_front(std::move(call));
  borrowed_ = false;
  cond_.signal();
}

void Session::begin_call(const Tag &tag, Context &context, bool outermost) {
  DrvLock lock(mutex_);
  if (outermost)
    thread_call_ = ThreadCall{tag, &context};
  const auto it = std::find(cancelled_.begin(), cancelled_.end(), tag);
  if (it == cancelled_.end())
    return;
  cancelled_.erase(it);
  // Before it starts: the call fails at once with `interrupted`.
  context.interrupt();
}

void Session::end_call() {
  DrvLock lock(mutex_);
  thread_call_.reset();
}

void Session::cancel(const Tag &tag) {
  DrvLock lock(mutex_);
  // Under the lock, so the context cannot end its call and be destroyed
  // meanwhile: end_call() comes first.
  if (thread_call_ && thread_call_->tag == tag)
    return thread_call_->context->interrupt();
  // Not begun yet (queued, taken, or held back by the thread) or already
  // over: kept for begin_call(), which interrupts the call before it runs.
  if (cancelled_.size() == kMaxCancelled)
    cancelled_.erase(cancelled_.begin());
  cancelled_.push_back(tag);
}

void Session::awaits_import(ErlDrvTermData receiver, Executor by) {
  DrvLock lock(mutex_);
  waiting_.push_back(Waiting{receiver, by});
}

void Session::import_answered() {
  DrvLock lock(mutex_);
  if (!waiting_.empty())
    waiting_.pop_back();
}

void Session::forget_waits(Executor by) {
  DrvLock lock(mutex_);
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(),
                                [by](const Waiting &w) { return w.by == by; }),
                 waiting_.end());
}

Session::Nesting Session::nesting_for(ErlDrvTermData caller) {
  DrvLock lock(mutex_);
  if (closed_ || waiting_.empty() || waiting_.back().receiver != caller)
    return Nesting::none;
  return waiting_.back().by == Executor::fast_path ? Nesting::fast_path
                                                   : Nesting::thread;
}

bool Session::close() {
  DrvLock lock(mutex_);
  closed_ = true;
  waiting_.clear();
  queue_.clear();
  cancelled_.clear();
  cond_.broadcast();
  return held_;
}

void Session::watch_borrower(ErlDrvPort port) {
  if (borrower_monitor_)
    return;
  ErlDrvMonitor monitor;
  if (driver_monitor_process(port, caller_, &monitor) == 0)
    borrower_monitor_ = monitor;
}

void Session::forget_borrower(ErlDrvPort port) {
  if (borrower_monitor_)
    driver_demonitor_process(port, &*borrower_monitor_);
  borrower_monitor_.reset();
  caller_ = 0;
}

void Session::watch_handed_over(const Tag &tag) {
  if (borrower_monitor_)
    handed_over_ = HandedOverWatch{tag, *borrower_monitor_, caller_};
  borrower_monitor_.reset();
  caller_ = 0;
}

void Session::forget_handed_over(ErlDrvPort port) {
  if (handed_over_)
    driver_demonitor_process(port, &handed_over_->monitor);
  handed_over_.reset();
}

Session::Exit Session::caller_exited(const ErlDrvMonitor &monitor, Tag &tag,
                                     ErlDrvTermData &caller) {
  if (handed_over_ &&
      driver_compare_monitors(&handed_over_->monitor, &monitor) == 0) {
    tag = std::move(handed_over_->tag);
    caller = handed_over_->caller;
    handed_over_.reset();
    cancel(tag);
    return Exit::handed_over;
  }
  if (!borrower_monitor_ ||
      driver_compare_monitors(&*borrower_monitor_, &monitor) != 0)
    return Exit::unrelated;
  borrower_monitor_.reset();
  return Exit::borrower;
}

} // namespace hb_beamr::driver
