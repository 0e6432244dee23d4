// Time of day for the guest's libc: tzset, gmtime/localtime, mktime and
// strftime. The guest lives in UTC (the host's time zone is not leaked, and
// runs replay the same), so localtime is gmtime.
#include <algorithm>
#include <clocale>
#include <cstring>
#include <ctime>
#include <string>

#include <locale.h> // newlocale, strftime_l (POSIX)

#include "emscripten/state.hpp"

namespace hb_beamr::emscripten_detail {

namespace {

constexpr const char *kZone = "UTC";
// Longest format string read from the guest, and most bytes strftime may
// produce; past them the format does not fit and strftime returns 0, as
// for a too-small buffer.
constexpr size_t kMaxFormat = 4096;
constexpr size_t kMaxOutput = 65536;
// struct tm: nine ints, then long tm_gmtoff (4 or 8 bytes, aligned).
constexpr size_t kTmInts = 9;

uint64_t gmtoff_offset(const Call &call) {
  return call.memory.is64() ? 40 : 36;
}

// The guest's struct tm at `address`; false if it is out of bounds.
bool read_tm(const Call &call, uint64_t address, std::tm *out) {
  uint32_t f[kTmInts];
  for (size_t i = 0; i < kTmInts; ++i)
    if (!call.memory.read_u32(address + 4 * i, &f[i]))
      return false;
  *out = std::tm{};
  int *fields[kTmInts] = {&out->tm_sec,  &out->tm_min,  &out->tm_hour,
                          &out->tm_mday, &out->tm_mon,  &out->tm_year,
                          &out->tm_wday, &out->tm_yday, &out->tm_isdst};
  for (size_t i = 0; i < kTmInts; ++i)
    *fields[i] = static_cast<int32_t>(f[i]);
  return true;
}

bool write_tm(Call &call, uint64_t address, const std::tm &tm) {
  const int fields[kTmInts] = {tm.tm_sec,  tm.tm_min,  tm.tm_hour,
                               tm.tm_mday, tm.tm_mon,  tm.tm_year,
                               tm.tm_wday, tm.tm_yday, tm.tm_isdst};
  const uint64_t end = gmtoff_offset(call) + call.memory.word();
  if (!call.memory.contains(address, end))
    return false;
  for (size_t i = 0; i < kTmInts; ++i)
    call.memory.write_u32(address + 4 * i, static_cast<uint32_t>(fields[i]));
  return call.memory.write_word(address + gmtoff_offset(call), 0);
}

// The time argument of gmtime/localtime in each form emscripten has used:
// an i64 value, an i64 split into two i32 halves, or a pointer to a time_t.
bool time_arg(const Call &call, int64_t *out) {
  const size_t params = call.import.func.params.size();
  if (params == 3) {
    *out = static_cast<int64_t>(call.arg(0) | (call.arg(1) << 32));
    return true;
  }
  if (call.args[0].kind == WASM_I64) {
    *out = call.args[0].of.i64;
    return true;
  }
  uint64_t value = 0;
  if (!call.memory.read_u64(call.arg(0), &value))
    return false;
  *out = static_cast<int64_t>(value);
  return true;
}

Status broken_down(Call &call) {
  int64_t seconds = 0;
  if (!time_arg(call, &seconds))
    return fault(call, "time_t");
  const uint64_t tm_address = call.arg(call.import.func.params.size() - 1);
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  // A time whose year does not fit an int leaves the struct as it was, as
  // musl's own range check would before calling the import.
  if (gmtime_r(&t, &tm) == nullptr)
    return {};
  if (!write_tm(call, tm_address, tm))
    return fault(call, "struct tm");
  return {};
}

// Field values glibc would index tables with, brought into range.
void clamp_for_format(std::tm *tm) {
  tm->tm_mon = std::clamp(tm->tm_mon, 0, 11);
  tm->tm_wday = std::clamp(tm->tm_wday, 0, 6);
  tm->tm_yday = std::clamp(tm->tm_yday, 0, 365);
}

// The NUL-terminated string at `address`, at most kMaxFormat bytes; false
// if it leaves memory or that bound first (out then holds kMaxFormat bytes).
bool read_cstring(const Call &call, uint64_t address, std::string *out) {
  out->clear();
  for (uint64_t i = 0; i < kMaxFormat; ++i) {
    char c = '\0';
    if (!call.memory.read(address + i, &c, 1))
      return false;
    if (c == '\0')
      return true;
    out->push_back(c);
  }
  return false;
}

locale_t c_locale() {
  // Made once and kept for the process: strftime must not follow whatever
  // locale the host process set.
  static locale_t locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  return locale;
}

} // namespace

Status tzset_js(Call &call) {
  const uint64_t timezone = call.arg(0);
  const uint64_t daylight = call.arg(1);
  if (!call.memory.contains(timezone, call.memory.word()) ||
      !call.memory.contains(daylight, 4) ||
      !call.memory.contains(call.arg(2), std::strlen(kZone) + 1) ||
      !call.memory.contains(call.arg(3), std::strlen(kZone) + 1))
    return fault(call, "time zone field");
  call.memory.write_word(timezone, 0);
  call.memory.write_u32(daylight, 0);
  call.memory.write(call.arg(2), kZone, std::strlen(kZone) + 1);
  call.memory.write(call.arg(3), kZone, std::strlen(kZone) + 1);
  return {};
}

Status gmtime_js(Call &call) { return broken_down(call); }
Status localtime_js(Call &call) { return broken_down(call); }

// Normalizes the guest's struct tm (as UTC) and returns its time, or -1 if
// it cannot be represented.
Status mktime_js(Call &call) {
  std::tm tm{};
  if (!read_tm(call, call.arg(0), &tm))
    return fault(call, "struct tm");
  tm.tm_isdst = 0;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) {
    call.result(-1);
    return {};
  }
  if (!write_tm(call, call.arg(0), tm))
    return fault(call, "struct tm");
  call.result(static_cast<int64_t>(t));
  return {};
}

// strftime(s, max, format, tm[, locale]): the locale is always "C".
Status strftime(Call &call) {
  const uint64_t dest = call.arg(0);
  const uint64_t max = call.arg(1);
  std::string format;
  if (!read_cstring(call, call.arg(2), &format)) {
    call.result(0);
    return format.size() >= kMaxFormat ? Status{} : fault(call, "format");
  }
  std::tm tm{};
  if (!read_tm(call, call.arg(3), &tm))
    return fault(call, "struct tm");
  clamp_for_format(&tm);
  tm.tm_zone = kZone;
  tm.tm_gmtoff = 0;
  std::string out(static_cast<size_t>(std::min<uint64_t>(max, kMaxOutput)),
                  '\0');
  size_t n = out.empty() ? 0
                         : strftime_l(out.data(), out.size(), format.c_str(),
                                      &tm, c_locale());
  // 0 is also what a result of no characters gives; then the NUL is still
  // written, as libc does.
  if (!out.empty())
    out[n] = '\0';
  if (!out.empty() && !call.memory.write(dest, out.data(), n + 1))
    return fault(call, "strftime buffer");
  call.result(static_cast<int64_t>(n));
  return {};
}

} // namespace hb_beamr::emscripten_detail
