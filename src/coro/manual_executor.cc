#include "coraft/coro/manual_executor.h"

#include <cassert>

namespace coraft::coro {

WorkId ManualExecutor::post(std::coroutine_handle<> h) {
  const WorkId id = next_id_++;
  ready_.push_back({id, h});
  pending_ready_.insert(id);
  return id;
}

WorkId ManualExecutor::schedule_at(TimePoint when, std::coroutine_handle<> h) {
  const WorkId id = next_id_++;
  timers_.push({when, id, h});
  pending_timers_.insert(id);
  return id;
}

bool ManualExecutor::cancel(WorkId id) {
  if (pending_ready_.erase(id) != 0) {
    ++cancelled_ready_;
    return true;
  }
  return pending_timers_.erase(id) != 0;
}

bool ManualExecutor::run_one() {
  while (!ready_.empty()) {
    Ready item = ready_.front();
    ready_.pop_front();
    if (pending_ready_.erase(item.id) == 0) {
      --cancelled_ready_;
      continue;
    }
    item.h.resume();
    return true;
  }
  return false;
}

std::size_t ManualExecutor::run_until_idle() {
  std::size_t n = 0;
  while (run_one()) ++n;
  return n;
}

void ManualExecutor::drop_cancelled_timers() {
  while (!timers_.empty() && pending_timers_.count(timers_.top().id) == 0) timers_.pop();
}

std::optional<TimePoint> ManualExecutor::next_timer() {
  drop_cancelled_timers();
  if (timers_.empty()) return std::nullopt;
  return timers_.top().when;
}

std::size_t ManualExecutor::advance_to(TimePoint when) {
  std::size_t n = run_until_idle();
  for (;;) {
    drop_cancelled_timers();
    if (timers_.empty() || timers_.top().when > when) break;
    Timer t = timers_.top();
    timers_.pop();
    pending_timers_.erase(t.id);
    if (t.when > now_) now_ = t.when;
    t.h.resume();
    ++n;
    n += run_until_idle();
  }
  if (when > now_) now_ = when;
  return n;
}

std::size_t ManualExecutor::run_all(TimePoint limit) {
  std::size_t n = run_until_idle();
  for (;;) {
    auto next = next_timer();
    if (!next || *next > limit) break;
    n += advance_to(*next);
  }
  return n;
}

}  // namespace coraft::coro
