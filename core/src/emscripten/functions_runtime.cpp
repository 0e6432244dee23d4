// The runtime imports that are not exceptions, time of day or syscalls:
// tempRet0, heap growth, memcpy, clocks, exit, abort and system().
#include <algorithm>
#include <chrono>
#include <string>

#include "emscripten/state.hpp"

namespace hb_beamr::emscripten_detail {

namespace {

constexpr uint64_t kPageBytes = 65536;

double milliseconds(std::chrono::nanoseconds since) {
  return static_cast<double>(since.count()) / 1e6;
}

} // namespace

Status get_temp_ret0(Call &call) {
  call.result(call.state.temp_ret0);
  return {};
}

Status set_temp_ret0(Call &call) {
  call.state.temp_ret0 = static_cast<int32_t>(call.sarg(0));
  return {};
}

// JS refreshes its views of memory here; the host reads memory through the
// context on every access, so there is nothing to refresh.
Status notify_memory_growth(Call &) { return {}; }

// Grows the default memory to at least the requested size: 1 on success, 0
// when the module's maximum or the context's limit does not allow it (the
// guest's malloc then returns NULL).
Status resize_heap(Call &call) {
  const uint64_t requested = call.arg(0);
  Result<uint64_t> size = call.context.memory_size();
  if (!size) {
    call.result(0);
    return {};
  }
  if (requested <= size.value()) {
    call.result(1);
    return {};
  }
  const uint64_t missing = requested - size.value();
  const uint64_t pages = missing / kPageBytes + (missing % kPageBytes != 0);
  call.result(call.context.memory_grow(pages) ? 1 : 0);
  return {};
}

// memmove within guest memory; a range outside it traps, as JS's
// copyWithin on a too-small heap would throw. Copied in bounded pieces, so
// that the host never holds a second copy of a large region, in the
// direction that keeps overlapping bytes intact.
Status memcpy_js(Call &call) {
  const uint64_t dest = call.arg(0);
  const uint64_t src = call.arg(1);
  const uint64_t count = call.arg(2);
  if (!call.memory.contains(dest, count) || !call.memory.contains(src, count))
    return fault(call, "memcpy range");
  char piece[kPageBytes];
  const bool forward = dest <= src;
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min<uint64_t>(sizeof piece, count - done);
    const uint64_t at = forward ? done : count - done - n;
    if (!call.memory.read(src + at, piece, n) ||
        !call.memory.write(dest + at, piece, n))
      return fault(call, "memcpy range");
    done += n;
  }
  call.result(static_cast<int64_t>(dest));
  return {};
}

Status date_now(Call &call) {
  call.result_f64(
      milliseconds(std::chrono::system_clock::now().time_since_epoch()));
  return {};
}

Status get_now(Call &call) {
  call.result_f64(
      milliseconds(std::chrono::steady_clock::now().time_since_epoch()));
  return {};
}

Status get_now_is_monotonic(Call &call) {
  call.result(1);
  return {};
}

// Like WASI's proc_exit: the code is kept and the call that made it traps,
// leaving the context TRAPPED but usable.
Status exit(Call &call) {
  const int32_t code = static_cast<int32_t>(call.sarg(0));
  call.state.exit_code = code;
  return make_error(ErrorKind::trap, "exit(" + std::to_string(code) + ")");
}

Status abort(Call &call) {
  return make_error(ErrorKind::trap,
                    "Aborted(): the module called " + call.import.name);
}

// No shell: system(NULL) learns that none is available, and any command
// fails.
Status system(Call &call) {
  call.result(call.arg(0) == 0 ? 0 : -1);
  return {};
}

} // namespace hb_beamr::emscripten_detail
