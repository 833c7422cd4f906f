// cluster_demo: a three-node coraft cluster in one process.
//
// Three RaftNodes share one real-time EventLoop (run on the main thread) and
// talk through an in-process transport that delivers each message a few
// milliseconds later. Each node keeps its log in an assist::MemoryLog and
// applies commands to a tiny key-value store. The story:
//
//   1. start the nodes and wait for a leader;
//   2. propose a few "set <key> <value>" commands through the leader;
//   3. crash the leader (stop it; the transport drops its messages) and wait
//      for the other two to elect a new one;
//   4. propose a few more commands;
//   5. check that the survivors hold every command committed before the
//      crash, print OK or FAILED, and exit 0 or 1.
//
// Everything that waits is a coroutine on the loop; every wait is bounded,
// and a watchdog ends the run if anything hangs.
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/config.h"
#include "coraft/coro/event_loop.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "coraft/status.h"
#include "coraft/transport_api.h"
#include "coraft/types.h"

namespace {

using namespace std::chrono_literals;
using coraft::Bytes;
using coraft::Index;
using coraft::kNoNode;
using coraft::Message;
using coraft::NodeId;
using coraft::Payload;
using coraft::RaftNode;
using coraft::Result;
using coraft::Status;
using coraft::Term;
namespace coro = coraft::coro;

// ---------------------------------------------------------------------------
// The replicated state: a key-value store.

// Commands are "set <key> <value>". The result is the key's previous value,
// or "ok" when the key is new.
class KvStore final : public coraft::StateMachine {
 public:
  coro::Task<Bytes> apply(Index index, Payload command) override {
    applied_ = index;
    history_.push_back(command.str());
    co_return execute(history_.back());
  }
  Index applied_index() const override { return applied_; }

  // The command's effect, without the Raft bookkeeping (also used to compute
  // the expected state).
  Bytes execute(const std::string& command) {
    std::istringstream in(command);
    std::string op, key, value;
    in >> op >> key >> value;
    if (op != "set" || key.empty() || value.empty()) return "error: expected \"set <key> <value>\"";
    auto [it, inserted] = data_.try_emplace(key, value);
    if (inserted) return "ok";
    return std::exchange(it->second, value);
  }

  const std::map<std::string, std::string>& data() const { return data_; }
  // Every command applied, in log order.
  const std::vector<std::string>& history() const { return history_; }

 private:
  std::map<std::string, std::string> data_;
  std::vector<std::string> history_;
  Index applied_ = 0;
};

std::string describe(const std::map<std::string, std::string>& data) {
  std::string out;
  for (const auto& [key, value] : data) out += (out.empty() ? "" : " ") + key + "=" + value;
  return out.empty() ? "(empty)" : out;
}

// ---------------------------------------------------------------------------
// The in-process network.

// Delivers messages between the nodes on the loop, each after a random delay
// of 1-5 ms. Messages to or from a crashed node are dropped. Every message in
// flight is a small coroutine owned by `in_flight_`.
class Network {
 public:
  explicit Network(coro::EventLoop& loop) : loop_(loop), in_flight_(loop), rng_(42) {}
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;
  // Normally drained already; otherwise the loop will not run again and the
  // remaining deliveries are simply destroyed.
  ~Network() { in_flight_.destroy_all(); }

  void attach(RaftNode* node) { nodes_[node->id()] = node; }
  void crash(NodeId id) { crashed_.insert(id); }

  // Called by a node's transport, on the loop thread.
  void send(Message message) {
    if (is_dropped(message)) return;
    std::uniform_int_distribution<int> delay_us(1000, 5000);
    const coro::Duration delay = std::chrono::microseconds(delay_us(rng_));
    // spawn() starts the delivery through the loop, never inline: the sender
    // is not called back from inside its own send().
    in_flight_.spawn(deliver_later(this, std::move(message), delay, in_flight_.stop_token()));
  }

  // Drops whatever is still in flight and waits for the deliveries to end.
  // Call once the nodes are stopped.
  coro::Task<void> drain() {
    in_flight_.request_stop();
    return in_flight_.join();
  }

 private:
  static coro::Task<void> deliver_later(Network* net, Message message, coro::Duration delay,
                                        std::stop_token token) {
    const bool elapsed = co_await coro::sleep_for(net->loop_, delay, token);
    if (!elapsed || net->is_dropped(message)) co_return;
    auto it = net->nodes_.find(message.to);
    if (it != net->nodes_.end()) it->second->receive(std::move(message));
  }

