// Replication, commitment and client-command conformance tests (§5.3,
// §5.4, Figures 7 and 8), and failure handling.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "coraft/coro/sleep.h"
#include "coraft/log_api.h"
#include "coraft/state_machine.h"
#include "coraft/testing/forwarding.h"
#include "raft/cluster_fixture.h"

namespace coraft::test {
namespace {

// Elects `id` as leader of a fresh cluster: only `id` may campaign.
void only_campaigner(SimCluster& c, NodeId id) {
  c.set_filter([id](Message& m) {
    if (auto* rv = std::get_if<RequestVote>(&m.body)) return m.from == id || rv == nullptr;
    return true;
  });
}

// Terms of a server's durable log from index 2 on.
std::vector<Term> terms_from_2(const SimCluster& c, NodeId id) {
  std::vector<Term> out;
  const auto& log = c.durable_log(id);
  for (Index i = 2; i <= log.last_index(); ++i) out.push_back(log.entry(i)->term);
  return out;
}

// @feature replication commit
TEST_F(Replication, LeaderReplicatesAndCommits) {  // §5.3
  SimCluster& c = start(3, 11);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  const Index before = c.node(leader).commit_index();
  Result<Bytes> r = c.propose_and_wait(leader, "x=1");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Index index = std::stoull(*r);
  EXPECT_GT(index, before);
  EXPECT_GE(c.node(leader).commit_index(), index);
  // The entry is durable on a majority (here: all, no faults).
  int holders = 0;
  for (NodeId id : c.ids()) {
    const Entry* e = c.durable_log(id).entry(index);
    if (e && e->data == "x=1") ++holders;
  }
  EXPECT_GE(holders, 2);
}

// @feature replication commit
TEST_F(Replication, CommitPropagatesToFollowersWhoApply) {  // §5.3: followers apply committed entries
  SimCluster& c = start(5, 12);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  for (int i = 0; i < 20; ++i) c.propose(leader, std::string("v") + std::to_string(i));
  ASSERT_TRUE(c.run_until(
      [&] {
        for (NodeId id : c.ids()) {
          if (c.applied(id).size() < 20) return false;
        }
        return true;
      },
      2s));
  for (NodeId id : c.ids()) {
    for (int i = 0; i < 20; ++i)
      EXPECT_EQ(c.applied(id)[i].command, std::string("v") + std::to_string(i)) << "node " << id;
    EXPECT_EQ(c.node(id).commit_index(), c.node(leader).commit_index());
  }
}

// Captures every message sent by `from` to `to`.
struct Captured {
  std::vector<Message> messages;
};
void capture(SimCluster& c, std::shared_ptr<Captured> out, NodeId from, NodeId to) {
  c.set_filter([out, from, to](Message& m) {
    if (m.from == from && m.to == to) out->messages.push_back(m);
    return true;
  });
}

// @feature replication log-repair
TEST_F(Replication, FollowerRejectsMismatchedPrevEntry) {  // §5.3 consistency check
  SimCluster& c = start(3, 13);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(propose_ok("a"));
  const NodeId f = leader == 1 ? 2 : 1;
  c.run_for(100ms);
  const Index last = c.node(f).last_log_index();
  const Term term = c.node(leader).term();
  auto seen = std::make_shared<Captured>();
  capture(c, seen, f, leader);
  // prev entry exists but with another term: rejected, log unchanged.
  AppendEntries ae;
  ae.term = term;
  ae.prev_log_index = last;
  ae.prev_log_term = c.node(f).log_term_at(last).value() - 1;  // another (older) term
  ae.entries.push_back(cmd(last + 1, term));
  c.inject(Message{leader, f, ae});
  c.run_for(1ms);
  ASSERT_FALSE(seen->messages.empty());
  const auto* r = std::get_if<AppendEntriesResponse>(&seen->messages.front().body);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->match_index, last);
  EXPECT_LE(r->hint_index, last);
  EXPECT_EQ(c.node(f).last_log_index(), last);
  // prev beyond the follower's log: rejected with a hint at its last index.
  seen->messages.clear();
  ae.prev_log_index = last + 5;
  ae.prev_log_term = term;
  ae.entries = {cmd(last + 6, term)};
  c.inject(Message{leader, f, ae});
  c.run_for(1ms);
  ASSERT_FALSE(seen->messages.empty());
  r = std::get_if<AppendEntriesResponse>(&seen->messages.front().body);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->hint_index, last);
  EXPECT_EQ(c.node(f).last_log_index(), last);
}

