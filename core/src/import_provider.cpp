// The engine-neutral part of giving an instance its imports; see
// import_provider.hpp.
#include "import_provider.hpp"

#include <string>

#include "type_description.hpp"

namespace hb_beamr::engine {
namespace {

Status provide(ImportProvider &provider, size_t index,
               const wasm_externtype_t *type) {
  switch (wasm_externtype_kind(type)) {
  case WASM_EXTERN_FUNC:
    return provider.function(index, wasm_externtype_as_functype_const(type));
  case WASM_EXTERN_MEMORY:
    return provider.memory(wasm_externtype_as_memorytype_const(type));
  case WASM_EXTERN_TABLE:
    return provider.table(wasm_externtype_as_tabletype_const(type));
  case WASM_EXTERN_GLOBAL: {
    const wasm_globaltype_t *gt = wasm_externtype_as_globaltype_const(type);
    const ValType content = valtype_of(wasm_globaltype_content(gt));
    if (content == ValType::v128)
      return make_error(ErrorKind::link,
                        "a global import of type v128 cannot be provided");
    return provider.global(gt, zero_value(content));
  }
  default: return make_error(ErrorKind::link, "unsupported import kind");
  }
}

} // namespace

Status provide_import(ImportProvider &provider, const ExternDesc &desc,
                      size_t index, const wasm_externtype_t *type) {
  Status made = provide(provider, index, type);
  if (made)
    return made;
  return make_error(made.error().kind,
                    "cannot provide import " + desc.module + "." + desc.name +
                        " " + desc.signature + ": " + made.error().message);
}

} // namespace hb_beamr::engine
