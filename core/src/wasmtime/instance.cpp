// The Wasmtime adapter's instances: making the store and the instance, and
// the host's access to its exports (functions, memory, globals).
#include <cstdint>

#include "default_exports.hpp"
#include "import_provider.hpp"
#include "type_description.hpp"
#include "wasmtime/adapter.hpp"

namespace hb_beamr::engine {

Instance::Impl::~Impl() {
  drop_frames();
  if (store != nullptr)
    wasmtime_store_delete(store);
}

// Runs when somebody calls interrupt() and, while a slice runs, at every
// tick.
wasmtime_error_t *
Instance::Impl::on_epoch(wasmtime_context_t *, void *data, uint64_t *delta,
                         wasmtime_update_deadline_kind_t *kind) {
  auto *self = static_cast<Impl *>(data);
  if (self->abandoning ||
      (self->stop_requested != nullptr && self->stop_requested->load())) {
    static const char text[] = "interrupted";
    return wasmtime_error_new(text);
  }
  *delta = 1;
  *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
  if (self->slice_end && SteadyClock::now() >= *self->slice_end)
    *kind = WASMTIME_UPDATE_DEADLINE_YIELD;
  return nullptr;
}

Status Instance::Impl::answer_now(size_t index, const wasmtime_val_t *args,
                                  size_t nargs, wasmtime_val_t *results,
                                  size_t nresults) {
  const FuncSig &sig = imports(*module)[index].func;
  std::vector<wasm_val_t> in(nargs), out(nresults);
  for (size_t i = 0; i < nargs; ++i)
    if (Status s = from_wasmtime(args[i], &in[i]); !s)
      return s;
  for (size_t i = 0; i < nresults; ++i)
    out[i] = zero_value(sig.results[i]);
  Status status;
  // Unwinding through Wasmtime's frames is undefined (the handler catches
  // what host functions throw; this is for its own allocations).
  try {
    status = handler(index, in.data(), out.data());
  } catch (...) {
    status = make_error(ErrorKind::trap, "host function threw");
  }
  for (size_t i = 0; status && i < nresults; ++i)
    status = to_wasmtime(out[i], &results[i]);
  return status;
}

namespace {

// Elements a table may grow to when no max_table_elements is given.
constexpr uint64_t kDefaultTableElements = 10'000'000;

// The store, with its interruption, limits and fuel.
Status make_store(Instance::Impl &impl, const InstanceSettings &settings) {
  impl.store = wasmtime_store_new(impl.engine.get(), nullptr, nullptr);
  if (impl.store == nullptr)
    return make_error(ErrorKind::allocation, "cannot create store");
  impl.context = wasmtime_store_context(impl.store);
  wasmtime_store_epoch_deadline_callback(impl.store, &Instance::Impl::on_epoch,
                                         &impl, nullptr);
  wasmtime_context_set_epoch_deadline(impl.context, 1);
  // Past 2^63-1 is no limit at all (-1 to Wasmtime).
  auto limit = [](uint64_t value) {
    return value == 0 || value > uint64_t(INT64_MAX) ? int64_t{-1}
                                                     : int64_t(value);
  };
  // Always installed: without a table limit, one table.grow(2^31-1) of a
  // hostile module fills 16 GiB. kDefaultTableElements (80 MB of funcrefs)
  // is far above what real modules use; a larger explicit limit lifts it.
  const uint64_t tables = settings.max_table_elements == 0
                              ? kDefaultTableElements
                              : settings.max_table_elements;
  wasmtime_store_limiter(impl.store, limit(settings.max_memory_bytes),
                         limit(tables), -1, -1, -1);
  if (settings.fuel > 0)
    if (wasmtime_error_t *err =
            wasmtime_context_set_fuel(impl.context, settings.fuel)) {
      ErrorPtr owned(err);
      return make_error(ErrorKind::unsupported, message_of(err));
    }
  return {};
}

struct LinkerDeleter {
  void operator()(wasmtime_linker_t *l) const { wasmtime_linker_delete(l); }
};
using LinkerPtr = std::unique_ptr<wasmtime_linker_t, LinkerDeleter>;

// Defines one import in the linker: a function import as the adapter's
// host function, any other as a fresh object of its type.
class LinkerImports final : public ImportProvider {
public:
  LinkerImports(Instance::Impl &impl, wasmtime_linker_t *linker,
                const wasm_importtype_t *type)
      : impl_(impl), linker_(linker), module_(wasm_importtype_module(type)),
        name_(wasm_importtype_name(type)) {}

