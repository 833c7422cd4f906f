#include "sim/campaign.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "coraft/log_api.h"
#include "coraft/state_machine.h"
#include "coraft/testing/forwarding.h"
#include "sim/linearizability.h"

namespace coraft::sim {

using namespace std::chrono_literals;
using testing::SimCluster;
using testing::SimOptions;

FaultCounts& FaultCounts::operator+=(const FaultCounts& o) {
  partitions += o.partitions;
  one_way += o.one_way;
  isolations += o.isolations;
  heals += o.heals;
  pauses += o.pauses;
  crashes += o.crashes;
  stops += o.stops;
  restarts += o.restarts;
  loss_changes += o.loss_changes;
  skewed_nodes += o.skewed_nodes;
  aimed_crashes += o.aimed_crashes;
  slow_disks += o.slow_disks;
  cut_leaders += o.cut_leaders;
  quiet_probes += o.quiet_probes;
  prevote_probes += o.prevote_probes;
  check_quorum_probes += o.check_quorum_probes;
  messages_dropped += o.messages_dropped;
  messages_duplicated += o.messages_duplicated;
  messages_delivered += o.messages_delivered;
  return *this;
}

std::string replay_command(std::uint64_t seed, Sabotage sabotage) {
  std::string cmd = "./build/release/tests/coraft_campaign --seed " + std::to_string(seed);
  if (sabotage == Sabotage::kLogAcknowledgesBeforeKeeping) cmd += " --sabotage log";
  if (sabotage == Sabotage::kStateMachineAppliesTwice) cmd += " --sabotage apply";
  return cmd + " --trace /tmp/coraft-trace";
}

namespace {

constexpr char kSep = '\x1f';

// Commands: P<sep>key<sep>value, G<sep>key, C<sep>key<sep>expected<sep>value,
// each followed by <sep>tag, a tag unique in the run, so that every command
// is distinct and a result can be traced to the entry that produced it.
Bytes encode(const KvOp& op, const std::string& tag) {
  switch (op.kind) {
    case KvOp::Kind::kPut: return std::string("P") + kSep + op.key + kSep + op.value + kSep + tag;
    case KvOp::Kind::kGet: return std::string("G") + kSep + op.key + kSep + tag;
    case KvOp::Kind::kCas:
      return std::string("C") + kSep + op.key + kSep + op.expected + kSep + op.value + kSep + tag;
  }
  return {};
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == kSep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

// What a durable key-value store keeps across a crash: its data and the
// index it has applied through, as one transaction would.
struct KvStore {
  std::map<std::string, std::string> data;
  Index applied = 0;
};

// The replicated key-value store. Wraps the simulator's recording state
// machine (which feeds the invariant checker) and computes real results,
// each followed by <sep> and the index of the entry that produced it.
// With a durable store, a restarted server resumes after the store's
// applied index instead of re-applying the log.
class KvStateMachine final : public testing::ForwardingStateMachine {
 public:
  KvStateMachine(StateMachine& inner, bool apply_twice, KvStore* durable)
      : ForwardingStateMachine(inner), apply_twice_(apply_twice), store_(durable ? durable : &volatile_) {}
  Index applied_index() const override { return store_->applied; }
  coro::Task<Bytes> apply(Index index, Payload command) override {
    co_await inner().apply(index, command);
    if (apply_twice_ && index % 5 == 0) {
      co_await inner().apply(index, command);  // the bug under test
    }
    store_->applied = index;
    Bytes result = execute(command.str());
    co_return result + kSep + std::to_string(index);
  }

 private:
  Bytes execute(const Bytes& command) {
    auto& data = store_->data;
    std::vector<std::string> p = split(command);
    p.pop_back();  // the tag
    if (p.size() == 3 && p[0] == "P") {
      data[p[1]] = p[2];
      return Bytes{};
    }
    if (p.size() == 2 && p[0] == "G") {
      auto it = data.find(p[1]);
      return it == data.end() ? Bytes{} : it->second;
    }
    if (p.size() == 4 && p[0] == "C") {
      auto it = data.find(p[1]);
      const std::string current = it == data.end() ? std::string() : it->second;
      if (current == p[2]) {
        data[p[1]] = p[3];
        return Bytes("1");
      }
      return Bytes("0");
    }
    return Bytes("?");
  }

  bool apply_twice_;
  KvStore volatile_;
  KvStore* store_;
};

// Acknowledges appends at once and keeps them only when the next call
// comes: a crash in between loses entries it already acknowledged.
class AckBeforeKeepLog final : public testing::ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  coro::Task<void> save_hard_state(HardState s) override {
    co_await flush();
    co_await inner().save_hard_state(s);
  }
  coro::Task<void> append(std::vector<Entry> entries) override {
    co_await flush();
    buffered_ = std::move(entries);
  }
  coro::Task<void> truncate_suffix(Index from) override {
    co_await flush();
    co_await inner().truncate_suffix(from);
  }
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override {
    co_await flush();
    std::vector<Entry> out = co_await inner().read(from, to, max_bytes);
    co_return out;
  }

 private:
  coro::Task<void> flush() {
    if (buffered_.empty()) co_return;
    std::vector<Entry> e = std::move(buffered_);
    buffered_.clear();
    co_await inner().append(std::move(e));
  }
  std::vector<Entry> buffered_;
};

struct Client {
  int id = 0;
  NodeId target = 1;
  bool busy = false;
  std::shared_ptr<SimCluster::Proposal> proposal;
  NodeId sent_to = kNoNode;
  std::size_t history_index = 0;
  int counter = 0;
  Bytes command;  // of the operation in progress
  coro::TimePoint issued_at{};
};

constexpr std::chrono::milliseconds kProposalTimeout{1000};

// The fault kinds a seed may draw (swarm testing: each seed enables some,
// with its own weights, so that rare combinations, such as crashes with no
// partitions, or a storm of one-way failures, get their own runs).
enum Fault : int {
  kPartition,
  kOneWay,
  kIsolate,
  kHeal,
  kPause,
  kCrash,
  kLoss,
  kRestartAll,
  kAimedCrash,    // crash a leader right after it sent entries it has not yet written
  kSlowDisk,      // one server's disk (the leader's, mostly) becomes slow
  kCutNewLeader,  // isolate the next leader elected, before its first AppendEntries leaves
  kFaultKinds
};
constexpr const char* kFaultNames[kFaultKinds] = {"partition",   "one-way",   "isolate",       "heal",
                                                  "pause",       "crash",     "loss",          "restart-all",
                                                  "aimed-crash", "slow-disk", "cut-new-leader"};

class Run {
 public:
  explicit Run(const CampaignOptions& o) : o_(o), rng_(o.seed * 0x9E3779B97F4A7C15ull + 1) {}

