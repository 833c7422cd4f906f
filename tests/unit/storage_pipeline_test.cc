// Unit tests for node::StoragePipeline over a scripted LogAPI: one call at
// a time, gates, group commit, stable index under queued truncations,
// failures, reads.
#include "node/storage_pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task_scope.h"
#include "unit/scripted_log.h"

namespace coraft::node {
namespace {

// Records what the pipeline reports, in order.
class RecordingHost final : public StoragePipeline::Host {
 public:
  std::vector<std::string> events;
  std::vector<Status> failures;
  void deliver(Message m) override { events.push_back("deliver " + std::to_string(m.to)); }
  void on_durable(Index through, std::size_t entries) override {
    events.push_back("durable " + std::to_string(through) + " (" + std::to_string(entries) + ")");
  }
  void on_failure(Status error) override { failures.push_back(std::move(error)); }
};

std::vector<Entry> entries(Index from, Index to, Term term = 1) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i)
    out.push_back(Entry{term, i, EntryType::kCommand, "x" + std::to_string(i)});
  return out;
}

Message to(NodeId id) { return Message{1, id, AppendEntriesResponse{1, true, 0, 0, 0}}; }

class StoragePipelineTest : public ::testing::Test {
 protected:
  StoragePipelineTest() { scope.spawn(pipeline.run(scope.stop_token())); }
  ~StoragePipelineTest() override {
    scope.request_stop();
    pipeline.wake();
    while (log.waiting()) log.complete();
    coro::sync_wait(ex, scope.join());
  }
  void run() { ex.run_until_idle(); }

  coro::ManualExecutor ex;
  unit::ScriptedLog log{ex};
  RecordingHost host;
  StoragePipeline pipeline{log, ex, host};
  coro::TaskScope scope{ex};
};

TEST_F(StoragePipelineTest, MessageWaitsForItsGate) {
  log.hold(true);
  const Gate g = pipeline.append(entries(1, 3));
  EXPECT_EQ(g, pipeline.tail());
  EXPECT_FALSE(pipeline.passed(g));
  pipeline.send(to(2), g);
  pipeline.send(to(3), Gate{});  // needs nothing: leaves at once
  run();
  EXPECT_EQ(host.events, (std::vector<std::string>{"deliver 3"}));
  EXPECT_EQ(pipeline.held(), 1u);
  ASSERT_TRUE(log.waiting());
  log.complete();
  EXPECT_TRUE(pipeline.passed(g));
  // Held messages go out before the node hears of the new durable index.
  EXPECT_EQ(host.events, (std::vector<std::string>{"deliver 3", "deliver 2", "durable 3 (3)"}));
  EXPECT_EQ(pipeline.durable_index(), 3u);
  EXPECT_EQ(pipeline.stable_index(), 3u);
}

TEST_F(StoragePipelineTest, OneLogApiCallAtATimeInQueueOrder) {
  log.hold(true);
  pipeline.save_hard_state(HardState{2, 1});
  pipeline.append(entries(1, 1));
  pipeline.truncate(1);
  pipeline.append(entries(1, 2, 2));
  run();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(log.waiting()) << i;
    log.complete();
  }
  EXPECT_FALSE(log.waiting());
  EXPECT_EQ(log.max_concurrent(), 1);
  std::vector<std::string> order;
  for (const auto& c : log.calls()) order.push_back(c.what);
  EXPECT_EQ(order, (std::vector<std::string>{"hard_state", "append", "truncate", "append"}));
  EXPECT_EQ(log.entries().size(), 2u);
  EXPECT_EQ(log.entries()[0].term, 2u);
}

TEST_F(StoragePipelineTest, AppendsQueuedBehindARunningOneMergeIntoOneCall) {
  log.hold(true);
  const Gate a = pipeline.append(entries(1, 2));
  run();  // the first append is now inside LogAPI
  const Gate b = pipeline.append(entries(3, 3));
  const Gate c = pipeline.append(entries(4, 6));
  EXPECT_NE(a, b) << "never merged into the running call";
  EXPECT_EQ(b, c) << "merged into the queued one";
  log.complete();
  log.complete();
  ASSERT_EQ(log.calls().size(), 2u);
  EXPECT_EQ(log.calls()[1].from, 3u);
  EXPECT_EQ(log.calls()[1].to, 6u);
  EXPECT_EQ(host.events, (std::vector<std::string>{"durable 2 (2)", "durable 6 (4)"}));
}

