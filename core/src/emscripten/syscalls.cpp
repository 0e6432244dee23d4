// The __syscall_* imports of a standalone emscripten build, answered as a
// process with no filesystem and no sockets would be: paths do not exist,
// the only fds are stdio (which are not terminals and cannot be
// duplicated), and what cannot be done is ENOSYS. Never a zero that the
// guest would take for success, except for fcntl on stdio, which succeeds.
#include <iterator>
#include <string_view>

#include "emscripten/state.hpp"

namespace hb_beamr::emscripten_detail {

namespace {

// Linux errno numbers, which emscripten's libc (musl) uses.
constexpr int kEnoent = 2;
constexpr int kEbadf = 9;
constexpr int kEinval = 22;
constexpr int kEmfile = 24;
constexpr int kEnotty = 25;
constexpr int kEnosys = 38;
constexpr int kEnotsock = 88;

// fcntl commands and open flags.
constexpr uint64_t kFGetfd = 1;
constexpr uint64_t kFSetfd = 2;
constexpr uint64_t kFGetfl = 3;
constexpr uint64_t kFSetfl = 4;
constexpr int64_t kOWronly = 1;

// How a syscall is answered when its first argument is an fd: what stdio
// gets (anything else is EBADF).
enum class Kind { path, fd, ioctl, dup, sock, fcntl };

struct SyscallSpec {
  const char *name; // without the __syscall_ prefix
  Kind kind;
  int stdio_errno;
};

// Sorted by name for binary search; unknown names get ENOSYS.
const SyscallSpec kSyscalls[] = {
    {"accept4", Kind::sock, kEnotsock},
    {"bind", Kind::sock, kEnotsock},
    {"chdir", Kind::path, kEnoent},
    {"chmod", Kind::path, kEnoent},
    {"connect", Kind::sock, kEnotsock},
    {"dup", Kind::dup, kEmfile},
    {"dup3", Kind::dup, kEmfile},
    {"faccessat", Kind::path, kEnoent},
    {"fadvise64", Kind::fd, kEinval},
    {"fallocate", Kind::fd, kEinval},
    {"fchdir", Kind::fd, kEnosys},
    {"fchmod", Kind::fd, kEnosys},
    {"fchmodat", Kind::path, kEnoent},
    {"fchown32", Kind::fd, kEnosys},
    {"fchownat", Kind::path, kEnoent},
    {"fcntl64", Kind::fcntl, kEinval},
    {"fdatasync", Kind::fd, kEinval},
    {"fstat64", Kind::fd, kEnosys},
    {"fstatfs64", Kind::fd, kEnosys},
    {"ftruncate64", Kind::fd, kEinval},
    {"getcwd", Kind::path, kEnoent},
    {"getdents64", Kind::fd, kEnosys},
    {"getpeername", Kind::sock, kEnotsock},
    {"getsockname", Kind::sock, kEnotsock},
    {"getsockopt", Kind::sock, kEnotsock},
    {"ioctl", Kind::ioctl, kEnotty},
    {"linkat", Kind::path, kEnoent},
    {"listen", Kind::sock, kEnotsock},
    {"lstat64", Kind::path, kEnoent},
    {"mkdirat", Kind::path, kEnoent},
    {"mknodat", Kind::path, kEnoent},
    {"newfstatat", Kind::path, kEnoent},
    {"openat", Kind::path, kEnoent},
    {"readlinkat", Kind::path, kEnoent},
    {"recvfrom", Kind::sock, kEnotsock},
    {"recvmsg", Kind::sock, kEnotsock},
    {"renameat", Kind::path, kEnoent},
    {"rmdir", Kind::path, kEnoent},
    {"sendmsg", Kind::sock, kEnotsock},
    {"sendto", Kind::sock, kEnotsock},
    {"setsockopt", Kind::sock, kEnotsock},
    {"shutdown", Kind::sock, kEnotsock},
    {"stat64", Kind::path, kEnoent},
    {"statfs64", Kind::path, kEnoent},
    {"symlink", Kind::path, kEnoent},
    {"symlinkat", Kind::path, kEnoent},
    {"truncate64", Kind::path, kEnoent},
    {"unlinkat", Kind::path, kEnoent},
    {"utimensat", Kind::path, kEnoent},
};

const SyscallSpec *find_syscall(std::string_view name) {
  const SyscallSpec *it = first_named(kSyscalls, name);
  return it != std::end(kSyscalls) && name == it->name ? it : nullptr;
}

// fcntl on stdio: flags can be read and set (nothing changes), other
// commands are EINVAL.
int64_t stdio_fcntl(uint64_t fd, uint64_t command) {
  switch (command) {
  case kFGetfd:
  case kFSetfd:
  case kFSetfl: return 0;
  case kFGetfl: return fd == 0 ? 0 : kOWronly;
  default: return -kEinval;
  }
}

int64_t answer(const SyscallSpec &spec, const Call &call) {
  const size_t params = call.import.func.params.size();
  if (spec.kind == Kind::path)
    return -spec.stdio_errno;
  if (params == 0)
    return -kEinval;
  // fds are C ints, passed as i32 whatever the pointer size.
  const int64_t fd = static_cast<int32_t>(call.arg(0));
  if (fd < 0 || fd > 2)
    return -kEbadf;
  if (spec.kind == Kind::fcntl)
    return params >= 2 ? stdio_fcntl(static_cast<uint64_t>(fd), call.arg(1))
                       : -kEinval;
  return -spec.stdio_errno;
}

} // namespace

Status syscall(Call &call) {
  constexpr std::string_view kPrefix = "__syscall_";
  const SyscallSpec *spec =
      find_syscall(std::string_view(call.import.name).substr(kPrefix.size()));
  call.result(spec == nullptr ? -kEnosys : answer(*spec, call));
  return {};
}

} // namespace hb_beamr::emscripten_detail
