// MemoryLog: a LogAPI that keeps everything in memory.
//
// "Durable" here means: kept by this object. A simulated crash destroys the
// RaftNode, not its MemoryLog, so a restarted node finds what the log held.
// Useful for tests, simulations, benchmarks, and as a reference when
// writing a LogAPI over a real store. Not thread-safe (a LogAPI is called on
// one executor, one call at a time).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "coraft/log_api.h"

namespace coraft::assist {

class MemoryLog : public LogAPI {
 public:
  MemoryLog() = default;

  coro::Task<LogState> load() override;
  coro::Task<void> save_hard_state(HardState state) override;
  coro::Task<void> append(std::vector<Entry> entries) override;
  coro::Task<void> truncate_suffix(Index from) override;
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override;

  // Inspection (tests, tools).
  const HardState& hard_state() const { return hard_state_; }
  Index first_index() const { return first_index_; }
  Index last_index() const { return first_index_ + entries_.size() - 1; }
  // The entry at `index`, or nullptr.
  const Entry* entry(Index index) const;
  std::size_t size() const { return entries_.size(); }

 private:
  HardState hard_state_;
  Index first_index_ = 1;
  std::deque<Entry> entries_;
};

}  // namespace coraft::assist
