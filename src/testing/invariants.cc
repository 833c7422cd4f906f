#include "coraft/testing/invariants.h"

#include <string>

namespace coraft::testing {

void InvariantChecker::add_violation(std::string what) { violations_.push_back(std::move(what)); }

std::uint64_t InvariantChecker::hash_bytes(const Bytes& b) {
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

void InvariantChecker::on_apply(NodeId node, Index index, const Bytes& command) {
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
}

}  // namespace coraft::testing
