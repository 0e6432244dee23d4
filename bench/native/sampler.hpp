// Repetition and output shared by the native benchmark programs: every
// measurement is repeated, and printed as one CSV row
//   group,name,unit,reps,min,median,detail
// where min and median are seconds per operation (unit "s") or a size in
// bytes (unit "bytes").
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace hb_beamr::bench {

/// How long to repeat: at least min_reps, at most max_reps, and no more reps
/// once `seconds` have passed.
struct Budget {
  int min_reps;
  int max_reps;
  double seconds;
};

/// A budget scaled down when HB_BEAMR_BENCH_QUICK is set (a smoke run).
inline Budget budget(int min_reps, int max_reps, double seconds) {
  const char *quick = std::getenv("HB_BEAMR_BENCH_QUICK");
  if (quick != nullptr && *quick != '\0' && *quick != '0')
    return Budget{1, std::min(max_reps, 2), seconds / 10};
  return Budget{min_reps, max_reps, seconds};
}

inline double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

/// Runs `op` `inner` times per repetition and returns the seconds per
/// operation of every repetition.
template <typename Op>
std::vector<double> sample(Op &&op, uint64_t inner, const Budget &budget) {
  std::vector<double> per_op;
  const double start = now_seconds();
  for (int rep = 0; rep < budget.max_reps; ++rep) {
    if (rep >= budget.min_reps && now_seconds() - start > budget.seconds)
      break;
    const double t0 = now_seconds();
    for (uint64_t k = 0; k < inner; ++k)
      op();
    per_op.push_back((now_seconds() - t0) / static_cast<double>(inner));
  }
  return per_op;
}

inline void print_row(const std::string &group, const std::string &name,
                      const char *unit, std::vector<double> values,
                      const std::string &detail = "") {
  if (values.empty()) {
    std::printf("%s,%s,%s,0,,,%s\n", group.c_str(), name.c_str(), unit,
                detail.c_str());
    return;
  }
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median =
      n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  std::printf("%s,%s,%s,%zu,%.9g,%.9g,%s\n", group.c_str(), name.c_str(), unit,
              n, values.front(), median, detail.c_str());
  std::fflush(stdout);
}

/// A measurement that could not be made: reps 0, the reason as detail.
inline void print_unavailable(const std::string &group, const std::string &name,
                              const std::string &reason) {
  print_row(group, name, "s", {}, reason);
}

} // namespace hb_beamr::bench
