// Emscripten's runtime imports ("env") answered in C++: invoke_* with C++
// exceptions and longjmp as emscripten's JS glue handles them, the __cxa_*
// helpers, time, heap growth, exit/abort, and the __syscall_* family of a
// process with no filesystem; for wasm32 and wasm64 guests, on any engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/result.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr {

/// The provider's private state (defined in core/src/emscripten/state.hpp).
struct EmscriptenState;

/// The emscripten runtime provider of one instance.
///
/// Answers the "env" function imports that emscripten's JS library would
/// answer for a module built with JS-style exceptions (-fexceptions) and
/// setjmp/longjmp, matched by name and checked by signature (the wasm32 or
/// the wasm64 form). Anything else is not covered and is left to the
/// caller's other host functions (e.g. a Wasi provider for
/// wasi_snapshot_preview1).
///
/// invoke_<sig>(index, args...) calls the function-table entry `index` as a
/// call nested in the import, after saving the stack pointer through the
/// module's exports (stackSave / stackRestore, or emscripten_stack_get_current
/// / _emscripten_stack_restore). When that nested call is unwound by a C++
/// throw or a longjmp this provider raised (__cxa_throw, __cxa_rethrow,
/// __resumeException, _emscripten_throw_longjmp), the stack pointer is
/// restored and the module's setThrew(1, 0) export is called, and invoke
/// returns zeros; the module's own code then dispatches to its catch or
/// setjmp site. Every other failure of the nested call (a trap, exit, abort,
/// a timeout) propagates unchanged.
///
/// Time is UTC (no time zone database): localtime is gmtime. exit(code)
/// records exit_code() and traps "exit(N)"; abort traps. __syscall_* answer
/// with the negative errno of a process without files (-ENOENT for paths,
/// -EBADF for fds past stdio, -ENOTTY for ioctl, -ENOSYS otherwise).
///
/// Not thread-safe: only whoever runs the instance may use it. Movable; the
/// bindings() it returned follow the state, which must outlive the context's
/// calls.
class Emscripten {
public:
  /// A provider with no exception in flight and no exit code.
  Emscripten();
  /// The bindings it gave must no longer be called.
  ~Emscripten();
  /// Moves take the state with them (bindings follow it); the moved-from
  /// provider may only be destroyed or assigned to.
  Emscripten(Emscripten &&) noexcept;
  Emscripten &operator=(Emscripten &&) noexcept;
  Emscripten(const Emscripten &) = delete;
  Emscripten &operator=(const Emscripten &) = delete;

  /// Whether `import` is an "env" function this provider answers, with a
  /// signature it accepts.
  bool covers(const ExternDesc &import) const;

  /// Answers one call of a covered import for a context whose call is
  /// suspended on it (Context::instantiate_suspending): `args` holds its
  /// parameters, `results` receives its results. invoke_* runs its nested
  /// call with start_call_indirect()/resume() to its end; imports that call
  /// reaches are answered by this provider when it covers them, else by
  /// `other` (e.g. a Wasi provider's answer), else they trap naming the
  /// import. Fails with invalid_argument for an import it does not cover,
  /// and with `trap` for throws, longjmps, exit and abort (the caller
  /// rejects the import with the message, as with any failed answer).
  Status answer(Context &context, const ExternDesc &import,
                const wasm_val_t *args, wasm_val_t *results,
                const HostFunction &other = {});

  /// A HostFunction for each covered function import in `imports` (e.g.
  /// Context::imports()), for Context::instantiate (blocking calls:
  /// invoke_* nests with Context::call_indirect). They refer to this
  /// provider's state, which must outlive the context's calls.
  std::vector<ImportBinding> bindings(const std::vector<ExternDesc> &imports);

  /// The code the guest passed to exit(), once it has.
  std::optional<int32_t> exit_code() const;

  /// C++ exceptions thrown and not yet caught (std::uncaught_exceptions()
  /// as the guest sees it).
  uint32_t uncaught_exceptions() const;

private:
  std::unique_ptr<EmscriptenState> state_;
};

} // namespace hb_beamr
