// The per-instance thread: its mailbox, its link back to Erlang, and the
// worker that runs commands on the instance's Context. See instance_thread.hpp.
#include "instance_thread.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"

namespace hb_beamr::driver {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Stack of an instance thread. Wasmtime runs WebAssembly on the calling
// thread's stack (512 KiB of it by default, max_stack if set), and the host
// needs its own share on top: the thread gets max(8 MiB, max_stack + 2 MiB).
// Only the pages a call touches become resident.
constexpr uint64_t kDefaultStackBytes = 8 * kMiB;
constexpr uint64_t kHostStackBytes = 2 * kMiB;
// ERTS gives a driver thread at most 64 MiB of stack (on 64-bit).
constexpr uint64_t kMaxThreadStackBytes = 64 * kMiB;
constexpr uint64_t kMaxWasmStackBytes = wire::kMaxStackBytes;
static_assert(kMaxWasmStackBytes == kMaxThreadStackBytes - kHostStackBytes,
              "max_stack is what a driver thread's stack leaves the host");
// How long stop() waits for a busy thread, interrupting it meanwhile, before
// leaving it to finish on its own. Interrupted WebAssembly stops within
// microseconds; stop runs on a scheduler, so this stays short.
constexpr auto kStopGrace = std::chrono::milliseconds(500);

using Clock = std::chrono::steady_clock;

// A thread left running by stop(), with what is needed to interrupt it again.
struct Orphan {
  std::shared_ptr<ThreadRecord> record;
  std::shared_ptr<Shared> shared;
};

struct Registry {
  DrvMutex mutex{"hb_beamr_threads"};
  std::vector<Orphan> orphans;
};
Registry *registry = nullptr;
std::atomic<size_t> live{0};
std::atomic<uint64_t> calls_run{0};

void join(ThreadRecord &record) {
  void *ignored = nullptr;
  erl_drv_thread_join(record.tid, &ignored);
}

// ---- The worker: everything that touches the Context ----------------------

// Calls on the thread never need to yield: they may run for as long as they
// like there (a day per slice, then they simply go on).
constexpr auto kThreadSlice = std::chrono::hours(24);

class Worker {
public:
  explicit Worker(Shared &shared) : shared_(shared) {}
  // Also when run() is left by an exception: the interruptor must never see
  // a destroyed context.
  ~Worker() { set_context(nullptr); }
  Worker(const Worker &) = delete;
  Worker &operator=(const Worker &) = delete;

  void run() {
    while (std::optional<Command> command = shared_.mailbox.pop()) {
      handle_safely(*command);
      // Calls that came in during an adopted call, in their order.
      while (!held_.empty()) {
        Command next = std::move(held_.front());
        held_.pop_front();
        handle_safely(next);
      }
    }
    set_context(nullptr);
  }

private:
  // Replies to one command by message, {Port, Tag, Reply}.
  class TagSink : public ReplySink {
  public:
    TagSink(Worker &worker, const Tag &tag) : worker_(worker), tag_(tag) {}
    void term(const TermBuffer &reply) override { worker_.reply(tag_, reply); }
    void ok_binary(const uint8_t *data, size_t size) override {
      worker_.finishing();
      worker_.shared_.link.send_ok_binary(tag_, data, size);
    }

  private:
    Worker &worker_;
    const Tag &tag_;
  };

  // Called just before the final reply to a command: from then on the
  // command no longer touches the context, so a top-level one lets the fast
  // path borrow the instance at once. Otherwise a caller that calls again
  // as soon as it has its reply could find the thread still busy and fall
  // back needlessly.
  void finishing() {
    // Not while calls held back during an adopted call still wait: this
    // thread runs them next, without going through the mailbox.
    if (depth_ == 1 && held_.empty())
      shared_.mailbox.idle_now();
  }

  // Replaces the context, keeping the interruptor's pointer valid: it never
  // sees a context being destroyed. The fast path sees it too (only while
  // it has borrowed the mailbox, when this thread leaves it alone).
  void set_context(std::unique_ptr<Context> context) {
    shared_.interruptor.attach(context.get());
    shared_.context.store(context.get());
    std::swap(context_, context);
    context.reset(); // the old one, outside the interruptor's lock
  }

  // Whether the outermost call's time limit has passed.
  bool past_deadline() const { return deadline_ && Clock::now() >= *deadline_; }

