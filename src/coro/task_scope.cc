#include "coraft/coro/task_scope.h"

#include <cstdio>
#include <cstdlib>

namespace coraft::coro {

struct TaskScope::EntryPromise {
  detail::FrameCounter counter;
  TaskScope* scope = nullptr;
  EntryPromise* prev = nullptr;
  EntryPromise* next = nullptr;
  WorkId start_id = 0;  // the pending post that starts the entry, if any

  Entry get_return_object() noexcept;
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<EntryPromise> h) noexcept {
      TaskScope* scope = h.promise().scope;
      h.destroy();  // unlinks itself (see ~EntryPromise)
      if (scope->live_ == 0 && scope->joiner_) return std::exchange(scope->joiner_, {});
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept {
    if (!scope->first_error_) scope->first_error_ = std::current_exception();
  }

  ~EntryPromise() {
    if (start_id != 0) scope->ex_.cancel(start_id);
    scope->on_finished(this);
  }
};

struct TaskScope::Entry {
  using promise_type = EntryPromise;
  std::coroutine_handle<EntryPromise> h;
};

TaskScope::Entry TaskScope::EntryPromise::get_return_object() noexcept {
  return Entry{std::coroutine_handle<EntryPromise>::from_promise(*this)};
}

TaskScope::Entry TaskScope::run(Task<void> task) {
  // The entry's first resumption (through the executor) clears start_id by
  // running; awaiting the task then starts it.
  co_await std::move(task);
}

TaskScope::~TaskScope() {
  if (live_ != 0) {
    std::fprintf(stderr,
                 "coraft: TaskScope destroyed with %zu live task(s); co_await join() or call "
                 "destroy_all() first\n",
                 live_);
    std::abort();
  }
}

void TaskScope::spawn(Task<void> task) {
  Entry e = run(std::move(task));
  EntryPromise& p = e.h.promise();
  p.scope = this;
  p.next = head_;
  if (head_) head_->prev = &p;
  head_ = &p;
  ++live_;
  // The start is posted as a one-shot: once it runs, start_id is stale but
  // cancel() of a finished id is a harmless no-op returning false.
  p.start_id = ex_.post(e.h);
}

void TaskScope::on_finished(EntryPromise* p) noexcept {
  if (p->prev) p->prev->next = p->next;
  if (p->next) p->next->prev = p->prev;
  if (head_ == p) head_ = p->next;
  --live_;
}

struct TaskScope::JoinAwaiter {
  TaskScope* scope;
  bool await_ready() const noexcept { return scope->live_ == 0; }
  void await_suspend(std::coroutine_handle<> h) noexcept { scope->joiner_ = h; }
  void await_resume() const noexcept {}
  ~JoinAwaiter() {
    // Destroyed while suspended (the joiner's frame is being torn down).
    if (scope->live_ != 0) scope->joiner_ = {};
  }
};

Task<void> TaskScope::join() {
  co_await JoinAwaiter{this};
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
}

void TaskScope::destroy_all() noexcept {
  joiner_ = {};
  while (head_ != nullptr) {
    std::coroutine_handle<EntryPromise>::from_promise(*head_).destroy();
  }
}

}  // namespace coraft::coro
