#include "coraft/testing/sim_cluster.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "coraft/codec.h"
#include "coraft/coro/sleep.h"
#include "coraft/coro/sync_wait.h"
#include "coraft/coro/task_scope.h"
#include "coraft/transport_api.h"

namespace coraft::testing {

namespace {

// A LogAPI over a server's durable MemoryLog, with disk latency and the
// invariant checker's storage hooks. A write becomes durable only when its
// latency has elapsed: a crash before then loses it.
using TraceHook = std::function<void(TraceKind, NodeId peer, std::string text)>;

class SimLog final : public LogAPI {
 public:
  SimLog(NodeId id, assist::MemoryLog& durable, coro::Executor& ex, InvariantChecker& checker,
         std::uint64_t seed, const coro::Duration& min_latency, const coro::Duration& max_latency,
         TraceHook trace)
      : id_(id),
        durable_(durable),
        ex_(ex),
        checker_(checker),
        rng_(seed),
        min_(min_latency),
        max_(max_latency),
        trace_(std::move(trace)) {}

  coro::Task<LogState> load() override { return durable_.load(); }

  coro::Task<void> save_hard_state(HardState state) override {
    co_await disk_delay();
    const HardState before = durable_.hard_state();
    co_await durable_.save_hard_state(state);
    checker_.on_hard_state(id_, before, state);
    if (state.vote != kNoNode) checker_.on_vote(id_, state.term, state.vote);
    if (trace_ && state.vote != kNoNode && (before.vote != state.vote || before.term != state.term)) {
      trace_(TraceKind::kVote, state.vote,
             "for N" + std::to_string(state.vote) + " in term " + std::to_string(state.term));
    }
  }

  coro::Task<void> append(std::vector<Entry> entries) override {
    co_await disk_delay();
    if (!entries.empty()) {
      Index prev = entries.front().index - 1;
      const Entry* before = durable_.entry(prev);
      Term prev_term = before ? before->term : 0;
      for (const Entry& e : entries) {
        checker_.on_entry_durable(id_, e, prev_term);
        prev_term = e.term;
      }
    }
    std::string what;
    if (trace_ && !entries.empty()) {
      what = "[" + std::to_string(entries.front().index);
      if (entries.size() > 1) what += ".." + std::to_string(entries.back().index);
      what += "] t" + std::to_string(entries.back().term);
    }
    co_await durable_.append(std::move(entries));
    if (trace_ && !what.empty()) trace_(TraceKind::kAppend, kNoNode, what);
  }

  coro::Task<void> truncate_suffix(Index from) override {
    co_await disk_delay();
    co_await durable_.truncate_suffix(from);
    if (trace_) trace_(TraceKind::kTruncate, kNoNode, "from " + std::to_string(from));
  }

  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override {
    return durable_.read(from, to, max_bytes);
  }

 private:
  coro::Task<void> disk_delay() {
    if (max_ <= min_ && min_.count() == 0) co_return;
    std::uniform_int_distribution<std::int64_t> d(min_.count(), std::max(min_.count(), max_.count()));
    co_await coro::sleep_for(ex_, coro::Duration(d(rng_)));
  }

  NodeId id_;
  assist::MemoryLog& durable_;
  coro::Executor& ex_;
  InvariantChecker& checker_;
  std::mt19937_64 rng_;
  const coro::Duration& min_;  // the server's disk latency, which may change while it runs
  const coro::Duration& max_;
  TraceHook trace_;
};

// Records what it applies; the result of a command is its index, in text.
class SimStateMachine final : public StateMachine {
 public:
  SimStateMachine(NodeId id, InvariantChecker& checker, TraceHook trace,
                  std::vector<AppliedCommand> applied = {}, Index applied_index = 0)
      : id_(id),
        checker_(checker),
        trace_(std::move(trace)),
        applied_(std::move(applied)),
        applied_index_(applied_index) {}
  coro::Task<Bytes> apply(Index index, Payload command) override {
    checker_.on_apply(id_, index, command);
    if (trace_)
      trace_(TraceKind::kApply, kNoNode, std::to_string(index) + ": " + command.str().substr(0, 24));
    applied_.push_back(AppliedCommand{index, command.str()});
    co_return std::to_string(index);
  }
  // What it had applied when it was created (preload), else 0.
  Index applied_index() const override { return applied_index_; }
  const std::vector<AppliedCommand>& applied() const { return applied_; }

 private:
  NodeId id_;
  InvariantChecker& checker_;
  TraceHook trace_;
  std::vector<AppliedCommand> applied_;
  Index applied_index_;
};

}  // namespace

class SimTransport final : public TransportAPI {
 public:
  explicit SimTransport(SimCluster& c) : cluster_(c) {}
  void send(NodeId to, Message message) override {
    message.to = to;
    cluster_.network_send(std::move(message));
  }