  Status function(size_t index, const wasm_functype_t *type) override {
    impl_.host_envs.push_back(std::make_unique<Instance::Impl::HostEnv>(
        Instance::Impl::HostEnv{&impl_, index}));
    return checked(wasmtime_linker_define_async_func(
        linker_, module_->data, module_->size, name_->data, name_->size, type,
        &Instance::Impl::host_function, impl_.host_envs.back().get(), nullptr));
  }
  Status memory(const wasm_memorytype_t *type) override {
    wasmtime_extern_t ext;
    ext.kind = WASMTIME_EXTERN_MEMORY;
    return define(wasmtime_memory_new(impl_.context, type, &ext.of.memory),
                  ext);
  }
  Status table(const wasm_tabletype_t *type) override {
    wasmtime_val_t init = null_ref(valtype_of(wasm_tabletype_element(type)));
    wasmtime_extern_t ext;
    ext.kind = WASMTIME_EXTERN_TABLE;
    return define(wasmtime_table_new(impl_.context, type, &init, &ext.of.table),
                  ext);
  }
  Status global(const wasm_globaltype_t *type,
                const wasm_val_t &zero) override {
    wasmtime_val_t init;
    if (Status s = to_wasmtime(zero, &init); !s)
      return s;
    wasmtime_extern_t ext;
    ext.kind = WASMTIME_EXTERN_GLOBAL;
    return define(
        wasmtime_global_new(impl_.context, type, &init, &ext.of.global), ext);
  }

private:
  static Status checked(wasmtime_error_t *err) {
    if (err == nullptr)
      return {};
    ErrorPtr owned(err);
    return make_error(ErrorKind::link, message_of(err));
  }
  // Defines `ext`, made with error `made`.
  Status define(wasmtime_error_t *made, const wasmtime_extern_t &ext) {
    if (Status s = checked(made); !s)
      return s;
    return checked(wasmtime_linker_define(linker_, impl_.context, module_->data,
                                          module_->size, name_->data,
                                          name_->size, &ext));
  }

