// A conformance suite for LogAPI implementations: run it against your own
// store (a SQL table, a file format) to check that it keeps the contract of
// coraft/log_api.h before a RaftNode ever depends on it.
//
//   std::vector<std::string> failures =
//       coro::sync_wait(manual_executor, coraft::testing::check_log_api(my_log, reopen));
//   // or coro::sync_wait(task) while your EventLoop runs on another thread
//   // empty: every check passed; otherwise one line per failed check
//
// The log must start empty. `reopen`, when given, must return a LogAPI over
// the same durable storage as a restarted process would see it; the suite
// then also checks that everything survives a reopen.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "coraft/coro/task.h"
#include "coraft/log_api.h"

namespace coraft::testing {

// `log` must outlive the returned task.
coro::Task<std::vector<std::string>> check_log_api(LogAPI& log, std::function<LogAPI&()> reopen = {});

}  // namespace coraft::testing
