// The WAMR adapter's instances: limits, imports, instantiation with a
// deferred start function, and the host's access to exports.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include "default_exports.hpp"
#include "import_provider.hpp"
#include "type_description.hpp"
#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

/// WAMR's instruction budget for `fuel`: its counter is an int.
int instruction_budget(uint64_t fuel) {
  return static_cast<int>(std::min<uint64_t>(fuel, INT_MAX));
}

/// max_memory_pages for WAMR's InstantiationArgs (0: the module's own
/// maximum) that holds every memory of `module` to `max_bytes` (0: no limit).
Result<uint32_t> memory_pages_limit(const Module &module, uint64_t max_bytes) {
  if (max_bytes == 0)
    return uint32_t{0};
  if (!module.memories_known_)
    return make_error(ErrorKind::unsupported,
                      "cannot apply max_memory_bytes: the module's memories "
                      "could not be read");
  const uint64_t pages = max_bytes / kPageSize;
  for (const Limits &m : module.memories_) {
    if (m.min > pages)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: its memory of " +
                            std::to_string(m.min) +
                            " pages is larger than max_memory_bytes (" +
                            std::to_string(max_bytes) + ")");
    // WAMR reads a limit of 0 pages as no limit.
    if (pages == 0 && (!m.has_max || m.max > 0))
      return make_error(ErrorKind::unsupported,
                        "WAMR cannot hold a memory to less than one page "
                        "(max_memory_bytes " +
                            std::to_string(max_bytes) + ")");
  }
  // A 32-bit memory cannot pass 4 GiB anyway; a memory64 is held to the
  // limit as far as WAMR's 32-bit page count reaches.
  if (pages < kPages32)
    return static_cast<uint32_t>(pages);
  if (!module.memory_is64())
    return uint32_t{0};
  return static_cast<uint32_t>(std::min<uint64_t>(pages, UINT32_MAX));
}

/// Whether every table of `module` stays within `max_elements` (0 or
/// kNoLimit: no limit). WAMR has no table limit of its own, so only tables
/// whose declared maximum is within it can be held to it.
Status check_table_limit(const Module &module, uint64_t max_elements) {
  if (max_elements == 0 || max_elements == UINT64_MAX)
    return {};
  if (!module.tables_known_)
    return make_error(ErrorKind::unsupported,
                      "cannot apply max_table_elements: the module's tables "
                      "could not be read");
  for (const Limits &t : module.tables_)
    if (t.min > max_elements)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: its table of " +
                            std::to_string(t.min) +
                            " elements is larger than max_table_elements (" +
                            std::to_string(max_elements) + ")");
  for (const Limits &t : module.tables_)
    if (!t.has_max || t.max > max_elements)
      return make_error(ErrorKind::unsupported,
                        "max_table_elements is not supported on WAMR for "
                        "tables that may grow past it: WAMR has no table "
                        "limit of its own");
  return {};
}

namespace {

// Makes the object of one import, into `made`.
class StoreImports final : public ImportProvider {
public:
  StoreImports(Instance::Impl &impl, const ExternDesc &desc)
      : impl_(impl), store_(impl.store.get()), desc_(desc) {}

  wasm_extern_t *made = nullptr;

  Status function(size_t index, const wasm_functype_t *type) override {
    unsigned result_cells = 0;
    for (ValType t : desc_.func.results)
      result_cells += cells(t);
    if (result_cells > 2)
      return make_error(ErrorKind::unsupported,
                        "WAMR host functions return at most 64 bits of "
                        "results");
    impl_.host_envs.push_back(std::make_unique<Instance::Impl::HostEnv>(
        Instance::Impl::HostEnv{&impl_, index}));
    wasm_func_t *f =
        wasm_func_new_with_env(store_, type, &Instance::Impl::trampoline,
                               impl_.host_envs.back().get(), nullptr);
    return keep(f ? wasm_func_as_extern(f) : nullptr);
  }
  // WAMR makes memories and tables for these imports itself, fresh and of
  // the imported type; the objects only fill their places.
  Status memory(const wasm_memorytype_t *type) override {
    wasm_memory_t *m = wasm_memory_new(store_, type);
    return keep(m ? wasm_memory_as_extern(m) : nullptr);
  }
  Status table(const wasm_tabletype_t *type) override {
    wasm_table_t *t = wasm_table_new(store_, type, nullptr);
    return keep(t ? wasm_table_as_extern(t) : nullptr);
  }
  Status global(const wasm_globaltype_t *type,
                const wasm_val_t &zero) override {
    if (!wasm_valkind_is_num(zero.kind))
      return make_error(ErrorKind::unsupported,
                        "WAMR links only numeric global imports");
    wasm_global_t *g = wasm_global_new(store_, type, &zero);
    return keep(g ? wasm_global_as_extern(g) : nullptr);
  }

private:
  Status keep(wasm_extern_t *object) {
    made = object;
    if (made == nullptr)
      return make_error(ErrorKind::allocation, "WAMR cannot make it");
    return {};
  }

