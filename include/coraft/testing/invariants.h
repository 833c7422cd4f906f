// InvariantChecker: the safety properties of Raft (Figure 3), checked
// incrementally as a simulated (or instrumented real) cluster runs.
//
//  - Election Safety: at most one leader per term.
//  - Log Matching: two durable entries with the same index and term hold the
//    same content and follow entries of the same term (checked per append,
//    which proves the property by induction).
//  - Leader Completeness: a leader's log holds every entry committed in an
//    earlier term (an entry's commit term is bounded by the lowest term of a
//    server seen committing it).
//  - State Machine Safety: no two servers commit or apply different entries
//    at one index; a state machine applies each index once, in order.
//  - Commit index never decreases on a running server.
//  - One vote per term per server, across restarts.
//
// And the rules whose breaking makes those possible, checked at the moment
// they are broken rather than when (and if) a run turns them into a visible
// safety violation:
//  - Durable commitment (thesis §10.2.1): when a server's commit index
//    reaches i, entry i is durable on a majority of the voters.
//  - Commitment by counting only in the leader's term (§5.4.2, Figure 8): a
//    leader's commit index advances only to an entry of its own term.
//  - Persist before responding (Figure 2): a granted vote leaves a server
//    only once that vote is durable; a successful AppendEntries response
//    only once the entries it acknowledges are durable.
//  - Durable hard state (Figure 2): currentTerm never decreases and votedFor,
//    once set in a term, never changes in that term.
//  - A leader of term t holds granted votes of term t from a majority of
//    distinct voters (§5.2; a duplicated or stale vote counts for nothing).
//
// Feed it events through the on_* hooks; violations() lists what broke.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "coraft/types.h"

namespace coraft::testing {

class InvariantChecker {
 public:
  // A server's entry became durable; `prev_term` is the term of the entry
  // just before it in that server's log.
  void on_entry_durable(NodeId node, const Entry& entry, Term prev_term);
  // A server granted its vote (observed on the wire or in its storage).
  void on_vote(NodeId voter, Term term, NodeId candidate);
  // A server's state machine applied `command` at `index`.
  void on_apply(NodeId node, Index index, std::string_view command);
  // A server's state machine restarted; it applies again from applied + 1.
  void on_state_machine_reset(NodeId node, Index applied);
  // A server restarted: its volatile commit index starts over.
  void on_restart(NodeId node);
  // A server's durable hard state changed from `before` to `after`.
  void on_hard_state(NodeId node, const HardState& before, const HardState& after);
  // A server sent a granted vote for `candidate` in `term`; `durable` is its
  // durable hard state at that moment.
  void on_vote_sent(NodeId voter, Term term, NodeId candidate, const HardState& durable);
  // A server sent a successful AppendEntries response for entries through
  // `match`. `term` is the term the acknowledged log holds at `match`
  // (nullopt when unknown: then only durability is checked), `durable_term`
  // the term the sender's durable log holds there (nullopt: nothing).
  void on_append_ack(NodeId follower, Index match, std::optional<Term> term,
                     std::optional<Term> durable_term);
  // A server's commit index reached `index`, where its log holds `term`;
  // `durable_on` of the `voters` voters hold that entry durably.
  void on_commit_durability(NodeId node, Index index, Term term, std::size_t durable_on, std::size_t voters);
  // A server is leader of `term`, elected by the voters `voters`. Checked
  // once per (node, term).
  void on_leader(NodeId node, Term term, const std::vector<NodeId>& voters);
  // A running server's current role, term, commit index and log (the
  // term_at callback answers for any index up to commit and beyond).
  template <typename TermAt>
  void on_observe(NodeId node, Role role, Term term, Index commit, TermAt&& term_at);

  bool ok() const { return violations_.empty(); }
  const std::vector<std::string>& violations() const { return violations_; }
  std::size_t leaders_seen() const { return leaders_.size(); }
  Index committed_through() const { return committed_.empty() ? 0 : committed_.size(); }
  // For callers that want to fail fast.
  void add_violation(std::string what);

