// The C facade: hb_beamr_capi_lib_* over hb_beamr::Context. Maps each
// ErrorKind to a return code and keeps messages per context; never throws.
#include "hb_beamr_capi_lib.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "context_internal.hpp"
#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"

using hb_beamr::Context;
using hb_beamr::ErrorKind;
using hb_beamr::Status;

struct hb_beamr_capi_lib_context {
  std::unique_ptr<Context> context;
  // Errors found by the facade itself (bad pointers) before the context saw
  // the call; reset by every facade call.
  std::string facade_error;
  // Destruction requested from inside one of the context's host functions:
  // carried out when the outermost call returns.
  bool destroy_pending = false;
};

namespace {

hb_beamr_capi_lib_rc_t rc_of(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::allocation: return HB_BEAMR_CAPI_LIB_ERROR_ALLOCATION_FAILED;
  case ErrorKind::engine_init:
    return HB_BEAMR_CAPI_LIB_ERROR_RUNTIME_INIT_FAILED;
  case ErrorKind::load: return HB_BEAMR_CAPI_LIB_ERROR_LOAD_FAILED;
  case ErrorKind::instantiate:
    return HB_BEAMR_CAPI_LIB_ERROR_INSTANTIATE_FAILED;
  case ErrorKind::link: return HB_BEAMR_CAPI_LIB_ERROR_NATIVE_LINKING_FAILED;
  case ErrorKind::lookup: return HB_BEAMR_CAPI_LIB_ERROR_FUNCTION_LOOKUP_FAILED;
  case ErrorKind::trap: return HB_BEAMR_CAPI_LIB_ERROR_CALL_FAILED;
  case ErrorKind::invalid_state: return HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE;
  case ErrorKind::invalid_argument:
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  case ErrorKind::out_of_bounds: return HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS;
  case ErrorKind::unsupported: return HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED;
  case ErrorKind::interrupted: return HB_BEAMR_CAPI_LIB_ERROR_INTERRUPTED;
  case ErrorKind::timeout: return HB_BEAMR_CAPI_LIB_ERROR_TIMEOUT;
  }
  return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
}

template <typename R> hb_beamr_capi_lib_rc_t rc_of_result(const R &result) {
  return result ? HB_BEAMR_CAPI_LIB_SUCCESS : rc_of(result.error().kind);
}

// Starts a facade call: clears the facade's own message. Returns false (and
// the caller returns INVALID_ARGUMENT) when ctx is NULL.
bool begin(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx == nullptr)
    return false;
  ctx->facade_error.clear();
  return true;
}

hb_beamr_capi_lib_rc_t bad_argument(hb_beamr_capi_lib_context_t *ctx,
                                    const char *message) {
  ctx->facade_error = message;
  return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
}

struct HostFunctionBinding {
  hb_beamr_capi_host_function_t function;
  void *user_data;
};

hb_beamr::HostFunction adapt(hb_beamr_capi_lib_context_t *ctx,
                             HostFunctionBinding binding) {
  return [ctx, binding](hb_beamr::HostCall &call) -> Status {
    hb_beamr_capi_import_info_t info{call.import.module.c_str(),
                                     call.import.name.c_str(),
                                     call.import.signature.c_str()};
    wasm_trap_t *trap = binding.function(
        ctx, &info, call.args, call.import.func.params.size(), call.results,
        call.import.func.results.size(), binding.user_data);
    if (trap == nullptr)
      return {};
    std::string text = hb_beamr::internal::trap_text(trap);
    wasm_trap_delete(trap);
    return hb_beamr::make_error(ErrorKind::trap, text);
  };
}