 private:
  SimCluster& cluster_;
};

class SimCluster::Server {
 public:
  NodeId id = kNoNode;
  std::uint64_t incarnation = 0;
  std::int64_t rate_ppm = 1'000'000;
  std::unique_ptr<coro::ManualExecutor> ex;
  assist::MemoryLog durable;
  std::unique_ptr<SimLog> sim_log;
  std::unique_ptr<LogAPI> wrapped;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<SimStateMachine> sm;
  std::unique_ptr<StateMachine> wrapped_sm;
  std::unique_ptr<RaftNode> node;
  std::unique_ptr<coro::TaskScope> harness;
  bool up = false;
  bool paused = false;
  bool started = false;
  Index traced_commit = 0;
  Index applied_checked = 0;  // applied entries checked against the durable log
  Index commit_checked = 1;   // committed entries checked for durability on a majority
  coro::Duration disk_min{};
  coro::Duration disk_max{};
  bool crash_pending = false;
  bool failure_reported = false;
  std::optional<ClusterConfig> initial_config;  // set_initial_config
  // A server given another cluster's initial configuration is checked on
  // its own: the invariants hold within a cluster, not across two.
  std::unique_ptr<InvariantChecker> own_checker;
  std::size_t own_violations_reported = 0;
  InvariantChecker& checker(InvariantChecker& shared) { return own_checker ? *own_checker : shared; }
  // preload(applied): what the state machine holds at the first start.
  std::vector<AppliedCommand> preapplied;
  Index preapplied_index = 0;
  Status start_status;
  std::vector<Message> held;

  // local = global * rate, rounded down; global = local / rate, rounded up,
  // so that to_local(to_global(t)) >= t. Exact in 64 bits for runs of days.
  coro::TimePoint to_local(coro::TimePoint g) const {
    const std::int64_t ns = g.time_since_epoch().count();
    const std::int64_t out = ns / 1'000'000 * rate_ppm + ns % 1'000'000 * rate_ppm / 1'000'000;
    return coro::TimePoint(coro::Duration(out));
  }
  coro::TimePoint to_global(coro::TimePoint l) const {
    const std::int64_t ns = l.time_since_epoch().count();
    const std::int64_t out =
        ns / rate_ppm * 1'000'000 + (ns % rate_ppm * 1'000'000 + rate_ppm - 1) / rate_ppm;
    return coro::TimePoint(coro::Duration(out));
  }
  void tear_down() {
    if (harness) harness->destroy_all();
    harness.reset();
    node.reset();
    wrapped_sm.reset();
    sm.reset();
    transport.reset();
    wrapped.reset();
    sim_log.reset();
  }
};

namespace {

coro::Task<void> start_server(SimCluster::Server* s) {
  Status st = co_await s->node->start();
  s->start_status = st;
  s->started = true;
}

}  // namespace

SimCluster::SimCluster(SimOptions options) : options_(std::move(options)), rng_(options_.seed) {
  if (const char* dir = std::getenv("CORAFT_TRACE"); dir != nullptr && *dir != '\0') {
    trace_dir_ = dir;
    options_.trace = TraceMode::kKeep;
  }
  trace_.set_keep(options_.trace == TraceMode::kKeep);
  for (std::size_t i = 1; i <= options_.nodes; ++i) {
    auto s = std::make_unique<Server>();
    s->id = i;
    s->ex = std::make_unique<coro::ManualExecutor>();
    s->disk_min = options_.min_disk_latency;
    s->disk_max = options_.max_disk_latency;
    servers_.push_back(std::move(s));
    voters_.push_back(i);
  }
}

SimCluster::~SimCluster() {
  if (!trace_dir_.empty()) {
    std::size_t last = 0;
    if (const char* n = std::getenv("CORAFT_TRACE_LAST")) last = std::strtoull(n, nullptr, 10);
    try {
      write_trace(trace_dir_, last);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "coraft: could not write the trace: %s\n", e.what());
    }
  }
  for (auto& s : servers_) s->tear_down();
}

std::vector<NodeSnapshot> SimCluster::snapshot() const {
  std::vector<NodeSnapshot> out;
  out.reserve(servers_.size());
  for (const auto& sp : servers_) {
    const Server& s = *sp;
    NodeSnapshot n;
    n.id = s.id;
    n.up = s.up;
    n.paused = s.paused;
    if (s.up && s.node) {
      const RaftNode& r = *s.node;
      n.role = r.role();
      n.term = r.term();
      n.vote = r.vote();
      n.leader = r.leader();
      n.last_index = r.last_log_index();
      n.last_term = r.last_log_term();
      n.commit = r.commit_index();
      n.applied = r.applied_index();
    } else {
      n.term = s.durable.hard_state().term;
      n.vote = s.durable.hard_state().vote;
      n.last_index = s.durable.last_index();
      const Entry* e = s.durable.entry(n.last_index);
      n.last_term = e ? e->term : 0;
    }
    out.push_back(n);
  }
  return out;
}