// @feature replication log-repair
TEST_F(Replication, FollowerTruncatesAConflictingUncommittedSuffix) {  // §5.3
  SimCluster c(sim_options(3, 14));
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  // Node 3 holds uncommitted entries of term 2 at 2..4 that nobody else has.
  c.preload(1, HardState{3, kNoNode}, {cmd(2, 3)});
  c.preload(2, HardState{3, kNoNode}, {cmd(2, 3)});
  c.preload(3, HardState{2, kNoNode}, {cmd(2, 2), cmd(3, 2), cmd(4, 2)});
  only_campaigner(c, 1);
  c.start();
  ASSERT_EQ(c.wait_for_leader(), 1u);
  ASSERT_TRUE(c.propose_and_wait(1, "after").ok());
  c.run_for(300ms);
  // Node 3's conflicting suffix is gone; its log equals the leader's.
  EXPECT_EQ(terms_from_2(c, 3), terms_from_2(c, 1));
  EXPECT_EQ(durable_term(c, 3, 2), 3u);
  EXPECT_EQ(c.durable_log(3).last_index(), c.durable_log(1).last_index());
}

// A committed entry is never removed (§5.3, Leader Completeness §5.4): an
// AppendEntries that would overwrite one can only come from a broken or
// hostile peer. The follower refuses, keeps its log, and stops with an
// internal error rather than diverge.
// @feature replication log-repair failures
TEST_F(Replication, FollowerNeverTruncatesACommittedEntry) {
  SimOptions o = sim_options(3, 45);
  o.node_errors_are_violations = false;  // provoked on purpose
  SimCluster& c = start(o);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(propose_ok("committed"));
  c.run_for(200ms);
  const NodeId f = leader == 1 ? 2 : 1;
  const Index index = c.node(f).commit_index();
  ASSERT_GE(index, 3u);
  const Entry kept = *c.durable_log(f).entry(index);
  AppendEntries evil;
  evil.term = kept.term + 1;  // claims to lead a newer term
  evil.prev_log_index = index - 1;
  evil.prev_log_term = c.node(f).log_term_at(index - 1).value();
  evil.entries = {Entry{kept.term + 1, index, EntryType::kCommand, "overwrite"}};
  c.inject(Message{leader, f, evil});
  c.run_for(5ms);
  EXPECT_EQ(c.durable_log(f).entry(index)->data, kept.data);
  EXPECT_EQ(c.node(f).status().error.code(), Status::Code::kInternal) << c.node(f).status().error.to_string();
  EXPECT_FALSE(c.node(f).running());
}

// Bytes from the network are an error value, never a crash: malformed
// AppendEntries (gaps, terms out of order, a corrupt configuration entry)
// are dropped and change nothing.
// @feature replication failures
TEST_F(Replication, MalformedAppendEntriesAreDroppedWithoutHarm) {
  SimCluster& c = start(3, 47);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(propose_ok("x"));
  c.run_for(200ms);
  const NodeId f = leader == 1 ? 2 : 1;
  const Term term = c.node(f).term();
  const Index last = c.node(f).last_log_index();
  const Term last_term = *c.node(f).log_term_at(last);
  auto base = [&] {
    AppendEntries ae;
    ae.term = term;
    ae.prev_log_index = last;
    ae.prev_log_term = last_term;
    return ae;
  };
  std::vector<AppendEntries> bad;
  AppendEntries gap = base();
  gap.entries = {cmd(last + 1, term), cmd(last + 3, term)};
  bad.push_back(gap);
  AppendEntries backwards = base();
  backwards.entries = {cmd(last + 1, term), cmd(last + 2, term - 1)};
  bad.push_back(backwards);
  AppendEntries future = base();
  future.entries = {cmd(last + 1, term + 5)};
  bad.push_back(future);
  AppendEntries config = base();
  config.entries = {Entry{term, last + 1, EntryType::kConfig, "not a configuration"}};
  bad.push_back(config);
  for (auto& ae : bad) c.inject(Message{leader, f, ae});
  c.run_for(5ms);
  EXPECT_TRUE(c.node(f).running());
  EXPECT_EQ(c.node(f).last_log_index(), last);
  EXPECT_EQ(c.node(f).term(), term);
  // Garbage bytes are refused by the decoder.
  EXPECT_TRUE(c.node(f).receive_bytes("CR\x01\x02garbage").is_corrupt());
  EXPECT_TRUE(propose_ok("still fine"));
}

