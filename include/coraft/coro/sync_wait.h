// sync_wait: run a Task to completion from ordinary (non-coroutine) code.
//
//   sync_wait(task)      starts the task on the calling thread and blocks
//                        until it completes; whatever it waits on must be
//                        driven by other threads (an EventLoop running
//                        elsewhere, for example).
//   sync_wait(ex, task)  drives a ManualExecutor (ready work, then virtual
//                        time) until the task completes. Throws
//                        std::logic_error if the executor runs out of work
//                        first: the task waits for something that never comes.
//
// The task's value is returned; its exception is rethrown.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/task.h"

namespace coraft::coro {

namespace detail {

struct SyncSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  void set() {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return done; });
  }
};

struct SyncWaitPromise;
struct SyncWaitRoot {
  using promise_type = SyncWaitPromise;
  std::coroutine_handle<SyncWaitPromise> h;
  SyncWaitRoot(SyncWaitRoot&& o) noexcept : h(std::exchange(o.h, {})) {}
  explicit SyncWaitRoot(std::coroutine_handle<SyncWaitPromise> handle) : h(handle) {}
  ~SyncWaitRoot();
};

struct SyncWaitPromise {
  FrameCounter counter;
  SyncSignal* signal = nullptr;
  std::exception_ptr error;
  SyncWaitRoot get_return_object() noexcept {
    return SyncWaitRoot{std::coroutine_handle<SyncWaitPromise>::from_promise(*this)};
  }
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<SyncWaitPromise> h) noexcept {
      if (h.promise().signal) h.promise().signal->set();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

inline SyncWaitRoot::~SyncWaitRoot() {
  if (h) h.destroy();
}

template <typename T, typename Slot>
SyncWaitRoot sync_wait_root(Task<T> task, Slot* out) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task);
  } else {
    T value = co_await std::move(task);
    out->template emplace<1>(std::move(value));
  }
}

}  // namespace detail

template <typename T>
T sync_wait(Task<T> task) {
  std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>> out;
  detail::SyncSignal signal;
  detail::SyncWaitRoot root = detail::sync_wait_root(std::move(task), &out);
  root.h.promise().signal = &signal;
  root.h.resume();
  signal.wait();
  if (root.h.promise().error) std::rethrow_exception(root.h.promise().error);
  if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(out));
}

template <typename T>
T sync_wait(ManualExecutor& ex, Task<T> task) {
  std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>> out;
  detail::SyncWaitRoot root = detail::sync_wait_root(std::move(task), &out);
  root.h.resume();
  while (!root.h.done()) {
    if (ex.run_one()) continue;
    auto next = ex.next_timer();
    if (!next) throw std::logic_error("sync_wait: the task waits for work that will never come");
    ex.advance_to(*next);
  }
  if (root.h.promise().error) std::rethrow_exception(root.h.promise().error);
  if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(out));
}

}  // namespace coraft::coro
