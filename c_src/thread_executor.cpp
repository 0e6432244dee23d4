// The instance thread's executor; see thread_executor.hpp.
#include "thread_executor.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "call_stack.hpp"
#include "commands.hpp"
#include "hb_beamr/context.hpp"

namespace hb_beamr::driver {
namespace {

std::atomic<uint64_t> calls_run{0};

// The slice of a suspendable call on the thread: long enough never to end.
// The thread has no one to yield to; only the fast path, on a scheduler,
// runs in short slices.
constexpr auto kNoYield = std::chrono::hours(24);

class ThreadExecutor {
public:
  explicit ThreadExecutor(Shared &shared) : shared_(shared) {}
  // Also when run() is left by an exception: the interruptor must never see
  // a destroyed context.
  ~ThreadExecutor() { set_context(nullptr); }
  ThreadExecutor(const ThreadExecutor &) = delete;
  ThreadExecutor &operator=(const ThreadExecutor &) = delete;

  void run() {
    while (std::optional<ThreadMessage> message = shared_.session.take()) {
      if (auto *command = std::get_if<Command>(&*message))
        handle_safely(*command);
      else
        run_handed_over(std::get<HandOver>(*message));
      // Calls that came in during a handed-over call, in their order.
      while (!held_.empty()) {
        Command next = std::move(held_.front());
        held_.pop_front();
        handle_safely(next);
      }
    }
    set_context(nullptr);
  }

private:
  // Replies to one command by message, {Port, Tag, Reply}, to `to`.
  class TagSink : public ReplySink {
  public:
    TagSink(ThreadExecutor &executor, const Tag &tag, Receiver to)
        : executor_(executor), tag_(tag), to_(to) {}
    void term(const TermBuffer &reply) override {
      executor_.finishing();
      executor_.shared_.link.send_to(to_, tag_, reply);
    }
    void ok_binary(const uint8_t *data, size_t size) override {
      executor_.finishing();
      executor_.shared_.link.send_ok_binary(tag_, data, size);
    }

  private:
    ThreadExecutor &executor_;
    const Tag &tag_;
    Receiver to_;
  };
  TagSink sink_for(const Tag &tag) {
    return TagSink(*this, tag, calls_.receiver(tag));
  }

  // Called just before the final reply to a command: from then on the
  // command no longer touches the context, so a top-level one lets the fast
  // path borrow the instance at once. Otherwise a caller that calls again
  // as soon as it has its reply could find the thread still busy and fall
  // back needlessly.
  void finishing() {
    // Not while calls held back during a handed-over call still wait: this
    // thread runs them next, without going through the session.
    if (depth_ <= 1 && held_.empty())
      shared_.session.release();
  }

  // Replaces the context, keeping the interruptor's pointer valid: it never
  // sees a context being destroyed. The fast path sees it too (only while
  // it has borrowed the instance, when this thread leaves it alone).
  void set_context(std::unique_ptr<Context> context,
                   std::unique_ptr<HostImports> host = nullptr) {
    shared_.interruptor.attach(context.get());
    shared_.host_imports.store(host.get());
    shared_.context.store(context.get());
    std::swap(context_, context);
    context.reset(); // the old one, outside the interruptor's lock
    // Its providers only after it: they must outlive its calls.
    std::swap(host_, host);
  }

  void reply_error(const Tag &tag, const char *reason) {
    TagSink sink = sink_for(tag);
    driver::reply_error(sink, reason);
  }
  void reply_core_error(const Tag &tag, const Error &error) {
    TermBuffer term;
    encode_core_error(term, error);
    sink_for(tag).term(term);
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
    const Tag &tag = command.tag;
    if (auto *init = command.as<cmd::Init>())
      return do_init(tag, *init);
    if (auto *compile = command.as<cmd::Compile>())
      return do_compile(tag, *compile);
    if (auto *call = command.as<cmd::Call>())
      return do_call(command, *call);
    if (command.as<cmd::ImportAnswer>()) {
      // Late news for a call handed over by the fast path, which has ended
      // since: nobody waits for a reply.
      if (calls_.is_ended_hand_over(tag))
        return;
      // No import is waiting for this (a waiting import takes its own
      // answers in serve_until_answer).
      return reply_error(tag, "no_pending_import");
    }
    if (const auto *read = command.as<cmd::ReadOutput>())
      return do_read_output(tag, *read);
    if (is_memory_command(command.request)) {
      if (!require_instance(tag))
        return;
      TagSink sink = sink_for(tag);
      return run_memory_command(*context_, command.request, sink);
    }
    reply_error(tag, "badarg"); // info and ping: the driver's job
  }

  bool require_instance(const Tag &tag) {
    if (context_)
      return true;
    reply_error(tag, "not_initialized");
    return false;
  }