// @feature log-repair
TEST_F(Replication, LeaderRepairsEachFollowerLogOfFigure7) {  // §5.3, Figure 7
  // Figure 7's logs, shifted by one index (our entry 1 is the configuration).
  // Leader (term 8): 1 1 1 4 4 5 5 6 6 6
  const std::vector<std::vector<Term>> logs = {
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6},        // leader, node 1
      {1, 1, 1, 4, 4, 5, 5, 6, 6},           // (a)
      {1, 1, 1, 4},                          // (b)
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // (c)
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // (d)
      {1, 1, 1, 4, 4, 4, 4},                 // (e)
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // (f)
  };
  ClusterSettings s = basic_settings();
  s.pre_vote = true;  // the others' campaigns must not raise terms
  SimCluster c(sim_options(7, 15, s));
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  for (NodeId id = 1; id <= 7; ++id) {
    std::vector<Entry> entries;
    for (std::size_t k = 0; k < logs[id - 1].size(); ++k) entries.push_back(cmd(k + 2, logs[id - 1][k]));
    c.preload(id, HardState{7, kNoNode}, entries);
  }
  only_campaigner(c, 1);
  c.start();
  ASSERT_EQ(c.wait_for_leader(), 1u);
  EXPECT_EQ(c.node(1).term(), 8u);
  ASSERT_TRUE(c.propose_and_wait(1, "x").ok());
  ASSERT_TRUE(c.run_until(
      [&] {
        for (NodeId id = 2; id <= 7; ++id) {
          if (terms_from_2(c, id) != terms_from_2(c, 1)) return false;
        }
        return true;
      },
      5s));
  for (NodeId id = 2; id <= 7; ++id) {
    EXPECT_EQ(terms_from_2(c, id), terms_from_2(c, 1)) << "follower " << id;
    for (Index i = 1; i <= c.durable_log(1).last_index(); ++i) {
      EXPECT_EQ(c.durable_log(id).entry(i)->data, c.durable_log(1).entry(i)->data);
    }
  }
}

// Figure 8: S1 leads term 4 holding a term-2 entry at index 2, which it
// replicates to a majority. It must not count replicas for it (§5.4.2).
struct Figure8 {
  explicit Figure8(std::uint64_t seed) : c(sim_options(5, seed)) {
    c.preload(1, HardState{3, kNoNode}, {cmd(2, 2)});
    c.preload(2, HardState{3, kNoNode}, {cmd(2, 2)});
    c.preload(3, HardState{3, kNoNode}, {});
    c.preload(4, HardState{3, kNoNode}, {});
    c.preload(5, HardState{3, kNoNode}, {cmd(2, 3)});
  }
  SimCluster c;
};

// @feature current-term-commit safety-checker
TEST_F(Commit, Figure8OlderTermEntryIsNotCommittedByCounting) {
  Figure8 f(16);
  SimCluster& c = f.c;
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  c.crash(5);
  // Only S1 campaigns, and its AppendEntries carry nothing past index 2, so
  // its own no-op (index 3, term 4) never replicates.
  c.set_filter([](Message& m) {
    if (std::holds_alternative<RequestVote>(m.body)) return m.from == 1;
    if (auto* ae = std::get_if<AppendEntries>(&m.body)) {
      while (!ae->entries.empty() && ae->entries.back().index >= 3) ae->entries.pop_back();
      if (ae->prev_log_index >= 3) return false;
    }
    return true;
  });
  ASSERT_EQ(c.wait_for_leader(), 1u);
  EXPECT_EQ(c.node(1).term(), 4u);
  ASSERT_TRUE(c.run_until([&] { return durable_term(c, 3, 2) == 2 && durable_term(c, 4, 2) == 2; }, 2s));
  c.run_for(500ms);
  // The term-2 entry is on S1..S4, a majority, yet it is not committed.
  for (NodeId id = 1; id <= 4; ++id) EXPECT_EQ(c.node(id).commit_index(), 1u) << "node " << id;
  // S1 crashes; S5 (log: term 3 at index 2) can win and overwrite index 2:
  // that is safe precisely because it was never committed.
  c.crash(1);
  c.set_filter(nullptr);
  c.restart(5);
  c.crash(2);  // S5 needs S3, S4 and one more: S3/S4 have (2, t2) < (2, t3)
  const NodeId leader = c.wait_for_leader();
  ASSERT_EQ(leader, 5u);
  ASSERT_TRUE(c.propose_and_wait(5, "s5").ok());
  EXPECT_EQ(durable_term(c, 3, 2), 3u);
  EXPECT_EQ(durable_term(c, 4, 2), 3u);
}

