// SimCluster: a deterministic simulated cluster for tests.
//
// N RaftNodes, each on its own ManualExecutor whose virtual clock follows
// one global clock (optionally at its own rate: clock skew), with MemoryLogs
// for durable storage, an in-memory network and PRNGs derived from one seed.
// Every run
// is a pure function of the seed and the test's actions, so a failure
// replays exactly.
//
// The network can drop, delay (uniform latency, hence reorder), duplicate,
// partition (symmetric and one-way) and isolate; a filter intercepts or
// drops individual messages, and inject() delivers crafted ones. Nodes can be
// paused (their messages wait), crashed (the RaftNode is destroyed; LogAPI
// calls still in progress are lost) and restarted (over the same durable
// log, with an empty state machine that re-applies from the log).
//
// The InvariantChecker runs after every step; by default a violation throws
// InvariantViolation with the seed in its message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/config.h"
#include "coraft/coro/executor.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/log_api.h"
#include "coraft/messages.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "coraft/testing/invariants.h"
#include "coraft/testing/trace.h"

namespace coraft::testing {

using namespace std::chrono_literals;

class InvariantViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class TraceMode : std::uint8_t {
  kOff,   // record nothing (fastest)
  kHash,  // maintain the trace hash only (determinism checks)
  kKeep,  // keep every event for rendering
};

struct SimOptions {
  // A name for this run, used for trace files. Default: "sim".
  std::string name = "sim";
  // Servers get ids 1..nodes. Default: 3.
  std::size_t nodes = 3;
  // Seeds everything random: latencies, drops, election timeouts. Default: 1.
  std::uint64_t seed = 1;
  // The cluster-wide settings, written into the initial configuration.
  ClusterSettings settings;
  // One-way network latency, drawn uniformly. Default: 1 ms to 5 ms.
  coro::Duration min_latency = 1ms;
  coro::Duration max_latency = 5ms;
  // Probability that a message is dropped / delivered twice. Default: 0.
  double drop_rate = 0.0;
  double duplicate_rate = 0.0;
  // Latency of each LogAPI write, drawn uniformly. Default: 0 (instant).
  coro::Duration min_disk_latency = 0ms;
  coro::Duration max_disk_latency = 0ms;
  // NodeOptions::max_cache_bytes of every server: small values make
  // replication read old entries back through LogAPI. Default: 64 MiB.
  std::uint64_t max_cache_bytes = 64u << 20;
  // A server that stops itself with an internal error (it saw two leaders
  // in a term, or was asked to overwrite a committed entry) counts as an
  // invariant violation. Turn off for tests that provoke it on purpose.
  // Default: true.
  bool node_errors_are_violations = true;
  // Throw InvariantViolation as soon as the checker finds one. Default: true.
  bool throw_on_violation = true;
  // Wraps each server's LogAPI, for fault injection (for example, a log
  // that loses writes). Called at every (re)start. Default: none.
  std::function<std::unique_ptr<LogAPI>(NodeId, LogAPI& inner)> wrap_log;
  // What to record. The environment variable CORAFT_TRACE=<directory>
  // switches any run to kKeep and writes <name>.md (table and Mermaid
  // diagram), <name>.puml and <name>.jsonl there when the cluster is
  // destroyed; CORAFT_TRACE_LAST=<n> keeps only the last n events in those
  // files. Default: kOff.
  TraceMode trace = TraceMode::kOff;
  // step() throws std::runtime_error once this many steps have run: a
  // bound for randomized runs that a bug may send into a storm of events.
  // Default: 0 (no limit).
  std::uint64_t max_steps = 0;
  // Wraps each server's state machine likewise. Default: none.
  std::function<std::unique_ptr<StateMachine>(NodeId, StateMachine& inner)> wrap_state_machine;
};

// A command as applied by a server's state machine.
struct AppliedCommand {
  Index index;
  Bytes command;
};

class SimCluster {
 public:
  explicit SimCluster(SimOptions options);
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;
  ~SimCluster();

