// Native floors for the Erlang benchmarks, measured on the core C++ API
// (hb_beamr::Context) without Erlang, the port or the instance thread:
//   memcpy SIZE_MIB...          memcpy of warm buffers (memory rows)
//   call FAC_WASM               Context::call of fac(5.0) (engine alone)
//   handoff                     a round trip between two threads that sleep
//                               on condition variables (the wake-ups every
//                               driver call pays)
//   import LOOP_WASM N          import_loop's loop(N) with env.tick answered
//                               by a C++ host function (import rows)
//   invoke EMSC_WASM N          emsc_invoke's invoke_loop(N): N invoke_ii
//                               round trips through the emscripten provider
//   start NAME WASM...          load + instantiate, cold / cached / aot
//   rewrite NAME WASM           the legacy exception-handling rewriter alone
//                               (Wasmtime's share of loading such a module)
//   lua LUA_WASM                the Lua fixture's handle("return 1+1")
//   footprint FAC_WASM COUNT    resident memory per instantiated context
// Prints CSV rows as described in sampler.hpp.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <hb_beamr_rewrite.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/emscripten.hpp"
#include "hb_beamr/runtime.hpp"
#include "sampler.hpp"

namespace hb_beamr::bench {
namespace {

std::vector<uint8_t> read_file(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

[[noreturn]] void die(const char *what, const Error &error) {
  std::fprintf(stderr, "%s: %s: %s\n", what, error_kind_name(error.kind),
               error.message.c_str());
  std::exit(1);
}

void check(const char *what, const Status &status) {
  if (!status)
    die(what, status.error());
}

// Imports (none in these modules but import_loop's) answered with nothing.
Status no_import(HostCall &) {
  return make_error(ErrorKind::link, "unexpected import");
}

// Imports answered with zeros, as hb_beamr:call/3 does (the Lua fixture's
// WASI and emscripten stubs).
Status zero_import(HostCall &) { return {}; }

std::unique_ptr<Context> instantiate(const std::vector<uint8_t> &bytes,
                                     std::vector<ImportBinding> bindings = {},
                                     HostFunction other_imports = no_import) {
  std::unique_ptr<Context> context = Context::create();
  check("load", context->load(bytes.data(), bytes.size()));
  check("instantiate",
        context->instantiate(other_imports, std::move(bindings)));
  return context;
}

int cmd_memcpy(int argc, char **argv) {
  for (int k = 0; k < argc; ++k) {
    const size_t mib = std::strtoul(argv[k], nullptr, 10);
    const size_t size = mib << 20;
    std::vector<uint8_t> src(size, 1), dst(size, 2); // faulted in
    const auto times =
        sample([&] { std::memcpy(dst.data(), src.data(), size); },
               mib >= 64 ? 1 : 16, budget(5, 21, 4));
    print_row("memory", "memcpy_" + std::to_string(mib) + "MiB", "s", times,
              std::to_string(size));
  }
  return 0;
}

int cmd_call(const char *fac_path) {
  const std::vector<uint8_t> bytes = read_file(fac_path);
  std::unique_ptr<Context> context = instantiate(bytes);
  std::vector<wasm_val_t> call_args(1);
  call_args[0].kind = WASM_F64;
  call_args[0].of.f64 = 5.0;
  std::vector<wasm_val_t> results;
  const auto times =
      sample([&] { check("call", context->call("fac", call_args, results)); },
             100000, budget(5, 11, 3));
  print_row("call", "native_call_fac", "s", times);
  return 0;
}

// Two threads pass a token back and forth; each waits on its own condition
// variable, as the instance thread and an idle scheduler do.
int cmd_handoff() {
  std::mutex mutex;
  std::condition_variable to_peer, to_main;
  uint64_t sent = 0, echoed = 0;
  bool done = false;
  std::thread peer([&] {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      to_peer.wait(lock, [&] { return done || sent != echoed; });
      if (done)
        return;
      echoed = sent;
      to_main.notify_one();
    }
  });
  const auto times = sample(
      [&] {
        std::unique_lock<std::mutex> lock(mutex);
        ++sent;
        to_peer.notify_one();
        to_main.wait(lock, [&] { return echoed == sent; });
      },
      20000, budget(5, 15, 4));
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  to_peer.notify_one();
  peer.join();
  print_row("call", "thread_handoff", "s", times);
  return 0;
}

int cmd_import(const char *loop_path, uint32_t n) {
  const std::vector<uint8_t> bytes = read_file(loop_path);
  ImportBinding tick{"env", "tick", [](HostCall &call) -> Status {
                       call.results[0].kind = WASM_I32;
                       call.results[0].of.i32 = call.args[0].of.i32 + 1;
                       return {};
                     }};
  std::unique_ptr<Context> context = instantiate(bytes, {tick});
  std::vector<wasm_val_t> args(1);
  args[0].kind = WASM_I32;
  args[0].of.i32 = static_cast<int32_t>(n);
  std::vector<wasm_val_t> results;
  const auto times =
      sample([&] { check("loop", context->call("loop", args, results)); }, 1,
             budget(5, 11, 3));
  std::vector<double> per_import;
  for (double t : times)
    per_import.push_back(t / n);
  print_row("import", "import_native", "s", per_import,
            std::to_string(results.at(0).of.i32));
  return 0;
}

int cmd_invoke(const char *emsc_path, uint32_t n) {
  const std::vector<uint8_t> bytes = read_file(emsc_path);
  Emscripten emscripten;
  std::unique_ptr<Context> context = Context::create();
  check("load", context->load(bytes.data(), bytes.size()));
  check("instantiate", context->instantiate(
                           no_import, emscripten.bindings(context->imports())));
  std::vector<wasm_val_t> args(1);
  args[0].kind = WASM_I32;
  args[0].of.i32 = static_cast<int32_t>(n);
  std::vector<wasm_val_t> results;
  const auto times = sample(
      [&] {
        check("invoke_loop", context->call("invoke_loop", args, results));
      },
      1, budget(5, 11, 3));
  print_row("import", "emscripten_invoke_x" + std::to_string(n), "s", times,
            std::to_string(results.at(0).of.i32));
  return 0;
}

int cmd_start(const std::string &name, const char *path) {
  const std::vector<uint8_t> bytes = read_file(path);
  const std::string detail = std::to_string(bytes.size());
  const Budget slow = budget(3, 11, 8);
  // Cold: no live context holds the module, so load() compiles.
  const auto cold = sample([&] { instantiate(bytes); }, 1, slow);
  print_row("start", "native_start_" + name + "_cold", "s", cold, detail);
  // Cached: a live context holds the module, so load() shares it.
  {
    std::unique_ptr<Context> holder = instantiate(bytes);
    const auto cached = sample([&] { instantiate(bytes); }, 1, slow);
    print_row("start", "native_start_" + name + "_cached", "s", cached, detail);
  }
  // Precompiled: load_precompiled() of serialize_module()'s output.
  Result<std::vector<uint8_t>> compiled =
      instantiate(bytes)->serialize_module();
  if (!compiled) {
    print_unavailable("start", "native_start_" + name + "_aot",
                      std::string("unsupported: ") + compiled.error().message);
    return 0;
  }
  const std::vector<uint8_t> &aot = compiled.value();
  const auto times = sample(
      [&] {
        std::unique_ptr<Context> context = Context::create();
        check("load_precompiled",
              context->load_precompiled(aot.data(), aot.size()));
        check("instantiate", context->instantiate(no_import, {}));
      },
      1, slow);
  print_row("start", "native_start_" + name + "_aot", "s", times,
            std::to_string(aot.size()));
  return 0;
}

// The rewriter on its own, as the Wasmtime adapter runs it before compiling:
// compare with native_start_NAME_cold (which includes it) for its share. A
// module without legacy exception handling measures the scan that finds so.
int cmd_rewrite(const std::string &name, const char *path) {
  const std::string row = "native_rewrite_" + name;
  if (std::string(runtime::engine_name()) != "wasmtime") {
    print_unavailable("start", row,
                      "WAMR runs legacy exception handling as it is");
    return 0;
  }
  const std::vector<uint8_t> bytes = read_file(path);
  int outcome = HB_BEAMR_REWRITE_ERROR;
  const auto times = sample(
      [&] {
        uint8_t *out = nullptr;
        size_t out_size = 0;
        char *error = nullptr;
        outcome = hb_beamr_rewrite_legacy_eh(bytes.data(), bytes.size(), &out,
                                             &out_size, &error);
        hb_beamr_rewrite_free_bytes(out, out_size);
        hb_beamr_rewrite_free_error(error);
      },
      1, budget(5, 21, 4));
  if (outcome == HB_BEAMR_REWRITE_ERROR) {
    std::fprintf(stderr, "rewrite %s: error\n", path);
    return 1;
  }
  print_row("start", row, "s", times,
            outcome == HB_BEAMR_REWRITE_DONE ? "rewritten" : "unchanged");
  return 0;
}

// handle("return 1+1") on the Lua fixture, the C++ floor of the Erlang row.
int cmd_lua(const char *path) {
  const std::vector<uint8_t> bytes = read_file(path);
  std::unique_ptr<Context> context = instantiate(bytes, {}, zero_import);
  const char code[] = "return 1+1";
  std::vector<wasm_val_t> args(1), results;
  args[0].kind = WASM_I64;
  args[0].of.i64 = sizeof code;
  check("malloc", context->call("malloc", args, results));
  const uint64_t in = static_cast<uint64_t>(results.at(0).of.i64);
  check("write", context->memory_write(in, code, sizeof code));
  args[0].of.i64 = static_cast<int64_t>(in);
  char answer[2] = {0, 0};
  const auto times = sample(
      [&] {
        check("handle", context->call("handle", args, results));
        check("read",
              context->memory_read(static_cast<uint64_t>(results.at(0).of.i64),
                                   answer, sizeof answer));
      },
      100, budget(5, 11, 3));
  if (answer[0] != '2' || answer[1] != '\0') {
    std::fprintf(stderr, "lua: handle(\"%s\") did not answer \"2\"\n", code);
    return 1;
  }
  print_row("lua", "native_lua_handle", "s", times, "2");
  return 0;
}

// VmRSS of this process, in bytes.
double resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtod(line.c_str() + 6, nullptr) * 1024;
  }
  return 0;
}

