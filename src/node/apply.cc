// Proposals and the apply pipeline: committed entries reach the state
// machine in log order, exactly once per index, and each proposal completes
// with its entry's result or a clear error.
#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "coraft/coro/future.h"
#include "node/node_impl.h"

namespace coraft {

void RaftNode::Impl::propose(Bytes command, ProposeCallback done, coro::Duration timeout) {
  if (!running_) {
    done(error_.is_ok() ? Status::stopped() : error_);
    return;
  }
  if (role_ != Role::kLeader) {
    done(Status::not_leader(leader_));
    return;
  }
  if (pending_.size() >= options_.max_pending_proposals) {
    done(Status::unavailable("too many proposals waiting for commit"));
    return;
  }
  ++counters_.proposals;
  const Index index = log_.last_index() + 1;
  Entry e{term_, index, EntryType::kCommand, std::move(command)};
  log_.append(e, true);
  std::vector<Entry> batch;
  batch.push_back(std::move(e));
  persist_entries(std::move(batch));
  const std::uint64_t id = next_proposal_id_++;
  auto it = pending_.emplace_hint(pending_.end(), index, Pending{term_, id, std::move(done), std::nullopt});
  ++pending_terms_[term_];
  if (timeout > coro::Duration::zero()) {
    const coro::TimePoint deadline = ex_.now() + timeout;
    const bool earliest = deadlines_.empty() || deadline < deadlines_.begin()->first;
    it->second.deadline = deadlines_.emplace(deadline, Deadline{index, id});
    if (earliest) ticker_wakeup_.notify();
  }
  schedule_flush();
}

coro::Task<Result<Bytes>> RaftNode::Impl::propose_task(Bytes command, coro::Duration timeout) {
  auto [promise, future] = coro::make_promise<Bytes>(ex_);
  // Only the callback owns the promise: if the node drops the callback
  // without calling it, the future completes with broken_promise.
  propose(
      std::move(command),
      [shared = std::make_shared<coro::Promise<Bytes>>(std::move(promise))](Result<Bytes> r) {
        if (r.ok()) {
          shared->set_value(std::move(r).value());
        } else {
          shared->set_error(r.status());
        }
      },
      timeout);
  Result<Bytes> r = co_await std::move(future);
  co_return r;
}

ProposeCallback RaftNode::Impl::take_pending(PendingMap::iterator it) {
  ProposeCallback done = std::move(it->second.done);
  if (it->second.deadline) deadlines_.erase(*it->second.deadline);
  auto t = pending_terms_.find(it->second.term);
  if (--t->second == 0) pending_terms_.erase(t);
  pending_.erase(it);
  return done;
}

void RaftNode::Impl::fail_all_pending(const Status& status) {
  // Callbacks may propose again: take each one out before calling it.
  while (!pending_.empty()) {
    ProposeCallback done = take_pending(pending_.begin());
    call_user("a proposal callback", [&] { done(status); });
  }
}

// A proposal whose caller asked for a timeout. Its entry may still commit
// later: the outcome is unknown, which the status says.
void RaftNode::Impl::expire_proposals(coro::TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const Deadline d = deadlines_.begin()->second;
    auto [first, last] = pending_.equal_range(d.index);
    auto it = std::find_if(first, last, [&](const auto& kv) { return kv.second.id == d.id; });
    if (it == last) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    ProposeCallback done = take_pending(it);
    call_user("a proposal callback",
              [&] { done(Status::timeout("proposal timed out; its entry may still commit")); });
  }
}

void RaftNode::Impl::complete_pending(Index index, Term term, Result<Bytes> outcome) {
  // A different term at the index means another leader's entry was
  // committed there: that proposal's entry can never commit. Each callback
  // is taken out before it runs (it may propose again, at a later index).
  for (auto it = pending_.find(index); it != pending_.end() && it->first == index;
       it = pending_.find(index)) {
    const bool same_entry = it->second.term == term;
    ProposeCallback callback = take_pending(it);
    call_user("a proposal callback",
              [&] { callback(same_entry ? std::move(outcome) : Result<Bytes>(Status::leadership_lost())); });
  }
  fail_pending_older_than(term);
}

// Terms never decrease along a log, so a log holding a proposal's entry
// (index i, term t) holds terms <= t at every index below i. Once an entry
// of a higher term is committed at an index below i, no future leader can
// hold the proposal's entry: it is lost for good, even though nothing may
// ever be written at index i itself.
void RaftNode::Impl::fail_pending_older_than(Term term) {
  if (pending_terms_.empty() || pending_terms_.begin()->first >= term) return;
  std::vector<ProposeCallback> lost;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.term < term) {
      auto next = std::next(it);
      lost.push_back(take_pending(it));
      it = next;
    } else {
      ++it;
    }
  }
  for (auto& callback : lost) call_user("a proposal callback", [&] { callback(Status::leadership_lost()); });
}

coro::Task<void> RaftNode::Impl::applier() {
  std::vector<Entry> batch;
  while (!scope_->stop_requested()) {
    if (!running_ || applied_ >= apply_limit()) {
      co_await apply_wakeup_.wait();
      continue;
    }
    batch.clear();
    const Index limit = apply_limit();
    for (Index i = applied_ + 1; i <= limit && batch.size() < 1024; ++i) {
      const Entry* cached = log_.cached(i);
      if (!cached) break;
      batch.push_back(*cached);
    }
    if (batch.empty()) {
      // Not in memory (after a restart, or evicted): read a batch back.
      auto [promise, future] = coro::make_promise<std::vector<Entry>>(ex_);
      // Only the callback owns the promise: a read abandoned at stop()
      // breaks it, and this coroutine wakes up to exit.
      read_entries(applied_ + 1, limit + 1,
                   [shared = std::make_shared<coro::Promise<std::vector<Entry>>>(std::move(promise))](
                       std::vector<Entry> es) { shared->set_value(std::move(es)); });
      Result<std::vector<Entry>> read = co_await std::move(future);
      if (!read.ok()) continue;  // the node is stopping or failed
      batch = std::move(read).value();
    }
    for (Entry& e : batch) {
      if (!running_ || e.index != applied_ + 1 || e.index > apply_limit()) break;
      Result<Bytes> outcome = Status::leadership_lost();
      if (e.type == EntryType::kCommand) {
        try {
          Bytes result = co_await sm_.apply(e.index, std::move(e.data));
          outcome = std::move(result);
        } catch (const std::exception& ex) {
          fail(Status::io_error(std::string("StateMachine::apply failed: ") + ex.what()));
          co_return;
        } catch (...) {
          fail(Status::io_error("StateMachine::apply failed with an exception of unknown type"));
          co_return;
        }
        ++counters_.entries_applied;
      }
      applied_ = e.index;
      complete_pending(e.index, e.term, std::move(outcome));
    }
    log_.evict(applied_, options_.max_cache_bytes);
  }
}

}  // namespace coraft
