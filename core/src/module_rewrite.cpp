// Load-time module reading and rewriting through the engine crate's C ABI.
#include "module_rewrite.hpp"

#include <cassert>
#include <string>

#include <hb_beamr_module_scan.h>
#include <hb_beamr_rewrite.h>
#include <hb_beamr_wamr_prepare.h>

namespace hb_beamr::rewrite {

void ModuleBytes::Free::operator()(uint8_t *bytes) const {
  hb_beamr_rewrite_free_bytes(bytes, size);
}

Result<ModuleBytes> legacy_exceptions(const uint8_t *bytes, size_t size) {
  uint8_t *out = nullptr;
  size_t out_size = 0;
  char *error = nullptr;
  switch (hb_beamr_rewrite_legacy_eh(bytes, size, &out, &out_size, &error)) {
  case HB_BEAMR_REWRITE_UNCHANGED: return ModuleBytes(bytes, size);
  case HB_BEAMR_REWRITE_DONE: {
    ModuleBytes rewritten(out, out_size);
    rewritten.owned_ = std::unique_ptr<uint8_t, ModuleBytes::Free>(
        out, ModuleBytes::Free{out_size});
    return rewritten;
  }
  default: {
    std::string message = error != nullptr ? error : "unknown rewriter error";
    hb_beamr_rewrite_free_error(error);
    return make_error(ErrorKind::load, "cannot compile module: " + message);
  }
  }
}

const char kWamrStartExport[] = HB_BEAMR_WAMR_START_EXPORT;

static_assert(static_cast<int>(ExternKind::func) == HB_BEAMR_KIND_FUNC);
static_assert(static_cast<int>(ExternKind::table) == HB_BEAMR_KIND_TABLE);
static_assert(static_cast<int>(ExternKind::memory) == HB_BEAMR_KIND_MEMORY);
static_assert(static_cast<int>(ExternKind::global) == HB_BEAMR_KIND_GLOBAL);

void WamrModule::Free::operator()(hb_beamr_wamr_prepared_t *prepared) const {
  hb_beamr_wamr_prepared_free(prepared);
}

namespace {

struct FreeScan {
  void operator()(hb_beamr_module_scan_t *scan) const {
    hb_beamr_module_scan_free(scan);
  }
};

Limits limits_of(const hb_beamr_limits_t &l) {
  return Limits{l.min, l.max, l.has_max, l.is64};
}

std::vector<Limits> limits_of(const hb_beamr_limits_t *items, size_t count) {
  std::vector<Limits> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(limits_of(items[i]));
  return out;
}

ModuleScan scan_of(const hb_beamr_module_scan_info_t &info) {
  ModuleScan scan;
  scan.understood = info.understood;
  scan.limits_known = info.limits_known;
  for (size_t i = 0; i < info.import_count; ++i)
    scan.import_kinds.push_back(static_cast<ExternKind>(info.import_kinds[i]));
  scan.tables = limits_of(info.tables, info.table_count);
  scan.memories = limits_of(info.memories, info.memory_count);
  for (size_t i = 0; i < info.export_count; ++i) {
    const hb_beamr_export_t &e = info.exports[i];
    scan.exports.push_back(
        Export{std::string(reinterpret_cast<const char *>(e.name), e.name_size),
               static_cast<ExternKind>(e.kind), e.index});
  }
  return scan;
}

} // namespace

ModuleScan scan_module(const uint8_t *bytes, size_t size) {
  std::unique_ptr<hb_beamr_module_scan_t, FreeScan> scan(
      hb_beamr_module_scan(bytes, size));
  const hb_beamr_module_scan_info_t *info =
      hb_beamr_module_scan_info(scan.get());
  assert(info != nullptr); // the crate returns a handle, never NULL
  return scan_of(*info);
}

WamrModule prepare_for_wamr(const uint8_t *bytes, size_t size) {
  WamrModule module;
  module.handle_.reset(hb_beamr_wamr_prepare(bytes, size));
  const hb_beamr_wamr_module_info_t *info =
      hb_beamr_wamr_prepared_info(module.handle_.get());
  assert(info != nullptr); // the crate returns a handle, never NULL
  module.scan_ = scan_of(info->scan);
  module.prepared_ = info->module;
  module.prepared_size_ = info->module_size;
  module.deferred_start_ = info->deferred_start;
  return module;
}

} // namespace hb_beamr::rewrite