void SimCluster::note(std::string text) {
  record(TraceKind::kNote, kNoNode, kNoNode, [&] { return std::move(text); });
}

void SimCluster::write_trace(const std::string& dir, std::size_t last_events) const {
  const auto& ev = trace_.events();
  TraceWindow w;
  if (last_events != 0 && ev.size() > last_events) w.first = ev.size() - last_events;
  std::string name = options_.name;
  for (char& ch : name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) ch = '_';
  }
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  };
  const std::string base = dir + "/" + name;
  write(base + ".md", "# " + options_.name + " (seed " + std::to_string(options_.seed) + ")\n\n```mermaid\n" +
                          render_mermaid(ev, w) + "```\n\n" + render_markdown(ev, w));
  write(base + ".puml", render_plantuml(ev, w));
  write(base + ".jsonl", render_jsonl(ev, w));
}

void SimCluster::subscribe_trace(Server& s) {
  if (!tracing()) return;
  const NodeId id = s.id;
  s.node->subscribe([this, id](const NodeEvent& e) {
    switch (e.kind) {
      case NodeEvent::Kind::kRoleChanged:
        record(TraceKind::kRole, id, kNoNode,
               [&] { return std::string(role_name(e.role)) + ", term " + std::to_string(e.term); });
        break;
      case NodeEvent::Kind::kTermChanged:
        record(TraceKind::kTerm, id, kNoNode, [&] { return std::to_string(e.term); });
        break;
      case NodeEvent::Kind::kLeaderChanged:
        record(TraceKind::kLeader, id, e.leader,
               [&] { return e.leader == kNoNode ? std::string("none") : "N" + std::to_string(e.leader); });
        break;
      case NodeEvent::Kind::kFailed:
        record(TraceKind::kNote, id, kNoNode, [&] { return "failed: " + e.error.to_string(); });
        break;
      case NodeEvent::Kind::kForeignMessage:
        record(TraceKind::kNote, id, kNoNode, [&] { return "foreign message: " + e.error.message(); });
        break;
      case NodeEvent::Kind::kElectionTimeout:
        record(TraceKind::kTimeout, id, kNoNode, [&] {
          return std::string(e.role == Role::kPreCandidate ? "pre-vote" : "election") + " for term " +
                 std::to_string(e.term);
        });
        break;
    }
  });
}

SimCluster::Server& SimCluster::server(NodeId id) {
  if (id == kNoNode || id > servers_.size()) throw std::out_of_range("no server " + std::to_string(id));
  return *servers_[id - 1];
}
const SimCluster::Server& SimCluster::server(NodeId id) const {
  if (id == kNoNode || id > servers_.size()) throw std::out_of_range("no server " + std::to_string(id));
  return *servers_[id - 1];
}

std::vector<NodeId> SimCluster::ids() const { return voters_; }

void SimCluster::start() { start(ids()); }

void SimCluster::start(const std::vector<NodeId>& which) {
  std::vector<Server*> starting;
  for (NodeId id : which) {
    Server& s = server(id);
    if (s.up) continue;
    ++s.incarnation;
    const std::uint64_t salt = options_.seed * 1000003u + s.id * 7919u + s.incarnation * 104729u;
    TraceHook hook;
    if (tracing()) {
      const NodeId id = s.id;
      hook = [this, id](TraceKind kind, NodeId peer, std::string text) {
        record(kind, id, peer, [&] { return std::move(text); });
      };
    }
    InvariantChecker& checker = s.checker(checker_);
    s.sim_log = std::make_unique<SimLog>(s.id, s.durable, *s.ex, checker, salt ^ 0x5bd1e995u, s.disk_min,
                                         s.disk_max, hook);
    LogAPI* log = s.sim_log.get();
    if (options_.wrap_log) {
      s.wrapped = options_.wrap_log(s.id, *s.sim_log);
      log = s.wrapped.get();
    }
    s.transport = std::make_unique<SimTransport>(*this);
    s.sm =
        std::make_unique<SimStateMachine>(s.id, checker, hook, std::move(s.preapplied), s.preapplied_index);
    s.preapplied.clear();
    s.preapplied_index = 0;
    StateMachine* sm = s.sm.get();
    if (options_.wrap_state_machine) {
      s.wrapped_sm = options_.wrap_state_machine(s.id, *s.sm);
      sm = s.wrapped_sm.get();
    }
    checker.on_restart(s.id);
    checker.on_state_machine_reset(s.id, sm->applied_index());
    NodeOptions no;
    no.id = s.id;
    no.initial_config = initial_config(s.id);
    no.random_seed = salt;
    no.max_cache_bytes = options_.max_cache_bytes;
    s.node = std::make_unique<RaftNode>(no, *log, *s.transport, *sm, *s.ex);
    s.harness = std::make_unique<coro::TaskScope>(*s.ex);
    // The new process starts now, not when the old one died.
    s.ex->advance_to(s.to_local(now_));
    s.started = false;
    s.up = true;
    s.traced_commit = 0;
    s.applied_checked = 0;
    s.commit_checked = 1;
    s.crash_pending = false;
    s.failure_reported = false;
    subscribe_trace(s);
    if (s.incarnation > 1) record(TraceKind::kRestart, s.id, kNoNode, [] { return std::string(); });
    s.harness->spawn(start_server(&s));
    starting.push_back(&s);
  }
  const bool ok = run_until(
      [&] { return std::all_of(starting.begin(), starting.end(), [](Server* s) { return s->started; }); },
      10s);
  for (Server* s : starting) {
    if (!ok || !s->start_status.is_ok()) {
      throw std::runtime_error("server " + std::to_string(s->id) +
                               " failed to start: " + (ok ? s->start_status.to_string() : "timed out"));
    }
  }
}

