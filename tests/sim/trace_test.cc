#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "coraft/testing/sim_cluster.h"
#include "coraft/testing/trace.h"

namespace coraft::test {
namespace {

using namespace std::chrono_literals;
using coraft::testing::SimCluster;
using coraft::testing::SimOptions;
using coraft::testing::TraceKind;
using coraft::testing::TraceMode;

SimOptions traced(std::uint64_t seed, TraceMode mode) {
  SimOptions o;
  o.seed = seed;
  o.trace = mode;
  o.drop_rate = 0.05;
  o.duplicate_rate = 0.05;
  return o;
}

std::uint64_t run_and_hash(std::uint64_t seed, TraceMode mode) {
  SimCluster c(traced(seed, mode));
  c.start();
  const NodeId l = c.wait_for_leader();
  if (l != kNoNode) {
    for (int i = 0; i < 5; ++i) c.propose(l, "v" + std::to_string(i));
  }
  c.crash(1);
  c.run_for(500ms);
  c.restart(1);
  c.run_for(500ms);
  return c.trace().hash();
}

// @feature tracing simulation
TEST(Trace, SameSeedSameTraceDifferentSeedDifferentTrace) {
  const std::uint64_t a = run_and_hash(5, TraceMode::kHash);
  EXPECT_EQ(a, run_and_hash(5, TraceMode::kHash));
  EXPECT_EQ(a, run_and_hash(5, TraceMode::kKeep)) << "keeping events must not change the run";
  EXPECT_NE(a, run_and_hash(6, TraceMode::kHash));
}

// @feature tracing
TEST(Trace, RecordsEveryKindOfStepWithSnapshots) {
  SimOptions o = traced(8, TraceMode::kKeep);
  o.drop_rate = 0;
  o.duplicate_rate = 0;
  SimCluster c(o);
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(l, "cmd").ok());
  c.pause(l);
  c.resume(l);
  c.isolate(l);
  c.heal();
  c.crash(l);
  c.restart(l);
  c.run_for(300ms);
  std::set<TraceKind> kinds;
  for (const auto& e : c.trace().events()) {
    kinds.insert(e.kind);
    ASSERT_EQ(e.nodes.size(), 3u);
  }
  for (TraceKind k :
       {TraceKind::kSend, TraceKind::kDeliver, TraceKind::kRole, TraceKind::kLeader, TraceKind::kTimeout,
        TraceKind::kVote, TraceKind::kAppend, TraceKind::kCommit, TraceKind::kApply, TraceKind::kCrash,
        TraceKind::kRestart, TraceKind::kPause, TraceKind::kResume, TraceKind::kPartition, TraceKind::kHeal,
        TraceKind::kPropose, TraceKind::kClientResult}) {
    EXPECT_TRUE(kinds.count(k)) << "no " << coraft::testing::trace_kind_name(k) << " event";
  }
  // The leader's snapshot says so in the event that made it leader.
  bool saw_leader = false;
  for (const auto& e : c.trace().events()) {
    if (e.kind == TraceKind::kRole && e.node == l && e.nodes[l - 1].role == Role::kLeader) saw_leader = true;
  }
  EXPECT_TRUE(saw_leader);
}

// @feature tracing
TEST(Trace, RenderersShowChangesArrowsAndWindows) {
  SimOptions o = traced(9, TraceMode::kKeep);
  o.drop_rate = 0;
  o.duplicate_rate = 0;
  SimCluster c(o);
  c.start();
  ASSERT_NE(c.wait_for_leader(), kNoNode);
  const auto& ev = c.trace().events();
  const std::string md = coraft::testing::render_markdown(ev);
  EXPECT_NE(md.find("| step | time (ms) | event | N1 | N2 | N3 |"), std::string::npos);
  EXPECT_NE(md.find("**L**"), std::string::npos) << "the new leader's role change is emphasised";
  const std::string mm = coraft::testing::render_mermaid(ev);
  EXPECT_EQ(mm.rfind("sequenceDiagram\n", 0), 0u);
  EXPECT_NE(mm.find("->>"), std::string::npos);
  EXPECT_NE(mm.find("RequestVote"), std::string::npos);
  const std::string puml = coraft::testing::render_plantuml(ev);
  EXPECT_EQ(puml.rfind("@startuml\n", 0), 0u);
  EXPECT_NE(puml.find("@enduml"), std::string::npos);
  const std::string jl = coraft::testing::render_jsonl(ev);
  EXPECT_EQ(static_cast<std::size_t>(std::count(jl.begin(), jl.end(), '\n')), ev.size());
  // A window renders just those rows.
  const std::string two = coraft::testing::render_markdown(ev, {1, 3});
  EXPECT_EQ(std::count(two.begin(), two.end(), '\n'), 4);
  const std::string one = coraft::testing::render_jsonl(ev, {ev.size() - 1, ev.size() + 10});
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1);
}

}  // namespace
}  // namespace coraft::test
