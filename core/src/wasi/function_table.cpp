// Every wasi_snapshot_preview1 function, with its parameters and the
// handler that answers it. Functions a pipe or a process without a
// filesystem cannot perform get the errno a real system would give.
#include <algorithm>
#include <cstring>
#include <iterator>

#include "wasi/abi.hpp"
#include "wasi/state.hpp"

namespace hb_beamr::wasi_detail {

namespace {

// EBADF unless argument `FdIndex` is an open stdio fd, then `OnStdio`.
template <size_t FdIndex, uint16_t OnStdio>
Result<uint16_t> fd_only(WasiState &state, Call &call) {
  return fd_errno(state, call, FdIndex, OnStdio);
}

// stdio fds are not directories and hold no path rights.
constexpr auto path_at_0 = fd_only<0, wasi_abi::kNotcapable>;
constexpr auto not_seekable = fd_only<0, wasi_abi::kSpipe>;
constexpr auto not_socket = fd_only<0, wasi_abi::kNotsock>;

// Sorted by name for binary search.
const FunctionSpec kFunctions[] = {
    {"args_get", "pp", true, args_get},
    {"args_sizes_get", "pp", true, args_sizes_get},
    {"clock_res_get", "up", true, clock_res_get},
    {"clock_time_get", "uwp", true, clock_time_get},
    {"environ_get", "pp", true, environ_get},
    {"environ_sizes_get", "pp", true, environ_sizes_get},
    {"fd_advise", "uwwu", true, not_seekable},
    {"fd_allocate", "uww", true, not_seekable},
    {"fd_close", "u", true, fd_close},
    {"fd_datasync", "u", true, fd_only<0, wasi_abi::kInval>},
    {"fd_fdstat_get", "up", true, fd_fdstat_get},
    {"fd_fdstat_set_flags", "uu", true, fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "uww", true, fd_only<0, wasi_abi::kNotsup>},
    {"fd_filestat_get", "up", true, fd_filestat_get},
    {"fd_filestat_set_size", "uw", true, fd_only<0, wasi_abi::kInval>},
    {"fd_filestat_set_times", "uwwu", true, fd_only<0, wasi_abi::kNotsup>},
    {"fd_pread", "upswp", true, not_seekable},
    {"fd_prestat_dir_name", "ups", true, fd_prestat_get},
    {"fd_prestat_get", "up", true, fd_prestat_get},
    {"fd_pwrite", "upswp", true, not_seekable},
    {"fd_read", "upsp", true, fd_read},
    {"fd_readdir", "upswp", true, fd_only<0, wasi_abi::kNotdir>},
    {"fd_renumber", "uu", true, fd_renumber},
    {"fd_seek", "uwup", true, fd_seek},
    {"fd_sync", "u", true, fd_only<0, wasi_abi::kInval>},
    {"fd_tell", "up", true, fd_tell},
    {"fd_write", "upsp", true, fd_write},
    {"path_create_directory", "ups", true, path_at_0},
    {"path_filestat_get", "uupsp", true, path_at_0},
    {"path_filestat_set_times", "uupswwu", true, path_at_0},
    {"path_link", "uupsups", true, path_at_0},
    {"path_open", "uupsuwwup", true, path_at_0},
    {"path_readlink", "upspsp", true, path_at_0},
    {"path_remove_directory", "ups", true, path_at_0},
    {"path_rename", "upsups", true, path_at_0},
    {"path_symlink", "psups", true, fd_only<2, wasi_abi::kNotcapable>},
    {"path_unlink_file", "ups", true, path_at_0},
    {"poll_oneoff", "ppsp", true, poll_oneoff},
    {"proc_exit", "u", false, proc_exit},
    {"proc_raise", "u", true, proc_raise},
    {"random_get", "ps", true, random_get},
    {"sched_yield", "", true, sched_yield},
    {"sock_accept", "uup", true, not_socket},
    {"sock_recv", "upsupp", true, not_socket},
    {"sock_send", "upsup", true, not_socket},
    {"sock_shutdown", "uu", true, not_socket},
};

} // namespace

const FunctionSpec *find_function(std::string_view name) {
  auto end = std::end(kFunctions);
  auto it = std::lower_bound(std::begin(kFunctions), end, name,
                             [](const FunctionSpec &spec, std::string_view n) {
                               return std::string_view(spec.name) < n;
                             });
  return it != end && name == it->name ? it : nullptr;
}

FuncSig signature_of(const FunctionSpec &spec, bool is64) {
  FuncSig sig;
  for (const char *p = spec.params; *p != '\0'; ++p) {
    bool wide = *p == 'w' || ((*p == 'p' || *p == 's') && is64);
    sig.params.push_back(wide ? ValType::i64 : ValType::i32);
  }
  if (spec.returns_errno)
    sig.results.push_back(ValType::i32);
  return sig;
}

} // namespace hb_beamr::wasi_detail