  SeedResult go() {
    SeedResult r;
    r.seed = o_.seed;
    std::uniform_int_distribution<std::size_t> nodes(1, 7);
    std::bernoulli_distribution coin(0.5);
    SimOptions so;
    so.name = "campaign-seed" + std::to_string(o_.seed);
    so.seed = o_.seed;
    so.nodes = nodes(rng_);
    so.settings.pre_vote = coin(rng_);
    so.settings.check_quorum = coin(rng_);
    // Timeouts short relative to latencies make elections, and races with
    // crashes, frequent; but §5.6's timing requirement (broadcast time well
    // below the election timeout) must hold for liveness to be owed, so the
    // minimum timeout is at least three round trips plus a disk write.
    const int tmin_drawn = std::uniform_int_distribution<int>(30, 150)(rng_);
    const int heartbeat_divisor = std::uniform_int_distribution<int>(3, 6)(rng_);
    so.settings.max_entries_per_message = std::uniform_int_distribution<std::uint32_t>(1, 64)(rng_);
    so.settings.max_inflight_messages = std::uniform_int_distribution<std::uint32_t>(1, 8)(rng_);
    so.min_latency = 500us;
    const int latency_ms = std::uniform_int_distribution<int>(2, 25)(rng_);
    const int disk_us = std::uniform_int_distribution<int>(0, 10000)(rng_);
    so.max_latency = std::chrono::milliseconds(latency_ms);
    so.max_disk_latency = std::chrono::microseconds(disk_us);
    disk_max_ = so.max_disk_latency;
    const int tmin = std::max(tmin_drawn, 3 * (2 * latency_ms + (disk_us + 999) / 1000));
    so.settings.election_timeout_min = std::chrono::milliseconds(tmin);
    so.settings.election_timeout_max = std::chrono::milliseconds(2 * tmin);
    so.settings.heartbeat_interval = std::chrono::milliseconds(std::max(5, tmin / heartbeat_divisor));
    settings_ = so.settings;
    draw_fault_mix();
    // Half the runs keep almost nothing in the entry cache, so replication
    // to lagging followers reads entries back through LogAPI.
    so.max_cache_bytes = coin(rng_) ? 64u << 20 : 64;
    so.trace = o_.trace_dir.empty() ? o_.trace : testing::TraceMode::kKeep;
    // Far above any correct run (see the sweep's "most steps in one seed"):
    // a bug that floods the simulation fails fast instead of running on.
    so.max_steps = 500'000;
    if (o_.sabotage == Sabotage::kLogAcknowledgesBeforeKeeping) {
      so.wrap_log = [](NodeId, LogAPI& inner) -> std::unique_ptr<LogAPI> {
        return std::make_unique<AckBeforeKeepLog>(inner);
      };
    }
    const bool twice = o_.sabotage == Sabotage::kStateMachineAppliesTwice;
    // Half the runs keep each server's state machine across crashes (it
    // resumes after its applied index); the others rebuild it from the log.
    const bool durable = coin(rng_);
    auto* stores = &stores_;
    so.wrap_state_machine = [twice, durable, stores](NodeId id,
                                                     StateMachine& inner) -> std::unique_ptr<StateMachine> {
      return std::make_unique<KvStateMachine>(inner, twice, durable ? &(*stores)[id] : nullptr);
    };
    r.nodes = so.nodes;
    r.pre_vote = so.settings.pre_vote;
    r.check_quorum = so.settings.check_quorum;
    r.fault_mix = fault_mix_text();
    c_ = std::make_unique<SimCluster>(so);
    try {
      simulate(r);
    } catch (const std::exception& e) {
      r.ok = false;
      r.failure = e.what();
    }
    r.steps = c_->steps();
    r.trace_hash = c_->trace().hash();
    const auto& st = c_->stats();
    faults_.messages_dropped = st.dropped;
    faults_.messages_duplicated = st.duplicated;
    faults_.messages_delivered = st.delivered;
    r.faults = faults_;
    for (std::size_t i = 0; i < history_.size(); ++i) {
      if (excluded_[i]) continue;
      if (history_[i].outcome)
        ++r.ops_ok;
      else
        ++r.ops_unknown;
    }
    r.ops_not_applied = not_applied_;
    if (!o_.trace_dir.empty()) {
      try {
        c_->write_trace(o_.trace_dir);
      } catch (const std::exception& e) {
        r.failure += std::string(r.failure.empty() ? "" : "; ") + "could not write the trace: " + e.what();
      }
    }
    c_.reset();
    return r;
  }

