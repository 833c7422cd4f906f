// Unit tests for node::ProposalTracker: completion by (index, term),
// leadership_lost for entries that can never commit, deadlines, and
// callbacks that propose again.
#include "node/proposals.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task_scope.h"

namespace coraft::node {
namespace {

using std::chrono::milliseconds;

coro::TimePoint at(int ms) { return coro::TimePoint{} + milliseconds(ms); }

std::string show(const Result<Bytes>& r) {
  return r.ok() ? "ok " + r.value() : Status::code_name(r.status().code());
}

class ProposalTrackerTest : public ::testing::Test {
 protected:
  // Each callback records "<name>: <outcome>".
  ProposeCallback record(std::string name) {
    return [this, name](Result<Bytes> r) { log.push_back(name + ": " + show(r)); };
  }
  coro::ManualExecutor ex;
  std::vector<std::string> log;
  ProposalTracker tracker{ex, [](ProposeCallback& done, Result<Bytes> r) { done(std::move(r)); }};
};

TEST_F(ProposalTrackerTest, OwnEntryGetsItsResult) {
  tracker.add(5, 2, record("a"), std::nullopt);
  tracker.add(6, 2, record("b"), std::nullopt);
  tracker.complete(5, 2, Bytes("r5"));
  EXPECT_EQ(log, (std::vector<std::string>{"a: ok r5"}));
  EXPECT_EQ(tracker.size(), 1u);
  tracker.complete(6, 2, Bytes("r6"));
  EXPECT_EQ(log.back(), "b: ok r6");
  EXPECT_TRUE(tracker.empty());
}

TEST_F(ProposalTrackerTest, AnotherTermsEntryAtTheIndexMeansLeadershipLost) {
  tracker.add(5, 2, record("a"), std::nullopt);
  tracker.complete(5, 3, Bytes("someone else's"));
  EXPECT_EQ(log, (std::vector<std::string>{"a: leadership lost"}));
}

TEST_F(ProposalTrackerTest, NewerTermAppliedBelowFailsOlderProposalsAbove) {
  // §5.3 Log Matching: a log holding (7, term 2) holds terms <= 2 below 7.
  // Once (4, term 3) is applied, no leader can ever hold (7, term 2).
  tracker.add(7, 2, record("old"), std::nullopt);
  tracker.add(8, 3, record("same term"), std::nullopt);
  tracker.complete(4, 3, Bytes());
  EXPECT_EQ(log, (std::vector<std::string>{"old: leadership lost"}));
  EXPECT_EQ(tracker.size(), 1u);
}

TEST_F(ProposalTrackerTest, SeveralProposalsOnOneIndexEachLearnTheirFate) {
  tracker.add(5, 2, record("term 2"), std::nullopt);
  tracker.add(5, 4, record("term 4"), std::nullopt);
  tracker.complete(5, 4, Bytes("r"));
  EXPECT_EQ(log, (std::vector<std::string>{"term 2: leadership lost", "term 4: ok r"}));
}

TEST_F(ProposalTrackerTest, DeadlinesExpireInOrderAndReportTimeout) {
  EXPECT_FALSE(tracker.next_deadline());
  tracker.add(1, 1, record("none"), std::nullopt);
  tracker.add(2, 1, record("late"), at(50));
  tracker.add(3, 1, record("early"), at(20));
  tracker.add(4, 1, record("later"), at(60));
  EXPECT_EQ(tracker.next_deadline(), at(20));
  tracker.expire(at(19));
  EXPECT_TRUE(log.empty());
  tracker.expire(at(50));
  EXPECT_EQ(log, (std::vector<std::string>{"early: timeout", "late: timeout"}));
  EXPECT_EQ(tracker.next_deadline(), at(60));
  // A completed proposal's deadline goes with it.
  tracker.complete(4, 1, Bytes("done"));
  EXPECT_FALSE(tracker.next_deadline());
  tracker.expire(at(100));
  EXPECT_EQ(log.back(), "later: ok done");
  EXPECT_EQ(tracker.size(), 1u) << "the one without a deadline waits on";
}

TEST_F(ProposalTrackerTest, OwnTimerFiresAtEachDeadline) {
  coro::TaskScope scope(ex);
  scope.spawn(tracker.run(scope.stop_token()));
  ex.run_until_idle();
  tracker.add(1, 1, record("at 50"), at(50));
  ex.run_until_idle();
  // A new earliest deadline moves the timer up.
  tracker.add(2, 1, record("at 20"), at(20));
  tracker.add(3, 1, record("none"), std::nullopt);
  ex.advance_to(at(19));
  EXPECT_TRUE(log.empty());
  ex.advance_to(at(20));
  EXPECT_EQ(log, (std::vector<std::string>{"at 20: timeout"}));
  ex.advance_to(at(49));
  EXPECT_EQ(log.size(), 1u);
  ex.advance_to(at(50));
  EXPECT_EQ(log.back(), "at 50: timeout");
  EXPECT_EQ(tracker.size(), 1u);
  scope.request_stop();
  tracker.wake();
  coro::sync_wait(ex, scope.join());
}

TEST_F(ProposalTrackerTest, FailAllCompletesEveryProposal) {
  tracker.add(1, 1, record("a"), at(10));
  tracker.add(2, 1, record("b"), std::nullopt);
  tracker.fail_all(Status::stopped());
  EXPECT_EQ(log, (std::vector<std::string>{"a: stopped", "b: stopped"}));
  EXPECT_TRUE(tracker.empty());
  EXPECT_FALSE(tracker.next_deadline());
}

TEST_F(ProposalTrackerTest, CallbackMayProposeAgain) {
  // The callback runs after it was taken out: adding from inside it (the
  // next proposal of a client loop) is safe, and the new one stays pending.
  tracker.add(
      5, 2,
      [&](Result<Bytes>) {
        log.push_back("first");
        tracker.add(9, 2, record("second"), std::nullopt);
      },
      std::nullopt);
  tracker.complete(5, 2, Bytes());
  EXPECT_EQ(log, (std::vector<std::string>{"first"}));
  EXPECT_EQ(tracker.size(), 1u);
  // Re-entrant fail_all: a callback proposing again while everything fails.
  int again = 0;
  tracker.add(
      10, 2,
      [&](Result<Bytes>) {
        if (again++ == 0) tracker.add(11, 2, record("third"), std::nullopt);
      },
      std::nullopt);
  tracker.fail_all(Status::stopped());
  EXPECT_TRUE(tracker.empty());
  EXPECT_EQ(log.back(), "third: stopped");
}

}  // namespace
}  // namespace coraft::node
