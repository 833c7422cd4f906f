// Term conformance tests on the deterministic SimCluster (§5.1): stale
// requests are rejected with the newer term, higher terms are adopted, and
// leaders, candidates and pre-candidates step down on learning one.
//
// Every test names the rule it checks and cites the paper ("§") or the
// thesis. Every run prints its seed on failure (CORAFT_SEED=<n> replays one
// seed for the single-seed tests), and the invariant checker runs after every
// simulated step: a violation throws InvariantViolation out of the test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/cluster_fixture.h"

namespace coraft::test {
namespace {

// ======================================================= §5.1 term rules

// @feature terms
// §5.1: "If a server receives a request with a stale term number, it rejects
// the request" - and the reply carries the receiver's newer term so that the
// sender updates itself. Stale responses are ignored.
TEST_F(TermRules, StaleTermIsRejectedWithTheNewerTerm) {
  SimCluster& c = start(3, 101, quiet_settings());
  std::vector<Message> sent;
  c.set_filter([&](Message& m) {
    sent.push_back(m);
    return false;  // observe only: the crafted senders are not really talking
  });

  // Node 1 learns term 5 from a leader, node 2.
  c.inject(Message{
      2, 1,
      AppendEntries{.term = 5, .prev_log_index = 1, .prev_log_term = 1, .leader_commit = 1, .entries = {}}});
  c.run_for(10ms);
  ASSERT_EQ(c.node(1).term(), 5u);
  ASSERT_EQ(c.node(1).leader(), 2u);

  // A stale AppendEntries (term 3) is rejected with term 5.
  sent.clear();
  c.inject(Message{
      3, 1,
      AppendEntries{.term = 3, .prev_log_index = 1, .prev_log_term = 1, .leader_commit = 1, .entries = {}}});
  c.run_for(10ms);
  auto aer = bodies<AppendEntriesResponse>(sent, 1, 3);
  ASSERT_EQ(aer.size(), 1u);
  EXPECT_FALSE(aer[0].success);
  EXPECT_EQ(aer[0].term, 5u);
  EXPECT_EQ(c.node(1).term(), 5u);
  EXPECT_EQ(c.node(1).leader(), 2u) << "a stale leader must not replace the current one";

  // A stale RequestVote (term 4, even with a better log) is refused with term 5.
  sent.clear();
  c.inject(Message{3, 1, RequestVote{.term = 4, .last_log_index = 100, .last_log_term = 4}});
  c.run_for(10ms);
  auto rvr = bodies<RequestVoteResponse>(sent, 1, 3);
  ASSERT_EQ(rvr.size(), 1u);
  EXPECT_FALSE(rvr[0].granted);
  EXPECT_EQ(rvr[0].term, 5u);
  EXPECT_EQ(c.node(1).status().vote, kNoNode);
  EXPECT_EQ(c.durable_log(1).hard_state(), (HardState{5, kNoNode}));

  // A stale PreVote is refused the same way.
  sent.clear();
  c.inject(
      Message{3, 1, RequestVote{.term = 4, .last_log_index = 100, .last_log_term = 4, .pre_vote = true}});
  c.run_for(10ms);
  rvr = bodies<RequestVoteResponse>(sent, 1, 3);
  ASSERT_EQ(rvr.size(), 1u);
  EXPECT_FALSE(rvr[0].granted);
  EXPECT_EQ(rvr[0].term, 5u);

  // Stale responses change nothing and get no answer.
  sent.clear();
  c.inject(Message{3, 1, AppendEntriesResponse{.term = 2, .success = true, .match_index = 1}});
  c.inject(Message{3, 1, RequestVoteResponse{.term = 2, .granted = true}});
  c.run_for(10ms);
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(c.node(1).term(), 5u);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).leader(), 2u);
  EXPECT_TRUE(c.checker().ok());
}

