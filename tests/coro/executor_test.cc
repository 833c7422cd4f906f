#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>
#include <vector>

#include "coraft/coro/event_loop.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coro/frame_check.h"

using namespace std::chrono_literals;
using coraft::coro::EventLoop;
using coraft::coro::Executor;
using coraft::coro::ManualExecutor;
using coraft::coro::Task;
using coraft::coro::TaskScope;
using coraft::coro::TimePoint;

namespace {

class ExecutorTest : public CoroTest {};

Task<void> record_after_sleep(Executor* ex, std::chrono::milliseconds d, int tag, std::vector<int>* order,
                              std::vector<TimePoint>* times) {
  co_await coraft::coro::sleep_for(*ex, d);
  order->push_back(tag);
  times->push_back(ex->now());
}

TEST_F(ExecutorTest, ManualExecutorRunsPostsInFifoOrder) {
  ManualExecutor ex;
  TaskScope scope(ex);
  std::vector<int> order;
  std::vector<TimePoint> times;
  for (int i = 0; i < 5; ++i) scope.spawn(record_after_sleep(&ex, 0ms, i, &order, &times));
  EXPECT_TRUE(order.empty()) << "spawn must not run the task inline";
  ex.run_all();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  coraft::coro::sync_wait(ex, scope.join());
}

TEST_F(ExecutorTest, SleepsWakeInVirtualTimeOrder) {
  ManualExecutor ex;
  TaskScope scope(ex);
  std::vector<int> order;
  std::vector<TimePoint> times;
  scope.spawn(record_after_sleep(&ex, 30ms, 30, &order, &times));
  scope.spawn(record_after_sleep(&ex, 10ms, 10, &order, &times));
  scope.spawn(record_after_sleep(&ex, 20ms, 20, &order, &times));
  scope.spawn(record_after_sleep(&ex, 10ms, 11, &order, &times));  // same time: schedule order
  ex.run_until_idle();
  EXPECT_EQ(ex.timer_count(), 4u);
  ex.advance_by(15ms);
  EXPECT_EQ(order, (std::vector<int>{10, 11}));
  EXPECT_EQ(ex.now(), TimePoint{} + 15ms);
  ex.advance_by(100ms);
  EXPECT_EQ(order, (std::vector<int>{10, 11, 20, 30}));
  EXPECT_EQ(times, (std::vector<TimePoint>{TimePoint{} + 10ms, TimePoint{} + 10ms, TimePoint{} + 20ms,
                                           TimePoint{} + 30ms}));
  coraft::coro::sync_wait(ex, scope.join());
}

Task<void> sleep_and_report(Executor* ex, std::chrono::milliseconds d, std::stop_token token, int* result) {
  const bool elapsed = co_await coraft::coro::sleep_for(*ex, d, token);
  *result = elapsed ? 1 : 0;
}

TEST_F(ExecutorTest, CancellingASleepFreesItsTimerAndResumesThroughTheExecutor) {
  ManualExecutor ex;
  TaskScope scope(ex);
  std::stop_source stop;
  int result = -1;
  scope.spawn(sleep_and_report(&ex, 1h, stop.get_token(), &result));
  ex.run_until_idle();
  ASSERT_EQ(ex.timer_count(), 1u);
  stop.request_stop();
  EXPECT_EQ(ex.timer_count(), 0u) << "the timer must be withdrawn at once";
  EXPECT_EQ(result, -1) << "resumption must go through the executor, not inline";
  ex.run_until_idle();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(ex.now(), TimePoint{}) << "no virtual time passed";
  coraft::coro::sync_wait(ex, scope.join());
}

TEST_F(ExecutorTest, SleepWithStopAlreadyRequestedReturnsAtOnce) {
  ManualExecutor ex;
  std::stop_source stop;
  stop.request_stop();
  int result = -1;
  coraft::coro::sync_wait(ex, sleep_and_report(&ex, 1h, stop.get_token(), &result));
  EXPECT_EQ(result, 0);
  EXPECT_EQ(ex.timer_count(), 0u);
}

TEST_F(ExecutorTest, CancelWithdrawsPostsAndTimers) {
  ManualExecutor ex;
  auto noop = std::noop_coroutine();
  auto p = ex.post(noop);
  auto t = ex.schedule_at(TimePoint{} + 5ms, noop);
  EXPECT_EQ(ex.ready_count(), 1u);
  EXPECT_TRUE(ex.cancel(p));
  EXPECT_FALSE(ex.cancel(p)) << "cancelling twice reports false";
  EXPECT_TRUE(ex.cancel(t));
  EXPECT_EQ(ex.ready_count(), 0u);
  EXPECT_EQ(ex.timer_count(), 0u);
  EXPECT_EQ(ex.run_all(), 0u);
  auto q = ex.post(noop);
  EXPECT_EQ(ex.run_until_idle(), 1u);
  EXPECT_FALSE(ex.cancel(q)) << "work that ran cannot be cancelled";
}

TEST_F(ExecutorTest, SyncWaitReportsATaskThatCanNeverFinish) {
  ManualExecutor ex;
  // A task parked on something that nobody will ever complete.
  struct Parked {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
  };
  auto parked = []() -> Task<void> { co_await Parked{}; };
  EXPECT_THROW(coraft::coro::sync_wait(ex, parked()), std::logic_error);
}

// ---- EventLoop (real time, threads; run under TSan in CI) ----

TEST_F(ExecutorTest, EventLoopRunsTimersInDueOrder) {
  EventLoop loop;
  TaskScope scope(loop);
  std::vector<int> order;
  std::vector<TimePoint> times;
  const TimePoint start = loop.now();
  scope.spawn(record_after_sleep(&loop, 30ms, 30, &order, &times));
  scope.spawn(record_after_sleep(&loop, 10ms, 10, &order, &times));
  scope.spawn(record_after_sleep(&loop, 20ms, 20, &order, &times));
  auto joiner = [](TaskScope* s, EventLoop* l) -> Task<void> {
    co_await s->join();
    l->stop();
  };
  Task<void> j = joiner(&scope, &loop);
  loop.post(j.handle());
  loop.run();
  EXPECT_TRUE(j.done());
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  ASSERT_EQ(times.size(), 3u);
  EXPECT_GE(times[0] - start, 10ms);
  EXPECT_GE(times[2] - start, 30ms);
}

TEST_F(ExecutorTest, EventLoopAcceptsPostsFromOtherThreads) {
  EventLoop loop;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  int counter = 0;  // touched only on the loop thread
  std::atomic<int> posted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.dispatch([&] {
          if (++counter == kThreads * kPerThread) loop.stop();
        });
        posted.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  loop.run();
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, kThreads * kPerThread);
  EXPECT_EQ(posted.load(), kThreads * kPerThread);
}

