#include "node/proposals.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

namespace coraft::node {

void ProposalTracker::add(Index index, Term term, ProposeCallback done,
                          std::optional<coro::TimePoint> deadline) {
  const std::uint64_t id = next_id_++;
  auto it = pending_.emplace_hint(pending_.end(), index, Pending{term, id, std::move(done), std::nullopt});
  ++terms_[term];
  if (!deadline) return;
  const bool earliest = deadlines_.empty() || *deadline < deadlines_.begin()->first;
  it->second.deadline = deadlines_.emplace(*deadline, Deadline{index, id});
  if (earliest) wakeup_.notify();  // the timer must move up
}

coro::Task<void> ProposalTracker::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (deadlines_.empty()) {
      co_await wakeup_.wait();
    } else {
      co_await wakeup_.wait_until(deadlines_.begin()->first);
    }
    if (stop.stop_requested()) break;
    expire(ex_.now());
  }
}

std::optional<coro::TimePoint> ProposalTracker::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

ProposeCallback ProposalTracker::take(PendingMap::iterator it) {
  ProposeCallback done = std::move(it->second.done);
  if (it->second.deadline) deadlines_.erase(*it->second.deadline);
  auto t = terms_.find(it->second.term);
  if (--t->second == 0) terms_.erase(t);
  pending_.erase(it);
  return done;
}

void ProposalTracker::fail_all(const Status& status) {
  // Callbacks may propose again: take each one out before calling it.
  while (!pending_.empty()) {
    ProposeCallback done = take(pending_.begin());
    invoke_(done, status);
  }
}

// A proposal whose caller asked for a timeout. Its entry may still commit
// later: the outcome is unknown, which the status says.
void ProposalTracker::expire(coro::TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const Deadline d = deadlines_.begin()->second;
    auto [first, last] = pending_.equal_range(d.index);
    auto it = std::find_if(first, last, [&](const auto& kv) { return kv.second.id == d.id; });
    if (it == last) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    ProposeCallback done = take(it);
    invoke_(done, Status::timeout("proposal timed out; its entry may still commit"));
  }
}

void ProposalTracker::complete(Index index, Term term, Result<Bytes> outcome) {
  // A different term at the index means another leader's entry was
  // committed there: that proposal's entry can never commit. Each callback
  // is taken out before it runs (it may propose again, at a later index).
  for (auto it = pending_.find(index); it != pending_.end() && it->first == index;
       it = pending_.find(index)) {
    const bool same_entry = it->second.term == term;
    ProposeCallback callback = take(it);
    invoke_(callback, same_entry ? std::move(outcome) : Result<Bytes>(Status::leadership_lost()));
  }
  fail_older_than(term);
}

// Terms never decrease along a log, so a log holding a proposal's entry
// (index i, term t) holds terms <= t at every index below i. Once an entry
// of a higher term is applied at an index below i, no future leader can
// hold the proposal's entry: it is lost for good, even though nothing may
// ever be written at index i itself.
void ProposalTracker::fail_older_than(Term term) {
  if (terms_.empty() || terms_.begin()->first >= term) return;
  std::vector<ProposeCallback> lost;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.term < term) {
      auto next = std::next(it);
      lost.push_back(take(it));
      it = next;
    } else {
      ++it;
    }
  }
  for (auto& callback : lost) invoke_(callback, Status::leadership_lost());
}

}  // namespace coraft::node
