// EventLoop: a real-time, single-threaded executor using only the standard
// library.
//
//   EventLoop loop;
//   std::thread t([&] { loop.run(); });   // or run() on the main thread
//   loop.post(handle);                     // from any thread
//   loop.stop();                           // from any thread
//   t.join();
//
// post(), schedule_at(), cancel(), dispatch() and stop() are thread-safe.
// Work runs on the thread that calls run(), ready work in FIFO order and
// timers in (due time, schedule order). stop() makes run() return after the
// item in progress; work still queued stays queued (run() may be called
// again). The loop never owns coroutine frames: whoever spawned them (a
// TaskScope) joins or destroys them.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_set>
#include <vector>

#include "coraft/coro/executor.h"

namespace coraft::coro {

class EventLoop final : public Executor {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop() override = default;

  WorkId post(std::coroutine_handle<> h) override;
  WorkId schedule_at(TimePoint when, std::coroutine_handle<> h) override;
  bool cancel(WorkId id) override;
  TimePoint now() const override;

  // Runs `fn` on the loop thread (FIFO with post()). For callback code, such
  // as a transport's receive path, that must touch loop-owned state.
  WorkId dispatch(std::function<void()> fn);

  // Runs work until stop() is called.
  void run();
  // Makes run() return as soon as the current item finishes.
  void stop();
  // True while a thread is inside run().
  bool running() const;
  // True when called from the thread inside run().
  bool in_loop_thread() const;

 private:
  struct Item {
    WorkId id;
    std::coroutine_handle<> h;
    std::function<void()> fn;
  };
  struct Timer {
    TimePoint when;
    WorkId id;
    std::coroutine_handle<> h;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : id > o.id; }
  };

  mutable std::mutex mu_;
  std::condition_variable cv_;
  WorkId next_id_ = 1;
  std::deque<Item> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::unordered_set<WorkId> pending_;
  bool stop_ = false;
  bool running_ = false;
  std::thread::id loop_thread_;
};

}  // namespace coraft::coro
