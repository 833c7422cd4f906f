// A minimal program that uses coraft through its installed or embedded
// package: runs a coroutine on the ManualExecutor, writes to a MemoryLog
// (coraft::assist), and checks the results.
#include <chrono>
#include <cstdio>

#include "coraft/assist/memory_log.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task.h"
#include "coraft/status.h"

namespace {

coraft::coro::Task<int> answer(coraft::coro::Executor* ex) {
  co_await coraft::coro::sleep_for(*ex, std::chrono::milliseconds(5));
  coraft::assist::MemoryLog log;
  co_await log.save_hard_state(coraft::HardState{40, 2});
  coraft::LogState state = co_await log.load();
  co_return static_cast<int>(state.hard_state.term + state.hard_state.vote);
}

}  // namespace

int main() {
  coraft::coro::ManualExecutor ex;
  const int v = coraft::coro::sync_wait(ex, answer(&ex));
  const coraft::Status s = coraft::Status::not_leader(3);
  if (v != 42 || !s.is_not_leader() || s.leader_hint() != 3) {
    std::puts("coraft consumer: FAILED");
    return 1;
  }
  std::puts("coraft consumer: ok");
  return 0;
}
