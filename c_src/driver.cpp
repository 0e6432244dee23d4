// hb_beamr.so: the linked-in port driver. Callbacks only; each port is one
// WebAssembly instance whose work runs on its own thread (instance_thread.hpp)
// and whose commands are decoded by protocol.hpp.
#include <erl_driver.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "fast_path.hpp"
#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"
#include "instance_thread.hpp"
#include "protocol.hpp"
#include "wire.hpp"

namespace hb_beamr::driver {
namespace {

// Whether this driver created the runtime (and so destroys it on unload).
bool owns_runtime = false;

struct PortData {
  ErlDrvPort port;
  std::unique_ptr<InstanceThread> instance;
  std::unique_ptr<FastPath> fast;
};

int drv_init() {
  if (!threads_init())
    return -1;
  const Status made = runtime::init(nullptr);
  if (made) {
    owns_runtime = true;
    return 0;
  }
  // Someone else in this process made it: use theirs.
  if (made.error().kind == ErrorKind::invalid_state)
    return 0;
  threads_finish();
  return -1;
}

void drv_finish() {
  threads_finish();
  if (owns_runtime)
    runtime::destroy();
  owns_runtime = false;
}

ErlDrvData drv_start(ErlDrvPort port, char * /*command*/) {
  reap_threads();
  try {
    auto data = std::make_unique<PortData>();
    data->port = port;
    data->instance =
        InstanceThread::create(driver_mk_port(port), driver_connected(port));
    data->fast = std::make_unique<FastPath>(port, data->instance->shared());
    set_port_control_flags(port, PORT_CONTROL_FLAG_BINARY);
    return reinterpret_cast<ErlDrvData>(data.release());
  } catch (const std::bad_alloc &) {
    errno = ENOMEM;
    return ERL_DRV_ERROR_ERRNO;
  } catch (...) {
    // No exception may unwind into the emulator (it aborts the VM).
    errno = EAGAIN;
    return ERL_DRV_ERROR_ERRNO;
  }
}

void drv_stop(ErlDrvData handle) {
  std::unique_ptr<PortData> data(reinterpret_cast<PortData *>(handle));
  try {
    // A call the fast path holds is abandoned first: the thread may then be
    // stopped like any idle one.
    data->fast->stop();
    if (!data->instance->stop()) {
      // Rare: the thread is busy with work that cannot be interrupted
      // (running WebAssembly is) and still runs driver code, so the driver
      // must never be unloaded under it.
      driver_lock_driver(data->port);
    }
    data->instance.reset();
    reap_threads();
  } catch (...) {
    // Out of memory half-way through stopping: the thread may still run
    // with this port's data, so leak the data and keep the driver loaded
    // rather than free anything under it or unwind into the emulator.
    driver_lock_driver(data->port);
    (void)data.release();
  }
}

// Answers {info, Tag} right here: it needs nothing from the thread.
void reply_info(Link &link, const Tag &tag) {
  const runtime::ModuleCacheStats cache = runtime::module_cache_stats();
  TermBuffer term;
  term.tuple(2).atom("ok").list(9);
  term.tuple(2).atom("engine").atom(runtime::engine_name());
  term.tuple(2).atom("contexts").uinteger(Context::live_count());
  term.tuple(2).atom("threads").uinteger(live_threads());
  term.tuple(2).atom("module_cache_hits").uinteger(cache.hits);
  term.tuple(2).atom("module_cache_misses").uinteger(cache.misses);
  term.tuple(2).atom("modules_cached").uinteger(cache.entries);
  term.tuple(2).atom("fast_calls").uinteger(fast_calls());
  term.tuple(2).atom("fast_fallbacks").uinteger(fast_fallbacks());
  term.tuple(2).atom("thread_calls").uinteger(thread_calls());
  term.nil();
  link.send(tag, term);
}

void drv_output(ErlDrvData handle, char *buf, ErlDrvSizeT len) {
  auto *data = reinterpret_cast<PortData *>(handle);
  Link &link = data->instance->link();
  try {
    Command command;
    if (!decode_command(buf, len, command)) {
      TermBuffer term;
      encode_error_atom(term, "badarg");
      link.send(command.tag, term);
      return;
    }
    if (command.as<cmd::Info>()) {
      reply_info(link, command.tag);
      return;
    }
    if (command.as<cmd::Ping>()) {
      TermBuffer term;
      term.atom("pong");
      link.send(command.tag, term);
      return;
    }
    // Commands from anyone but the owner (the instance process) come from
    // a process whose call the thread runs for it; their replies go back
    // to that process.
    const ErlDrvTermData sender = driver_caller(data->port);
    if (sender != driver_connected(data->port))
      command.reply_to = sender;
    data->instance->post(std::move(command));
  } catch (const std::bad_alloc &) {
    TermBuffer term;
    encode_error_atom(term, "enomem");
    link.send(undefined_tag(), term);
  }
}

// erlang:port_control(Port, 0, _) returns an empty binary at once: the
// cheapest round trip into the driver, a floor for the benchmarks. Commands
// 1-4 are the fast path (fast_path.hpp); others raise badarg.
ErlDrvSSizeT drv_control(ErlDrvData handle, unsigned int command, char *buf,
                         ErlDrvSizeT len, char **rbuf, ErlDrvSizeT rlen) {
  if (command == wire::byte(wire::ControlOp::ping))
    return 0;
  auto *data = reinterpret_cast<PortData *>(handle);
  try {
    return data->fast->control(command, buf, len, rbuf, rlen);
  } catch (...) {
    return -1; // badarg rather than an exception into the emulator
  }
}

void drv_process_exit(ErlDrvData handle, ErlDrvMonitor *monitor) {
  auto *data = reinterpret_cast<PortData *>(handle);
  try {
    data->fast->caller_exited(*monitor);
  } catch (...) {
    // Nothing to answer: the caller is gone. No exception may unwind into
    // the emulator.
  }
}

ErlDrvEntry make_entry() {
  ErlDrvEntry entry;
  std::memset(&entry, 0, sizeof(entry));
  entry.init = drv_init;
  entry.start = drv_start;
  entry.stop = drv_stop;
  entry.output = drv_output;
  entry.control = drv_control;
  entry.process_exit = drv_process_exit;
  entry.driver_name = const_cast<char *>("hb_beamr");
  entry.finish = drv_finish;
  entry.extended_marker = ERL_DRV_EXTENDED_MARKER;
  entry.major_version = ERL_DRV_EXTENDED_MAJOR_VERSION;
  entry.minor_version = ERL_DRV_EXTENDED_MINOR_VERSION;
  // Callbacks of different ports run in parallel; shared state is locked.
  entry.driver_flags = ERL_DRV_FLAG_USE_PORT_LOCKING;
  return entry;
}

ErlDrvEntry driver_entry = make_entry();

} // namespace
} // namespace hb_beamr::driver

extern "C" {
DRIVER_INIT(hb_beamr) { return &hb_beamr::driver::driver_entry; }
}