// @feature current-term-commit
TEST_F(Commit, NewLeadersNoopCommitsEarlierEntries) {  // §5.4.2, §8 (Figure 8 (e))
  Figure8 f(17);
  SimCluster& c = f.c;
  SCOPED_TRACE("seed " + std::to_string(c.seed()));
  c.start();
  c.crash(5);
  only_campaigner(c, 1);
  ASSERT_EQ(c.wait_for_leader(), 1u);
  // No proposal at all: the no-op of term 4 alone commits index 2.
  ASSERT_TRUE(c.run_until([&] { return c.node(1).commit_index() >= 3; }, 2s));
  EXPECT_EQ(c.node(1).log_term_at(2), 2u);
  EXPECT_EQ(c.node(1).log_term_at(3), 4u);
  // S5 can no longer win: a majority holds a term-4 entry.
  c.crash(1);
  c.set_filter(nullptr);
  c.restart(5);
  const NodeId leader = c.wait_for_leader();
  ASSERT_NE(leader, kNoNode);
  EXPECT_NE(leader, 5u);
  ASSERT_TRUE(c.propose_and_wait(leader, "y").ok());
  c.run_for(500ms);
  for (NodeId id = 2; id <= 5; ++id) EXPECT_EQ(durable_term(c, id, 2), 2u) << "node " << id;
}

// @feature pipelining partitions
TEST_F(Replication, DuplicatedAndReorderedAppendEntriesNeverMoveBackwards) {
  SimOptions o = sim_options(3, 18);
  o.duplicate_rate = 0.3;
  o.min_latency = 1ms;
  o.max_latency = 40ms;  // wide spread: heavy reordering
  SimCluster& c = start(o);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  std::map<NodeId, Index> max_match;
  std::map<NodeId, Index> max_durable;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 5; ++i)
      c.propose(leader, std::string("r") + std::to_string(round) + "-" + std::to_string(i));
    for (int s = 0; s < 200 && c.step(); ++s) {
      if (!c.node(leader).is_leader()) break;
      for (const PeerStatus& p : c.node(leader).status().peers) {
        ASSERT_GE(p.match_index, max_match[p.id]) << "leader's match index for " << p.id << " moved back";
        max_match[p.id] = p.match_index;
      }
      for (NodeId id : c.ids()) {
        const Index d = c.node(id).status().durable_index;
        ASSERT_GE(d, max_durable[id]) << "node " << id << " lost durable entries";
        max_durable[id] = d;
      }
    }
  }
  ASSERT_TRUE(c.node(leader).is_leader());
  ASSERT_TRUE(c.run_until(
      [&] { return c.applied(1).size() == 200 && c.applied(2).size() == 200 && c.applied(3).size() == 200; },
      5s));
  EXPECT_GT(c.stats().duplicated, 0u);
}

// @feature terms
TEST_F(Replication, StaleLeaderMessagesChangeNothingOnANewerFollower) {  // §5.1
  SimCluster& c = start(3, 19);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(propose_ok("a"));
  c.run_for(200ms);
  const NodeId f = leader == 1 ? 2 : 1;
  const NodeId stale = 6 - leader - f;
  const Term term = c.node(f).term();
  const Index last = c.node(f).last_log_index();
  const Index commit = c.node(f).commit_index();
  auto seen = std::make_shared<Captured>();
  capture(c, seen, f, stale);
  // An empty AppendEntries at index 0 from an old term, then one with a
  // conflicting entry.
  AppendEntries empty;
  empty.term = term - 1;
  c.inject(Message{stale, f, empty});
  AppendEntries conflicting;
  conflicting.term = term - 1;
  conflicting.prev_log_index = 1;
  conflicting.prev_log_term = 1;
  conflicting.leader_commit = last + 5;
  conflicting.entries = {cmd(2, term - 1, "evil")};
  c.inject(Message{stale, f, conflicting});
  c.run_for(2ms);
  EXPECT_EQ(c.node(f).term(), term);
  EXPECT_EQ(c.node(f).leader(), leader);
  EXPECT_EQ(c.node(f).last_log_index(), last);
  EXPECT_EQ(c.node(f).commit_index(), commit);
  EXPECT_NE(c.durable_log(f).entry(2)->data, "evil");
  ASSERT_EQ(seen->messages.size(), 2u);
  for (const Message& m : seen->messages) {
    const auto* r = std::get_if<AppendEntriesResponse>(&m.body);
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->success);
    EXPECT_EQ(r->term, term) << "the reply teaches the stale leader the new term";
  }
}

