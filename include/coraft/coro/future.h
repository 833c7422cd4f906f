// Promise<T> / Future<T>: completes an awaited operation from callback code.
//
//   auto [promise, future] = make_promise<Bytes>(executor);
//   client.async_get(key, [p = std::move(promise)](Bytes v) mutable { p.set_value(std::move(v)); });
//   Result<Bytes> r = co_await std::move(future);
//
// The awaiting coroutine is resumed through the future's executor, never
// inline inside set_value(). A Promise destroyed without a value completes
// its future with Status::broken_promise(): a forgotten callback is an error,
// never a hang. Promise<void> completes a Future<void> that yields a Status.
//
// Setting a value from another thread is safe when the executor's post() is
// thread-safe (EventLoop's is; ManualExecutor's is not).
#pragma once

#include <cassert>
#include <coroutine>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "coraft/coro/executor.h"
#include "coraft/status.h"

namespace coraft::coro {

namespace detail {

template <typename T>
using FutureOutcome = std::conditional_t<std::is_void_v<T>, Status, Result<T>>;

template <typename T>
struct FutureState {
  explicit FutureState(Executor& e) : ex(&e) {}
  std::mutex mu;
  Executor* ex;
  std::optional<FutureOutcome<T>> outcome;
  std::coroutine_handle<> waiter;
  WorkId resume_id = 0;

  // Returns false when an outcome was already set (the new one is ignored).
  bool complete(FutureOutcome<T> v) {
    std::lock_guard lock(mu);
    if (outcome) return false;
    outcome.emplace(std::move(v));
    if (waiter) resume_id = ex->post(std::exchange(waiter, {}));
    return true;
  }
};

}  // namespace detail

template <typename T>
class Future;

template <typename T>
class Promise {
 public:
  Promise() = default;
  explicit Promise(std::shared_ptr<detail::FutureState<T>> s) : state_(std::move(s)) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&& o) noexcept {
    if (this != &o) {
      abandon();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  ~Promise() { abandon(); }

  template <typename U = T>
  requires(!std::is_void_v<U>) bool set_value(U v) { return take()->complete(Result<T>(std::move(v))); }
  bool set_value() requires std::is_void_v<T> { return take()->complete(Status::ok()); }
  // Completes the future with an error. `s` must not be ok.
  bool set_error(Status s) {
    if (s.is_ok()) s = Status::internal("Promise::set_error with an ok status");
    return take()->complete(detail::FutureOutcome<T>(std::move(s)));
  }
  bool valid() const noexcept { return state_ != nullptr; }

 private:
  std::shared_ptr<detail::FutureState<T>> take() {
    assert(state_ && "Promise already completed or moved from");
    return std::move(state_);
  }
  void abandon() {
    if (state_) std::exchange(state_, nullptr)->complete(detail::FutureOutcome<T>(Status::broken_promise()));
  }
  std::shared_ptr<detail::FutureState<T>> state_;
};

template <typename T>
class [[nodiscard]] Future {
 public:
  explicit Future(std::shared_ptr<detail::FutureState<T>> s) : state_(std::move(s)) {}
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;

  bool ready() const {
    std::lock_guard lock(state_->mu);
    return state_->outcome.has_value();
  }

  class Awaiter {
   public:
    explicit Awaiter(detail::FutureState<T>* s) : s_(s) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
      // Destroyed while suspended: withdraw the waiter and any queued resume.
      std::lock_guard lock(s_->mu);
      s_->waiter = {};
      if (s_->resume_id != 0) s_->ex->cancel(std::exchange(s_->resume_id, 0));
    }
    bool await_ready() const {
      std::lock_guard lock(s_->mu);
      return s_->outcome.has_value();
    }
    bool await_suspend(std::coroutine_handle<> h) {
      std::lock_guard lock(s_->mu);
      if (s_->outcome) return false;
      s_->waiter = h;
      return true;
    }
    detail::FutureOutcome<T> await_resume() {
      std::lock_guard lock(s_->mu);
      s_->resume_id = 0;
      return std::move(*s_->outcome);
    }

   private:
    detail::FutureState<T>* s_;
  };

  Awaiter operator co_await() && { return Awaiter{state_.get()}; }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;
};

template <typename T>
std::pair<Promise<T>, Future<T>> make_promise(Executor& ex) {
  auto s = std::make_shared<detail::FutureState<T>>(ex);
  return {Promise<T>{s}, Future<T>{s}};
}

}  // namespace coraft::coro
