#include <gtest/gtest.h>

#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

// @feature election replication
TEST(Smoke, ThreeNodesElectReplicateAndApply) {
  SimCluster c(sim_options(3, 1));
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  NodeId leader = c.wait_for_leader();
  ASSERT_NE(leader, kNoNode);
  for (int i = 0; i < 10; ++i) {
    Result<Bytes> r = c.propose_and_wait(leader, "cmd" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
  }
  c.run_for(200ms);
  for (NodeId id : c.ids()) {
    ASSERT_EQ(c.applied(id).size(), 10u) << "node " << id;
    EXPECT_EQ(c.applied(id)[9].command, "cmd9");
  }
  EXPECT_TRUE(c.checker().ok());
}

}  // namespace
}  // namespace coraft::test
