// A minimal program that uses coraft through its installed or embedded
// package: runs a coroutine on the ManualExecutor and checks the result.
#include <chrono>
#include <cstdio>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task.h"
#include "coraft/status.h"

namespace {

coraft::coro::Task<int> answer(coraft::coro::Executor* ex) {
  co_await coraft::coro::sleep_for(*ex, std::chrono::milliseconds(5));
  co_return 42;
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