 private:
  struct NodeSeen {
    Index commit = 0;
    Index applied = 0;
    Term completeness_checked_term = 0;
    bool observed = false;  // observed at least once since its last (re)start
    Term votes_checked_term = 0;
  };
  struct EntryKey {
    std::uint64_t hash;
    Term prev_term;
    EntryType type;
  };
  static std::uint64_t hash_bytes(std::string_view b);

  std::vector<std::string> violations_;
  std::map<Term, NodeId> leaders_;
  std::map<std::pair<NodeId, Term>, NodeId> votes_;
  std::map<std::pair<Index, Term>, EntryKey> durable_;
  std::vector<Term> committed_;  // committed_[i-1] = term at index i
  // commit_term_[i-1]: the lowest term of a server seen committing index i.
  // Bounds from above the term in which it was committed (the leader that
  // commits an entry does so in its own term and is usually seen first).
  std::vector<Term> commit_term_;
  std::unordered_map<Index, std::uint64_t> applied_;  // index -> command hash
  std::unordered_map<NodeId, NodeSeen> nodes_;
};

template <typename TermAt>
void InvariantChecker::on_observe(NodeId node, Role role, Term term, Index commit, TermAt&& term_at) {
  NodeSeen& seen = nodes_[node];
  if (role == Role::kLeader) {
    auto [it, inserted] = leaders_.emplace(term, node);
    if (!inserted && it->second != node) {
      add_violation("election safety: nodes " + std::to_string(it->second) + " and " + std::to_string(node) +
                    " both leaders of term " + std::to_string(term));
    }
    if (seen.completeness_checked_term != term) {
      seen.completeness_checked_term = term;
      // §5.4: an entry committed in a term below this leader's must be in
      // its log. (A leader of an older term, resuming after a pause, need
      // not hold what a newer term committed.)
      for (Index i = 1; i <= committed_.size(); ++i) {
        if (commit_term_[i - 1] >= term) continue;
        std::optional<Term> t = term_at(i);
        if (!t || *t != committed_[i - 1]) {
          add_violation("leader completeness: leader " + std::to_string(node) + " of term " +
                        std::to_string(term) + " lacks committed entry " + std::to_string(i));
          break;
        }
      }
    }
  }
  // §5.4.2: a leader commits by counting only entries of its own term; an
  // earlier entry commits only as the prefix of one of them. (Observed
  // after every step, so the commit index seen is the one the leader set.)
  if (role == Role::kLeader && seen.observed && commit > seen.commit) {
    const std::optional<Term> t = term_at(commit);
    if (t && *t != term) {
      add_violation("commitment rule (§5.4.2): leader " + std::to_string(node) + " of term " +
                    std::to_string(term) + " advanced its commit index to " + std::to_string(commit) +
                    ", an entry of term " + std::to_string(*t));
    }
  }
  seen.observed = true;
  if (commit < seen.commit) {
    add_violation("commit index of node " + std::to_string(node) + " went back from " +
                  std::to_string(seen.commit) + " to " + std::to_string(commit));
  }
  for (Index i = seen.commit + 1; i <= commit; ++i) {
    std::optional<Term> t = term_at(i);
    if (!t) {
      add_violation("node " + std::to_string(node) + " commits index " + std::to_string(i) +
                    " it does not hold");
      break;
    }
    if (i <= committed_.size()) {
      if (committed_[i - 1] != *t) {
        add_violation("state machine safety: index " + std::to_string(i) + " committed with terms " +
                      std::to_string(committed_[i - 1]) + " and " + std::to_string(*t));
      }
      if (term < commit_term_[i - 1]) commit_term_[i - 1] = term;
    } else if (i == committed_.size() + 1) {
      committed_.push_back(*t);
      commit_term_.push_back(term);
    }
  }
  if (commit > seen.commit) seen.commit = commit;
}

}  // namespace coraft::testing
