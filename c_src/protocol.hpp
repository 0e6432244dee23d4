// The driver's wire protocol: commands from Erlang (term_to_binary output)
// decoded into typed structs, and replies encoded in external term format.
// These commands arrive with port_command (the instance thread's path); the
// fast path's port_control commands are in fast_path.hpp and compact.hpp.
//
// Commands (every one carries a Tag, usually a reference, echoed in replies):
//   {init, Tag, Wasm :: binary(), wasm | aot}
//   {init, Tag, Wasm :: binary(), wasm | aot, Options :: map()}
//     Options' keys: max_memory, max_table_elements, fuel, max_stack (each a
//     non-negative integer below 2^64; 0 means the default, which for fuel
//     and max_stack is no limit of ours; max_memory and max_table_elements
//     also take infinity, which lifts their default) and deterministic
//     (true | false); see hb_beamr::ContextOptions. Any other key or type
//     makes the command malformed. max_stack also sizes the instance thread's
//     stack, so init must be the port's first command when it is set.
//     and wasi => {Args, Env, Stdin, Stdout, Stderr, OutputLimit, Seed}: the
//     instance gets a WASI preview 1 provider (host_imports.hpp). Args is a
//     list of binaries, Env a list of {Name, Value} binaries, Stdin a binary,
//     Stdout and Stderr each capture | discard | a pid (bytes are sent to the
//     port's owner, which forwards them), OutputLimit a non-negative integer
//     below 2^64 and Seed one, or the atom none.
//   {read_output, Tag, stdout | stderr}: drains what the WASI provider
//     captured: {ok, Binary}; {error, no_wasi} without a provider.
//   {compile, Tag, Wasm :: binary()}
//   {call, Tag, Name :: binary(), Args :: [value()]}
//   {indirect_call, Tag, Index :: non_neg_integer(), Args :: [value()]}
//   {call | indirect_call, Tag, NameOrIndex, Args, Timeout}
//     Timeout: milliseconds (a non-negative integer; 0 means none) or
//     infinity. It limits the WebAssembly execution of an outermost call
//     (nested calls count toward their outermost call); see
//     instance_thread.hpp.
//   {import_response, Tag, Results :: [value()]}
//   {import_error, Tag, Message :: binary()}
//   {size, Tag} | {read, Tag, Offset, Length} | {write, Tag, Offset, Data}
//   {serialize, Tag} | {deserialize, Tag, Data} | {info, Tag}
//   info is answered by the driver itself, without the instance thread:
//   {ok, [{engine, Name}, {contexts, N}, {threads, N},
//         {module_cache_hits, N}, {module_cache_misses, N},
//         {modules_cached, N}, {fast_calls, N}, {fast_fallbacks, N},
//         {thread_calls, N}]}, counters for the whole driver (calls
//         started on the fast path, fast-path commands handed to the
//         thread, calls run by instance threads).
//   {ping, Tag}: answered {Port, Tag, pong} by the driver itself, without
//   the instance thread (the empty round trip the benchmarks measure)
//   {cancel, Tag}: from the port's owner only, whose caller of call Tag has
//   exited: the call is interrupted (see Session::cancel). No reply.
// value() is an integer, a float, nan | infinity | neg_infinity, or null for
// a null reference.
//
// Every message the driver sends is {Port, Tag, Reply}; see instance_thread.hpp
// for the replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <ei.h>
#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/result.hpp"
#include "hb_beamr/types.hpp"
#include "term_buffer.hpp"
#include "wire.hpp"

