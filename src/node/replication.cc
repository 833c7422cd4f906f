// Log replication: the leader's sends with batching and a pipelining window
// (thesis §10.2), the follower's AppendEntries handling (§5.3), fast
// backtracking, and commitment (§5.4.2).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "coraft/codec.h"
#include "node/node_impl.h"

namespace coraft {

void RaftNode::Impl::broadcast_append(bool heartbeat) {
  for (auto& p : tracker_.peers()) send_append(p, heartbeat);
}

void RaftNode::Impl::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  flush_wakeup_.notify();
}

// Sends queued after proposals in one turn of the executor go out together:
// many proposals, one AppendEntries per follower.
coro::Task<void> RaftNode::Impl::flusher() {
  while (!scope_->stop_requested()) {
    co_await flush_wakeup_.wait();
    if (scope_->stop_requested() || !running_) break;
    flush_scheduled_ = false;
    if (role_ == Role::kLeader) broadcast_append(false);
  }
}

void RaftNode::Impl::send_append(tracker::Progress& p, bool heartbeat) {
  const auto& s = settings();
  const coro::TimePoint now = ex_.now();
  if (heartbeat) {
    send_keepalive(p);
    // Recover from lost AppendEntries (or lost acks): a window or probe with
    // no answer for a while is sent again from match + 1.
    const auto stall = std::max<coro::Duration>(2 * s.heartbeat_interval, s.election_timeout_min);
    if (p.state() == tracker::Progress::State::kReplicate) {
      if (p.inflight_count() > 0 && now - p.oldest_inflight_sent() >= stall) p.reset_to_probe();
    } else if (p.probe_sent() && now - p.probe_sent_at() >= stall) {
      p.clear_probe();
    }
  }
  bool sent = false;
  while (p.can_send(s.max_inflight_messages, s.max_inflight_bytes)) {
    const Index last = log_.last_index();
    const Index from = p.next();
    const bool probe = p.state() == tracker::Progress::State::kProbe;
    if (from > last && !probe) break;
    const Index prev = from - 1;
    const std::optional<Term> prev_term = log_.term_at(prev);
    if (!prev_term)
      throw std::logic_error("replication below the log's first index (snapshots not supported yet)");
    AppendEntries ae;
    ae.term = term_;
    ae.prev_log_index = prev;
    ae.prev_log_term = *prev_term;
    ae.leader_commit = commit_;
    std::uint64_t bytes = 0;
    Index i = from;
    while (i <= last && ae.entries.size() < s.max_entries_per_message &&
           (ae.entries.empty() || bytes < s.max_bytes_per_message)) {
      const Entry* e = log_.cached(i);
      if (!e) break;
      bytes += e->data.size();
      ae.entries.push_back(*e);
      ++i;
    }
    if (i <= last && ae.entries.empty()) {
      // Not in memory: read it back, then send (one read per follower at a time).
      p.set_read_pending(true);
      const Index to = std::min<Index>(last + 1, from + s.max_entries_per_message);
      const NodeId peer = p.id();
      const Term term = term_;
      storage_.read(from, to, s.max_bytes_per_message, [this, peer, term, from](std::vector<Entry> entries) {
        tracker::Progress* pp = tracker_.get(peer);
        if (role_ != Role::kLeader || term_ != term || !pp) return;
        pp->set_read_pending(false);
        if (pp->next() != from || entries.empty()) {
          send_append(*pp, false);
          return;
        }
        AppendEntries ae2;
        ae2.term = term_;
        ae2.prev_log_index = from - 1;
        ae2.prev_log_term = log_.term_at(from - 1).value_or(0);
        ae2.leader_commit = commit_;
        std::uint64_t b = 0;
        for (const auto& e : entries) b += e.data.size();
        const Index last_sent = entries.back().index;
        ae2.entries = std::move(entries);
        pp->on_sent(last_sent, b, ex_.now());
        pp->note_commit_sent(commit_);
        send(peer, std::move(ae2), storage_.hard_state_gate());
        send_append(*pp, false);
      });
      return;
    }
    const Index last_sent = ae.entries.empty() ? prev : ae.entries.back().index;
    p.on_sent(last_sent, bytes, now);
    p.note_commit_sent(commit_);
    send(p.id(), std::move(ae), storage_.hard_state_gate());
    sent = true;
    if (probe) break;
  }
  // Nothing new to send, but the commit index moved: tell the follower now
  // rather than at the next heartbeat, so it applies promptly.
  if (!heartbeat && !sent && p.state() == tracker::Progress::State::kReplicate && p.inflight_count() == 0 &&
      !p.read_pending() && p.commit_sent() < commit_) {
    send_keepalive(p);
  }
}

// A keepalive asserts only what is known to match (prev = match), so the
// follower acknowledges it at once, whatever its disk is doing: its election
// timer and our CheckQuorum never wait behind a slow LogAPI.
void RaftNode::Impl::send_keepalive(tracker::Progress& p) {
  AppendEntries ka;
  ka.term = term_;
  ka.prev_log_index = p.match();
  ka.prev_log_term = log_.term_at(p.match()).value_or(0);
  ka.leader_commit = commit_;
  p.note_commit_sent(std::min(commit_, p.match()));
  send(p.id(), std::move(ka), storage_.hard_state_gate());
}

