// ProposalTracker: the proposals a leader accepted, waiting for their
// entries to apply.
//
// Contract:
//  - A proposal is its entry's (index, term), a callback and an optional
//    deadline. Several may wait on one index: a leader's entry may be
//    overwritten and the server, leader again, propose at that index anew.
//  - Each callback is called exactly once, through the Invoke function the
//    tracker was given (which guards against a throwing callback), and is
//    taken out of the tracker before it runs: a callback may propose again.
//  - complete(index, term, outcome): the entry at `index` was applied with
//    term `term`. The proposal whose entry it is gets `outcome`; any other
//    at that index, and every proposal of an older term at any index, gets
//    leadership_lost (§5.3 Log Matching: a log holding (i, t) holds terms
//    <= t below i, so once a newer term's entry is applied at or below a
//    proposal's index, that proposal's entry can never commit).
//  - Deadlines run on the tracker's own timer (run()), not on the node's
//    election and heartbeat ticker: a proposal whose deadline passed gets
//    timeout (its entry may still commit). fail_all(status): every proposal
//    gets `status`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>

#include "coraft/coro/executor.h"
#include "coraft/coro/task.h"
#include "coraft/raft_node.h"
#include "coraft/status.h"
#include "coraft/types.h"
#include "node/wakeup.h"

namespace coraft::node {

class ProposalTracker {
 public:
  // Calls one callback with its outcome; must not throw.
  using Invoke = std::function<void(ProposeCallback&, Result<Bytes>)>;

  ProposalTracker(coro::Executor& ex, Invoke invoke) : ex_(ex), invoke_(std::move(invoke)), wakeup_(ex) {}

  std::size_t size() const { return pending_.size(); }
  bool empty() const { return pending_.empty(); }

  // Adds a proposal for the entry (index, term), timing out at `deadline`.
  void add(Index index, Term term, ProposeCallback done, std::optional<coro::TimePoint> deadline);

  // The earliest deadline, if any proposal has one.
  std::optional<coro::TimePoint> next_deadline() const;

  void complete(Index index, Term term, Result<Bytes> outcome);
  // Times out every proposal whose deadline is at or before `now` (run()
  // does it at each deadline).
  void expire(coro::TimePoint now);
  void fail_all(const Status& status);

  // The deadline timer: runs until `stop` is requested.
  coro::Task<void> run(std::stop_token stop);
  void wake() { wakeup_.notify(); }

 private:
  struct Deadline {
    Index index;
    std::uint64_t id;
  };
  using Deadlines = std::multimap<coro::TimePoint, Deadline>;
  struct Pending {
    Term term;
    std::uint64_t id;
    ProposeCallback done;
    std::optional<Deadlines::iterator> deadline;
  };
  using PendingMap = std::multimap<Index, Pending>;

  // Removes a pending proposal and returns its callback.
  ProposeCallback take(PendingMap::iterator it);
  void fail_older_than(Term term);

  coro::Executor& ex_;
  Invoke invoke_;
  Wakeup wakeup_;
  PendingMap pending_;
  std::map<Term, std::size_t> terms_;  // how many pending proposals per term
  std::uint64_t next_id_ = 1;
  Deadlines deadlines_;
};

}  // namespace coraft::node
