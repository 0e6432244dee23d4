// Printable names of the core's enums, shared by messages and both APIs.
#include "hb_beamr/result.hpp"
#include "hb_beamr/state.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr {

const char *error_kind_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::allocation: return "allocation";
  case ErrorKind::engine_init: return "engine_init";
  case ErrorKind::load: return "load";
  case ErrorKind::instantiate: return "instantiate";
  case ErrorKind::link: return "link";
  case ErrorKind::lookup: return "lookup";
  case ErrorKind::trap: return "trap";
  case ErrorKind::invalid_state: return "invalid_state";
  case ErrorKind::invalid_argument: return "invalid_argument";
  case ErrorKind::out_of_bounds: return "out_of_bounds";
  case ErrorKind::unsupported: return "unsupported";
  case ErrorKind::interrupted: return "interrupted";
  case ErrorKind::timeout: return "timeout";
  }
  return "unknown";
}

const char *state_name(State state) {
  switch (state) {
  case State::uninitialized: return "UNINITIALIZED";
  case State::runtime_initialized: return "RUNTIME_INITIALIZED";
  case State::context_created: return "CONTEXT_CREATED";
  case State::module_loaded: return "MODULE_LOADED";
  case State::instantiated: return "INSTANTIATED";
  case State::running_export: return "RUNNING_EXPORT";
  case State::awaiting_import: return "AWAITING_IMPORT";
  case State::trapped: return "TRAPPED";
  case State::destroyed: return "DESTROYED";
  case State::runtime_destroyed: return "RUNTIME_DESTROYED";
  }
  return "UNKNOWN";
}

const char *extern_kind_name(ExternKind kind) {
  switch (kind) {
  case ExternKind::func: return "func";
  case ExternKind::global: return "global";
  case ExternKind::table: return "table";
  case ExternKind::memory: return "memory";
  case ExternKind::tag: return "tag";
  }
  return "unknown";
}

} // namespace hb_beamr