  // ---- lifecycle ----
  // Starts every server that is not running and runs until they have.
  void start();
  // Starts the given servers (those not running) and runs until they have.
  void start(const std::vector<NodeId>& ids);
  // The process dies: the RaftNode and its state machine are destroyed;
  // writes its LogAPI had not completed are lost.
  void crash(NodeId id);
  // Crashes the server at the end of the current step: callable from inside
  // a filter or a node callback, where crash() would destroy the caller.
  void crash_soon(NodeId id);
  // A new process over the same durable log, with an empty state machine.
  // Only this server: other crashed servers stay down.
  void restart(NodeId id);
  // A clean shutdown: runs RaftNode::stop() to completion. The server stays
  // down until restart().
  void stop(NodeId id);
  // A paused server runs nothing; messages to it wait until resume().
  void pause(NodeId id);
  void resume(NodeId id);
  bool is_up(NodeId id) const;
  bool is_paused(NodeId id) const;

  // ---- network ----
  // Servers in different groups cannot exchange messages; servers not named
  // form a group of their own.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void isolate(NodeId id);
  // Messages from `from` to `to` are dropped (one-way).
  void block(NodeId from, NodeId to);
  // Removes every partition and block.
  void heal();
  void set_drop_rate(double p) { options_.drop_rate = p; }
  void set_duplicate_rate(double p) { options_.duplicate_rate = p; }
  void set_latency(coro::Duration min, coro::Duration max);
  // One server's LogAPI write latency from now on (a slow disk); the others
  // keep theirs. Default: SimOptions::min/max_disk_latency.
  void set_disk_latency(NodeId id, coro::Duration min, coro::Duration max);
  // Sees every message at send time and may rewrite it; returning false
  // drops it. Runs before partitions, loss and duplication.
  using Filter = std::function<bool(Message&)>;
  void set_filter(Filter filter) { filter_ = std::move(filter); }
  // Delivers `m` to m.to after `delay`, bypassing partitions and the filter.
  void inject(Message m, coro::Duration delay = 0ms);
  std::size_t in_flight() const { return network_.size(); }

  // ---- time ----
  coro::TimePoint now() const { return now_; }
  // Runs the next event (ready work, a timer or a delivery). False when
  // nothing at all is scheduled.
  bool step();
  void run_for(coro::Duration d);
  // Steps until `pred` holds or `timeout` of virtual time passed. Returns
  // whether pred held.
  bool run_until(const std::function<bool()>& pred, coro::Duration timeout);
  // Each server's clock runs at `rate` times the global clock (skew).
  void set_clock_rate(NodeId id, double rate);

  // ---- queries ----
  std::vector<NodeId> ids() const;
  RaftNode& node(NodeId id);
  // The executor a server runs on (replaced at each crash).
  coro::Executor& executor(NodeId id);
  // The running leader with the highest term, or kNoNode.
  NodeId leader() const;
  // Before the first start: the initial configuration server `id` is given
  // (default: every server as a voter, SimOptions::settings), to model a
  // server started with another configuration than the rest.
  void set_initial_config(NodeId id, ClusterConfig config);
  ClusterConfig initial_config(NodeId id) const;
  // Makes server `id`'s election timer fire now (RaftNode::campaign), so a
  // scripted scenario chooses who campaigns first. Throws std::logic_error
  // when the node refuses (down, leader, not a voter).
  void campaign_now(NodeId id);
  // Runs until exactly one running server of the highest term leads.
  NodeId wait_for_leader(coro::Duration timeout = 10s);
  // Why the cluster has not converged, or empty when it has: every server
  // runs in the leader's term, follows it, and holds the leader's last
  // index and term, its commit index, and has applied through it.
  std::string convergence_gap() const;
  // Runs until the cluster has converged or `timeout` passed; returns the
  // remaining gap (empty on success).
  std::string wait_for_convergence(coro::Duration timeout = 10s);
  const assist::MemoryLog& durable_log(NodeId id) const;
  // Before start(): gives a server a durable state and log, as if it had
  // run before. `entries` start at index 2 (entry 1 is the configuration).
  // With `applied` > 0, the server's state machine has durably applied the
  // entries through `applied` when it first starts, so the server starts
  // with that commit index (Figure 2's commitIndex is volatile: a server
  // knows at start only what its state machine applied). Such entries must
  // be committed in the scenario (a majority holds them), or the checker
  // reports it. Restarts after the first start begin with an empty state
  // machine, as usual.
  void preload(NodeId id, HardState hard_state, std::vector<Entry> entries, Index applied = 0);
  const std::vector<AppliedCommand>& applied(NodeId id) const;

