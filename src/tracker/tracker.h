// ProgressTracker: the leader's view of the cluster, and the votes of an
// election. It knows the configuration in effect (as a quorum::JointConfig)
// and, while this server leads, one Progress per other member, in the
// configuration's order.
//
// Contract:
//  - set_config() replaces the configuration; the node calls it whenever the
//    latest configuration in its log changes (thesis §4.1: in effect once
//    appended). Progress of members that stay is kept, that of members that
//    left is dropped.
//  - start_leading() creates a fresh Progress for every other member, next
//    index `next`, last contact `now` (a grace period for CheckQuorum);
//    stop_leading() drops them all.
//  - committed() and quorum_active() count this server itself through the
//    arguments it is given (its durable index, "heard from": always), never
//    through a Progress: a leader counts only what it has made durable
//    (thesis §10.2.1).
//  - Votes: one answer per voter per round. A grant is never taken back; a
//    duplicate answer changes nothing; answers from non-voters are ignored.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "coraft/coro/executor.h"
#include "coraft/types.h"
#include "quorum/quorum.h"
#include "tracker/progress.h"

namespace coraft::tracker {

class ProgressTracker {
 public:
  void set_config(quorum::JointConfig config);
  const quorum::JointConfig& config() const { return config_; }
  bool is_voter(NodeId id) const { return config_.contains(id); }

  // ---- replication (leader only) ----
  void start_leading(NodeId self, Index next, coro::TimePoint now);
  void stop_leading() { peers_.clear(); }
  // The Progress of member `id`, or nullptr (not a member, or not leading).
  Progress* get(NodeId id);
  const Progress* get(NodeId id) const;
  std::vector<Progress>& peers() { return peers_; }
  const std::vector<Progress>& peers() const { return peers_; }

  // The highest index held durably by a quorum (§5.3, §5.4): `self`
  // contributes `self_durable`, every other voter its match index.
  Index committed(NodeId self, Index self_durable) const;
  // Thesis §6.2: whether a quorum, `self` included, was heard from within
  // `window` before `now`.
  bool quorum_active(NodeId self, coro::TimePoint now, coro::Duration window) const;

  // ---- votes (candidate and pre-candidate) ----
  void reset_votes() { votes_.clear(); }
  // Records voter `id`'s answer. Returns false when nothing changed: a
  // duplicate, a no after a yes, or a non-voter.
  bool record_vote(NodeId id, bool granted);
  quorum::VoteResult tally() const;
  std::size_t granted_count() const;

 private:
  quorum::JointConfig config_;
  std::vector<Progress> peers_;
  std::vector<std::pair<NodeId, bool>> votes_;
};

}  // namespace coraft::tracker
