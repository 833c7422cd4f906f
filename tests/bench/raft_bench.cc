// raft_bench: the pure-logic node's throughput and latency.
//
// A 3-node cluster in one process, on one thread: one ManualExecutor drives
// all three RaftNodes, an in-process transport hands messages over through
// per-node inboxes, MemoryLogs store the logs, and a no-op state machine
// applies. A closed-loop load keeps `--inflight` proposals outstanding on the
// leader with 64-byte commands. Reports committed-and-applied commands per
// second (wall clock) and proposal latency percentiles.
//
//   raft_bench [--commands N] [--inflight K] [--size BYTES]
#include <algorithm>
#include <chrono>
#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "coraft/assist/memory_log.h"
#include "coraft/coro/manual_executor.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task.h"
#include "coraft/coro/task_scope.h"
#include "coraft/raft_node.h"
#include "coraft/state_machine.h"
#include "coraft/transport_api.h"

using namespace coraft;
using WallClock = std::chrono::steady_clock;

namespace {

class NoopStateMachine final : public StateMachine {
 public:
  coro::Task<Bytes> apply(Index index, Payload) override {
    applied_ = index;
    co_return Bytes{};
  }
  // A whole committed batch in one call, as a state machine written for
  // throughput does (the etcd raft bench's loop over committed entries).
  coro::Task<std::vector<Bytes>> apply_batch(std::vector<Command> commands) override {
    applied_ = commands.back().index;
    co_return std::vector<Bytes>(commands.size());
  }
  Index applied_index() const override { return 0; }
  Index applied() const { return applied_; }

 private:
  Index applied_ = 0;
};

// A node's inbox: messages queued by senders, drained by one coroutine that
// the executor runs (never inline in the sender).
class Inbox {
 public:
  explicit Inbox(coro::Executor& ex) : ex_(ex) {}
  void push(Message m) {
    queue_.push_back(std::move(m));
    wake();
  }
  // Awaitable: resumes (through the executor) once a message is queued or
  // the inbox is closed. Destroyed while suspended, it withdraws itself.
  class Wait {
   public:
    explicit Wait(Inbox* in) : in_(in) {}
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;
    ~Wait() {
      in_->waiter_ = {};
      if (in_->posted_ != 0) in_->ex_.cancel(std::exchange(in_->posted_, 0));
    }
    bool await_ready() const { return !in_->queue_.empty() || in_->closed_; }
    void await_suspend(std::coroutine_handle<> h) { in_->waiter_ = h; }
    void await_resume() { in_->posted_ = 0; }

   private:
    Inbox* in_;
  };
  Wait wait() { return Wait{this}; }
  std::deque<Message>& queue() { return queue_; }
  void close() {
    closed_ = true;
    wake();
  }
  bool closed() const { return closed_; }

 private:
  void wake() {
    if (waiter_) posted_ = ex_.post(std::exchange(waiter_, {}));
  }
  coro::Executor& ex_;
  std::deque<Message> queue_;
  std::coroutine_handle<> waiter_;
  coro::WorkId posted_ = 0;
  bool closed_ = false;
};

class InProcessTransport final : public TransportAPI {
 public:
  explicit InProcessTransport(std::vector<std::unique_ptr<Inbox>>* inboxes) : inboxes_(inboxes) {}
  void send(NodeId to, Message m) override { (*inboxes_)[to - 1]->push(std::move(m)); }