  bool is_dropped(const Message& m) const { return crashed_.count(m.from) != 0 || crashed_.count(m.to) != 0; }

  coro::EventLoop& loop_;
  coro::TaskScope in_flight_;
  std::mt19937 rng_;
  std::map<NodeId, RaftNode*> nodes_;
  std::set<NodeId> crashed_;
};

// One node's TransportAPI: hands every message to the shared network.
class InProcessTransport final : public coraft::TransportAPI {
 public:
  explicit InProcessTransport(Network& network) : network_(network) {}
  void send(NodeId to, Message message) override {
    message.to = to;
    network_.send(std::move(message));
  }

 private:
  Network& network_;
};

// ---------------------------------------------------------------------------
// The cluster.

coraft::NodeOptions node_options(NodeId id, const coraft::ClusterConfig& config) {
  coraft::NodeOptions options;
  options.id = id;
  options.initial_config = config;
  return options;
}

// One server: its log, its state machine, its transport and its node. The
// node is declared last so that it is destroyed first.
struct Server {
  Server(NodeId id, const coraft::ClusterConfig& config, Network& network, coro::EventLoop& loop)
      : transport(network), node(node_options(id, config), log, transport, kv, loop) {}

  coraft::assist::MemoryLog log;
  KvStore kv;
  InProcessTransport transport;
  RaftNode node;
  bool up = false;  // started and not crashed
};

struct Demo {
  explicit Demo(coro::EventLoop& l) : loop(l), network(l), start(l.now()) {
    config.voters = {1, 2, 3};
    config.settings.pre_vote = true;
    config.settings.check_quorum = true;
    config.settings.election_timeout_min = 150ms;
    config.settings.election_timeout_max = 300ms;
    config.settings.heartbeat_interval = 50ms;
    for (NodeId id : config.voters) {
      servers.push_back(std::make_unique<Server>(id, config, network, loop));
      network.attach(&servers.back()->node);
    }
  }

  Server& server(NodeId id) { return *servers.at(id - 1); }

  // Prints one line of the story, prefixed with the time since the start.
  [[gnu::format(printf, 2, 3)]] void say(const char* format, ...) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(loop.now() - start).count();
    std::printf("[%5lld ms] ", static_cast<long long>(ms));
    va_list args;
    va_start(args, format);
    std::vprintf(format, args);
    va_end(args);
    std::printf("\n");
  }

  coro::EventLoop& loop;
  coraft::ClusterConfig config;
  // Declared before the servers: the servers (and their nodes) go first.
  Network network;
  std::vector<std::unique_ptr<Server>> servers;
  coro::TimePoint start;
  int exit_code = 1;
};

// The live node that leads in a term above `above_term`, or kNoNode.
NodeId find_leader(Demo* d, Term above_term) {
  NodeId leader = kNoNode;
  Term term = above_term;
  for (const auto& s : d->servers) {
    if (s->up && s->node.is_leader() && s->node.term() > term) {
      leader = s->node.id();
      term = s->node.term();
    }
  }
  return leader;
}

// Polls until a live node leads in a term above `above_term`; kNoNode after
// `timeout`.
coro::Task<NodeId> wait_for_leader(Demo* d, Term above_term, coro::Duration timeout) {
  const coro::TimePoint deadline = d->loop.now() + timeout;
  for (;;) {
    const NodeId leader = find_leader(d, above_term);
    if (leader != kNoNode || d->loop.now() >= deadline) co_return leader;
    co_await coro::sleep_for(d->loop, 5ms);
  }
}

// Proposes `command` through the current leader and prints the outcome.
// Retries (a few times) when leadership moved before the command got in.
coro::Task<Result<Bytes>> propose(Demo* d, Bytes command) {
  Result<Bytes> result = Status::unavailable("no leader");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const NodeId leader = co_await wait_for_leader(d, 0, 2s);
    if (leader == kNoNode) break;
    result = co_await d->server(leader).node.propose(command);
    if (result.ok()) {
      d->say("node %llu: \"%s\" -> \"%s\"", static_cast<unsigned long long>(leader), command.c_str(),
             result.value().c_str());
      co_return result;
    }
    d->say("node %llu: \"%s\" failed: %s", static_cast<unsigned long long>(leader), command.c_str(),
           result.status().to_string().c_str());
    if (!result.status().is_not_leader() && !result.status().is_leadership_lost()) break;
    co_await coro::sleep_for(d->loop, 50ms);
  }
  co_return result;
}

