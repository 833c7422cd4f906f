// ClusterTest: the GoogleTest fixture of the scenario tests, for their
// common start-elect-propose setup.
//
//   TEST_F(Replication, Example) {
//     SimCluster& c = start(3, 42);    // SimCluster, SCOPED_TRACE(seed), start()
//     const NodeId l = elect();        // wait_for_leader(), remembered
//     ASSERT_NE(l, kNoNode);
//     ASSERT_TRUE(propose_ok("x=1"));  // propose_and_wait(l, "x=1").ok()
//   }
//
// GoogleTest requires every test of a suite to use the same fixture class,
// in every file of the program, so each suite below is a name for
// ClusterTest and all its tests are TEST_F, including those whose unusual
// setup (preloaded logs, a filter or clock rate set before the start) builds
// its own SimCluster.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "raft/sim_helpers.h"

namespace coraft::test {

class ClusterTest : public ::testing::Test {
 protected:
  // Builds a cluster of `nodes` servers (sim_options) and starts them all.
  // Until the next start() or the end of the test, failures name the
  // cluster's seed and then `note` ("seed 42 <note>"), as SCOPED_TRACE at
  // the caller would.
  // A test may call it again (one cluster per seed or setting): the previous
  // cluster is destroyed first.
  // (`file` and `line` default to the caller's: std::source_location is
  // not usable with clang 14 and libstdc++ 12.)
  SimCluster& start(std::size_t nodes, std::uint64_t seed, ClusterSettings settings = basic_settings(),
                    const std::string& note = "", const char* file = __builtin_FILE(),
                    int line = __builtin_LINE()) {
    return start(sim_options(nodes, seed, settings), note, file, line);
  }
  SimCluster& start(SimOptions options, const std::string& note = "", const char* file = __builtin_FILE(),
                    int line = __builtin_LINE()) {
    trace_.reset();
    cluster_.reset();
    leader_ = kNoNode;
    cluster_ = std::make_unique<SimCluster>(std::move(options));
    trace_.emplace(file, line, note.empty() ? seed_of(*cluster_) : seed_of(*cluster_) + " " + note);
    cluster_->start();
    return *cluster_;
  }

  // The cluster of the last start().
  SimCluster& cluster() {
    if (!cluster_) throw std::logic_error("ClusterTest: start() first");
    return *cluster_;
  }

  // Waits for a leader (SimCluster::wait_for_leader) and returns it, or
  // kNoNode; propose_ok(command) then proposes on it.
  NodeId elect(coro::Duration timeout = 10s) {
    leader_ = cluster().wait_for_leader(timeout);
    return leader_;
  }

  // Proposes `command` on the last elected leader, or on server `id`, and
  // waits for its result (SimCluster::propose_and_wait): succeeds when the
  // result is ok, fails with its status otherwise.
  ::testing::AssertionResult propose_ok(Bytes command) { return propose_ok(leader_, std::move(command)); }
  ::testing::AssertionResult propose_ok(NodeId id, Bytes command) {
    const Result<Bytes> r = cluster().propose_and_wait(id, command);
    if (r.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "proposing \"" << command << "\" on server " << id << " failed: " << r.status().to_string();
  }

 private:
  std::unique_ptr<SimCluster> cluster_;
  // Declared after the cluster: popped before it is destroyed, like a
  // SCOPED_TRACE written after the cluster's declaration.
  std::optional<::testing::ScopedTrace> trace_;
  NodeId leader_ = kNoNode;
};

// The suites whose tests use ClusterTest (see above).
using TermRules = ClusterTest;
using Election = ClusterTest;
using PreVote = ClusterTest;
using CheckQuorum = ClusterTest;
using Replication = ClusterTest;
using Commit = ClusterTest;
using Recovery = ClusterTest;
using Network = ClusterTest;
using Client = ClusterTest;
using Failure = ClusterTest;

}  // namespace coraft::test
