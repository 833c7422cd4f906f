// PreVote conformance tests on the deterministic SimCluster (thesis §9.6):
// an isolated server does not raise its term or disrupt the leader on
// rejoining, and PreVote does not stop the up-to-date server from winning.
//
// Every test names the rule it checks and cites the paper ("§") or the
// thesis. Every run prints its seed on failure (CORAFT_SEED=<n> replays one
// seed for the single-seed tests), and the invariant checker runs after every
// simulated step: a violation throws InvariantViolation out of the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "raft/cluster_fixture.h"

namespace coraft::test {
namespace {

// ======================================================= PreVote (§9.6)

// @feature prevote partitions
// Thesis §9.6: with PreVote, a server that was partitioned away does not
// raise its term while isolated (it never wins a pre-vote), so on rejoining
// it does not disrupt the leader. The control run without PreVote shows the
// disruption the rule prevents.
TEST_F(PreVote, PartitionedServerDoesNotDisruptLeaderOnRejoin) {
  for (bool cq : {false, true}) {
    const ClusterSettings settings = settings_with(true, cq);
    SimCluster& c = start(5, 901, settings, settings_name(settings));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(300ms);
    const NodeId s = others(c, l)[1];
    auto seen = watch(c, s);
    const auto elections = c.node(s).counters().elections_started;
    c.isolate(s);
    c.run_for(2s);
    EXPECT_EQ(c.node(s).term(), t) << "the isolated server raised its term";
    EXPECT_EQ(c.node(s).counters().elections_started, elections);
    EXPECT_TRUE(std::any_of(seen->begin(), seen->end(), [](const Seen& e) {
      return e.event.role == Role::kPreCandidate;
    })) << "the isolated server never tried a pre-vote";
    c.heal();
    c.run_for(1s);
    EXPECT_TRUE(converged(c));
    EXPECT_EQ(c.leader(), l);
    for (NodeId id : c.ids()) EXPECT_EQ(c.node(id).term(), t) << "node " << id;
    EXPECT_TRUE(c.checker().ok());
  }
  {
    // Control, without PreVote: the isolated server's term grows and its
    // return deposes the leader.
    SimCluster& c = start(5, 901, basic_settings(), "control " + settings_name(basic_settings()));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(300ms);
    const NodeId s = others(c, l)[1];
    c.isolate(s);
    c.run_for(2s);
    EXPECT_GT(c.node(s).term(), t + 3);
    c.heal();
    ASSERT_TRUE(c.run_until([&] { return converged(c); }, 5s));
    EXPECT_GT(c.node(c.leader()).term(), t);
    EXPECT_TRUE(c.checker().ok());
  }
}

// @feature prevote
// Thesis §9.6: a server that cannot win keeps asking (a pre-vote per election
// timeout) without ever incrementing its term; once others return it wins.
TEST_F(PreVote, LoneServerKeepsItsTermUntilItCanWin) {
  SimCluster& c = start(3, 902, settings_with(true, false));
  c.crash(2);
  c.crash(3);
  int prevotes = 0;
  c.set_filter([&](Message& m) {
    if (auto* rv = std::get_if<RequestVote>(&m.body); rv && rv->pre_vote && m.from == 1) ++prevotes;
    return true;
  });
  c.run_for(3s);
  EXPECT_EQ(c.node(1).term(), 0u);
  EXPECT_EQ(c.node(1).role(), Role::kPreCandidate);
  EXPECT_EQ(c.node(1).counters().elections_started, 0u);
  EXPECT_GE(prevotes, 2 * 9) << "a pre-vote to each peer per timeout";
  c.restart(2);
  const NodeId l = elect(2s);
  ASSERT_NE(l, kNoNode);
  EXPECT_LE(c.node(l).term(), 3u) << "the term grew while the server was alone";
  EXPECT_TRUE(c.checker().ok());
}

// @feature prevote up-to-date
// Thesis §9.6: PreVote must not stop the right server from winning. Server 3
// has the highest term (7) but a stale log; server 1 has a smaller term (2)
// but the log a majority holds (entries 2-4 may be committed). With server 2
// down, 1 and 3 must still elect 1: its pre-vote in term 3 is refused with
// term 7, it adopts term 7, pre-votes for 8 and wins. 3 can never win.
TEST_F(PreVote, UpToDateServerWithSmallerTermWins) {
  for (bool cq : {false, true}) {
    SimCluster c(sim_options(3, 903, settings_with(true, cq)));
    SCOPED_TRACE(seed_of(c) + " " + settings_name(c.options().settings));
    c.preload(1, HardState{2, 1}, {cmd(2, 2), cmd(3, 2), cmd(4, 2)});
    c.preload(2, HardState{2, 1}, {cmd(2, 2), cmd(3, 2), cmd(4, 2)});
    c.preload(3, HardState{7, 3}, {cmd(2, 1)});
    c.start();
    c.crash(2);
    auto seen3 = watch(c, 3);
    ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoNode; }, 5s))
        << "no leader: 1 term " << c.node(1).term() << " role " << role_name(c.node(1).role()) << ", 3 term "
        << c.node(3).term();
    EXPECT_EQ(c.leader(), 1u);
    EXPECT_GT(c.node(1).term(), 7u);
    EXPECT_FALSE(ever_led(*seen3));
    ASSERT_TRUE(
        c.run_until([&] { return c.node(3).commit_index() >= 5 && c.node(1).commit_index() >= 5; }, 2s));
    for (Index i = 2; i <= 4; ++i) {
      EXPECT_EQ(durable_term(c, 1, i), 2u) << "index " << i;
      EXPECT_EQ(durable_term(c, 3, i), 2u) << "index " << i;
    }
    ASSERT_TRUE(c.run_until([&] { return c.applied(3).size() >= 3; }, 1s));
    EXPECT_EQ(c.applied(3)[0].command, cmd(2, 2).data);
    EXPECT_EQ(c.applied(3)[2].command, cmd(4, 2).data);
    c.restart(2);
    ASSERT_TRUE(c.run_until([&] { return converged(c) && c.node(2).commit_index() >= 5; }, 2s));
    EXPECT_EQ(c.leader(), 1u);
    EXPECT_TRUE(c.checker().ok());
  }
}

}  // namespace
}  // namespace coraft::test
