// Compiled-module cache: a weak map from module bytes to compiled modules.
#include "module_cache.hpp"

#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hb_beamr::module_cache {
namespace {

struct Entry {
  wasm_engine_t *engine; // identity only; the module keeps the engine alive
  std::vector<uint8_t> bytes;
  std::weak_ptr<const engine::Module> module;
};

std::mutex mutex;
std::unordered_multimap<size_t, Entry> entries;
uint64_t hits = 0;
uint64_t misses = 0;

size_t hash_of(const uint8_t *bytes, size_t size) {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char *>(bytes), size));
}

void drop_expired() {
  for (auto it = entries.begin(); it != entries.end();)
    it = it->second.module.expired() ? entries.erase(it) : std::next(it);
}

} // namespace

Result<engine::ModulePtr> compile(const engine::EnginePtr &engine,
                                  const uint8_t *bytes, size_t size) {
  const size_t key = hash_of(bytes, size);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto range = entries.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      const Entry &e = it->second;
      if (e.engine != engine.get() || e.bytes.size() != size ||
          (size > 0 && std::memcmp(e.bytes.data(), bytes, size) != 0))
        continue;
      if (engine::ModulePtr module = e.module.lock()) {
        ++hits;
        return module;
      }
    }
  }
  // Compile outside the lock: it can take seconds, and other modules should
  // not wait for it. Two threads compiling the same bytes both succeed; the
  // second entry simply duplicates the first.
  Result<engine::ModulePtr> made = engine::compile(engine, bytes, size);
  if (!made)
    return made;
  std::lock_guard<std::mutex> lock(mutex);
  ++misses;
  drop_expired();
  entries.emplace(key,
                  Entry{engine.get(), std::vector<uint8_t>(bytes, bytes + size),
                        made.value()});
  return made;
}

void clear() {
  std::lock_guard<std::mutex> lock(mutex);
  entries.clear();
}

Stats stats() {
  std::lock_guard<std::mutex> lock(mutex);
  drop_expired();
  return Stats{hits, misses, entries.size()};
}

} // namespace hb_beamr::module_cache
