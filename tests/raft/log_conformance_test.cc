// The LogAPI conformance suite passes on MemoryLog and fails on logs that
// break the contract.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/testing/forwarding.h"
#include "coraft/testing/log_conformance.h"

namespace coraft::test {
namespace {

using coraft::testing::check_log_api;

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// @feature failures
TEST(LogConformance, MemoryLogPassesIncludingAReopen) {
  coro::ManualExecutor ex;
  assist::MemoryLog log;
  // A reopen sees the same object: MemoryLog is "durable" within a process.
  const std::vector<std::string> failures =
      coro::sync_wait(ex, check_log_api(log, [&]() -> LogAPI& { return log; }));
  EXPECT_TRUE(failures.empty()) << joined(failures);
}

class IgnoresMaxBytes final : public coraft::testing::ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t) override {
    return inner().read(from, to, ~std::uint64_t{0});
  }
};

class TruncatesOneTooFew final : public coraft::testing::ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<void> truncate_suffix(Index from) override { return inner().truncate_suffix(from + 1); }
};

// @feature failures
TEST(LogConformance, CatchesLogsThatBreakTheContract) {
  {
    coro::ManualExecutor ex;
    assist::MemoryLog inner;
    IgnoresMaxBytes log(inner);
    const auto failures = coro::sync_wait(ex, check_log_api(log));
    ASSERT_FALSE(failures.empty());
    EXPECT_NE(joined(failures).find("max_bytes was ignored"), std::string::npos) << joined(failures);
  }
  {
    coro::ManualExecutor ex;
    assist::MemoryLog inner;
    TruncatesOneTooFew log(inner);
    const auto failures = coro::sync_wait(ex, check_log_api(log));
    ASSERT_FALSE(failures.empty());
    EXPECT_NE(joined(failures).find("truncate_suffix"), std::string::npos) << joined(failures);
  }
  {
    // Forgets everything on reopen: not durable.
    coro::ManualExecutor ex;
    assist::MemoryLog log;
    assist::MemoryLog empty;
    const auto failures = coro::sync_wait(ex, check_log_api(log, [&]() -> LogAPI& { return empty; }));
    ASSERT_FALSE(failures.empty());
    EXPECT_NE(joined(failures).find("after reopening"), std::string::npos) << joined(failures);
  }
}

}  // namespace
}  // namespace coraft::test
