// TaskScope: owns every coroutine it starts; nothing is ever detached.
//
//   TaskScope scope(executor);
//   scope.spawn(run_timer(scope.stop_token()));
//   ...
//   scope.request_stop();
//   co_await scope.join();      // every spawned coroutine has finished
//
// spawn() starts the task through the executor (never inline). An exception
// escaping a spawned task is kept and rethrown by join() (the first one).
// The destructor aborts with a message (in every build type) if a spawned
// task is still alive: join() it, or,
// when the executor will never run again, call destroy_all(), which destroys
// every suspended task frame so that nothing is ever resumed afterwards.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <stop_token>

#include "coraft/coro/executor.h"
#include "coraft/coro/task.h"

namespace coraft::coro {

class TaskScope {
 public:
  explicit TaskScope(Executor& ex) noexcept : ex_(ex) {}
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
  ~TaskScope();

  // Starts `task` on the executor; the scope owns it until it finishes.
  void spawn(Task<void> task);

  std::stop_token stop_token() const noexcept { return stop_.get_token(); }
  void request_stop() noexcept { stop_.request_stop(); }
  bool stop_requested() const noexcept { return stop_.stop_requested(); }

  // Completes once every task spawned so far (and any they spawn) finished.
  // Rethrows the first exception a spawned task let escape. At most one
  // join() may be awaited at a time.
  Task<void> join();

  // Destroys every live task frame without resuming it (their awaiters
  // withdraw timers and queued work). For teardown when the executor will not
  // run them to completion. A pending join() is not resumed.
  void destroy_all() noexcept;

  std::size_t live() const noexcept { return live_; }

 private:
  struct Entry;
  struct EntryPromise;
  struct JoinAwaiter;
  static Entry run(Task<void> task);
  void on_finished(EntryPromise* p) noexcept;

  Executor& ex_;
  std::stop_source stop_;
  EntryPromise* head_ = nullptr;
  std::size_t live_ = 0;
  std::coroutine_handle<> joiner_;
  std::exception_ptr first_error_;
};

}  // namespace coraft::coro