// Appends take `latency`; everything else is instant.
class SlowAppendLog final : public coraft::testing::ForwardingLog {
 public:
  SlowAppendLog(LogAPI& inner, coro::Executor& ex, coro::Duration latency)
      : ForwardingLog(inner), ex_(ex), latency_(latency) {}
  coro::Task<void> append(std::vector<Entry> entries) override {
    co_await coro::sleep_for(ex_, latency_);
    co_await inner().append(std::move(entries));
  }

 private:
  coro::Executor& ex_;
  coro::Duration latency_;
};

// @feature leader-disk checkquorum
// Thesis §10.2.1: the leader's disk write runs in parallel with sending,
// and heartbeats (and their acks) never wait behind a slow LogAPI. With
// every append taking longer than the election timeout, a leader with
// CheckQuorum keeps its followers and its own leadership, and commits.
TEST_F(Replication, HeartbeatsNeverWaitBehindASlowLogAPI) {
  ClusterSettings s;
  s.pre_vote = true;
  s.check_quorum = true;
  SimOptions o = sim_options(3, 29, s);
  o.wrap_log = [this](NodeId id, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<SlowAppendLog>(inner, cluster().executor(id), 400ms);
  };
  SimCluster& c = start(o);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  const Term term = c.node(leader).term();
  std::vector<std::shared_ptr<SimCluster::Proposal>> ps;
  for (int i = 0; i < 20; ++i) {
    ps.push_back(c.propose(leader, "slow" + std::to_string(i)));
    c.run_for(100ms);
  }
  c.run_for(3s);
  EXPECT_EQ(c.leader(), leader);
  for (NodeId id : c.ids()) EXPECT_EQ(c.node(id).term(), term) << "an election happened on node " << id;
  for (auto& p : ps) {
    ASSERT_TRUE(p->done);
    EXPECT_TRUE(p->result.ok()) << p->result.status().to_string();
  }
}

// @feature commit
TEST_F(Commit, SingleNodeClusterCommitsAlone) {
  SimCluster& c = start(1, 20);
  ASSERT_EQ(elect(), 1u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(propose_ok("solo" + std::to_string(i)));
  }
  EXPECT_EQ(c.applied(1).size(), 5u);
}

// A majority of 4 is 3 and of 6 is 4 (§5.2): with exactly one fewer server
// reachable nothing commits; with exactly a majority, it does.
void check_even_cluster(std::size_t n, std::uint64_t seed) {
  SimCluster c(sim_options(n, seed));
  SCOPED_TRACE("n=" + std::to_string(n) + " seed " + std::to_string(c.seed()));
  c.start();
  const NodeId leader = c.wait_for_leader();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(leader, "warmup").ok());
  const std::size_t need = n / 2 + 1;
  // Leader plus need-2 followers: one short of a majority.
  std::vector<NodeId> group{leader};
  for (NodeId id : c.ids()) {
    if (id != leader && group.size() < need - 1) group.push_back(id);
  }
  c.partition({group});
  auto p = c.propose(leader, "short");
  c.run_for(100ms);  // less than an election timeout: the leader keeps its role
  EXPECT_FALSE(p->done) << "committed without a majority";
  // One more follower joins the leader's side: exactly a majority.
  for (NodeId id : c.ids()) {
    if (std::find(group.begin(), group.end(), id) == group.end()) {
      group.push_back(id);
      break;
    }
  }
  c.partition({group});
  ASSERT_TRUE(c.run_until([&] { return p->done; }, 2s));
  if (c.node(leader).is_leader() || p->result.ok()) {
    EXPECT_TRUE(p->result.ok()) << p->result.status().to_string();
  }
}

// @feature commit partitions
TEST_F(Commit, FourAndSixNodeClustersNeedThreeAndFour) {
  check_even_cluster(4, 21);
  check_even_cluster(6, 22);
}