  void do_init(const Tag &tag, cmd::Init &init) {
    if (context_)
      return reply_error(tag, "already_initialized");
    std::unique_ptr<Context> context = Context::create(init.options);
    if (!context)
      return reply_error(tag, "enomem");
    const Status loaded =
        init.precompiled
            ? context->load_precompiled(init.wasm.data(), init.wasm.size())
            : context->load(init.wasm.data(), init.wasm.size());
    init.wasm = {};
    if (!loaded)
      return reply_core_error(tag, loaded.error());
    // From here on, stopping the port interrupts the start function.
    Context *raw = context.get();
    set_context(std::move(context), HostImports::create(init, shared_.link));
    Status made;
    if (Context::can_suspend()) {
      // Calls that can be suspended, so that the fast path can run them on
      // a scheduler.
      made = raw->instantiate_suspending(start_imports());
    } else {
      // Imports called by a start function go to the init's caller, but
      // for those the providers cover.
      calls_.push(tag, kOwner);
      made = raw->instantiate(
          [this](HostCall &call) { return on_import(call); },
          host_ ? host_->bindings(*raw) : std::vector<ImportBinding>{});
      calls_.pop();
    }
    if (!made) {
      set_context(nullptr);
      return reply_core_error(tag, made.error());
    }
    TermBuffer term;
    term.tuple(3).atom("ok");
    encode_externs(term, context_->imports(), true);
    encode_externs(term, context_->exports(), false);
    sink_for(tag).term(term);
  }

  void do_read_output(const Tag &tag, const cmd::ReadOutput &read) {
    if (!require_instance(tag))
      return;
    if (!host_)
      return reply_error(tag, "no_wasi");
    const std::string bytes = host_->take_output(read.stderr_stream);
    sink_for(tag).ok_binary(reinterpret_cast<const uint8_t *>(bytes.data()),
                            bytes.size());
  }

  // A start function's imports on a context that suspends calls: the
  // providers answer theirs, the others get zeros, as the init's caller
  // would answer them (the API gives it no import function).
  HostFunction start_imports() {
    if (!host_)
      return {};
    return [this](HostCall &call) -> Status {
      if (!host_->covers(call.import)) {
        for (size_t i = 0; i < call.import.func.results.size(); ++i)
          call.results[i] = zero_value(call.import.func.results[i]);
        return {};
      }
      return host_->answer(call.context, call.import, call.args, call.results);
    };
  }

  void do_compile(const Tag &tag, const cmd::Compile &compile) {
    std::unique_ptr<Context> context = Context::create();
    if (!context)
      return reply_error(tag, "enomem");
    const Status loaded =
        context->load(compile.wasm.data(), compile.wasm.size());
    if (!loaded)
      return reply_core_error(tag, loaded.error());
    Result<std::vector<uint8_t>> compiled = context->serialize_module();
    if (!compiled)
      return reply_core_error(tag, compiled.error());
    sink_for(tag).ok_binary(compiled.value().data(), compiled.value().size());
  }

  void do_call(const Command &command, const cmd::Call &call) {
    if (!require_instance(command.tag))
      return;
    TagSink early = sink_for(command.tag);
    CallSignature signature;
    std::vector<wasm_val_t> args;
    if (!prepare_call(*context_, call, signature, args, early))
      return;
    // Only an outermost call's time limit counts; nested calls run within it.
    if (calls_.empty()) {
      context_->set_call_timeout(call.timeout_ms);
      if (host_)
        host_->clear_exit();
    }
    const Receiver to =
        command.reply_to != 0 ? command.reply_to : calls_.receiver(command.tag);
    const bool outermost = calls_.empty();
    calls_.push(command.tag, to);
    // From here until end_call() the call is cancelled if its caller exits.
    shared_.session.begin_call(command.tag, *context_, outermost);
    ++calls_run;
    std::vector<wasm_val_t> results;
    Status called;
    if (context_->suspends_calls())
      called =
          drive(call.indirect
                    ? context_->start_call_indirect(call.index, args, kNoYield)
                    : context_->start_call(call.name, args, kNoYield),
                results);
    else if (call.indirect)
      called = context_->call_indirect(call.index, args, results);
    else
      called = context_->call(call.name, args, results);
    calls_.pop();
    if (outermost)
      shared_.session.end_call();
    finish_call(called, results, signature, TagSink(*this, command.tag, to));
  }

  // The final reply to a call, once it has left the call stack.
  void finish_call(const Status &called, const std::vector<wasm_val_t> &results,
                   const CallSignature &signature, TagSink sink) {
    if (!called)
      return reply_host_call_failure(host_.get(), called.error(), sink);
    reply_results(results, signature.get(), sink);
  }

  // A call the fast path started and handed over because it runs long: it
  // is suspended in the context, and goes on here. Its messages go to its
  // caller directly, who answers its imports with port commands. Its time
  // limit is already in the session.
  void run_handed_over(const HandOver &call) {
    if (!context_ || context_->suspended_calls() != 1) {
      TermBuffer term;
      encode_error_atom(term, "not_suspended");
      shared_.session.release();
      return shared_.link.send_to(call.caller, call.tag, term);
    }
    CallSignature signature;
    if (call.indirect) {
      Result<FuncSig> found = context_->table_signature(call.index);
      if (found)
        signature.own(std::move(found.value()));
    } else {
      for (const ExternDesc &e : context_->exports())
        if (e.name == call.name)
          signature.borrow(e.func);
    }
    calls_.push(call.tag, call.caller, true);
    shared_.session.begin_call(call.tag, *context_, true);
    ++calls_run;
    ++depth_;
    std::vector<wasm_val_t> results;
    // The fast path hands over a call that sleeps in a provider's import
    // too: it waits, unanswered, for this thread.
    const Status called =
        drive(context_->pending_import() ? CallProgress::awaiting_import
                                         : context_->resume(kNoYield),
              results);
    calls_.pop();
    shared_.session.end_call();
    finish_call(called, results, signature,
                TagSink(*this, call.tag, call.caller));
    --depth_;
  }