  Instance::Impl &impl_;
  wasm_store_t *store_;
  const ExternDesc &desc_;
};

// Every import's object, in WAMR's order (grouped by kind), into
// impl.import_objects, which owns what was made even after a failure.
Status provide_imports(Instance::Impl &impl, wasm_module_t *raw) {
  const Module &module = *impl.module;
  ImportTypes types;
  wasm_module_imports(raw, &types.vec);
  std::vector<wasm_extern_t *> externs(types.vec.size, nullptr);
  Status status;
  for (size_t i = 0; status && i < types.vec.size; ++i) {
    size_t index = module.import_order_[i];
    StoreImports provider(impl, module.imports_[index]);
    status = provide_import(provider, module.imports_[index], index,
                            wasm_importtype_type(types.vec.data[i]));
    externs[i] = provider.made;
  }
  wasm_extern_vec_new(&impl.import_objects.vec, externs.size(), externs.data());
  return status;
}

// Instantiates `raw` with the provided imports, and finds the execution
// environment calls go through.
Status instantiate(Instance::Impl &impl, wasm_module_t *raw,
                   const InstanceSettings &settings, uint32_t max_pages) {
  // WAMR records the links in the module, shared by every instance of it:
  // the same trampoline and the same zero globals each time, so concurrent
  // instantiations write identical values. (No lock: a start function may
  // wait on another instantiation of the same module.)
  //
  // The stack is WAMR's interpreter stack (frames, locals and operands),
  // allocated per instance.
  InstantiationArgs args;
  std::memset(&args, 0, sizeof args);
  args.default_stack_size = settings.max_wasm_stack > 0
                                ? static_cast<uint32_t>(std::min<uint64_t>(
                                      settings.max_wasm_stack, UINT32_MAX))
                                : kWasmStackSize;
  args.max_memory_pages = max_pages;
  wasm_trap_t *trap = nullptr;
  {
    StoreScope scope(impl.store.get());
    impl.instance = wasm_instance_new_with_args_ex(
        impl.store.get(), raw, &impl.import_objects.vec, &trap, &args);
  }
  if (impl.instance == nullptr) {
    std::string text = trap != nullptr ? impl.trap_error(trap).message
                                       : "WAMR refused the instance";
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: " + text);
  }
  if (trap != nullptr)
    wasm_trap_delete(trap);
  impl.inst = hb_beamr_wamr_runtime_instance(impl.instance);
  impl.exec_env = impl.inst != nullptr
                      ? wasm_runtime_get_exec_env_singleton(impl.inst)
                      : nullptr;
  if (impl.exec_env == nullptr)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: WAMR made no execution "
                      "environment for it");
  release_free_stack(impl.exec_env);
  return {};
}

// Finds the default memory and function table among the exports.
void find_defaults(Instance::Impl &impl) {
  wasm_instance_exports(impl.instance, &impl.export_objects.vec);
  const std::vector<std::string> &names = impl.module->export_names_;
  DefaultExports defaults;
  for (size_t i = 0; i < impl.export_objects.vec.size && i < names.size();
       ++i) {
    wasm_extern_t *item = impl.export_objects.vec.data[i];
    if (item == nullptr)
      continue;
    if (wasm_extern_kind(item) == WASM_EXTERN_MEMORY)
      defaults.offer_memory(i, names[i]);
    if (wasm_extern_kind(item) == WASM_EXTERN_TABLE &&
        defaults.wants_table(names[i])) {
      wasm_tabletype_t *tt = wasm_table_type(wasm_extern_as_table(item));
      if (tt != nullptr &&
          wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF)
        defaults.offer_funcref_table(i, names[i]);
      wasm_tabletype_delete(tt);
    }
  }
  if (auto i = defaults.memory())
    impl.memory = wasm_extern_as_memory(impl.export_objects.vec.data[*i]);
  if (auto i = defaults.table()) {
    impl.table = wasm_extern_as_table(impl.export_objects.vec.data[*i]);
    impl.table_name = names[*i];
  }
}

// Runs the start function held back from instantiation, as a call
// interrupt_all() can stop.
Status run_deferred_start(Instance::Impl &impl) {
  Instance::Impl::Target start{
      wasm_runtime_lookup_function(impl.inst, kStartExport), FuncSig{}};
  if (start.function == nullptr)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: WAMR cannot find its "
                      "start function");
  StartingScope listed(impl.inst, impl.stop_requested);
  if (Status s = impl.call_raw(start, nullptr, nullptr); !s)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: " + s.error().message);
  return {};
}

} // namespace