  Instance::Impl &impl_;
  wasmtime_linker_t *linker_;
  const wasm_name_t *module_;
  const wasm_name_t *name_;
};

// Host functions that can suspend a call exist only as linker definitions,
// and a module using them must be instantiated asynchronously: the start
// function runs on a fiber, polled here until it ends (it can still be
// interrupted).
Status link_and_instantiate(Instance::Impl &impl) {
  LinkerPtr linker(wasmtime_linker_new(impl.engine.get()));
  wasmtime_linker_allow_shadowing(linker.get(), true);
  wasm_importtype_vec_t types;
  wasmtime_module_imports(impl.module->raw_, &types);
  Status status;
  for (size_t i = 0; status && i < types.size; ++i) {
    LinkerImports provider(impl, linker.get(), types.data[i]);
    status = provide_import(provider, imports(*impl.module)[i], i,
                            wasm_importtype_type(types.data[i]));
  }
  wasm_importtype_vec_delete(&types);
  if (!status)
    return status;
  wasm_trap_t *trap = nullptr;
  wasmtime_error_t *err = nullptr;
  wasmtime_call_future_t *future = wasmtime_linker_instantiate_async(
      linker.get(), impl.context, impl.module->raw_, &impl.instance, &trap,
      &err);
  while (!wasmtime_call_future_poll(future)) {
  }
  wasmtime_call_future_delete(future);
  if (Status made = impl.finish_call(err, trap); !made)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: " + made.error().message);
  return {};
}

// Finds the default memory and function table among the exports. Walks the
// module's own export list and looks up by name only the candidates:
// wasmtime_instance_export_nth walks the export list from its start on every
// call, which made a start quadratic in the number of exports (20,000 exports
// took 11 s).
void find_defaults(Instance::Impl &impl) {
  const std::vector<ExternDesc> &exports = impl.module->exports_;
  DefaultExports defaults;
  for (size_t i = 0; i < exports.size(); ++i) {
    const ExternDesc &desc = exports[i];
    if (desc.kind == ExternKind::memory)
      defaults.offer_memory(i, desc.name);
    if (desc.kind != ExternKind::table || !defaults.wants_table(desc.name))
      continue;
    Result<wasmtime_extern_t> item = impl.find_export(desc.name);
    if (!item || item.value().kind != WASMTIME_EXTERN_TABLE)
      continue;
    wasm_tabletype_t *tt =
        wasmtime_table_type(impl.context, &item.value().of.table);
    if (valtype_of(wasm_tabletype_element(tt)) == ValType::funcref)
      defaults.offer_funcref_table(i, desc.name);
    wasm_tabletype_delete(tt);
  }
  if (auto i = defaults.memory()) {
    Result<wasmtime_extern_t> item = impl.find_export(exports[*i].name);
    if (item && item.value().kind == WASMTIME_EXTERN_MEMORY) {
      impl.memory = item.value().of.memory;
      impl.has_memory = true;
    }
  }
  if (auto i = defaults.table()) {
    Result<wasmtime_extern_t> item = impl.find_export(exports[*i].name);
    if (item && item.value().kind == WASMTIME_EXTERN_TABLE) {
      impl.table = item.value().of.table;
      impl.has_table = true;
    }
  }
}

} // namespace

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

Result<std::unique_ptr<Instance>>
Instance::create(const EnginePtr &engine, const ModulePtr &module,
                 ImportHandler handler, const InstanceSettings &settings) {
  auto impl = std::make_unique<Impl>();
  impl->engine = engine;
  impl->module = module;
  impl->handler = std::move(handler);
  impl->stop_requested = settings.stop_requested;
  if (Status s = make_store(*impl, settings); !s)
    return s.error();
  if (Status s = link_and_instantiate(*impl); !s)
    return s.error();
  find_defaults(*impl);
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

Suspension *Instance::suspension() { return impl_.get(); }
DirectCalls *Instance::direct_calls() { return nullptr; }

Result<wasmtime_extern_t> Instance::Impl::find_export(std::string_view name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, &instance, name.data(),
                                    name.size(), &item))
    return make_error(ErrorKind::lookup,
                      "no export named \"" + std::string(name) + "\"");
  return item;
}

Result<const Instance::Impl::ExportedFunc *>
Instance::Impl::exported_func(std::string_view name) {
  std::string key(name);
  auto found = exported_funcs.find(key);
  if (found != exported_funcs.end())
    return &found->second;
  Result<wasmtime_extern_t> item = find_export(name);
  if (!item)
    return item.error();
  if (item.value().kind != WASMTIME_EXTERN_FUNC)
    return make_error(ErrorKind::lookup,
                      "export \"" + key + "\" is not a function");
  wasm_functype_t *type = wasmtime_func_type(context, &item.value().of.func);
  ExportedFunc entry{item.value().of.func, funcsig_of(type)};
  wasm_functype_delete(type);
  return &exported_funcs.emplace(std::move(key), std::move(entry))
              .first->second;
}

Result<wasmtime_func_t> Instance::Impl::table_func(uint64_t index) {
  if (!has_table)
    return make_error(ErrorKind::lookup, "module exports no function table");
  wasmtime_val_t val;
  if (!wasmtime_table_get(context, &table, index, &val))
    return make_error(ErrorKind::invalid_argument,
                      "table index " + std::to_string(index) +
                          " is out of range (table size " +
                          std::to_string(wasmtime_table_size(context, &table)) +
                          ")");
  if (val.kind != WASMTIME_FUNCREF || val.of.funcref.store_id == 0)
    return make_error(ErrorKind::invalid_argument,
                      "table entry " + std::to_string(index) + " is null");
  return val.of.funcref;
}

