// The slice ticker; see slice_ticker.hpp.
#include "slice_ticker.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "engine_adapter.hpp"

namespace hb_beamr::slice_ticker {
namespace {

constexpr auto kTick = std::chrono::milliseconds(1);
// Ticks without any slice before the thread goes back to sleep.
constexpr int kIdleTicks = 100;

// Process-lifetime, like the watchdog's state, for the same reason: the VM
// may halt without unloading the driver.
struct State {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<wasm_engine_t *> engines; // every live engine
  std::thread thread;
  bool stopping = false;
  // Touched by every slice, so without the mutex, and written only when it
  // changes (a line that every core keeps writing would bounce between the
  // cores on every call): whether a slice started since the last tick, and
  // whether the thread sleeps (then the first slice must wake it).
  std::atomic<bool> recent{false};
  std::atomic<bool> sleeping{false};
  std::atomic<bool> running{false};
};
State &state() {
  static State *instance = new State();
  return *instance;
}

void run() {
  State &t = state();
  std::unique_lock<std::mutex> lock(t.mutex);
  int idle = 0;
  while (!t.stopping) {
    if (idle >= kIdleTicks) {
      // Published before the check, so a slice starting meanwhile either
      // is seen here or sees this and wakes the thread.
      t.sleeping.store(true);
      t.wake.wait(lock, [&] { return t.stopping || t.recent.load(); });
      t.sleeping.store(false);
      idle = 0;
      continue;
    }
    t.wake.wait_for(lock, kTick, [&] { return t.stopping; });
    // Ticks go on for kIdleTicks after the last slice started, far longer
    // than any slice lasts, so every slice gets its ticks.
    idle = t.recent.exchange(false) ? 0 : idle + 1;
    // Under the lock: forget() cannot return while its engine is ticked.
    for (wasm_engine_t *engine : t.engines)
      engine::tick(engine);
  }
}

} // namespace

void remember(wasm_engine_t *engine) {
  State &t = state();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.engines.push_back(engine);
}

void forget(wasm_engine_t *engine) {
  State &t = state();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.engines.erase(std::remove(t.engines.begin(), t.engines.end(), engine),
                  t.engines.end());
}

bool enter() noexcept {
  State &t = state();
  if (t.recent.load())
    return true; // the ticker runs and will see this slice
  t.recent.store(true);
  try {
    if (!t.running.load()) {
      std::lock_guard<std::mutex> lock(t.mutex);
      if (!t.thread.joinable()) {
        t.stopping = false;
        t.sleeping.store(false);
        t.thread = std::thread(run);
        t.running.store(true);
      }
    } else if (t.sleeping.load()) {
      std::lock_guard<std::mutex> lock(t.mutex);
      t.wake.notify_one();
    }
  } catch (const std::exception &) {
    // std::system_error: no thread (a process thread limit) or no lock.
    // The next slice tries again.
    t.recent.store(false);
    return false;
  }
  return true;
}

void shutdown() {
  State &t = state();
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    if (!t.thread.joinable())
      return;
    t.stopping = true;
    t.wake.notify_one();
  }
  t.thread.join();
  t.running.store(false);
  t.recent.store(false);
}

} // namespace hb_beamr::slice_ticker
