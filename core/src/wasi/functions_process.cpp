// Process-level preview 1 functions: argv, environ, random_get, sched_yield,
// proc_exit and proc_raise.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <sys/random.h> // getentropy, on Linux and macOS alike

#include "wasi/abi.hpp"
#include "wasi/state.hpp"

namespace hb_beamr::wasi_detail {

namespace {

std::vector<std::string> environment(const WasiState &state) {
  std::vector<std::string> list;
  list.reserve(state.options.env.size());
  for (const auto &[name, value] : state.options.env)
    list.push_back(name + "=" + value);
  return list;
}

// Bytes of the strings with their NUL terminators.
uint64_t buffer_size(const std::vector<std::string> &list) {
  uint64_t total = 0;
  for (const std::string &s : list)
    total += s.size() + 1;
  return total;
}

// *_sizes_get: the count at argument 0, the buffer size at argument 1.
uint16_t sizes_get(const std::vector<std::string> &list, Call &call) {
  uint64_t total = buffer_size(list);
  if (list.size() > call.max_size() || total > call.max_size())
    return wasi_abi::k2Big;
  GuestMemory &memory = call.memory;
  if (!memory.contains(call.arg(0), memory.word()) ||
      !memory.contains(call.arg(1), memory.word()))
    return wasi_abi::kFault;
  memory.write_word(call.arg(0), list.size());
  memory.write_word(call.arg(1), total);
  return wasi_abi::kSuccess;
}

// *_get: a pointer per string in the array at argument 0, pointing at the
// NUL-terminated strings laid out back to back in the buffer at argument 1.
uint16_t strings_get(const std::vector<std::string> &list, Call &call) {
  GuestMemory &memory = call.memory;
  const uint64_t array = call.arg(0);
  const uint64_t buffer = call.arg(1);
  uint64_t total = buffer_size(list);
  // Both regions are checked before anything is written.
  if (list.size() > call.max_size() || total > call.max_size() ||
      !memory.contains(array, list.size() * memory.word()) ||
      !memory.contains(buffer, total))
    return wasi_abi::kFault;
  uint64_t offset = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    memory.write_word(array + i * memory.word(), buffer + offset);
    memory.write(buffer + offset, list[i].c_str(), list[i].size() + 1);
    offset += list[i].size() + 1;
  }
  return wasi_abi::kSuccess;
}

// SplitMix64: tiny, well known and fully determined by its seed, which is
// what replay needs (not cryptographic strength).
uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void deterministic_bytes(uint64_t &state, uint8_t *out, size_t length) {
  for (size_t i = 0; i < length; i += 8) {
    uint64_t word = splitmix64(state);
    for (size_t b = 0; b < 8 && i + b < length; ++b)
      out[i + b] = static_cast<uint8_t>(word >> (8 * b));
  }
}

bool os_bytes(uint8_t *out, size_t length) {
  // getentropy() gives at most 256 bytes per call.
  for (size_t i = 0; i < length; i += 256) {
    size_t piece = length - i < 256 ? length - i : 256;
    if (getentropy(out + i, piece) != 0)
      return false;
  }
  return true;
}

} // namespace

Result<uint16_t> args_sizes_get(WasiState &state, Call &call) {
  return sizes_get(state.options.args, call);
}

Result<uint16_t> args_get(WasiState &state, Call &call) {
  return strings_get(state.options.args, call);
}

Result<uint16_t> environ_sizes_get(WasiState &state, Call &call) {
  return sizes_get(environment(state), call);
}

Result<uint16_t> environ_get(WasiState &state, Call &call) {
  return strings_get(environment(state), call);
}

Result<uint16_t> random_get(WasiState &state, Call &call) {
  const uint64_t buffer = call.arg(0);
  const uint64_t length = call.arg(1);
  if (!call.memory.contains(buffer, length))
    return wasi_abi::kFault;
  const bool deterministic =
      state.options.deterministic || call.context.options().deterministic;
  // In pieces, so a large request costs little host memory.
  std::vector<uint8_t> piece(
      static_cast<size_t>(std::min<uint64_t>(length, 64 * 1024)));
  for (uint64_t done = 0; done < length; done += piece.size()) {
    size_t n =
        static_cast<size_t>(std::min<uint64_t>(piece.size(), length - done));
    if (deterministic)
      deterministic_bytes(state.random_state, piece.data(), n);
    else if (!os_bytes(piece.data(), n))
      return wasi_abi::kIo;
    call.memory.write(buffer + done, piece.data(), n);
  }
  return wasi_abi::kSuccess;
}

Result<uint16_t> sched_yield(WasiState &, Call &) {
  std::this_thread::yield();
  return wasi_abi::kSuccess;
}

Result<uint16_t> proc_exit(WasiState &state, Call &call) {
  uint32_t code = static_cast<uint32_t>(call.arg(0));
  state.exit_code = code;
  // A trap is the only way to stop the guest from inside an import; the
  // message names the code so a caller without the provider still sees it.
  return make_error(ErrorKind::trap, "proc_exit(" + std::to_string(code) + ")");
}

Result<uint16_t> proc_raise(WasiState &, Call &) {
  // Signals do not exist for the guest (wasi-libc no longer calls this).
  return wasi_abi::kNosys;
}

} // namespace hb_beamr::wasi_detail
