// The cluster configuration: the members and the cluster-wide settings.
//
// One value that every server of a new cluster starts with. It is stored in
// the log as the first entry, so every server agrees on it; settings such as
// PreVote and CheckQuorum are never set per server.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "coraft/status.h"
#include "coraft/types.h"

namespace coraft {

struct ClusterSettings {
  // PreVote (thesis §9.6): a server first asks whether it could win before
  // disrupting the cluster with a higher term. Default: true.
  bool pre_vote = true;
  // CheckQuorum (thesis §6.2): a leader steps down when it has not heard from
  // a quorum within the minimum election timeout (checked at that period),
  // and a follower that heard from a live leader within the minimum election
  // timeout refuses to vote (thesis §4.2.3).
  // Default: true.
  bool check_quorum = true;
  // Election timeouts are drawn uniformly from [min, max) (§5.2).
  // Default: 150 ms and 300 ms.
  std::chrono::milliseconds election_timeout_min{150};
  std::chrono::milliseconds election_timeout_max{300};
  // How often a leader sends a keepalive AppendEntries to every follower.
  // Default: 50 ms.
  std::chrono::milliseconds heartbeat_interval{50};
  // Most entries in one AppendEntries message. Default: 1024.
  std::uint32_t max_entries_per_message = 1024;
  // Entry payload bytes per AppendEntries message, a soft cap: entries are
  // added while the total is below it, so a message may exceed it by one
  // entry, and at least one entry is always sent. Default: 1 MiB.
  std::uint64_t max_bytes_per_message = 1 << 20;
  // Most AppendEntries messages in flight to one follower (pipelining
  // window). Default: 16.
  std::uint32_t max_inflight_messages = 16;
  // Entry payload bytes in flight to one follower, a soft cap: another
  // message may be sent while the total is below it. Default: 16 MiB.
  std::uint64_t max_inflight_bytes = 16 << 20;

  friend bool operator==(const ClusterSettings&, const ClusterSettings&) = default;
};

struct ClusterConfig {
  // The voting members. Any size from 1; ids are distinct, non-zero and in
  // ascending order (the encoding is canonical: every server of a new
  // cluster must write the very same entry 1).
  std::vector<NodeId> voters;
  ClusterSettings settings;
  // A name for the cluster, for example "orders-prod"; part of its
  // identity, so that two clusters that happen to use the same ids and
  // settings still never accept each other's messages. At most 255 bytes.
  // Default: empty.
  std::string name;

  bool contains(NodeId id) const;
  // ok, or invalid_argument saying what is wrong.
  Status validate() const;

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// The identity of the cluster that started with `initial` (its entry 1): a
// 64-bit fingerprint (FNV-1a) of the configuration's canonical encoding,
// never 0. Every message a node sends carries it, and a node drops messages
// that carry another (servers started with different initial
// configurations, or a server of another cluster); see NodeStatus.
std::uint64_t cluster_fingerprint(const ClusterConfig& initial);

}  // namespace coraft