 private:
  std::vector<std::unique_ptr<Inbox>>* inboxes_;
};

coro::Task<void> drain(Inbox* inbox, RaftNode* node) {
  while (!inbox->closed()) {
    co_await inbox->wait();
    while (!inbox->queue().empty()) {
      Message m = std::move(inbox->queue().front());
      inbox->queue().pop_front();
      node->receive(std::move(m));
    }
  }
}

coro::Task<Status> start_node(RaftNode* n) { co_return co_await n->start(); }
coro::Task<void> stop_node(RaftNode* n) { co_await n->stop(); }

std::uint64_t arg(int argc, char** argv, const char* name, std::uint64_t def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t total = arg(argc, argv, "--commands", 1'000'000);
  const std::uint64_t inflight = arg(argc, argv, "--inflight", 1024);
  const std::size_t size = arg(argc, argv, "--size", 64);

  coro::ManualExecutor ex;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::vector<std::unique_ptr<assist::MemoryLog>> logs;
  std::vector<std::unique_ptr<NoopStateMachine>> sms;
  std::vector<std::unique_ptr<InProcessTransport>> transports;
  std::vector<std::unique_ptr<RaftNode>> nodes;
  ClusterConfig config;
  config.voters = {1, 2, 3};
  config.settings.max_inflight_messages = 64;
  for (NodeId id = 1; id <= 3; ++id) {
    inboxes.push_back(std::make_unique<Inbox>(ex));
    logs.push_back(std::make_unique<assist::MemoryLog>());
    sms.push_back(std::make_unique<NoopStateMachine>());
    transports.push_back(std::make_unique<InProcessTransport>(&inboxes));
  }
  for (NodeId id = 1; id <= 3; ++id) {
    NodeOptions o;
    o.id = id;
    o.initial_config = config;
    o.random_seed = id;
    o.max_pending_proposals = inflight * 2;
    nodes.push_back(std::make_unique<RaftNode>(o, *logs[id - 1], *transports[id - 1], *sms[id - 1], ex));
  }
  coro::TaskScope scope(ex);
  for (NodeId id = 1; id <= 3; ++id) {
    Status st = coro::sync_wait(ex, start_node(nodes[id - 1].get()));
    if (!st.is_ok()) {
      std::fprintf(stderr, "start failed: %s\n", st.to_string().c_str());
      return 1;
    }
    scope.spawn(drain(inboxes[id - 1].get(), nodes[id - 1].get()));
  }
  // Elect a leader in virtual time.
  RaftNode* leader = nullptr;
  for (int i = 0; i < 100000 && !leader; ++i) {
    ex.run_until_idle();
    for (auto& n : nodes) {
      if (n->is_leader()) leader = n.get();
    }
    if (!leader) ex.advance_by(std::chrono::milliseconds(1));
  }
  if (!leader) {
    std::fprintf(stderr, "no leader elected\n");
    return 1;
  }

  // The closed loop's state, reached from each callback through one
  // pointer: a callback of two words fits std::function's inline storage.
  struct Load {
    RaftNode* leader;
    std::string command;
    std::uint64_t total, issued = 0, completed = 0, failed = 0;
    std::vector<std::uint32_t> latency_ns;
    void issue_one() {
      const auto t0 = WallClock::now();
      ++issued;
      // One allocation per command (the payload), as the etcd raft bench's
      // make([]byte) per command; the log, the messages and the apply call
      // share it.
      leader->propose(Payload(std::string_view(command)), [this, t0](Result<Bytes> r) {
        ++completed;
        if (!r.ok()) ++failed;
        latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(WallClock::now() - t0).count(),
            UINT32_MAX)));
        if (issued < total) issue_one();
      });
    }
  };
  Load load{leader, std::string(size, 'x'), total, 0, 0, 0, {}};
  load.latency_ns.reserve(total);
  std::uint64_t& issued = load.issued;
  std::uint64_t& completed = load.completed;
  std::uint64_t& failed = load.failed;
  std::vector<std::uint32_t>& latency_ns = load.latency_ns;
  const auto start = WallClock::now();
  for (std::uint64_t i = 0; i < inflight && issued < total; ++i) load.issue_one();
  while (completed < total) {
    if (ex.run_until_idle() == 0) {
      ex.advance_by(std::chrono::milliseconds(1));  // only timers left: let heartbeats run
    }
  }
  // Followers finish applying too.
  while (sms[0]->applied() != sms[1]->applied() || sms[1]->applied() != sms[2]->applied()) {
    if (ex.run_until_idle() == 0) ex.advance_by(std::chrono::milliseconds(1));
  }
  const double secs = std::chrono::duration<double>(WallClock::now() - start).count();

  std::sort(latency_ns.begin(), latency_ns.end());
  auto pct = [&](double p) {
    return latency_ns.empty() ? 0.0
                              : latency_ns[static_cast<std::size_t>(p * (latency_ns.size() - 1))] / 1000.0;
  };
  std::printf("raft_bench: 3 nodes in one thread, MemoryLog, no-op state machine\n");
  std::printf("  commands          %llu x %zu bytes, %llu in flight\n",
              static_cast<unsigned long long>(total), size, static_cast<unsigned long long>(inflight));
  std::printf("  failed            %llu\n", static_cast<unsigned long long>(failed));
  std::printf("  elapsed           %.3f s\n", secs);
  std::printf("  throughput        %.0f commands/s (committed and applied on all 3 nodes)\n", total / secs);
  std::printf("  latency (us)      p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", pct(0.50), pct(0.90), pct(0.99),
              pct(1.0));

  for (auto& in : inboxes) in->close();
  for (auto& n : nodes) coro::sync_wait(ex, stop_node(n.get()));
  coro::sync_wait(ex, scope.join());
  return failed == 0 ? 0 : 1;
}
