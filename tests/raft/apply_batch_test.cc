// Batched apply (StateMachine::apply_batch) across crashes: a state machine
// that applies each batch as one transaction, recording the applied index
// once, never re-applies or skips an index however the crashes fall.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "coraft/coro/sleep.h"
#include "coraft/testing/forwarding.h"
#include "raft/sim_helpers.h"

namespace coraft::test {
namespace {

// What survives a crash: the state a database would hold.
struct DurableState {
  Index applied = 0;
  std::vector<Index> history;  // every committed index, in commit order
  std::vector<std::string> errors;
  std::size_t started = 0;  // batches begun (a crash may lose one)
  std::size_t batches = 0;  // batches committed
  std::size_t largest_batch = 0;
};

// Applies a batch as one transaction that takes 2 ms (a crash inside it
// loses the whole batch), then checks it continues the log exactly.
class TransactionalStateMachine final : public coraft::testing::ForwardingStateMachine {
 public:
  TransactionalStateMachine(StateMachine& inner, DurableState& durable, coro::Executor& ex,
                            const assist::MemoryLog& log)
      : ForwardingStateMachine(inner), durable_(durable), ex_(ex), log_(log) {}

  coro::Task<std::vector<Bytes>> apply_batch(std::vector<Command> commands) override {
    ++durable_.started;
    co_await coro::sleep_for(ex_, 2ms);
    // Commit: the batch must start at the command right after the applied
    // index, and follow the log's commands without a gap.
    Index expect = durable_.applied + 1;
    std::vector<Bytes> results;
    for (Command& c : commands) {
      while (expect < c.index && log_.entry(expect) && log_.entry(expect)->type != EntryType::kCommand)
        ++expect;
      if (c.index != expect) {
        durable_.errors.push_back("applied " + std::to_string(c.index) + " where " + std::to_string(expect) +
                                  " was next (after " + std::to_string(durable_.applied) + ")");
      }
      expect = c.index + 1;
      Bytes r = co_await inner().apply(c.index, std::move(c.data));
      results.push_back(std::move(r));
      durable_.history.push_back(c.index);
    }
    durable_.applied = commands.back().index;
    ++durable_.batches;
    durable_.largest_batch = std::max(durable_.largest_batch, commands.size());
    co_return results;
  }
  Index applied_index() const override { return durable_.applied; }

 private:
  DurableState& durable_;
  coro::Executor& ex_;
  const assist::MemoryLog& log_;
};

// @feature crash-recovery
TEST(ApplyBatch, BatchesAreNeverSplitAcrossACrash) {
  std::size_t largest = 0;
  std::size_t lost = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    std::map<NodeId, DurableState> durable;
    SimCluster* cluster = nullptr;
    SimOptions o = sim_options(3, seed, settings_with(true, true));
    o.min_disk_latency = 100us;
    o.max_disk_latency = 1ms;
    o.wrap_state_machine = [&](NodeId id, StateMachine& inner) -> std::unique_ptr<StateMachine> {
      return std::make_unique<TransactionalStateMachine>(inner, durable[id], cluster->executor(id),
                                                         cluster->durable_log(id));
    };
    SimCluster c(o);
    cluster = &c;
    c.start();
    std::mt19937_64 rng(seed);
    int proposed = 0;
    // 2 s of load with a crash every ~60 ms, each server back 15 ms later.
    for (int tick = 0; tick < 2000; ++tick) {
      if (const NodeId l = c.leader(); l != kNoNode) {
        for (int k = 0; k < 4; ++k) c.propose(l, "v" + std::to_string(proposed++));
      }
      if (tick % 60 == 30) c.crash(1 + rng() % 3);
      if (tick % 60 == 45) {
        for (NodeId id : c.ids()) {
          if (!c.is_up(id)) c.restart(id);
        }
      }
      c.run_for(1ms);
    }
    for (NodeId id : c.ids()) {
      if (!c.is_up(id)) c.restart(id);
    }
    ASSERT_EQ(c.wait_for_convergence(10s), "") << seed_of(c);
    for (NodeId id : c.ids()) {
      const DurableState& d = durable[id];
      EXPECT_TRUE(d.errors.empty()) << seed_of(c) << " node " << id << ": " << d.errors.front();
      for (std::size_t k = 1; k < d.history.size(); ++k) {
        ASSERT_LT(d.history[k - 1], d.history[k])
            << seed_of(c) << " node " << id << ": an index applied twice";
      }
      // No index skipped: every command of the log up to the applied index
      // is in the history (which holds no index twice).
      std::size_t commands = 0;
      for (Index i = 1; i <= d.applied; ++i) {
        if (c.durable_log(id).entry(i)->type == EntryType::kCommand) ++commands;
      }
      EXPECT_EQ(d.history.size(), commands) << seed_of(c) << " node " << id;
      // The node's applied index is the state machine's, or beyond it only
      // over entries the state machine never sees.
      ASSERT_LE(d.applied, c.node(id).applied_index()) << seed_of(c);
      for (Index i = d.applied + 1; i <= c.node(id).applied_index(); ++i) {
        EXPECT_NE(c.durable_log(id).entry(i)->type, EntryType::kCommand) << seed_of(c) << " index " << i;
      }
      largest = std::max(largest, d.largest_batch);
      lost += d.started - d.batches;
    }
  }
  // The scenario did what it is for: batches of many commands, and batches
  // lost to a crash in the middle of their transaction.
  std::printf("largest batch %zu, batches lost to a crash %zu\n", largest, lost);
  EXPECT_GT(largest, 1u);
  EXPECT_GT(lost, 0u);
}

}  // namespace
}  // namespace coraft::test