  // The final reply to a command.
  void reply(const Tag &tag, const TermBuffer &term) {
    finishing();
    route(tag, term);
  }
  // Any message about a call: to its caller if the fast path handed it
  // over, else to the port's owner.
  void route(const Tag &tag, const TermBuffer &term) {
    if (adopted_ && adopted_->tag == tag)
      return shared_.link.send_to(adopted_->caller, tag, term);
    for (const Direct &d : direct_)
      if (d.tag == tag)
        return shared_.link.send_to(d.caller, tag, term);
    shared_.link.send(tag, term);
  }
  void reply_error(const Tag &tag, const char *reason) {
    TagSink sink(*this, tag);
    driver::reply_error(sink, reason);
  }
  void reply_core_error(const Tag &tag, const Error &error) {
    TermBuffer term;
    encode_core_error(term, error);
    reply(tag, term);
  }

  // Out of memory while serving one command fails that command only.
  void handle_safely(Command &command) {
    ++depth_;
    try {
      handle(command);
    } catch (const std::bad_alloc &) {
      reply_error(command.tag, "enomem");
    }
    --depth_;
  }

  void handle(Command &command) {
    switch (command.op) {
    case Op::init: return do_init(command);
    case Op::compile: return do_compile(command);
    case Op::call:
    case Op::indirect_call: return do_call(command);
    case Op::import_response:
    case Op::import_error:
      // Late news for a call handed over by the fast path, which has ended
      // since: nobody waits for a reply.
      if (command.tag == last_adopted_)
        return;
      // No import is waiting for this (a waiting import takes its own
      // answers in await_answer).
      return reply_error(command.tag, "no_pending_import");
    case Op::size:
    case Op::read:
    case Op::write:
    case Op::serialize:
    case Op::deserialize: {
      if (!require_instance(command.tag))
        return;
      TagSink sink(*this, command.tag);
      return run_memory_command(*context_, command, sink);
    }
    case Op::adopt: return do_adopt(command);
    case Op::info:
    case Op::ping: return reply_error(command.tag, "badarg"); // driver's job
    }
    reply_error(command.tag, "badarg");
  }

  bool require_instance(const Tag &tag) {
    if (context_)
      return true;
    reply_error(tag, "not_initialized");
    return false;
  }

  void do_init(Command &command) {
    if (context_)
      return reply_error(command.tag, "already_initialized");
    std::unique_ptr<Context> context = Context::create(command.options);
    if (!context)
      return reply_error(command.tag, "enomem");
    const Status loaded =
        command.precompiled
            ? context->load_precompiled(command.bytes.data(),
                                        command.bytes.size())
            : context->load(command.bytes.data(), command.bytes.size());
    command.bytes = {};
    if (!loaded)
      return reply_core_error(command.tag, loaded.error());
    // From here on, stopping the port interrupts the start function.
    Context *raw = context.get();
    set_context(std::move(context));
    Status made;
    if (Context::can_suspend()) {
      // Calls that can be suspended, so that the fast path can run them on
      // a scheduler. A start function's imports get zeros, as an init's
      // caller would answer them (the API gives it no import function).
      made = raw->instantiate_suspending();
    } else {
      // Imports called by a start function go to the init's caller.
      calls_.push_back(command.tag);
      made = raw->instantiate(
          [this](HostCall &call) { return on_import(call); }, {});
      calls_.pop_back();
    }
    if (!made) {
      set_context(nullptr);
      return reply_core_error(command.tag, made.error());
    }
    TermBuffer term;
    term.tuple(3).atom("ok");
    encode_externs(term, context_->imports(), true);
    encode_externs(term, context_->exports(), false);
    reply(command.tag, term);
  }

  void do_compile(Command &command) {
    std::unique_ptr<Context> context = Context::create();
    if (!context)
      return reply_error(command.tag, "enomem");
    const Status loaded =
        context->load(command.bytes.data(), command.bytes.size());
    if (!loaded)
      return reply_core_error(command.tag, loaded.error());
    Result<std::vector<uint8_t>> compiled = context->serialize_module();
    if (!compiled)
      return reply_core_error(command.tag, compiled.error());
    finishing();
    shared_.link.send_ok_binary(command.tag, compiled.value().data(),
                                compiled.value().size());
  }

