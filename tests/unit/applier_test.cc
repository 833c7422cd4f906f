// Unit tests for node::Applier: it applies only what is committed and
// stable, in order, once; reads evicted entries back; completes proposals;
// stops on a failing state machine.
#include "node/applier.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task_scope.h"
#include "unit/scripted_log.h"

namespace coraft::node {
namespace {

class RecordingSM final : public StateMachine {
 public:
  std::vector<std::pair<Index, Bytes>> applied;
  std::vector<std::vector<Index>> batches;  // each apply_batch call's indexes
  Index throw_at = 0;
  bool drop_a_result = false;
  coro::Task<std::vector<Bytes>> apply_batch(std::vector<Command> commands) override {
    std::vector<Index> idx;
    for (const auto& c : commands) idx.push_back(c.index);
    batches.push_back(idx);
    std::vector<Bytes> r = co_await StateMachine::apply_batch(std::move(commands));
    if (drop_a_result) r.pop_back();
    co_return r;
  }
  coro::Task<Bytes> apply(Index index, Payload command) override {
    if (index == throw_at) throw std::runtime_error("disk full");
    applied.emplace_back(index, command);
    co_return "r" + std::to_string(index);
  }
  Index applied_index() const override { return applied.empty() ? 0 : applied.back().first; }
};

class Host final : public StoragePipeline::Host, public Applier::Host {
 public:
  Index commit = 0;
  bool on = true;
  std::vector<Status> failures;
  void deliver(Message) override {}
  void on_durable(Index, std::size_t) override {}
  void on_failure(Status error) override {
    failures.push_back(error);
    on = false;
  }
  bool applying() const override { return on; }
  Index commit_index() const override { return commit; }
};

class ApplierTest : public ::testing::Test {
 protected:
  ApplierTest() {
    view.reset(1);
    applier.reset(0, Applier::Options{/*max_cache_bytes=*/0, /*max_read_bytes=*/1 << 20});
    scope.spawn(storage.run(scope.stop_token()));
    scope.spawn(applier.run(scope.stop_token()));
  }
  ~ApplierTest() override {
    scope.request_stop();
    storage.wake();
    applier.wake();
    while (log.waiting()) log.complete();
    coro::sync_wait(ex, scope.join());
  }
  // Appends entries to the view (cached) and to the log through the pipeline.
  void append(Index from, Index to, EntryType type = EntryType::kCommand) {
    std::vector<Entry> es;
    for (Index i = from; i <= to; ++i) {
      Entry e{1, i, type, "c" + std::to_string(i)};
      view.append(e, true);
      es.push_back(std::move(e));
    }
    storage.append(std::move(es));
  }
  void commit(Index c) {
    host.commit = c;
    applier.wake();
    ex.run_until_idle();
  }
  std::vector<Index> applied_indexes() const {
    std::vector<Index> v;
    for (const auto& [i, c] : sm.applied) v.push_back(i);
    return v;
  }

  coro::ManualExecutor ex;
  unit::ScriptedLog log{ex};
  Host host;
  LogView view;
  StoragePipeline storage{log, ex, host};
  std::vector<std::string> results;
  ProposalTracker proposals{ex, [](ProposeCallback& done, Result<Bytes> r) { done(std::move(r)); }};
  NodeCounters counters;
  RecordingSM sm;
  Applier applier{sm, view, storage, proposals, counters, ex, host};
  coro::TaskScope scope{ex};
};

TEST_F(ApplierTest, AppliesCommittedEntriesInOrderOnce) {
  append(1, 5);
  ex.run_until_idle();
  commit(3);
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{1, 2, 3}));
  commit(3);
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{1, 2, 3})) << "nothing twice";
  commit(5);
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{1, 2, 3, 4, 5}));
  EXPECT_EQ(applier.applied(), 5u);
  EXPECT_EQ(counters.entries_applied, 5u);
}

