// Regression tests for bugs found by review and by the simulation campaign.
// Each names what went wrong.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/when_all.h"
#include "coraft/testing/forwarding.h"
#include "coraft/transport_api.h"
#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

using coraft::testing::ForwardingLog;
using coraft::testing::ForwardingStateMachine;

// stop() must complete; SimCluster::stop throws when it does not.
void expect_stops(SimCluster& c, NodeId id) {
  try {
    c.stop(id);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "server " << id << ": " << e.what();
  }
}

class SlowTruncateLog final : public ForwardingLog {
 public:
  SlowTruncateLog(LogAPI& inner, coro::Executor& ex, const bool* armed)
      : ForwardingLog(inner), ex_(ex), armed_(armed) {}
  coro::Task<void> truncate_suffix(Index from) override {
    if (*armed_) co_await coro::sleep_for(ex_, 50ms);
    co_await inner().truncate_suffix(from);
  }

 private:
  coro::Executor& ex_;
  const bool* armed_;
};

// A follower truncated a conflicting suffix and received the new leader's
// entries with a commit index covering them; while the truncation was still
// queued, an older append's completion made the node count the stale
// on-disk entries as durable, and it applied the new entries although its
// disk still held the old ones. A crash then restarted a durable state
// machine ahead of a different log. The simulator now checks after every
// step that applied entries are in the server's own durable log.
// @feature crash-recovery log-repair
TEST(Regression, FollowerNeverAppliesEntriesAheadOfAQueuedTruncation) {
  auto armed = std::make_shared<bool>(false);
  SimOptions o = sim_options(5, 11);
  SimCluster* cp = nullptr;
  o.wrap_log = [armed, &cp](NodeId id, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<SlowTruncateLog>(inner, cp->executor(id), armed.get());
  };
  SimCluster c(o);
  cp = &c;
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(l, "base").ok());
  c.run_for(100ms);
  std::vector<NodeId> rest;
  NodeId f = kNoNode;
  for (NodeId id : c.ids()) {
    if (id == l) continue;
    if (f == kNoNode) {
      f = id;
    } else {
      rest.push_back(id);
    }
  }
  // The old leader writes entries only `f` receives.
  c.partition({{l, f}, rest});
  for (int i = 0; i < 4; ++i) c.propose(l, "old" + std::to_string(i));
  c.run_for(100ms);
  NodeId fresh = kNoNode;
  ASSERT_TRUE(c.run_until(
      [&] {
        for (NodeId id : rest) {
          if (c.node(id).is_leader()) fresh = id;
        }
        return fresh != kNoNode;
      },
      5s));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c.propose_and_wait(fresh, "new" + std::to_string(i)).ok());
  // `f` joins the majority; its truncation is slow.
  *armed = true;
  std::vector<NodeId> majority = rest;
  majority.push_back(f);
  c.partition({{l}, majority});
  ASSERT_TRUE(c.run_until([&] { return c.node(f).applied_index() >= c.node(fresh).commit_index(); }, 3s));
  for (Index i = 1; i <= c.node(f).applied_index(); ++i) {
    ASSERT_NE(c.durable_log(f).entry(i), nullptr);
    EXPECT_EQ(c.durable_log(f).entry(i)->term, c.node(f).log_term_at(i)) << "index " << i;
  }
  EXPECT_TRUE(c.checker().ok());
}

class SlowReadLog final : public ForwardingLog {
 public:
  SlowReadLog(LogAPI& inner, coro::Executor& ex) : ForwardingLog(inner), ex_(ex) {}
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override {
    co_await coro::sleep_for(ex_, 5ms);
    std::vector<Entry> out = co_await inner().read(from, to, max_bytes);
    co_return out;
  }

 private:
  coro::Executor& ex_;
};

// stop() joined the applier, which waited for a LogAPI::read whose callback
// was never called once the storage worker had stopped: stop() never ended.
// @feature failures crash-recovery
TEST(Regression, StopCompletesWhileTheApplierWaitsForARead) {
  SimOptions o = sim_options(3, 7);
  SimCluster* cp = nullptr;
  o.wrap_log = [&cp](NodeId id, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<SlowReadLog>(inner, cp->executor(id));
  };
  SimCluster c(o);
  cp = &c;
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(l, "x").ok());
  const NodeId f = l == 1 ? 2 : 1;
  c.restart(f);  // its applier reads the log back
  c.run_for(1ms);
  expect_stops(c, f);
}

class FailingReadLog final : public ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override {
    if (++calls_ > 1) throw std::runtime_error("read failed");
    return inner().read(from, to, max_bytes);
  }

 private:
  int calls_ = 0;
};

