// Internal: one thread that stops calls whose time limit has passed.
#pragma once

#include <chrono>

namespace hb_beamr {
class Context;

/// Marks `ctx`'s running call as timed out and interrupts it. Defined with
/// Context; called only by the watchdog, with the watchdog's lock held.
void watchdog_expire(Context &ctx);

namespace watchdog {

using Clock = std::chrono::steady_clock;

/// Calls watchdog_expire(*ctx) once `deadline` passes, unless disarm(ctx)
/// comes first. One deadline per context at a time. False, with nothing
/// armed, if the watchdog thread is not running and cannot be started (no
/// thread can be created, or no memory): the call must then fail, since
/// nothing would stop it.
[[nodiscard]] bool arm(Context *ctx, Clock::time_point deadline) noexcept;

/// Cancels ctx's deadline. Once it returns, the watchdog no longer touches
/// ctx (an expiry in progress has finished).
void disarm(Context *ctx);

/// Stops the watchdog thread (it starts again on the next arm()). The runtime
/// calls this when destroyed, so no thread outlives the library's unload.
void shutdown();

} // namespace watchdog
} // namespace hb_beamr
