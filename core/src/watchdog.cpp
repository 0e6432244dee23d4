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

std::mutex mutex;
std::condition_variable changed;
std::multimap<Clock::time_point, Context *> deadlines;
std::thread thread;
bool stopping = false;

void run() {
  std::unique_lock<std::mutex> lock(mutex);
  while (!stopping) {
    if (deadlines.empty()) {
      changed.wait(lock);
      continue;
    }
    auto first = deadlines.begin();
    if (Clock::now() < first->first) {
      changed.wait_until(lock, first->first);
      continue;
    }
    Context *ctx = first->second;
    deadlines.erase(first);
    watchdog_expire(*ctx); // under the lock: disarm() waits for it
  }
}

void erase(Context *ctx) {
  for (auto it = deadlines.begin(); it != deadlines.end(); ++it)
    if (it->second == ctx) {
      deadlines.erase(it);
      return;
    }
}

} // namespace

void arm(Context *ctx, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex);
  erase(ctx);
  deadlines.emplace(deadline, ctx);
  if (!thread.joinable()) {
    stopping = false;
    thread = std::thread(run);
  }
  changed.notify_one();
}

void disarm(Context *ctx) {
  std::lock_guard<std::mutex> lock(mutex);
  erase(ctx);
}

void shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!thread.joinable())
      return;
    stopping = true;
    changed.notify_one();
  }
  thread.join();
  std::lock_guard<std::mutex> lock(mutex);
  deadlines.clear();
}

} // namespace hb_beamr::watchdog
