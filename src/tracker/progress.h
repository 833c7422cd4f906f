// Progress: a leader's view of one follower's log (thesis §3.5, §10.2.1):
// what it has matched, what to send next, and the window of AppendEntries in
// flight.
//
// Contract:
//  - match() only grows (stale acknowledgements change nothing); next() is
//    always above match().
//  - kProbe: one AppendEntries at a time (probe_sent()), until an answer
//    shows the logs match; kReplicate: pipelined, up to a window of messages
//    and bytes, next() running ahead of match().
//  - A rejection moves next() back (never to or below match()) and returns
//    to kProbe; a rejection that is stale (older than match(), or not the
//    probe in flight) is ignored.
#pragma once

#include <cstdint>
#include <deque>

#include "coraft/coro/executor.h"
#include "coraft/types.h"

namespace coraft::tracker {

class Progress {
 public:
  enum class State : std::uint8_t {
    kProbe,      // one AppendEntries at a time, until the follower's log matches
    kReplicate,  // pipelined: next_index runs ahead of match_index
  };

  Progress(NodeId id, Index next) : id_(id), next_(next) {}

  NodeId id() const { return id_; }
  Index match() const { return match_; }
  Index next() const { return next_; }
  State state() const { return state_; }
  std::uint32_t inflight_count() const { return static_cast<std::uint32_t>(inflight_.size()); }
  std::uint64_t inflight_bytes() const { return inflight_bytes_; }
  coro::TimePoint last_contact() const { return last_contact_; }
  coro::TimePoint oldest_inflight_sent() const {
    return inflight_.empty() ? coro::TimePoint{} : inflight_.front().sent;
  }
  bool probe_sent() const { return probe_sent_; }
  bool read_pending() const { return read_pending_; }
  void set_read_pending(bool v) { read_pending_ = v; }

  void touch(coro::TimePoint now) { last_contact_ = now; }
  // The highest commit index sent to this follower.
  Index commit_sent() const { return commit_sent_; }
  void note_commit_sent(Index c) {
    if (c > commit_sent_) commit_sent_ = c;
  }

  bool window_full(std::uint32_t max_msgs, std::uint64_t max_bytes) const {
    return inflight_.size() >= max_msgs || inflight_bytes_ >= max_bytes;
  }
  // May another AppendEntries with entries be sent now?
  bool can_send(std::uint32_t max_msgs, std::uint64_t max_bytes) const {
    if (read_pending_) return false;
    if (state_ == State::kProbe) return !probe_sent_;
    return !window_full(max_msgs, max_bytes);
  }

  // Records an AppendEntries carrying entries up to `last` (inclusive).
  void on_sent(Index last, std::uint64_t bytes, coro::TimePoint now) {
    if (state_ == State::kProbe) {
      probe_sent_ = true;
      probe_sent_at_ = now;
      return;
    }
    next_ = last + 1;
    inflight_.push_back({last, bytes, now});
    inflight_bytes_ += bytes;
  }
  coro::TimePoint probe_sent_at() const { return probe_sent_at_; }

  // A success response: the follower's log matches ours through `index`.
  // Returns true when match advanced. Stale (smaller) acks change nothing.
  bool on_success(Index index) {
    bool advanced = false;
    if (index > match_) {
      match_ = index;
      advanced = true;
    }
    if (next_ < match_ + 1) next_ = match_ + 1;
    while (!inflight_.empty() && inflight_.front().last <= match_) {
      inflight_bytes_ -= inflight_.front().bytes;
      inflight_.pop_front();
    }
    // The answer to our probe (not a keepalive's): the logs match through
    // next - 1 at least, so pipelining can start.
    if (state_ == State::kProbe && index + 1 >= next_) become_replicate();
    return advanced;
  }

  // A rejection of an AppendEntries whose prev_log_index was `rejected`,
  // with the leader's computed retry point `retry_next`. Returns false when
  // the rejection is stale and was ignored.
  bool on_reject(Index rejected, Index retry_next) {
    if (rejected < match_) return false;                                 // older than what we know matches
    if (state_ == State::kProbe && rejected + 1 != next_) return false;  // not the probe we sent
    next_ = retry_next < match_ + 1 ? match_ + 1 : retry_next;
    become_probe();
    return true;
  }

  // Drop the window and start probing again from match + 1 (lost messages).
  void reset_to_probe() {
    next_ = match_ + 1;
    become_probe();
  }
  // Probe again without moving next (the probe may have been lost).
  void clear_probe() { probe_sent_ = false; }

 private:
  struct Inflight {
    Index last;
    std::uint64_t bytes;
    coro::TimePoint sent;
  };
  void become_probe() {
    state_ = State::kProbe;
    probe_sent_ = false;
    inflight_.clear();
    inflight_bytes_ = 0;
  }
  void become_replicate() {
    state_ = State::kReplicate;
    inflight_.clear();
    inflight_bytes_ = 0;
    next_ = match_ + 1;
  }

  NodeId id_;
  Index match_ = 0;
  Index next_;
  State state_ = State::kProbe;
  bool probe_sent_ = false;
  bool read_pending_ = false;
  coro::TimePoint probe_sent_at_{};
  std::deque<Inflight> inflight_;
  std::uint64_t inflight_bytes_ = 0;
  coro::TimePoint last_contact_{};
  Index commit_sent_ = 0;
};

}  // namespace coraft::tracker
