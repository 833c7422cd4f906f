// Shared helpers for the simulated-cluster tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "coraft/testing/sim_cluster.h"
#include "coraft/transport_api.h"

namespace coraft::test {

using namespace std::chrono_literals;

// For a RaftNode run alone (no SimCluster): a transport that sends nothing
// and a state machine that applies nothing.
class NullTransport final : public TransportAPI {
 public:
  void send(NodeId, Message) override {}
};
class NullStateMachine final : public StateMachine {
 public:
  coro::Task<Bytes> apply(Index, Payload) override { co_return Bytes{}; }
  Index applied_index() const override { return 0; }
};

using coraft::testing::SimCluster;
using coraft::testing::SimOptions;

// Settings with both PreVote and CheckQuorum off: the paper's basic Raft.
inline ClusterSettings basic_settings() {
  ClusterSettings s;
  s.pre_vote = false;
  s.check_quorum = false;
  return s;
}

// PreVote and CheckQuorum as given, every other setting at its default.
inline ClusterSettings settings_with(bool pre_vote, bool check_quorum) {
  ClusterSettings s;
  s.pre_vote = pre_vote;
  s.check_quorum = check_quorum;
  return s;
}

// "pre_vote=on check_quorum=off", for failure messages.
inline std::string settings_name(const ClusterSettings& s) {
  return std::string("pre_vote=") + (s.pre_vote ? "on" : "off") +
         " check_quorum=" + (s.check_quorum ? "on" : "off");
}

inline SimOptions sim_options(std::size_t nodes, std::uint64_t seed,
                              ClusterSettings settings = basic_settings()) {
  SimOptions o;
  o.nodes = nodes;
  o.seed = seed;
  if (const char* env = std::getenv("CORAFT_SEED")) o.seed = std::strtoull(env, nullptr, 10);
  o.settings = settings;
  // Trace files (CORAFT_TRACE=<dir>) are named after the running test.
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    o.name = std::string(info->test_suite_name()) + "." + info->name();
  }
  return o;
}

// Basic Raft with election timeouts so long that no server ever campaigns on
// its own during a test: only crafted messages change any state.
inline ClusterSettings quiet_settings() {
  ClusterSettings s = basic_settings();
  s.election_timeout_min = std::chrono::milliseconds(60'000);
  s.election_timeout_max = std::chrono::milliseconds(120'000);
  return s;
}

inline std::string seed_of(const SimCluster& c) { return "seed " + std::to_string(c.seed()); }

// A command entry; its data names its index and term unless given.
inline Entry cmd(Index index, Term term, std::string data = "") {
  if (data.empty()) data.append("e").append(std::to_string(index)).append("t").append(std::to_string(term));
  return Entry{term, index, EntryType::kCommand, std::move(data)};
}

// Every server but `id`.
inline std::vector<NodeId> others(const SimCluster& c, NodeId id) {
  std::vector<NodeId> out;
  for (NodeId x : c.ids()) {
    if (x != id) out.push_back(x);
  }
  return out;
}

// The entry at `index` in a server's durable log, as (term, type).
inline Term durable_term(const SimCluster& c, NodeId id, Index index) {
  const Entry* e = c.durable_log(id).entry(index);
  return e ? e->term : 0;
}

// The bodies of type T among `sent` that went from `from` to `to`.
template <typename T>
std::vector<T> bodies(const std::vector<Message>& sent, NodeId from, NodeId to) {
  std::vector<T> out;
  for (const Message& m : sent) {
    if (m.from != from || m.to != to) continue;
    if (const T* b = std::get_if<T>(&m.body)) out.push_back(*b);
  }
  return out;
}

// The node events one server reports, with the (global) time they happened.
struct Seen {
  coro::TimePoint at;
  NodeEvent event;
};
using SeenLog = std::shared_ptr<std::vector<Seen>>;

inline SeenLog watch(SimCluster& c, NodeId id) {
  auto log = std::make_shared<std::vector<Seen>>();
  c.node(id).subscribe([&c, log](const NodeEvent& e) { log->push_back(Seen{c.now(), e}); });
  return log;
}

inline bool ever_led(const std::vector<Seen>& log) {
  return std::any_of(log.begin(), log.end(), [](const Seen& s) {
    return s.event.kind == NodeEvent::Kind::kRoleChanged && s.event.role == Role::kLeader;
  });
}

// One running leader of the highest term, and every running server follows
// it in that term.
inline bool converged(SimCluster& c) {
  const NodeId l = c.leader();
  if (l == kNoNode) return false;
  const Term t = c.node(l).term();
  for (NodeId id : c.ids()) {
    if (!c.is_up(id)) continue;
    const RaftNode& n = c.node(id);
    if (!n.running() || n.term() != t || n.leader() != l) return false;
  }
  return true;
}

// A duration in (fractional) milliseconds, for failure messages.
inline double ms(coro::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace coraft::test
