// Commands on a Context, whoever runs them; see commands.hpp.
#include "commands.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace hb_beamr::driver {
namespace {

constexpr uint64_t kPageSize = 65536;

void reply_core_error(ReplySink &sink, const Error &error) {
  TermBuffer term;
  encode_core_error(term, error);
  sink.term(term);
}

void reply_ok(ReplySink &sink) {
  TermBuffer term;
  term.atom("ok");
  sink.term(term);
}

// Memory operations: a missing memory and a bad range get their own atoms.
void reply_memory_error(ReplySink &sink, const Error &error) {
  if (error.kind == ErrorKind::lookup)
    reply_error(sink, "no_memory");
  else if (error.kind == ErrorKind::out_of_bounds)
    reply_error(sink, "out_of_bounds");
  else
    reply_core_error(sink, error);
}

void reply_tagged_error(ReplySink &sink, const char *what,
                        const std::string &name) {
  TermBuffer term;
  term.tuple(2).atom("error").tuple(2).atom(what).binary(name);
  sink.term(term);
}

// Checks [offset, offset + length) against the memory size without
// overflowing.
bool in_bounds(Context &context, uint64_t offset, uint64_t length,
               ReplySink &sink) {
  Result<uint64_t> size = context.memory_size();
  if (!size) {
    reply_memory_error(sink, size.error());
    return false;
  }
  if (offset > size.value() || length > size.value() - offset ||
      length > std::numeric_limits<size_t>::max()) {
    reply_error(sink, "out_of_bounds");
    return false;
  }
  return true;
}

void do_size(Context &context, ReplySink &sink) {
  Result<uint64_t> size = context.memory_size();
  if (!size)
    return reply_memory_error(sink, size.error());
  TermBuffer term;
  term.tuple(2).atom("ok").uinteger(size.value());
  sink.term(term);
}

void do_read(Context &context, const cmd::Read &command, ReplySink &sink) {
  if (!in_bounds(context, command.offset, command.length, sink))
    return;
  std::vector<uint8_t> data(static_cast<size_t>(command.length));
  const Status read =
      context.memory_read(command.offset, data.data(), data.size());
  if (!read)
    return reply_memory_error(sink, read.error());
  sink.ok_binary(data.data(), data.size());
}

void do_write(Context &context, const cmd::Write &command, ReplySink &sink) {
  if (!in_bounds(context, command.offset, command.data.size(), sink))
    return;
  const Status written = context.memory_write(
      command.offset, command.data.data(), command.data.size());
  if (!written)
    return reply_memory_error(sink, written.error());
  reply_ok(sink);
}

void do_serialize(Context &context, ReplySink &sink) {
  Result<uint64_t> size = context.memory_size();
  if (!size)
    return reply_memory_error(sink, size.error());
  if (size.value() > std::numeric_limits<size_t>::max())
    return reply_error(sink, "out_of_bounds");
  std::vector<uint8_t> data(static_cast<size_t>(size.value()));
  const Status read = context.memory_read(0, data.data(), data.size());
  if (!read)
    return reply_memory_error(sink, read.error());
  sink.ok_binary(data.data(), data.size());
}

// Restores a memory image: grows the memory to hold it, writes it, and
// zeroes whatever lies beyond it, so the memory equals the snapshot.
void do_deserialize(Context &context, const cmd::Deserialize &command,
                    ReplySink &sink) {
  Result<uint64_t> size = context.memory_size();
  if (!size)
    return reply_memory_error(sink, size.error());
  const uint64_t wanted = command.data.size();
  if (wanted > size.value()) {
    const uint64_t missing = wanted - size.value();
    const uint64_t pages =
        missing / kPageSize + (missing % kPageSize != 0 ? 1 : 0);
    Result<uint64_t> grown = context.memory_grow(pages);
    if (!grown)
      return reply_memory_error(sink, grown.error());
    size = context.memory_size();
    if (!size)
      return reply_memory_error(sink, size.error());
  }
  const Status written =
      context.memory_write(0, command.data.data(), command.data.size());
  if (!written)
    return reply_memory_error(sink, written.error());
  const Status cleared = context.memory_zero(wanted, size.value() - wanted);
  if (!cleared)
    return reply_memory_error(sink, cleared.error());
  reply_ok(sink);
}

} // namespace

