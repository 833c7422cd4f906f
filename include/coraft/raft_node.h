// RaftNode: one server's Raft logic.
//
// Pure logic: it calls the application's LogAPI, TransportAPI and
// StateMachine and never opens a socket, a file or a thread. All of its
// coroutines run on the Executor it is given, and every public method must be
// called on that executor's thread (from another thread, hop over with
// EventLoop::dispatch or post).
//
//   RaftNode node(options, log, transport, state_machine, executor);
//   co_await node.start();
//   Result<Bytes> r = co_await node.propose("set x 1");
//   ...
//   co_await node.stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "coraft/config.h"
#include "coraft/coro/executor.h"
#include "coraft/coro/task.h"
#include "coraft/messages.h"
#include "coraft/status.h"
#include "coraft/types.h"

namespace coraft {

class LogAPI;
class TransportAPI;
class StateMachine;

struct NodeOptions {
  // This server's id: non-zero, and one of the voters of initial_config.
  NodeId id = kNoNode;
  // The configuration a brand-new cluster starts with. Written to the log as
  // entry 1 when the log is empty; ignored when the log already holds one.
  // Every server of the new cluster must be given the same value.
  ClusterConfig initial_config;
  // Seeds the election-timeout randomness. 0: derived from the id and the
  // executor's clock. Simulations pass an explicit seed. Default: 0.
  std::uint64_t random_seed = 0;
  // The in-memory entry cache: unapplied entries are always kept; applied
  // ones stay (for followers slightly behind) while the whole cache holds at
  // most this many bytes (each entry counted with its payload's whole
  // footprint in memory), and are read back through LogAPI::read once
  // evicted. Default: 64 MiB.
  std::uint64_t max_cache_bytes = 64u << 20;
  // Most proposals waiting for commit on this leader; more fail with
  // Status::unavailable. Default: 100,000.
  std::size_t max_pending_proposals = 100'000;
  // Most commands in one StateMachine::apply_batch call (a state machine
  // over a database applies each batch in one transaction). Default: 1024.
  std::size_t max_apply_batch = 1024;
};

struct PeerStatus {
  NodeId id = kNoNode;
  Index match_index = 0;
  Index next_index = 0;
  bool replicating = false;  // pipelining (true) or probing (false)
  std::uint32_t inflight_messages = 0;
  // When this leader last heard from the peer (leader only).
  coro::TimePoint last_contact{};
};

struct NodeStatus {
  NodeId id = kNoNode;
  bool running = false;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId vote = kNoNode;
  NodeId leader = kNoNode;
  Index commit_index = 0;
  Index applied_index = 0;
  Index last_log_index = 0;
  Term last_log_term = 0;
  // The last index up to which LogAPI durably holds exactly this node's log
  // (durable, and below any truncation still queued).
  Index durable_index = 0;
  ClusterConfig config;
  // This cluster's identity (cluster_fingerprint of entry 1's
  // configuration), carried by every message this node sends.
  std::uint64_t cluster = 0;
  // The last message dropped because it carried another cluster's
  // identity: its sender and that identity (0 when none was dropped; the
  // count is NodeCounters::foreign_messages).
  NodeId last_foreign_sender = kNoNode;
  std::uint64_t last_foreign_cluster = 0;
  std::vector<PeerStatus> peers;  // leader only: one per other voter
  // Why the node stopped itself; ok otherwise: io_error for a failing LogAPI
  // or StateMachine, internal when user code (a listener, a proposal
  // callback, the transport) threw or a protocol violation was detected.
  Status error;
};

struct NodeEvent {
  enum class Kind : std::uint8_t {
    kRoleChanged,      // role (and term) changed
    kTermChanged,      // term changed without a role change
    kLeaderChanged,    // the known leader changed (leader may be kNoNode)
    kFailed,           // the node stopped itself; see error (and NodeStatus::error)
    kElectionTimeout,  // the election timer expired: the node campaigns (role
                       // says how: pre-candidate for PreVote, else candidate)
    kForeignMessage,   // a message of another cluster was dropped (error says
                       // whose); reported once per sender, counted always
  };
  Kind kind = Kind::kRoleChanged;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId leader = kNoNode;
  Status error;
};

// Counters since start; cheap to read at any time.
struct NodeCounters {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t entries_appended = 0;  // written through LogAPI::append
  std::uint64_t entries_applied = 0;
  std::uint64_t elections_started = 0;
  std::uint64_t proposals = 0;
  // Messages dropped because they carried another cluster's identity.
  std::uint64_t foreign_messages = 0;
  // Messages dropped because the node was not running: before start()
  // completed, after stop(), or after it stopped itself.
  std::uint64_t dropped_not_running = 0;
};

using EventListener = std::function<void(const NodeEvent&)>;
using ProposeCallback = std::function<void(Result<Bytes>)>;

class RaftNode {
 public:
  // The interfaces and the executor must outlive the node.
  RaftNode(NodeOptions options, LogAPI& log, TransportAPI& transport, StateMachine& state_machine,
           coro::Executor& executor);
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;
  // Stop a started node (co_await stop()) before destroying it. Destroying
  // it without stop() models a crash: its coroutine frames are destroyed
  // without running, pending callback proposals are never called, and
  // awaited proposals complete with broken_promise.
  ~RaftNode();

