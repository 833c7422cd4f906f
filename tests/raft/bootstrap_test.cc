// Bootstrap safety: a cluster's identity is its initial configuration
// (entry 1, canonically encoded); every message carries it; a server drops,
// counts and reports messages of another cluster, so servers started with
// different initial configurations never exchange entries (Log Matching,
// §5.3, holds from entry 1 on). Messages that arrive before start() are
// dropped and counted.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/codec.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/transport_api.h"
#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

struct Foreign {
  std::vector<std::string> reports;
};

std::shared_ptr<Foreign> watch_foreign(SimCluster& c, NodeId id) {
  auto f = std::make_shared<Foreign>();
  c.node(id).subscribe([f](const NodeEvent& e) {
    if (e.kind == NodeEvent::Kind::kForeignMessage) f->reports.push_back(e.error.message());
  });
  return f;
}

// @feature safety-checker
TEST(Bootstrap, ServersStartedWithDifferentConfigurationsNeverShareEntries) {
  // Node 3 was given other timeouts: its entry 1 differs from the others'.
  SimCluster c(sim_options(3, 21, settings_with(true, true)));
  ClusterConfig odd = c.initial_config(3);
  odd.settings.heartbeat_interval = std::chrono::milliseconds(40);
  c.set_initial_config(3, odd);
  c.start();
  const auto seen1 = watch_foreign(c, 1);
  const auto seen3 = watch_foreign(c, 3);
  EXPECT_NE(c.node(3).cluster(), c.node(1).cluster());
  EXPECT_EQ(c.node(1).cluster(), c.node(2).cluster());
  const NodeId l = c.wait_for_leader(5s);
  ASSERT_TRUE(l == 1 || l == 2) << seed_of(c) << ": leader " << l;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.propose_and_wait(l, "v" + std::to_string(i)).ok());
  c.run_for(2s);
  // Node 3 holds only its own entry 1 and never followed the others.
  EXPECT_EQ(c.node(3).last_log_index(), 1u);
  EXPECT_NE(c.node(3).leader(), l);
  EXPECT_EQ(c.durable_log(3).entry(1)->data, encode_config(odd));
  EXPECT_NE(c.durable_log(1).entry(1)->data, c.durable_log(3).entry(1)->data);
  // Each side counted and reported the other.
  EXPECT_GT(c.node(3).counters().foreign_messages, 0u);
  EXPECT_GT(c.node(1).counters().foreign_messages, 0u) << "node 3's vote requests";
  const NodeStatus s3 = c.node(3).status();
  EXPECT_EQ(s3.last_foreign_cluster, c.node(1).cluster());
  EXPECT_NE(s3.last_foreign_sender, kNoNode);
  ASSERT_FALSE(seen3->reports.empty());
  EXPECT_NE(seen3->reports[0].find("different initial configurations"), std::string::npos)
      << seen3->reports[0];
  ASSERT_EQ(seen1->reports.size(), 1u) << "reported once per sender, counted always";
  EXPECT_NE(seen1->reports[0].find("node 3"), std::string::npos) << seen1->reports[0];
}

// @feature safety-checker
TEST(Bootstrap, ClustersWithTheSameIdsButAnotherNameAreForeign) {
  SimCluster c(sim_options(3, 22, quiet_settings()));
  ClusterConfig named = c.initial_config(2);
  named.name = "staging";
  c.set_initial_config(2, named);
  c.start();
  EXPECT_NE(c.node(2).cluster(), c.node(1).cluster());
  c.campaign_now(1);
  ASSERT_EQ(c.wait_for_leader(1s), 1u) << "1 and 3 are a majority of three";
  c.run_for(500ms);
  EXPECT_EQ(c.node(2).last_log_index(), 1u);
  EXPECT_GT(c.node(2).counters().foreign_messages, 0u);
}

// @feature crash-recovery
TEST(Bootstrap, TheIdentitySurvivesARestart) {
  SimCluster c(sim_options(3, 23));
  c.start();
  const std::uint64_t id = c.node(2).cluster();
  EXPECT_EQ(id, cluster_fingerprint(c.initial_config(2)));
  EXPECT_NE(id, 0u);
  c.crash(2);
  c.restart(2);
  EXPECT_EQ(c.node(2).cluster(), id) << "read back from entry 1";
}

// Server 1 as a RaftNode of its own, over a MemoryLog, outside SimCluster.
struct Alone {
  explicit Alone(const ClusterConfig& config) : node(options(config), log, tr, sm, ex) {}
  static NodeOptions options(const ClusterConfig& config) {
    NodeOptions no;
    no.id = 1;
    no.initial_config = config;
    return no;
  }
  coro::ManualExecutor ex;
  assist::MemoryLog log;
  NullTransport tr;
  NullStateMachine sm;
  RaftNode node;
};

// @feature client
TEST(Bootstrap, VotersOutOfOrderAreRefusedWithAClearError) {
  ClusterConfig c;
  c.voters = {3, 1, 2};
  const Status v = c.validate();
  ASSERT_TRUE(v.is_invalid_argument());
  EXPECT_NE(v.message().find("ascending"), std::string::npos) << v.message();
  Alone alone(c);
  const Status st = coro::sync_wait(alone.ex, alone.node.start());
  EXPECT_TRUE(st.is_invalid_argument()) << st.to_string();
  EXPECT_EQ(alone.log.last_index(), 0u) << "nothing written";
}

// @feature client
TEST(Bootstrap, MessagesBeforeStartAreDroppedAndCounted) {
  ClusterConfig three;
  three.voters = {1, 2, 3};
  Alone alone(three);
  coro::ManualExecutor& ex = alone.ex;
  RaftNode& node = alone.node;
  node.receive(Message{2, 1, RequestVote{5, 0, 0, false}});
  EXPECT_EQ(node.counters().dropped_not_running, 1u);
  EXPECT_EQ(node.counters().messages_received, 0u);
  ASSERT_TRUE(coro::sync_wait(ex, node.start()).is_ok());
  EXPECT_EQ(node.term(), 0u) << "the dropped request changed nothing";
  Message m{2, 1, RequestVote{5, 1, 1, false}, node.cluster()};
  node.receive(m);
  EXPECT_EQ(node.term(), 5u) << "after start, the same cluster's message is handled";
  coro::sync_wait(ex, node.stop());
  node.receive(m);
  EXPECT_EQ(node.counters().dropped_not_running, 2u);
}

}  // namespace
}  // namespace coraft::test
