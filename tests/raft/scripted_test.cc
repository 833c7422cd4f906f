// The tools for scripted scenarios, as someone porting the paper's tests
// needs them: choose who campaigns first (SimCluster::campaign_now, the
// node's campaign(), etcd raft's MsgHup), and start from a state with a
// commit index (SimCluster::preload with an applied index).
#include <gtest/gtest.h>

#include <stdexcept>

#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

// @feature election
TEST(Scripted, CampaignNowChoosesWhoCampaignsFirst) {
  for (NodeId who : {NodeId{1}, NodeId{2}, NodeId{3}}) {
    SimCluster c(sim_options(3, 7, quiet_settings()));
    c.start();
    const Term before = c.node(who).term();
    c.campaign_now(who);
    EXPECT_EQ(c.node(who).role(), Role::kCandidate) << "basic Raft: a candidate at once";
    EXPECT_EQ(c.node(who).term(), before + 1);
    EXPECT_EQ(c.wait_for_leader(1s), who) << seed_of(c);
  }
}

// @feature prevote
TEST(Scripted, CampaignNowWithPreVoteAsksFirst) {
  ClusterSettings s = quiet_settings();
  s.pre_vote = true;
  SimCluster c(sim_options(3, 7, s));
  c.start();
  const Term before = c.node(2).term();
  c.campaign_now(2);
  EXPECT_EQ(c.node(2).role(), Role::kPreCandidate);
  EXPECT_EQ(c.node(2).term(), before) << "a pre-vote never changes the term";
  EXPECT_EQ(c.wait_for_leader(1s), 2u) << seed_of(c);
}

// @feature prevote
TEST(Scripted, CampaignNowCannotDisruptALiveLeaderUnderPreVote) {
  ClusterSettings s = quiet_settings();
  s.pre_vote = true;
  s.heartbeat_interval = std::chrono::milliseconds(50);
  SimCluster c(sim_options(3, 7, s));
  c.start();
  c.campaign_now(1);
  ASSERT_EQ(c.wait_for_leader(1s), 1u);
  const Term term = c.node(1).term();
  c.run_for(200ms);  // the followers hear from the leader
  c.campaign_now(3);
  c.run_for(500ms);
  EXPECT_EQ(c.leader(), 1u) << seed_of(c);
  EXPECT_EQ(c.node(1).term(), term) << "the followers refused the pre-vote: no new term";
}

// @feature election
TEST(Scripted, CampaignNowIsRefusedByTheLeaderAndADownServer) {
  SimCluster c(sim_options(3, 7, quiet_settings()));
  c.start();
  c.campaign_now(1);
  ASSERT_EQ(c.wait_for_leader(1s), 1u);
  EXPECT_TRUE(c.node(1).campaign().is_invalid_argument());
  EXPECT_THROW(c.campaign_now(1), std::logic_error);
  c.crash(2);
  EXPECT_THROW(c.campaign_now(2), std::logic_error);
}

// @feature crash-recovery
TEST(Scripted, PreloadWithAnAppliedIndexStartsWithThatCommitIndex) {
  SimCluster c(sim_options(3, 7, quiet_settings()));
  // Entries 2..5 of term 1 on every server; 2..4 committed and applied.
  for (NodeId id : c.ids()) {
    c.preload(id, HardState{1, kNoNode}, {cmd(2, 1), cmd(3, 1), cmd(4, 1), cmd(5, 1)}, /*applied=*/4);
  }
  c.start();
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.node(id).commit_index(), 4u) << "node " << id;
    EXPECT_EQ(c.node(id).applied_index(), 4u) << "node " << id;
    ASSERT_EQ(c.applied(id).size(), 3u) << "the state machine holds what it applied";
    EXPECT_EQ(c.applied(id).back().command, "e4t1");
  }
  c.campaign_now(3);
  ASSERT_EQ(c.wait_for_leader(1s), 3u);
  ASSERT_TRUE(c.propose_and_wait(3, "next").ok());
  EXPECT_EQ(c.wait_for_convergence(1s), "");
  for (NodeId id : c.ids()) {
    // 5 (the old entry), 6 (the new leader's no-op), 7 (the proposal).
    ASSERT_EQ(c.applied(id).size(), 5u) << "node " << id;
    EXPECT_EQ(c.applied(id)[3].index, 5u);
    EXPECT_EQ(c.applied(id)[4].command, "next");
  }
}

// @feature safety-checker
TEST(Scripted, PreloadRejectsAnAppliedIndexBeyondItsLog) {
  SimCluster c(sim_options(3, 7, quiet_settings()));
  EXPECT_THROW(c.preload(1, HardState{1, kNoNode}, {cmd(2, 1)}, 3), std::logic_error);
}

}  // namespace
}  // namespace coraft::test
