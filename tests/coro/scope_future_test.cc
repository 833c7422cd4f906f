#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "coraft/coro/event_loop.h"
#include "coraft/coro/future.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coraft/coro/when_all.h"
#include "coro/frame_check.h"

using namespace std::chrono_literals;
using coraft::Result;
using coraft::Status;
using coraft::coro::EventLoop;
using coraft::coro::Executor;
using coraft::coro::Future;
using coraft::coro::ManualExecutor;
using coraft::coro::Promise;
using coraft::coro::Task;
using coraft::coro::TaskScope;
using coraft::coro::TimePoint;

namespace {

class ScopeTest : public CoroTest {};
class FutureTest : public CoroTest {};
class WhenAllTest : public CoroTest {};

Task<void> sleep_then_count(Executor* ex, std::chrono::milliseconds d, std::stop_token token, int* done) {
  co_await coraft::coro::sleep_for(*ex, d, token);
  ++*done;
}

TEST_F(ScopeTest, JoinWaitsForEverySpawnedTask) {
  ManualExecutor ex;
  TaskScope scope(ex);
  int done = 0;
  for (int i = 1; i <= 3; ++i) scope.spawn(sleep_then_count(&ex, i * 10ms, {}, &done));
  EXPECT_EQ(scope.live(), 3u);
  coraft::coro::sync_wait(ex, scope.join());
  EXPECT_EQ(done, 3);
  EXPECT_EQ(scope.live(), 0u);
  EXPECT_EQ(ex.now(), TimePoint{} + 30ms);
}

TEST_F(ScopeTest, RequestStopWakesSleepersAndJoinCompletesWithoutWaitingOutTheirTimers) {
  ManualExecutor ex;
  TaskScope scope(ex);
  int done = 0;
  for (int i = 0; i < 4; ++i) scope.spawn(sleep_then_count(&ex, 1h, scope.stop_token(), &done));
  ex.run_until_idle();
  EXPECT_EQ(ex.timer_count(), 4u);
  scope.request_stop();
  coraft::coro::sync_wait(ex, scope.join());
  EXPECT_EQ(done, 4);
  EXPECT_EQ(ex.now(), TimePoint{});
  EXPECT_EQ(ex.timer_count(), 0u);
}

Task<void> throw_after_yield(Executor* ex) {
  co_await coraft::coro::yield(*ex);
  throw std::runtime_error("spawned failure");
}

TEST_F(ScopeTest, JoinRethrowsTheFirstEscapedException) {
  ManualExecutor ex;
  TaskScope scope(ex);
  scope.spawn(throw_after_yield(&ex));
  EXPECT_THROW(coraft::coro::sync_wait(ex, scope.join()), std::runtime_error);
  EXPECT_EQ(scope.live(), 0u);
}

Task<void> set_after_sleep(Executor* ex, bool* flag) {
  co_await coraft::coro::sleep_for(*ex, 10ms);
  *flag = true;
}

TEST_F(ScopeTest, DestroyAllLeavesNothingThatALaterAdvanceResumes) {
  ManualExecutor ex;
  bool flag = false;
  bool started_flag = false;
  {
    TaskScope scope(ex);
    scope.spawn(set_after_sleep(&ex, &flag));
    scope.spawn(set_after_sleep(&ex, &flag));
    ex.run_until_idle();                               // both now sleep on timers
    scope.spawn(set_after_sleep(&ex, &started_flag));  // still queued, not started
    EXPECT_EQ(ex.timer_count(), 2u);
    EXPECT_EQ(ex.ready_count(), 1u);
    scope.destroy_all();
    EXPECT_EQ(scope.live(), 0u);
    EXPECT_EQ(ex.timer_count(), 0u) << "destroyed sleepers must withdraw their timers";
    EXPECT_EQ(ex.ready_count(), 0u) << "a destroyed task's queued start must be withdrawn";
  }
  EXPECT_EQ(ex.advance_by(1h), 0u);
  EXPECT_FALSE(flag);
  EXPECT_FALSE(started_flag);
}

TEST(ScopeDeathTest, DestroyingAnUnjoinedScopeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ManualExecutor ex;
        bool flag = false;
        TaskScope scope(ex);
        scope.spawn(set_after_sleep(&ex, &flag));
      },
      "TaskScope destroyed with 1 live task");
}

// ---- Promise / Future ----

Task<void> await_future(Future<int> f, Result<int>* out) { *out = co_await std::move(f); }

TEST_F(FutureTest, ValueSetBeforeAwaitIsReturnedAtOnce) {
  ManualExecutor ex;
  auto [p, f] = coraft::coro::make_promise<int>(ex);
  p.set_value(5);
  Result<int> out = Status::internal("unset");
  coraft::coro::sync_wait(ex, await_future(std::move(f), &out));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, 5);
}

TEST_F(FutureTest, SetValueResumesTheWaiterThroughTheExecutor) {
  ManualExecutor ex;
  TaskScope scope(ex);
  auto [p, f] = coraft::coro::make_promise<int>(ex);
  Result<int> out = Status::internal("unset");
  scope.spawn(await_future(std::move(f), &out));
  ex.run_until_idle();
  EXPECT_FALSE(out.ok());
  p.set_value(11);
  EXPECT_FALSE(out.ok()) << "set_value must not resume the waiter inline";
  ex.run_until_idle();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, 11);
  EXPECT_FALSE(p.valid());
  coraft::coro::sync_wait(ex, scope.join());
}