  // Runs a suspendable call from `progress` to its end.
  Status drive(Result<CallProgress> progress,
               std::vector<wasm_val_t> &results) {
    while (progress && progress.value() != CallProgress::finished) {
      if (progress.value() == CallProgress::awaiting_import &&
          host_ != nullptr &&
          host_->covers(*context_->pending_import()->import)) {
        host_->answer_pending(*context_);
      } else if (progress.value() == CallProgress::awaiting_import) {
        const ImportRequest request = *context_->pending_import();
        std::vector<wasm_val_t> answer;
        Status got =
            await_answer(*request.import, request.args->data(), answer);
        if (got)
          got = context_->resolve_import(answer);
        if (!got)
          (void)context_->reject_import(got.error().message);
      }
      progress = context_->resume(kNoYield);
    }
    if (!progress)
      return progress.error();
    results = context_->take_results();
    return {};
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

  // Sends the innermost call's import request, then serves the session
  // until the answer comes.
  Status await_answer(const ExternDesc &import, const wasm_val_t *args,
                      std::vector<wasm_val_t> &results) {
    if (calls_.empty()) {
      return make_error(ErrorKind::invalid_state,
                        "import called outside a call");
    }
    const Tag tag = calls_.innermost();
    // Until the answer comes, only the request's receiver may nest calls.
    // Said before the request goes out: its receiver may call at once.
    shared_.session.awaits_import(calls_.receiver(tag),
                                  Session::Executor::thread);
    struct Answered {
      Session &session;
      ~Answered() { session.import_answered(); }
    } answered{shared_.session};
    {
      TermBuffer term;
      encode_import_request(term, import, args);
      shared_.link.send_to(calls_.receiver(tag), tag, term);
    }
    std::optional<Command> answer = serve_until_answer(tag);
    if (!answer)
      return make_error(ErrorKind::trap, "instance stopped");
    return import_answer(*answer->as<cmd::ImportAnswer>(), import, results);
  }

  // The loop that runs while the innermost call (`tag`) waits for its
  // import: every other message is served here, a nested call from the
  // waiting call's caller included. Returns the answer, or nullopt once the
  // session closes.
  std::optional<Command> serve_until_answer(const Tag &tag) {
    for (;;) {
      std::optional<Command> command = next_while_waiting(tag);
      if (!command)
        return std::nullopt;
      const bool answer = command->as<cmd::ImportAnswer>() != nullptr;
      if (answer && !calls_.may_answer(command->tag, command->reply_to)) {
        refuse_answer(*command);
        continue;
      }
      if (answer && command->tag == tag)
        return command;
      if (answer && calls_.is_outer(command->tag)) {
        calls_.defer(std::move(*command));
        continue;
      }
      // Only the waiting call's receiver nests calls (the Session's rule);
      // any other process's call waits for the outermost call to end, as it
      // would have waited in the queue.
      const bool call = command->as<cmd::Call>() != nullptr;
      if (call && shared_.session.nesting_for(command->reply_to) !=
                      Session::Nesting::thread) {
        held_.push_back(std::move(*command));
        continue;
      }
      handle_safely(*command); // nested call, memory access, stray answer
    }
  }

  // An import answer from a process other than its call's caller: the
  // sender learns so, as from the instance process, and the call waits on.
  void refuse_answer(const Command &answer) {
    TermBuffer term;
    encode_error_atom(term, "not_the_caller");
    shared_.link.send_to(answer.reply_to, answer.tag, term);
  }

  // An answer kept for `tag` earlier, else the session's next command. A
  // hand-over cannot come now: the fast path borrows only an idle instance.
  std::optional<Command> next_while_waiting(const Tag &tag) {
    if (std::optional<Command> kept = calls_.take_deferred(tag))
      return kept;
    for (;;) {
      std::optional<ThreadMessage> message = shared_.session.take(true);
      if (!message)
        return std::nullopt;
      if (auto *command = std::get_if<Command>(&*message))
        return std::move(*command);
      assert(false && "hand-over while the thread holds the instance");
    }
  }

  Shared &shared_;
  std::unique_ptr<HostImports> host_;
  std::unique_ptr<Context> context_;
  CallStack calls_;
  // Calls held back until the handed-over call in progress ends.
  std::deque<Command> held_;
  // Commands being handled: 1 for a top-level one, more for those served
  // while a call waits for an import.
  int depth_ = 0;
};

} // namespace

void run_instance_thread(Shared &shared) {
  ThreadExecutor executor(shared);
  executor.run();
}

uint64_t thread_calls() { return calls_run.load(); }

} // namespace hb_beamr::driver