// Runs a call and carries out a destruction requested during it.
template <typename F>
hb_beamr_capi_lib_rc_t
run_call(hb_beamr_capi_lib_context_t *ctx, uint32_t num_args, wasm_val_t args[],
         uint32_t num_results, wasm_val_t results[], F call) {
  if (num_args > 0 && args == nullptr)
    return bad_argument(ctx, "args is NULL");
  if (num_results > 0 && results == nullptr)
    return bad_argument(ctx, "results is NULL");
  std::vector<wasm_val_t> in(args, args + num_args), out;
  Status status = call(in, out);
  if (ctx->destroy_pending && !hb_beamr::internal::in_call(*ctx->context)) {
    delete ctx;
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE;
  }
  if (!status)
    return rc_of(status.error().kind);
  if (out.size() != num_results)
    return bad_argument(ctx, "num_results does not match the function's "
                             "result count");
  std::copy(out.begin(), out.end(), results);
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

hb_beamr_capi_extern_kind_t kind_of(hb_beamr::ExternKind kind) {
  switch (kind) {
  case hb_beamr::ExternKind::func: return HB_BEAMR_CAPI_EXTERN_FUNC;
  case hb_beamr::ExternKind::global: return HB_BEAMR_CAPI_EXTERN_GLOBAL;
  case hb_beamr::ExternKind::table: return HB_BEAMR_CAPI_EXTERN_TABLE;
  case hb_beamr::ExternKind::memory: return HB_BEAMR_CAPI_EXTERN_MEMORY;
  case hb_beamr::ExternKind::tag: return HB_BEAMR_CAPI_EXTERN_TAG;
  }
  return HB_BEAMR_CAPI_EXTERN_FUNC;
}

hb_beamr_capi_lib_rc_t describe(hb_beamr_capi_lib_context_t *ctx,
                                const std::vector<hb_beamr::ExternDesc> &list,
                                size_t index,
                                hb_beamr_capi_extern_desc_t *out) {
  if (out == nullptr)
    return bad_argument(ctx, "out is NULL");
  if (index >= list.size())
    return bad_argument(ctx, "index out of range");
  const hb_beamr::ExternDesc &d = list[index];
  *out = {kind_of(d.kind), d.module.c_str(), d.name.c_str(),
          d.signature.c_str()};
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

// What an import nobody linked does when called: trap, naming it, so that
// a module whose unused imports nobody answers still instantiates.
hb_beamr::Status unlinked_import(hb_beamr::HostCall &call) {
  return hb_beamr::make_error(hb_beamr::ErrorKind::trap,
                              "unlinked import " + call.import.module + "." +
                                  call.import.name + " called");
}

} // namespace

extern "C" {

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_init_runtime_global(wasm_config_t *config) {
  Status status = hb_beamr::runtime::init(config);
  return rc_of_result(status);
}

void hb_beamr_capi_lib_destroy_runtime_global(void) {
  hb_beamr::runtime::destroy();
}

hb_beamr_capi_lib_state_t hb_beamr_capi_lib_runtime_state(void) {
  return static_cast<hb_beamr_capi_lib_state_t>(hb_beamr::runtime::state());
}

const char *hb_beamr_capi_lib_engine_name(void) {
  return hb_beamr::runtime::engine_name();
}

hb_beamr_capi_lib_context_t *hb_beamr_capi_lib_create_context_with_options(
    const hb_beamr_capi_context_options_t *options) {
  hb_beamr::ContextOptions cpp;
  if (options != nullptr) {
    cpp.max_memory_bytes = options->max_memory_bytes;
    cpp.max_table_elements = options->max_table_elements;
    cpp.fuel_per_call = options->fuel_per_call;
    cpp.max_stack_bytes = options->max_stack_bytes;
    cpp.deterministic = options->deterministic != 0;
  }
  auto *ctx = new (std::nothrow) hb_beamr_capi_lib_context_t();
  if (ctx == nullptr)
    return nullptr;
  ctx->context = Context::create(cpp);
  if (!ctx->context) {
    delete ctx;
    return nullptr;
  }
  return ctx;
}

hb_beamr_capi_lib_context_t *hb_beamr_capi_lib_create_context(void) {
  return hb_beamr_capi_lib_create_context_with_options(nullptr);
}

void hb_beamr_capi_lib_destroy_context(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx == nullptr)
    return;
  if (hb_beamr::internal::in_call(*ctx->context)) {
    hb_beamr::internal::mark_destroyed(*ctx->context);
    ctx->destroy_pending = true;
    return;
  }
  delete ctx;
}

const char *hb_beamr_capi_lib_get_last_error(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx == nullptr)
    return "context is NULL";
  if (!ctx->facade_error.empty())
    return ctx->facade_error.c_str();
  return ctx->context->last_error().c_str();
}

hb_beamr_capi_lib_state_t
hb_beamr_capi_lib_get_state(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx == nullptr)
    return HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED;
  return static_cast<hb_beamr_capi_lib_state_t>(ctx->context->state());
}

