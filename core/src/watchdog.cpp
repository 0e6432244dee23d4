// The watchdog: sleeps until the earliest call deadline, then interrupts the
// calls that are past theirs. One thread for all contexts, idle when no call
// has a time limit.
#include "watchdog.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace hb_beamr::watchdog {
namespace {

// Process-lifetime state, deliberately never destroyed: a host may exit
// without destroying the runtime (the Erlang VM halts without unloading
// drivers), and destroying a joinable std::thread or a condition variable
// with a waiter at exit would abort the process.
struct State {
  std::mutex mutex;
  std::condition_variable changed;
  std::multimap<Clock::time_point, Context *> deadlines;
  std::thread thread;
  bool stopping = false;
};
State &state() {
  static State *instance = new State();
  return *instance;
}

void run() {
  State &w = state();
  std::unique_lock<std::mutex> lock(w.mutex);
  while (!w.stopping) {
    if (w.deadlines.empty()) {
      w.changed.wait(lock);
      continue;
    }
    auto first = w.deadlines.begin();
    if (Clock::now() < first->first) {
      // A copy: wait_until() reads the deadline again after waking, when
      // disarm() may have erased the entry it came from.
      const Clock::time_point deadline = first->first;
      w.changed.wait_until(lock, deadline);
      continue;
    }
    Context *ctx = first->second;
    w.deadlines.erase(first);
    watchdog_expire(*ctx); // under the lock: disarm() waits for it
  }
}

void erase(State &w, Context *ctx) {
  for (auto it = w.deadlines.begin(); it != w.deadlines.end(); ++it)
    if (it->second == ctx) {
      w.deadlines.erase(it);
      return;
    }
}

} // namespace

bool arm(Context *ctx, Clock::time_point deadline) noexcept {
  State &w = state();
  try {
    std::lock_guard<std::mutex> lock(w.mutex);
    erase(w, ctx);
    if (!w.thread.joinable()) {
      w.stopping = false;
      w.thread = std::thread(run);
    }
    w.deadlines.emplace(deadline, ctx);
    w.changed.notify_one();
  } catch (const std::exception &) {
    // std::system_error (no thread, a process thread limit) or bad_alloc.
    return false;
  }
  return true;
}

void disarm(Context *ctx) {
  State &w = state();
  std::lock_guard<std::mutex> lock(w.mutex);
  erase(w, ctx);
}

void shutdown() {
  State &w = state();
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    if (!w.thread.joinable())
      return;
    w.stopping = true;
    w.changed.notify_one();
  }
  w.thread.join();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.deadlines.clear();
}

} // namespace hb_beamr::watchdog
