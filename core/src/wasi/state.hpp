// The provider's private state and the shape of its function handlers: one
// handler per preview 1 function, looked up by name in function_table.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/wasi.hpp"
#include "wasi/guest_memory.hpp"
#include "wasi/output_stream.hpp"

namespace hb_beamr {

/// Everything one provider keeps between calls. Owned by Wasi through a
/// unique_ptr, so its address (which bindings capture) survives moves.
struct WasiState {
  explicit WasiState(WasiOptions opts)
      : options(std::move(opts)),
        out(std::move(options.stdout_sink), options.output_limit),
        err(std::move(options.stderr_sink), options.output_limit),
        random_state(options.seed) {}

  WasiOptions options;
  wasi_detail::OutputStream out;
  wasi_detail::OutputStream err;
  size_t stdin_offset = 0;
  // fds 0-2: whether the guest closed them, and the fdflags it set.
  bool closed[3] = {false, false, false};
  uint16_t fdflags[3] = {0, 0, 0};
  std::optional<uint32_t> exit_code;
  // SplitMix64 state for deterministic random_get.
  uint64_t random_state;

  /// Whether `fd` is one of the stdio fds and still open.
  bool stdio_open(uint64_t fd) const { return fd < 3 && !closed[fd]; }
};

namespace wasi_detail {

/// One call as a handler sees it: its arguments, widened, and the memory.
struct Call {
  Context &context;
  GuestMemory &memory;
  const wasm_val_t *args;

  /// Argument `i` as an unsigned 64-bit number (i32 zero-extended), whatever
  /// its wasm type: pointers, sizes, fds and flags alike.
  uint64_t arg(size_t i) const {
    return args[i].kind == WASM_I64
               ? static_cast<uint64_t>(args[i].of.i64)
               : uint64_t{static_cast<uint32_t>(args[i].of.i32)};
  }
  /// Largest size the guest can be told (UINT32_MAX on wasm32).
  uint64_t max_size() const {
    return memory.is64() ? UINT64_MAX : uint64_t{UINT32_MAX};
  }
};

/// A handler returns the errno to give the guest, or an Error to trap with
/// (only proc_exit does).
using Handler = Result<uint16_t> (*)(WasiState &, Call &);

/// A preview 1 function: its name, its parameters as letters (u: u32 or
/// other 32-bit value, w: u64, p: pointer, s: size; p and s are i32 on
/// wasm32 and i64 on wasm64), whether it returns an errno, and its handler.
struct FunctionSpec {
  const char *name;
  const char *params;
  bool returns_errno;
  Handler handler;
};

/// The spec of `name`, or null if the provider does not know it.
const FunctionSpec *find_function(std::string_view name);

/// The function's signature for a 32-bit or a 64-bit guest.
FuncSig signature_of(const FunctionSpec &spec, bool is64);

// Handlers, by file.
// functions_process.cpp
Result<uint16_t> args_get(WasiState &, Call &);
Result<uint16_t> args_sizes_get(WasiState &, Call &);
Result<uint16_t> environ_get(WasiState &, Call &);
Result<uint16_t> environ_sizes_get(WasiState &, Call &);
Result<uint16_t> random_get(WasiState &, Call &);
Result<uint16_t> sched_yield(WasiState &, Call &);
Result<uint16_t> proc_exit(WasiState &, Call &);
Result<uint16_t> proc_raise(WasiState &, Call &);
// functions_clock.cpp
Result<uint16_t> clock_res_get(WasiState &, Call &);
Result<uint16_t> clock_time_get(WasiState &, Call &);
Result<uint16_t> poll_oneoff(WasiState &, Call &);
// functions_fd.cpp
Result<uint16_t> fd_write(WasiState &, Call &);
Result<uint16_t> fd_read(WasiState &, Call &);
Result<uint16_t> fd_close(WasiState &, Call &);
Result<uint16_t> fd_seek(WasiState &, Call &);
Result<uint16_t> fd_tell(WasiState &, Call &);
Result<uint16_t> fd_fdstat_get(WasiState &, Call &);
Result<uint16_t> fd_fdstat_set_flags(WasiState &, Call &);
Result<uint16_t> fd_filestat_get(WasiState &, Call &);
Result<uint16_t> fd_prestat_get(WasiState &, Call &);
Result<uint16_t> fd_renumber(WasiState &, Call &);

/// The errno an fd-only operation gets: EBADF unless argument `fd_index` is
/// an open stdio fd, and then `on_stdio`. Used for the functions a pipe
/// cannot do (seek-like ESPIPE, path_* ENOTCAPABLE, sock_* ENOTSOCK, ...).
uint16_t fd_errno(const WasiState &state, const Call &call, size_t fd_index,
                  uint16_t on_stdio);

} // namespace wasi_detail
} // namespace hb_beamr