namespace {

// Bytes from the network are never trusted: a malformed AppendEntries is
// dropped, never allowed to corrupt the log or throw out of receive().
bool well_formed(const AppendEntries& ae) {
  Term last_term = ae.prev_log_term;
  for (std::size_t k = 0; k < ae.entries.size(); ++k) {
    const Entry& e = ae.entries[k];
    if (e.index != ae.prev_log_index + 1 + k) return false;
    if (e.term < last_term || e.term > ae.term) return false;
    if (e.type != EntryType::kCommand && e.type != EntryType::kNoop && e.type != EntryType::kConfig)
      return false;
    if (e.type == EntryType::kConfig) {
      Result<ClusterConfig> c = decode_config(e.data);
      if (!c.ok() || !c->validate().is_ok()) return false;
    }
    last_term = e.term;
  }
  return ae.prev_log_term <= ae.term;
}

}  // namespace

void RaftNode::Impl::handle_append_entries(NodeId from, AppendEntries ae) {
  if (!well_formed(ae)) return;
  if (role_ == Role::kLeader) {
    // Two leaders in one term would violate Election Safety (§5.2).
    fail(Status::internal("AppendEntries from node " + std::to_string(from) + " in this leader's own term"));
    return;
  }
  if (role_ != Role::kFollower) {
    become_follower(term_, from);  // §5.2: a candidate steps down for the term's leader
  }
  set_leader(from);
  last_leader_contact_ = ex_.now();
  reset_election_deadline();

  const Index prev = ae.prev_log_index;
  const std::optional<Term> my_prev_term = log_.term_at(prev);
  if (!my_prev_term || *my_prev_term != ae.prev_log_term) {
    // §5.3 consistency check failed. Hint: the largest index <= min(prev,
    // last) whose term is <= the leader's prev term, so the leader can skip
    // a whole term per round trip.
    Index hint = std::min(prev, log_.last_index());
    while (hint > commit_) {
      std::optional<Term> t = log_.term_at(hint);
      if (!t || *t <= ae.prev_log_term) break;
      const Index first = log_.first_index_of_term(*t, hint);
      hint = first == 0 ? hint - 1 : first - 1;
    }
    const Term hint_term = log_.term_at(hint).value_or(0);
    // A rejection claims nothing about our log's durability, only our term.
    send(from, AppendEntriesResponse{term_, false, prev, hint, hint_term}, storage_.hard_state_gate());
    return;
  }

  // Skip entries we already hold; truncate at the first conflict (§5.3).
  std::size_t k = 0;
  const std::size_t n = ae.entries.size();
  for (; k < n; ++k) {
    const Entry& e = ae.entries[k];
    const std::optional<Term> t = log_.term_at(e.index);
    if (!t) break;
    if (*t != e.term) {
      if (e.index <= commit_) {
        fail(Status::internal("leader asked to overwrite committed entry " + std::to_string(e.index)));
        return;
      }
      // Proposals at these indexes stay pending: they learn their fate when
      // the index is applied (another server may yet commit their entry).
      log_.truncate_from(e.index);
      storage_.truncate(e.index);
      break;
    }
  }
  if (k < n) {
    std::vector<Entry> fresh;
    fresh.reserve(n - k);
    for (std::size_t j = k; j < n; ++j) {
      log_.append(ae.entries[j], true);
      fresh.push_back(std::move(ae.entries[j]));
    }
    storage_.append(std::move(fresh));
  }
  sync_config();
  const Index match = prev + n;
  // Acknowledged only once the entries through `match` are durable. When
  // they already are (a heartbeat, a duplicate), the ack needs only our
  // term on disk: it never waits behind unrelated slow writes.
  const bool already_durable = k == n && match <= storage_.stable_index();
  send(from, AppendEntriesResponse{term_, true, match, 0, 0},
       already_durable ? storage_.hard_state_gate() : storage_.tail());
  // §5.3: commit = min(leaderCommit, index of last new entry).
  const Index new_commit = std::min(ae.leader_commit, match);
  if (new_commit > commit_) set_commit(new_commit);
}

void RaftNode::Impl::handle_append_response(NodeId from, const AppendEntriesResponse& r) {
  if (role_ != Role::kLeader) return;
  tracker::Progress* p = tracker_.get(from);
  if (!p) return;
  p->touch(ex_.now());
  if (r.success) {
    if (r.match_index > log_.last_index()) return;  // not from this term's log: ignore
    if (p->on_success(r.match_index)) maybe_commit();
    send_append(*p, false);
    return;
  }
  // Fast backtracking: the largest index <= the follower's hint whose term
  // in our log is <= the follower's term there; retry just after it.
  Index probe = std::min(r.hint_index, log_.last_index());
  while (probe > 0) {
    std::optional<Term> t = log_.term_at(probe);
    if (!t || *t <= r.hint_term) break;
    const Index first = log_.first_index_of_term(*t, probe);
    probe = first == 0 ? probe - 1 : first - 1;
  }
  const Index retry = std::min(probe, r.match_index) + 1;
  if (p->on_reject(r.match_index, retry)) send_append(*p, false);
}

// §5.4.2: commit by counting replicas only for entries of the current term;
// earlier entries commit indirectly with them.
void RaftNode::Impl::maybe_commit() {
  if (role_ != Role::kLeader) return;
  // Thesis §10.2.1: the leader counts itself only through what is durable.
  const Index q = tracker_.committed(id_, storage_.stable_index());
  if (q > commit_ && log_.term_at(q) == term_) {
    set_commit(q);
    // Followers learn the new commit index with the next message; send it
    // now to those with nothing in flight so they apply without waiting for
    // a heartbeat.
    schedule_flush();
  }
}

void RaftNode::Impl::set_commit(Index index) {
  if (index <= commit_) return;
  commit_ = index;
  applier_.wake();
}

}  // namespace coraft