  // ---- proposals ----
  struct Proposal {
    bool done = false;
    Result<Bytes> result = Status::internal("not completed");
  };
  std::shared_ptr<Proposal> propose(NodeId id, Bytes command,
                                    coro::Duration timeout = coro::Duration::zero());
  // Proposes and runs until the result arrives (or Status::timeout).
  Result<Bytes> propose_and_wait(NodeId id, Bytes command, coro::Duration timeout = 10s);

  // ---- tracing ----
  TraceRecorder& trace() { return trace_; }
  bool tracing() const { return options_.trace != TraceMode::kOff; }
  // Adds a free-text note to the trace (a scripted scenario's narration).
  void note(std::string text);
  // Every server's state now.
  std::vector<NodeSnapshot> snapshot() const;
  // Writes <dir>/<name>.md, .puml and .jsonl of the events kept so far.
  void write_trace(const std::string& dir, std::size_t last_events = 0) const;

  // ---- checking ----
  InvariantChecker& checker() { return checker_; }
  // Runs the checks now (they also run after every step).
  void check();
  std::uint64_t seed() const { return options_.seed; }
  std::uint64_t steps() const { return steps_; }
  const SimOptions& options() const { return options_; }

  struct Stats {
    std::uint64_t sent = 0, delivered = 0, dropped = 0, duplicated = 0;
  };
  const Stats& stats() const { return stats_; }

  class Server;

 private:
  struct InFlight {
    coro::TimePoint at{};
    std::uint64_t seq = 0;
    Message message;
    bool bypass = false;
  };
  friend class SimTransport;
  void network_send(Message m);
  void schedule_delivery(Message m, coro::TimePoint at, bool bypass);
  bool link_open(NodeId from, NodeId to) const;
  coro::Duration draw(coro::Duration lo, coro::Duration hi);
  Server& server(NodeId id);
  const Server& server(NodeId id) const;
  void observe();
  void crash_pending();
  void check_proposal_result(NodeId id, std::uint64_t incarnation, const Bytes& command, const Bytes& result);
  template <typename Text>
  void record(TraceKind kind, NodeId node, NodeId peer, Text&& text) {
    if (options_.trace == TraceMode::kOff) return;
    TraceEvent e;
    e.step = steps_;
    e.time = now_;
    e.kind = kind;
    e.node = node;
    e.peer = peer;
    e.text = text();
    e.nodes = snapshot();
    trace_.record(std::move(e));
  }
  void subscribe_trace(Server& s);

  SimOptions options_;
  std::mt19937_64 rng_;
  coro::TimePoint now_{};
  std::uint64_t steps_ = 0;
  std::uint64_t msg_seq_ = 0;
  std::map<std::pair<coro::TimePoint, std::uint64_t>, InFlight>
      network_;                  // by delivery time, then send order
  std::map<NodeId, int> group_;  // partition group per node; absent: 0
  std::set<std::pair<NodeId, NodeId>> blocked_;
  Filter filter_;
  InvariantChecker checker_;
  TraceRecorder trace_;
  std::string trace_dir_;
  std::size_t violations_reported_ = 0;
  Stats stats_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<NodeId> voters_;  // 1..nodes: every server votes (no membership changes yet)
};

}  // namespace coraft::testing
