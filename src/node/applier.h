// Applier: hands committed entries to the StateMachine, in log order,
// exactly once per index, and completes the proposals waiting on them.
//
// Contract:
//  - Applies entry i only once i <= limit(): committed (Host::commit_index)
//    and stable (StoragePipeline::stable_index), so nothing is applied that
//    a crash could take back from this server's log.
//  - Entries come from the LogView's cache, or are read back through the
//    storage pipeline when evicted or never cached (after a restart).
//  - Batches: every committed, stable entry it has (up to max_batch), whose
//    commands go to StateMachine::apply_batch in one call; one call at a
//    time, on the node's executor. After the call, applied() advances over
//    the whole batch (commands, no-ops and configurations alike) and
//    ProposalTracker::complete runs for each entry, in order, with the
//    command's result, or leadership_lost for other kinds (they carry no
//    proposal).
//  - A StateMachine that throws, or returns a wrong number of results,
//    stops the node (Host::on_failure): an entry that cannot be applied is
//    never skipped.
//  - After each batch, applied entries beyond the cache budget are evicted.
#pragma once

#include <cstdint>
#include <stop_token>

#include "coraft/coro/executor.h"
#include "coraft/coro/task.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "node/log_view.h"
#include "node/proposals.h"
#include "node/storage_pipeline.h"
#include "node/wakeup.h"

namespace coraft::node {

class Applier {
 public:
  class Host {
   public:
    // Whether the node still applies (false once stopping or failed).
    virtual bool applying() const = 0;
    virtual Index commit_index() const = 0;
    virtual void on_failure(Status error) = 0;

   protected:
    ~Host() = default;
  };

  struct Options {
    std::uint64_t max_cache_bytes = 0;  // NodeOptions::max_cache_bytes
    std::uint64_t max_read_bytes = 0;   // one read-back of evicted entries
    std::size_t max_batch = 1024;       // NodeOptions::max_apply_batch
  };

  Applier(StateMachine& sm, LogView& log, StoragePipeline& storage, ProposalTracker& proposals,
          NodeCounters& counters, coro::Executor& ex, Host& host);

  // Before run(): the state machine has applied through `applied`.
  void reset(Index applied, Options options) {
    applied_ = applied;
    options_ = options;
  }
  Index applied() const { return applied_; }
  // The highest index that may be applied now.
  Index limit() const { return std::min(host_.commit_index(), storage_.stable_index()); }

  coro::Task<void> run(std::stop_token stop);
  // The commit or stable index may have moved.
  void wake() { wakeup_.notify(); }

 private:
  StateMachine& sm_;
  LogView& log_;
  StoragePipeline& storage_;
  ProposalTracker& proposals_;
  NodeCounters& counters_;
  coro::Executor& ex_;
  Host& host_;
  Options options_;
  Wakeup wakeup_;
  Index applied_ = 0;
};

}  // namespace coraft::node
