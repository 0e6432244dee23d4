// File descriptor functions on the three stdio fds, which are pipes to the
// host: fd 0 reads WasiOptions::stdin_data, fds 1 and 2 write to their
// sinks. No other fd is ever open.
#include <algorithm>
#include <string_view>
#include <vector>

#include "wasi/abi.hpp"
#include "wasi/state.hpp"

namespace hb_beamr::wasi_detail {

namespace {

// Guest bytes travel through a buffer of this size, so one call costs the
// host at most this much memory whatever the guest asks for.
constexpr uint64_t kPiece = 64 * 1024;

uint64_t rights_of(uint64_t fd) {
  uint64_t common = wasi_abi::kRightFdFdstatSetFlags |
                    wasi_abi::kRightFdFilestatGet |
                    wasi_abi::kRightPollFdReadwrite;
  return common | (fd == 0 ? wasi_abi::kRightFdRead : wasi_abi::kRightFdWrite);
}

// Feeds the iovecs' bytes to `stream` in pieces.
void copy_out(const GuestMemory &memory, const std::vector<Iovec> &iovecs,
              OutputStream &stream) {
  std::vector<char> piece;
  for (const Iovec &iov : iovecs) {
    for (uint64_t done = 0; done < iov.length; done += kPiece) {
      size_t n = static_cast<size_t>(std::min(kPiece, iov.length - done));
      piece.resize(n);
      memory.read(iov.address + done, piece.data(), n);
      stream.write(std::string_view(piece.data(), n));
    }
  }
}

} // namespace

uint16_t fd_errno(const WasiState &state, const Call &call, size_t fd_index,
                  uint16_t on_stdio) {
  return state.stdio_open(call.arg(fd_index)) ? on_stdio : wasi_abi::kBadf;
}

Result<uint16_t> fd_write(WasiState &state, Call &call) {
  const uint64_t fd = call.arg(0);
  if (!state.stdio_open(fd) || fd == 0)
    return wasi_abi::kBadf;
  std::vector<Iovec> iovecs;
  uint16_t status = call.memory.read_iovecs(call.arg(1), call.arg(2), iovecs);
  if (status != wasi_abi::kSuccess)
    return status;
  uint64_t total = 0;
  if (!total_length(iovecs, call.max_size(), &total))
    return wasi_abi::kInval; // as writev() when the sum overflows
  if (!call.memory.contains(call.arg(3), call.memory.word()))
    return wasi_abi::kFault;
  copy_out(call.memory, iovecs, fd == 1 ? state.out : state.err);
  call.memory.write_word(call.arg(3), total);
  return wasi_abi::kSuccess;
}

Result<uint16_t> fd_read(WasiState &state, Call &call) {
  const uint64_t fd = call.arg(0);
  if (!state.stdio_open(fd) || fd != 0)
    return wasi_abi::kBadf;
  std::vector<Iovec> iovecs;
  uint16_t status = call.memory.read_iovecs(call.arg(1), call.arg(2), iovecs);
  if (status != wasi_abi::kSuccess)
    return status;
  if (!call.memory.contains(call.arg(3), call.memory.word()))
    return wasi_abi::kFault;
  const std::string &input = state.options.stdin_data;
  uint64_t read = 0;
  for (const Iovec &iov : iovecs) {
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(iov.length, input.size() - state.stdin_offset));
    call.memory.write(iov.address, input.data() + state.stdin_offset, n);
    state.stdin_offset += n;
    read += n;
  }
  call.memory.write_word(call.arg(3), read);
  return wasi_abi::kSuccess;
}

Result<uint16_t> fd_close(WasiState &state, Call &call) {
  const uint64_t fd = call.arg(0);
  if (!state.stdio_open(fd))
    return wasi_abi::kBadf;
  state.closed[fd] = true;
  return wasi_abi::kSuccess;
}

Result<uint16_t> fd_seek(WasiState &state, Call &call) {
  return fd_errno(state, call, 0, wasi_abi::kSpipe);
}

Result<uint16_t> fd_tell(WasiState &state, Call &call) {
  return fd_errno(state, call, 0, wasi_abi::kSpipe);
}

Result<uint16_t> fd_fdstat_get(WasiState &state, Call &call) {
  const uint64_t fd = call.arg(0);
  if (!state.stdio_open(fd))
    return wasi_abi::kBadf;
  const uint64_t at = call.arg(1);
  uint8_t zeros[wasi_abi::kFdstatSize] = {};
  zeros[0] = wasi_abi::kFiletypeUnknown;
  if (!call.memory.write(at, zeros, sizeof zeros))
    return wasi_abi::kFault;
  call.memory.write_u16(at + 2, state.fdflags[fd]);
  call.memory.write_u64(at + 8, rights_of(fd));
  return wasi_abi::kSuccess;
}

Result<uint16_t> fd_fdstat_set_flags(WasiState &state, Call &call) {
  const uint64_t fd = call.arg(0);
  if (!state.stdio_open(fd))
    return wasi_abi::kBadf;
  const uint64_t flags = call.arg(1);
  if (flags & ~uint64_t{wasi_abi::kFdflagsAll})
    return wasi_abi::kInval;
  state.fdflags[fd] = static_cast<uint16_t>(flags);
  return wasi_abi::kSuccess;
}

Result<uint16_t> fd_filestat_get(WasiState &state, Call &call) {
  if (!state.stdio_open(call.arg(0)))
    return wasi_abi::kBadf;
  // A pipe: no device, inode, links, size or times.
  uint8_t stat[wasi_abi::kFilestatSize] = {};
  stat[wasi_abi::kFilestatFiletype] = wasi_abi::kFiletypeUnknown;
  return call.memory.write(call.arg(1), stat, sizeof stat) ? wasi_abi::kSuccess
                                                           : wasi_abi::kFault;
}

Result<uint16_t> fd_prestat_get(WasiState &, Call &) {
  // No preopened directories: wasi-libc scans from fd 3 until EBADF.
  return wasi_abi::kBadf;
}

Result<uint16_t> fd_renumber(WasiState &state, Call &call) {
  if (!state.stdio_open(call.arg(0)) || !state.stdio_open(call.arg(1)))
    return wasi_abi::kBadf;
  return wasi_abi::kNotsup; // stdio stays where the host put it
}

} // namespace hb_beamr::wasi_detail