  void do_call(Command &command) {
    if (!require_instance(command.tag))
      return;
    TagSink sink(*this, command.tag);
    CallSignature signature;
    std::vector<wasm_val_t> args;
    if (!prepare_call(*context_, command, signature, args, sink))
      return;
    std::vector<wasm_val_t> results;
    // Only an outermost call's time limit counts; nested calls run within it.
    const bool outermost = calls_.empty();
    if (outermost) {
      const uint64_t limit = command.timeout_ms;
      context_->set_call_timeout(limit);
      deadline_.reset();
      if (limit > 0)
        deadline_ = Clock::now() + std::chrono::milliseconds(limit);
    }
    calls_.push_back(command.tag);
    ++calls_run;
    if (command.reply_to != 0)
      direct_.push_back(Direct{command.tag, command.reply_to});
    const bool indirect = command.op == Op::indirect_call;
    Status called;
    if (context_->suspends_calls())
      called = run_suspendable(command, args, results);
    else if (indirect)
      called = context_->call_indirect(command.index, args, results);
    else
      called = context_->call(command.name, args, results);
    calls_.pop_back();
    const bool late = past_deadline();
    if (outermost)
      deadline_.reset();
    // The reply still goes to a direct caller; its entry goes after that.
    struct DirectDone {
      std::vector<Direct> &direct;
      bool registered;
      ~DirectDone() {
        if (registered)
          direct.pop_back();
      }
    } done{direct_, command.reply_to != 0};
    if (!called)
      return reply_call_failure(called.error(), late, sink);
    reply_results(results, signature.get(), sink);
  }

  // A call the fast path started and handed over because it runs long: it
  // is suspended in the context, and goes on here. Its messages go to its
  // caller directly, who answers its imports with port commands.
  void do_adopt(Command &command) {
    if (!context_ || context_->suspended_calls() != 1) {
      shared_.link.send_to(command.reply_to, command.tag, [] {
        TermBuffer term;
        encode_error_atom(term, "not_suspended");
        return term;
      }());
      return;
    }
    CallSignature signature;
    if (command.indirect) {
      Result<FuncSig> found = context_->table_signature(command.index);
      if (found)
        signature.own(std::move(found.value()));
    } else {
      for (const ExternDesc &e : context_->exports())
        if (e.name == command.name)
          signature.borrow(e.func);
    }
    deadline_.reset();
    if (command.deadline_ns != 0)
      deadline_ =
          Clock::time_point(std::chrono::nanoseconds(command.deadline_ns));
    adopted_ = Adopted{command.tag, command.reply_to};
    calls_.push_back(command.tag);
    ++calls_run;
    std::vector<wasm_val_t> results;
    const Status called = drive(context_->resume(kThreadSlice), results);
    calls_.pop_back();
    const bool late = past_deadline();
    deadline_.reset();
    adopted_.reset();
    last_adopted_ = command.tag;
    TargetSink sink(*this, command.reply_to, command.tag);
    if (!called)
      return reply_call_failure(called.error(), late, sink);
    reply_results(results, signature.get(), sink);
  }

  // Replies to one process by message, {Port, Tag, Reply}.
  class TargetSink : public ReplySink {
  public:
    TargetSink(Worker &worker, ErlDrvTermData to, const Tag &tag)
        : worker_(worker), to_(to), tag_(tag) {}
    void term(const TermBuffer &reply) override {
      worker_.finishing();
      worker_.shared_.link.send_to(to_, tag_, reply);
    }
    void ok_binary(const uint8_t *, size_t) override {}

  private:
    Worker &worker_;
    ErlDrvTermData to_;
    const Tag &tag_;
  };

  // A suspendable call run to its end here: its imports are sent to Erlang
  // and awaited on this thread, as a plain call's would be.
  Status run_suspendable(const Command &command,
                         const std::vector<wasm_val_t> &args,
                         std::vector<wasm_val_t> &results) {
    return drive(
        command.op == Op::indirect_call
            ? context_->start_call_indirect(command.index, args, kThreadSlice)
            : context_->start_call(command.name, args, kThreadSlice),
        results);
  }

  // Runs a suspendable call from `progress` to its end.
  Status drive(Result<CallProgress> progress,
               std::vector<wasm_val_t> &results) {
    while (progress && progress.value() != CallProgress::finished) {
      if (progress.value() == CallProgress::awaiting_import) {
        const ImportRequest request = *context_->pending_import();
        std::vector<wasm_val_t> answer;
        Status got =
            await_answer(*request.import, request.args->data(), answer);
        if (got)
          got = context_->resolve_import(answer);
        if (!got)
          (void)context_->reject_import(got.error().message);
      }
      progress = context_->resume(kThreadSlice);
    }
    if (!progress)
      return progress.error();
    results = context_->take_results();
    return {};
  }