TEST_F(ApplierTest, NeverAppliesBeyondTheStableIndex) {
  // Committed (a quorum holds it) but not yet durable here: a crash could
  // take it back from this server's log, so it waits (thesis §10.2.1).
  log.hold(true);
  append(1, 4);
  ex.run_until_idle();
  commit(4);
  EXPECT_TRUE(sm.applied.empty());
  EXPECT_EQ(applier.limit(), 0u);
  log.complete();
  applier.wake();
  ex.run_until_idle();
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{1, 2, 3, 4}));
}

TEST_F(ApplierTest, NonCommandEntriesAdvanceWithoutTheStateMachine) {
  append(1, 1, EntryType::kNoop);
  append(2, 2);
  ex.run_until_idle();
  commit(2);
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{2}));
  EXPECT_EQ(applier.applied(), 2u);
}

TEST_F(ApplierTest, CompletesTheProposalOfEachAppliedEntry) {
  append(1, 2);
  proposals.add(
      2, 1, [&](Result<Bytes> r) { results.push_back(r.ok() ? r.value() : r.status().to_string()); },
      std::nullopt);
  ex.run_until_idle();
  commit(2);
  EXPECT_EQ(results, (std::vector<std::string>{"r2"}));
}

TEST_F(ApplierTest, EntriesNotInTheCacheAreReadBackThroughTheLog) {
  append(1, 2);
  ex.run_until_idle();
  commit(2);
  // A zero cache budget evicted the applied entries.
  EXPECT_EQ(view.cached(1), nullptr);
  // Entries 3..6 are in LogAPI and known to the view only by term, as after
  // a restart.
  std::vector<Entry> es;
  for (Index i = 3; i <= 6; ++i) {
    Entry e{1, i, EntryType::kCommand, "c" + std::to_string(i)};
    view.append_meta(e);
    es.push_back(std::move(e));
  }
  storage.append(std::move(es));
  ex.run_until_idle();
  commit(6);
  EXPECT_EQ(applied_indexes(), (std::vector<Index>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(log.calls().back().what, "read");
  EXPECT_EQ(log.calls().back().from, 3u);
  EXPECT_EQ(sm.applied[4].second, "c5") << "the bytes came back from the log";
}

TEST_F(ApplierTest, FailingStateMachineStopsApplyingAndIsReported) {
  sm.throw_at = 2;
  append(1, 3);
  ex.run_until_idle();
  commit(3);
  // The batch 1..3 failed as a whole: the node applied none of it (the
  // state machine's own partial work is its business, see apply_batch).
  EXPECT_EQ(applier.applied(), 0u) << "entry 2 is never skipped";
  ASSERT_EQ(host.failures.size(), 1u);
  EXPECT_TRUE(host.failures[0].is_io_error());
}

TEST_F(ApplierTest, CommandsReachTheStateMachineInBatches) {
  append(1, 3);
  append(4, 4, EntryType::kNoop);
  append(5, 6);
  ex.run_until_idle();
  commit(6);
  // One call with every command that was ready; the no-op is not in it.
  ASSERT_EQ(sm.batches.size(), 1u);
  EXPECT_EQ(sm.batches[0], (std::vector<Index>{1, 2, 3, 5, 6}));
  EXPECT_EQ(applier.applied(), 6u);
}

TEST_F(ApplierTest, BatchesAreCappedAtMaxBatch) {
  applier.reset(0, Applier::Options{0, 1 << 20, /*max_batch=*/2});
  append(1, 5);
  ex.run_until_idle();
  commit(5);
  EXPECT_EQ(sm.batches, (std::vector<std::vector<Index>>{{1, 2}, {3, 4}, {5}}));
}

TEST_F(ApplierTest, WrongNumberOfResultsStopsTheNode) {
  sm.drop_a_result = true;
  append(1, 2);
  ex.run_until_idle();
  commit(2);
  ASSERT_EQ(host.failures.size(), 1u);
  EXPECT_EQ(host.failures[0].code(), Status::Code::kInternal);
  EXPECT_EQ(applier.applied(), 0u);
}

}  // namespace
}  // namespace coraft::node
