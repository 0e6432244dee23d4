// libFuzzer target: a WebAssembly binary from the outside world, through
// everything a caller can do with it — load (module scan, legacy exception
// rewrite, compile), describe, instantiate, call every export, read memory.
// Any crash, sanitizer report, leak or hang is a bug: hostile modules must
// only ever produce errors.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"

namespace {

using hb_beamr::Context;
using hb_beamr::ContextOptions;
using hb_beamr::ExternKind;
using hb_beamr::HostCall;
using hb_beamr::Status;

// Tight limits keep one input cheap: a fuzzed module that loops or grows
// without end runs out of fuel or memory long before libFuzzer's timeout.
ContextOptions fuzz_options() {
  ContextOptions options;
  options.max_memory_bytes = 64ull << 20;
  options.max_table_elements = 1u << 16;
  options.fuel_per_call = 200000;
  return options;
}

// Every import answers zeros, like an Erlang import function that returns
// the default for each result.
Status zero_results(HostCall &call) {
  const auto &results = call.import.func.results;
  for (size_t i = 0; i < results.size(); ++i)
    call.results[i] = hb_beamr::zero_value(results[i]);
  return {};
}

// Calls `name` with zeros of its parameter types; errors are expected.
void call_with_zeros(Context &context, const std::string &name) {
  auto signature = context.export_signature(name);
  if (!signature)
    return;
  std::vector<wasm_val_t> args;
  for (auto type : signature.value().params)
    args.push_back(hb_beamr::zero_value(type));
  std::vector<wasm_val_t> results;
  (void)context.call(name, args, results);
}

void exercise_memory(Context &context) {
  auto size = context.memory_size();
  if (!size || size.value() == 0)
    return;
  uint8_t byte = 0;
  (void)context.memory_read(size.value() - 1, &byte, 1);
  (void)context.memory_read(size.value(), &byte, 1); // out of bounds
  (void)context.memory_write(0, &byte, 1);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bool initialized = hb_beamr::runtime::init(nullptr).ok();
  if (!initialized)
    return 0;
  auto context = Context::create(fuzz_options());
  if (!context || !context->load(data, size))
    return 0;
  for (const auto &desc : context->imports())
    (void)desc.signature.size();
  if (!context->instantiate(zero_results, {}))
    return 0;
  for (const auto &desc : context->exports())
    if (desc.kind == ExternKind::func)
      call_with_zeros(*context, desc.name);
  for (uint64_t index = 0; index < 4; ++index) {
    std::vector<wasm_val_t> results;
    if (auto signature = context->table_signature(index);
        signature && signature.value().params.empty())
      (void)context->call_indirect(index, {}, results);
  }
  exercise_memory(*context);
  return 0;
}