  bool is_outer_call(const Tag &tag) const {
    return std::find(calls_.begin(), calls_.end(), tag) != calls_.end();
  }

  std::optional<Command> take_deferred(const Tag &tag) {
    const auto it =
        std::find_if(deferred_.begin(), deferred_.end(),
                     [&](const Command &c) { return c.tag == tag; });
    if (it == deferred_.end())
      return std::nullopt;
    Command command = std::move(*it);
    deferred_.erase(it);
    return command;
  }

  // The host function behind every function import of a context that
  // cannot suspend. It runs inside WebAssembly's frames, so nothing may be
  // thrown out of it.
  Status on_import(HostCall &call) {
    try {
      std::vector<wasm_val_t> results;
      Status got = await_answer(call.import, call.args, results);
      if (got)
        std::copy(results.begin(), results.end(), call.results);
      return got;
    } catch (const std::bad_alloc &) {
      return make_error(ErrorKind::allocation, "out of memory in import");
    }
  }

  // Sends the import request and serves the mailbox until it is answered.
  Status await_answer(const ExternDesc &import, const wasm_val_t *args,
                      std::vector<wasm_val_t> &results) {
    if (calls_.empty()) {
      return make_error(ErrorKind::invalid_state,
                        "import called outside a call");
    }
    const Tag tag = calls_.back();
    {
      TermBuffer term;
      encode_import_request(term, import, args);
      route(tag, term);
    }
    for (;;) {
      std::optional<Command> command = take_deferred(tag);
      if (!command)
        command = shared_.mailbox.pop(true);
      if (!command)
        return make_error(ErrorKind::trap, "instance stopped");
      const bool answer =
          command->op == Op::import_response || command->op == Op::import_error;
      if (!answer) {
        // During an adopted call only its own caller nests calls (it sends
        // them straight to the port); any other process's call waits for
        // the adopted call to end, as it would have waited for its caller.
        const bool call =
            command->op == Op::call || command->op == Op::indirect_call;
        if (call && adopted_ && command->reply_to != adopted_->caller) {
          held_.push_back(std::move(*command));
          continue;
        }
        handle_safely(*command); // nested call, memory access, ...
        continue;
      }
      if (command->tag != tag) {
        if (is_outer_call(command->tag))
          deferred_.push_back(std::move(*command));
        else
          reply_error(command->tag, "no_pending_import");
        continue;
      }
      // The import was answered after the call's deadline: WebAssembly does
      // not resume, the call fails now.
      if (past_deadline()) {
        return make_error(ErrorKind::timeout,
                          "call exceeded its time limit while its import " +
                              import.module + "." + import.name +
                              " was answered");
      }
      return import_answer(*command, import, results);
    }
  }

  Shared &shared_;
  std::unique_ptr<Context> context_;
  // When the outermost call in progress must end, if it has a time limit.
  std::optional<Clock::time_point> deadline_;
  std::vector<Tag> calls_;       // calls in progress, innermost last
  std::deque<Command> deferred_; // answers for outer calls, kept for later
  // The call handed over by the fast path, while it runs, and the tag of
  // the last one.
  struct Adopted {
    Tag tag;
    ErlDrvTermData caller;
  };
  std::optional<Adopted> adopted_;
  Tag last_adopted_;
  // Calls in progress that were sent straight to the port, and whom to
  // answer; calls held back until the adopted call ends.
  struct Direct {
    Tag tag;
    ErlDrvTermData caller;
  };
  std::vector<Direct> direct_;
  std::deque<Command> held_;
  // Commands being handled: 1 for a top-level one, more for those served
  // while a call waits for an import.
  int depth_ = 0;
};

struct ThreadStart {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<ThreadRecord> record;
};

void *thread_main(void *arg) {
  std::unique_ptr<ThreadStart> start(static_cast<ThreadStart *>(arg));
  try {
    // Engine set-up for this thread (WAMR keeps per-thread state); it
    // outlives the worker, which destroys the context.
    runtime::ThreadEnv engine_env;
    Worker worker(*start->shared);
    worker.run();
  } catch (...) {
    // Out of memory inside the worker: the instance is lost, the VM is not.
    start->shared->link.close();
    start->shared->mailbox.close();
  }
  std::shared_ptr<ThreadRecord> record = std::move(start->record);
  start.reset();
  --live;
  record->finished.store(true, std::memory_order_release);
  return nullptr;
}

} // namespace

// ---- Link ------------------------------------------------------------------