Task<void> set_true(bool* flag) {
  *flag = true;
  co_return;
}

TEST_F(ExecutorTest, EventLoopStopFromAnotherThreadAndCancelledTimerNeverRuns) {
  EventLoop loop;
  bool fired = false;
  Task<void> t = set_true(&fired);
  auto id = loop.schedule_at(loop.now() + 20ms, t.handle());
  EXPECT_TRUE(loop.cancel(id));
  EXPECT_FALSE(loop.cancel(id));
  std::thread stopper([&] {
    std::this_thread::sleep_for(60ms);
    loop.stop();
  });
  loop.run();
  stopper.join();
  EXPECT_FALSE(fired) << "a cancelled timer ran";
  EXPECT_FALSE(loop.running());
}

Task<int> sleep_on_loop(EventLoop* loop) {
  co_await coraft::coro::sleep_for(*loop, 5ms);
  co_return 9;
}

TEST_F(ExecutorTest, SyncWaitBlocksUntilAnotherThreadsLoopFinishesTheTask) {
  EventLoop loop;
  std::thread runner([&] { loop.run(); });
  // Start the task on the loop thread; block here until it completes.
  auto start_on_loop = [](EventLoop* l) -> Task<int> {
    co_await coraft::coro::resume_on(*l);
    int v = co_await sleep_on_loop(l);
    co_return v;
  };
  EXPECT_EQ(coraft::coro::sync_wait(start_on_loop(&loop)), 9);
  loop.stop();
  runner.join();
}

}  // namespace
