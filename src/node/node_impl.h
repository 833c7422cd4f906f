// RaftNode's implementation. One class holds the state of Figure 2; its
// methods are split by concern across files:
//   node.cc         start, stop, status, events, message dispatch, term rules (§5.1)
//   election.cc     timers, PreVote (thesis §9.6), votes (§5.2, §5.4.1), CheckQuorum (thesis §6.2)
//   replication.cc  leader sends, follower AppendEntries (§5.3), commit (§5.4.2)
//   storage.cc      the serial LogAPI pipeline and persistence-gated sends
//   apply.cc        proposals and the apply pipeline
//
// The protocol logic is synchronous: it runs inside receive(), propose() and
// timer ticks, changes the in-memory state, queues LogAPI work and sends the
// messages whose durable preconditions hold. Four coroutines do the waiting:
// the ticker (timers), the storage worker (LogAPI calls, one at a time), the
// applier (StateMachine calls, in log order) and the flusher (batched sends
// after proposals).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "coraft/coro/executor.h"
#include "coraft/coro/future.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coraft/log_api.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "coraft/transport_api.h"
#include "node/log_view.h"
#include "node/progress.h"
#include "node/wakeup.h"

namespace coraft {

class RaftNode::Impl {
 public:
  Impl(NodeOptions options, LogAPI& log, TransportAPI& transport, StateMachine& sm, coro::Executor& ex);
  ~Impl();

  // ---- node.cc ----
  coro::Task<Status> start();
  coro::Task<void> stop();
  void receive(Message m);
  NodeStatus status() const;
  void subscribe(EventListener l) { listeners_.push_back(std::move(l)); }
  const NodeCounters& counters() const { return counters_; }
  NodeId id() const { return id_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  bool running() const { return running_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  Term last_log_term() const { return log_.last_term(); }
  Index commit_index() const { return commit_; }
  Index applied_index() const { return applied_; }
  Index last_log_index() const { return log_.last_index(); }
  std::optional<Term> log_term_at(Index i) const { return log_.term_at(i); }

  // ---- apply.cc ----
  void propose(Bytes command, ProposeCallback done, coro::Duration timeout);
  coro::Task<Result<Bytes>> propose_task(Bytes command, coro::Duration timeout);

 private:
  // A proposal waiting for its entry to apply.
  struct Deadline {
    Index index;
    std::uint64_t id;
  };
  struct Pending {
    Term term;
    std::uint64_t id;
    ProposeCallback done;
    std::optional<std::multimap<coro::TimePoint, Deadline>::iterator> deadline;
  };
  using PendingMap = std::multimap<Index, Pending>;

  // ---- node.cc ----
  void dispatch(Message m);
  void become_follower(Term term, NodeId leader);
  void set_leader(NodeId leader);
  void set_role(Role role);
  void emit(NodeEvent::Kind kind);
  void fail(Status error);
  const ClusterSettings& settings() const { return log_.config().settings; }
  const std::vector<NodeId>& voters() const { return log_.config().voters; }
  bool is_voter(NodeId id) const { return log_.config().contains(id); }

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
  void send_append(node::Progress& p, bool heartbeat);
  void send_keepalive(node::Progress& p);
  void broadcast_append(bool heartbeat);
  void maybe_commit();
  void set_commit(Index index);
  coro::Task<void> flusher();
  void schedule_flush();
  node::Progress* progress(NodeId id);

  // ---- storage.cc ----
  struct StorageOp {
    enum class Kind : std::uint8_t { kHardState, kAppend, kTruncate, kRead };
    Kind kind = Kind::kHardState;
    std::uint64_t seq = 0;
    HardState hard_state;
    std::vector<Entry> entries;
    Index from = 0;
    Index to = 0;
    std::function<void(std::vector<Entry>)> on_read;
  };
  std::uint64_t persist_hard_state();
  std::uint64_t persist_entries(std::vector<Entry> entries);
  std::uint64_t persist_truncate(Index from);
  void read_entries(Index from, Index to, std::function<void(std::vector<Entry>)> done);
  std::uint64_t enqueue(StorageOp op);
  coro::Task<void> storage_worker();
  void on_persisted(const StorageOp& op);
  // Sends now if everything up to `gate` is durable, else queues until it is.
  void send(NodeId to, MessageBody body, std::uint64_t gate);
  void release_outbox();

  // ---- apply.cc ----
  coro::Task<void> applier();
  void fail_all_pending(const Status& status);
  void complete_pending(Index index, Term term, Result<Bytes> outcome);
  void fail_pending_older_than(Term term);
  // Removes a pending proposal and returns its callback.
  ProposeCallback take_pending(PendingMap::iterator it);
  void expire_proposals(coro::TimePoint now);
  Index apply_limit() const { return std::min(commit_, stable_index()); }
  // The last index up to which LogAPI durably holds exactly the entries of
  // the in-memory log: durable, and not above a truncation still queued.
  Index stable_index() const { return std::min(durable_index_, pending_truncate_from_ - 1); }
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
  // Drops the callbacks of queued LogAPI reads (their waiters then see a
  // broken promise): used when stopping, so nobody waits on a read that
  // will never run.
  void abandon_reads();

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

  // Figure 2 state.
  Role role_ = Role::kFollower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Index commit_ = 0;
  Index applied_ = 0;
  node::LogView log_;

  // Elections.
  coro::TimePoint election_deadline_{};
  coro::TimePoint last_leader_contact_{};  // follower: last valid AppendEntries; leader: last quorum check
  std::vector<NodeId> votes_granted_;
  node::Wakeup ticker_wakeup_;

  // Leader state.
  std::vector<node::Progress> peers_;
  coro::TimePoint next_heartbeat_{};
  coro::TimePoint next_quorum_check_{};
  std::vector<Index> match_scratch_;
  std::vector<Index> sort_scratch_;
  bool flush_scheduled_ = false;
  node::Wakeup flush_wakeup_;

  // Storage pipeline.
  std::deque<StorageOp> storage_queue_;
  bool storage_running_ = false;  // the worker is inside a LogAPI call for the front op
  std::uint64_t next_seq_ = 1;
  std::uint64_t persisted_seq_ = 0;
  std::uint64_t hard_state_seq_ = 0;  // the latest hard-state write
  Index durable_index_ = 0;           // last index LogAPI holds durably
  // The lowest `from` of a queued truncation not yet done: entries at and
  // above it differ between memory and LogAPI.
  static constexpr Index kNoTruncate = ~Index{0};
  Index pending_truncate_from_ = kNoTruncate;
  node::Wakeup storage_wakeup_;
  struct Gated {
    std::uint64_t gate;
    Message message;
  };
  std::deque<Gated> outbox_;

  // Proposals waiting for their entry to apply, by index.
  // Several proposals can wait on one index: a leader's entry may be
  // overwritten and the server, leader again, propose at that index anew.
  // Each resolves when its index is applied: with its result when the
  // applied entry is its own (same term), else with leadership_lost.
  PendingMap pending_;
  std::map<Term, std::size_t> pending_terms_;  // how many pending proposals per term
  std::uint64_t next_proposal_id_ = 1;
  std::multimap<coro::TimePoint, Deadline> deadlines_;  // proposals with a timeout
  node::Wakeup apply_wakeup_;
};

}  // namespace coraft