Result<FuncSig> Instance::export_signature(std::string_view name) {
  Result<const Impl::ExportedFunc *> found = impl_->exported_func(name);
  if (!found)
    return found.error();
  return found.value()->sig;
}

Result<FuncSig> Instance::table_signature(uint64_t index) {
  Result<wasmtime_func_t> func = impl_->table_func(index);
  if (!func)
    return func.error();
  wasm_functype_t *type = wasmtime_func_type(impl_->context, &func.value());
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  return sig;
}

Result<MemoryView> Instance::memory() {
  if (!impl_->has_memory)
    return make_error(ErrorKind::lookup, "module exports no memory");
  wasm_memorytype_t *type =
      wasmtime_memory_type(impl_->context, &impl_->memory);
  bool is64 = wasmtime_memorytype_is64(type);
  wasm_memorytype_delete(type);
  return MemoryView{wasmtime_memory_data(impl_->context, &impl_->memory),
                    wasmtime_memory_data_size(impl_->context, &impl_->memory),
                    is64};
}

Result<uint64_t> Instance::memory_grow(uint64_t delta_pages) {
  if (!impl_->has_memory)
    return make_error(ErrorKind::lookup, "module exports no memory");
  uint64_t previous = 0;
  if (wasmtime_error_t *err = wasmtime_memory_grow(
          impl_->context, &impl_->memory, delta_pages, &previous)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::out_of_bounds,
                      "cannot grow memory by " + std::to_string(delta_pages) +
                          " pages: " + message_of(err));
  }
  return previous;
}

namespace {
// The global exported as `name`, or a lookup error.
Result<wasmtime_global_t> find_global(Instance::Impl &impl,
                                      std::string_view name) {
  Result<wasmtime_extern_t> item = impl.find_export(name);
  if (!item)
    return item.error();
  if (item.value().kind != WASMTIME_EXTERN_GLOBAL)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a global");
  return item.value().of.global;
}
} // namespace

Result<wasm_val_t> Instance::global_get(std::string_view name) {
  Result<wasmtime_global_t> global = find_global(*impl_, name);
  if (!global)
    return global.error();
  wasmtime_val_t raw;
  wasmtime_global_get(impl_->context, &global.value(), &raw);
  wasm_val_t out;
  Status s = from_wasmtime(raw, &out);
  if (is_gc_ref(raw.kind))
    wasmtime_val_unroot(&raw);
  if (!s)
    return s.error();
  return out;
}

Status Instance::global_set(std::string_view name, const wasm_val_t &value) {
  Result<wasmtime_global_t> found = find_global(*impl_, name);
  if (!found)
    return found.error();
  const wasmtime_global_t &global = found.value();
  wasm_globaltype_t *type = wasmtime_global_type(impl_->context, &global);
  bool mutable_global = wasm_globaltype_mutability(type) == WASM_VAR;
  ValType content = valtype_of(wasm_globaltype_content(type));
  wasm_globaltype_delete(type);
  wasm_valkind_t kind;
  bool representable = to_wasm_valkind(content, &kind);
  if (!mutable_global)
    return make_error(ErrorKind::invalid_argument,
                      "global \"" + std::string(name) + "\" is immutable");
  if (!representable || kind != value.kind)
    return make_error(ErrorKind::invalid_argument,
                      "value has the wrong type for global \"" +
                          std::string(name) + "\"");
  wasmtime_val_t raw;
  Status s = to_wasmtime(value, &raw);
  if (!s)
    return s;
  if (wasmtime_error_t *err =
          wasmtime_global_set(impl_->context, &global, &raw)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::invalid_argument, message_of(err));
  }
  return {};
}

void *Instance::store_handle() { return impl_->context; }

void Instance::interrupt() {
  wasmtime_engine_increment_epoch(impl_->engine.get());
}

Status Instance::set_fuel(uint64_t fuel) {
  if (wasmtime_error_t *err = wasmtime_context_set_fuel(impl_->context, fuel)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::unsupported, message_of(err));
  }
  return {};
}

} // namespace hb_beamr::engine
