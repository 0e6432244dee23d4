// Internal: turning wasm.h type objects into the core's descriptions.
#pragma once

#include <string>

#include <wasm.h>

#include "hb_beamr/types.hpp"

namespace hb_beamr {

/// The core's ValType for a wasm.h value type. Defined by each engine
/// adapter: engines disagree on which kinds wasm_valtype_kind() can report
/// (Wasmtime aborts the process for v128 and for most reference types).
ValType valtype_of(const wasm_valtype_t *type);
FuncSig funcsig_of(const wasm_functype_t *type);
ExternDesc describe_extern(const wasm_externtype_t *type, std::string module,
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