 private:
  std::int64_t now_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(c_->now().time_since_epoch()).count();
  }

  void simulate(SeedResult& r) {
    SimCluster& c = *c_;
    std::uniform_real_distribution<double> skew(0.9, 1.1);
    for (NodeId id : c.ids()) {
      if (std::bernoulli_distribution(0.5)(rng_)) {
        c.set_clock_rate(id, skew(rng_));
        ++faults_.skewed_nodes;
      }
    }
    // Aimed crashes: when armed, the first AppendEntries a server sends with
    // entries beyond its own durable log (a leader writing in parallel with
    // sending, thesis §10.2.1) crashes it at the end of the step, the
    // message still on its way.
    c.set_filter([this](Message& m) {
      const auto* ae = std::get_if<AppendEntries>(&m.body);
      if (ae == nullptr || !c_->is_up(m.from)) return true;
      // A new leader cut off at its first AppendEntries: its no-op and the
      // proposals clients send it stay its own, and the others elect a
      // leader that may hold older entries at those indexes.
      if (cut_armed_ && ae->term > last_term_cut_) {
        cut_armed_ = false;
        last_term_cut_ = ae->term;
        c_->isolate(m.from);
        ++faults_.cut_leaders;
        return true;  // dropped by the partition
      }
      if (!aim_armed_ || ae->entries.empty()) return true;
      if (ae->entries.back().index > c_->durable_log(m.from).last_index()) {
        aim_armed_ = false;
        c_->crash_soon(m.from);
        ++faults_.aimed_crashes;
      }
      return true;
    });
    c.start();
    const int nclients = std::uniform_int_distribution<int>(2, 6)(rng_);
    for (int i = 0; i < nclients; ++i) {
      Client cl;
      cl.id = i + 1;
      cl.target = random_node();
      clients_.push_back(cl);
    }
    // Fault phase.
    const coro::TimePoint fault_end = c.now() + o_.fault_phase;
    while (c.now() < fault_end) {
      drive_clients(false);
      if (std::bernoulli_distribution(fault_rate_)(rng_)) inject_fault();
      c.run_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 40)(rng_)));
    }
    // Heal everything.
    c.heal();
    ++faults_.heals;
    aim_armed_ = false;
    cut_armed_ = false;
    c.set_drop_rate(0);
    c.set_duplicate_rate(0);
    for (NodeId id : c.ids()) {
      c.set_disk_latency(id, 0ms, disk_max_);
      if (c.is_paused(id)) c.resume(id);
      if (!c.is_up(id)) {
        c.restart(id);
        ++faults_.restarts;
      }
    }
    // Liveness: a leader, then every proposal made from now on completes.
    const NodeId leader = c.wait_for_leader(std::chrono::duration_cast<coro::Duration>(o_.recovery_limit));
    if (leader == kNoNode)
      throw std::runtime_error("liveness: no leader within the recovery limit after healing");
    // Outstanding operations from the fault phase may still resolve.
    c.run_for(300ms);
    drive_clients(false);
    for (auto& cl : clients_) {
      if (cl.busy) abandon(cl);
    }
    const coro::TimePoint healed_at = c.now();
    int completed = 0;
    const int wanted = 3 * nclients;
    while (completed < wanted) {
      if (c.now() - healed_at > o_.recovery_limit) {
        throw std::runtime_error("liveness: only " + std::to_string(completed) + " of " +
                                 std::to_string(wanted) +
                                 " proposals completed within the recovery limit after healing");
      }
      completed += drive_clients(true);
      c.run_for(5ms);
    }
    for (auto& cl : clients_) {
      if (cl.busy) abandon(cl);
    }
    // No follower is left behind once the network is healthy (§5.3: the
    // leader repairs every log).
    const std::string gap =
        c.wait_for_convergence(std::chrono::duration_cast<coro::Duration>(o_.recovery_limit));
    if (!gap.empty()) throw std::runtime_error("convergence: after healing, " + gap);
    c.check();
    // Linearizability of everything the clients saw.
    std::vector<Operation> applied_or_unknown;
    for (std::size_t i = 0; i < history_.size(); ++i) {
      if (!excluded_[i]) applied_or_unknown.push_back(history_[i]);
    }
    CheckResult lin = check_linearizable(applied_or_unknown);
    r.linearizability_states = lin.states_explored;
    r.linearizability_gave_up = lin.gave_up;
    if (!lin.linearizable) throw std::runtime_error("linearizability: " + lin.explanation);
    probe_availability();
    c.check();
    r.ok = true;
  }

  // Availability, once the cluster has converged on a healthy network.
  void probe_availability() {
    SimCluster& c = *c_;
    const auto recovery = std::chrono::duration_cast<coro::Duration>(o_.recovery_limit);
    const coro::Duration etmax = settings_.election_timeout_max;
    // §5.2: with no fault, a leader's heartbeats keep every follower from
    // starting an election (heartbeat interval well below the timeout).
    {
      const NodeId l = c.leader();
      const Term t = c.node(l).term();
      const std::uint64_t elections = elections_started();
      c.run_for(4 * etmax);
      ++faults_.quiet_probes;
      if (c.leader() != l || c.node(l).term() != t || elections_started() != elections) {
        throw std::runtime_error(
            "availability (§5.2): on a healthy network with no fault, an election was "
            "started (leader " +
            std::to_string(l) + " of term " + std::to_string(t) + ", now " + std::to_string(c.leader()) +
            ")");
      }
      std::string gap = c.convergence_gap();
      if (!gap.empty()) throw std::runtime_error("availability (§5.2): on a healthy network, " + gap);
    }
    const std::size_t n = c.ids().size();
    // Thesis §9.6: with PreVote, a server cut off for several election
    // timeouts rejoins without raising the term or deposing the leader.
    if (settings_.pre_vote && n >= 3) {
      const NodeId l = c.leader();
      const Term t = c.node(l).term();
      NodeId f = random_node();
      if (f == l) f = l % n + 1;
      c.isolate(f);
      c.run_for(3 * etmax);
      c.heal();
      std::string gap = c.wait_for_convergence(recovery);
      ++faults_.prevote_probes;
      if (c.leader() != l || c.node(l).term() != t) {
        throw std::runtime_error("availability (thesis §9.6): with PreVote on, server " + std::to_string(f) +
                                 " rejoining after isolation moved the cluster from leader " +
                                 std::to_string(l) + " of term " + std::to_string(t) + " to leader " +
                                 std::to_string(c.leader()));
      }
      if (!gap.empty()) throw std::runtime_error("convergence: after the PreVote probe, " + gap);
    }
    // Thesis §6.2: with CheckQuorum, a leader that cannot reach a majority
    // steps down within about two election timeouts.
    if (settings_.check_quorum && n >= 2) {
      const NodeId l = c.leader();
      c.isolate(l);
      const bool stepped_down = c.run_until([&] { return !c.node(l).is_leader(); }, 3 * etmax);
      ++faults_.check_quorum_probes;
      if (!stepped_down) {
        throw std::runtime_error(
            "availability (thesis §6.2): with CheckQuorum on, leader " + std::to_string(l) +
            " cut off from every other server still leads after three election timeouts");
      }
      c.heal();
      if (c.wait_for_leader(recovery) == kNoNode)
        throw std::runtime_error("liveness: no leader after the CheckQuorum probe healed");
      std::string gap = c.wait_for_convergence(recovery);
      if (!gap.empty()) throw std::runtime_error("convergence: after the CheckQuorum probe, " + gap);
    }
  }

  std::uint64_t elections_started() {
    std::uint64_t total = 0;
    for (NodeId id : c_->ids()) {
      if (c_->is_up(id)) total += c_->node(id).counters().elections_started;
    }
    return total;
  }

  void draw_fault_mix() {
    // A quarter of the seeds run every kind at its classic weight; the
    // others draw which kinds run and how often (swarm testing).
    if (std::bernoulli_distribution(0.25)(rng_)) {
      weights_.fill(1);
      weights_[kRestartAll] = 2;
      fault_rate_ = 0.3;
      return;
    }
    static constexpr int kWeights[] = {1, 2, 4, 8};
    bool any = false;
    for (int k = 0; k < kFaultKinds; ++k) {
      const bool on = std::bernoulli_distribution(0.5)(rng_);
      weights_[k] = on ? kWeights[std::uniform_int_distribution<int>(0, 3)(rng_)] : 0;
      any = any || on;
    }
    if (!any) weights_[kCrash] = 1;
    static constexpr double kRates[] = {0.1, 0.3, 0.6};
    fault_rate_ = kRates[std::uniform_int_distribution<int>(0, 2)(rng_)];
  }

  std::string fault_mix_text() const {
    std::string out;
    for (int k = 0; k < kFaultKinds; ++k) {
      if (weights_[k] == 0) continue;
      if (!out.empty()) out += ' ';
      out += std::string(kFaultNames[k]) + "x" + std::to_string(weights_[k]);
    }
    return out + " @" + std::to_string(fault_rate_).substr(0, 3);
  }

  NodeId random_node() { return std::uniform_int_distribution<NodeId>(1, c_->ids().size())(rng_); }

  // Issues new operations for idle clients and collects finished ones.
  // Returns how many operations completed with a known outcome.
  int drive_clients(bool after_heal) {
    SimCluster& c = *c_;
    int completed = 0;
    for (auto& cl : clients_) {
      if (cl.busy) {
        if (!c.is_up(cl.sent_to)) {
          abandon(cl);  // the server's process died: the outcome is unknown
        } else if (cl.proposal->done) {
          completed += finish(cl, after_heal) ? 1 : 0;
        } else if (after_heal && c.now() - cl.issued_at > 2 * kProposalTimeout) {
          // On a healthy cluster nothing pauses the server's timers: a
          // proposal resolves, at the latest with a timeout, by its deadline.
          throw std::runtime_error("client semantics: a proposal with a " +
                                   std::to_string(kProposalTimeout.count()) + " ms timeout on server " +
                                   std::to_string(cl.sent_to) + " is still pending after twice that");
        }
      }
      if (cl.busy) continue;
      if (!c.is_up(cl.target) || c.is_paused(cl.target)) cl.target = random_node();
      if (!c.is_up(cl.target)) continue;
      KvOp op = random_op(cl);
      Operation rec;
      rec.client = cl.id;
      rec.op = op;
      rec.call = now_us();
      history_.push_back(rec);
      excluded_.push_back(false);
      cl.history_index = history_.size() - 1;
      cl.sent_to = cl.target;
      cl.busy = true;
      cl.command = encode(op, "c" + std::to_string(cl.id) + "#" + std::to_string(history_.size()));
      cl.issued_at = c.now();
      cl.proposal = c.propose(cl.target, cl.command, kProposalTimeout);
      if (cl.proposal->done) completed += finish(cl, after_heal) ? 1 : 0;
    }
    return completed;
  }

  KvOp random_op(Client& cl) {
    static const char* kKeys[] = {"a", "b", "c"};
    const std::string key = kKeys[std::uniform_int_distribution<int>(0, 2)(rng_)];
    const std::string value = "c" + std::to_string(cl.id) + "-" + std::to_string(++cl.counter);
    switch (std::uniform_int_distribution<int>(0, 2)(rng_)) {
      case 0: return KvOp::put(key, value);
      case 1: return KvOp::get(key);
      default: {
        // Expect a value someone wrote (often the latest seen), or absent.
        std::string expected;
        if (!last_written_[key].empty() && std::bernoulli_distribution(0.8)(rng_))
          expected = last_written_[key];
        return KvOp::cas(key, expected, value);
      }
    }
  }

  // Records a finished operation; returns true for a known outcome.
  bool finish(Client& cl, bool after_heal) {
    cl.busy = false;
    Operation& rec = history_[cl.history_index];
    const Result<Bytes>& res = cl.proposal->result;
    if (res.ok()) {
      rec.ret = now_us();
      // The result names the index of the entry that produced it: that
      // entry must hold this very command (a proposal is answered with its
      // own entry's result, never with another applied at its index).
      const std::size_t cut = res.value().rfind(kSep);
      const Bytes value = cut == Bytes::npos ? res.value() : res.value().substr(0, cut);
      const Index index = cut == Bytes::npos ? 0 : std::strtoull(res.value().c_str() + cut + 1, nullptr, 10);
      const auto& applied = c_->applied(cl.sent_to);
      auto it = std::find_if(applied.rbegin(), applied.rend(),
                             [&](const testing::AppliedCommand& a) { return a.index == index; });
      if (it == applied.rend() || it->command != cl.command) {
        throw std::runtime_error(
            "client semantics: client " + std::to_string(cl.id) + " was answered by server " +
            std::to_string(cl.sent_to) + " with the result of index " + std::to_string(index) +
            (it == applied.rend() ? ", which it never applied" : ", another command's entry"));
      }
      KvOutcome out;
      if (rec.op.kind == KvOp::Kind::kGet) out.value = value;
      if (rec.op.kind == KvOp::Kind::kCas) out.cas_ok = value == "1";
      if (rec.op.kind == KvOp::Kind::kPut || (rec.op.kind == KvOp::Kind::kCas && out.cas_ok)) {
        last_written_[rec.op.key] = rec.op.value;
      }
      rec.outcome = out;
      return true;
    }
    const Status& s = res.status();
    if (s.is_not_leader() || s.is_leadership_lost() || s.code() == Status::Code::kUnavailable) {
      // Definitely not applied: it does not belong in the history.
      excluded_[cl.history_index] = true;
      ++not_applied_;
      cl.target = s.is_not_leader() && s.leader_hint() != kNoNode ? s.leader_hint() : random_node();
      return false;
    }
    // Timeout, stopped, failed: the outcome is unknown.
    if (after_heal && s.is_timeout()) {
      throw std::runtime_error("liveness: a proposal made after healing timed out (client " +
                               std::to_string(cl.id) + ", server " + std::to_string(cl.sent_to) + ")");
    }
    rec.outcome.reset();
    rec.ret = Operation::kUnknown;
    cl.target = random_node();
    return false;
  }

  void abandon(Client& cl) {
    cl.busy = false;
    Operation& rec = history_[cl.history_index];
    rec.outcome.reset();
    rec.ret = Operation::kUnknown;
    cl.target = random_node();
  }

  Fault draw_fault() {
    int total = 0;
    for (int w : weights_) total += w;
    int pick = std::uniform_int_distribution<int>(0, total - 1)(rng_);
    for (int k = 0; k < kFaultKinds; ++k) {
      if (pick < weights_[k]) return static_cast<Fault>(k);
      pick -= weights_[k];
    }
    return kHeal;
  }

  void inject_fault() {
    SimCluster& c = *c_;
    const auto ids = c.ids();
    const std::size_t n = ids.size();
    switch (draw_fault()) {
      case kPartition: {  // symmetric partition into two random groups
        std::vector<NodeId> a, b;
        for (NodeId id : ids) (std::bernoulli_distribution(0.5)(rng_) ? a : b).push_back(id);
        c.partition({a, b});
        ++faults_.partitions;
        break;
      }
      case kOneWay: {
        if (n < 2) break;
        const NodeId from = random_node();
        NodeId to = random_node();
        if (to == from) to = from % n + 1;
        c.block(from, to);
        ++faults_.one_way;
        break;
      }
      case kIsolate:
        c.isolate(random_node());
        ++faults_.isolations;
        break;
      case kHeal:
        c.heal();
        ++faults_.heals;
        break;
      case kPause: {  // pause, or resume a paused server
        const NodeId id = random_node();
        if (!c.is_up(id)) break;
        if (c.is_paused(id)) {
          c.resume(id);
        } else {
          c.pause(id);
          ++faults_.pauses;
        }
        break;
      }
      case kCrash: {  // crash (or a clean stop), or restart a crashed server
        const NodeId id = random_node();
        if (c.is_up(id)) {
          if (std::bernoulli_distribution(0.25)(rng_)) {
            c.stop(id);  // must complete, whatever the node was doing
            ++faults_.stops;
          } else {
            c.crash(id);
            ++faults_.crashes;
          }
        } else {
          c.restart(id);
          ++faults_.restarts;
        }
        break;
      }
      case kLoss:
        c.set_drop_rate(std::uniform_real_distribution<double>(0.0, 0.2)(rng_));
        c.set_duplicate_rate(std::uniform_real_distribution<double>(0.0, 0.1)(rng_));
        ++faults_.loss_changes;
        break;
      case kRestartAll:  // restart whatever is down (keeps the run from dying out)
        for (NodeId id : ids) {
          if (!c.is_up(id)) {
            c.restart(id);
            ++faults_.restarts;
          }
        }
        break;
      case kAimedCrash:
        aim_armed_ = true;  // see the filter in simulate()
        break;
      case kSlowDisk: {
        // Mostly the leader's: it then acknowledges followers' copies before
        // its own, the case of thesis §10.2.1.
        NodeId id = c.leader();
        if (id == kNoNode || std::bernoulli_distribution(0.25)(rng_)) id = random_node();
        const auto slow = std::chrono::microseconds(std::uniform_int_distribution<int>(2000, 30000)(rng_));
        if (std::bernoulli_distribution(0.3)(rng_)) {
          c.set_disk_latency(id, 0ms, disk_max_);  // back to normal
        } else {
          c.set_disk_latency(id, slow / 2, slow);
          ++faults_.slow_disks;
        }
        break;
      }
      case kCutNewLeader:
        cut_armed_ = true;  // see the filter in simulate()
        break;
      case kFaultKinds: break;
    }
  }

  CampaignOptions o_;
  std::mt19937_64 rng_;
  std::unique_ptr<SimCluster> c_;
  std::vector<Client> clients_;
  std::vector<Operation> history_;
  std::vector<bool> excluded_;  // definitely not applied
  std::size_t not_applied_ = 0;
  std::map<std::string, std::string> last_written_;
  std::map<NodeId, KvStore> stores_;
  FaultCounts faults_;
  ClusterSettings settings_;
  coro::Duration disk_max_{};
  std::array<int, kFaultKinds> weights_{};
  double fault_rate_ = 0.3;
  bool aim_armed_ = false;
  bool cut_armed_ = false;
  Term last_term_cut_ = 0;
};

}  // namespace

SeedResult run_seed(const CampaignOptions& options) { return Run(options).go(); }

}  // namespace coraft::sim
