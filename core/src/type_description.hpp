// Internal: turning wasm.h type objects into the core's descriptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <wasm.h>

#include "hb_beamr/types.hpp"

namespace hb_beamr {

/// The core's ValType for a wasm.h value type. Defined by each engine
/// adapter: engines disagree on which kinds wasm_valtype_kind() can report
/// (Wasmtime aborts the process for v128 and for most reference types).
ValType valtype_of(const wasm_valtype_t *type);
FuncSig funcsig_of(const wasm_functype_t *type);

/// A table's limits in elements; 64-bit, as a table64's may be.
struct TableLimits {
  uint64_t min = 0;
  uint64_t max = 0;
  bool has_max = false;
};

/// Describes an import (`module` non-empty) or export. A table's limits are
/// `*table` when given, else wasm.h's 32-bit wasm_tabletype_limits(), which
/// Wasmtime's C API aborts the process in when a table64's limits pass
/// 2^32: the Wasmtime adapter always passes them, read from the module's
/// binary by the engine crate's scan (rewrite::scan_module()). Tags are
/// engine-specific in wasm.h, so an adapter describes them with
/// describe_tag() and never passes one here.
ExternDesc describe_extern(const wasm_externtype_t *type, std::string module,
                           const wasm_name_t *name,
                           const TableLimits *table = nullptr);

/// Describes an exception tag whose parameters are those of `params`: kind
/// ExternKind::tag, signature "(iI)".
ExternDesc describe_tag(const wasm_functype_t *params, std::string module,
                        const wasm_name_t *name);

/// Memory limits in pages. wasm.h's limits are 32-bit, so each engine adapter
/// reads them (memory64 included) its own way.
struct MemoryLimits {
  uint64_t min = 0;
  uint64_t max = 0;
  bool has_max = false;
  bool is64 = false;
};
MemoryLimits memory_limits(const wasm_memorytype_t *type);

} // namespace hb_beamr