int cmd_footprint(const char *fac_path, int count) {
  const std::vector<uint8_t> bytes = read_file(fac_path);
  std::vector<wasm_val_t> args(1);
  args[0].kind = WASM_F64;
  args[0].of.f64 = 5.0;
  std::vector<wasm_val_t> results;
  // One context first, so the compiled module is not counted per context.
  std::unique_ptr<Context> first = instantiate(bytes);
  check("call", first->call("fac", args, results));
  const double before = resident_bytes();
  std::vector<std::unique_ptr<Context>> contexts;
  for (int k = 0; k < count; ++k) {
    contexts.push_back(instantiate(bytes));
    check("call", contexts.back()->call("fac", args, results));
  }
  const double per_context = (resident_bytes() - before) / count;
  print_row("scale", "native_rss_per_context", "bytes", {per_context},
            std::to_string(count));
  return 0;
}

int usage(const char *self) {
  std::fprintf(
      stderr,
      "usage: %s memcpy MIB... | handoff | call FAC | import LOOP N |\n"
      "       invoke EMSC N |\n"
      "       start NAME WASM | rewrite NAME WASM | lua LUA_WASM |\n"
      "       footprint FAC COUNT\n",
      self);
  return 2;
}

int run(int argc, char **argv) {
  if (argc < 2)
    return usage(argv[0]);
  const std::string cmd = argv[1];
  if (cmd == "memcpy")
    return cmd_memcpy(argc - 2, argv + 2);
  if (cmd == "handoff")
    return cmd_handoff();
  check("runtime", runtime::init(nullptr));
  int rc = 2;
  if (cmd == "call" && argc == 3)
    rc = cmd_call(argv[2]);
  else if (cmd == "import" && argc == 4)
    rc = cmd_import(argv[2], static_cast<uint32_t>(std::atoi(argv[3])));
  else if (cmd == "invoke" && argc == 4)
    rc = cmd_invoke(argv[2], static_cast<uint32_t>(std::atoi(argv[3])));
  else if (cmd == "start" && argc == 4)
    rc = cmd_start(argv[2], argv[3]);
  else if (cmd == "rewrite" && argc == 4)
    rc = cmd_rewrite(argv[2], argv[3]);
  else if (cmd == "lua" && argc == 3)
    rc = cmd_lua(argv[2]);
  else if (cmd == "footprint" && argc == 4)
    rc = cmd_footprint(argv[2], std::atoi(argv[3]));
  else
    rc = usage(argv[0]);
  runtime::destroy();
  return rc;
}

} // namespace
} // namespace hb_beamr::bench

int main(int argc, char **argv) { return hb_beamr::bench::run(argc, argv); }