Result<std::unique_ptr<Instance>>
Instance::create(const EnginePtr &engine, const ModulePtr &module,
                 ImportHandler handler, const InstanceSettings &settings) {
  Result<uint32_t> max_pages =
      memory_pages_limit(*module, settings.max_memory_bytes);
  if (!max_pages)
    return max_pages.error();
  if (Status s = check_table_limit(*module, settings.max_table_elements); !s)
    return s.error();
  auto impl = std::make_unique<Impl>();
  impl->engine = engine;
  impl->module = module;
  impl->handler = std::move(handler);
  impl->stop_requested = settings.stop_requested;
  impl->store.reset(wasm_store_new(engine.get()));
  if (!impl->store)
    return make_error(ErrorKind::allocation, "cannot create store");
  wasm_module_t *raw = wasm_module_obtain(impl->store.get(), module->shared_);
  if (raw == nullptr)
    return make_error(ErrorKind::allocation, "cannot obtain module");
  if (Status s = provide_imports(*impl, raw); !s)
    return s.error();
  if (Status s = instantiate(*impl, raw, settings, max_pages.value()); !s)
    return s.error();
  find_defaults(*impl);
  if (settings.fuel > 0)
    wasm_runtime_set_instruction_count_limit(impl->exec_env,
                                             instruction_budget(settings.fuel));
  if (module->deferred_start_)
    if (Status s = run_deferred_start(*impl); !s)
      return s.error();
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

Result<FuncSig> Instance::export_signature(std::string_view name) {
  Result<wasm_extern_t *> item = impl_->find_export(name, WASM_EXTERN_FUNC);
  if (!item)
    return item.error();
  return signature_of(wasm_extern_as_func(item.value()));
}

Result<FuncSig> Instance::table_signature(uint64_t index) {
  Result<FuncPtr> func = impl_->table_func(index);
  if (!func)
    return func.error();
  return signature_of(func.value().get());
}

// WAMR's interpreter runs a call to its end on the calling thread's stack;
// it has no way to put a call aside and resume it later.

Suspension *Instance::suspension() { return nullptr; }
DirectCalls *Instance::direct_calls() { return impl_.get(); }

Result<MemoryView> Instance::memory() {
  if (impl_->memory == nullptr)
    return make_error(ErrorKind::lookup, "module exports no memory");
  return MemoryView{
      reinterpret_cast<uint8_t *>(wasm_memory_data(impl_->memory)),
      wasm_memory_data_size(impl_->memory), impl_->module->memory_is64()};
}

Result<uint64_t> Instance::memory_grow(uint64_t delta_pages) {
  if (impl_->memory == nullptr)
    return make_error(ErrorKind::lookup, "module exports no memory");
  std::string what =
      "cannot grow memory by " + std::to_string(delta_pages) + " pages: ";
  if (!impl_->module->memory_is64() && delta_pages > kPages32)
    return make_error(ErrorKind::out_of_bounds,
                      what + "more than a 32-bit memory can hold");
  // Without multi-memory, the exported memory is WAMR's default one. WAMR
  // grows it as wasm's memory.grow does, within the same maximum.
  wasm_memory_inst_t memory = wasm_runtime_get_default_memory(impl_->inst);
  if (memory == nullptr)
    return make_error(ErrorKind::lookup, what + "WAMR finds no memory");
  const uint64_t old_pages = wasm_memory_get_cur_page_count(memory);
  if (!wasm_runtime_enlarge_memory(impl_->inst, delta_pages))
    return make_error(ErrorKind::out_of_bounds,
                      what + "the memory would exceed its maximum");
  return old_pages;
}

Result<wasm_val_t> Instance::global_get(std::string_view name) {
  Result<wasm_extern_t *> item = impl_->find_export(name, WASM_EXTERN_GLOBAL);
  if (!item)
    return item.error();
  wasm_val_t out;
  std::memset(&out, 0, sizeof out);
  wasm_global_get(wasm_extern_as_global(item.value()), &out);
  if (Status s = check_out(out); !s)
    return s.error();
  return out;
}

Status Instance::global_set(std::string_view name, const wasm_val_t &value) {
  Result<wasm_extern_t *> item = impl_->find_export(name, WASM_EXTERN_GLOBAL);
  if (!item)
    return item.error();
  wasm_global_t *global = wasm_extern_as_global(item.value());
  wasm_globaltype_t *type = wasm_global_type(global);
  if (type == nullptr)
    return make_error(ErrorKind::allocation, "cannot read global type");
  bool mutable_global = wasm_globaltype_mutability(type) == WASM_VAR;
  wasm_valkind_t kind = wasm_valtype_kind(wasm_globaltype_content(type));
  wasm_globaltype_delete(type);
  if (!mutable_global)
    return make_error(ErrorKind::invalid_argument,
                      "global \"" + std::string(name) + "\" is immutable");
  if (kind != value.kind)
    return make_error(ErrorKind::invalid_argument,
                      "value has the wrong type for global \"" +
                          std::string(name) + "\"");
  if (Status s = check_in(value); !s)
    return s;
  wasm_global_set(global, &value);
  return {};
}

void *Instance::store_handle() { return impl_->store.get(); }

void Instance::interrupt() {
  // Sets the instance's exception and WAMR's termination flag, which the
  // interpreter checks at every branch and call; call_raw() clears both
  // before a call and then looks at the stop flag itself.
  wasm_runtime_terminate(impl_->inst);
}

Status Instance::set_fuel(uint64_t fuel) {
  wasm_runtime_set_instruction_count_limit(impl_->exec_env,
                                           instruction_budget(fuel));
  return {};
}

} // namespace hb_beamr::engine
