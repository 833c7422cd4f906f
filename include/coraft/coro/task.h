// Task<T>: a lazy, move-only coroutine that produces one T (or throws).
//
//  - Lazy: nothing runs until the task is awaited (or spawned into a scope).
//  - One awaiter: a Task is awaited at most once, as an rvalue.
//  - Completion hands control straight back to the awaiter (symmetric
//    transfer). A task that completes synchronously inside the awaiter's
//    start does not nest a stack frame either: the awaiter simply continues,
//    so a loop of a million synchronously completing awaits runs in constant
//    stack on any compiler and optimisation level.
//  - An exception escaping the coroutine body is rethrown in the awaiter.
//
// Destroying a Task that was never started or has finished frees its frame.
// Destroying a Task whose coroutine is suspended destroys the frame too; the
// awaiters it is suspended on deregister themselves (rule 3 of docs/coroutines.md).
#pragma once

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace coraft::coro {

// The number of coroutine frames of the library's coroutine types that are
// alive right now, in the whole process. Tests assert it returns to zero.
std::int64_t live_frames() noexcept;

namespace detail {

extern std::atomic<std::int64_t> g_live_frames;

struct FrameCounter {
  FrameCounter() noexcept { g_live_frames.fetch_add(1, std::memory_order_relaxed); }
  ~FrameCounter() { g_live_frames.fetch_sub(1, std::memory_order_relaxed); }
  FrameCounter(const FrameCounter&) = delete;
  FrameCounter& operator=(const FrameCounter&) = delete;
};

// Hand-off between a starting awaiter and a completing coroutine. Whichever
// of the two arrives second continues the awaiter: the awaiter itself (by not
// suspending) when the coroutine finished synchronously, or the coroutine's
// final_suspend (by symmetric transfer) when it finished later.
class Handoff {
 public:
  // Called by final_suspend. Returns true when the awaiter has already
  // suspended and must be resumed by the completing coroutine.
  bool complete() noexcept { return arrived_.exchange(true, std::memory_order_acq_rel); }
  // Called by the awaiter after starting the coroutine. Returns true when the
  // coroutine has not finished yet, so the awaiter must stay suspended.
  bool suspend() noexcept { return !arrived_.exchange(true, std::memory_order_acq_rel); }

 private:
  std::atomic<bool> arrived_{false};
};

class TaskPromiseBase {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      TaskPromiseBase& p = self.promise();
      if (p.handoff_.complete()) return p.continuation_;
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void set_continuation(std::coroutine_handle<> c) noexcept { continuation_ = c; }
  Handoff& handoff() noexcept { return handoff_; }

 private:
  FrameCounter counter_;
  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  Handoff handoff_;
};

template <typename T>
class TaskPromise;

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  class Awaiter {
   public:
    explicit Awaiter(Handle h) noexcept : h_(h) {}
    bool await_ready() const noexcept { return !h_ || h_.done(); }
    bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
      h_.promise().set_continuation(awaiting);
      h_.resume();
      return h_.promise().handoff().suspend();
    }
    decltype(auto) await_resume() { return h_.promise().take_result(); }

   private:
    Handle h_;
  };

  Awaiter operator co_await() && noexcept {
    assert(h_ && "awaiting an empty Task");
    return Awaiter{h_};
  }

  // Low-level access for schedulers (TaskScope, sync_wait, when_all).
  Handle handle() const noexcept { return h_; }
  Handle release() noexcept { return std::exchange(h_, {}); }

 private:
  void reset() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_;
};

namespace detail {

template <typename T>
class TaskPromise : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<TaskPromise>::from_promise(*this)};
  }

  template <typename U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  T take_result() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    assert(result_.index() == 1 && "task result taken twice or task not finished");
    return std::move(std::get<1>(result_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class TaskPromise<void> : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<TaskPromise>::from_promise(*this)};
  }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }
  void take_result() {
    if (exception_) std::rethrow_exception(std::exchange(exception_, nullptr));
  }

 private:
  std::exception_ptr exception_;
};

}  // namespace detail
}  // namespace coraft::coro
