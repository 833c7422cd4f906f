// when_all: runs several tasks concurrently and completes when all have.
//
//   auto [a, b] = co_await when_all(fetch(1), fetch(2));      // tuple
//   std::vector<int> v = co_await when_all(std::move(tasks)); // vector
//
// Tasks start in argument order on the awaiting coroutine's thread; each runs
// until its first suspension before the next starts. void tasks yield
// std::monostate. If any task throws, the first exception (in argument order)
// is rethrown once all have finished.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "coraft/coro/task.h"

namespace coraft::coro {

namespace detail {

template <typename T>
using NonVoid = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <typename T>
struct WhenAllSlot {
  std::variant<std::monostate, NonVoid<T>, std::exception_ptr> v;
  void rethrow_if_failed() const {
    if (v.index() == 2) std::rethrow_exception(std::get<2>(v));
  }
  NonVoid<T> take() { return std::move(std::get<1>(v)); }
};

class WhenAllLatch {
 public:
  explicit WhenAllLatch(std::size_t n) noexcept : count_(n + 1) {}
  // Returns true for the last arrival.
  bool arrive() noexcept { return count_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  std::coroutine_handle<> parent;

 private:
  std::atomic<std::size_t> count_;
};

struct WhenAllChildPromise;

struct WhenAllChild {
  using promise_type = WhenAllChildPromise;
  std::coroutine_handle<WhenAllChildPromise> h;
  explicit WhenAllChild(std::coroutine_handle<WhenAllChildPromise> handle) noexcept : h(handle) {}
  WhenAllChild(WhenAllChild&& o) noexcept : h(std::exchange(o.h, {})) {}
  WhenAllChild& operator=(WhenAllChild&&) = delete;
  ~WhenAllChild();
};

struct WhenAllChildPromise {
  FrameCounter counter;
  WhenAllLatch* latch = nullptr;
  WhenAllChild get_return_object() noexcept {
    return WhenAllChild{std::coroutine_handle<WhenAllChildPromise>::from_promise(*this)};
  }
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<WhenAllChildPromise> h) noexcept {
      WhenAllLatch* l = h.promise().latch;
      if (l->arrive()) return l->parent;
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { std::terminate(); }  // bodies catch everything
};

inline WhenAllChild::~WhenAllChild() {
  if (h) h.destroy();
}

template <typename T>
WhenAllChild when_all_child(Task<T> task, WhenAllSlot<T>* slot) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      slot->v.template emplace<1>();
    } else {
      T value = co_await std::move(task);
      slot->v.template emplace<1>(std::move(value));
    }
  } catch (...) {
    slot->v.template emplace<2>(std::current_exception());
  }
}

class WhenAllStart {
 public:
  WhenAllStart(std::vector<WhenAllChild>* children, WhenAllLatch* latch) noexcept
      : children_(children), latch_(latch) {}
  bool await_ready() const noexcept { return children_->empty(); }
  bool await_suspend(std::coroutine_handle<> parent) noexcept {
    latch_->parent = parent;
    for (WhenAllChild& c : *children_) {
      c.h.promise().latch = latch_;
      c.h.resume();
    }
    return !latch_->arrive();
  }
  void await_resume() const noexcept {}

 private:
  std::vector<WhenAllChild>* children_;
  WhenAllLatch* latch_;
};

}  // namespace detail

template <typename... Ts>
Task<std::tuple<detail::NonVoid<Ts>...>> when_all(Task<Ts>... tasks) {
  std::tuple<detail::WhenAllSlot<Ts>...> slots;
  std::vector<detail::WhenAllChild> children;
  children.reserve(sizeof...(Ts));
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (children.push_back(detail::when_all_child(std::move(tasks), &std::get<I>(slots))), ...);
  }
  (std::index_sequence_for<Ts...>{});
  detail::WhenAllLatch latch(children.size());
  co_await detail::WhenAllStart{&children, &latch};
  std::apply([](auto&... s) { (s.rethrow_if_failed(), ...); }, slots);
  co_return std::apply([](auto&... s) { return std::tuple<detail::NonVoid<Ts>...>(s.take()...); }, slots);
}

template <typename T>
Task<std::vector<detail::NonVoid<T>>> when_all(std::vector<Task<T>> tasks) {
  std::vector<detail::WhenAllSlot<T>> slots(tasks.size());
  std::vector<detail::WhenAllChild> children;
  children.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    children.push_back(detail::when_all_child(std::move(tasks[i]), &slots[i]));
  }
  detail::WhenAllLatch latch(children.size());
  co_await detail::WhenAllStart{&children, &latch};
  std::vector<detail::NonVoid<T>> out;
  out.reserve(slots.size());
  for (auto& s : slots) s.rethrow_if_failed();
  for (auto& s : slots) out.push_back(s.take());
  co_return out;
}

}  // namespace coraft::coro
