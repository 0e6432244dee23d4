// Internal: which of an instance's exports are its default memory and
// function table, the same rule for every engine adapter.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace hb_beamr::engine {

/// Picks the default memory (the export named "memory", else the first
/// exported memory) and function table (the export named
/// "__indirect_function_table", else the first exported funcref table) while
/// an adapter walks an instance's exports in order. Positions are the
/// adapter's own export indexes.
class DefaultExports {
public:
  /// Offers the memory exported at `position` as `name`.
  void offer_memory(size_t position, std::string_view name) {
    if (!memory_ || name == "memory")
      memory_ = position;
  }
  /// Whether a table exported as `name` would be taken (if it holds
  /// funcrefs): lets an adapter skip reading the type of one that would not.
  bool wants_table(std::string_view name) const {
    return !table_ || name == "__indirect_function_table";
  }
  /// Offers the funcref table exported at `position` as `name`.
  void offer_funcref_table(size_t position, std::string_view name) {
    if (wants_table(name))
      table_ = position;
  }
  std::optional<size_t> memory() const { return memory_; }
  std::optional<size_t> table() const { return table_; }

private:
  std::optional<size_t> memory_;
  std::optional<size_t> table_;
};

} // namespace hb_beamr::engine
