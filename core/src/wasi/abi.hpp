// Numbers of the WASI preview 1 ABI (wasi_snapshot_preview1) that the
// provider answers with: errno values, file types, rights, clock ids, event
// types and the byte offsets of the structures it reads and writes. All
// multi-byte fields are little-endian.
#pragma once

#include <cstdint>

namespace hb_beamr::wasi_abi {

/// The module name every preview 1 import carries.
inline constexpr const char *kModule = "wasi_snapshot_preview1";

/// errno values, as the spec numbers them (not the host's).
inline constexpr uint16_t kSuccess = 0;
inline constexpr uint16_t k2Big = 1;
inline constexpr uint16_t kBadf = 8;
inline constexpr uint16_t kFault = 21;
inline constexpr uint16_t kInval = 28;
inline constexpr uint16_t kIo = 29;
inline constexpr uint16_t kNosys = 52;
inline constexpr uint16_t kNotdir = 54;
inline constexpr uint16_t kNotsock = 57;
inline constexpr uint16_t kNotsup = 58;
inline constexpr uint16_t kOverflow = 61;
inline constexpr uint16_t kSpipe = 70;
inline constexpr uint16_t kNotcapable = 76;

/// filetype: stdio are pipes to the host, which preview 1 calls "unknown"
/// (a character device would make libc believe it writes to a terminal).
inline constexpr uint8_t kFiletypeUnknown = 0;

/// fdflags bits a guest may set (append, dsync, nonblock, rsync, sync).
inline constexpr uint16_t kFdflagsAll = 0x1f;

/// rights bits.
inline constexpr uint64_t kRightFdRead = uint64_t{1} << 1;
inline constexpr uint64_t kRightFdFdstatSetFlags = uint64_t{1} << 3;
inline constexpr uint64_t kRightFdWrite = uint64_t{1} << 6;
inline constexpr uint64_t kRightFdFilestatGet = uint64_t{1} << 21;
inline constexpr uint64_t kRightPollFdReadwrite = uint64_t{1} << 27;

/// clockid values.
inline constexpr uint32_t kClockRealtime = 0;
inline constexpr uint32_t kClockMonotonic = 1;
inline constexpr uint32_t kClockProcessCputime = 2;
inline constexpr uint32_t kClockThreadCputime = 3;

/// eventtype values (also the subscription union's tag).
inline constexpr uint8_t kEventClock = 0;
inline constexpr uint8_t kEventFdRead = 1;
inline constexpr uint8_t kEventFdWrite = 2;
/// subclockflags: the timeout is an absolute time of its clock.
inline constexpr uint16_t kSubclockAbstime = 1;
/// eventrwflags: the peer hung up (stdin has no more bytes).
inline constexpr uint16_t kEventHangup = 1;

/// fdstat: filetype u8 @0, fs_flags u16 @2, rights_base u64 @8,
/// rights_inheriting u64 @16.
inline constexpr uint64_t kFdstatSize = 24;
/// filestat: dev, ino, filetype u8 @16, nlink, size, atim, mtim, ctim.
inline constexpr uint64_t kFilestatSize = 64;
inline constexpr uint64_t kFilestatFiletype = 16;

/// subscription: userdata u64 @0, tag u8 @8, then the union's case @16:
/// clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40} or
/// fd_readwrite {fd u32 @16}.
inline constexpr uint64_t kSubscriptionSize = 48;
/// event: userdata u64 @0, error u16 @8, type u8 @10,
/// fd_readwrite {nbytes u64 @16, flags u16 @24}.
inline constexpr uint64_t kEventSize = 32;

/// Most iovecs one call may pass, as IOV_MAX on Linux; more is EINVAL.
inline constexpr uint64_t kMaxIovecs = 1024;
/// Most subscriptions one poll_oneoff may pass; more is EINVAL, so that a
/// guest cannot make the host hold millions of events.
inline constexpr uint64_t kMaxSubscriptions = 4096;

} // namespace hb_beamr::wasi_abi
