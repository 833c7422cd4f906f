// Executor: the one seam between coraft's coroutines and an event loop.
//
// Every resumption of a coraft coroutine goes through an Executor: nothing is
// ever resumed inline from a foreign thread or callback. Adapting coraft to
// another loop (Asio, libuv, an application's own) means implementing these
// four methods. coraft ships two: ManualExecutor (virtual time, for tests and
// simulation) and EventLoop (real time, one thread).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>

namespace coraft::coro {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<Clock, Duration>;

// Identifies one piece of scheduled work (a post or a timer). Never 0.
using WorkId = std::uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;

  // Runs `h` soon, on the executor's thread, after work posted before it
  // (FIFO). Thread-safety is the implementation's to state.
  virtual WorkId post(std::coroutine_handle<> h) = 0;

  // Runs `h` once now() >= `when`. Timers due at the same time run in the
  // order they were scheduled.
  virtual WorkId schedule_at(TimePoint when, std::coroutine_handle<> h) = 0;

  // Withdraws work that has not run yet. Returns true when it was pending and
  // now never runs; false when it already ran, is running, or was withdrawn.
  virtual bool cancel(WorkId id) = 0;

  // The executor's clock: virtual time for ManualExecutor.
  virtual TimePoint now() const = 0;
};

// Awaitable: reschedules the current coroutine at the back of the executor's
// queue. Lets other ready work run first.
class YieldAwaiter {
 public:
  explicit YieldAwaiter(Executor& ex) noexcept : ex_(ex) {}
  YieldAwaiter(const YieldAwaiter&) = delete;
  YieldAwaiter& operator=(const YieldAwaiter&) = delete;
  ~YieldAwaiter() {
    if (id_ != 0) ex_.cancel(id_);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { id_ = ex_.post(h); }
  void await_resume() noexcept { id_ = 0; }

 private:
  Executor& ex_;
  WorkId id_ = 0;
};

inline YieldAwaiter yield(Executor& ex) noexcept { return YieldAwaiter{ex}; }

// Awaitable: moves the current coroutine onto `ex` (always suspends).
inline YieldAwaiter resume_on(Executor& ex) noexcept { return YieldAwaiter{ex}; }

}  // namespace coraft::coro