const char *hb_beamr_capi_lib_state_name(hb_beamr_capi_lib_state_t state) {
  if (state < HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED ||
      state > HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED)
    return "UNKNOWN";
  return hb_beamr::state_name(static_cast<hb_beamr::State>(state));
}

const char *hb_beamr_capi_lib_rc_name(hb_beamr_capi_lib_rc_t rc) {
  switch (rc) {
  case HB_BEAMR_CAPI_LIB_SUCCESS: return "SUCCESS";
  case HB_BEAMR_CAPI_LIB_ERROR_ALLOCATION_FAILED: return "ALLOCATION_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_RUNTIME_INIT_FAILED:
    return "RUNTIME_INIT_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_LOAD_FAILED: return "LOAD_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_INSTANTIATE_FAILED: return "INSTANTIATE_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_FUNCTION_LOOKUP_FAILED:
    return "FUNCTION_LOOKUP_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_CALL_FAILED: return "CALL_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE: return "INVALID_STATE";
  case HB_BEAMR_CAPI_LIB_ERROR_NATIVE_LINKING_FAILED:
    return "NATIVE_LINKING_FAILED";
  case HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS: return "OUT_OF_BOUNDS";
  case HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED: return "UNSUPPORTED";
  case HB_BEAMR_CAPI_LIB_ERROR_INTERRUPTED: return "INTERRUPTED";
  case HB_BEAMR_CAPI_LIB_ERROR_TIMEOUT: return "TIMEOUT";
  }
  return "UNKNOWN";
}

void *hb_beamr_capi_lib_context_get_store(hb_beamr_capi_lib_context_t *ctx) {
  return ctx == nullptr ? nullptr
                        : hb_beamr::internal::engine_store(*ctx->context);
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_load_wasm_module(hb_beamr_capi_lib_context_t *ctx,
                                   const uint8_t *wasm_binary_buf,
                                   uint32_t wasm_binary_size) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return rc_of_result(ctx->context->load(wasm_binary_buf, wasm_binary_size));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_load_precompiled_module(hb_beamr_capi_lib_context_t *ctx,
                                          const uint8_t *buf, size_t size) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return rc_of_result(ctx->context->load_precompiled(buf, size));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_serialize_module(hb_beamr_capi_lib_context_t *ctx,
                                   wasm_byte_vec_t *out) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (out == nullptr)
    return bad_argument(ctx, "out is NULL");
  auto bytes = ctx->context->serialize_module();
  if (!bytes)
    return rc_of(bytes.error().kind);
  wasm_byte_vec_new(
      out, bytes.value().size(),
      reinterpret_cast<const wasm_byte_t *>(bytes.value().data()));
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

size_t hb_beamr_capi_lib_import_count(hb_beamr_capi_lib_context_t *ctx) {
  return ctx == nullptr ? 0 : ctx->context->imports().size();
}

size_t hb_beamr_capi_lib_export_count(hb_beamr_capi_lib_context_t *ctx) {
  return ctx == nullptr ? 0 : ctx->context->exports().size();
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_import_at(hb_beamr_capi_lib_context_t *ctx, size_t index,
                            hb_beamr_capi_extern_desc_t *out) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return describe(ctx, ctx->context->imports(), index, out);
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_export_at(hb_beamr_capi_lib_context_t *ctx, size_t index,
                            hb_beamr_capi_extern_desc_t *out) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return describe(ctx, ctx->context->exports(), index, out);
}

hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_instantiate(
    hb_beamr_capi_lib_context_t *ctx, void *default_import_function,
    const hb_beamr_capi_native_symbol_t *override_symbols,
    uint32_t num_override_symbols) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (num_override_symbols > 0 && override_symbols == nullptr)
    return bad_argument(ctx, "override_symbols is NULL");
  hb_beamr::HostFunction fallback = unlinked_import;
  if (default_import_function != nullptr)
    fallback = adapt(ctx, {reinterpret_cast<hb_beamr_capi_host_function_t>(
                               default_import_function),
                           nullptr});
  std::vector<hb_beamr::ImportBinding> bindings;
  for (uint32_t i = 0; i < num_override_symbols; ++i) {
    const hb_beamr_capi_native_symbol_t &sym = override_symbols[i];
    if (sym.import_module_name == nullptr ||
        sym.import_function_name == nullptr || sym.user_function == nullptr)
      return bad_argument(ctx, "override symbol with a NULL field");
    bindings.push_back(
        {sym.import_module_name, sym.import_function_name,
         adapt(ctx, {reinterpret_cast<hb_beamr_capi_host_function_t>(
                         sym.user_function),
                     sym.user_data})});
  }
  return rc_of_result(
      ctx->context->instantiate(std::move(fallback), std::move(bindings)));
}

hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_call_export(
    hb_beamr_capi_lib_context_t *ctx, const char *func_name, uint32_t num_args,
    wasm_val_t args[], uint32_t num_results, wasm_val_t results[]) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (func_name == nullptr)
    return bad_argument(ctx, "func_name is NULL");
  return run_call(ctx, num_args, args, num_results, results,
                  [&](auto &in, auto &out) {
                    return ctx->context->call(func_name, in, out);
                  });
}

hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_call_indirect(
    hb_beamr_capi_lib_context_t *ctx, uint64_t table_index, uint32_t num_args,
    wasm_val_t args[], uint32_t num_results, wasm_val_t results[]) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return run_call(ctx, num_args, args, num_results, results,
                  [&](auto &in, auto &out) {
                    return ctx->context->call_indirect(table_index, in, out);
                  });
}

namespace {
hb_beamr_capi_lib_rc_t
report_progress(const hb_beamr::Result<hb_beamr::CallProgress> &progress,
                hb_beamr_capi_call_progress_t *out) {
  if (!progress)
    return rc_of(progress.error().kind);
  switch (progress.value()) {
  case hb_beamr::CallProgress::finished:
    *out = HB_BEAMR_CAPI_CALL_FINISHED;
    break;
  case hb_beamr::CallProgress::awaiting_import:
    *out = HB_BEAMR_CAPI_CALL_AWAITING_IMPORT;
    break;
  case hb_beamr::CallProgress::yielded:
    *out = HB_BEAMR_CAPI_CALL_YIELDED;
    break;
  }
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

std::chrono::microseconds slice_of(uint64_t microseconds) {
  // About eleven days; more would overflow the clock arithmetic.
  constexpr uint64_t longest = uint64_t{1} << 40;
  return std::chrono::microseconds(
      static_cast<int64_t>(std::min(microseconds, longest)));
}
} // namespace

int hb_beamr_capi_lib_can_suspend(void) {
  return hb_beamr::Context::can_suspend() ? 1 : 0;
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_instantiate_suspending(hb_beamr_capi_lib_context_t *ctx,
                                         void *start_import_function) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  hb_beamr::HostFunction start;
  if (start_import_function != nullptr)
    start = adapt(ctx, {reinterpret_cast<hb_beamr_capi_host_function_t>(
                            start_import_function),
                        nullptr});
  return rc_of_result(ctx->context->instantiate_suspending(std::move(start)));
}

hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_start_call(
    hb_beamr_capi_lib_context_t *ctx, const char *func_name,
    uint64_t table_index, uint32_t num_args, const wasm_val_t args[],
    uint64_t slice_microseconds, hb_beamr_capi_call_progress_t *out_progress) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (num_args > 0 && args == nullptr)
    return bad_argument(ctx, "args is NULL");
  if (out_progress == nullptr)
    return bad_argument(ctx, "out_progress is NULL");
  const std::vector<wasm_val_t> in(args, args + num_args);
  const auto slice = slice_of(slice_microseconds);
  return report_progress(
      func_name != nullptr
          ? ctx->context->start_call(func_name, in, slice)
          : ctx->context->start_call_indirect(table_index, in, slice),
      out_progress);
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_resume(hb_beamr_capi_lib_context_t *ctx,
                         uint64_t slice_microseconds,
                         hb_beamr_capi_call_progress_t *out_progress) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (out_progress == nullptr)
    return bad_argument(ctx, "out_progress is NULL");
  return report_progress(ctx->context->resume(slice_of(slice_microseconds)),
                         out_progress);
}

hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_pending_import(
    hb_beamr_capi_lib_context_t *ctx, hb_beamr_capi_import_info_t *out_info,
    uint32_t *out_num_args, const wasm_val_t **out_args) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (out_info == nullptr || out_num_args == nullptr || out_args == nullptr)
    return bad_argument(ctx, "an output pointer is NULL");
  std::optional<hb_beamr::ImportRequest> request =
      ctx->context->pending_import();
  if (!request) {
    ctx->facade_error = "no import awaits an answer";
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE;
  }
  *out_info = {request->import->module.c_str(), request->import->name.c_str(),
               request->import->signature.c_str()};
  *out_num_args = static_cast<uint32_t>(request->args->size());
  *out_args = request->args->data();
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_resolve_import(hb_beamr_capi_lib_context_t *ctx,
                                 uint32_t num_results,
                                 const wasm_val_t results[]) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (num_results > 0 && results == nullptr)
    return bad_argument(ctx, "results is NULL");
  return rc_of_result(ctx->context->resolve_import(
      std::vector<wasm_val_t>(results, results + num_results)));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_reject_import(hb_beamr_capi_lib_context_t *ctx,
                                const char *message) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  return rc_of_result(
      ctx->context->reject_import(message == nullptr ? "" : message));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_take_results(hb_beamr_capi_lib_context_t *ctx,
                               uint32_t num_results, wasm_val_t results[]) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (num_results > 0 && results == nullptr)
    return bad_argument(ctx, "results is NULL");
  std::vector<wasm_val_t> out = ctx->context->take_results();
  if (out.size() != num_results)
    return bad_argument(ctx, "num_results does not match the finished "
                             "call's result count");
  std::copy(out.begin(), out.end(), results);
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

void hb_beamr_capi_lib_abandon_calls(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx != nullptr)
    ctx->context->abandon_calls();
}

void hb_beamr_capi_lib_interrupt(hb_beamr_capi_lib_context_t *ctx) {
  if (ctx != nullptr)
    ctx->context->interrupt();
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_set_call_timeout(hb_beamr_capi_lib_context_t *ctx,
                                   uint64_t milliseconds) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  ctx->context->set_call_timeout(milliseconds);
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

wasm_trap_t *hb_beamr_capi_lib_trap_new(hb_beamr_capi_lib_context_t *ctx,
                                        const char *message) {
  const char *text = message == nullptr ? "" : message;
  return hb_beamr::internal::new_trap(
      ctx == nullptr ? nullptr : ctx->context.get(), text);
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_size(hb_beamr_capi_lib_context_t *ctx,
                              uint64_t *out_bytes) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (out_bytes == nullptr)
    return bad_argument(ctx, "out_bytes is NULL");
  auto size = ctx->context->memory_size();
  if (!size)
    return rc_of(size.error().kind);
  *out_bytes = size.value();
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_read(hb_beamr_capi_lib_context_t *ctx, uint64_t offset,
                              void *out, size_t length) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (out == nullptr && length > 0)
    return bad_argument(ctx, "out is NULL");
  return rc_of_result(ctx->context->memory_read(offset, out, length));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_write(hb_beamr_capi_lib_context_t *ctx,
                               uint64_t offset, const void *data,
                               size_t length) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (data == nullptr && length > 0)
    return bad_argument(ctx, "data is NULL");
  return rc_of_result(ctx->context->memory_write(offset, data, length));
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_grow(hb_beamr_capi_lib_context_t *ctx,
                              uint64_t delta_pages, uint64_t *out_old_pages) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  auto old = ctx->context->memory_grow(delta_pages);
  if (!old)
    return rc_of(old.error().kind);
  if (out_old_pages != nullptr)
    *out_old_pages = old.value();
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_global_get(hb_beamr_capi_lib_context_t *ctx, const char *name,
                             wasm_val_t *out) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (name == nullptr || out == nullptr)
    return bad_argument(ctx, "name or out is NULL");
  auto value = ctx->context->global_get(name);
  if (!value)
    return rc_of(value.error().kind);
  *out = value.value();
  return HB_BEAMR_CAPI_LIB_SUCCESS;
}

hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_global_set(hb_beamr_capi_lib_context_t *ctx, const char *name,
                             const wasm_val_t *value) {
  if (!begin(ctx))
    return HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT;
  if (name == nullptr || value == nullptr)
    return bad_argument(ctx, "name or value is NULL");
  return rc_of_result(ctx->context->global_set(name, *value));
}

} // extern "C"
