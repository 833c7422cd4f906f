// sleep_for / sleep_until: suspend the current coroutine on an Executor's
// timer, cancellable through a std::stop_token.
//
//   bool elapsed = co_await sleep_for(ex, 50ms, token);
//
// The result is true when the time elapsed and false when the stop token was
// triggered first (or already at the call). Either way the coroutine resumes
// through the executor, never inline inside request_stop(). Destroying a
// suspended coroutine withdraws its timer: nothing resumes a freed frame.
#pragma once

#include <coroutine>
#include <optional>
#include <stop_token>

#include "coraft/coro/executor.h"

namespace coraft::coro {

class SleepAwaiter {
 public:
  SleepAwaiter(Executor& ex, TimePoint when, std::stop_token token) noexcept
      : ex_(ex), when_(when), token_(std::move(token)) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    stop_cb_.reset();  // waits for a callback running on another thread
    if (id_ != 0) ex_.cancel(id_);
  }

  bool await_ready() noexcept {
    if (token_.stop_requested()) {
      cancelled_ = true;
      return true;
    }
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    id_ = ex_.schedule_at(when_, h);
    if (token_.stop_possible()) stop_cb_.emplace(token_, OnStop{this});
  }
  bool await_resume() noexcept {
    stop_cb_.reset();
    id_ = 0;
    return !cancelled_;
  }

 private:
  struct OnStop {
    SleepAwaiter* self;
    void operator()() const noexcept {
      // Only the side that withdraws the timer may reschedule the coroutine.
      if (self->ex_.cancel(self->id_)) {
        self->cancelled_ = true;
        self->id_ = self->ex_.post(self->handle_);
      }
    }
  };

  Executor& ex_;
  TimePoint when_;
  std::stop_token token_;
  std::coroutine_handle<> handle_;
  WorkId id_ = 0;
  bool cancelled_ = false;
  std::optional<std::stop_callback<OnStop>> stop_cb_;
};

inline SleepAwaiter sleep_until(Executor& ex, TimePoint when, std::stop_token token = {}) noexcept {
  return SleepAwaiter{ex, when, std::move(token)};
}

inline SleepAwaiter sleep_for(Executor& ex, Duration d, std::stop_token token = {}) noexcept {
  return SleepAwaiter{ex, ex.now() + d, std::move(token)};
}

}  // namespace coraft::coro