TEST_F(FutureTest, DroppedPromiseCompletesTheFutureWithAnError) {
  ManualExecutor ex;
  TaskScope scope(ex);
  Result<int> out = 0;
  {
    auto [p, f] = coraft::coro::make_promise<int>(ex);
    scope.spawn(await_future(std::move(f), &out));
    ex.run_until_idle();
  }  // p dropped unset
  coraft::coro::sync_wait(ex, scope.join());
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().is_broken_promise()) << out.status().to_string();
}

TEST_F(FutureTest, VoidPromiseYieldsAStatus) {
  ManualExecutor ex;
  auto [p, f] = coraft::coro::make_promise<void>(ex);
  auto [p2, f2] = coraft::coro::make_promise<void>(ex);
  p.set_value();
  p2.set_error(Status::timeout("too slow"));
  auto get = [](Future<void> fut) -> Task<Status> { co_return co_await std::move(fut); };
  EXPECT_TRUE(coraft::coro::sync_wait(ex, get(std::move(f))).is_ok());
  EXPECT_TRUE(coraft::coro::sync_wait(ex, get(std::move(f2))).is_timeout());
}

TEST_F(FutureTest, DestroyedWaiterIsNotResumedByALateValue) {
  ManualExecutor ex;
  auto [p, f] = coraft::coro::make_promise<int>(ex);
  Result<int> out = Status::internal("unset");
  {
    TaskScope scope(ex);
    scope.spawn(await_future(std::move(f), &out));
    ex.run_until_idle();
    p.set_value(3);  // queues the resumption
    EXPECT_EQ(ex.ready_count(), 1u);
    scope.destroy_all();  // the waiter's frame goes away first
  }
  EXPECT_EQ(ex.ready_count(), 0u);
  EXPECT_EQ(ex.run_until_idle(), 0u);
  EXPECT_FALSE(out.ok());
}

TEST_F(FutureTest, ValueSetFromAnotherThreadReachesTheLoop) {
  EventLoop loop;
  auto [p, f] = coraft::coro::make_promise<std::string>(loop);
  auto waiter = [](Future<std::string> fut, EventLoop* l, std::string* out) -> Task<void> {
    Result<std::string> r = co_await std::move(fut);
    *out = r.ok() ? *r : r.status().to_string();
    l->stop();
  };
  std::string out;
  Task<void> t = waiter(std::move(f), &loop, &out);
  loop.post(t.handle());
  std::thread producer([p = std::move(p)]() mutable {
    std::this_thread::sleep_for(5ms);
    p.set_value("from another thread");
  });
  loop.run();
  producer.join();
  EXPECT_TRUE(t.done());
  EXPECT_EQ(out, "from another thread");
}

// ---- when_all ----

Task<int> sleep_and_return(Executor* ex, std::chrono::milliseconds d, int v) {
  co_await coraft::coro::sleep_for(*ex, d);
  co_return v;
}

Task<void> sleep_void(Executor* ex, std::chrono::milliseconds d) { co_await coraft::coro::sleep_for(*ex, d); }

TEST_F(WhenAllTest, RunsTasksConcurrentlyAndReturnsATuple) {
  ManualExecutor ex;
  auto [a, b, c] = coraft::coro::sync_wait(
      ex, coraft::coro::when_all(sleep_and_return(&ex, 30ms, 1), sleep_and_return(&ex, 10ms, 2),
                                 sleep_void(&ex, 20ms)));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  (void)c;
  EXPECT_EQ(ex.now(), TimePoint{} + 30ms) << "tasks must overlap, not run one after another";
}

TEST_F(WhenAllTest, VectorFormKeepsOrder) {
  ManualExecutor ex;
  std::vector<Task<int>> tasks;
  for (int i = 0; i < 5; ++i)
    tasks.push_back(sleep_and_return(&ex, std::chrono::milliseconds(50 - i * 10), i));
  std::vector<int> out = coraft::coro::sync_wait(ex, coraft::coro::when_all(std::move(tasks)));
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ex.now(), TimePoint{} + 50ms);
}

Task<int> fail_after(Executor* ex, std::chrono::milliseconds d) {
  co_await coraft::coro::sleep_for(*ex, d);
  throw std::invalid_argument("child failed");
}

TEST_F(WhenAllTest, RethrowsAfterEveryTaskFinished) {
  ManualExecutor ex;
  EXPECT_THROW(coraft::coro::sync_wait(
                   ex, coraft::coro::when_all(fail_after(&ex, 5ms), sleep_and_return(&ex, 40ms, 1))),
               std::invalid_argument);
  EXPECT_EQ(ex.now(), TimePoint{} + 40ms);
}

Task<int> immediate(int v) { co_return v; }

TEST_F(WhenAllTest, SynchronouslyCompletingTasksAndEmptyInput) {
  ManualExecutor ex;
  auto [x, y] = coraft::coro::sync_wait(ex, coraft::coro::when_all(immediate(1), immediate(2)));
  EXPECT_EQ(x + y, 3);
  std::vector<int> none = coraft::coro::sync_wait(ex, coraft::coro::when_all(std::vector<Task<int>>{}));
  EXPECT_TRUE(none.empty());
}

}  // namespace
