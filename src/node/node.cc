// RaftNode facade, lifecycle, status, events, proposals, and the term rules
// of §5.1.
#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "coraft/codec.h"
#include "node/node_impl.h"

namespace coraft {

RaftNode::Impl::Impl(NodeOptions options, LogAPI& log, TransportAPI& transport, StateMachine& sm,
                     coro::Executor& ex)
    : options_(std::move(options)),
      id_(options_.id),
      log_api_(log),
      transport_(transport),
      sm_(sm),
      ex_(ex),
      ticker_wakeup_(ex),
      flush_wakeup_(ex),
      storage_(log, ex, *this),
      proposals_(ex,
                 [this](ProposeCallback& done, Result<Bytes> outcome) {
                   call_user("a proposal callback", [&] { done(std::move(outcome)); });
                 }),
      applier_(sm, log_, storage_, proposals_, counters_, ex, *this) {}

RaftNode::Impl::~Impl() {
  if (scope_) {
    // Never stopped: the executor may not run again, so destroy the frames
    // (their awaiters withdraw timers and queued work).
    scope_->destroy_all();
  }
}

coro::Task<Status> RaftNode::Impl::start() {
  if (running_ || scope_ || started_once_) {
    co_return Status::invalid_argument(
        "a RaftNode starts once; to restart, construct a new one over the same LogAPI");
  }
  started_once_ = true;
  if (id_ == kNoNode) co_return Status::invalid_argument("node id 0 is reserved");
  if (options_.max_apply_batch == 0) co_return Status::invalid_argument("max_apply_batch must be positive");

  LogState state;
  try {
    state = co_await log_api_.load();
    term_ = state.hard_state.term;
    vote_ = state.hard_state.vote;
    if (state.first_index == 0 || state.last_index + 1 < state.first_index) {
      co_return Status::corrupt("LogAPI::load returned an impossible range");
    }
    log_.reset(state.first_index);
    // Rebuild the term index and the configuration history.
    Index next = state.first_index;
    while (next <= state.last_index) {
      std::vector<Entry> batch = co_await log_api_.read(next, state.last_index + 1, 4u << 20);
      if (batch.empty()) co_return Status::corrupt("LogAPI::read returned no entries");
      for (const Entry& e : batch) {
        if (e.index != next) co_return Status::corrupt("LogAPI::read returned entries out of order");
        log_.append_meta(e);
        ++next;
      }
    }
    if (log_.last_index() == 0 && state.first_index == 1) {
      // A brand-new server: the initial configuration becomes entry 1.
      Status valid = options_.initial_config.validate();
      if (!valid.is_ok()) co_return valid;
      if (!options_.initial_config.contains(id_)) {
        co_return Status::invalid_argument("node " + std::to_string(id_) +
                                           " is not in the initial configuration");
      }
      Entry boot{1, 1, EntryType::kConfig, encode_config(options_.initial_config)};
      std::vector<Entry> batch;
      batch.push_back(boot);
      co_await log_api_.append(std::move(batch));
      log_.append(std::move(boot), true);
    }
  } catch (const std::exception& e) {
    co_return Status::io_error(std::string("LogAPI failed during start: ") + e.what());
  } catch (...) {
    co_return Status::io_error("LogAPI failed during start with an exception of unknown type");
  }
  if (!log_.has_config()) co_return Status::corrupt("the log holds no configuration entry");
  // The cluster's identity is its first configuration's: identical on every
  // server of a cluster by construction (entry 1), different otherwise.
  cluster_ = cluster_fingerprint(log_.first_config());

  storage_.reset(log_.last_index());
  const Index applied = sm_.applied_index();
  if (applied > log_.last_index()) {
    co_return Status::corrupt("the state machine has applied index " + std::to_string(applied) +
                              " beyond the log's last index " + std::to_string(log_.last_index()));
  }
  applier_.reset(applied, node::Applier::Options{options_.max_cache_bytes, settings().max_bytes_per_message,
                                                 options_.max_apply_batch});
  sync_config();
  // Entry 1 is the bootstrap configuration, identical on every server.
  commit_ = std::max<Index>(applied, log_.first_index() == 1 && log_.last_index() >= 1 ? 1 : 0);

  std::uint64_t seed = options_.random_seed;
  if (seed == 0)
    seed = id_ * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(ex_.now().time_since_epoch().count());
  rng_.seed(seed);

  running_ = true;
  role_ = Role::kFollower;
  reset_election_deadline();
  scope_ = std::make_unique<coro::TaskScope>(ex_);
  scope_->spawn(ticker());
  scope_->spawn(storage_.run(scope_->stop_token()));
  scope_->spawn(applier_.run(scope_->stop_token()));
  scope_->spawn(flusher());
  scope_->spawn(proposals_.run(scope_->stop_token()));
  co_return Status::ok();
}

coro::Task<void> RaftNode::Impl::stop() {
  if (!scope_) co_return;
  if (stopping_) {
    // Another stop() is joining: wait for it.
    auto [promise, future] = coro::make_promise<void>(ex_);
    stop_waiters_.push_back(std::move(promise));
    co_await std::move(future);
    co_return;
  }
  running_ = false;
  stopping_ = true;
  proposals_.fail_all(error_.is_ok() ? Status::stopped() : error_);
  storage_.abandon_reads();
  scope_->request_stop();
  ticker_wakeup_.notify();
  storage_.wake();
  applier_.wake();
  flush_wakeup_.notify();
  proposals_.wake();
  co_await scope_->join();
  scope_.reset();
  storage_.clear();
  stopping_ = false;
  for (auto& w : stop_waiters_) w.set_value();
  stop_waiters_.clear();
}

void RaftNode::Impl::fail(Status error) {
  if (!error_.is_ok()) return;
  error_ = std::move(error);
  running_ = false;
  proposals_.fail_all(error_);
  storage_.abandon_reads();
  if (scope_) scope_->request_stop();
  ticker_wakeup_.notify();
  storage_.wake();
  applier_.wake();
  flush_wakeup_.notify();
  proposals_.wake();
  emit(NodeEvent::Kind::kFailed);
}

void RaftNode::Impl::emit(NodeEvent::Kind kind) {
  if (listeners_.empty()) return;
  const NodeEvent ev{kind, role_, term_, leader_, error_};
  // A copy: a listener may subscribe another one while we iterate.
  const std::vector<EventListener> listeners = listeners_;
  for (const auto& l : listeners) call_user("an event listener", [&] { l(ev); });
}

void RaftNode::Impl::set_role(Role role) {
  if (role_ == role) return;
  role_ = role;
  emit(NodeEvent::Kind::kRoleChanged);
}

void RaftNode::Impl::set_leader(NodeId leader) {
  if (leader_ == leader) return;
  leader_ = leader;
  emit(NodeEvent::Kind::kLeaderChanged);
}

// §5.1: a server that sees a higher term adopts it and becomes a follower.
// Also used to step down within the same term (CheckQuorum, a candidate that
// hears from the term's leader).
void RaftNode::Impl::become_follower(Term term, NodeId leader) {
  const bool term_changed = term > term_;
  if (term_changed) {
    term_ = term;
    vote_ = kNoNode;
    persist_hard_state();
  }
  const bool was_leader = role_ == Role::kLeader;
  const Role old_role = role_;
  role_ = Role::kFollower;
  if (was_leader) tracker_.stop_leading();
  tracker_.reset_votes();
  const bool leader_changed = leader_ != leader;
  leader_ = leader;
  if (leader != kNoNode) last_leader_contact_ = ex_.now();
  // Figure 2: only hearing from the current leader (or granting a vote,
  // done by the caller) postpones an election. Adopting the term of a
  // request we then refuse must not, or a stale candidate that keeps
  // raising its term would hold every up-to-date server back forever.
  if (leader != kNoNode || was_leader) reset_election_deadline();
  ticker_wakeup_.notify();
  // Listeners run last, on a consistent state.
  if (old_role != Role::kFollower) {
    emit(NodeEvent::Kind::kRoleChanged);
  } else if (term_changed) {
    emit(NodeEvent::Kind::kTermChanged);
  }
  if (leader_changed) emit(NodeEvent::Kind::kLeaderChanged);
}

void RaftNode::Impl::receive(Message m) {
  if (!running_) {
    ++counters_.dropped_not_running;
    return;
  }
  try {
    dispatch(std::move(m));
  } catch (const std::exception& e) {
    fail(Status::internal(std::string("receive: ") + e.what()));
  } catch (...) {
    fail(Status::internal("receive: an exception of unknown type"));
  }
}

void RaftNode::Impl::reject_foreign(const Message& m) {
  ++counters_.foreign_messages;
  last_foreign_sender_ = m.from;
  last_foreign_cluster_ = m.cluster;
  if (std::find(foreign_reported_.begin(), foreign_reported_.end(), m.from) != foreign_reported_.end())
    return;
  if (foreign_reported_.size() < 64) foreign_reported_.push_back(m.from);
  if (listeners_.empty()) return;
  const NodeEvent ev{
      NodeEvent::Kind::kForeignMessage, role_, term_, leader_,
      Status::invalid_argument("dropped a message from node " + std::to_string(m.from) + " of cluster " +
                               std::to_string(m.cluster) + " (this cluster is " + std::to_string(cluster_) +
                               "): the servers were started with different initial configurations, or a "
                               "server of another cluster sends here")};
  const std::vector<EventListener> listeners = listeners_;
  for (const auto& l : listeners) call_user("an event listener", [&] { l(ev); });
}

Status RaftNode::Impl::campaign_now() {
  if (!running_) return error_.is_ok() ? Status::stopped() : error_;
  if (role_ == Role::kLeader) return Status::invalid_argument("this server is the leader");
  if (!is_voter(id_)) return Status::invalid_argument("this server is not a voter");
  try {
    campaign(settings().pre_vote);
    ticker_wakeup_.notify();  // the ticker may be waiting for a later deadline
  } catch (const std::exception& e) {
    fail(Status::internal(std::string("campaign: ") + e.what()));
  }
  return Status::ok();
}

void RaftNode::Impl::dispatch(Message m) {
  ++counters_.messages_received;
  if (m.to != id_ && m.to != kNoNode) return;
  const NodeId from = m.from;
  if (from == id_ || from == kNoNode) return;
  if (m.cluster != cluster_) {
    reject_foreign(m);
    return;
  }

  if (auto* rv = std::get_if<RequestVote>(&m.body)) {
    handle_request_vote(from, *rv);
    return;
  }
  if (auto* vr = std::get_if<RequestVoteResponse>(&m.body)) {
    // A granted pre-vote carries the term the candidate asked about; it is
    // not a newer term to adopt (thesis §9.6).
    if (vr->term > term_ && !(vr->pre_vote && vr->granted)) {
      become_follower(vr->term, kNoNode);
      return;
    }
    handle_vote_response(from, *vr);
    return;
  }
  const Term t = message_term(m);
  if (t > term_) {
    become_follower(t, std::holds_alternative<AppendEntries>(m.body) ? from : kNoNode);
  } else if (t < term_) {
    // §5.1: reject a stale leader's request so that it learns the new term;
    // drop stale responses.
    if (auto* ae = std::get_if<AppendEntries>(&m.body)) {
      send(from, AppendEntriesResponse{term_, false, ae->prev_log_index, 0, 0}, storage_.hard_state_gate());
    }
    return;
  }
  if (auto* ae = std::get_if<AppendEntries>(&m.body)) {
    handle_append_entries(from, std::move(*ae));
  } else if (auto* ar = std::get_if<AppendEntriesResponse>(&m.body)) {
    handle_append_response(from, *ar);
  }
}

NodeStatus RaftNode::Impl::status() const {
  NodeStatus s;
  s.id = id_;
  s.running = running_;
  s.role = role_;
  s.term = term_;
  s.vote = vote_;
  s.leader = leader_;
  s.commit_index = commit_;
  s.applied_index = applier_.applied();
  s.last_log_index = log_.last_index();
  s.last_log_term = log_.last_term();
  s.durable_index = storage_.stable_index();
  if (log_.has_config()) s.config = log_.config();
  s.cluster = cluster_;
  s.last_foreign_sender = last_foreign_sender_;
  s.last_foreign_cluster = last_foreign_cluster_;
  s.error = error_;
  for (const auto& p : tracker_.peers()) {
    s.peers.push_back(PeerStatus{p.id(), p.match(), p.next(),
                                 p.state() == tracker::Progress::State::kReplicate, p.inflight_count(),
                                 p.last_contact()});
  }
  return s;
}

void RaftNode::Impl::sync_config() {
  if (!log_.has_config() || log_.config_index() == tracked_config_index_) return;
  tracked_config_index_ = log_.config_index();
  tracker_.set_config(quorum::JointConfig(quorum::MajorityConfig(log_.config().voters)));
}

void RaftNode::Impl::deliver(Message m) {
  ++counters_.messages_sent;
  const NodeId to = m.to;
  call_user("TransportAPI::send", [&] { transport_.send(to, std::move(m)); });
}

void RaftNode::Impl::on_durable(Index /*through*/, std::size_t entries) {
  counters_.entries_appended += entries;
  if (!running_) return;
  if (role_ == Role::kLeader) maybe_commit();
  applier_.wake();
}

// ---- proposals ----

void RaftNode::Impl::propose(Payload command, ProposeCallback done, coro::Duration timeout) {
  if (!running_) {
    done(error_.is_ok() ? Status::stopped() : error_);
    return;
  }
  if (role_ != Role::kLeader) {
    done(Status::not_leader(leader_));
    return;
  }
  if (proposals_.size() >= options_.max_pending_proposals) {
    done(Status::unavailable("too many proposals waiting for commit"));
    return;
  }
  ++counters_.proposals;
  const Index index = log_.last_index() + 1;
  Entry e{term_, index, EntryType::kCommand, std::move(command)};
  log_.append(e, true);
  std::vector<Entry> batch;
  batch.push_back(std::move(e));
  storage_.append(std::move(batch));
  std::optional<coro::TimePoint> deadline;
  if (timeout > coro::Duration::zero()) deadline = ex_.now() + timeout;
  proposals_.add(index, term_, std::move(done), deadline);
  schedule_flush();
}

coro::Task<Result<Bytes>> RaftNode::Impl::propose_task(Payload command, coro::Duration timeout) {
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

// ---- facade ----

RaftNode::RaftNode(NodeOptions options, LogAPI& log, TransportAPI& transport, StateMachine& state_machine,
                   coro::Executor& executor)
    : impl_(std::make_unique<Impl>(std::move(options), log, transport, state_machine, executor)) {}

RaftNode::~RaftNode() = default;

coro::Task<Status> RaftNode::start() { return impl_->start(); }
coro::Task<void> RaftNode::stop() { return impl_->stop(); }
coro::Task<Result<Bytes>> RaftNode::propose(Payload command, coro::Duration timeout) {
  return impl_->propose_task(std::move(command), timeout);
}
void RaftNode::propose(Payload command, ProposeCallback done, coro::Duration timeout) {
  impl_->propose(std::move(command), std::move(done), timeout);
}
void RaftNode::receive(Message message) { impl_->receive(std::move(message)); }
Status RaftNode::campaign() { return impl_->campaign_now(); }

Status RaftNode::receive_bytes(std::string_view bytes) {
  Result<Message> m = decode_message(bytes);
  if (!m.ok()) return m.status();
  impl_->receive(std::move(m).value());
  return Status::ok();
}

NodeStatus RaftNode::status() const { return impl_->status(); }
const NodeCounters& RaftNode::counters() const { return impl_->counters(); }
NodeId RaftNode::id() const { return impl_->id(); }
std::uint64_t RaftNode::cluster() const { return impl_->cluster(); }
bool RaftNode::running() const { return impl_->running(); }
Role RaftNode::role() const { return impl_->role(); }
bool RaftNode::is_leader() const { return impl_->role() == Role::kLeader; }
Term RaftNode::term() const { return impl_->term(); }
NodeId RaftNode::vote() const { return impl_->vote(); }
Term RaftNode::last_log_term() const { return impl_->last_log_term(); }
Index RaftNode::commit_index() const { return impl_->commit_index(); }
Index RaftNode::applied_index() const { return impl_->applied_index(); }
Index RaftNode::last_log_index() const { return impl_->last_log_index(); }
std::optional<Term> RaftNode::log_term_at(Index index) const { return impl_->log_term_at(index); }
NodeId RaftNode::leader() const { return impl_->leader(); }
void RaftNode::subscribe(EventListener listener) { impl_->subscribe(std::move(listener)); }

}  // namespace coraft
