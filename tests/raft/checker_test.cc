// The invariant checker must catch real bugs: unit checks of each property,
// and simulated clusters running deliberately broken components.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coraft/log_api.h"
#include "coraft/testing/forwarding.h"
#include "coraft/testing/invariants.h"
#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

using coraft::testing::InvariantChecker;
using coraft::testing::InvariantViolation;

bool mentions(const InvariantChecker& c, const std::string& what) {
  for (const auto& v : c.violations()) {
    if (v.find(what) != std::string::npos) return true;
  }
  return false;
}

auto log_of(std::vector<Term> terms) {
  return [terms](Index i) -> std::optional<Term> {
    if (i == 0) return Term{0};
    if (i > terms.size()) return std::nullopt;
    return terms[i - 1];
  };
}

// @feature safety-checker
TEST(Checker, FlagsTwoLeadersInOneTerm) {
  InvariantChecker c;
  c.on_observe(1, Role::kLeader, 5, 0, log_of({1}));
  c.on_observe(2, Role::kLeader, 5, 0, log_of({1}));
  EXPECT_TRUE(mentions(c, "election safety"));
}

// @feature safety-checker
TEST(Checker, FlagsAVoteForTwoCandidatesInOneTerm) {
  InvariantChecker c;
  c.on_vote(3, 7, 1);
  c.on_vote(3, 7, 1);  // repeating the same vote is fine
  EXPECT_TRUE(c.ok());
  c.on_vote(3, 7, 2);
  EXPECT_TRUE(mentions(c, "voted for both"));
}

// @feature safety-checker
TEST(Checker, FlagsLogMatchingViolations) {
  InvariantChecker c;
  c.on_entry_durable(1, Entry{2, 5, EntryType::kCommand, "a"}, 2);
  c.on_entry_durable(2, Entry{2, 5, EntryType::kCommand, "a"}, 2);
  EXPECT_TRUE(c.ok());
  c.on_entry_durable(3, Entry{2, 5, EntryType::kCommand, "b"}, 2);  // same (index, term), other content
  EXPECT_TRUE(mentions(c, "log matching"));
  InvariantChecker d;
  d.on_entry_durable(1, Entry{2, 5, EntryType::kCommand, "a"}, 2);
  d.on_entry_durable(2, Entry{2, 5, EntryType::kCommand, "a"}, 1);  // differs before it
  EXPECT_TRUE(mentions(d, "log matching"));
}

// @feature safety-checker
TEST(Checker, FlagsStateMachineSafetyAndDoubleApply) {
  InvariantChecker c;
  c.on_apply(1, 3, "x");
  c.on_apply(2, 3, "y");
  EXPECT_TRUE(mentions(c, "state machine safety"));
  InvariantChecker d;
  d.on_apply(1, 3, "x");
  d.on_apply(1, 3, "x");
  EXPECT_TRUE(mentions(d, "twice or out of order"));
}

// @feature safety-checker
TEST(Checker, FlagsCommitGoingBackAndLeaderIncompleteness) {
  InvariantChecker c;
  c.on_observe(1, Role::kFollower, 2, 3, log_of({1, 1, 2}));
  c.on_observe(1, Role::kFollower, 2, 2, log_of({1, 1, 2}));
  EXPECT_TRUE(mentions(c, "went back"));
  InvariantChecker d;
  d.on_observe(1, Role::kFollower, 2, 3, log_of({1, 1, 2}));
  d.on_observe(2, Role::kLeader, 3, 0, log_of({1, 1}));  // lacks committed entry 3
  EXPECT_TRUE(mentions(d, "leader completeness"));
  InvariantChecker e;
  e.on_observe(1, Role::kFollower, 2, 2, log_of({1, 1}));
  e.on_observe(2, Role::kFollower, 2, 2, log_of({1, 2}));  // index 2 committed with two terms
  EXPECT_TRUE(mentions(e, "state machine safety"));
}

// Leader Completeness speaks of leaders of higher terms only: a leader of an
// older term (a paused candidate that wins after a newer term committed
// more) is not a violation. The campaign found this false positive.
// @feature safety-checker
TEST(Checker, LeaderOfAnOlderTermNeedNotHoldNewerCommits) {
  InvariantChecker c;
  c.on_observe(2, Role::kLeader, 16, 3, log_of({1, 14, 16}));  // index 3 committed in term 16
  c.on_observe(5, Role::kLeader, 15, 2, log_of({1, 14}));      // stale leader of term 15
  EXPECT_TRUE(c.ok()) << c.violations().front();
  c.on_observe(6, Role::kLeader, 17, 0, log_of({1, 14}));  // a newer leader must hold it
  EXPECT_TRUE(mentions(c, "leader completeness"));
}

// Acknowledges appends without keeping them: a log that lies about
// durability.
class ForgetfulLog final : public coraft::testing::ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<void> append(std::vector<Entry>) override { co_return; }
};

// @feature safety-checker crash-recovery
TEST(Checker, CatchesALogThatAcknowledgesAppendsWithoutKeepingThem) {
  SimOptions o = sim_options(3, 31);
  o.wrap_log = [](NodeId, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<ForgetfulLog>(inner);
  };
  SimCluster c(o);
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  // The first entry a state machine applies is not in its server's log: the
  // checker says so at once, long before a crash would lose it.
  EXPECT_THROW(
      {
        c.start();
        const NodeId leader = c.wait_for_leader();
        if (leader != kNoNode) (void)c.propose_and_wait(leader, "v");
        c.run_for(1s);
      },
      InvariantViolation);
  ASSERT_FALSE(c.checker().ok());
  EXPECT_TRUE(mentions(c.checker(), "does not hold durably")) << c.checker().violations().front();
}

// Forgets the vote across restarts: save_hard_state does nothing.
class AmnesicVoteLog final : public coraft::testing::ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<void> save_hard_state(HardState) override { co_return; }
};

// @feature safety-checker vote-once
TEST(Checker, CatchesANodeThatVotesTwiceInATermAfterARestart) {
  SimOptions o = sim_options(3, 32);
  o.wrap_log = [](NodeId, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<AmnesicVoteLog>(inner);
  };
  o.settings.election_timeout_min = 10s;  // nobody campaigns by itself
  o.settings.election_timeout_max = 20s;
  SimCluster c(o);
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  c.inject(Message{1, 2, RequestVote{5, 1, 1, false}});
  c.run_for(5ms);
  c.crash(2);
  c.restart(2);
  c.inject(Message{3, 2, RequestVote{5, 1, 1, false}});
  EXPECT_THROW(c.run_for(5ms), InvariantViolation);
  EXPECT_FALSE(c.checker().ok());
}

}  // namespace
}  // namespace coraft::test