namespace hb_beamr::driver {

/// An argument or import result as sent by Erlang, before it is checked
/// against a signature.
struct Value {
  enum class Kind {
    integer,      ///< fits int64_t (in `i`) or, if `big`, uint64_t (in `u`)
    real,         ///< a float (in `real`)
    nan,          ///< the atom nan
    infinity,     ///< the atom infinity
    neg_infinity, ///< the atom neg_infinity
    null_ref,     ///< the atom null
    other,        ///< anything else: never valid
  };
  Kind kind = Kind::other;
  bool big = false;
  int64_t i = 0;
  uint64_t u = 0;
  double real = 0;
};

/// Where one of a WASI guest's output streams goes.
enum class OutputMode { capture, discard, send };

/// An init's `wasi` option, as decoded (see the file comment).
struct WasiSpec {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdin_data;
  OutputMode stdout_mode = OutputMode::capture;
  OutputMode stderr_mode = OutputMode::capture;
  uint64_t output_limit = 0;
  bool seeded = false; ///< Seed is an integer: random_get replays it
  uint64_t seed = 0;
};

/// The commands, one struct each; see the file comment for their terms.
namespace cmd {
/// {init, Tag, Wasm, wasm | aot[, Options]}
struct Init {
  std::vector<uint8_t> wasm;
  bool precompiled = false; ///< mode aot
  ContextOptions options;
  std::optional<WasiSpec> wasi; ///< the wasi option, if given
};
/// {read_output, Tag, stdout | stderr}
struct ReadOutput {
  bool stderr_stream = false;
};
/// {compile, Tag, Wasm}
struct Compile {
  std::vector<uint8_t> wasm;
};
/// {call, Tag, Name, Args[, Timeout]} or {indirect_call, Tag, Index, ...}
struct Call {
  bool indirect = false;
  std::string name;   ///< the export called, unless indirect
  uint64_t index = 0; ///< the table index called, if indirect
  std::vector<Value> args;
  /// Time limit in milliseconds, 0 = none (so are limits above
  /// wire::kMaxTimeoutMs).
  uint64_t timeout_ms = 0;
};
/// {import_response, Tag, Results} or {import_error, Tag, Message}
struct ImportAnswer {
  bool trap = false;          ///< import_error: the import traps
  std::vector<Value> results; ///< import_response's results
  std::string message;        ///< import_error's message
};
/// {size, Tag}
struct Size {};
/// {read, Tag, Offset, Length}
struct Read {
  uint64_t offset = 0;
  uint64_t length = 0;
};
/// {write, Tag, Offset, Data}
struct Write {
  uint64_t offset = 0;
  std::vector<uint8_t> data;
};
/// {serialize, Tag}
struct Serialize {};
/// {deserialize, Tag, Data}
struct Deserialize {
  std::vector<uint8_t> data;
};
/// {info, Tag}
struct Info {};
/// {ping, Tag}
struct Ping {};
/// {cancel, Tag}
struct Cancel {};
} // namespace cmd

/// What a command asks for. Info first: the cheapest to default-construct.
using Request = std::variant<cmd::Info, cmd::Ping, cmd::Init, cmd::Compile,
                             cmd::Call, cmd::ImportAnswer, cmd::Size, cmd::Read,
                             cmd::Write, cmd::Serialize, cmd::Deserialize,
                             cmd::Cancel, cmd::ReadOutput>;

/// One decoded command: its request, and whom to answer.
struct Command {
  Tag tag;
  Request request;
  /// ErlDrvTermData of the process to answer, if not the port's owner: the
  /// sender of a command sent straight to the port (a call nested in a
  /// handed-over call's import).
  uint64_t reply_to = 0;

  /// The request if it is a `T`, else null.
  template <typename T> T *as() { return std::get_if<T>(&request); }
  /// The same, read-only.
  template <typename T> const T *as() const { return std::get_if<T>(&request); }
};

/// Decodes one command. On failure returns false; `out.tag` then holds the
/// command's tag if it could be read, else undefined_tag(). Never reads
/// outside [buf, buf + len).
bool decode_command(const char *buf, size_t len, Command &out);

/// Decodes a lone reference in the external format (the tag a caller gives
/// a call the fast path moves to the thread) into `out`, which is then the
/// tag its messages carry. Never reads outside [buf, buf + len).
bool decode_ref_tag(const char *buf, size_t len, Tag &out);

/// Converts Erlang values to wasm values of `types`. False when the count,
/// a type or a range does not match (i32: -2^31..2^32-1, i64: -2^63..2^64-1,
/// unsigned ranges wrap; floats only for f32/f64, f32 rounded to nearest;
/// integers are accepted for floats; null only for references).
bool to_wasm_values(const std::vector<Value> &values,
                    const std::vector<ValType> &types,
                    std::vector<wasm_val_t> &out);

/// Encodes `types.size()` wasm values as a list: integers signed, floats as
/// floats or nan/infinity/neg_infinity, references as null or ref.
void encode_values(TermBuffer &term, const wasm_val_t *values,
                   const std::vector<ValType> &types);

/// Encodes [{Kind, Module, Name, Signature}] (imports) or
/// [{Kind, Name, Signature}] (exports), strings as lists.
void encode_externs(TermBuffer &term, const std::vector<ExternDesc> &externs,
                    bool with_module);

/// Encodes {error, {Kind, Message}} for a core error, Kind being
/// error_kind_name() as an atom and Message a binary.
void encode_core_error(TermBuffer &term, const Error &error);

/// Encodes {error, Reason} for an atom reason.
void encode_error_atom(TermBuffer &term, const char *reason);

} // namespace hb_beamr::driver
