// Internal: load-time module reading and rewriting, done by the engine
// crate's Rust code: the scan of module binaries for both engines
// (engine/src/prepare/scan.rs, C ABI in hb_beamr_module_scan.h), legacy
// exception handling for Wasmtime (engine/src/rewrite, C ABI in
// hb_beamr_rewrite.h) and the preparation of modules for WAMR
// (engine/src/prepare, C ABI in hb_beamr_wamr_prepare.h). This is the C++
// side's one owner of those calls and of what they return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hb_beamr/result.hpp"

struct hb_beamr_module_scan_t;
struct hb_beamr_wamr_prepared_t;

namespace hb_beamr::rewrite {

/// A module's bytes as an engine should compile them: either the caller's
/// own bytes (nothing needed rewriting) or a rewritten copy owned here.
/// Borrows the caller's bytes, so it cannot outlive them.
class ModuleBytes {
public:
  ModuleBytes(const uint8_t *bytes, size_t size) : data_(bytes), size_(size) {}
  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  friend Result<ModuleBytes> legacy_exceptions(const uint8_t *, size_t);
  struct Free {
    size_t size;
    void operator()(uint8_t *bytes) const;
  };
  const uint8_t *data_;
  size_t size_;
  std::unique_ptr<uint8_t, Free> owned_{nullptr, Free{0}};
};

/// Rewrites legacy exception handling (try / catch / catch_all / delegate /
/// rethrow) into the standard form (try_table / throw_ref / exnref), for
/// engines that only run the latter. A module without legacy exception
/// handling comes back as the caller's bytes, untouched. Invalid exception
/// handling is a `load` error naming the function and byte offset.
Result<ModuleBytes> legacy_exceptions(const uint8_t *bytes, size_t size);

/// The name a module prepared for WAMR exports its start function under.
extern const char kWamrStartExport[];

/// The kind of an import or export, numbered as in the binary format.
enum class ExternKind : uint8_t { func = 0, table = 1, memory = 2, global = 3 };

/// The limits of a memory or table, as the binary declares them.
struct Limits {
  uint64_t min = 0;
  uint64_t max = 0; // 0 unless has_max
  bool has_max = false;
  bool is64 = false; // memory64, or a table with 64-bit indices
};

/// One export of a module; tag exports are never listed.
struct Export {
  std::string name;
  ExternKind kind; // may be a kind this list does not name
  uint32_t index;
};

/// What wasm.h cannot tell about a module, read from its binary: exact
/// (64-bit) table and memory limits, the kinds of imports in module order,
/// exports with their kinds and indices.
struct ModuleScan {
  /// False for a module the scan does not understand; then nothing else
  /// here is filled in.
  bool understood = false;
  /// Whether `tables` is complete (false when a table's initializer
  /// expression holds an instruction the scan does not know).
  bool limits_known = false;
  std::vector<ExternKind> import_kinds; // every import but tags, in order
  std::vector<Limits> tables;           // imported, then defined
  std::vector<Limits> memories;         // imported, then defined
  std::vector<Export> exports;          // in order, tags left out
};

/// Scans the module bytes[0..size) (borrowed for the call). Never fails: a
/// module the scan does not understand comes back with `understood` false.
/// The module is not validated.
ModuleScan scan_module(const uint8_t *bytes, size_t size);

/// A module scanned and prepared for WAMR (see hb_beamr_wamr_prepare.h):
/// the start function exported as kWamrStartExport, a function that uses
/// memory.size for a module with a memory, no tag exports. Move-only; owns
/// the prepared bytes.
class WamrModule {
public:
  const ModuleScan &scan() const { return scan_; }
  /// The bytes WAMR should load, or null to load the original ones.
  const uint8_t *prepared() const { return prepared_; }
  size_t prepared_size() const { return prepared_size_; }
  /// Whether prepared() runs the start function as kWamrStartExport rather
  /// than at instantiation.
  bool deferred_start() const { return deferred_start_; }

private:
  friend WamrModule prepare_for_wamr(const uint8_t *, size_t);
  struct Free {
    void operator()(hb_beamr_wamr_prepared_t *prepared) const;
  };
  std::unique_ptr<hb_beamr_wamr_prepared_t, Free> handle_;
  ModuleScan scan_;
  const uint8_t *prepared_ = nullptr;
  size_t prepared_size_ = 0;
  bool deferred_start_ = false;
};

/// Scans `bytes` (borrowed for the call) and prepares them for WAMR. Never
/// fails: a module the scan does not understand comes back with
/// `scan().understood` false and nothing prepared.
WamrModule prepare_for_wamr(const uint8_t *bytes, size_t size);

} // namespace hb_beamr::rewrite
