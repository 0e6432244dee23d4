// Load-time module rewriting through the engine crate's C ABI.
#include "module_rewrite.hpp"

#include <string>

#include <hb_beamr_rewrite.h>

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

} // namespace hb_beamr::rewrite
