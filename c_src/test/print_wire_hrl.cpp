// Prints include/hb_beamr_wire.hrl from c_src/wire.hpp, so that the Erlang
// side's codes and limits cannot drift from the driver's: the ctest
// wire_hrl_matches compares this output with the checked-in file. To
// regenerate it: build/c_src/test/print_wire_hrl > include/hb_beamr_wire.hrl
#include <cstdint>
#include <cstdio>

#include "wire.hpp"

namespace {

using namespace hb_beamr::driver::wire;

void define(const char *name, uint64_t value, const char *comment = nullptr) {
  if (comment == nullptr) {
    std::printf("-define(%s, %llu).\n", name,
                static_cast<unsigned long long>(value));
    return;
  }
  std::printf("-define(%s, %llu).  %% %s\n", name,
              static_cast<unsigned long long>(value), comment);
}

void control_ops() {
  std::printf("%%%% port_control operations (c_src/fast_path.hpp); 0 is the "
              "driver's no-op.\n");
  define("HB_CTL_PING", byte(ControlOp::ping));
  define("HB_CTL_CALL", byte(ControlOp::call));
  define("HB_CTL_ANSWER", byte(ControlOp::answer));
  define("HB_CTL_RESUME", byte(ControlOp::resume));
  define("HB_CTL_REQUEST", byte(ControlOp::request));
  define("HB_CTL_MOVE", byte(ControlOp::move));
}

void reply_markers() {
  std::printf("\n%%%% First byte of a port_control reply.\n");
  define("HB_REPLY_DATA", byte(ReplyMarker::data), "<<0, Data>>: {ok, Data}");
  define("HB_REPLY_TERM", byte(ReplyMarker::term),
         "<<1, Term>>: binary_to_term(Term)");
  define("HB_REPLY_RESULTS", byte(ReplyMarker::results),
         "<<2, Values>>: {ok, Results}");
  define("HB_REPLY_IMPORT", byte(ReplyMarker::import),
         "<<3, Index:32, Values>>: import Index waits");
}

void compact_codes() {
  std::printf("\n%%%% First byte of a compact command or answer "
              "(c_src/compact.hpp).\n");
  define("HB_COMPACT_CALL", byte(CompactCode::call));
  define("HB_COMPACT_INDIRECT", byte(CompactCode::indirect));
  define("HB_COMPACT_ANSWER", byte(CompactCode::answer));
  define("HB_COMPACT_REJECT", byte(CompactCode::reject));
}

void value_codes() {
  std::printf("\n%%%% Value codes of the compact encoding: "
              "<<Code, Payload:64>>.\n");
  define("HB_VALUE_INT", byte(ValueCode::integer));
  define("HB_VALUE_UINT", byte(ValueCode::uinteger));
  define("HB_VALUE_FLOAT", byte(ValueCode::real));
  define("HB_VALUE_NAN", byte(ValueCode::nan));
  define("HB_VALUE_INFINITY", byte(ValueCode::infinity));
  define("HB_VALUE_NEG_INFINITY", byte(ValueCode::neg_infinity));
  define("HB_VALUE_NULL", byte(ValueCode::null));
  define("HB_VALUE_INVALID", byte(ValueCode::invalid));
  define("HB_VALUE_REF", byte(ValueCode::ref));
}

void limits() {
  std::printf("\n%%%% Largest max_stack option, in bytes.\n");
  define("HB_MAX_STACK", kMaxStackBytes);
  std::printf("%%%% Call time limits at or above this many milliseconds mean "
              "no limit.\n");
  define("HB_MAX_TIMEOUT_MS", kMaxTimeoutMs);
}

} // namespace

int main() {
  std::printf(
      "%%%% Codes and limits shared by the driver (c_src) and the Erlang side "
      "(src).\n"
      "%%%% Generated from c_src/wire.hpp by c_src/test/print_wire_hrl.cpp; "
      "do not edit.\n"
      "%%%% Regenerate: build/c_src/test/print_wire_hrl > "
      "include/hb_beamr_wire.hrl\n"
      "%%%% (the ctest wire_hrl_matches fails while this file differs).\n\n");
  control_ops();
  reply_markers();
  compact_codes();
  value_codes();
  limits();
  return std::fflush(stdout) == 0 ? 0 : 1;
}
