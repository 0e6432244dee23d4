// Internal: the engine-neutral part of giving an instance its imports. A
// function import is bound to the host; a memory, table or global import
// gets a fresh object of the imported type, a global starting at zero.
#pragma once

#include <cstddef>

#include <wasm.h>

#include "hb_beamr/result.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr::engine {

/// How one engine makes each kind of import; provide_import() picks the
/// kind. Each method makes the object and keeps it wherever the adapter
/// links imports from; an error says why not, without naming the import.
class ImportProvider {
public:
  virtual ~ImportProvider() = default;
  /// Binds function import number `index` (module order) to the host.
  virtual Status function(size_t index, const wasm_functype_t *type) = 0;
  virtual Status memory(const wasm_memorytype_t *type) = 0;
  /// A table of `type`, every element null.
  virtual Status table(const wasm_tabletype_t *type) = 0;
  /// A global of `type` holding `zero`, the zero of its content type.
  virtual Status global(const wasm_globaltype_t *type,
                        const wasm_val_t &zero) = 0;
};

/// Makes import `desc` (wasm.h type `type`, number `index` in module order)
/// with `provider`. A v128 global, whose zero no engine takes from the host,
/// and kinds no adapter links (tags) fail with `link`; every error names the
/// import.
Status provide_import(ImportProvider &provider, const ExternDesc &desc,
                      size_t index, const wasm_externtype_t *type);

} // namespace hb_beamr::engine