void reply_error(ReplySink &sink, const char *reason) {
  TermBuffer term;
  encode_error_atom(term, reason);
  sink.term(term);
}

bool prepare_call(Context &context, const cmd::Call &command,
                  CallSignature &signature, std::vector<wasm_val_t> &args,
                  ReplySink &sink) {
  if (command.indirect) {
    Result<FuncSig> found = context.table_signature(command.index);
    if (!found) {
      const ErrorKind kind = found.error().kind;
      if (kind != ErrorKind::invalid_argument &&
          kind != ErrorKind::out_of_bounds) {
        reply_core_error(sink, found.error());
        return false;
      }
      TermBuffer term;
      term.tuple(2)
          .atom("error")
          .tuple(2)
          .atom("bad_table_index")
          .uinteger(command.index);
      sink.term(term);
      return false;
    }
    signature.own(std::move(found.value()));
  } else {
    const std::vector<ExternDesc> &exports = context.exports();
    const auto it =
        std::find_if(exports.begin(), exports.end(), [&](const ExternDesc &e) {
          return e.name == command.name;
        });
    if (it == exports.end()) {
      reply_tagged_error(sink, "unknown_export", command.name);
      return false;
    }
    if (it->kind != ExternKind::func) {
      reply_tagged_error(sink, "not_a_function", command.name);
      return false;
    }
    signature.borrow(it->func);
  }
  if (!to_wasm_values(command.args, signature.get().params, args)) {
    reply_error(sink, "invalid_args");
    return false;
  }
  return true;
}

void reply_call_failure(const Error &error, ReplySink &sink) {
  // The context reports every failure past the call's deadline as timeout.
  if (error.kind == ErrorKind::timeout)
    return reply_error(sink, "timeout");
  if (error.kind == ErrorKind::interrupted)
    return reply_error(sink, "interrupted");
  reply_core_error(sink, error);
}

void reply_results(const std::vector<wasm_val_t> &results,
                   const FuncSig &signature, ReplySink &sink) {
  if (results.size() != signature.results.size())
    return reply_core_error(
        sink, make_error(ErrorKind::invalid_state, "result count mismatch"));
  TermBuffer term;
  term.tuple(2).atom("ok");
  encode_values(term, results.data(), signature.results);
  sink.term(term);
}

void encode_import_request(TermBuffer &term, const ExternDesc &import,
                           const wasm_val_t *args) {
  term.tuple(5).atom("import").string(import.module).string(import.name);
  encode_values(term, args, import.func.params);
  term.string(import.signature);
}

Status import_answer(const cmd::ImportAnswer &answer, const ExternDesc &import,
                     std::vector<wasm_val_t> &results) {
  if (answer.trap)
    return make_error(ErrorKind::trap, answer.message);
  if (!to_wasm_values(answer.results, import.func.results, results))
    return make_error(ErrorKind::trap, "invalid results for import " +
                                           import.module + "." + import.name +
                                           " of type " + import.signature);
  return {};
}

bool is_memory_command(const Request &request) {
  return std::holds_alternative<cmd::Size>(request) ||
         std::holds_alternative<cmd::Read>(request) ||
         std::holds_alternative<cmd::Write>(request) ||
         std::holds_alternative<cmd::Serialize>(request) ||
         std::holds_alternative<cmd::Deserialize>(request);
}

void run_memory_command(Context &context, const Request &request,
                        ReplySink &sink) {
  if (std::holds_alternative<cmd::Size>(request))
    return do_size(context, sink);
  if (const auto *read = std::get_if<cmd::Read>(&request))
    return do_read(context, *read, sink);
  if (const auto *write = std::get_if<cmd::Write>(&request))
    return do_write(context, *write, sink);
  if (std::holds_alternative<cmd::Serialize>(request))
    return do_serialize(context, sink);
  if (const auto *image = std::get_if<cmd::Deserialize>(&request))
    return do_deserialize(context, *image, sink);
  reply_error(sink, "badarg");
}

} // namespace hb_beamr::driver
