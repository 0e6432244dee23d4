// Internal: the clock behind time slices of suspendable calls.
//
// A suspendable call yields when its slice ends, but an engine only looks at
// the time when its epoch advances. While slices run, the ticker advances
// the epoch of every live engine once per tick (1 ms); it sleeps after
// 100 ticks without a new slice. A slice costs one atomic read and no lock,
// so calls on several schedulers do not contend here.
#pragma once

#include <wasm.h>

namespace hb_beamr::slice_ticker {

/// An engine exists / is about to be destroyed. Thread-safe.
void remember(wasm_engine_t *engine);
void forget(wasm_engine_t *engine);

/// A slice starts. Thread-safe. False if the ticker thread is not running
/// and cannot be started (no thread can be created): the slice would then
/// never end, so the caller must fail instead of running it.
[[nodiscard]] bool enter() noexcept;

/// Stops the ticker thread (it starts again with the next enter()). The
/// runtime calls this when destroyed, so no thread outlives the library.
void shutdown();

} // namespace hb_beamr::slice_ticker
