// The WAMR adapter's native and interpreter stacks.
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

// Lowest usable native stack address of this thread, 0 if unknown.
uintptr_t native_stack_low() {
  thread_local uintptr_t low = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
      return uintptr_t{0};
    void *addr = nullptr;
    size_t size = 0, guard = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
    return reinterpret_cast<uintptr_t>(addr) + guard;
  }();
  return low;
}

/// Returns the pages of `exec_env`'s interpreter stack that no call uses to
/// the kernel. WAMR has just zeroed them; afterwards they read as zeros
/// again, from fresh pages, on first use. Only whole pages inside the stack
/// are released, never the allocator's or WAMR's own data around it.
void release_free_stack(wasm_exec_env_t exec_env) {
  uint8_t *begin = nullptr, *end = nullptr;
  hb_beamr_wamr_free_stack(exec_env, &begin, &end);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0 || begin == nullptr || end <= begin)
    return;
  const uintptr_t page = static_cast<uintptr_t>(page_size);
  const uintptr_t from =
      (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  const uintptr_t to = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
  if (to > from)
    madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
}

bool native_stack_exhausted() {
  char probe;
  uintptr_t low = native_stack_low();
  return low != 0 &&
         reinterpret_cast<uintptr_t>(&probe) < low + kNativeStackReserve;
}

} // namespace hb_beamr::engine
