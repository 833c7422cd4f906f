// Shared helpers for the simulated-cluster tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "coraft/testing/sim_cluster.h"

namespace coraft::test {

using namespace std::chrono_literals;
using coraft::testing::SimCluster;
using coraft::testing::SimOptions;

// Settings with both PreVote and CheckQuorum off: the paper's basic Raft.
inline ClusterSettings basic_settings() {
  ClusterSettings s;
  s.pre_vote = false;
  s.check_quorum = false;
  return s;
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
  return Entry{term, index, EntryType::kCommand,
               data.empty() ? "e" + std::to_string(index) + "t" + std::to_string(term) : data};
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

}  // namespace coraft::test