// @feature terms
// §5.1: "If one server's current term is smaller than the other's, then it
// updates its current term to the larger value" and (Figure 2) converts to
// follower. A higher-term AppendEntries also names the term's leader.
TEST_F(TermRules, FollowerAdoptsHigherTerm) {
  SimCluster& c = start(3, 102, quiet_settings());
  std::vector<Message> sent;
  c.set_filter([&](Message& m) {
    sent.push_back(m);
    return false;
  });

  c.inject(Message{3, 1, RequestVote{.term = 4, .last_log_index = 1, .last_log_term = 1}});
  c.run_for(10ms);
  EXPECT_EQ(c.node(1).term(), 4u);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).leader(), kNoNode);
  EXPECT_EQ(c.durable_log(1).hard_state(), (HardState{4, 3}));
  auto rvr = bodies<RequestVoteResponse>(sent, 1, 3);
  ASSERT_EQ(rvr.size(), 1u);
  EXPECT_TRUE(rvr[0].granted);
  EXPECT_EQ(rvr[0].term, 4u);

  sent.clear();
  c.inject(Message{
      2, 1,
      AppendEntries{.term = 6, .prev_log_index = 1, .prev_log_term = 1, .leader_commit = 1, .entries = {}}});
  c.run_for(10ms);
  EXPECT_EQ(c.node(1).term(), 6u);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).leader(), 2u);
  EXPECT_EQ(c.durable_log(1).hard_state(), (HardState{6, kNoNode})) << "a new term starts with no vote";
  auto aer = bodies<AppendEntriesResponse>(sent, 1, 2);
  ASSERT_EQ(aer.size(), 1u);
  EXPECT_TRUE(aer[0].success);
  EXPECT_EQ(aer[0].term, 6u);
  EXPECT_EQ(aer[0].match_index, 1u);
  EXPECT_TRUE(c.checker().ok());
}

// @feature terms
// §5.1: "If a candidate or leader discovers that its term is out of date, it
// immediately reverts to follower state" - here through responses.
TEST_F(TermRules, LeaderAndCandidateStepDownOnHigherTerm) {
  {
    SimCluster& c = start(3, 103, basic_settings(), "(leader)");
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    const NodeId f = others(c, l)[0];
    c.inject(Message{f, l, AppendEntriesResponse{.term = t + 3, .success = false, .match_index = 0}});
    ASSERT_TRUE(c.run_until([&] { return c.node(l).term() != t; }, 20ms));
    EXPECT_EQ(c.node(l).term(), t + 3);
    EXPECT_EQ(c.node(l).role(), Role::kFollower);
    EXPECT_NE(c.node(l).leader(), l);
    EXPECT_EQ(c.durable_log(l).hard_state().term, t + 3);
    EXPECT_TRUE(c.checker().ok());
  }
  {
    SimCluster& c = start(3, 104, basic_settings(), "(candidate)");
    c.crash(2);
    c.crash(3);
    ASSERT_TRUE(c.run_until([&] { return c.node(1).role() == Role::kCandidate; }, 1s));
    const Term t = c.node(1).term();
    c.inject(Message{2, 1, RequestVoteResponse{.term = t + 2, .granted = false}});
    ASSERT_TRUE(c.run_until([&] { return c.node(1).term() != t; }, 20ms));
    EXPECT_EQ(c.node(1).term(), t + 2);
    EXPECT_EQ(c.node(1).role(), Role::kFollower);
    EXPECT_TRUE(c.checker().ok());
  }
  {
    // A pre-candidate (thesis §9.6) learning a higher term from a refused
    // pre-vote adopts it too: any response with a newer term updates us.
    SimCluster& c = start(3, 105, settings_with(true, false), "(pre-candidate)");
    c.crash(2);
    c.crash(3);
    ASSERT_TRUE(c.run_until([&] { return c.node(1).role() == Role::kPreCandidate; }, 1s));
    const Term t = c.node(1).term();
    c.inject(Message{2, 1, RequestVoteResponse{.term = t + 4, .granted = false, .pre_vote = true}});
    ASSERT_TRUE(c.run_until([&] { return c.node(1).term() != t; }, 20ms));
    EXPECT_EQ(c.node(1).term(), t + 4);
    EXPECT_EQ(c.node(1).role(), Role::kFollower);
    EXPECT_TRUE(c.checker().ok());
  }
}

}  // namespace
}  // namespace coraft::test
