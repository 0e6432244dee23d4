// Commands that act on an instance's Context, shared by the instance thread
// (instance_thread.hpp) and the fast path (fast_path.hpp): preparing a call,
// the replies to calls, and the memory commands. Each replies through a
// ReplySink, so the same code answers by message or by port_control.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {

/// Where the reply to one command goes.
class ReplySink {
public:
  virtual ~ReplySink() = default;
  /// The whole reply, as a term.
  virtual void term(const TermBuffer &reply) = 0;
  /// {ok, Binary} with `size` bytes from `data`.
  virtual void ok_binary(const uint8_t *data, size_t size) = 0;
};

/// Replies {error, Reason} for an atom reason.
void reply_error(ReplySink &sink, const char *reason);

/// The signature of a called function: an export's is borrowed from the
/// context's export list (valid while the context lives), a table entry's
/// is a copy.
class CallSignature {
public:
  const FuncSig &get() const { return borrowed_ ? *borrowed_ : owned_; }
  void borrow(const FuncSig &sig) { borrowed_ = &sig; }
  void own(FuncSig sig) {
    borrowed_ = nullptr;
    owned_ = std::move(sig);
  }

private:
  const FuncSig *borrowed_ = nullptr;
  FuncSig owned_;
};

/// Looks up a call's function (export `call.name` or, for an indirect call,
/// table entry `call.index`) and converts its arguments. On failure
/// replies the error ({unknown_export, Name}, {not_a_function, Name},
/// {bad_table_index, Index}, invalid_args, or a core error) and returns
/// false.
bool prepare_call(Context &context, const cmd::Call &call,
                  CallSignature &signature, std::vector<wasm_val_t> &args,
                  ReplySink &sink);

/// Replies to a failed call: timeout (the context reports any failure past
/// the call's deadline as one), interrupted, or {Kind, Message}.
void reply_call_failure(const Error &error, ReplySink &sink);

/// Replies {ok, Results}.
void reply_results(const std::vector<wasm_val_t> &results,
                   const FuncSig &signature, ReplySink &sink);

/// Encodes {import, Module, Name, Args, Signature}.
void encode_import_request(TermBuffer &term, const ExternDesc &import,
                           const wasm_val_t *args);

/// Converts an import's answer ({import_response, _, Results} or
/// {import_error, _, Message}) into results, or into the message the import
/// must trap with (returned as an error).
Status import_answer(const cmd::ImportAnswer &answer, const ExternDesc &import,
                     std::vector<wasm_val_t> &results);

/// Whether `request` is one of the memory commands run_memory_command()
/// serves: size, read, write, serialize and deserialize.
bool is_memory_command(const Request &request);

/// Runs a memory command (see protocol.hpp); anything else is a badarg.
void run_memory_command(Context &context, const Request &request,
                        ReplySink &sink);

} // namespace hb_beamr::driver
