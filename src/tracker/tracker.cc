#include "tracker/tracker.h"

#include <algorithm>
#include <optional>

namespace coraft::tracker {

void ProgressTracker::set_config(quorum::JointConfig config) {
  config_ = std::move(config);
  if (peers_.empty()) return;
  // Keep the members that stay; members that leave lose their progress.
  std::erase_if(peers_, [&](const Progress& p) { return !config_.contains(p.id()); });
}

void ProgressTracker::start_leading(NodeId self, Index next, coro::TimePoint now) {
  peers_.clear();
  auto add = [&](NodeId id) {
    if (id == self || get(id) != nullptr) return;
    peers_.emplace_back(id, next);
    peers_.back().touch(now);
  };
  for (NodeId id : config_.incoming().voters()) add(id);
  for (NodeId id : config_.outgoing().voters()) add(id);
}

Progress* ProgressTracker::get(NodeId id) {
  for (auto& p : peers_) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

const Progress* ProgressTracker::get(NodeId id) const {
  for (const auto& p : peers_) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

Index ProgressTracker::committed(NodeId self, Index self_durable) const {
  return config_.committed_index([&](NodeId id) -> Index {
    if (id == self) return self_durable;
    const Progress* p = get(id);
    return p ? p->match() : 0;
  });
}

bool ProgressTracker::quorum_active(NodeId self, coro::TimePoint now, coro::Duration window) const {
  const auto result = config_.vote_result([&](NodeId id) -> std::optional<bool> {
    if (id == self) return true;
    const Progress* p = get(id);
    return p != nullptr && now - p->last_contact() < window;
  });
  return result == quorum::VoteResult::kWon;
}

bool ProgressTracker::record_vote(NodeId id, bool granted) {
  if (!config_.contains(id)) return false;
  for (auto& [voter, yes] : votes_) {
    if (voter != id) continue;
    if (yes || !granted) return false;
    yes = true;
    return true;
  }
  votes_.emplace_back(id, granted);
  return true;
}

quorum::VoteResult ProgressTracker::tally() const {
  return config_.vote_result([&](NodeId id) -> std::optional<bool> {
    for (const auto& [voter, yes] : votes_) {
      if (voter == id) return yes;
    }
    return std::nullopt;
  });
}

std::size_t ProgressTracker::granted_count() const {
  return static_cast<std::size_t>(
      std::count_if(votes_.begin(), votes_.end(), [](const auto& v) { return v.second; }));
}

}  // namespace coraft::tracker