// Waits (up to `timeout`) until every live node has applied everything the
// leader has committed.
coro::Task<bool> wait_until_applied(Demo* d, NodeId leader, coro::Duration timeout) {
  const coro::TimePoint deadline = d->loop.now() + timeout;
  for (;;) {
    const Index commit = d->server(leader).node.commit_index();
    bool caught_up = true;
    for (const auto& s : d->servers) {
      if (s->up && s->node.applied_index() < commit) caught_up = false;
    }
    if (caught_up) co_return true;
    if (d->loop.now() >= deadline) co_return false;
    co_await coro::sleep_for(d->loop, 5ms);
  }
}

// True when `needles` appear in `haystack` in the same order.
bool is_subsequence(const std::vector<std::string>& needles, const std::vector<std::string>& haystack) {
  std::size_t i = 0;
  for (const std::string& h : haystack) {
    if (i < needles.size() && h == needles[i]) ++i;
  }
  return i == needles.size();
}

// The story. Returns true when everything checked out.
coro::Task<bool> run_story(Demo* d) {
  const coraft::ClusterSettings& settings = d->config.settings;
  std::printf("coraft cluster demo: 3 nodes on one event loop, in-process transport (1-5 ms per message)\n");
  std::printf("settings: PreVote %s, CheckQuorum %s, election timeout %lld-%lld ms, heartbeat %lld ms\n\n",
              settings.pre_vote ? "on" : "off", settings.check_quorum ? "on" : "off",
              static_cast<long long>(settings.election_timeout_min.count()),
              static_cast<long long>(settings.election_timeout_max.count()),
              static_cast<long long>(settings.heartbeat_interval.count()));

  // 1. Start the nodes and wait for a leader.
  for (const auto& s : d->servers) {
    const Status started = co_await s->node.start();
    if (!started.is_ok()) {
      std::printf("FAILED: node %llu did not start: %s\n", static_cast<unsigned long long>(s->node.id()),
                  started.to_string().c_str());
      co_return false;
    }
    s->up = true;
  }
  d->say("started nodes 1, 2 and 3; waiting for an election");
  const NodeId first = co_await wait_for_leader(d, 0, 5s);
  if (first == kNoNode) {
    std::printf("FAILED: no leader was elected within 5 s\n");
    co_return false;
  }
  const Term first_term = d->server(first).node.term();
  d->say("node %llu is the leader (term %llu)", static_cast<unsigned long long>(first),
         static_cast<unsigned long long>(first_term));

  // 2. Propose through the leader. `acknowledged` holds every command the
  // cluster confirmed as committed, `expected` the state they produce.
  KvStore expected;
  std::vector<std::string> acknowledged;
  const std::vector<std::string> before = {"set apple red", "set banana yellow", "set cherry red",
                                           "set apple green", "set date brown"};
  for (const std::string& command : before) {
    const Result<Bytes> r = co_await propose(d, command);
    if (!r.ok()) {
      std::printf("FAILED: \"%s\" was not committed: %s\n", command.c_str(), r.status().to_string().c_str());
      co_return false;
    }
    acknowledged.push_back(command);
    expected.execute(command);
  }
  const std::vector<std::string> committed_before_crash = acknowledged;

  // 3. Crash the leader: stop it, and let the network drop its messages.
  const NodeId old_leader = find_leader(d, 0);
  if (old_leader == kNoNode) {
    std::printf("FAILED: the cluster lost its leader before the crash\n");
    co_return false;
  }
  const Term old_term = d->server(old_leader).node.term();
  d->say("crashing the leader, node %llu (term %llu)", static_cast<unsigned long long>(old_leader),
         static_cast<unsigned long long>(old_term));
  const coro::TimePoint crashed_at = d->loop.now();
  d->network.crash(old_leader);
  d->server(old_leader).up = false;
  co_await d->server(old_leader).node.stop();

  const NodeId new_leader = co_await wait_for_leader(d, old_term, 5s);
  if (new_leader == kNoNode) {
    std::printf("FAILED: no new leader was elected within 5 s of the crash\n");
    co_return false;
  }
  const auto failover_ms = std::chrono::duration_cast<std::chrono::milliseconds>(d->loop.now() - crashed_at);
  d->say("node %llu is the new leader (term %llu), elected %lld ms after the crash",
         static_cast<unsigned long long>(new_leader),
         static_cast<unsigned long long>(d->server(new_leader).node.term()),
         static_cast<long long>(failover_ms.count()));

  // 4. More commands, through the new leader.
  const std::vector<std::string> after = {"set apple golden", "set elderberry purple", "set fig green"};
  for (const std::string& command : after) {
    const Result<Bytes> r = co_await propose(d, command);
    if (!r.ok()) {
      std::printf("FAILED: \"%s\" was not committed: %s\n", command.c_str(), r.status().to_string().c_str());
      co_return false;
    }
    acknowledged.push_back(command);
    expected.execute(command);
  }

  // 5. Let the followers catch up, then compare every survivor's state.
  const NodeId leader_now = find_leader(d, 0);
  bool caught_up = false;
  if (leader_now != kNoNode) caught_up = co_await wait_until_applied(d, leader_now, 2s);
  if (!caught_up) d->say("the survivors did not catch up within 2 s");
  d->say("final state:");
  for (const auto& s : d->servers) {
    const coraft::NodeStatus st = s->node.status();
    if (!s->up) {
      std::printf("    node %llu: crashed\n", static_cast<unsigned long long>(st.id));
      continue;
    }
    std::printf("    node %llu (%s, term %llu, applied index %llu): %s\n",
                static_cast<unsigned long long>(st.id), coraft::role_name(st.role),
                static_cast<unsigned long long>(st.term), static_cast<unsigned long long>(st.applied_index),
                describe(s->kv.data()).c_str());
  }
  std::printf("    expected: %s\n", describe(expected.data()).c_str());

  std::vector<NodeId> survivors;
  std::string problems;
  for (const auto& s : d->servers) {
    if (!s->up) continue;
    const NodeId id = s->node.id();
    survivors.push_back(id);
    if (!is_subsequence(committed_before_crash, s->kv.history())) {
      problems += " node " + std::to_string(id) + " lost commands committed before the crash;";
    }
    if (s->kv.data() != expected.data()) {
      problems += " node " + std::to_string(id) + " does not hold the expected state;";
    }
  }
  if (!problems.empty()) {
    std::printf("FAILED:%s\n", problems.c_str());
    co_return false;
  }
  std::printf(
      "OK: all %zu commands committed before the crash are on nodes %llu and %llu, "
      "and both hold the expected state after %zu commands\n",
      committed_before_crash.size(), static_cast<unsigned long long>(survivors.at(0)),
      static_cast<unsigned long long>(survivors.at(1)), acknowledged.size());
  co_return true;
}