// @feature crash-recovery
TEST_F(Recovery, LeaderCrashAndRestartLosesNoCommittedEntry) {
  SimOptions o = sim_options(3, 23);
  o.min_disk_latency = 100us;
  o.max_disk_latency = 2ms;
  SimCluster& c = start(o);
  NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  std::vector<std::string> committed;
  for (int i = 0; i < 10; ++i) {
    const std::string v = "before" + std::to_string(i);
    ASSERT_TRUE(propose_ok(v));
    committed.push_back(v);
  }
  // Some proposals are in flight when the leader dies.
  for (int i = 0; i < 5; ++i) c.propose(leader, "inflight" + std::to_string(i));
  c.run_for(1ms);
  const NodeId old = leader;
  c.crash(old);
  leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_NE(leader, old);
  ASSERT_TRUE(propose_ok("after"));
  committed.push_back("after");
  c.restart(old);
  ASSERT_TRUE(c.run_until([&] { return c.applied(old).size() >= committed.size(); }, 3s));
  for (NodeId id : c.ids()) {
    std::vector<std::string> got;
    for (const auto& a : c.applied(id)) got.push_back(a.command);
    for (const auto& v : committed) {
      EXPECT_NE(std::find(got.begin(), got.end(), v), got.end()) << v << " missing on node " << id;
    }
  }
}

// @feature crash-recovery terms
TEST_F(Recovery, PausedLeaderIsReplacedAndFollowsAfterResuming) {
  SimCluster& c = start(3, 40);
  const NodeId old = elect();
  ASSERT_NE(old, kNoNode);
  ASSERT_TRUE(propose_ok("before"));
  c.pause(old);  // a long GC pause: it runs nothing, its messages wait
  ASSERT_TRUE(c.run_until(
      [&] {
        const NodeId l = c.leader();
        return l != kNoNode && l != old;
      },
      5s));
  const NodeId fresh = c.leader();
  ASSERT_TRUE(propose_ok(fresh, "during"));
  c.resume(old);
  // On resuming it still believes it leads, until a message of the newer
  // term reaches it (§5.1); then it follows and catches up.
  ASSERT_TRUE(c.run_until([&] { return !c.node(old).is_leader() && c.applied(old).size() == 2; }, 5s));
  EXPECT_EQ(c.node(old).leader(), fresh);
  EXPECT_EQ(c.applied(old)[1].command, "during");
}

// @feature prevote checkquorum partitions
// A follower that can send but not receive (one-way partition) would keep
// disrupting the leader with ever higher terms. PreVote and CheckQuorum stop
// it: the others heard from the leader recently and refuse (thesis §9.6).
TEST_F(Network, OneWayPartitionedFollowerDoesNotDisruptWithPreVote) {
  ClusterSettings s;
  s.pre_vote = true;
  s.check_quorum = true;
  SimCluster& c = start(3, 41, s);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId deaf = leader == 3 ? 2 : 3;
  const Term term = c.node(leader).term();
  c.block(leader, deaf);  // the leader's messages never reach `deaf`
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(propose_ok(std::string("w") + std::to_string(i)));
    c.run_for(300ms);
  }
  EXPECT_EQ(c.leader(), leader);
  EXPECT_EQ(c.node(leader).term(), term);
  EXPECT_EQ(c.node(deaf).term(), term) << "pre-votes must not raise the deaf node's term";
}

// @feature partitions
TEST_F(Network, OneWayPartitionedFollowerDisruptsWithoutPreVote) {
  // The same scenario under basic Raft: the deaf follower's elections raise
  // the term and depose the leader (the behaviour PreVote exists to stop).
  SimCluster& c = start(3, 41);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId deaf = leader == 3 ? 2 : 3;
  const Term term = c.node(leader).term();
  c.block(leader, deaf);
  c.run_for(3s);
  EXPECT_GT(c.node(deaf).term(), term);
}

// A state machine that keeps "applied through N" with its data (as one
// transaction would) survives the crash; the restarted node resumes after N.
class DurableStateMachine final : public coraft::testing::ForwardingStateMachine {
 public:
  DurableStateMachine(StateMachine& inner, std::vector<Index>* store)
      : ForwardingStateMachine(inner), store_(store) {}
  coro::Task<Bytes> apply(Index index, Payload command) override {
    store_->push_back(index);
    return inner().apply(index, std::move(command));
  }
  Index applied_index() const override { return store_->empty() ? 0 : store_->back(); }

 private:
  std::vector<Index>* store_;
};

