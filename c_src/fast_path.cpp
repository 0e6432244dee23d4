// The fast path; see fast_path.hpp.
#include "fast_path.hpp"

#include <cstring>
#include <new>
#include <thread>
#include <utility>

#include "commands.hpp"
#include "compact.hpp"
#include "host_imports.hpp"
#include "memory_work.hpp"

namespace hb_beamr::driver {
namespace {

// Counters bumped on every call from every scheduler: one per shard, on
// lines of their own, so that schedulers do not take turns owning one line.
struct alignas(64) CounterShard {
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> fell_back{0};
};
constexpr size_t kCounterShards = 8;
CounterShard counters[kCounterShards];
CounterShard &my_counters() {
  static thread_local const size_t shard =
      std::hash<std::thread::id>()(std::this_thread::get_id()) % kCounterShards;
  return counters[shard];
}
uint64_t total(std::atomic<uint64_t> CounterShard::*field) {
  uint64_t sum = 0;
  for (const CounterShard &c : counters)
    sum += (c.*field).load(std::memory_order_relaxed);
  return sum;
}

constexpr char kDataMarker = static_cast<char>(wire::ReplyMarker::data);
constexpr char kTermMarker = static_cast<char>(wire::ReplyMarker::term);

} // namespace

// Collects the one reply of a port_control command and hands it to ERTS.
class ControlSink : public ReplySink {
public:
  ControlSink() = default;
  ~ControlSink() override {
    if (binary_ != nullptr)
      driver_free_binary(binary_);
  }
  ControlSink(const ControlSink &) = delete;
  ControlSink &operator=(const ControlSink &) = delete;

  void term(const TermBuffer &reply) override {
    clear();
    if (!reply.ok()) {
      TermBuffer fallback;
      encode_error_atom(fallback, "enomem");
      return term(fallback);
    }
    size_ = reply.size();
    if (size_ <= sizeof(small_)) {
      std::memcpy(small_, reply.data(), size_);
    } else {
      large_.assign(reply.data(), reply.data() + size_);
    }
  }
  // A reply already in the compact encoding (marker byte included).
  void compact(const std::vector<char> &bytes) {
    clear();
    prefixed_ = false;
    size_ = bytes.size();
    if (size_ <= sizeof(small_))
      std::memcpy(small_, bytes.data(), size_);
    else
      large_ = bytes;
  }
  void ok_binary(const uint8_t *data, size_t size) override {
    clear();
    binary_ = driver_alloc_binary(static_cast<ErlDrvSizeT>(size + 1));
    if (binary_ == nullptr)
      return reply_error(*this, "enomem");
    binary_->orig_bytes[0] = kDataMarker;
    if (size > 0)
      std::memcpy(binary_->orig_bytes + 1, data, size);
  }
  void fallback() {
    my_counters().fell_back.fetch_add(1, std::memory_order_relaxed);
    atom("fallback");
  }
  void atom(const char *name) {
    TermBuffer reply;
    reply.atom(name);
    term(reply);
  }

