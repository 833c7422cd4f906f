// RaftNode's implementation: the glue between the components.
//
// The node itself holds the state of Figure 2 (role, term, vote, leader,
// commit index) and the protocol rules: message dispatch and the term rules
// of §5.1 (node.cc), elections, PreVote and CheckQuorum (election.cc), and
// replication and commitment (replication.cc). It calls on components that
// each keep one concern and state their contract in their header:
//   quorum::JointConfig      what a quorum decided (src/quorum)
//   tracker::ProgressTracker each peer's progress, and the votes (src/tracker)
//   node::LogView            terms, configurations and cached entries in memory
//   node::StoragePipeline    the serial LogAPI queue and durability-gated sends
//   node::ProposalTracker    proposals waiting for their entries
//   node::Applier            committed entries into the StateMachine
//
// The protocol logic is synchronous: it runs inside receive(), propose() and
// timer ticks, changes the in-memory state, queues LogAPI work and sends the
// messages whose durable preconditions hold. Five coroutines do the waiting:
// the ticker (election, heartbeat and CheckQuorum timers), the storage
// worker, the applier, the flusher (batched sends after proposals) and the
// proposal tracker's deadline timer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "coraft/coro/executor.h"
#include "coraft/coro/future.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coraft/log_api.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "coraft/transport_api.h"
#include "node/applier.h"
#include "node/log_view.h"
#include "node/proposals.h"
#include "node/storage_pipeline.h"
#include "node/wakeup.h"
#include "tracker/tracker.h"

namespace coraft {

class RaftNode::Impl final : private node::StoragePipeline::Host, private node::Applier::Host {
 public:
  Impl(NodeOptions options, LogAPI& log, TransportAPI& transport, StateMachine& sm, coro::Executor& ex);
  ~Impl();

  // ---- node.cc ----
  coro::Task<Status> start();
  coro::Task<void> stop();
  void receive(Message m);
  Status campaign_now();
  void propose(Payload command, ProposeCallback done, coro::Duration timeout);
  coro::Task<Result<Bytes>> propose_task(Payload command, coro::Duration timeout);
  NodeStatus status() const;
  void subscribe(EventListener l) { listeners_.push_back(std::move(l)); }
  const NodeCounters& counters() const { return counters_; }
  NodeId id() const { return id_; }
  std::uint64_t cluster() const { return cluster_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  bool running() const { return running_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  Term last_log_term() const { return log_.last_term(); }
  Index commit_index() const override { return commit_; }
  Index applied_index() const { return applier_.applied(); }
  Index last_log_index() const { return log_.last_index(); }
  std::optional<Term> log_term_at(Index i) const { return log_.term_at(i); }

 private:
  // ---- node.cc ----
  void dispatch(Message m);
  void become_follower(Term term, NodeId leader);
  void set_leader(NodeId leader);
  void set_role(Role role);
  void emit(NodeEvent::Kind kind);
  void fail(Status error);
  const ClusterSettings& settings() const { return log_.config().settings; }
  const std::vector<NodeId>& voters() const { return tracker_.config().incoming().voters(); }
  bool is_voter(NodeId id) const { return tracker_.is_voter(id); }
  // Points the tracker at the latest configuration in the log, if it changed.
  void sync_config();
  node::Gate persist_hard_state() { return storage_.save_hard_state(HardState{term_, vote_}); }
  // Sends now if `gate` passed, else once it does.
  void send(NodeId to, MessageBody body, node::Gate gate) {
    storage_.send(Message{id_, to, std::move(body), cluster_}, gate);
  }
  // A message of another cluster: counted, reported once per sender.
  void reject_foreign(const Message& m);

  // StoragePipeline::Host and Applier::Host.
  void deliver(Message m) override;
  void on_durable(Index through, std::size_t entries) override;
  void on_failure(Status error) override { fail(std::move(error)); }
  bool applying() const override { return running_; }

  // ---- election.cc ----
  coro::Task<void> ticker();
  void on_tick();
  coro::TimePoint next_deadline() const;
  void reset_election_deadline();
  void campaign(bool pre_vote);
  void become_candidate();
  void become_leader();
  bool log_up_to_date(Index last_index, Term last_term) const;
  bool leader_recently_heard() const;
  void handle_request_vote(NodeId from, const RequestVote& rv);
  void handle_vote_response(NodeId from, const RequestVoteResponse& r);
  void check_quorum();

  // ---- replication.cc ----
  void handle_append_entries(NodeId from, AppendEntries ae);
  void handle_append_response(NodeId from, const AppendEntriesResponse& r);
  void send_append(tracker::Progress& p, bool heartbeat);
  void send_keepalive(tracker::Progress& p);
  void broadcast_append(bool heartbeat);
  void maybe_commit();
  void set_commit(Index index);
  coro::Task<void> flusher();
  void schedule_flush();

  // Calls user code (listeners, callbacks, the transport); an exception it
  // throws stops the node with an internal error instead of killing one of
  // its coroutines.
  template <typename F>
  void call_user(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      fail(Status::internal(std::string(what) + " threw: " + e.what()));
    } catch (...) {
      fail(Status::internal(std::string(what) + " threw"));
    }
  }

  // Configuration and collaborators.
  NodeOptions options_;
  NodeId id_;
  LogAPI& log_api_;
  TransportAPI& transport_;
  StateMachine& sm_;
  coro::Executor& ex_;
  std::unique_ptr<coro::TaskScope> scope_;
  std::vector<EventListener> listeners_;
  NodeCounters counters_;
  std::mt19937_64 rng_;

  bool running_ = false;
  bool stopping_ = false;
  bool started_once_ = false;
  std::vector<coro::Promise<void>> stop_waiters_;  // concurrent stop() calls
  Status error_;

  // This cluster's identity, and the senders of other clusters reported.
  std::uint64_t cluster_ = 0;
  NodeId last_foreign_sender_ = kNoNode;
  std::uint64_t last_foreign_cluster_ = 0;
  std::vector<NodeId> foreign_reported_;

  // Figure 2 state (the log is log_ in memory, LogAPI durably).
  Role role_ = Role::kFollower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Index commit_ = 0;
  node::LogView log_;

  // The configuration in effect, peers' progress and votes.
  tracker::ProgressTracker tracker_;
  Index tracked_config_index_ = 0;

  // Elections and timers.
  coro::TimePoint election_deadline_{};
  coro::TimePoint last_leader_contact_{};  // follower: last valid AppendEntries; leader: last quorum check
  coro::TimePoint next_heartbeat_{};
  coro::TimePoint next_quorum_check_{};
  node::Wakeup ticker_wakeup_;

  // Batched sends after proposals.
  bool flush_scheduled_ = false;
  node::Wakeup flush_wakeup_;

  node::StoragePipeline storage_;
  node::ProposalTracker proposals_;
  node::Applier applier_;
};

}  // namespace coraft