// @feature crash-recovery
TEST_F(Recovery, DurableStateMachineIsNotReappliedAfterRestart) {
  auto stores = std::make_shared<std::map<NodeId, std::vector<Index>>>();
  SimOptions o = sim_options(3, 44);
  o.wrap_state_machine = [stores](NodeId id, StateMachine& inner) -> std::unique_ptr<StateMachine> {
    return std::make_unique<DurableStateMachine>(inner, &(*stores)[id]);
  };
  SimCluster& c = start(o);
  NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(propose_ok(std::string("a") + std::to_string(i)));
  c.run_for(200ms);
  const NodeId f = leader == 1 ? 2 : 1;
  ASSERT_EQ((*stores)[f].size(), 5u);
  c.crash(f);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(propose_ok(std::string("b") + std::to_string(i)));
  c.restart(f);
  ASSERT_TRUE(c.run_until([&] { return (*stores)[f].size() >= 8; }, 2s));
  c.run_for(200ms);
  const std::vector<Index>& applied = (*stores)[f];
  ASSERT_EQ(applied.size(), 8u) << "a command was applied twice or skipped";
  for (std::size_t k = 1; k < applied.size(); ++k) EXPECT_LT(applied[k - 1], applied[k]);
  EXPECT_EQ(c.applied(f).size(), 3u) << "after the restart only the new commands reach the state machine";
}

// @feature client
TEST_F(Client, ProposalOnAFollowerFailsAtOnceWithTheLeaderHint) {
  SimCluster& c = start(3, 24);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  c.run_for(100ms);  // followers learn the leader from its AppendEntries
  for (NodeId id : c.ids()) {
    if (id == leader) continue;
    auto p = c.propose(id, "x");
    ASSERT_TRUE(p->done) << "a follower must answer at once";
    ASSERT_TRUE(p->result.status().is_not_leader());
    EXPECT_EQ(p->result.status().leader_hint(), leader);
  }
}

// @feature client
TEST_F(Client, OverwrittenProposalFailsWithLeadershipLost) {
  SimCluster& c = start(3, 25);
  const NodeId old = elect();
  ASSERT_NE(old, kNoNode);
  ASSERT_TRUE(propose_ok("ok"));
  c.isolate(old);
  auto lost = c.propose(old, "lost");
  std::vector<NodeId> others;
  for (NodeId id : c.ids()) {
    if (id != old) others.push_back(id);
  }
  c.partition({{old}, others});
  ASSERT_TRUE(c.run_until(
      [&] {
        NodeId l = c.leader();
        return l != kNoNode && l != old;
      },
      5s));
  const NodeId fresh = c.leader();
  ASSERT_TRUE(propose_ok(fresh, "new"));
  c.heal();
  ASSERT_TRUE(c.run_until([&] { return lost->done; }, 5s));
  EXPECT_TRUE(lost->result.status().is_leadership_lost()) << lost->result.status().to_string();
}

// A lost proposal must not wait for someone to write at its index: once an
// entry of a higher term commits below it, no log can ever hold it (terms
// never decrease along a log), and it fails at once.
// @feature client current-term-commit
TEST_F(Client, LostProposalsFailEvenWhenNothingIsWrittenAtTheirIndex) {
  SimCluster& c = start(3, 43);
  const NodeId old = elect();
  ASSERT_NE(old, kNoNode);
  ASSERT_TRUE(propose_ok("ok"));
  c.isolate(old);
  std::vector<std::shared_ptr<SimCluster::Proposal>> lost;
  for (int i = 0; i < 3; ++i) lost.push_back(c.propose(old, "lost" + std::to_string(i)));
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoNode && c.leader() != old; }, 5s));
  c.heal();  // the new leader writes nothing but its no-op
  ASSERT_TRUE(c.run_until([&] { return lost[0]->done && lost[1]->done && lost[2]->done; }, 2s));
  for (auto& p : lost) EXPECT_TRUE(p->result.status().is_leadership_lost()) << p->result.status().to_string();
}

// @feature client
TEST_F(Client, AListenerMayProposeAsSoonAsItsNodeBecomesLeader) {
  SimCluster& c = start(3, 46);
  auto result = std::make_shared<std::optional<Result<Bytes>>>();
  for (NodeId id : c.ids()) {
    RaftNode* n = &c.node(id);
    n->subscribe([n, result](const NodeEvent& e) {
      if (e.kind == NodeEvent::Kind::kRoleChanged && e.role == Role::kLeader && !result->has_value()) {
        n->propose("first words", [result](Result<Bytes> r) { *result = std::move(r); });
      }
    });
  }
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(c.run_until([&] { return result->has_value(); }, 1s));
  ASSERT_TRUE(result->value().ok()) << result->value().status().to_string();
  EXPECT_EQ(c.applied(leader).back().command, "first words");
}

