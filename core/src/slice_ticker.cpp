// The slice ticker; see slice_ticker.hpp.
#include "slice_ticker.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

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
  std::map<wasm_engine_t *, int> engines; // engine -> slices in progress
  std::thread thread;
  bool sleeping = false;
  bool stopping = false;
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
      t.sleeping = true;
      t.wake.wait(lock, [&] { return t.stopping || !t.engines.empty(); });
      t.sleeping = false;
      idle = 0;
      continue;
    }
    t.wake.wait_for(lock, kTick, [&] { return t.stopping; });
    if (t.engines.empty()) {
      ++idle;
      continue;
    }
    idle = 0;
    // Under the lock: leave() cannot return while its engine is ticked.
    for (const auto &entry : t.engines)
      engine::tick(entry.first);
  }
}

} // namespace

void enter(wasm_engine_t *engine) {
  State &t = state();
  std::lock_guard<std::mutex> lock(t.mutex);
  ++t.engines[engine];
  if (!t.thread.joinable()) {
    t.stopping = false;
    t.sleeping = false;
    t.thread = std::thread(run);
  } else if (t.sleeping) {
    t.wake.notify_one();
  }
}

void leave(wasm_engine_t *engine) {
  State &t = state();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.engines.find(engine);
  if (it != t.engines.end() && --it->second == 0)
    t.engines.erase(it);
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
  std::lock_guard<std::mutex> lock(t.mutex);
  t.engines.clear();
}

} // namespace hb_beamr::slice_ticker