void SimCluster::crash(NodeId id) {
  Server& s = server(id);
  if (!s.up) return;
  s.tear_down();
  s.up = false;
  s.paused = false;
  s.held.clear();
  // A fresh executor: nothing of the dead process can run.
  const coro::TimePoint local = s.ex->now();
  s.ex = std::make_unique<coro::ManualExecutor>(local);
  record(TraceKind::kCrash, id, kNoNode, [] { return std::string(); });
}

void SimCluster::restart(NodeId id) {
  Server& s = server(id);
  if (s.up) crash(id);
  start({id});
}

namespace {
coro::Task<void> stop_server(RaftNode* node, bool* done) {
  co_await node->stop();
  *done = true;
}
}  // namespace

void SimCluster::stop(NodeId id) {
  Server& s = server(id);
  if (!s.up) return;
  if (s.paused) resume(id);  // a paused process handles the stop when it runs again
  bool done = false;
  const std::uint64_t incarnation = s.incarnation;
  s.harness->spawn(stop_server(s.node.get(), &done));
  // A crash_soon() may strike while the server stops: the process is gone.
  const auto crashed = [&] { return !s.up || s.incarnation != incarnation; };
  if (!run_until([&] { return done || crashed(); }, 60s))
    throw std::runtime_error("server " + std::to_string(id) + " did not stop");
  if (!crashed()) crash(id);
}

void SimCluster::pause(NodeId id) {
  server(id).paused = true;
  record(TraceKind::kPause, id, kNoNode, [] { return std::string(); });
}

void SimCluster::resume(NodeId id) {
  Server& s = server(id);
  if (!s.paused) return;
  s.paused = false;
  record(TraceKind::kResume, id, kNoNode, [] { return std::string(); });
  std::vector<Message> held = std::move(s.held);
  s.held.clear();
  for (auto& m : held) inject(std::move(m), 0ms);
}

bool SimCluster::is_up(NodeId id) const { return server(id).up; }
bool SimCluster::is_paused(NodeId id) const { return server(id).paused; }

void SimCluster::partition(const std::vector<std::vector<NodeId>>& groups) {
  group_.clear();
  int g = 1;
  for (const auto& group : groups) {
    for (NodeId id : group) group_[id] = g;
    ++g;
  }
  // Servers not named form a group of their own.
  for (const auto& s : servers_) {
    if (group_.find(s->id) == group_.end()) group_[s->id] = g;
  }
  record(TraceKind::kPartition, kNoNode, kNoNode, [&] {
    std::map<int, std::string> text;
    for (const auto& [id, grp] : group_) text[grp] += (text[grp].empty() ? "N" : ",N") + std::to_string(id);
    std::string out;
    for (const auto& [grp, members] : text) out += "{" + members + "}";
    return out;
  });
}

void SimCluster::isolate(NodeId id) {
  std::vector<NodeId> rest;
  for (const auto& s : servers_) {
    if (s->id != id) rest.push_back(s->id);
  }
  partition({{id}, rest});
}

void SimCluster::block(NodeId from, NodeId to) {
  blocked_.insert({from, to});
  record(TraceKind::kPartition, kNoNode, kNoNode,
         [&] { return "N" + std::to_string(from) + " cannot reach N" + std::to_string(to); });
}

void SimCluster::heal() {
  group_.clear();
  blocked_.clear();
  record(TraceKind::kHeal, kNoNode, kNoNode, [] { return std::string(); });
}

