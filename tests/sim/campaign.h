// The randomized simulation campaign: one seed drives a whole run.
//
// For each seed: a random cluster size (1 to 7), random settings (PreVote
// and CheckQuorum on or off), random per-server clock rates (skew), a
// workload of concurrent clients on a key-value state machine (put, get
// through the log, compare-and-set), and random faults over time: message
// loss, delay, duplication and reordering, symmetric and one-way partitions,
// pauses, crashes (some aimed at a leader that has sent entries it has not
// yet written), slow disks. Each seed draws its own fault mix (swarm
// testing): some kinds off, others frequent. The invariant checker runs
// after every step. When the faults heal: a leader must be elected, every
// proposal made after healing must complete, and every server's log and
// commit index must catch up with the leader's, within bounded virtual
// time. The client history must be linearizable, and each successful
// proposal answered with its own entry's result. Finally availability is
// probed: a healthy cluster holds no election; with PreVote, a rejoining
// server does not raise the term; with CheckQuorum, a cut-off leader steps
// down.
#pragma once

#include <cstdint>
#include <string>

#include "coraft/testing/sim_cluster.h"

namespace coraft::sim {

// Deliberately broken components, to show the campaign catches real bugs.
enum class Sabotage : std::uint8_t {
  kNone,
  kLogAcknowledgesBeforeKeeping,  // LogAPI::append returns before the entries are kept
  kStateMachineAppliesTwice,      // a state machine wrapper applies some entries twice
};

struct CampaignOptions {
  std::uint64_t seed = 1;
  Sabotage sabotage = Sabotage::kNone;
  testing::TraceMode trace = testing::TraceMode::kOff;
  // When not empty: write the run's trace there (<dir>/campaign-seed<N>.*).
  std::string trace_dir;
  // Virtual time with faults, then at most this long to recover.
  std::chrono::milliseconds fault_phase{4000};
  std::chrono::milliseconds recovery_limit{20000};
};

struct FaultCounts {
  std::uint64_t partitions = 0, one_way = 0, isolations = 0, heals = 0, pauses = 0, crashes = 0, stops = 0,
                restarts = 0, loss_changes = 0, skewed_nodes = 0, aimed_crashes = 0, slow_disks = 0,
                cut_leaders = 0;
  // Availability probes run after recovery (quiet network, PreVote rejoin,
  // CheckQuorum step-down).
  std::uint64_t quiet_probes = 0, prevote_probes = 0, check_quorum_probes = 0;
  std::uint64_t messages_dropped = 0, messages_duplicated = 0, messages_delivered = 0;
  FaultCounts& operator+=(const FaultCounts& o);
};

struct SeedResult {
  std::uint64_t seed = 0;
  bool ok = false;
  std::string failure;  // what broke, when !ok
  std::size_t nodes = 0;
  bool pre_vote = false;
  bool check_quorum = false;
  std::string fault_mix;  // the seed's swarm configuration, for the replay line
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  FaultCounts faults;
  std::size_t ops_ok = 0, ops_unknown = 0, ops_not_applied = 0;
  std::size_t linearizability_states = 0;
  bool linearizability_gave_up = false;
};

SeedResult run_seed(const CampaignOptions& options);

// The command that replays a seed with its trace written out.
std::string replay_command(std::uint64_t seed, Sabotage sabotage = Sabotage::kNone);

}  // namespace coraft::sim
