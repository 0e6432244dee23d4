// The WAMR adapter's calls: each runs to its end on the calling thread
// (DirectCalls), its imports answered by the trampoline.
#include <algorithm>
#include <cstring>

#include "type_description.hpp"
#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

wasm_trap_t *Instance::Impl::trampoline(void *env, const wasm_val_vec_t *args,
                                        wasm_val_vec_t *results) {
  auto *host = static_cast<HostEnv *>(env);
  Impl &self = *host->impl;
  const FuncSig &sig = imports(*self.module)[host->index].func;
  std::vector<wasm_val_t> in(sig.params.size()), out(sig.results.size());
  Status status;
  for (size_t i = 0; status && i < in.size(); ++i) {
    in[i] = args->data[i];
    status = check_out(in[i]);
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = zero_value(sig.results[i]);

  // Unwinding through WAMR's frames is undefined: stop exceptions here.
  if (status) {
    try {
      status = self.handler(host->index, in.data(), out.data());
    } catch (const std::exception &e) {
      status = make_error(ErrorKind::trap,
                          std::string("host function threw: ") + e.what());
    } catch (...) {
      status = make_error(ErrorKind::trap, "host function threw");
    }
  }
  for (size_t i = 0; status && i < out.size(); ++i)
    status = check_in(out[i]);
  if (status) {
    for (size_t i = 0; i < out.size(); ++i)
      results->data[i] = out[i];
    results->num_elems = out.size();
    return nullptr;
  }
  // The caller gets this message (trap_error, exception_error). WAMR gets a
  // fixed text: it reads some texts as its own signals (a trap saying
  // "uncaught wasm exception" would be unwound as a wasm exception).
  self.host_trap_message = status.error().message;
  return make_trap(self.store.get(), "host function trapped");
}

Error Instance::Impl::trap_error(wasm_trap_t *raw) {
  TrapPtr trap(raw);
  if (!host_trap_message.empty()) {
    std::string text = std::move(host_trap_message);
    host_trap_message.clear();
    return make_error(ErrorKind::trap, text);
  }
  return make_error(ErrorKind::trap, spec_text(message_of(raw)));
}

Error Instance::Impl::exception_error() {
  if (!host_trap_message.empty()) {
    std::string text = std::move(host_trap_message);
    host_trap_message.clear();
    return make_error(ErrorKind::trap, text);
  }
  const char *text = wasm_runtime_get_exception(inst);
  return make_error(ErrorKind::trap, text != nullptr && *text != '\0'
                                         ? spec_text(text)
                                         : "WAMR could not run the call");
}

Result<wasm_extern_t *> Instance::Impl::find_export(std::string_view name,
                                                    wasm_externkind_t kind) {
  Result<wasm_extern_t *> item = find_export(name);
  if (!item || wasm_extern_kind(item.value()) == kind)
    return item;
  return make_error(ErrorKind::lookup,
                    "export \"" + std::string(name) + "\" is not " +
                        (kind == WASM_EXTERN_FUNC ? "a function" : "a global"));
}

Result<wasm_extern_t *> Instance::Impl::find_export(std::string_view name) {
  const std::vector<std::string> &names = module->export_names_;
  bool hidden = module->is_helper(name);
  for (size_t i = 0; !hidden && i < names.size(); ++i)
    if (names[i] == name && i < export_objects.vec.size &&
        export_objects.vec.data[i] != nullptr)
      return export_objects.vec.data[i];
  return make_error(ErrorKind::lookup,
                    "no export named \"" + std::string(name) + "\"");
}

Result<Instance::Impl::Target>
Instance::Impl::export_target(std::string_view name) {
  Result<wasm_extern_t *> item = find_export(name, WASM_EXTERN_FUNC);
  if (!item)
    return item.error();
  // WAMR's names are C strings.
  wasm_function_inst_t function =
      name.find('\0') == std::string_view::npos
          ? wasm_runtime_lookup_function(inst, std::string(name).c_str())
          : nullptr;
  if (function == nullptr)
    return make_error(ErrorKind::lookup,
                      "WAMR cannot find export \"" + std::string(name) + "\"");
  Result<FuncSig> sig = signature_of(wasm_extern_as_func(item.value()));
  if (!sig)
    return sig.error();
  return Target{function, std::move(sig.value())};
}

Result<Instance::Impl::Target> Instance::Impl::table_target(uint64_t index) {
  Result<FuncPtr> func = table_func(index);
  if (!func)
    return func.error();
  wasm_table_inst_t table_inst;
  std::memset(&table_inst, 0, sizeof table_inst);
  wasm_function_inst_t function = nullptr;
  if (wasm_runtime_get_export_table_inst(inst, table_name.c_str(),
                                         &table_inst) &&
      index < table_inst.cur_size)
    function = wasm_table_get_func_inst(inst, &table_inst,
                                        static_cast<uint32_t>(index));
  if (function == nullptr)
    return make_error(ErrorKind::lookup,
                      "WAMR cannot find table entry " + std::to_string(index));
  Result<FuncSig> sig = signature_of(func.value().get());
  if (!sig)
    return sig.error();
  return Target{function, std::move(sig.value())};
}

// Calls go through wasm_export.h rather than wasm_func_call, which clears the
// instance's exception, and with it a termination, after its caller could
// last look at the stop flag: a stop requested in between would be lost. Here
// the exception is cleared first and the flag checked after, so a stop is
// either seen before the call or reaches it while it runs.
Status Instance::Impl::call_raw(const Target &target, const wasm_val_t *args,
                                wasm_val_t *results) {
  if (native_stack_exhausted())
    return make_error(ErrorKind::trap, "call stack exhausted");
  const FuncSig &sig = target.sig;
  std::vector<uint32_t> cells;
  for (size_t i = 0; i < sig.params.size(); ++i)
    pack(args[i], cells);
  const uint32_t argc = static_cast<uint32_t>(cells.size());
  size_t result_cells = 0;
  for (ValType t : sig.results)
    result_cells += cells_of(t);
  cells.resize(std::max<size_t>({cells.size(), result_cells, 1}));

  StoreScope scope(store.get());
  host_trap_message.clear();
  // Whatever is pending (a trap, or a stop that came after the last call
  // ended) goes; WAMR's termination flag goes with it.
  wasm_runtime_clear_exception(inst);
  Status status;
  if (stopping()) {
    status = make_error(ErrorKind::trap, "interrupted");
  } else {
    ++depth;
    bool ok =
        wasm_runtime_call_wasm(exec_env, target.function, argc, cells.data());
    --depth;
    status = ok ? Status{} : Status{exception_error()};
  }
  for (size_t i = 0, at = 0; status && i < sig.results.size(); ++i)
    status = unpack(sig.results[i], cells, at, results[i]);
  if (depth > 0) {
    // A host function made this call inside an outer one. A stop must reach
    // the outer call too; anything else left pending would fail it whatever
    // the host function returns.
    if (stopping())
      wasm_runtime_terminate(inst);
    else if (!status)
      wasm_runtime_clear_exception(inst);
  }
  return status;
}

Status Instance::Impl::invoke(const Target &target, const wasm_val_t *args,
                              wasm_val_t *results) {
  const FuncSig &sig = target.sig;
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (Status s = check_in(args[i]); !s)
      return s;
  std::vector<wasm_val_t> out(sig.results.size());
  Status status = call_raw(target, args, out.data());
  for (size_t i = 0; status && i < out.size(); ++i)
    results[i] = out[i];
  return status;
}

Result<FuncPtr> Instance::Impl::table_func(uint64_t index) {
  if (table == nullptr)
    return make_error(ErrorKind::lookup, "module exports no function table");
  wasm_table_size_t size = wasm_table_size(table);
  if (index >= size)
    return make_error(ErrorKind::invalid_argument,
                      "table index " + std::to_string(index) +
                          " is out of range (table size " +
                          std::to_string(size) + ")");
  RefPtr ref(wasm_table_get(table, static_cast<wasm_table_size_t>(index)));
  FuncPtr func(ref ? wasm_ref_as_func(ref.get()) : nullptr);
  if (!func)
    return make_error(ErrorKind::invalid_argument,
                      "table entry " + std::to_string(index) + " is null");
  return func;
}

Status Instance::Impl::call(std::string_view name, const wasm_val_t *args,
                            wasm_val_t *results) {
  Result<Target> target = export_target(name);
  if (!target)
    return target.error();
  return invoke(target.value(), args, results);
}

Status Instance::Impl::call_indirect(uint64_t index, const wasm_val_t *args,
                                     wasm_val_t *results) {
  Result<Target> target = table_target(index);
  if (!target)
    return target.error();
  return invoke(target.value(), args, results);
}

} // namespace hb_beamr::engine