void SimCluster::set_latency(coro::Duration min, coro::Duration max) {
  options_.min_latency = min;
  options_.max_latency = std::max(min, max);
}

void SimCluster::set_clock_rate(NodeId id, double rate) {
  if (rate <= 0.0) throw std::invalid_argument("clock rate must be positive");
  server(id).rate_ppm = static_cast<std::int64_t>(rate * 1'000'000);
}

bool SimCluster::link_open(NodeId from, NodeId to) const {
  if (blocked_.count({from, to}) != 0) return false;
  if (group_.empty()) return true;
  auto a = group_.find(from);
  auto b = group_.find(to);
  const int ga = a == group_.end() ? 0 : a->second;
  const int gb = b == group_.end() ? 0 : b->second;
  return ga == gb;
}

coro::Duration SimCluster::draw(coro::Duration lo, coro::Duration hi) {
  if (hi <= lo) return lo;
  std::uniform_int_distribution<std::int64_t> d(lo.count(), hi.count());
  return coro::Duration(d(rng_));
}

void SimCluster::network_send(Message m) {
  ++stats_.sent;
  // Figure 2, "respond after persisting": checked as the message leaves.
  if (auto* vr = std::get_if<RequestVoteResponse>(&m.body)) {
    if (vr->granted && !vr->pre_vote && m.from != kNoNode && m.from <= servers_.size()) {
      server(m.from).checker(checker_).on_vote_sent(m.from, vr->term, m.to,
                                                    server(m.from).durable.hard_state());
    }
  } else if (auto* ar = std::get_if<AppendEntriesResponse>(&m.body)) {
    if (ar->success && m.from != kNoNode && m.from <= servers_.size()) {
      // The ack says "my log matches yours through match_index" to the
      // leader of ar->term: compare with that leader's log when it still
      // leads, else with the sender's own log if it is still in that term
      // (a response may leave after the sender moved on: its gate was set
      // when the claim was true, as if the network had delayed it).
      Server& s = server(m.from);
      std::optional<Term> expected;
      const Server* l = m.to != kNoNode && m.to <= servers_.size() ? &server(m.to) : nullptr;
      if (l && l->up && l->node && l->node->running() && l->node->is_leader() &&
          l->node->term() == ar->term) {
        expected = l->node->log_term_at(ar->match_index);
      } else if (s.node && s.node->term() == ar->term) {
        expected = s.node->log_term_at(ar->match_index);
      }
      const Entry* d = s.durable.entry(ar->match_index);
      s.checker(checker_).on_append_ack(m.from, ar->match_index, expected,
                                        d ? std::optional<Term>(d->term) : std::optional<Term>());
    }
  }
  if (filter_ && !filter_(m)) {
    ++stats_.dropped;
    record(TraceKind::kDrop, m.from, m.to, [&] { return describe(m) + " (filter)"; });
    return;
  }
  if (!link_open(m.from, m.to)) {
    ++stats_.dropped;
    record(TraceKind::kDrop, m.from, m.to, [&] { return describe(m) + " (partition)"; });
    return;
  }
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  if (options_.drop_rate > 0 && coin(rng_) < options_.drop_rate) {
    ++stats_.dropped;
    record(TraceKind::kDrop, m.from, m.to, [&] { return describe(m) + " (loss)"; });
    return;
  }
  int copies = 1;
  if (options_.duplicate_rate > 0 && coin(rng_) < options_.duplicate_rate) {
    copies = 2;
    ++stats_.duplicated;
    record(TraceKind::kDuplicate, m.from, m.to, [&] { return describe(m); });
  }
  record(TraceKind::kSend, m.from, m.to, [&] { return describe(m); });
  if (copies == 2) {
    Message copy = m;
    schedule_delivery(std::move(copy), now_ + draw(options_.min_latency, options_.max_latency), false);
  }
  schedule_delivery(std::move(m), now_ + draw(options_.min_latency, options_.max_latency), false);
}

void SimCluster::schedule_delivery(Message m, coro::TimePoint at, bool bypass) {
  InFlight f;
  f.at = at;
  f.seq = ++msg_seq_;
  f.message = std::move(m);
  f.bypass = bypass;
  const auto key = std::make_pair(f.at, f.seq);
  network_.emplace(key, std::move(f));
}

void SimCluster::inject(Message m, coro::Duration delay) {
  // A crafted message belongs to the receiver's cluster unless it says
  // otherwise.
  if (m.cluster == 0) m.cluster = cluster_fingerprint(initial_config(m.to));
  schedule_delivery(std::move(m), now_ + delay, true);
}

ClusterConfig SimCluster::initial_config(NodeId id) const {
  const Server& s = server(id);
  if (s.initial_config) return *s.initial_config;
  ClusterConfig config;
  config.voters = ids();
  config.settings = options_.settings;
  return config;
}

