// Wakeup: lets one coroutine sleep until a deadline or until poked.
//
//   co_await wakeup.wait_until(deadline);   // in the worker
//   wakeup.notify();                         // from the node's logic
//
// A notify() with nobody waiting is remembered, so the next wait returns at
// once (no lost wakeups). Resumption always goes through the executor.
#pragma once

#include <coroutine>

#include "coraft/coro/executor.h"

namespace coraft::node {

class Wakeup {
 public:
  explicit Wakeup(coro::Executor& ex) : ex_(ex) {}
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void notify() {
    if (!waiter_) {
      pending_ = true;
      return;
    }
    if (timer_ != 0) {
      if (!ex_.cancel(timer_)) return;  // the timer already fired; it resumes the waiter
      timer_ = 0;
    }
    if (posted_ == 0) posted_ = ex_.post(waiter_);
  }

  class Awaiter {
   public:
    Awaiter(Wakeup& w, coro::TimePoint deadline, bool timed) : w_(w), deadline_(deadline), timed_(timed) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() {
      if (w_.waiter_) {
        if (w_.timer_ != 0) w_.ex_.cancel(w_.timer_);
        if (w_.posted_ != 0) w_.ex_.cancel(w_.posted_);
        w_.waiter_ = {};
        w_.timer_ = 0;
        w_.posted_ = 0;
      }
    }
    bool await_ready() {
      if (w_.pending_) {
        w_.pending_ = false;
        return true;
      }
      return timed_ && w_.ex_.now() >= deadline_;
    }
    void await_suspend(std::coroutine_handle<> h) {
      w_.waiter_ = h;
      if (timed_) w_.timer_ = w_.ex_.schedule_at(deadline_, h);
    }
    void await_resume() {
      w_.waiter_ = {};
      w_.timer_ = 0;
      w_.posted_ = 0;
      w_.pending_ = false;
    }

   private:
    Wakeup& w_;
    coro::TimePoint deadline_;
    bool timed_;
  };

  Awaiter wait_until(coro::TimePoint deadline) { return Awaiter{*this, deadline, true}; }
  Awaiter wait() { return Awaiter{*this, coro::TimePoint{}, false}; }

 private:
  coro::Executor& ex_;
  std::coroutine_handle<> waiter_;
  coro::WorkId timer_ = 0;
  coro::WorkId posted_ = 0;
  bool pending_ = false;
};

}  // namespace coraft::node
