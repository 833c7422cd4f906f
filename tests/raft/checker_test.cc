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

// Thesis §10.2.1: a commit index reaches i only once entry i is durable on
// a majority of the voters.
// @feature safety-checker commit
TEST(Checker, FlagsACommitNotDurableOnAMajority) {
  InvariantChecker c;
  c.on_commit_durability(1, 5, 2, 2, 3);
  c.on_commit_durability(1, 5, 2, 3, 5);
  EXPECT_TRUE(c.ok());
  c.on_commit_durability(1, 6, 2, 1, 3);
  EXPECT_TRUE(mentions(c, "durable commitment: node 1 committed index 6 (term 2) durable on only 1 of 3"));
  InvariantChecker even;
  even.on_commit_durability(1, 6, 2, 2, 4);  // half of an even size is no majority
  EXPECT_FALSE(even.ok());
}

// §5.4.2: a leader's commit index advances only to an entry of its term.
// @feature safety-checker current-term-commit
TEST(Checker, FlagsALeaderCommittingAnOlderTermsEntryByCounting) {
  InvariantChecker c;
  c.on_observe(1, Role::kLeader, 3, 1, log_of({1, 2, 3}));
  c.on_observe(1, Role::kLeader, 3, 3, log_of({1, 2, 3}));  // 2 commits with 3: fine
  EXPECT_TRUE(c.ok()) << c.violations().front();
  InvariantChecker bad;
  bad.on_observe(1, Role::kLeader, 3, 1, log_of({1, 2, 3}));
  bad.on_observe(1, Role::kLeader, 3, 2, log_of({1, 2, 3}));
  EXPECT_TRUE(mentions(bad, "commitment rule"));
  // A follower's commit index may land on any term.
  InvariantChecker follower;
  follower.on_observe(2, Role::kFollower, 3, 1, log_of({1, 2, 3}));
  follower.on_observe(2, Role::kFollower, 3, 2, log_of({1, 2, 3}));
  EXPECT_TRUE(follower.ok());
}

// Figure 2: persist, then respond; hard state never goes back.
// @feature safety-checker vote-once
TEST(Checker, FlagsResponsesSentBeforeTheirStateIsDurable) {
  InvariantChecker c;
  c.on_vote_sent(2, 5, 1, HardState{5, 1});
  c.on_vote_sent(3, 5, 1, HardState{6, kNoNode});  // durable, then superseded
  c.on_append_ack(2, 7, Term{3}, Term{3});
  c.on_append_ack(2, 7, std::nullopt, Term{3});  // the acknowledged log unknown: durability only
  EXPECT_TRUE(c.ok()) << c.violations().front();
  c.on_vote_sent(4, 5, 1, HardState{4, kNoNode});
  EXPECT_TRUE(mentions(c, "node 4 sent its vote for 1 in term 5 before the vote was durable"));
  c.on_append_ack(2, 8, Term{3}, std::nullopt);
  EXPECT_TRUE(mentions(c, "acknowledged entries through 8 before they were durable"));
  c.on_append_ack(2, 9, Term{3}, Term{2});
  EXPECT_TRUE(mentions(c, "through 9 while its durable log holds another entry there"));
}

// @feature safety-checker vote-once
TEST(Checker, FlagsAHardStateThatGoesBackOrChangesItsVote) {
  InvariantChecker c;
  c.on_hard_state(1, HardState{5, kNoNode}, HardState{5, 2});
  c.on_hard_state(1, HardState{5, 2}, HardState{6, kNoNode});
  c.on_hard_state(1, HardState{6, kNoNode}, HardState{6, kNoNode});
  EXPECT_TRUE(c.ok()) << c.violations().front();
  c.on_hard_state(1, HardState{6, 3}, HardState{6, kNoNode});
  EXPECT_TRUE(mentions(c, "changed its vote in term 6 from 3 to none"));
  c.on_hard_state(2, HardState{6, 3}, HardState{6, 4});
  EXPECT_TRUE(mentions(c, "changed its vote in term 6 from 3 to 4"));
  c.on_hard_state(3, HardState{6, 3}, HardState{5, 3});
  EXPECT_TRUE(mentions(c, "saved term 5 over term 6"));
}

// §5.2: a leader holds votes of its own term from a majority of distinct
// voters; one server's vote, or a vote of another term, counts once or not.
// @feature safety-checker election
TEST(Checker, FlagsALeaderWithoutAMajorityOfDistinctVotesOfItsTerm) {
  const std::vector<NodeId> five{1, 2, 3, 4, 5};
  InvariantChecker c;
  c.on_vote(2, 7, 1);
  c.on_vote(2, 7, 1);  // the same vote seen twice
  c.on_vote(3, 6, 1);  // a vote of the previous term
  c.on_leader(1, 7, five);
  EXPECT_TRUE(mentions(c, "became leader of term 7 with granted votes from only 2 of 5"));
  InvariantChecker ok;
  ok.on_vote(2, 7, 1);
  ok.on_vote(3, 7, 1);
  ok.on_leader(1, 7, five);
  EXPECT_TRUE(ok.ok()) << ok.violations().front();
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
  // The checker sees the lie at the first vote: it leaves server 2 while
  // its durable hard state holds no vote (Figure 2: persist, then respond).
  c.inject(Message{1, 2, RequestVote{5, 1, 1, false}});
  EXPECT_THROW(c.run_for(5ms), InvariantViolation);
  ASSERT_FALSE(c.checker().ok());
  EXPECT_TRUE(mentions(c.checker(), "before the vote was durable")) << c.checker().violations().front();
  // And, the run going on, at the second vote in the same term after a
  // restart that forgot the first.
  SimOptions o2 = o;
  o2.throw_on_violation = false;
  SimCluster c2(o2);
  c2.start();
  c2.inject(Message{1, 2, RequestVote{5, 1, 1, false}});
  c2.run_for(5ms);
  c2.crash(2);
  c2.restart(2);
  c2.inject(Message{3, 2, RequestVote{5, 1, 1, false}});
  c2.run_for(5ms);
  EXPECT_TRUE(mentions(c2.checker(), "voted for both")) << c2.checker().violations().back();
}

}  // namespace
}  // namespace coraft::test
