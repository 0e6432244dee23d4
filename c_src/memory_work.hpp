// How much work a memory command does, and so whether a scheduler may run
// it: the fast path serves small memory commands inline and leaves large
// ones to the instance thread.
#pragma once

#include <cstdint>

#include "protocol.hpp"

namespace hb_beamr::driver {

/// Memory commands touching more bytes than this do not run on a scheduler
/// (about a millisecond of copying, the length of one call slice).
inline constexpr uint64_t kInlineMemoryBytes = uint64_t{1} << 20;

/// Bytes `request` reads, writes or zeroes in a memory of `memory_size`
/// bytes: a read's or write's length, the whole memory for serialize, and
/// for deserialize the image plus the rest of memory it zeroes. Zero for
/// commands that touch no memory.
uint64_t memory_work(const Request &request, uint64_t memory_size);

/// Whether `request` is cheap enough to run on a scheduler.
bool runs_inline(const Request &request, uint64_t memory_size);

} // namespace hb_beamr::driver