void SimCluster::set_initial_config(NodeId id, ClusterConfig config) {
  Server& s = server(id);
  if (s.up || s.durable.last_index() != 0)
    throw std::logic_error("set_initial_config only before the first start");
  const bool foreign = cluster_fingerprint(config) != cluster_fingerprint(initial_config(id));
  s.initial_config = std::move(config);
  if (foreign) s.own_checker = std::make_unique<InvariantChecker>();
}

bool SimCluster::step() {
  if (options_.max_steps != 0 && steps_ >= options_.max_steps) {
    throw std::runtime_error("step limit: " + std::to_string(steps_) + " simulated steps (seed " +
                             std::to_string(options_.seed) + ")");
  }
  // Ready work first, lowest id first.
  for (auto& sp : servers_) {
    Server& s = *sp;
    if (!s.up || s.paused || s.ex->ready_count() == 0) continue;
    s.ex->advance_to(s.to_local(now_));
    ++steps_;
    crash_pending();
    observe();
    return true;
  }
  // Then the earliest delivery or timer.
  std::optional<coro::TimePoint> best;
  Server* timer_server = nullptr;
  if (!network_.empty()) best = network_.begin()->second.at;
  for (auto& sp : servers_) {
    Server& s = *sp;
    if (!s.up || s.paused) continue;
    std::optional<coro::TimePoint> t = s.ex->next_timer();
    if (!t) continue;
    const coro::TimePoint g = s.to_global(*t);
    if (!best || g < *best) {
      best = g;
      timer_server = &s;
    }
  }
  if (!best) return false;
  if (*best > now_) now_ = *best;
  if (timer_server == nullptr) {
    auto node_handle = network_.extract(network_.begin());
    InFlight& f = node_handle.mapped();
    const NodeId to = f.message.to;
    if (to == kNoNode || to > servers_.size()) {
      ++stats_.dropped;
    } else {
      Server& s = server(to);
      if (!s.up || (!f.bypass && !link_open(f.message.from, to))) {
        ++stats_.dropped;
        record(TraceKind::kDrop, f.message.from, to,
               [&] { return describe(f.message) + (s.up ? " (partition)" : " (receiver down)"); });
      } else if (s.paused) {
        s.held.push_back(std::move(f.message));
      } else {
        ++stats_.delivered;
        record(TraceKind::kDeliver, f.message.from, to, [&] { return describe(f.message); });
        s.ex->advance_to(s.to_local(now_));
        s.node->receive(std::move(f.message));
        s.ex->run_until_idle();
      }
    }
  } else {
    timer_server->ex->advance_to(timer_server->to_local(now_));
  }
  ++steps_;
  crash_pending();
  observe();
  return true;
}

void SimCluster::crash_soon(NodeId id) { server(id).crash_pending = true; }

void SimCluster::crash_pending() {
  for (auto& sp : servers_) {
    if (!sp->crash_pending) continue;
    sp->crash_pending = false;
    crash(sp->id);
  }
}

void SimCluster::set_disk_latency(NodeId id, coro::Duration min, coro::Duration max) {
  Server& s = server(id);
  s.disk_min = min;
  s.disk_max = std::max(min, max);
}

std::string SimCluster::convergence_gap() const {
  const NodeId l = leader();
  if (l == kNoNode) return "no leader";
  const RaftNode& ln = *server(l).node;
  const Index last = ln.last_log_index();
  const Index commit = ln.commit_index();
  for (const auto& sp : servers_) {
    const Server& s = *sp;
    if (s.id == l) continue;
    if (!s.up || !s.node || !s.node->running()) return "node " + std::to_string(s.id) + " is not running";
    const RaftNode& n = *s.node;
    if (n.term() != ln.term() || n.leader() != l) {
      return "node " + std::to_string(s.id) + " is in term " + std::to_string(n.term()) + " following " +
             std::to_string(n.leader()) + ", not leader " + std::to_string(l) + " of term " +
             std::to_string(ln.term());
    }
    if (n.last_log_index() != last || n.log_term_at(last) != ln.log_term_at(last) ||
        n.commit_index() != commit || n.applied_index() != commit) {
      return "node " + std::to_string(s.id) + " has log " + std::to_string(n.last_log_index()) + ", commit " +
             std::to_string(n.commit_index()) + ", applied " + std::to_string(n.applied_index()) +
             "; leader " + std::to_string(l) + " has log " + std::to_string(last) + ", commit " +
             std::to_string(commit);
    }
  }
  if (ln.applied_index() != commit) return "the leader has not applied its commit index";
  return {};
}

std::string SimCluster::wait_for_convergence(coro::Duration timeout) {
  std::string gap;
  run_until(
      [&] {
        gap = convergence_gap();
        return gap.empty();
      },
      timeout);
  return gap;
}

