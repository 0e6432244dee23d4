// The driver's side of the built-in import providers: the imports an
// instance's providers cover are answered here, in C++, on whichever thread
// runs the call (a scheduler on the fast path, or the instance thread), and
// never reach the import function in Erlang. Today the one provider is WASI
// preview 1 (hb_beamr::Wasi); another (emscripten's runtime) is meant to
// sit next to it: covers() asks each in turn, answer() hands the import to
// the first that covers it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/wasi.hpp"
#include "commands.hpp"
#include "link.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {

/// The providers of one instance, made from its init's options. Not
/// thread-safe: used only by whoever holds the instance (the instance thread,
/// or the fast path while it has borrowed it), like the context itself.
/// Must outlive every call of the context it answers for.
class HostImports {
public:
  /// The providers `init` asks for (null if none). A `send` output mode
  /// sends {Port, hb_beamr_output, {stdout | stderr, Bytes}} through `link`
  /// to the port's owner, which forwards it to the pid the user named.
  static std::unique_ptr<HostImports> create(const cmd::Init &init, Link &link);

  /// Whether a provider answers `import` (a function import of the module).
  bool covers(const ExternDesc &import) const;

  /// Answers one call of a covered import: fills `results` (sized to the
  /// import's results), or fails with the error the import must trap with.
  /// A proc_exit is remembered for take_exit().
  Status answer(Context &context, const ExternDesc &import,
                const wasm_val_t *args, wasm_val_t *results);

  /// The same for a call suspended on it: answers the context's pending
  /// import (which must be covered), resolving or rejecting it.
  void answer_pending(Context &context);

  /// A binding for each covered function import of `context` (for an
  /// engine that cannot suspend calls: its imports are host functions).
  std::vector<ImportBinding> bindings(Context &context);

  /// The exit code of a proc_exit since the last take_exit(), once: the
  /// call that failed because of it reports {error, {exit, Code}}.
  std::optional<uint32_t> take_exit();
  /// Forgets an exit not taken (when a new outermost call starts).
  void clear_exit() { exit_.reset(); }

  /// Drains a captured stream; empty for the other modes.
  std::string take_output(bool stderr_stream);

private:
  std::optional<Wasi> wasi_;
  std::optional<uint32_t> exit_;
};

/// Replies to a failed call: {error, {exit, Code}} if it failed because
/// the guest called proc_exit, else as reply_call_failure().
void reply_host_call_failure(HostImports *host, const Error &error,
                             ReplySink &sink);

} // namespace hb_beamr::driver