// @feature failures
TEST(Regression, StopCompletesAfterAReadFailure) {
  SimOptions o = sim_options(3, 7);
  auto arm = std::make_shared<bool>(false);
  o.wrap_log = [arm](NodeId, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    if (*arm) return std::make_unique<FailingReadLog>(inner);
    return std::make_unique<ForwardingLog>(inner);
  };
  SimCluster c(o);
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(l, "x").ok());
  const NodeId f = l == 1 ? 2 : 1;
  *arm = true;
  c.restart(f);
  c.run_for(10ms);
  EXPECT_FALSE(c.node(f).running());
  EXPECT_TRUE(c.node(f).status().error.is_io_error()) << c.node(f).status().error.to_string();
  expect_stops(c, f);
}

NodeOptions solo(NodeId id) {
  NodeOptions no;
  no.id = id;
  no.initial_config.voters = {id};
  no.random_seed = 5;
  return no;
}

// start() after stop() on the same object kept stale storage sequence
// numbers and muted the node. A RaftNode now starts once.
// @feature failures
TEST(Regression, ARaftNodeStartsOnlyOnce) {
  coro::ManualExecutor ex;
  assist::MemoryLog log;
  NullTransport tr;
  NullStateMachine sm;
  RaftNode node(solo(1), log, tr, sm, ex);
  ASSERT_TRUE(coro::sync_wait(ex, node.start()).is_ok());
  coro::sync_wait(ex, node.stop());
  const Status again = coro::sync_wait(ex, node.start());
  EXPECT_TRUE(again.is_invalid_argument()) << again.to_string();
  // A new RaftNode over the same log starts fine.
  RaftNode fresh(solo(1), log, tr, sm, ex);
  EXPECT_TRUE(coro::sync_wait(ex, fresh.start()).is_ok());
  coro::sync_wait(ex, fresh.stop());
}

// Two stop() calls at once: the second used to replace the first's join.
// @feature failures
TEST(Regression, ConcurrentStopsBothComplete) {
  coro::ManualExecutor ex;
  assist::MemoryLog log;
  NullTransport tr;
  NullStateMachine sm;
  RaftNode node(solo(1), log, tr, sm, ex);
  ASSERT_TRUE(coro::sync_wait(ex, node.start()).is_ok());
  coro::sync_wait(ex, coro::when_all(node.stop(), node.stop()));
  EXPECT_FALSE(node.running());
}

// A new commit index waited for the next heartbeat to reach idle followers.
// @feature commit
TEST(Regression, IdleFollowersLearnACommitBeforeTheNextHeartbeat) {
  SimOptions o = sim_options(3, 3);
  o.settings.heartbeat_interval = 100ms;
  o.settings.election_timeout_min = 300ms;
  o.settings.election_timeout_max = 600ms;
  SimCluster c(o);
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  c.run_for(300ms);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.propose_and_wait(l, "v" + std::to_string(i)).ok());
    const Index commit = c.node(l).commit_index();
    for (NodeId f : c.ids()) {
      if (f == l) continue;
      // Link latency is at most 5 ms: well before a 100 ms heartbeat.
      EXPECT_TRUE(c.run_until([&] { return c.node(f).commit_index() >= commit; }, 15ms)) << "follower " << f;
    }
    c.run_for(37ms);
  }
}

// A throwing listener used to kill the coroutine that emitted the event
// (the ticker: no more elections or heartbeats). It now stops the node with
// an internal error.
// @feature failures
TEST(Regression, AThrowingListenerStopsTheNodeWithAnError) {
  SimOptions o = sim_options(3, 9);
  o.node_errors_are_violations = false;  // provoked on purpose
  SimCluster c(o);
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  for (NodeId id : c.ids()) {
    c.node(id).subscribe([](const NodeEvent& e) {
      if (e.kind == NodeEvent::Kind::kElectionTimeout) throw std::runtime_error("listener bug");
    });
  }
  c.run_for(1s);
  int failed = 0;
  for (NodeId id : c.ids()) {
    if (!c.node(id).running()) {
      ++failed;
      EXPECT_NE(c.node(id).status().error.message().find("listener bug"), std::string::npos);
    }
  }
  EXPECT_GE(failed, 1);
  for (NodeId id : c.ids()) EXPECT_NO_THROW(c.stop(id));
}

// Subscribing from inside a listener reallocated the list being iterated.
// @feature failures
TEST(Regression, AListenerMaySubscribeFromInsideAnEvent) {
  SimCluster c(sim_options(3, 10));
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  auto count = std::make_shared<int>(0);
  for (NodeId id : c.ids()) {
    RaftNode* n = &c.node(id);
    n->subscribe([n, count](const NodeEvent&) {
      for (int i = 0; i < 8; ++i) n->subscribe([count](const NodeEvent&) { ++*count; });
    });
  }
  ASSERT_NE(c.wait_for_leader(), kNoNode);
  c.run_for(200ms);
  EXPECT_GT(*count, 0);
}

}  // namespace
}  // namespace coraft::test