Link::Link(ErlDrvTermData port, ErlDrvTermData owner)
    : port_(port), owner_(owner) {}

void Link::send_to(ErlDrvTermData receiver, const Tag &tag,
                   const TermBuffer &reply) {
  TermBuffer fallback;
  const TermBuffer *term = &reply;
  if (!reply.ok()) {
    encode_error_atom(fallback, "enomem");
    if (!fallback.ok())
      return;
    term = &fallback;
  }
  // {Port, Tag, Reply}
  // clang-format off
  ErlDrvTermData spec[] = {
      ERL_DRV_PORT, port_,
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(tag.data()), tag.size(),
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(term->data()), term->size(),
      ERL_DRV_TUPLE, 3,
  };
  // clang-format on
  DrvLock lock(mutex_);
  if (!open_)
    return;
  erl_drv_send_term(port_, receiver, spec, sizeof(spec) / sizeof(spec[0]));
}

void Link::send_ok_binary(const Tag &tag, const uint8_t *data, size_t size) {
  TermBuffer ok;
  ok.atom("ok");
  if (!ok.ok())
    return;
  // {Port, Tag, {ok, Binary}}
  // clang-format off
  ErlDrvTermData spec[] = {
      ERL_DRV_PORT, port_,
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(tag.data()), tag.size(),
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(ok.data()), ok.size(),
      ERL_DRV_BUF2BINARY, reinterpret_cast<ErlDrvTermData>(data), size,
      ERL_DRV_TUPLE, 2,
      ERL_DRV_TUPLE, 3,
  };
  // clang-format on
  DrvLock lock(mutex_);
  if (!open_)
    return;
  erl_drv_send_term(port_, owner_, spec, sizeof(spec) / sizeof(spec[0]));
}

void Link::close() {
  DrvLock lock(mutex_);
  open_ = false;
}

// ---- Interruptor -----------------------------------------------------------

void Interruptor::attach(Context *context) {
  DrvLock lock(mutex_);
  context_ = context;
  if (context_ != nullptr && interrupted_)
    context_->interrupt();
}

void Interruptor::interrupt() {
  DrvLock lock(mutex_);
  interrupted_ = true;
  if (context_ != nullptr)
    context_->interrupt(); // thread-safe in the core
}

// ---- Mailbox ---------------------------------------------------------------

bool Mailbox::push(Command &&command) {
  DrvLock lock(mutex_);
  if (closed_)
    return false;
  queue_.push_back(std::move(command));
  cond_.signal();
  return true;
}

std::optional<Command> Mailbox::pop(bool inside_command) {
  DrvLock lock(mutex_);
  if (!inside_command)
    busy_ = false;
  while ((queue_.empty() || borrowed_) && !closed_)
    cond_.wait(mutex_);
  if (closed_)
    return std::nullopt;
  Command command = std::move(queue_.front());
  queue_.pop_front();
  busy_ = true;
  return command;
}

bool Mailbox::try_borrow() {
  DrvLock lock(mutex_);
  if (closed_ || busy_ || borrowed_ || !queue_.empty())
    return false;
  borrowed_ = true;
  return true;
}

void Mailbox::end_borrow() {
  DrvLock lock(mutex_);
  borrowed_ = false;
  // Only a thread with commands waiting needs waking: waking an idle one on
  // every fast call would cost the thread hand-off the fast path avoids.
  if (!queue_.empty() || closed_)
    cond_.signal();
}

void Mailbox::idle_now() {
  DrvLock lock(mutex_);
  busy_ = false;
}

void Mailbox::hand_over(Command &&command) {
  DrvLock lock(mutex_);
  queue_.push_front(std::move(command));
  borrowed_ = false;
  cond_.signal();
}

bool Mailbox::close() {
  DrvLock lock(mutex_);
  closed_ = true;
  queue_.clear();
  cond_.broadcast();
  return busy_;
}

// ---- InstanceThread --------------------------------------------------------

InstanceThread::InstanceThread(std::shared_ptr<Shared> shared,
                               std::shared_ptr<ThreadRecord> record)
    : shared_(std::move(shared)), record_(std::move(record)) {}

InstanceThread::~InstanceThread() {
  if (!stopped_)
    (void)stop();
}

std::unique_ptr<InstanceThread> InstanceThread::create(ErlDrvTermData port,
                                                       ErlDrvTermData owner) {
  auto shared = std::make_shared<Shared>(port, owner);
  auto record = std::make_shared<ThreadRecord>();
  return std::unique_ptr<InstanceThread>(
      new InstanceThread(std::move(shared), std::move(record)));
}

