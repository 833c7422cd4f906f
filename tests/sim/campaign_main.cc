// coraft_campaign: runs the randomized simulation campaign over a range of
// seeds and prints what ran, with how many faults of each kind.
//
//   coraft_campaign --seeds 20000 [--first 1]       a sweep
//   coraft_campaign --seed 4711 --trace /tmp/t       replay one seed, write its trace
//   coraft_campaign --seeds 50 --sabotage log|apply  against a broken component
//   coraft_campaign --seeds 1000 --hashes            one line per seed: its trace hash
//
// --hashes records each run's trace hash (every event of the run, in order)
// and prints "seed <n> <hash>" per seed: two revisions whose outputs are
// identical scheduled every seed identically (tests/sim/compare_traces.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/campaign.h"

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each failure is printed as it happens
  std::uint64_t first = 1, count = 100;
  coraft::sim::CampaignOptions base;
  bool single = false;
  bool hashes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--seeds" && v) {
      count = std::strtoull(v, nullptr, 10);
      ++i;
    } else if (a == "--first" && v) {
      first = std::strtoull(v, nullptr, 10);
      ++i;
    } else if (a == "--seed" && v) {
      first = std::strtoull(v, nullptr, 10);
      count = 1;
      single = true;
      base.trace = coraft::testing::TraceMode::kHash;  // the hash it prints
      ++i;
    } else if (a == "--trace" && v) {
      base.trace_dir = v;
      ++i;
    } else if (a == "--hashes") {
      hashes = true;
      base.trace = coraft::testing::TraceMode::kHash;
    } else if (a == "--sabotage" && v) {
      base.sabotage = std::strcmp(v, "log") == 0     ? coraft::sim::Sabotage::kLogAcknowledgesBeforeKeeping
                      : std::strcmp(v, "apply") == 0 ? coraft::sim::Sabotage::kStateMachineAppliesTwice
                                                     : coraft::sim::Sabotage::kNone;
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--seeds N] [--first S] [--seed S] [--trace DIR] [--hashes] "
                   "[--sabotage log|apply]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  coraft::sim::FaultCounts total;
  std::uint64_t most_steps = 0;
  std::uint64_t steps = 0, ops_ok = 0, ops_unknown = 0, not_applied = 0, failures = 0, gave_up = 0;
  std::uint64_t sizes[8] = {};
  for (std::uint64_t s = first; s < first + count; ++s) {
    coraft::sim::CampaignOptions o = base;
    o.seed = s;
    const coraft::sim::SeedResult r = coraft::sim::run_seed(o);
    total += r.faults;
    steps += r.steps;
    most_steps = std::max(most_steps, r.steps);
    ops_ok += r.ops_ok;
    ops_unknown += r.ops_unknown;
    not_applied += r.ops_not_applied;
    gave_up += r.linearizability_gave_up ? 1 : 0;
    ++sizes[r.nodes];
    if (hashes) {
      std::printf("seed %llu %016llx\n", static_cast<unsigned long long>(s),
                  static_cast<unsigned long long>(r.trace_hash));
    }
    if (!r.ok) {
      ++failures;
      std::printf("FAIL seed %llu (%zu nodes, PreVote %s, CheckQuorum %s, faults %s): %s\n  replay: %s\n",
                  static_cast<unsigned long long>(s), r.nodes, r.pre_vote ? "on" : "off",
                  r.check_quorum ? "on" : "off", r.fault_mix.c_str(), r.failure.c_str(),
                  coraft::sim::replay_command(s, base.sabotage).c_str());
    } else if (single) {
      std::printf("seed %llu ok: %zu nodes, %llu steps, trace hash %016llx\n",
                  static_cast<unsigned long long>(s), r.nodes, static_cast<unsigned long long>(r.steps),
                  static_cast<unsigned long long>(r.trace_hash));
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("campaign: %llu seeds (%llu..%llu) in %.1f s, %llu failures\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + count - 1), secs,
              static_cast<unsigned long long>(failures));
  std::printf("  cluster sizes 1..7: %llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)sizes[1],
              (unsigned long long)sizes[2], (unsigned long long)sizes[3], (unsigned long long)sizes[4],
              (unsigned long long)sizes[5], (unsigned long long)sizes[6], (unsigned long long)sizes[7]);
  std::printf("  simulated steps %llu, most steps in one seed %llu\n", static_cast<unsigned long long>(steps),
              static_cast<unsigned long long>(most_steps));
  std::printf(
      "  faults: partitions %llu, one-way %llu, isolations %llu, heals %llu, pauses %llu, crashes %llu, "
      "clean stops %llu, restarts %llu, loss/duplication changes %llu, skewed clocks %llu\n",
      (unsigned long long)total.partitions, (unsigned long long)total.one_way,
      (unsigned long long)total.isolations, (unsigned long long)total.heals, (unsigned long long)total.pauses,
      (unsigned long long)total.crashes, (unsigned long long)total.stops, (unsigned long long)total.restarts,
      (unsigned long long)total.loss_changes, (unsigned long long)total.skewed_nodes);
  std::printf(
      "  aimed leader crashes %llu, new leaders cut off %llu, slow disks %llu; availability probes: quiet "
      "%llu, PreVote rejoin %llu, "
      "CheckQuorum step-down %llu\n",
      (unsigned long long)total.aimed_crashes, (unsigned long long)total.cut_leaders,
      (unsigned long long)total.slow_disks, (unsigned long long)total.quiet_probes,
      (unsigned long long)total.prevote_probes, (unsigned long long)total.check_quorum_probes);
  std::printf("  messages: delivered %llu, dropped %llu, duplicated %llu\n",
              (unsigned long long)total.messages_delivered, (unsigned long long)total.messages_dropped,
              (unsigned long long)total.messages_duplicated);
  std::printf(
      "  client operations: %llu completed, %llu with unknown outcome, %llu not applied; "
      "linearizability search gave up on %llu seeds\n",
      (unsigned long long)ops_ok, (unsigned long long)ops_unknown, (unsigned long long)not_applied,
      (unsigned long long)gave_up);
  return failures == 0 ? 0 : 1;
}