TEST_F(StoragePipelineTest, HeldMessageNeverHoldsBackAnotherWhoseGatePassed) {
  log.hold(true);
  const Gate first = pipeline.append(entries(1, 1));
  const Gate second = pipeline.save_hard_state(HardState{3, 2});
  EXPECT_EQ(pipeline.hard_state_gate(), second);
  pipeline.send(to(2), second);
  pipeline.send(to(3), first);
  run();
  log.complete();
  EXPECT_EQ(host.events, (std::vector<std::string>{"deliver 3", "durable 1 (1)"}));
  log.complete();
  EXPECT_EQ(host.events, (std::vector<std::string>{"deliver 3", "durable 1 (1)", "deliver 2"}));
}

TEST_F(StoragePipelineTest, QueuedTruncationLowersTheStableIndexAtOnce) {
  pipeline.append(entries(1, 5));
  run();
  ASSERT_EQ(pipeline.durable_index(), 5u);
  log.hold(true);
  pipeline.truncate(4);
  // Until LogAPI truncated, it holds entries 4 and 5 that the node's log
  // no longer has: they may be neither applied nor counted.
  EXPECT_EQ(pipeline.stable_index(), 3u);
  EXPECT_EQ(pipeline.durable_index(), 5u);
  pipeline.append(entries(4, 6, 2));
  run();
  log.complete();  // the truncation
  EXPECT_EQ(pipeline.durable_index(), 3u);
  EXPECT_EQ(pipeline.stable_index(), 3u);
  log.complete();  // the new entries
  EXPECT_EQ(pipeline.durable_index(), 6u);
  EXPECT_EQ(pipeline.stable_index(), 6u);
}

TEST_F(StoragePipelineTest, TwoQueuedTruncationsKeepTheLowerOneUntilBothRan) {
  pipeline.append(entries(1, 9));
  run();
  log.hold(true);
  pipeline.truncate(7);
  pipeline.append(entries(7, 8, 2));
  pipeline.truncate(5);
  EXPECT_EQ(pipeline.stable_index(), 4u);
  run();
  log.complete();  // truncate(7): truncate(5) is still queued
  EXPECT_EQ(pipeline.stable_index(), 4u);
  log.complete();  // append 7..8
  EXPECT_EQ(pipeline.stable_index(), 4u);
  log.complete();  // truncate(5)
  EXPECT_EQ(pipeline.stable_index(), 4u);
  EXPECT_EQ(pipeline.durable_index(), 4u);
}

TEST_F(StoragePipelineTest, FailingCallStopsThePipelineAndIsReported) {
  log.hold(true);
  const Gate g = pipeline.append(entries(1, 1));
  pipeline.append(entries(2, 2));  // merges: one more call would follow
  pipeline.save_hard_state(HardState{2, 0});
  pipeline.send(to(2), g);
  run();
  log.fail();
  ASSERT_EQ(host.failures.size(), 1u);
  EXPECT_TRUE(host.failures[0].is_io_error()) << host.failures[0].to_string();
  EXPECT_NE(host.failures[0].message().find("scripted failure"), std::string::npos);
  EXPECT_FALSE(log.waiting()) << "nothing queued after the failure runs";
  EXPECT_EQ(log.calls().size(), 1u);
  EXPECT_TRUE(host.events.empty()) << "the held message never leaves";
  EXPECT_FALSE(pipeline.passed(g));
}

TEST_F(StoragePipelineTest, ReadsReturnEntriesAndAbandonedReadsAreDropped) {
  pipeline.append(entries(1, 4));
  run();
  std::vector<Entry> got;
  pipeline.read(2, 4, 1 << 20, [&](std::vector<Entry> es) { got = std::move(es); });
  run();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].index, 2u);
  EXPECT_EQ(got[1].data, "x3");
  log.hold(true);
  pipeline.save_hard_state(HardState{5, 0});
  bool called = false;
  pipeline.read(1, 2, 1 << 20, [&](std::vector<Entry>) { called = true; });
  pipeline.abandon_reads();
  run();
  log.complete();
  log.complete();
  EXPECT_FALSE(called);
}

TEST_F(StoragePipelineTest, CallbackThrowingAfterACallIsReportedAsInternal) {
  pipeline.append(entries(1, 1));
  run();
  pipeline.read(1, 2, 1 << 20, [](std::vector<Entry>) { throw std::runtime_error("boom"); });
  run();
  ASSERT_EQ(host.failures.size(), 1u);
  EXPECT_EQ(host.failures[0].code(), Status::Code::kInternal);
}

TEST_F(StoragePipelineTest, ClearDropsHeldMessages) {
  log.hold(true);
  pipeline.send(to(2), pipeline.append(entries(1, 1)));
  run();
  EXPECT_EQ(pipeline.held(), 1u);
  // Stop first (as the node does), then clear.
  scope.request_stop();
  log.complete();
  pipeline.clear();
  EXPECT_EQ(pipeline.held(), 0u);
  EXPECT_EQ(pipeline.queued(), 0u);
  EXPECT_TRUE(host.events.empty());
}

}  // namespace
}  // namespace coraft::node
