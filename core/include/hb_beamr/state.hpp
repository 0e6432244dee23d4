// The life cycle of the runtime and of each context.
#pragma once

namespace hb_beamr {

/// States of a context (and, for the first two and the last, of the runtime).
/// The numbering matches hb_beamr_capi_lib_state_t.
///
///   UNINITIALIZED --init--> RUNTIME_INITIALIZED --create--> CONTEXT_CREATED
///   CONTEXT_CREATED --load--> MODULE_LOADED --instantiate--> INSTANTIATED
///   INSTANTIATED/TRAPPED --call--> RUNNING_EXPORT --return--> INSTANTIATED
///                                  RUNNING_EXPORT --trap--> TRAPPED
///   RUNNING_EXPORT --import--> AWAITING_IMPORT --answer--> RUNNING_EXPORT
///   any --destroy--> DESTROYED;  runtime destroyed --> RUNTIME_DESTROYED
enum class State {
  uninitialized = 0,
  runtime_initialized,
  context_created,
  module_loaded,
  instantiated,
  running_export,
  awaiting_import,
  trapped,
  destroyed,
  runtime_destroyed,
};

/// Upper-case name of a state, as used in error messages ("MODULE_LOADED").
const char *state_name(State state);

} // namespace hb_beamr
