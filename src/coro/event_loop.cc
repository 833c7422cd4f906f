#include "coraft/coro/event_loop.h"

namespace coraft::coro {

TimePoint EventLoop::now() const { return std::chrono::time_point_cast<Duration>(Clock::now()); }

WorkId EventLoop::post(std::coroutine_handle<> h) {
  std::lock_guard lock(mu_);
  const WorkId id = next_id_++;
  ready_.push_back({id, h, {}});
  pending_.insert(id);
  cv_.notify_one();
  return id;
}

WorkId EventLoop::dispatch(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  const WorkId id = next_id_++;
  ready_.push_back({id, {}, std::move(fn)});
  pending_.insert(id);
  cv_.notify_one();
  return id;
}

WorkId EventLoop::schedule_at(TimePoint when, std::coroutine_handle<> h) {
  std::lock_guard lock(mu_);
  const WorkId id = next_id_++;
  const bool earliest = timers_.empty() || when < timers_.top().when;
  timers_.push({when, id, h});
  pending_.insert(id);
  if (earliest) cv_.notify_one();
  return id;
}

bool EventLoop::cancel(WorkId id) {
  std::lock_guard lock(mu_);
  return pending_.erase(id) != 0;
}

void EventLoop::stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

bool EventLoop::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

bool EventLoop::in_loop_thread() const {
  std::lock_guard lock(mu_);
  return running_ && loop_thread_ == std::this_thread::get_id();
}

void EventLoop::run() {
  std::unique_lock lock(mu_);
  running_ = true;
  loop_thread_ = std::this_thread::get_id();
  while (!stop_) {
    // Timers that are due go to the back of the ready queue, in order.
    const TimePoint t = now();
    while (!timers_.empty() && timers_.top().when <= t) {
      Timer timer = timers_.top();
      timers_.pop();
      if (pending_.count(timer.id) != 0) ready_.push_back({timer.id, timer.h, {}});
    }
    if (!ready_.empty()) {
      Item item = std::move(ready_.front());
      ready_.pop_front();
      if (pending_.erase(item.id) == 0) continue;  // cancelled
      lock.unlock();
      if (item.h) {
        item.h.resume();
      } else {
        item.fn();
      }
      lock.lock();
      continue;
    }
    while (!timers_.empty() && pending_.count(timers_.top().id) == 0) timers_.pop();
    if (timers_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, timers_.top().when);
    }
  }
  stop_ = false;
  running_ = false;
  loop_thread_ = {};
}

}  // namespace coraft::coro
