// Shared helpers for the simulated-cluster tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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

// The entry at `index` in a server's durable log, as (term, type).
inline Term durable_term(const SimCluster& c, NodeId id, Index index) {
  const Entry* e = c.durable_log(id).entry(index);
  return e ? e->term : 0;
}

}  // namespace coraft::test