void SimCluster::run_for(coro::Duration d) {
  const coro::TimePoint end = now_ + d;
  run_until([&] { return false; }, d);
  if (now_ < end) now_ = end;
}

bool SimCluster::run_until(const std::function<bool()>& pred, coro::Duration timeout) {
  const coro::TimePoint end = now_ + timeout;
  for (;;) {
    if (pred()) return true;
    // Peek: stop before an event that lies beyond the deadline.
    bool ready = false;
    std::optional<coro::TimePoint> next;
    for (auto& sp : servers_) {
      Server& s = *sp;
      if (!s.up || s.paused) continue;
      if (s.ex->ready_count() > 0) ready = true;
      if (auto t = s.ex->next_timer()) {
        const coro::TimePoint g = s.to_global(*t);
        if (!next || g < *next) next = g;
      }
    }
    if (!network_.empty() && (!next || network_.begin()->second.at < *next))
      next = network_.begin()->second.at;
    if (!ready && (!next || *next > end)) {
      if (now_ < end) now_ = end;
      return pred();
    }
    step();
  }
}

RaftNode& SimCluster::node(NodeId id) {
  Server& s = server(id);
  if (!s.node) throw std::logic_error("server " + std::to_string(id) + " is down");
  return *s.node;
}

coro::Executor& SimCluster::executor(NodeId id) { return *server(id).ex; }

NodeId SimCluster::leader() const {
  NodeId best = kNoNode;
  Term best_term = 0;
  for (const auto& s : servers_) {
    if (!s->up || !s->node || !s->node->running()) continue;
    if (s->node->is_leader() && s->node->term() >= best_term) {
      best = s->id;
      best_term = s->node->term();
    }
  }
  return best;
}

NodeId SimCluster::wait_for_leader(coro::Duration timeout) {
  const bool ok = run_until(
      [&] {
        NodeId l = leader();
        if (l == kNoNode) return false;
        // No running server knows a higher term than the leader's.
        const Term t = server(l).node->term();
        for (const auto& s : servers_) {
          if (s->up && s->node && s->node->running() && !s->paused && s->node->term() > t) return false;
        }
        return true;
      },
      timeout);
  return ok ? leader() : kNoNode;
}

const assist::MemoryLog& SimCluster::durable_log(NodeId id) const { return server(id).durable; }

void SimCluster::preload(NodeId id, HardState hard_state, std::vector<Entry> entries, Index applied) {
  Server& s = server(id);
  if (s.up || s.durable.last_index() != 0) throw std::logic_error("preload only before the first start");
  if (applied > entries.size() + 1) throw std::logic_error("preload: applied beyond the preloaded log");
  s.preapplied.clear();
  for (const Entry& e : entries) {
    if (e.index <= applied && e.type == EntryType::kCommand)
      s.preapplied.push_back(AppliedCommand{e.index, e.data.str()});
  }
  s.preapplied_index = applied;
  std::vector<Entry> all;
  all.push_back(Entry{1, 1, EntryType::kConfig, encode_config(initial_config(id))});
  for (Entry& e : entries) all.push_back(std::move(e));
  coro::ManualExecutor ex;
  coro::sync_wait(ex, s.durable.save_hard_state(hard_state));
  coro::sync_wait(ex, s.durable.append(std::move(all)));
}

void SimCluster::campaign_now(NodeId id) {
  Server& s = server(id);
  if (!s.up || !s.node) throw std::logic_error("campaign_now: node " + std::to_string(id) + " is down");
  const Status st = s.node->campaign();
  if (!st.is_ok()) throw std::logic_error("campaign_now: node " + std::to_string(id) + ": " + st.to_string());
}

const std::vector<AppliedCommand>& SimCluster::applied(NodeId id) const {
  static const std::vector<AppliedCommand> kNone;
  const Server& s = server(id);
  return s.sm ? s.sm->applied() : kNone;
}

std::shared_ptr<SimCluster::Proposal> SimCluster::propose(NodeId id, Bytes command, coro::Duration timeout) {
  auto p = std::make_shared<Proposal>();
  record(TraceKind::kPropose, id, kNoNode, [&] { return "\"" + command.substr(0, 24) + "\""; });
  // With the simulator's own state machine, a command's result is its
  // index: a proposal that succeeds must have been answered with the result
  // of its own entry, not of another one applied at its index.
  const bool check_result = !options_.wrap_state_machine;
  const std::uint64_t incarnation = server(id).incarnation;
  Bytes proposed = check_result ? command : Bytes();
  node(id).propose(
      std::move(command),
      [this, p, id, check_result, incarnation, proposed = std::move(proposed)](Result<Bytes> r) {
        if (check_result && r.ok()) check_proposal_result(id, incarnation, proposed, r.value());
        p->done = true;
        p->result = std::move(r);
        record(TraceKind::kClientResult, id, kNoNode, [&] {
          return p->result.ok() ? "ok (index " + p->result.value() + ")" : p->result.status().to_string();
        });
      },
      timeout);
  return p;
}

