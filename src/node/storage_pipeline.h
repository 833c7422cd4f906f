// StoragePipeline: the serial queue of LogAPI calls, and the messages that
// wait for them.
//
// Contract:
//  - Every LogAPI call the node makes after start goes through here and
//    runs on one coroutine (run()), one call at a time, in the order queued
//    (log_api.h's calling contract).
//  - Queuing a write returns a Gate: the point in the queue after that
//    write. passed(g) once every operation up to g completed. A message sent
//    with send(m, g) leaves (through Host::deliver) only once g passed, so a
//    vote or an acknowledgement never leaves before the state it depends on
//    is durable (Figure 2: "respond after persisting"). Gates are not
//    ordered by the messages they hold: a held message never holds back
//    another whose gate passed.
//  - Appends queued while another append waits (not yet running) merge into
//    it: one LogAPI::append per batch (group commit). A running call never
//    grows.
//  - durable_index(): the last index an append made durable (lowered by a
//    completed truncation). stable_index(): the last index up to which
//    LogAPI durably holds exactly the node's in-memory log: durable, and
//    below any truncation still queued. Only entries at or below it may be
//    applied or counted by a leader (thesis §10.2.1).
//  - After each completed append, Host::on_durable(through) reports the new
//    durable index, after held messages were released.
//  - A LogAPI call that throws, or a callback that throws after one, stops
//    the pipeline and reports Host::on_failure; nothing queued after it runs.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <stop_token>
#include <vector>

#include "coraft/coro/executor.h"
#include "coraft/coro/task.h"
#include "coraft/log_api.h"
#include "coraft/messages.h"
#include "coraft/status.h"
#include "node/wakeup.h"

namespace coraft::node {

// A point in the storage queue; Gate{} needs nothing.
struct Gate {
  std::uint64_t seq = 0;
  friend bool operator==(const Gate&, const Gate&) = default;
};

class StoragePipeline {
 public:
  class Host {
   public:
    // A message whose gate passed: send it now.
    virtual void deliver(Message m) = 0;
    // An append completed: the log is durable through `through`; `entries`
    // is how many entries it wrote.
    virtual void on_durable(Index through, std::size_t entries) = 0;
    virtual void on_failure(Status error) = 0;

   protected:
    ~Host() = default;
  };

  using ReadCallback = std::function<void(std::vector<Entry>)>;

  StoragePipeline(LogAPI& log, coro::Executor& ex, Host& host);
  StoragePipeline(const StoragePipeline&) = delete;
  StoragePipeline& operator=(const StoragePipeline&) = delete;

  // Before run(): LogAPI holds the log durably through `durable`.
  void reset(Index durable);

  Gate save_hard_state(HardState hs);
  Gate append(std::vector<Entry> entries);
  Gate truncate(Index from);
  // Queues a read of [from, to) of at most max_bytes; `done` gets the
  // entries, unless abandon_reads() dropped it first.
  void read(Index from, Index to, std::uint64_t max_bytes, ReadCallback done);

  // The latest hard-state write: what a reply that claims only our term
  // and vote waits for.
  Gate hard_state_gate() const { return Gate{hard_state_seq_}; }
  // Everything queued so far.
  Gate tail() const { return Gate{next_seq_ - 1}; }
  bool passed(Gate g) const { return g.seq <= done_seq_; }

  // Delivers `m` now if `g` passed, else once it passes.
  void send(Message m, Gate g);

  Index durable_index() const { return durable_index_; }
  Index stable_index() const { return std::min(durable_index_, pending_truncate_from_ - 1); }
  std::size_t queued() const { return queue_.size(); }
  std::size_t held() const { return outbox_.size(); }

  // The worker: runs queued calls until `stop` is requested.
  coro::Task<void> run(std::stop_token stop);
  void wake() { wakeup_.notify(); }
  // Drops the callbacks of queued reads (their waiters see a broken
  // promise): at stop, so nobody waits on a read that will never run.
  void abandon_reads();
  // After the worker exited: drops everything queued and held.
  void clear();

 private:
  struct Op {
    enum class Kind : std::uint8_t { kHardState, kAppend, kTruncate, kRead };
    Kind kind = Kind::kHardState;
    std::uint64_t seq = 0;
    HardState hard_state;
    std::vector<Entry> entries;
    Index from = 0;
    Index to = 0;
    std::uint64_t max_bytes = 0;
    ReadCallback on_read;
  };
  struct Held {
    Gate gate;
    Message message;
  };
  static constexpr Index kNoTruncate = ~Index{0};

  Gate enqueue(Op op);
  void on_done(const Op& op);
  void release();

  LogAPI& log_;
  Host& host_;
  Wakeup wakeup_;
  std::deque<Op> queue_;
  bool running_op_ = false;  // the worker is inside a LogAPI call for the front op
  std::uint64_t next_seq_ = 1;
  std::uint64_t done_seq_ = 0;
  std::uint64_t hard_state_seq_ = 0;
  Index durable_index_ = 0;
  // The lowest `from` of a queued truncation not yet done: entries at and
  // above it differ between memory and LogAPI.
  Index pending_truncate_from_ = kNoTruncate;
  std::deque<Held> outbox_;
};

}  // namespace coraft::node
