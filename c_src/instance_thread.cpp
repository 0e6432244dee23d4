// Starting, stopping and reaping instance threads; what they run is in
// thread_executor.cpp. See instance_thread.hpp.
#include "instance_thread.hpp"

#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"
#include "thread_executor.hpp"

namespace hb_beamr::driver {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Stack of an instance thread. Wasmtime runs WebAssembly on the calling
// thread's stack (512 KiB of it by default, max_stack if set), and the host
// needs its own share on top: the thread gets max(8 MiB, max_stack + 2 MiB).
// Only the pages a call touches become resident.
constexpr uint64_t kDefaultStackBytes = 8 * kMiB;
constexpr uint64_t kHostStackBytes = 2 * kMiB;
// ERTS gives a driver thread at most 64 MiB of stack (on 64-bit).
constexpr uint64_t kMaxThreadStackBytes = 64 * kMiB;
constexpr uint64_t kMaxWasmStackBytes = wire::kMaxStackBytes;
static_assert(kMaxWasmStackBytes == kMaxThreadStackBytes - kHostStackBytes,
              "max_stack is what a driver thread's stack leaves the host");
// How long stop() waits for a busy thread, interrupting it meanwhile, before
// leaving it to finish on its own. Interrupted WebAssembly stops within
// microseconds; work that cannot be interrupted (a compile) may run for
// seconds, and stop runs on a scheduler, so this is only long enough for the
// interruptible case: a thread still busy after it is orphaned, not waited
// for.
constexpr auto kStopGrace = std::chrono::milliseconds(5);
constexpr auto kStopPoll = std::chrono::microseconds(100);
// Instance threads run at the lowest priority (nice 19): a spinning call then
// takes a core only while no scheduler wants it, so long calls cannot starve
// the VM (README, Reliability).
constexpr int kInstanceNice = 19;

using Clock = std::chrono::steady_clock;

// A thread left running by stop(), with what is needed to interrupt it again.
struct Orphan {
  std::shared_ptr<ThreadRecord> record;
  std::shared_ptr<Shared> shared;
};

struct Registry {
  DrvMutex mutex{"hb_beamr_threads"};
  std::vector<Orphan> orphans;
};
Registry *registry = nullptr;
std::atomic<size_t> live{0};

void join(ThreadRecord &record) {
  void *ignored = nullptr;
  erl_drv_thread_join(record.tid, &ignored);
}

struct ThreadStart {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<ThreadRecord> record;
};

// Best effort: a failure leaves the thread at the VM's priority, which is
// slower for the VM but not wrong.
void lower_priority() {
#ifdef __linux__
  // On Linux a thread id names one thread, so only this thread is lowered.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, tid, kInstanceNice);
#endif
}

void *thread_main(void *arg) {
  std::unique_ptr<ThreadStart> start(static_cast<ThreadStart *>(arg));
  lower_priority();
  try {
    // Engine set-up for this thread (WAMR keeps per-thread state); it
    // outlives the executor, which destroys the context.
    runtime::ThreadEnv engine_env;
    run_instance_thread(*start->shared);
  } catch (...) {
    // Out of memory inside the executor: the instance is lost, the VM is not.
    start->shared->link.close();
    start->shared->session.close();
  }
  std::shared_ptr<ThreadRecord> record = std::move(start->record);
  start.reset();
  --live;
  record->finished.store(true, std::memory_order_release);
  return nullptr;
}

} // namespace

// ---- Interruptor -----------------------------------------------------------

void Interruptor::attach(Context *context) {
  DrvLock lock(mutex_);
  context_ = context;
  if (context_ != nullptr && interrupted_)
    context_->interrupt();
}

void Interruptor::interrupt() {
  DrvLock lock(mutex_);
  interrupted_ = true;
  if (context_ != nullptr)
    context_->interrupt(); // thread-safe in the core
}

// ---- InstanceThread --------------------------------------------------------

InstanceThread::InstanceThread(std::shared_ptr<Shared> shared,
                               std::shared_ptr<ThreadRecord> record)
    : shared_(std::move(shared)), record_(std::move(record)) {}

InstanceThread::~InstanceThread() {
  if (!stopped_)
    (void)stop();
}

std::unique_ptr<InstanceThread> InstanceThread::create(ErlDrvTermData port,
                                                       ErlDrvTermData owner) {
  auto shared = std::make_shared<Shared>(port, owner);
  auto record = std::make_shared<ThreadRecord>();
  return std::unique_ptr<InstanceThread>(
      new InstanceThread(std::move(shared), std::move(record)));
}

