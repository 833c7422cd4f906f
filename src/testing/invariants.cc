#include "coraft/testing/invariants.h"

#include <string>

namespace coraft::testing {

void InvariantChecker::add_violation(std::string what) { violations_.push_back(std::move(what)); }

std::uint64_t InvariantChecker::hash_bytes(std::string_view b) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : b) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h ^ b.size();
}

void InvariantChecker::on_entry_durable(NodeId node, const Entry& entry, Term prev_term) {
  EntryKey key{hash_bytes(entry.data), prev_term, entry.type};
  auto [it, inserted] = durable_.emplace(std::make_pair(entry.index, entry.term), key);
  if (inserted) return;
  const EntryKey& k = it->second;
  if (k.hash != key.hash || k.type != key.type || k.prev_term != key.prev_term) {
    add_violation("log matching: node " + std::to_string(node) + " holds a different entry at index " +
                  std::to_string(entry.index) + " term " + std::to_string(entry.term) + " than another node");
  }
}

void InvariantChecker::on_vote(NodeId voter, Term term, NodeId candidate) {
  auto [it, inserted] = votes_.emplace(std::make_pair(voter, term), candidate);
  if (!inserted && it->second != candidate) {
    add_violation("node " + std::to_string(voter) + " voted for both " + std::to_string(it->second) +
                  " and " + std::to_string(candidate) + " in term " + std::to_string(term));
  }
}

void InvariantChecker::on_apply(NodeId node, Index index, std::string_view command) {
  NodeSeen& seen = nodes_[node];
  if (index <= seen.applied) {
    add_violation("node " + std::to_string(node) + " applied index " + std::to_string(index) +
                  " after index " + std::to_string(seen.applied) + " (twice or out of order)");
  }
  seen.applied = index;
  const std::uint64_t h = hash_bytes(command);
  auto [it, inserted] = applied_.emplace(index, h);
  if (!inserted && it->second != h) {
    add_violation("state machine safety: node " + std::to_string(node) +
                  " applied a different command at index " + std::to_string(index));
  }
}

void InvariantChecker::on_state_machine_reset(NodeId node, Index applied) { nodes_[node].applied = applied; }

void InvariantChecker::on_restart(NodeId node) {
  NodeSeen& seen = nodes_[node];
  seen.commit = 0;
  seen.completeness_checked_term = 0;
  seen.observed = false;
}

void InvariantChecker::on_hard_state(NodeId node, const HardState& before, const HardState& after) {
  if (after.term < before.term) {
    add_violation("durable hard state: node " + std::to_string(node) + " saved term " +
                  std::to_string(after.term) + " over term " + std::to_string(before.term));
  } else if (after.term == before.term && before.vote != kNoNode && after.vote != before.vote) {
    add_violation("durable hard state: node " + std::to_string(node) + " changed its vote in term " +
                  std::to_string(after.term) + " from " + std::to_string(before.vote) + " to " +
                  (after.vote == kNoNode ? std::string("none") : std::to_string(after.vote)));
  }
}

void InvariantChecker::on_vote_sent(NodeId voter, Term term, NodeId candidate, const HardState& durable) {
  on_vote(voter, term, candidate);
  // A later term on disk means the vote was durable and then superseded.
  if (durable.term < term || (durable.term == term && durable.vote != candidate)) {
    add_violation("persist before responding: node " + std::to_string(voter) + " sent its vote for " +
                  std::to_string(candidate) + " in term " + std::to_string(term) +
                  " before the vote was durable");
  }
}

void InvariantChecker::on_append_ack(NodeId follower, Index match, std::optional<Term> term,
                                     std::optional<Term> durable_term) {
  if (match == 0) return;
  if (!durable_term || (term && *durable_term != *term)) {
    add_violation(
        "persist before responding: node " + std::to_string(follower) + " acknowledged entries through " +
        std::to_string(match) +
        (durable_term ? " while its durable log holds another entry there" : " before they were durable"));
  }
}

void InvariantChecker::on_commit_durability(NodeId node, Index index, Term term, std::size_t durable_on,
                                            std::size_t voters) {
  if (durable_on * 2 > voters) return;
  add_violation("durable commitment: node " + std::to_string(node) + " committed index " +
                std::to_string(index) + " (term " + std::to_string(term) + ") durable on only " +
                std::to_string(durable_on) + " of " + std::to_string(voters) + " voters");
}

void InvariantChecker::on_leader(NodeId node, Term term, const std::vector<NodeId>& voters) {
  NodeSeen& seen = nodes_[node];
  if (seen.votes_checked_term == term) return;
  seen.votes_checked_term = term;
  std::size_t granted = 0;
  for (NodeId v : voters) {
    if (v == node) {
      ++granted;  // a candidate votes for itself (durable before any other vote is asked)
      continue;
    }
    auto it = votes_.find({v, term});
    if (it != votes_.end() && it->second == node) ++granted;
  }
  if (granted * 2 <= voters.size()) {
    add_violation("election: node " + std::to_string(node) + " became leader of term " +
                  std::to_string(term) + " with granted votes from only " + std::to_string(granted) + " of " +
                  std::to_string(voters.size()) + " voters");
  }
}

}  // namespace coraft::testing
