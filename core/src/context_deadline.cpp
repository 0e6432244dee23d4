// Context: the rules every top-level call starts and ends with. The call's
// deadline is fixed here when it starts and asked about by everything that
// may happen after it (an import's answer, a failure), so that a caller needs
// no clock of its own to tell a timeout from any other failure.
#include "context_impl.hpp"
#include "watchdog.hpp"

namespace hb_beamr {

void Context::set_call_timeout(uint64_t milliseconds) {
  impl_->call_timeout_ms = milliseconds;
}

std::optional<std::chrono::steady_clock::time_point>
Context::call_deadline() const {
  return impl_->deadline;
}

Status Context::Impl::prepare_top_level_call() {
  if (stop_requested.exchange(false))
    return fail(make_error(ErrorKind::interrupted,
                           "interrupted before the call started"));
  if (options.fuel_per_call > 0)
    if (Status fuel = instance->set_fuel(options.fuel_per_call); !fuel)
      return fail(fuel.error());
  return {};
}

Status Context::Impl::start_deadline() {
  deadline_ms = call_timeout_ms;
  if (deadline_ms == 0) {
    deadline.reset();
    return {};
  }
  deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
  if (!watchdog::arm(&owner, *deadline)) {
    // Nothing would stop the call at its limit: refuse it rather than let
    // it run unbounded (or hang a caller waiting for the limit).
    deadline.reset();
    return make_error(ErrorKind::allocation,
                      "cannot start the watchdog thread that enforces the "
                      "call's time limit");
  }
  return {};
}

void Context::Impl::cancel_deadline() {
  if (deadline)
    watchdog::disarm(&owner);
  deadline.reset();
}

bool Context::Impl::deadline_passed() const {
  // The watchdog's flag covers a clock read just before the deadline; the
  // clock covers the time before the watchdog gets round to it.
  return timed_out.load() || (deadline && Clock::now() >= *deadline);
}

Status Context::Impl::timed(Status status) const {
  if (status || !deadline_passed())
    return status;
  return make_error(ErrorKind::timeout, "call exceeded its time limit of " +
                                            std::to_string(deadline_ms) +
                                            " ms");
}

Status Context::Impl::top_level_outcome(Status status) {
  if (deadline)
    watchdog::disarm(&owner);
  status = timed(status);
  deadline.reset();
  // A stop that came in time decides what the failure was; one that came
  // too late to matter is simply dropped.
  timed_out = false;
  const bool stopped = stop_requested.exchange(false);
  if (!status && stopped && status.error().kind != ErrorKind::timeout)
    return make_error(ErrorKind::interrupted, "call interrupted");
  return status;
}

} // namespace hb_beamr
