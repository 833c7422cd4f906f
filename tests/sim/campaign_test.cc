// The randomized simulation campaign, as tests: a default sweep sized for
// CI, determinism, and proof that the campaign catches broken components.
// Long sweeps: coraft_campaign --seeds 20000 (see docs/testing.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/campaign.h"

#ifndef CORAFT_CAMPAIGN_DEFAULT_SEEDS
#define CORAFT_CAMPAIGN_DEFAULT_SEEDS 1000
#endif

namespace coraft::sim {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// @feature simulation linearizability safety-checker crash-recovery partitions prevote checkquorum
TEST(Campaign, RandomizedSweepKeepsEveryInvariant) {
  const std::uint64_t first = env_or("CORAFT_CAMPAIGN_FIRST", 1);
  const std::uint64_t count = env_or("CORAFT_CAMPAIGN_SEEDS", CORAFT_CAMPAIGN_DEFAULT_SEEDS);
  FaultCounts total;
  std::uint64_t steps = 0, ops = 0, unknown = 0;
  for (std::uint64_t s = first; s < first + count; ++s) {
    CampaignOptions o;
    o.seed = s;
    const SeedResult r = run_seed(o);
    EXPECT_FALSE(r.linearizability_gave_up)
        << "seed " << s << ": the linearizability search gave up (no proof)";
    EXPECT_TRUE(r.ok) << "seed " << s << " (" << r.nodes << " nodes, PreVote " << r.pre_vote
                      << ", CheckQuorum " << r.check_quorum << ", faults " << r.fault_mix
                      << "): " << r.failure << "\n  replay: " << replay_command(s);
    total += r.faults;
    steps += r.steps;
    ops += r.ops_ok;
    unknown += r.ops_unknown;
  }
  std::printf(
      "[ campaign ] seeds %llu..%llu: %llu steps; partitions %llu, one-way %llu, isolations %llu, pauses "
      "%llu, "
      "crashes %llu, clean stops %llu, restarts %llu, loss changes %llu, skewed clocks %llu; messages "
      "dropped %llu, duplicated "
      "%llu; "
      "client ops %llu completed, %llu unknown\n",
      (unsigned long long)first, (unsigned long long)(first + count - 1), (unsigned long long)steps,
      (unsigned long long)total.partitions, (unsigned long long)total.one_way,
      (unsigned long long)total.isolations, (unsigned long long)total.pauses,
      (unsigned long long)total.crashes, (unsigned long long)total.stops, (unsigned long long)total.restarts,
      (unsigned long long)total.loss_changes, (unsigned long long)total.skewed_nodes,
      (unsigned long long)total.messages_dropped, (unsigned long long)total.messages_duplicated,
      (unsigned long long)ops, (unsigned long long)unknown);
  EXPECT_GT(total.crashes, 0u);
  EXPECT_GT(total.partitions, 0u);
  EXPECT_GT(total.aimed_crashes, 0u);
  EXPECT_GT(total.slow_disks, 0u);
  EXPECT_GT(total.quiet_probes, 0u);
  EXPECT_GT(total.prevote_probes, 0u);
  EXPECT_GT(total.check_quorum_probes, 0u);
  EXPECT_GT(ops, 0u);
}

// @feature simulation tracing
TEST(Campaign, SameSeedYieldsTheSameTrace) {
  for (std::uint64_t s : {3ull, 17ull}) {
    CampaignOptions o;
    o.seed = s;
    o.trace = testing::TraceMode::kHash;
    const SeedResult a = run_seed(o);
    const SeedResult b = run_seed(o);
    EXPECT_TRUE(a.ok) << a.failure;
    EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << s << " is not deterministic";
    EXPECT_EQ(a.steps, b.steps);
    o.seed = s + 1;
    EXPECT_NE(run_seed(o).trace_hash, a.trace_hash);
  }
}

SeedResult first_failure(Sabotage sabotage, std::uint64_t max_seeds) {
  for (std::uint64_t s = 1; s <= max_seeds; ++s) {
    CampaignOptions o;
    o.seed = s;
    o.sabotage = sabotage;
    SeedResult r = run_seed(o);
    if (!r.ok) return r;
  }
  return SeedResult{};
}

// @feature simulation safety-checker crash-recovery
TEST(Campaign, CatchesALogThatAcknowledgesAppendsBeforeKeepingThem) {
  const SeedResult r = first_failure(Sabotage::kLogAcknowledgesBeforeKeeping, 100);
  ASSERT_NE(r.seed, 0u) << "100 seeds ran against a lying LogAPI and nothing noticed";
  std::printf("[ campaign ] lying LogAPI caught at seed %llu: %s\n", (unsigned long long)r.seed,
              r.failure.c_str());
}

// @feature simulation safety-checker
TEST(Campaign, CatchesAStateMachineThatAppliesTwice) {
  const SeedResult r = first_failure(Sabotage::kStateMachineAppliesTwice, 20);
  ASSERT_NE(r.seed, 0u) << "20 seeds ran against a double-applying state machine and nothing noticed";
  EXPECT_NE(r.failure.find("twice"), std::string::npos) << r.failure;
  std::printf("[ campaign ] double apply caught at seed %llu: %s\n", (unsigned long long)r.seed,
              r.failure.c_str());
}

}  // namespace
}  // namespace coraft::sim
