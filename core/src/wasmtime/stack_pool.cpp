// The Wasmtime adapter's pool of stacks for suspendable calls.
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "wasmtime/adapter.hpp"

namespace hb_beamr::engine {
namespace {

// Stacks for suspendable calls. Wasmtime runs each suspendable call on a
// stack of its own, and by default maps a fresh one for every call and
// unmaps it afterwards: a few microseconds of system calls per call, more
// than the call itself. This pool keeps a few freed stacks for the next
// calls. A stack is `size` usable bytes above one inaccessible guard page.
class StackPool {
public:
  struct Stack {
    uint8_t *base; // the guard page
    size_t size;   // usable bytes above it
    bool fresh;    // never used, so still zero
  };

  static StackPool &instance() {
    static StackPool *pool = new StackPool(); // process lifetime, see watchdog
    return *pool;
  }

  Stack *take(size_t size) {
    {
      Shard &shard = my_shard();
      std::lock_guard<std::mutex> lock(shard.mutex);
      for (auto it = shard.free.begin(); it != shard.free.end(); ++it)
        if ((*it)->size == size) {
          Stack *stack = *it;
          shard.free.erase(it);
          return stack;
        }
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    void *mem = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
      return nullptr;
    if (mprotect(mem, page, PROT_NONE) != 0) {
      munmap(mem, size + page);
      return nullptr;
    }
    auto *stack =
        new (std::nothrow) Stack{static_cast<uint8_t *>(mem), size, true};
    if (stack == nullptr)
      munmap(mem, size + page);
    return stack;
  }

  void give_back(Stack *stack) {
    stack->fresh = false;
    {
      Shard &shard = my_shard();
      std::lock_guard<std::mutex> lock(shard.mutex);
      if (shard.free.size() < kKeptPerShard) {
        shard.free.push_back(stack);
        return;
      }
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    munmap(stack->base, stack->size + page);
    delete stack;
  }

  // Called from Rust frames, which an exception must not unwind: a failure
  // to allocate (or lock) becomes the error Wasmtime expects.
  static wasmtime_error_t *new_stack(void *, size_t size, bool zeroed,
                                     wasmtime_stack_memory_t *out) noexcept {
    Stack *stack = nullptr;
    try {
      stack = instance().take(size);
    } catch (...) {
      stack = nullptr;
    }
    if (stack == nullptr)
      return wasmtime_error_new("cannot map a stack for a suspendable call");
    if (zeroed && !stack->fresh) {
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      // Anonymous private pages read as zero again after this.
      madvise(stack->base + page, stack->size, MADV_DONTNEED);
    }
    out->env = stack;
    out->get_stack_memory = &StackPool::memory_of;
    out->finalizer = &StackPool::release;
    return nullptr;
  }

private:
  // Calls on different threads (schedulers) mostly use different shards,
  // so their locks do not bounce between cores.
  static constexpr size_t kShards = 8;
  static constexpr size_t kKeptPerShard = 4;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::vector<Stack *> free;
  };
  Shard &my_shard() {
    const size_t h = std::hash<std::thread::id>()(std::this_thread::get_id());
    return shards_[h % kShards];
  }

  static uint8_t *memory_of(void *env, size_t *len) {
    auto *stack = static_cast<Stack *>(env);
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    *len = stack->size;
    return stack->base + page + stack->size; // the top: stacks grow down
  }
  static void release(void *env) noexcept {
    auto *stack = static_cast<Stack *>(env);
    try {
      instance().give_back(stack);
    } catch (...) {
      // Keeping it failed (no memory to list it): unmap it instead.
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      munmap(stack->base, stack->size + page);
      delete stack;
    }
  }

  Shard shards_[kShards];
};

} // namespace

void use_stack_pool(wasm_config_t *config) {
  wasmtime_stack_creator_t stacks{nullptr, &StackPool::new_stack, nullptr};
  wasmtime_config_host_stack_creator_set(config, &stacks);
}

} // namespace hb_beamr::engine