bool InstanceThread::start_thread(const Command &first) {
  uint64_t stack = kDefaultStackBytes;
  if (const auto *init = first.as<cmd::Init>()) {
    const uint64_t wasm_stack = init->options.max_stack_bytes;
    if (wasm_stack > kMaxWasmStackBytes) {
      TermBuffer term;
      encode_core_error(
          term, make_error(ErrorKind::invalid_argument,
                           "max_stack may be at most " +
                               std::to_string(kMaxWasmStackBytes) + " bytes"));
      shared_->link.send(first.tag, term);
      return false;
    }
    stack = std::max(stack, wasm_stack + kHostStackBytes);
  }
  auto start = std::make_unique<ThreadStart>(ThreadStart{shared_, record_});
  ErlDrvThreadOpts *opts =
      erl_drv_thread_opts_create(const_cast<char *>("hb_beamr"));
  int rc = -1;
  if (opts != nullptr) {
    // In kilowords, rounded up.
    const uint64_t kiloword = 1024 * sizeof(void *);
    opts->suggested_stack_size =
        static_cast<int>((stack + kiloword - 1) / kiloword);
    ++live;
    rc = erl_drv_thread_create(const_cast<char *>("hb_beamr_instance"),
                               &record_->tid, thread_main, start.get(), opts);
    erl_drv_thread_opts_destroy(opts);
    if (rc != 0)
      --live;
  }
  if (rc != 0) {
    TermBuffer term;
    encode_core_error(term, make_error(ErrorKind::allocation,
                                       "cannot create the instance thread"));
    shared_->link.send(first.tag, term);
    return false;
  }
  (void)start.release(); // the thread owns it now
  started_ = true;
  stack_bytes_ = stack;
  return true;
}

void InstanceThread::post(Command &&command) {
  if (!started_ && !stopped_ && !start_thread(command))
    return;
  const auto *init = command.as<cmd::Init>();
  if (started_ && init != nullptr &&
      init->options.max_stack_bytes > stack_bytes_ - kHostStackBytes) {
    // The thread's stack is fixed: it would not hold this much WebAssembly.
    TermBuffer term;
    encode_core_error(
        term,
        make_error(ErrorKind::invalid_argument,
                   "max_stack needs init to be the port's first command"));
    shared_->link.send(command.tag, term);
    return;
  }
  const Tag tag = command.tag;
  if (!shared_->session.push(std::move(command))) {
    TermBuffer term;
    encode_error_atom(term, "stopped");
    shared_->link.send(tag, term);
  }
}

bool InstanceThread::stop() {
  stopped_ = true;
  shared_->link.close();
  const bool busy = shared_->session.close();
  if (!started_)
    return true;
  shared_->interruptor.interrupt();
  if (busy) {
    const auto deadline = Clock::now() + kStopGrace;
    while (!record_->finished.load(std::memory_order_acquire) &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(kStopPoll);
      // Again: an instance whose store was being made during the first
      // interrupt may have missed it.
      shared_->interruptor.interrupt();
    }
    if (!record_->finished.load(std::memory_order_acquire)) {
      DrvLock lock(registry->mutex);
      registry->orphans.push_back(Orphan{record_, shared_});
      return false;
    }
  }
  join(*record_);
  return true;
}

// ---- Registry --------------------------------------------------------------

bool threads_init() {
  if (registry != nullptr)
    return true;
  try {
    registry = new Registry();
  } catch (...) {
    return false;
  }
  return true;
}

void threads_finish() {
  if (registry == nullptr)
    return;
  {
    DrvLock lock(registry->mutex);
    // The driver is only unloaded once every orphan has finished (stop()
    // locks the driver otherwise), so these joins do not wait long.
    for (const Orphan &orphan : registry->orphans)
      join(*orphan.record);
    registry->orphans.clear();
  }
  delete registry;
  registry = nullptr;
}

void reap_threads() {
  if (registry == nullptr)
    return;
  DrvLock lock(registry->mutex);
  auto &orphans = registry->orphans;
  for (auto it = orphans.begin(); it != orphans.end();) {
    if (it->record->finished.load(std::memory_order_acquire)) {
      join(*it->record);
      it = orphans.erase(it);
    } else {
      it->shared->interruptor.interrupt();
      ++it;
    }
  }
}

size_t live_threads() { return live.load(); }

} // namespace hb_beamr::driver