  // Loads the durable state, writes the initial configuration to an empty
  // log, and starts the node's coroutines. Invalid options, or a LogAPI that
  // fails while loading, yield an error and leave the node stopped. A node
  // starts at most once: any later start(), even after a failed one,
  // returns invalid_argument (construct a new RaftNode to restart).
  coro::Task<Status> start();

  // Stops every coroutine the node started and waits for them. Pending
  // proposals fail with Status::stopped(). Idempotent.
  coro::Task<void> stop();

  // Proposes a command. Completes with the state machine's result once the
  // command is committed and applied on this node; with not_leader (and a
  // leader hint) at once on a non-leader; with leadership_lost once this
  // node applies, at its index or below it, an entry of a newer term (the
  // command was not and will never be applied); with stopped if the node
  // stops first, or with its failure status if it stopped itself; with
  // unavailable when max_pending_proposals are already pending;
  // with timeout once `timeout` elapsed (zero: no timeout), in which case
  // the command may still commit later. A leader that steps down keeps its
  // proposals pending: they may still commit under the next leader.
  coro::Task<Result<Bytes>> propose(Payload command, coro::Duration timeout = coro::Duration::zero());
  // Callback form: `done` is called exactly once, on the executor (possibly
  // before propose() returns, for an immediate error; if it throws then,
  // the exception reaches the caller of propose()). Later calls that throw
  // stop the node with an internal error.
  void propose(Payload command, ProposeCallback done, coro::Duration timeout = coro::Duration::zero());

  // Makes this server's election timeout expire now (etcd raft's MsgHup):
  // it campaigns at once, as if its timer had fired (a pre-vote round first
  // when the cluster uses PreVote; a kElectionTimeout event as usual).
  // Followers that still hear from a live leader refuse it under PreVote or
  // CheckQuorum, as they refuse any campaigner. For tests and operators.
  // Returns stopped when the node is not running, invalid_argument when it
  // is the leader or not a voter.
  Status campaign();

  // Entry point for messages from the transport. A message that arrives
  // while the node is not running (before start() has completed, after
  // stop(), or after the node stopped itself) is dropped and counted in
  // NodeCounters::dropped_not_running: Raft tolerates lost messages, and
  // their senders retry (heartbeats, resends, new elections). A message whose
  // `cluster` is not this node's identity is dropped, counted in
  // NodeCounters::foreign_messages and reported (NodeStatus, and a
  // kForeignMessage event once per sender): it comes from a server started
  // with a different initial configuration, or from another cluster.
  void receive(Message message);
  // Decodes with coraft's codec, then receive(). Corrupt input is rejected
  // with Status::corrupt and otherwise ignored.
  Status receive_bytes(std::string_view bytes);

  // A full snapshot of the node's state (allocates; for monitoring).
  NodeStatus status() const;
  const NodeCounters& counters() const;
  // Cheap individual queries.
  NodeId id() const;
  // This cluster's identity (see NodeStatus::cluster); 0 before start().
  std::uint64_t cluster() const;
  bool running() const;
  Role role() const;
  bool is_leader() const;
  NodeId leader() const;
  Term term() const;
  NodeId vote() const;
  Index commit_index() const;
  Index applied_index() const;
  Index last_log_index() const;
  Term last_log_term() const;
  // The term of the entry at `index` in this node's log (including entries
  // not yet durable), or nullopt when there is none.
  std::optional<Term> log_term_at(Index index) const;

  // Listeners are called synchronously on the executor, after the change is
  // complete (kElectionTimeout: just before the node campaigns); they may
  // call propose(), status(), subscribe() and the other queries. A listener
  // that throws stops the node with an internal error.
  void subscribe(EventListener listener);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coraft
