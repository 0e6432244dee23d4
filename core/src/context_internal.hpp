// Internal: what the C facade (capi_lib.cpp) needs from a Context beyond its
// public API. Kept apart from context_impl.hpp so that the facade never sees
// the engine seam.
#pragma once

#include <string>
#include <string_view>

#include <wasm.h>

#include "hb_beamr/context.hpp"

namespace hb_beamr::internal {

/// True while an export of `ctx` runs (including inside its host functions),
/// so destroying it must wait for the outermost call to return.
bool in_call(const Context &ctx);

/// Moves `ctx` to DESTROYED: every later operation fails with invalid_state.
/// For a destruction requested from inside one of its own host functions,
/// where its memory cannot be freed yet.
void mark_destroyed(Context &ctx);

/// The engine's store handle: `wasmtime_context_t*` on Wasmtime,
/// `wasm_store_t*` on WAMR. Null before instantiation. Borrowed: valid as
/// long as the instance.
void *engine_store(const Context &ctx);

/// A trap carrying `message` for a host function of `ctx` (null: of the call
/// running on this thread) to return; owned by the caller.
wasm_trap_t *new_trap(const Context *ctx, std::string_view message);

/// The text of a trap (one from new_trap() or any wasm.h trap); borrows it.
std::string trap_text(const wasm_trap_t *trap);

} // namespace hb_beamr::internal
