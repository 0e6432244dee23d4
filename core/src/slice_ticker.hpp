// Internal: the clock behind time slices of suspendable calls.
//
// A suspendable call yields when its slice ends, but an engine only looks at
// the time when its epoch advances. The ticker advances the epoch of every
// engine with a slice in progress once per tick (1 ms). It runs while slices
// are being run and goes idle after a quiet spell, so a burst of short calls
// costs a lock and no system call each.
#pragma once

#include <wasm.h>

namespace hb_beamr::slice_ticker {

/// A slice of a call on `engine` starts / ends. Thread-safe.
void enter(wasm_engine_t *engine);
void leave(wasm_engine_t *engine);

/// Stops the ticker thread (it starts again with the next enter()). The
/// runtime calls this when destroyed, so no thread outlives the library.
void shutdown();

} // namespace hb_beamr::slice_ticker
