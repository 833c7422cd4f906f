#include "coraft/assist/memory_log.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace coraft::assist {

coro::Task<LogState> MemoryLog::load() { co_return LogState{hard_state_, first_index_, last_index()}; }

coro::Task<void> MemoryLog::save_hard_state(HardState state) {
  hard_state_ = state;
  co_return;
}

coro::Task<void> MemoryLog::append(std::vector<Entry> entries) {
  if (entries.empty()) co_return;
  if (entries.front().index != last_index() + 1) {
    throw std::invalid_argument("MemoryLog::append: entry " + std::to_string(entries.front().index) +
                                " does not follow last index " + std::to_string(last_index()));
  }
  for (Entry& e : entries) entries_.push_back(std::move(e));
}

coro::Task<void> MemoryLog::truncate_suffix(Index from) {
  if (from < first_index_) throw std::invalid_argument("MemoryLog::truncate_suffix below the first index");
  while (!entries_.empty() && last_index() >= from) entries_.pop_back();
  co_return;
}

coro::Task<std::vector<Entry>> MemoryLog::read(Index from, Index to, std::uint64_t max_bytes) {
  if (from < first_index_ || to > last_index() + 1 || from > to) {
    throw std::out_of_range("MemoryLog::read: [" + std::to_string(from) + ", " + std::to_string(to) +
                            ") outside the log");
  }
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  for (Index i = from; i < to; ++i) {
    const Entry& e = entries_[i - first_index_];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  co_return out;
}

const Entry* MemoryLog::entry(Index index) const {
  if (index < first_index_ || index > last_index()) return nullptr;
  return &entries_[index - first_index_];
}

}  // namespace coraft::assist
