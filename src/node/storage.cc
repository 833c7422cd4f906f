// The serial LogAPI pipeline, and sends that wait for durability.
//
// Every LogAPI call goes through one queue, executed by one coroutine, one
// call at a time, in the order the protocol logic queued them. Each queued
// operation gets a sequence number; a message that depends on durable state
// (a vote, a follower's acknowledgement) is held until every operation up to
// its gate has completed (Figure 2: "respond after persisting"). A leader's
// own appends do not gate its AppendEntries: it sends while its disk writes
// (thesis §10.2.1) and counts itself only once they are durable.
#include <exception>
#include <string>
#include <utility>

#include "node/node_impl.h"

namespace coraft {

std::uint64_t RaftNode::Impl::enqueue(StorageOp op) {
  op.seq = next_seq_++;
  const std::uint64_t seq = op.seq;
  storage_queue_.push_back(std::move(op));
  storage_wakeup_.notify();
  return seq;
}

std::uint64_t RaftNode::Impl::persist_hard_state() {
  StorageOp op;
  op.kind = StorageOp::Kind::kHardState;
  op.hard_state = HardState{term_, vote_};
  hard_state_seq_ = enqueue(std::move(op));
  return hard_state_seq_;
}

std::uint64_t RaftNode::Impl::persist_entries(std::vector<Entry> entries) {
  // Group commit: merge into a queued (not yet started) append.
  const bool back_started = storage_queue_.size() == 1 && storage_running_;
  if (!storage_queue_.empty() && !back_started && storage_queue_.back().kind == StorageOp::Kind::kAppend) {
    auto& back = storage_queue_.back().entries;
    back.insert(back.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
    return storage_queue_.back().seq;
  }
  StorageOp op;
  op.kind = StorageOp::Kind::kAppend;
  op.entries = std::move(entries);
  return enqueue(std::move(op));
}

std::uint64_t RaftNode::Impl::persist_truncate(Index from) {
  pending_truncate_from_ = std::min(pending_truncate_from_, from);
  StorageOp op;
  op.kind = StorageOp::Kind::kTruncate;
  op.from = from;
  return enqueue(std::move(op));
}

void RaftNode::Impl::read_entries(Index from, Index to, std::function<void(std::vector<Entry>)> done) {
  StorageOp op;
  op.kind = StorageOp::Kind::kRead;
  op.from = from;
  op.to = to;
  op.on_read = std::move(done);
  enqueue(std::move(op));
}

coro::Task<void> RaftNode::Impl::storage_worker() {
  while (!scope_->stop_requested()) {
    if (storage_queue_.empty()) {
      co_await storage_wakeup_.wait();
      continue;
    }
    // The front op stays in the queue while it runs, so that appends queued
    // meanwhile merge into a later op, never into the running one.
    StorageOp& front = storage_queue_.front();
    storage_running_ = true;
    StorageOp op;
    op.kind = front.kind;
    op.seq = front.seq;
    op.from = front.from;
    op.to = front.to;
    op.hard_state = front.hard_state;
    std::vector<Entry> read_result;
    try {
      switch (op.kind) {
        case StorageOp::Kind::kHardState: co_await log_api_.save_hard_state(op.hard_state); break;
        case StorageOp::Kind::kAppend: {
          std::vector<Entry> entries = std::move(front.entries);
          op.to = entries.back().index;
          const std::size_t n = entries.size();
          co_await log_api_.append(std::move(entries));
          counters_.entries_appended += n;
          break;
        }
        case StorageOp::Kind::kTruncate: co_await log_api_.truncate_suffix(op.from); break;
        case StorageOp::Kind::kRead:
          read_result = co_await log_api_.read(op.from, op.to, settings().max_bytes_per_message);
          break;
      }
    } catch (const std::exception& e) {
      fail(Status::io_error(std::string("LogAPI failed: ") + e.what()));
      co_return;
    } catch (...) {
      fail(Status::io_error("LogAPI failed with an exception of unknown type"));
      co_return;
    }
    storage_running_ = false;
    if (scope_->stop_requested()) co_return;
    StorageOp done = std::move(storage_queue_.front());
    storage_queue_.pop_front();
    done.to = op.to;
    try {
      if (done.kind == StorageOp::Kind::kRead) {
        if (done.on_read && running_) done.on_read(std::move(read_result));
      }
      on_persisted(done);
    } catch (const std::exception& e) {
      fail(Status::internal(std::string("after a LogAPI call: ") + e.what()));
    } catch (...) {
      fail(Status::internal("after a LogAPI call: an exception of unknown type"));
    }
  }
}

void RaftNode::Impl::on_persisted(const StorageOp& op) {
  persisted_seq_ = op.seq;
  if (op.kind == StorageOp::Kind::kAppend) {
    durable_index_ = op.to;
  } else if (op.kind == StorageOp::Kind::kTruncate) {
    durable_index_ = std::min(durable_index_, op.from - 1);
    pending_truncate_from_ = kNoTruncate;
    for (const StorageOp& q : storage_queue_) {
      if (q.kind == StorageOp::Kind::kTruncate)
        pending_truncate_from_ = std::min(pending_truncate_from_, q.from);
    }
  }
  release_outbox();
  if (!running_) return;
  if (op.kind == StorageOp::Kind::kAppend) {
    if (role_ == Role::kLeader) maybe_commit();
    apply_wakeup_.notify();
  }
}

void RaftNode::Impl::send(NodeId to, MessageBody body, std::uint64_t gate) {
  Message m{id_, to, std::move(body)};
  if (gate <= persisted_seq_) {
    ++counters_.messages_sent;
    call_user("TransportAPI::send", [&] { transport_.send(to, std::move(m)); });
    return;
  }
  outbox_.push_back(Gated{gate, std::move(m)});
}

// Sends every held message whose writes are now durable. Gates are not in
// order (a heartbeat's ack waits only for the term, an entry's ack for the
// entry), so one still waiting never holds back one that may go.
void RaftNode::Impl::release_outbox() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < outbox_.size(); ++i) {
    if (outbox_[i].gate <= persisted_seq_) {
      Message m = std::move(outbox_[i].message);
      ++counters_.messages_sent;
      const NodeId to = m.to;
      call_user("TransportAPI::send", [&] { transport_.send(to, std::move(m)); });
    } else {
      if (kept != i) outbox_[kept] = std::move(outbox_[i]);
      ++kept;
    }
  }
  outbox_.resize(kept);
}

void RaftNode::Impl::abandon_reads() {
  for (StorageOp& op : storage_queue_) op.on_read = nullptr;
}

}  // namespace coraft
