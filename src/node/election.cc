// Timers, elections (§5.2), the up-to-date check (§5.4.1), PreVote (thesis
// §9.6) and CheckQuorum (thesis §6.2).
#include <algorithm>

#include "node/node_impl.h"

namespace coraft {

coro::Task<void> RaftNode::Impl::ticker() {
  while (!scope_->stop_requested()) {
    co_await ticker_wakeup_.wait_until(next_deadline());
    if (scope_->stop_requested() || !running_) break;
    try {
      on_tick();
    } catch (const std::exception& e) {
      fail(Status::internal(std::string("timer: ") + e.what()));
    } catch (...) {
      fail(Status::internal("timer: an exception of unknown type"));
    }
  }
}

coro::TimePoint RaftNode::Impl::next_deadline() const {
  coro::TimePoint t = election_deadline_;
  if (role_ == Role::kLeader) {
    t = next_heartbeat_;
    if (settings().check_quorum) t = std::min(t, next_quorum_check_);
  }
  return t;
}

void RaftNode::Impl::on_tick() {
  const coro::TimePoint now = ex_.now();
  if (role_ == Role::kLeader) {
    if (settings().check_quorum && now >= next_quorum_check_) {
      check_quorum();
      if (role_ != Role::kLeader) return;
    }
    if (now >= next_heartbeat_) {
      next_heartbeat_ = now + settings().heartbeat_interval;
      broadcast_append(true);
    }
    return;
  }
  if (now >= election_deadline_) campaign(settings().pre_vote);
}

void RaftNode::Impl::reset_election_deadline() {
  const auto& s = settings();
  const auto lo = std::chrono::duration_cast<coro::Duration>(s.election_timeout_min).count();
  const auto hi = std::chrono::duration_cast<coro::Duration>(s.election_timeout_max).count();
  std::uniform_int_distribution<std::int64_t> dist(lo, hi - 1);
  election_deadline_ = ex_.now() + coro::Duration(dist(rng_));
}

// §5.4.1: the candidate's log is at least as up-to-date as ours.
bool RaftNode::Impl::log_up_to_date(Index last_index, Term last_term) const {
  const Term my_term = log_.last_term();
  if (last_term != my_term) return last_term > my_term;
  return last_index >= log_.last_index();
}

// A leader is "recently heard" when this server got a valid AppendEntries
// within the minimum election timeout, or is itself a leader that passed
// its last quorum check (thesis §4.2.3, §9.6).
bool RaftNode::Impl::leader_recently_heard() const {
  if (role_ == Role::kLeader) return true;
  return leader_ != kNoNode && ex_.now() - last_leader_contact_ < settings().election_timeout_min;
}

void RaftNode::Impl::campaign(bool pre_vote) {
  if (!is_voter(id_)) {
    reset_election_deadline();
    return;
  }
  if (!listeners_.empty()) {
    const NodeEvent ev{NodeEvent::Kind::kElectionTimeout, pre_vote ? Role::kPreCandidate : Role::kCandidate,
                       term_ + 1, leader_, error_};
    const std::vector<EventListener> listeners = listeners_;
    for (const auto& l : listeners) call_user("an event listener", [&] { l(ev); });
    if (!running_) return;
  }
  if (!pre_vote) {
    become_candidate();
    return;
  }
  // Thesis §9.6: ask first, at term + 1, without changing our own term.
  tracker_.reset_votes();
  tracker_.record_vote(id_, true);
  set_leader(kNoNode);
  set_role(Role::kPreCandidate);
  reset_election_deadline();
  if (tracker_.tally() == quorum::VoteResult::kWon) {
    become_candidate();
    return;
  }
  const RequestVote rv{term_ + 1, log_.last_index(), log_.last_term(), true};
  for (NodeId v : voters()) {
    if (v != id_) send(v, rv, node::Gate{});
  }
}

void RaftNode::Impl::become_candidate() {
  term_ += 1;
  vote_ = id_;
  persist_hard_state();
  ++counters_.elections_started;
  tracker_.reset_votes();
  tracker_.record_vote(id_, true);
  leader_ = kNoNode;
  const Role old = role_;
  role_ = Role::kCandidate;
  if (old != Role::kCandidate) {
    emit(NodeEvent::Kind::kRoleChanged);
  } else {
    emit(NodeEvent::Kind::kTermChanged);
  }
  reset_election_deadline();
  if (tracker_.tally() == quorum::VoteResult::kWon) {
    become_leader();
    return;
  }
  // Sent only once the new term and our vote are durable (Figure 2).
  const RequestVote rv{term_, log_.last_index(), log_.last_term(), false};
  for (NodeId v : voters()) {
    if (v != id_) send(v, rv, storage_.hard_state_gate());
  }
}

void RaftNode::Impl::become_leader() {
  const coro::TimePoint now = ex_.now();
  role_ = Role::kLeader;
  leader_ = id_;
  tracker_.reset_votes();
  tracker_.start_leading(id_, log_.last_index() + 1,
                         now);  // last contact now: a grace period for CheckQuorum
  last_leader_contact_ = now;
  next_heartbeat_ = now + settings().heartbeat_interval;
  next_quorum_check_ = now + settings().election_timeout_min;
  // §8: a no-op entry of the new term lets earlier entries commit (§5.4.2).
  Entry noop{term_, log_.last_index() + 1, EntryType::kNoop, {}};
  log_.append(noop, true);
  std::vector<Entry> batch;
  batch.push_back(std::move(noop));
  storage_.append(std::move(batch));
  broadcast_append(false);
  ticker_wakeup_.notify();
  // Listeners run last: they see a complete leader and may propose at once.
  emit(NodeEvent::Kind::kRoleChanged);
  emit(NodeEvent::Kind::kLeaderChanged);
}

void RaftNode::Impl::handle_request_vote(NodeId from, const RequestVote& rv) {
  if (!is_voter(from)) return;
  const bool recent = leader_recently_heard();
  if (rv.pre_vote) {
    // Thesis §9.6: grant if we could vote for it in that term, its log is
    // up-to-date, and we have not heard from a live leader recently.
    // Our own term never changes here.
    bool grant =
        rv.term > term_ || (rv.term == term_ && (vote_ == kNoNode || vote_ == from) && leader_ == kNoNode);
    grant = grant && !recent && log_up_to_date(rv.last_log_index, rv.last_log_term);
    send(from, RequestVoteResponse{grant ? rv.term : term_, grant, true}, node::Gate{});
    return;
  }
  if (rv.term > term_) {
    // Thesis §4.2.3 (with CheckQuorum): a server that heard from a live
    // leader within the minimum election timeout neither adopts the term
    // nor votes; this keeps a removed or partitioned server from disrupting.
    if (settings().check_quorum && recent) return;
    become_follower(rv.term, kNoNode);
  }
  if (rv.term < term_) {
    send(from, RequestVoteResponse{term_, false, false}, storage_.hard_state_gate());
    return;
  }
  const bool grant = (vote_ == kNoNode || vote_ == from) && role_ != Role::kLeader &&
                     log_up_to_date(rv.last_log_index, rv.last_log_term);
  if (grant) {
    if (role_ == Role::kPreCandidate) set_role(Role::kFollower);
    vote_ = from;
    persist_hard_state();
    reset_election_deadline();
  }
  // The reply waits until the vote is durable: one vote per term, even
  // across a crash (Figure 2).
  send(from, RequestVoteResponse{term_, grant, false}, storage_.hard_state_gate());
}

void RaftNode::Impl::handle_vote_response(NodeId from, const RequestVoteResponse& r) {
  if (!is_voter(from) || !r.granted) return;
  if (r.pre_vote) {
    if (role_ != Role::kPreCandidate || r.term != term_ + 1) return;
  } else {
    if (role_ != Role::kCandidate || r.term != term_) return;
  }
  if (!tracker_.record_vote(from, true)) return;  // a duplicate
  if (tracker_.tally() != quorum::VoteResult::kWon) return;
  if (r.pre_vote) {
    become_candidate();
  } else {
    become_leader();
  }
}

// Thesis §6.2: a leader that has not heard from a majority within an
// election timeout steps down, so clients can find the real leader.
void RaftNode::Impl::check_quorum() {
  const coro::TimePoint now = ex_.now();
  const auto window = settings().election_timeout_min;
  if (!tracker_.quorum_active(id_, now, window)) {
    become_follower(term_, kNoNode);
    return;
  }
  last_leader_contact_ = now;
  next_quorum_check_ = now + window;
}

}  // namespace coraft
