#include "node/storage_pipeline.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace coraft::node {

StoragePipeline::StoragePipeline(LogAPI& log, coro::Executor& ex, Host& host)
    : log_(log), host_(host), wakeup_(ex) {}

void StoragePipeline::reset(Index durable) { durable_index_ = durable; }

Gate StoragePipeline::enqueue(Op op) {
  op.seq = next_seq_++;
  const Gate g{op.seq};
  queue_.push_back(std::move(op));
  wakeup_.notify();
  return g;
}

Gate StoragePipeline::save_hard_state(HardState hs) {
  Op op;
  op.kind = Op::Kind::kHardState;
  op.hard_state = hs;
  const Gate g = enqueue(std::move(op));
  hard_state_seq_ = g.seq;
  return g;
}

Gate StoragePipeline::append(std::vector<Entry> entries) {
  // Group commit: merge into a queued (not yet started) append.
  const bool back_running = queue_.size() == 1 && running_op_;
  if (!queue_.empty() && !back_running && queue_.back().kind == Op::Kind::kAppend) {
    auto& back = queue_.back().entries;
    back.insert(back.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
    return Gate{queue_.back().seq};
  }
  Op op;
  op.kind = Op::Kind::kAppend;
  op.entries = std::move(entries);
  return enqueue(std::move(op));
}

Gate StoragePipeline::truncate(Index from) {
  pending_truncate_from_ = std::min(pending_truncate_from_, from);
  Op op;
  op.kind = Op::Kind::kTruncate;
  op.from = from;
  return enqueue(std::move(op));
}

void StoragePipeline::read(Index from, Index to, std::uint64_t max_bytes, ReadCallback done) {
  Op op;
  op.kind = Op::Kind::kRead;
  op.from = from;
  op.to = to;
  op.max_bytes = max_bytes;
  op.on_read = std::move(done);
  enqueue(std::move(op));
}

coro::Task<void> StoragePipeline::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (queue_.empty()) {
      co_await wakeup_.wait();
      continue;
    }
    // The front op stays in the queue while it runs, so that appends queued
    // meanwhile merge into a later op, never into the running one.
    Op& front = queue_.front();
    running_op_ = true;
    const Op::Kind kind = front.kind;
    const Index from = front.from;
    const Index to = front.to;
    Index written_to = to;
    std::size_t written = 0;
    std::vector<Entry> read_result;
    try {
      switch (kind) {
        case Op::Kind::kHardState: co_await log_.save_hard_state(front.hard_state); break;
        case Op::Kind::kAppend: {
          std::vector<Entry> entries = std::move(front.entries);
          written_to = entries.back().index;
          written = entries.size();
          co_await log_.append(std::move(entries));
          break;
        }
        case Op::Kind::kTruncate: co_await log_.truncate_suffix(from); break;
        case Op::Kind::kRead: read_result = co_await log_.read(from, to, front.max_bytes); break;
      }
    } catch (const std::exception& e) {
      host_.on_failure(Status::io_error(std::string("LogAPI failed: ") + e.what()));
      co_return;
    } catch (...) {
      host_.on_failure(Status::io_error("LogAPI failed with an exception of unknown type"));
      co_return;
    }
    running_op_ = false;
    if (stop.stop_requested()) co_return;
    Op done = std::move(queue_.front());
    queue_.pop_front();
    done.to = written_to;
    try {
      if (done.kind == Op::Kind::kRead && done.on_read) done.on_read(std::move(read_result));
      on_done(done);
      if (done.kind == Op::Kind::kAppend) host_.on_durable(done.to, written);
    } catch (const std::exception& e) {
      host_.on_failure(Status::internal(std::string("after a LogAPI call: ") + e.what()));
    } catch (...) {
      host_.on_failure(Status::internal("after a LogAPI call: an exception of unknown type"));
    }
  }
}

void StoragePipeline::on_done(const Op& op) {
  done_seq_ = op.seq;
  if (op.kind == Op::Kind::kAppend) {
    durable_index_ = op.to;
  } else if (op.kind == Op::Kind::kTruncate) {
    durable_index_ = std::min(durable_index_, op.from - 1);
    pending_truncate_from_ = kNoTruncate;
    for (const Op& q : queue_) {
      if (q.kind == Op::Kind::kTruncate) pending_truncate_from_ = std::min(pending_truncate_from_, q.from);
    }
  }
  release();
}

void StoragePipeline::send(Message m, Gate g) {
  if (passed(g)) {
    host_.deliver(std::move(m));
    return;
  }
  outbox_.push_back(Held{g, std::move(m)});
}

// Sends every held message whose writes are now durable. Gates are not in
// order (a heartbeat's ack waits only for the term, an entry's ack for the
// entry), so one still waiting never holds back one that may go.
void StoragePipeline::release() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < outbox_.size(); ++i) {
    if (passed(outbox_[i].gate)) {
      host_.deliver(std::move(outbox_[i].message));
    } else {
      if (kept != i) outbox_[kept] = std::move(outbox_[i]);
      ++kept;
    }
  }
  outbox_.resize(kept);
}

void StoragePipeline::abandon_reads() {
  for (Op& op : queue_) op.on_read = nullptr;
}

void StoragePipeline::clear() {
  outbox_.clear();
  queue_.clear();
}

}  // namespace coraft::node
