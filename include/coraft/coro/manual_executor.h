// ManualExecutor: a deterministic executor with virtual time.
//
// Nothing runs until the owner drives it: run_until_idle() runs every ready
// coroutine (FIFO) without moving the clock; advance_to()/advance_by() move
// the clock forward, running each timer at its due time, in (time, schedule
// order). Given the same inputs it always does the same thing in the same
// order, which is what makes simulated Raft runs replayable from a seed.
//
// Not thread-safe: use it from one thread.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "coraft/coro/executor.h"

namespace coraft::coro {

class ManualExecutor final : public Executor {
 public:
  // Virtual time starts at `start` (default: the clock's epoch).
  explicit ManualExecutor(TimePoint start = TimePoint{}) : now_(start) {}
  ManualExecutor(const ManualExecutor&) = delete;
  ManualExecutor& operator=(const ManualExecutor&) = delete;
  ~ManualExecutor() override = default;

  WorkId post(std::coroutine_handle<> h) override;
  WorkId schedule_at(TimePoint when, std::coroutine_handle<> h) override;
  bool cancel(WorkId id) override;
  TimePoint now() const override { return now_; }

  // Runs one ready item. Returns false when none is ready.
  bool run_one();
  // Runs ready items until none is left (work they post runs too). Returns
  // how many ran.
  std::size_t run_until_idle();
  // Moves time forward to `when`, running everything due on the way, each
  // timer at its own due time. Time never moves backwards.
  std::size_t advance_to(TimePoint when);
  std::size_t advance_by(Duration d) { return advance_to(now_ + d); }
  // Runs until idle, then jumps to the next timer and repeats, until no work
  // at all is left or `limit` is reached. Returns how many items ran.
  std::size_t run_all(TimePoint limit = TimePoint::max());

  // When the earliest pending timer is due; nullopt when none is pending.
  std::optional<TimePoint> next_timer();
  std::size_t ready_count() const { return ready_.size() - cancelled_ready_; }
  std::size_t timer_count() const { return pending_timers_.size(); }
  bool idle() const { return ready_count() == 0; }

 private:
  struct Timer {
    TimePoint when;
    WorkId id;
    std::coroutine_handle<> h;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : id > o.id; }
  };
  struct Ready {
    WorkId id;
    std::coroutine_handle<> h;
  };
  void drop_cancelled_timers();

  TimePoint now_;
  WorkId next_id_ = 1;
  std::deque<Ready> ready_;
  std::unordered_set<WorkId> pending_ready_;
  std::size_t cancelled_ready_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::unordered_set<WorkId> pending_timers_;
};

}  // namespace coraft::coro
