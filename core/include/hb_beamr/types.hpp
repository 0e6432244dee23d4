// Value types, signatures and import/export descriptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <wasm.h>

namespace hb_beamr {

/// A value type, spelled with its signature letter:
/// i=i32 I=i64 f=f32 F=f64 V=v128 r=funcref e=externref.
enum class ValType : char {
  i32 = 'i',
  i64 = 'I',
  f32 = 'f',
  f64 = 'F',
  v128 = 'V',
  funcref = 'r',
  externref = 'e',
};

/// A function type. `text()` renders it as "(iIfF)i".
struct FuncSig {
  std::vector<ValType> params;
  std::vector<ValType> results;

  std::string text() const;
  bool operator==(const FuncSig &other) const {
    return params == other.params && results == other.results;
  }
};

/// Kind of an import or export. `tag` is an exception tag (the
/// exception-handling proposal); engines that cannot list tags (WAMR) never
/// report one.
enum class ExternKind { func, global, table, memory, tag };

/// Lower-case name of an extern kind ("func", "memory", ...).
const char *extern_kind_name(ExternKind kind);

/// One import or export of a module. `module` is empty for exports.
/// `signature` is the function signature for functions, and for other kinds a
/// short description: globals "i" / "mut i", memories "i32:1..2" or
/// "i64:1..", tables "r:1..10" (limits in elements, 64-bit for table64),
/// tags the types of their parameters in function notation, "(iI)" (a tag
/// has no results).
struct ExternDesc {
  /// Always set by whoever describes the extern; the initializer only keeps
  /// a description from ever holding an indeterminate kind.
  ExternKind kind = ExternKind::func;
  std::string module;
  std::string name;
  std::string signature;
  FuncSig func; ///< Meaningful only when kind == func.
};

/// The numeric wasm.h kind of a value type; v128 has none in wasm.h.
bool to_wasm_valkind(ValType type, wasm_valkind_t *out);

/// A zero value of the given type (null for references).
wasm_val_t zero_value(ValType type);

} // namespace hb_beamr