// Runs the story, then shuts everything down in order and stops the loop.
coro::Task<void> demo_main(Demo* d, coro::TaskScope* watchdog) {
  bool ok = false;
  try {
    ok = co_await run_story(d);
  } catch (const std::exception& e) {
    std::printf("FAILED: exception: %s\n", e.what());
  }
  for (const auto& s : d->servers) {
    d->network.crash(s->node.id());  // nothing is delivered from here on
    co_await s->node.stop();         // idempotent: fine for the crashed one
    s->up = false;
  }
  co_await d->network.drain();
  watchdog->request_stop();
  co_await watchdog->join();
  d->say("all nodes stopped");
  d->exit_code = ok ? 0 : 1;
  // Last statement: this frame (and its scope entry) finishes inside the
  // current work item, and run() returns right after it.
  d->loop.stop();
}

// Ends the run if the story hangs, whatever it waits for.
constexpr std::chrono::seconds kWatchdogLimit{20};

coro::Task<void> watchdog(Demo* d, std::stop_token token) {
  const bool expired = co_await coro::sleep_for(d->loop, kWatchdogLimit, token);
  if (!expired) co_return;
  std::printf("FAILED: the demo did not finish within %lld s\n",
              static_cast<long long>(kWatchdogLimit.count()));
  d->exit_code = 1;
  d->loop.stop();
}

}  // namespace

int main() {
  coro::EventLoop loop;
  Demo demo(loop);
  coro::TaskScope watchdog_scope(loop);
  coro::TaskScope story(loop);
  watchdog_scope.spawn(watchdog(&demo, watchdog_scope.stop_token()));
  story.spawn(demo_main(&demo, &watchdog_scope));
  loop.run();
  // After a normal run both scopes are empty. After the watchdog fired, the
  // loop will not run again: destroy what is left (the nodes' own coroutines
  // are destroyed with the nodes).
  story.destroy_all();
  watchdog_scope.destroy_all();
  std::fflush(stdout);
  return demo.exit_code;
}