void SimCluster::check_proposal_result(NodeId id, std::uint64_t incarnation, const Bytes& command,
                                       const Bytes& result) {
  const Server& s = server(id);
  if (s.incarnation != incarnation || !s.sm) return;
  const Index index = std::strtoull(result.c_str(), nullptr, 10);
  const auto& applied = s.sm->applied();
  auto it = std::find_if(applied.rbegin(), applied.rend(),
                         [&](const AppliedCommand& a) { return a.index == index; });
  if (it == applied.rend() || it->command != command) {
    checker_.add_violation(
        "client semantics: a proposal on node " + std::to_string(id) +
        " completed with the result of index " + std::to_string(index) +
        (it == applied.rend() ? ", which its state machine never applied" : ", which holds another command"));
  }
}

Result<Bytes> SimCluster::propose_and_wait(NodeId id, Bytes command, coro::Duration timeout) {
  auto p = propose(id, std::move(command));
  if (!run_until([&] { return p->done; }, timeout))
    return Status::timeout("proposal did not complete in time");
  return p->result;
}

void SimCluster::observe() {
  for (auto& sp : servers_) {
    Server& s = *sp;
    if (!s.up || !s.node) continue;
    if (!s.node->running()) {
      if (options_.node_errors_are_violations && !s.failure_reported &&
          s.node->status().error.code() == Status::Code::kInternal) {
        s.failure_reported = true;
        checker_.add_violation("node " + std::to_string(s.id) +
                               " stopped itself: " + s.node->status().error.to_string());
      }
      continue;
    }
    RaftNode& n = *s.node;
    InvariantChecker& checker = s.checker(checker_);
    // Whatever a state machine applied must be in the server's own durable
    // log, with the same term: a crash must never leave a state machine
    // ahead of, or different from, the log it restarts with.
    const Index applied = n.applied_index();
    for (Index i = s.applied_checked + 1; i <= applied; ++i) {
      const Entry* e = s.durable.entry(i);
      const std::optional<Term> t = n.log_term_at(i);
      if (e == nullptr || !t || e->term != *t) {
        checker_.add_violation("node " + std::to_string(s.id) + " applied index " + std::to_string(i) +
                               (e == nullptr ? " which its log does not hold durably"
                                             : " while its durable log holds another entry there"));
        break;
      }
    }
    if (applied > s.applied_checked) s.applied_checked = applied;
    // Thesis §10.2.1: whatever a server counts as committed is durable on a
    // majority of the voters (entry 1, the bootstrap configuration, is
    // written by each server at its first start).
    const Index commit = n.commit_index();
    for (Index i = s.commit_checked + 1; i <= commit; ++i) {
      const std::optional<Term> t = n.log_term_at(i);
      if (!t) break;  // reported by the checker as a commit of an index not held
      std::size_t durable_on = 0;
      for (const auto& other : servers_) {
        if (other->own_checker.get() != s.own_checker.get()) continue;  // another cluster
        const Entry* e = other->durable.entry(i);
        if (e != nullptr && e->term == *t) ++durable_on;
      }
      checker.on_commit_durability(s.id, i, *t, durable_on, servers_.size());
    }
    if (commit > s.commit_checked) s.commit_checked = commit;
    if (n.role() == Role::kLeader) checker.on_leader(s.id, n.term(), voters_);
    checker.on_observe(s.id, n.role(), n.term(), n.commit_index(),
                       [&n](Index i) { return n.log_term_at(i); });
    if (s.own_checker) {
      const auto& own = s.own_checker->violations();
      for (; s.own_violations_reported < own.size(); ++s.own_violations_reported) {
        checker_.add_violation("(node " + std::to_string(s.id) + ", of another cluster) " +
                               own[s.own_violations_reported]);
      }
    }
    if (tracing() && n.commit_index() > s.traced_commit) {
      s.traced_commit = n.commit_index();
      record(TraceKind::kCommit, s.id, kNoNode, [&] { return std::to_string(s.traced_commit); });
    }
  }
  check();
}

void SimCluster::check() {
  const auto& v = checker_.violations();
  if (v.size() > violations_reported_) {
    violations_reported_ = v.size();
    if (options_.throw_on_violation) {
      throw InvariantViolation("invariant violated (seed " + std::to_string(options_.seed) + ", step " +
                               std::to_string(steps_) + "): " + v.back());
    }
  }
}

}  // namespace coraft::testing