bool InstanceThread::start_thread(const Command &first) {
  uint64_t stack = kDefaultStackBytes;
  if (first.op == Op::init) {
    const uint64_t wasm_stack = first.options.max_stack_bytes;
    if (wasm_stack > kMaxWasmStackBytes) {
      TermBuffer term;
      encode_core_error(
          term, make_error(ErrorKind::invalid_argument,
                           "max_stack may be at most " +
                               std::to_string(kMaxWasmStackBytes) + " bytes"));
      shared_->link.send(first.tag, term);
      return false;
    }
    stack = std::max(stack, wasm_stack + kHostStackBytes);
  }
  auto start = std::make_unique<ThreadStart>(ThreadStart{shared_, record_});
  ErlDrvThreadOpts *opts =
      erl_drv_thread_opts_create(const_cast<char *>("hb_beamr"));
  int rc = -1;
  if (opts != nullptr) {
    // In kilowords, rounded up.
    const uint64_t kiloword = 1024 * sizeof(void *);
    opts->suggested_stack_size =
        static_cast<int>((stack + kiloword - 1) / kiloword);
    ++live;
    rc = erl_drv_thread_create(const_cast<char *>("hb_beamr_instance"),
                               &record_->tid, thread_main, start.get(), opts);
    erl_drv_thread_opts_destroy(opts);
    if (rc != 0)
      --live;
  }
  if (rc != 0) {
    TermBuffer term;
    encode_core_error(term, make_error(ErrorKind::allocation,
                                       "cannot create the instance thread"));
    shared_->link.send(first.tag, term);
    return false;
  }
  (void)start.release(); // the thread owns it now
  started_ = true;
  stack_bytes_ = stack;
  return true;
}

void InstanceThread::post(Command &&command) {
  if (!started_ && !stopped_ && !start_thread(command))
    return;
  if (started_ && command.op == Op::init &&
      command.options.max_stack_bytes > stack_bytes_ - kHostStackBytes) {
    // The thread's stack is fixed: it would not hold this much WebAssembly.
    TermBuffer term;
    encode_core_error(
        term,
        make_error(ErrorKind::invalid_argument,
                   "max_stack needs init to be the port's first command"));
    shared_->link.send(command.tag, term);
    return;
  }
  const Tag tag = command.tag;
  if (!shared_->mailbox.push(std::move(command))) {
    TermBuffer term;
    encode_error_atom(term, "stopped");
    shared_->link.send(tag, term);
  }
}

bool InstanceThread::stop() {
  stopped_ = true;
  shared_->link.close();
  const bool busy = shared_->mailbox.close();
  if (!started_)
    return true;
  shared_->interruptor.interrupt();
  if (busy) {
    const auto deadline = Clock::now() + kStopGrace;
    while (!record_->finished.load(std::memory_order_acquire) &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      // Again: an instance whose store was being made during the first
      // interrupt may have missed it.
      shared_->interruptor.interrupt();
    }
    if (!record_->finished.load(std::memory_order_acquire)) {
      DrvLock lock(registry->mutex);
      registry->orphans.push_back(Orphan{record_, shared_});
      return false;
    }
  }
  join(*record_);
  return true;
}

// ---- Registry --------------------------------------------------------------

bool threads_init() {
  if (registry != nullptr)
    return true;
  try {
    registry = new Registry();
  } catch (...) {
    return false;
  }
  return true;
}

void threads_finish() {
  if (registry == nullptr)
    return;
  {
    DrvLock lock(registry->mutex);
    // The driver is only unloaded once every orphan has finished (stop()
    // locks the driver otherwise), so these joins do not wait long.
    for (const Orphan &orphan : registry->orphans)
      join(*orphan.record);
    registry->orphans.clear();
  }
  delete registry;
  registry = nullptr;
}

void reap_threads() {
  if (registry == nullptr)
    return;
  DrvLock lock(registry->mutex);
  auto &orphans = registry->orphans;
  for (auto it = orphans.begin(); it != orphans.end();) {
    if (it->record->finished.load(std::memory_order_acquire)) {
      join(*it->record);
      it = orphans.erase(it);
    } else {
      it->shared->interruptor.interrupt();
      ++it;
    }
  }
}

size_t live_threads() { return live.load(); }
uint64_t thread_calls() { return calls_run.load(); }

} // namespace hb_beamr::driver
