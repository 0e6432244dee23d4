// Clocks: clock_res_get, clock_time_get, and poll_oneoff, which waits for
// clock subscriptions and reports stdio as always ready.
#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <time.h>

#include "wasi/abi.hpp"
#include "wasi/state.hpp"

namespace hb_beamr::wasi_detail {

namespace {

bool host_clock(uint64_t id, clockid_t *out) {
  switch (id) {
  case wasi_abi::kClockRealtime: *out = CLOCK_REALTIME; return true;
  case wasi_abi::kClockMonotonic: *out = CLOCK_MONOTONIC; return true;
  case wasi_abi::kClockProcessCputime:
    *out = CLOCK_PROCESS_CPUTIME_ID;
    return true;
  case wasi_abi::kClockThreadCputime:
    *out = CLOCK_THREAD_CPUTIME_ID;
    return true;
  default: return false;
  }
}

uint64_t nanoseconds(const timespec &ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

// Now on the preview 1 clock `id`; false for an unknown clock.
bool now(uint64_t id, uint64_t *out) {
  clockid_t clock;
  timespec ts{};
  if (!host_clock(id, &clock) || clock_gettime(clock, &ts) != 0)
    return false;
  *out = nanoseconds(ts);
  return true;
}

// One event to report, before it is written to the guest.
struct Event {
  uint64_t userdata;
  uint16_t error;
  uint8_t type;
  uint64_t nbytes;
  uint16_t flags;
};

// A clock subscription still waiting: when (on its clock) it fires.
struct Timer {
  uint64_t userdata;
  uint64_t clock;
  uint64_t deadline;
};

// Reads subscription `at`: an event ready now goes to `ready`, a clock that
// has not fired yet to `timers`. Returns an errno for the whole call.
uint16_t read_subscription(WasiState &state, const GuestMemory &memory,
                           uint64_t at, std::vector<Event> &ready,
                           std::vector<Timer> &timers) {
  uint64_t userdata = 0;
  uint8_t tag = 0;
  uint32_t field = 0; // clock id or fd
  if (!memory.read_u64(at, &userdata) || !memory.read(at + 8, &tag, 1) ||
      !memory.read_u32(at + 16, &field))
    return wasi_abi::kFault;
  Event event{userdata, wasi_abi::kSuccess, tag, 0, 0};
  if (tag == wasi_abi::kEventClock) {
    uint64_t timeout = 0;
    uint16_t flags = 0;
    uint64_t current = 0;
    if (!memory.read_u64(at + 24, &timeout) ||
        !memory.read_u16(at + 40, &flags))
      return wasi_abi::kFault;
    if (!now(field, &current))
      event.error = wasi_abi::kInval;
    else if (field != wasi_abi::kClockRealtime &&
             field != wasi_abi::kClockMonotonic)
      event.error = wasi_abi::kNotsup; // CPU time stands still while we sleep
    if (event.error != wasi_abi::kSuccess) {
      ready.push_back(event);
      return wasi_abi::kSuccess;
    }
    uint64_t deadline = (flags & wasi_abi::kSubclockAbstime)
                            ? timeout
                            : current + std::min(timeout, UINT64_MAX - current);
    timers.push_back({userdata, field, deadline});
    return wasi_abi::kSuccess;
  }
  if (tag != wasi_abi::kEventFdRead && tag != wasi_abi::kEventFdWrite)
    return wasi_abi::kInval;
  const bool reads = tag == wasi_abi::kEventFdRead;
  if (!state.stdio_open(field) || (field == 0) != reads) {
    event.error = wasi_abi::kBadf;
  } else if (reads) {
    event.nbytes = state.options.stdin_data.size() - state.stdin_offset;
    if (event.nbytes == 0)
      event.flags = wasi_abi::kEventHangup;
  } else {
    event.nbytes = 64 * 1024; // writes to the host never block
  }
  ready.push_back(event);
  return wasi_abi::kSuccess;
}

// With nothing ready, sleeps until the first timer fires, or until the
// call's deadline if that comes first (a sleeping guest must not outlive its
// time limit: the engine cannot stop it while it is in here); then moves
// every fired timer into `ready`.
void wait_for_timers(
    std::vector<Event> &ready, const std::vector<Timer> &timers,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (ready.empty() && !timers.empty()) {
    uint64_t shortest = UINT64_MAX;
    for (const Timer &t : timers) {
      uint64_t current = 0;
      now(t.clock, &current);
      shortest =
          std::min(shortest, t.deadline > current ? t.deadline - current : 0);
    }
    auto wake = std::chrono::nanoseconds(
        std::min<uint64_t>(shortest, uint64_t{INT64_MAX}));
    if (deadline) {
      const auto left = *deadline - std::chrono::steady_clock::now();
      wake = std::min<std::chrono::nanoseconds>(
          wake, std::max<std::chrono::nanoseconds>(
                    left, std::chrono::nanoseconds::zero()));
    }
    // Blocks the thread running the guest, as a sleeping process would.
    std::this_thread::sleep_for(wake);
  }
  for (const Timer &t : timers) {
    uint64_t current = 0;
    if (now(t.clock, &current) && current >= t.deadline)
      ready.push_back(
          {t.userdata, wasi_abi::kSuccess, wasi_abi::kEventClock, 0, 0});
  }
}

bool write_event(GuestMemory &memory, uint64_t at, const Event &event) {
  uint8_t zeros[wasi_abi::kEventSize] = {};
  return memory.write(at, zeros, sizeof zeros) &&
         memory.write_u64(at, event.userdata) &&
         memory.write_u16(at + 8, event.error) &&
         memory.write(at + 10, &event.type, 1) &&
         memory.write_u64(at + 16, event.nbytes) &&
         memory.write_u16(at + 24, event.flags);
}

} // namespace

Result<uint16_t> clock_res_get(WasiState &, Call &call) {
  clockid_t clock;
  timespec ts{};
  if (!host_clock(call.arg(0), &clock) || clock_getres(clock, &ts) != 0)
    return wasi_abi::kInval;
  return call.memory.write_u64(call.arg(1), nanoseconds(ts))
             ? wasi_abi::kSuccess
             : wasi_abi::kFault;
}

Result<uint16_t> clock_time_get(WasiState &, Call &call) {
  // Argument 1, the precision the guest asks for, can only be bettered.
  uint64_t current = 0;
  if (!now(call.arg(0), &current))
    return wasi_abi::kInval;
  return call.memory.write_u64(call.arg(2), current) ? wasi_abi::kSuccess
                                                     : wasi_abi::kFault;
}

Result<uint16_t> poll_oneoff(WasiState &state, Call &call) {
  GuestMemory &memory = call.memory;
  const uint64_t in = call.arg(0);
  const uint64_t out = call.arg(1);
  const uint64_t count = call.arg(2);
  const uint64_t nevents = call.arg(3);
  if (count == 0 || count > wasi_abi::kMaxSubscriptions)
    return wasi_abi::kInval;
  if (!memory.contains(in, count * wasi_abi::kSubscriptionSize) ||
      !memory.contains(out, count * wasi_abi::kEventSize) ||
      !memory.contains(nevents, memory.word()))
    return wasi_abi::kFault;
  std::vector<Event> ready;
  std::vector<Timer> timers;
  for (uint64_t i = 0; i < count; ++i) {
    uint16_t errno_value = read_subscription(
        state, memory, in + i * wasi_abi::kSubscriptionSize, ready, timers);
    if (errno_value != wasi_abi::kSuccess)
      return errno_value;
  }
  wait_for_timers(ready, timers, call.context.call_deadline());
  for (size_t i = 0; i < ready.size(); ++i)
    write_event(memory, out + i * wasi_abi::kEventSize, ready[i]);
  memory.write_word(nevents, ready.size());
  return wasi_abi::kSuccess;
}

} // namespace hb_beamr::wasi_detail