  // Puts the reply where ERTS takes it: the default buffer if it fits,
  // else a driver binary, which ERTS frees.
  ErlDrvSSizeT deliver(char **rbuf, ErlDrvSizeT rlen) {
    if (binary_ != nullptr) {
      const ErlDrvSSizeT size = binary_->orig_size;
      *rbuf = reinterpret_cast<char *>(binary_);
      binary_ = nullptr;
      return size;
    }
    const char *bytes = size_ <= sizeof(small_) ? small_ : large_.data();
    const size_t prefix = prefixed_ ? 1 : 0;
    const size_t size = size_ + prefix;
    char *out = *rbuf;
    if (size > rlen) {
      ErlDrvBinary *bin = driver_alloc_binary(static_cast<ErlDrvSizeT>(size));
      if (bin == nullptr) {
        *rbuf = nullptr; // [] in Erlang: taken as out of memory
        return 0;
      }
      *rbuf = reinterpret_cast<char *>(bin);
      out = bin->orig_bytes;
    }
    if (prefixed_)
      out[0] = kTermMarker;
    std::memcpy(out + prefix, bytes, size_);
    return static_cast<ErlDrvSSizeT>(size);
  }

private:
  void clear() {
    if (binary_ != nullptr)
      driver_free_binary(binary_);
    binary_ = nullptr;
    size_ = 0;
    prefixed_ = true;
  }
  // The term's bytes: small ones (most replies) without an allocation.
  char small_[256];
  std::vector<char> large_;
  size_t size_ = 0;
  bool prefixed_ = true; // a term, behind kTermMarker
  ErlDrvBinary *binary_ = nullptr;
};

FastPath::FastPath(ErlDrvPort port, Shared &shared)
    : port_(port), shared_(shared) {}

ErlDrvSSizeT FastPath::control(unsigned int op, const char *buf, size_t len,
                               char **rbuf, ErlDrvSizeT rlen) {
  using wire::ControlOp;
  if (op < wire::byte(ControlOp::call) || op > wire::byte(ControlOp::move))
    return -1;
  ControlSink sink;
  try {
    if (!Context::can_suspend()) {
      sink.fallback();
    } else {
      switch (static_cast<ControlOp>(op)) {
      case ControlOp::call: on_call(buf, len, sink); break;
      case ControlOp::answer: on_answer(buf, len, sink); break;
      case ControlOp::resume: on_resume(sink); break;
      case ControlOp::move: on_move(buf, len, sink); break;
      default: on_request(buf, len, sink); break;
      }
    }
  } catch (const std::bad_alloc &) {
    reply_error(sink, "enomem");
  }
  return sink.deliver(rbuf, rlen);
}

bool FastPath::is_borrower() const {
  return !calls_.empty() && driver_caller(port_) == shared_.session.borrower();
}

void FastPath::hand_over(ControlSink &sink) {
  if (outermost_.tag.empty()) {
    // A compact call has no tag of its own. Its caller makes one (a
    // reference, just before the messages it will tag, so that receiving
    // them skips the rest of its mailbox) and sends it with op `move`.
    moving_ = true;
    return sink.atom("move");
  }
  outermost_.caller = shared_.session.borrower();
  // The caller stays monitored (see caller_exited).
  shared_.session.watch_handed_over(outermost_.tag);
  shared_.session.forget_waits(Session::Executor::fast_path);
  calls_.clear();
  context_ = nullptr;
  TermBuffer moved;
  moved.tuple(2).atom("moved").encoded(outermost_.tag);
  // The call keeps its time limit: the context holds it.
  shared_.session.hand_over(std::move(outermost_));
  outermost_ = HandOver{};
  sink.term(moved);
}

bool FastPath::begin_borrow() {
  if (!shared_.session.try_borrow())
    return false;
  // The thread is idle, so any call handed to it has ended.
  shared_.session.forget_handed_over(port_);
  context_ = shared_.context.load();
  if (context_ == nullptr || !context_->suspends_calls()) {
    context_ = nullptr;
    shared_.session.end_borrow();
    return false;
  }
  shared_.session.lend_to(driver_caller(port_));
  return true;
}

void FastPath::end_borrow() {
  shared_.session.forget_waits(Session::Executor::fast_path);
  shared_.session.forget_borrower(port_);
  moving_ = false;
  calls_.clear();
  context_ = nullptr;
  shared_.session.end_borrow();
}

void FastPath::on_call(const char *buf, size_t len, ControlSink &sink) {
  Command command;
  const bool compact = is_compact(buf, len);
  const bool decoded = compact ? decode_compact_call(buf, len, command)
                               : decode_command(buf, len, command);
  const cmd::Call *call = command.as<cmd::Call>();
  if (!decoded || call == nullptr)
    return reply_error(sink, "badarg");
  // The Session says who may call while a call waits for an import.
  const Session::Nesting nesting =
      shared_.session.nesting_for(driver_caller(port_));
  if (nesting == Session::Nesting::thread) {
    // From the import function of a call on the instance thread: the
    // caller sends it to the port, and the thread runs it nested.
    return sink.atom("via_port");
  }
  const bool nested = nesting == Session::Nesting::fast_path;
  if (!nested && (!calls_.empty() || !begin_borrow()))
    return sink.fallback();
  CallSignature signature;
  std::vector<wasm_val_t> args;
  if (!prepare_call(*context_, *call, signature, args, sink)) {
    if (!nested)
      end_borrow();
    return;
  }
  if (!nested) {
    context_->set_call_timeout(call->timeout_ms);
    if (HostImports *host = shared_.host_imports.load())
      host->clear_exit();
    slices_ = 0;
    outermost_.tag = command.tag; // empty for compact calls
    outermost_.indirect = call->indirect;
    outermost_.name = call->name;
    outermost_.index = call->index;
  }
  calls_.push_back(Call{std::move(signature), compact});
  my_counters().started.fetch_add(1, std::memory_order_relaxed);
  settle(call->indirect
             ? context_->start_call_indirect(call->index, args, kSlice)
             : context_->start_call(call->name, args, kSlice),
         sink);
}

void FastPath::on_answer(const char *buf, size_t len, ControlSink &sink) {
  Command command;
  const bool decoded = is_compact_answer(buf, len)
                           ? decode_compact_answer(buf, len, command)
                           : decode_command(buf, len, command);
  const cmd::ImportAnswer *answer = command.as<cmd::ImportAnswer>();
  if (!decoded || answer == nullptr)
    return reply_error(sink, "badarg");
  if (!is_borrower() || !context_->pending_import())
    return reply_error(sink, "no_pending_import");
  shared_.session.import_answered();
  const ImportRequest request = *context_->pending_import();
  std::vector<wasm_val_t> results;
  Status answered = import_answer(*answer, *request.import, results);
  if (answered)
    answered = context_->resolve_import(results);
  if (!answered)
    (void)context_->reject_import(answered.error().message);
  settle(context_->resume(kSlice), sink);
}

void FastPath::on_move(const char *buf, size_t len, ControlSink &sink) {
  if (!is_borrower() || !moving_)
    return reply_error(sink, "not_moving");
  if (!decode_ref_tag(buf, len, outermost_.tag))
    return reply_error(sink, "badarg");
  moving_ = false;
  hand_over(sink);
}

void FastPath::on_resume(ControlSink &sink) {
  if (!is_borrower() || context_->state() != State::running_export)
    return reply_error(sink, "not_suspended");
  settle(context_->resume(kSlice), sink);
}

bool FastPath::answer_host_imports(Result<CallProgress> &progress,
                                   ControlSink &sink) {
  HostImports *host = shared_.host_imports.load();
  const auto slice_end = std::chrono::steady_clock::now() + kSlice;
  while (host != nullptr && progress &&
         progress.value() == CallProgress::awaiting_import &&
         host->covers(*context_->pending_import()->import)) {
    // A sleep (poll_oneoff) must not block a scheduler: the thread serves
    // it. A nested call cannot move, and sleeps here within its deadline.
    if (calls_.size() == 1 &&
        context_->pending_import()->import->name == "poll_oneoff") {
      shared_.session.watch_borrower(port_);
      hand_over(sink);
      return false;
    }
    host->answer_pending(*context_);
    if (std::chrono::steady_clock::now() >= slice_end) {
      // A guest that writes in a loop gets slices like one that computes.
      shared_.session.watch_borrower(port_);
      if (calls_.size() == 1 && ++slices_ >= kInlineSlices)
        hand_over(sink);
      else
        sink.atom("yield");
      return false;
    }
    progress = context_->resume(kSlice);
  }
  return true;
}

void FastPath::settle(Result<CallProgress> progress, ControlSink &sink) {
  if (!answer_host_imports(progress, sink))
    return;
  if (progress && progress.value() != CallProgress::finished) {
    // The call outlives this port_control: if its caller dies meanwhile,
    // the call must not keep the instance.
    shared_.session.watch_borrower(port_);
    if (progress.value() == CallProgress::yielded) {
      if (calls_.size() == 1 && ++slices_ >= kInlineSlices)
        return hand_over(sink);
      return sink.atom("yield");
    }
    const ImportRequest request = *context_->pending_import();
    // Until it answers, the caller alone may call (nested) the instance.
    shared_.session.awaits_import(shared_.session.borrower(),
                                  Session::Executor::fast_path);
    if (calls_.back().compact) {
      // The caller knows the module's imports: the number is enough.
      std::vector<char> reply;
      const auto index =
          static_cast<uint32_t>(request.import - context_->imports().data());
      encode_compact_import(reply, index, request.args->data(),
                            request.import->func.params);
      return sink.compact(reply);
    }
    TermBuffer term;
    encode_import_request(term, *request.import, request.args->data());
    return sink.term(term);
  }
  const Call call = std::move(calls_.back());
  calls_.pop_back();
  if (progress && call.compact) {
    std::vector<char> reply;
    const std::vector<wasm_val_t> results = context_->take_results();
    const FuncSig &sig = call.signature.get();
    if (results.size() == sig.results.size()) {
      encode_compact_results(reply, results.data(), sig.results);
      sink.compact(reply);
    } else {
      reply_results(results, sig, sink); // reports the mismatch
    }
  } else if (progress) {
    reply_results(context_->take_results(), call.signature.get(), sink);
  } else {
    reply_host_call_failure(shared_.host_imports.load(), progress.error(),
                            sink);
  }
  if (calls_.empty())
    end_borrow();
}

void FastPath::on_request(const char *buf, size_t len, ControlSink &sink) {
  Command command;
  if (!decode_command(buf, len, command))
    return reply_error(sink, "badarg");
  if (const auto *read = command.as<cmd::ReadOutput>())
    return on_read_output(*read, sink);
  if (!is_memory_command(command.request))
    return reply_error(sink, "badarg");
  if (!calls_.empty()) {
    // While a call waits for an import, memory is anybody's; while one
    // computes, the command waits for it on the thread.
    if (!context_->pending_import())
      return sink.fallback();
    return run_memory_command(*context_, command.request, sink);
  }
  if (!shared_.session.try_borrow())
    return sink.fallback();
  Context *context = shared_.context.load();
  bool inline_ok = context != nullptr;
  if (inline_ok) {
    // A memory that cannot be sized costs nothing: the command fails fast.
    const Result<uint64_t> size = context->memory_size();
    inline_ok = runs_inline(command.request, size ? size.value() : 0);
  }
  if (inline_ok)
    run_memory_command(*context, command.request, sink);
  shared_.session.end_borrow();
  if (!inline_ok)
    sink.fallback();
}

void FastPath::on_read_output(const cmd::ReadOutput &read, ControlSink &sink) {
  // Like memory: anybody's while a call waits for an import, so that an
  // import function can read what the guest wrote.
  const bool borrowed = calls_.empty();
  if (borrowed ? !shared_.session.try_borrow() : !context_->pending_import())
    return sink.fallback();
  HostImports *host = shared_.host_imports.load();
  if (shared_.context.load() == nullptr) {
    reply_error(sink, "not_initialized");
  } else if (host == nullptr) {
    reply_error(sink, "no_wasi");
  } else {
    const std::string bytes = host->take_output(read.stderr_stream);
    sink.ok_binary(reinterpret_cast<const uint8_t *>(bytes.data()),
                   bytes.size());
  }
  if (borrowed)
    shared_.session.end_borrow();
}

void FastPath::caller_exited(const ErlDrvMonitor &monitor) {
  Tag tag;
  ErlDrvTermData caller = 0;
  switch (shared_.session.caller_exited(monitor, tag, caller)) {
  case Session::Exit::unrelated: return;
  case Session::Exit::borrower: return stop();
  case Session::Exit::handed_over: {
    // The session has interrupted the call if it computes. Nobody will
    // answer its imports: fail the one it waits for (or will wait for), on
    // its caller's behalf, which unwinds it.
    Command failure;
    failure.tag = std::move(tag);
    failure.reply_to = caller;
    cmd::ImportAnswer &trap = failure.request.emplace<cmd::ImportAnswer>();
    trap.trap = true;
    trap.message = "caller exited";
    (void)shared_.session.push(std::move(failure));
    return;
  }
  }
}

void FastPath::stop() {
  shared_.session.forget_handed_over(port_);
  if (calls_.empty())
    return;
  context_->abandon_calls();
  end_borrow();
}

uint64_t fast_calls() { return total(&CounterShard::started); }
uint64_t fast_fallbacks() { return total(&CounterShard::fell_back); }

} // namespace hb_beamr::driver
