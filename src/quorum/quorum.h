// Quorum: what a majority of a configuration decided (§5.2, §5.4; thesis
// §4.3 for joint consensus). The only place in coraft that knows what a
// quorum is; the node asks it about commit indexes, elections and liveness.
//
// Contract:
//  - A MajorityConfig is a set of distinct voter ids. A decision needs
//    size() / 2 + 1 of them.
//  - The empty MajorityConfig is neutral in a joint configuration: it
//    commits everything (committed_index() is kMaxIndex) and wins every
//    vote, so JointConfig{c, {}} behaves exactly as c alone.
//  - A JointConfig (thesis §4.3) needs a majority of each half, separately:
//    its committed index is the smaller of the halves', and a vote is won
//    only when both halves won it, lost when either lost it.
//  - Nothing here allocates for configurations of up to kInlineVoters.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "coraft/types.h"

namespace coraft::quorum {

inline constexpr Index kMaxIndex = std::numeric_limits<Index>::max();

enum class VoteResult : std::uint8_t {
  kPending,  // neither outcome is decided yet: more answers may settle it
  kLost,     // enough voters said no that a majority of yes is impossible
  kWon,      // a majority said yes
};

const char* vote_result_name(VoteResult r);

class MajorityConfig {
 public:
  static constexpr std::size_t kInlineVoters = 16;

  MajorityConfig() = default;
  // Precondition: distinct ids (ClusterConfig::validate checks it).
  explicit MajorityConfig(std::vector<NodeId> voters) : voters_(std::move(voters)) {}

  const std::vector<NodeId>& voters() const { return voters_; }
  std::size_t size() const { return voters_.size(); }
  bool empty() const { return voters_.empty(); }
  bool contains(NodeId id) const { return std::find(voters_.begin(), voters_.end(), id) != voters_.end(); }
  // The smallest number of voters that forms a majority (0 when empty).
  std::size_t majority() const { return voters_.empty() ? 0 : voters_.size() / 2 + 1; }

  // The highest index that a majority of voters has acknowledged, where
  // `acked(id)` is voter id's acknowledged index (§5.3: its match index;
  // the leader's own durable index). kMaxIndex when empty.
  template <typename Acked>
  Index committed_index(Acked&& acked) const;

  // The outcome of a vote, where `vote(id)` is std::optional<bool>: true
  // for yes, false for no, nullopt for no answer yet.
  template <typename Vote>
  VoteResult vote_result(Vote&& vote) const;

  friend bool operator==(const MajorityConfig&, const MajorityConfig&) = default;

 private:
  std::vector<NodeId> voters_;
};

class JointConfig {
 public:
  JointConfig() = default;
  explicit JointConfig(MajorityConfig incoming, MajorityConfig outgoing = {})
      : incoming_(std::move(incoming)), outgoing_(std::move(outgoing)) {}

  const MajorityConfig& incoming() const { return incoming_; }
  const MajorityConfig& outgoing() const { return outgoing_; }
  bool joint() const { return !outgoing_.empty(); }
  bool contains(NodeId id) const { return incoming_.contains(id) || outgoing_.contains(id); }

  template <typename Acked>
  Index committed_index(Acked&& acked) const {
    return std::min(incoming_.committed_index(acked), outgoing_.committed_index(acked));
  }

  template <typename Vote>
  VoteResult vote_result(Vote&& vote) const {
    const VoteResult a = incoming_.vote_result(vote);
    const VoteResult b = outgoing_.vote_result(vote);
    if (a == VoteResult::kLost || b == VoteResult::kLost) return VoteResult::kLost;
    if (a == VoteResult::kWon && b == VoteResult::kWon) return VoteResult::kWon;
    return VoteResult::kPending;
  }

  friend bool operator==(const JointConfig&, const JointConfig&) = default;

 private:
  MajorityConfig incoming_;
  MajorityConfig outgoing_;
};

// ---- implementation ----

namespace detail {
// The k-th largest (0-based) of `v[0..n)`; reorders v.
Index kth_largest(Index* v, std::size_t n, std::size_t k);
}  // namespace detail

template <typename Acked>
Index MajorityConfig::committed_index(Acked&& acked) const {
  const std::size_t n = voters_.size();
  if (n == 0) return kMaxIndex;
  std::array<Index, kInlineVoters> inline_buf;
  std::vector<Index> heap_buf;
  Index* v = inline_buf.data();
  if (n > kInlineVoters) {
    heap_buf.resize(n);
    v = heap_buf.data();
  }
  for (std::size_t i = 0; i < n; ++i) v[i] = acked(voters_[i]);
  // Sorted from high to low, the (majority - 1)-th value is held by a
  // majority: every voter before it holds at least as much.
  return detail::kth_largest(v, n, majority() - 1);
}

template <typename Vote>
VoteResult MajorityConfig::vote_result(Vote&& vote) const {
  if (voters_.empty()) return VoteResult::kWon;
  std::size_t yes = 0;
  std::size_t missing = 0;
  for (NodeId id : voters_) {
    const std::optional<bool> v = vote(id);
    if (!v) {
      ++missing;
    } else if (*v) {
      ++yes;
    }
  }
  const std::size_t q = majority();
  if (yes >= q) return VoteResult::kWon;
  if (yes + missing >= q) return VoteResult::kPending;
  return VoteResult::kLost;
}

}  // namespace coraft::quorum
