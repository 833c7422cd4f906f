// Basic Raft vocabulary: ids, terms, indexes, log entries.
#pragma once

#include <cstdint>
#include <string>

#include "coraft/payload.h"

namespace coraft {

// A server's id in the cluster. 0 means "none" (no vote, no known leader).
using NodeId = std::uint64_t;
inline constexpr NodeId kNoNode = 0;

// Raft term (§5.1) and log index (§5.3). Index 0 is the empty prefix.
using Term = std::uint64_t;
using Index = std::uint64_t;

// Opaque bytes: commands, results, encoded messages.
using Bytes = std::string;

enum class EntryType : std::uint8_t {
  kCommand = 0,  // an application command, applied through StateMachine::apply
  kNoop = 1,     // appended by each new leader at the start of its term (§8)
  kConfig = 2,   // data is an encoded ClusterConfig (thesis §4.1)
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kCommand;
  // The command (or the encoded configuration), shared, never copied: the
  // node's cache, LogAPI, messages and the state machine all hold the same
  // bytes.
  Payload data;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// The durable per-server state of Figure 2: persisted before any message
// that depends on it is sent.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;

  friend bool operator==(const HardState&, const HardState&) = default;
};

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };

const char* role_name(Role role);

}  // namespace coraft
