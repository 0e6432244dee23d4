// WASI preview 1 (wasi_snapshot_preview1) answered in C++: arguments,
// environment, clocks, random bytes, stdio piped to and from the host, and
// proc_exit, for wasm32 and wasm64 guests, on any engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/result.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr {

/// One of the guest's two output streams (file descriptors 1 and 2).
enum class Stream { out, err };

/// Where one output stream's bytes go.
struct OutputSink {
  /// What happens to the bytes.
  enum class Mode {
    /// Kept in the provider, up to WasiOptions::output_limit bytes (the newest
    /// ones); Wasi::take_output() drains them.
    capture,
    /// Dropped without being counted; the guest still sees them written.
    discard,
    /// Handed to `callback` as they are written, in order, in pieces of at
    /// most 64 KiB. Nothing is kept and nothing is dropped.
    callback,
  };
  /// How this stream is handled; capture unless set.
  Mode mode = Mode::capture;
  /// Runs on the thread running the guest, inside its fd_write. It must not
  /// throw or call into the guest's context.
  std::function<void(std::string_view)> callback;

  /// The default: keep the bytes for Wasi::take_output().
  static OutputSink capture() { return {}; }
  /// Drop the bytes.
  static OutputSink discard() { return {Mode::discard, {}}; }
  /// Hand the bytes to `callback` (see `callback` for its rules).
  static OutputSink to(std::function<void(std::string_view)> callback) {
    return {Mode::callback, std::move(callback)};
  }
};

/// What a guest sees of its process. Copied into the provider at creation.
struct WasiOptions {
  /// Default bound of each captured stream: 1 MiB.
  static constexpr size_t kDefaultOutputLimit = size_t{1} << 20;

  /// argv, program name included (the guest sees exactly these strings).
  std::vector<std::string> args;
  /// Environment as (name, value) pairs; the guest sees "name=value".
  std::vector<std::pair<std::string, std::string>> env;
  /// Everything the guest can read from fd 0; then end of file.
  std::string stdin_data;
  /// Where fd 1 and fd 2 go; both captured by default.
  OutputSink stdout_sink;
  OutputSink stderr_sink;
  /// Most bytes each captured stream keeps. Past it the oldest bytes are
  /// dropped and counted (Wasi::dropped_bytes()); 0 keeps nothing.
  size_t output_limit = kDefaultOutputLimit;
  /// random_get returns the SplitMix64 sequence of `seed` (each 64-bit output
  /// little-endian) instead of the OS's entropy, so that runs replay. Also on
  /// when the calling context was created with ContextOptions::deterministic.
  /// Each random_get starts at the next 64-bit output, so the bytes depend on
  /// how the guest splits its requests. Clocks stay real either way.
  bool deterministic = false;
  /// The SplitMix64 seed of deterministic random_get.
  uint64_t seed = 0;
};

/// The provider's private state (defined in core/src/wasi/state.hpp).
struct WasiState;

/// The WASI preview 1 provider of one instance.
///
/// Answers the wasi_snapshot_preview1 function imports whose signature is the
/// wasm32 form (pointers and sizes i32) or the wasm64 form (pointers and sizes
/// i64; iovecs {u64 buf, u64 len}). Unknown names and other signatures are
/// not covered and are left to the caller's other host functions.
///
/// No filesystem: there are no preopened directories, fds 0-2 are the only
/// open fds, and every other fd is EBADF. Guest pointers are checked against
/// memory: a bad one is EFAULT, and nothing has been written then. Functions
/// it cannot perform return their errno (ENOSYS, ENOTSUP, ESPIPE, ...), never
/// a success they did not have.
///
/// poll_oneoff (which wasi-libc's sleep() uses) waits for realtime and
/// monotonic clock subscriptions by sleeping on the thread running the guest,
/// as a process would, but never past the context's call deadline: it then
/// returns with no event and the call fails with `timeout`. interrupt() takes
/// effect only once it returns. CPU-time clock subscriptions get ENOTSUP; fd 0
/// is always readable and fds 1-2 always writable.
///
/// Not thread-safe: only whoever runs the instance may use it, between calls
/// or from inside them. Movable; the bindings() it returned stay valid across
/// moves, as long as the provider (wherever it was moved) outlives every
/// call of the context they were given to.
class Wasi {
public:
  /// A provider whose guest sees `options`: nothing has been read or written
  /// yet, no fd is closed and there is no exit code.
  explicit Wasi(WasiOptions options = {});
  /// Frees the captures; the bindings it gave must no longer be called.
  ~Wasi();
  /// Moves take the state with them (bindings follow it); the moved-from
  /// provider may only be destroyed or assigned to.
  Wasi(Wasi &&) noexcept;
  Wasi &operator=(Wasi &&) noexcept;
  Wasi(const Wasi &) = delete;
  Wasi &operator=(const Wasi &) = delete;

  /// Whether `import` is a wasi_snapshot_preview1 function this provider
  /// answers, with the wasm32 or the wasm64 signature.
  bool covers(const ExternDesc &import) const;

  /// Answers one call of a covered import: `args` holds its parameters and
  /// `results` receives its errno (i32; nothing for proc_exit). The guest's
  /// memory is the context's default memory. Fails with invalid_argument for
  /// an import it does not cover, and with `trap` "proc_exit(N)" for
  /// proc_exit, after setting exit_code(): the call that made it traps, and
  /// the context is left TRAPPED but usable, its memory and globals as the
  /// program left them (calling its exports again is allowed; the program
  /// itself expected to be gone).
  Status answer(Context &context, const ExternDesc &import,
                const wasm_val_t *args, wasm_val_t *results);

  /// A HostFunction for each covered function import in `imports` (e.g.
  /// Context::imports()), for Context::instantiate. They refer to this
  /// provider's state, which must outlive the context's calls.
  std::vector<ImportBinding> bindings(const std::vector<ExternDesc> &imports);

  /// Drains what `stream` captured so far (empty unless it is in capture
  /// mode).
  std::string take_output(Stream stream);
  /// Bytes a captured stream dropped past output_limit since the provider
  /// was made (not reset by take_output()).
  uint64_t dropped_bytes(Stream stream) const;

  /// The code the guest passed to proc_exit, once it has; nullopt while it
  /// has not (a wasi-libc main() returning 0 never calls proc_exit).
  std::optional<uint32_t> exit_code() const;

private:
  std::unique_ptr<WasiState> state_;
};

} // namespace hb_beamr