// @feature client
TEST_F(Client, ProposalTimeoutReportsAnUnknownOutcome) {
  SimCluster& c = start(3, 42);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  c.isolate(leader);
  auto timed = c.propose(leader, "t", 100ms);
  auto untimed = c.propose(leader, "u");
  c.run_for(99ms);
  EXPECT_FALSE(timed->done);
  c.run_for(2ms);
  ASSERT_TRUE(timed->done);
  EXPECT_TRUE(timed->result.status().is_timeout()) << timed->result.status().to_string();
  EXPECT_FALSE(untimed->done) << "a proposal without a timeout waits for its outcome";
  // The timeout does not withdraw the entry: the outcome was unknown.
  EXPECT_GE(c.node(leader).last_log_index(), 3u);
}

// @feature client
TEST_F(Client, StopFailsPendingProposalsWithStopped) {
  SimCluster& c = start(3, 26);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  for (NodeId id : c.ids()) {
    if (id != leader) c.isolate(id);
  }
  c.partition({{leader}});
  auto p = c.propose(leader, "never");
  c.run_for(10ms);
  ASSERT_FALSE(p->done);
  c.stop(leader);
  ASSERT_TRUE(p->done);
  EXPECT_TRUE(p->result.status().is_stopped()) << p->result.status().to_string();
}

// A LogAPI that throws after a number of appends.
class FailingLog final : public coraft::testing::ForwardingLog {
 public:
  FailingLog(LogAPI& inner, int appends_before_failure)
      : ForwardingLog(inner), left_(appends_before_failure) {}
  coro::Task<void> append(std::vector<Entry> entries) override {
    if (left_-- <= 0) throw std::runtime_error("disk on fire");
    return inner().append(std::move(entries));
  }

 private:
  int left_;
};

// @feature failures
TEST_F(Failure, ThrowingLogAPIStopsTheNodeSafelyAndReportsIt) {
  SimOptions o = sim_options(1, 27);
  o.wrap_log = [](NodeId, LogAPI& inner) -> std::unique_ptr<LogAPI> {
    return std::make_unique<FailingLog>(inner, 3);
  };
  SimCluster& c = start(o);
  ASSERT_EQ(elect(), 1u);
  std::vector<NodeEvent> events;
  c.node(1).subscribe([&events](const NodeEvent& e) { events.push_back(e); });
  std::vector<std::shared_ptr<SimCluster::Proposal>> ps;
  for (int i = 0; i < 5; ++i) {
    ps.push_back(c.propose(1, std::string("p") + std::to_string(i)));
    c.run_for(5ms);
  }
  c.run_for(50ms);
  EXPECT_FALSE(c.node(1).running());
  EXPECT_TRUE(c.node(1).status().error.is_io_error()) << c.node(1).status().error.to_string();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, NodeEvent::Kind::kFailed);
  for (auto& p : ps) {
    ASSERT_TRUE(p->done);
  }
  EXPECT_FALSE(ps.back()->result.ok());
  auto late = c.propose(1, "late");
  EXPECT_TRUE(late->done && !late->result.ok());
  c.stop(1);  // stop() after a failure completes
}

class ThrowingStateMachine final : public coraft::testing::ForwardingStateMachine {
 public:
  using ForwardingStateMachine::ForwardingStateMachine;
  coro::Task<Bytes> apply(Index index, Payload command) override {
    if (command == "poison") throw std::runtime_error("cannot apply poison");
    return inner().apply(index, std::move(command));
  }
};

// @feature failures
TEST_F(Failure, ThrowingStateMachineStopsTheNodeWithoutSkippingTheEntry) {
  SimOptions o = sim_options(3, 28);
  o.wrap_state_machine = [](NodeId, StateMachine& inner) -> std::unique_ptr<StateMachine> {
    return std::make_unique<ThrowingStateMachine>(inner);
  };
  SimCluster& c = start(o);
  const NodeId leader = elect();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(propose_ok("fine"));
  auto p = c.propose(leader, "poison");
  // The leader fails on the poison entry. A server fails when (and only
  // when) it learns that the entry is committed and applies it; none skips it.
  c.run_for(3s);
  EXPECT_FALSE(c.node(leader).running());
  for (NodeId id : c.ids()) {
    ASSERT_EQ(c.applied(id).size(), 1u) << "nothing after the poison entry may be applied, node " << id;
    if (!c.node(id).running()) {
      EXPECT_TRUE(c.node(id).status().error.is_io_error()) << "node " << id;
      EXPECT_GE(c.node(id).commit_index(), c.node(id).applied_index() + 1);
    }
  }
  ASSERT_TRUE(p->done);
  EXPECT_FALSE(p->result.ok());
}

}  // namespace
}  // namespace coraft::test
