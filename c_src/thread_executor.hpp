// The instance thread's executor: the loop that takes messages from the
// port's Session and runs them on the instance's Context. See
// instance_thread.hpp for the replies and the rules it keeps.
#pragma once

#include "instance_thread.hpp"

namespace hb_beamr::driver {

/// Runs messages from `shared.session` until it closes, then destroys the
/// instance's context. Call on the instance thread, inside its engine
/// environment (runtime::ThreadEnv). May throw std::bad_alloc only when the
/// instance is lost.
void run_instance_thread(Shared &shared);

} // namespace hb_beamr::driver
