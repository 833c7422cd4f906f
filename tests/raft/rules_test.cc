// One scripted test per rule that the mutation runner (tests/mutation/)
// found unguarded: each breaks the rule on purpose in a small scenario and
// asserts the rule itself, not only that the checker stays quiet.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "raft/cluster_fixture.h"

namespace coraft::test {
namespace {

using coro::Duration;
using coro::TimePoint;

// Proposes `n` commands on `leader`, one every `gap`, and runs until all
// have completed; false if some did not within five seconds.
bool propose_spaced(SimCluster& c, NodeId leader, int n, Duration gap) {
  std::vector<std::shared_ptr<SimCluster::Proposal>> ps;
  for (int i = 0; i < n; ++i) {
    ps.push_back(c.propose(leader, std::string("p").append(std::to_string(i))));
    c.run_for(gap);
  }
  return c.run_until([&] { return std::all_of(ps.begin(), ps.end(), [](auto& p) { return p->done; }); }, 5s);
}

// Thesis §10.2.1: a leader writes its log in parallel with sending, but
// counts itself toward a commit quorum only once its own entries are
// durable. Its disk held, one follower of three acknowledging is not a
// majority: nothing commits, and a crash of the leader loses nothing that
// anyone considered committed.
// @feature commit leader-disk crash-recovery
TEST_F(Commit, LeaderCountsItselfOnlyOnceItsEntriesAreDurable) {
  ClusterSettings settings = basic_settings();
  settings.pre_vote = true;  // the follower cut off below must not depose the leader
  SimOptions o = sim_options(3, 1001, settings);
  o.throw_on_violation = false;  // assert the rule here, then the checker's verdict
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(c.propose_and_wait(l, "before").ok());
  const std::vector<NodeId> f = others(c, l);
  c.block(l, f[1]);  // only f[0] receives the new entry
  c.set_disk_latency(l, 5s, 5s);
  const Index index = c.node(l).last_log_index() + 1;
  auto p = c.propose(l, "held");
  ASSERT_TRUE(c.run_until([&] { return c.durable_log(f[0]).last_index() >= index; }, 1s))
      << "the follower never received the entry";
  c.run_for(50ms);  // its acknowledgement has long arrived
  EXPECT_LT(c.node(l).commit_index(), index)
      << "the leader committed an entry durable only on one follower of three";
  EXPECT_FALSE(p->done && p->result.ok());
  c.crash(l);
  c.set_disk_latency(l, 0ms, 0ms);
  c.restart(l);
  c.heal();
  ASSERT_NE(c.wait_for_leader(), kNoNode);
  EXPECT_EQ(c.wait_for_convergence(), "");
  EXPECT_TRUE(c.checker().ok()) << c.checker().violations().front();
}

// A proposal is answered with its own entry's result or not at all: when
// another entry commits at its index, even one of an older term (the new
// leader's log held it from before), it fails with leadership_lost.
// @feature client current-term-commit
TEST_F(Client, ProposalWhoseIndexCommitsAnOlderTermsEntryFailsWithLeadershipLost) {
  SimCluster c(sim_options(5, 1002));
  SCOPED_TRACE(seed_of(c));
  // Servers 4 and 5 hold commands at 2 and 3 of term 2; 1, 2 and 3 only the
  // bootstrap entry.
  for (NodeId id : {1, 2, 3}) c.preload(id, HardState{2, kNoNode}, {});
  for (NodeId id : {4, 5}) c.preload(id, HardState{2, kNoNode}, {cmd(2, 2), cmd(3, 2)});
  // Only 1, 2 and 3 can elect a leader at first, and its AppendEntries are
  // lost: its no-op (index 2) and its proposal (index 3) stay its own.
  bool drop_short_appends = true;
  c.set_filter([&](Message& m) {
    return !(drop_short_appends && m.from <= 3 && std::holds_alternative<AppendEntries>(m.body));
  });
  c.partition({{1, 2, 3}, {4, 5}});
  c.start();
  std::shared_ptr<SimCluster::Proposal> p;
  NodeId short_leader = kNoNode;
  ASSERT_TRUE(c.run_until(
      [&] {
        const NodeId l = c.leader();
        if (l == kNoNode || l > 3) return false;
        short_leader = l;
        p = c.propose(l, "mine");
        return true;
      },
      10s));
  ASSERT_EQ(c.node(short_leader).last_log_index(), 3u);
  const Term t = c.node(short_leader).term();
  c.partition({{short_leader}, others(c, short_leader)});
  // The others elect 4 or 5 (entry 3 of term 2 is more up-to-date than a
  // log ending at 1), which commits its entries of term 2 with its own.
  ASSERT_TRUE(c.run_until(
      [&] {
        const NodeId l = c.leader();
        return l == 4 || l == 5;
      },
      10s));
  const NodeId l = c.leader();
  EXPECT_GT(c.node(l).term(), t);
  ASSERT_TRUE(c.propose_and_wait(l, "theirs").ok());
  drop_short_appends = false;
  c.heal();
  ASSERT_TRUE(c.run_until([&] { return p->done; }, 10s));
  EXPECT_TRUE(p->result.status().is_leadership_lost())
      << (p->result.ok() ? "ok: " + p->result.value() : p->result.status().to_string());
  EXPECT_EQ(c.wait_for_convergence(), "");
  EXPECT_EQ(*c.node(short_leader).log_term_at(3), 2u);
}

// A candidate that got stuck as the only one to campaign: every other
// server is down, so only crafted messages reach it.
NodeId lone_candidate(SimCluster& c) {
  c.start();
  for (NodeId id : others(c, 1)) c.crash(id);
  EXPECT_TRUE(c.run_until([&] { return c.node(1).role() == Role::kCandidate; }, 2s));
  return 1;
}

Message vote(NodeId from, NodeId to, Term term) {
  return Message{from, to, RequestVoteResponse{.term = term, .granted = true, .pre_vote = false}};
}

// §5.2: a candidate wins with votes from a majority of distinct servers.
// The network may deliver a grant twice; it still counts once.
// @feature election
TEST_F(Election, DuplicatedGrantedVoteIsCountedOnce) {
  SimOptions o = sim_options(5, 1003);
  o.throw_on_violation = false;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  const NodeId cand = lone_candidate(c);
  const Term t = c.node(cand).term();
  c.inject(vote(2, cand, t));
  c.inject(vote(2, cand, t), 1ms);
  c.inject(vote(2, cand, t), 2ms);
  c.run_for(5ms);
  EXPECT_EQ(c.node(cand).term(), t);
  EXPECT_NE(c.node(cand).role(), Role::kLeader) << "leader with two distinct votes of five";
  c.inject(vote(3, cand, t));
  c.run_for(5ms);
  EXPECT_EQ(c.node(cand).role(), Role::kLeader) << "three distinct votes of five make a leader";
}

// §5.2: votes are for one term. A grant of an earlier term, delayed into
// the candidate's next election, counts for nothing.
// @feature election
TEST_F(Election, GrantedVoteDelayedIntoTheNextTermIsNotCounted) {
  SimOptions o = sim_options(5, 1004);
  o.throw_on_violation = false;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  const NodeId cand = lone_candidate(c);
  const Term t = c.node(cand).term();
  c.inject(vote(2, cand, t));
  c.run_for(1ms);
  // Without a third vote the election times out and starts again.
  ASSERT_TRUE(c.run_until([&] { return c.node(cand).term() == t + 1; }, 2s));
  ASSERT_EQ(c.node(cand).role(), Role::kCandidate);
  c.inject(vote(3, cand, t + 1));
  c.inject(vote(2, cand, t));  // the old grant, late
  c.inject(vote(4, cand, t));  // and one that never arrived in time
  c.run_for(5ms);
  EXPECT_NE(c.node(cand).role(), Role::kLeader)
      << "stale votes of term " << t << " elected a leader of term " << t + 1;
  c.inject(vote(4, cand, t + 1));
  c.run_for(5ms);
  EXPECT_EQ(c.node(cand).role(), Role::kLeader);
}

// §5.3 with fast backtracking: a rejection carries the follower's conflict
// hint (the last index of a term at or below the leader's), and the leader
// retries just after the last index where the two logs can match: not one
// entry earlier (re-sending what the follower holds) nor later (a second
// rejection).
// @feature replication log-repair
TEST_F(Replication, BacktrackingRetriesJustAfterTheLastMatchingEntry) {
  SimCluster c(sim_options(3, 1005));
  SCOPED_TRACE(seed_of(c));
  // Leaders-to-be 1 and 3: 2..3 of term 1, 4..6 of term 3. Server 2: 2..3 of
  // term 1, then 4..7 of term 2, which it never got from a leader of term 3.
  for (NodeId id : {1, 3}) {
    c.preload(id, HardState{3, kNoNode}, {cmd(2, 1), cmd(3, 1), cmd(4, 3), cmd(5, 3), cmd(6, 3)});
  }
  c.preload(2, HardState{2, kNoNode}, {cmd(2, 1), cmd(3, 1), cmd(4, 2), cmd(5, 2), cmd(6, 2), cmd(7, 2)});
  std::vector<Message> sent;
  c.set_filter([&](Message& m) {
    if (std::holds_alternative<AppendEntries>(m.body) ||
        std::holds_alternative<AppendEntriesResponse>(m.body))
      sent.push_back(m);
    return true;
  });
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_TRUE(l == 1 || l == 3);
  ASSERT_EQ(c.wait_for_convergence(), "");
  std::vector<Index> probes;  // prev_log_index of each AppendEntries with entries to server 2
  int rejections = 0;
  for (const Message& m : sent) {
    if (m.from == l && m.to == 2) {
      const auto& ae = std::get<AppendEntries>(m.body);
      if (!ae.entries.empty()) probes.push_back(ae.prev_log_index);
    } else if (m.from == 2 && m.to == l) {
      if (!std::get<AppendEntriesResponse>(m.body).success) ++rejections;
    }
  }
  ASSERT_GE(probes.size(), 2u);
  EXPECT_EQ(probes[0], 6u) << "the first AppendEntries follows the leader's last entry";
  EXPECT_EQ(probes[1], 3u) << "the retry starts right after index 3, the last one both logs share";
  EXPECT_EQ(rejections, 1);
  EXPECT_EQ(*c.node(2).log_term_at(4), 3u);
}

// §5.2: election timeouts are drawn at random from [min, max), anew for
// every election, so that split votes resolve.
// @feature election
TEST_F(Election, ElectionTimeoutsAreRandomizedWithinTheConfiguredRange) {
  SimCluster c(sim_options(3, 1006));
  SCOPED_TRACE(seed_of(c));
  const ClusterSettings s = c.options().settings;
  c.start();
  c.crash(2);
  c.crash(3);
  std::vector<TimePoint> timeouts;
  c.node(1).subscribe([&](const NodeEvent& e) {
    if (e.kind == NodeEvent::Kind::kElectionTimeout) timeouts.push_back(c.now());
  });
  ASSERT_TRUE(c.run_until([&] { return timeouts.size() >= 21; }, 30s));
  std::set<Duration> distinct;
  Duration lo = Duration::max(), hi = Duration::min();
  for (std::size_t i = 1; i < timeouts.size(); ++i) {
    const Duration d = timeouts[i] - timeouts[i - 1];
    EXPECT_GE(d, s.election_timeout_min);
    EXPECT_LT(d, s.election_timeout_max);
    distinct.insert(d);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(distinct.size(), 15u) << "20 elections, and their timeouts are not random";
  EXPECT_GE(hi - lo, (s.election_timeout_max - s.election_timeout_min) / 2)
      << "the timeouts do not spread over the configured range";
}

// Figure 2 ("respond after persisting"): a follower acknowledges entries
// only once its LogAPI holds them durably; the leader counts that ack
// toward commitment.
// @feature replication crash-recovery
TEST_F(Replication, FollowerAcknowledgesEntriesOnlyOnceTheyAreDurable) {
  SimOptions o = sim_options(3, 1007);
  o.min_disk_latency = 3ms;
  o.max_disk_latency = 8ms;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  int acks = 0;
  std::vector<std::string> early;
  c.set_filter([&](Message& m) {
    const auto* r = std::get_if<AppendEntriesResponse>(&m.body);
    if (r == nullptr || !r->success || r->match_index <= 1) return true;
    ++acks;
    const Entry* e = c.durable_log(m.from).entry(r->match_index);
    if (e == nullptr)
      early.push_back("node " + std::to_string(m.from) + " acked " + std::to_string(r->match_index));
    return true;
  });
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  ASSERT_TRUE(propose_spaced(c, l, 20, 1ms));
  EXPECT_GE(acks, 4);
  EXPECT_TRUE(early.empty()) << early.size()
                             << " acknowledgements before the entries were durable, first: " << early.front();
}

// The storage pipeline merges appends queued behind a running LogAPI call
// (group commit), but never into the call already running: every entry a
// server takes into its log reaches its LogAPI.
// @feature replication
TEST(Storage, EntriesArrivingDuringAWriteAreWrittenToo) {
  SimOptions o = sim_options(3, 1008);
  o.min_disk_latency = 10ms;
  o.max_disk_latency = 10ms;
  o.throw_on_violation = false;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  // Proposals every 2 ms: each server's 10 ms writes always have more
  // entries arriving while they run.
  ASSERT_TRUE(propose_spaced(c, l, 40, 2ms));
  EXPECT_EQ(c.wait_for_convergence(), "");
  for (NodeId id : c.ids()) {
    ASSERT_TRUE(c.node(id).running()) << "node " << id << ": " << c.node(id).status().error.to_string();
    EXPECT_EQ(c.durable_log(id).last_index(), c.node(l).last_log_index()) << "node " << id;
    for (Index i = 1; i <= c.node(l).last_log_index(); ++i) {
      ASSERT_NE(c.durable_log(id).entry(i), nullptr) << "node " << id << " never wrote entry " << i;
    }
  }
  EXPECT_TRUE(c.checker().ok()) << c.checker().violations().front();
}

// A state machine applies only entries its own server's log holds durably
// (thesis §10.2.1 lets a follower learn a commit index beyond its disk): a
// crash must never restart a state machine ahead of its log.
// @feature commit crash-recovery
TEST(Apply, AServerAppliesOnlyWhatItsOwnLogHoldsDurably) {
  SimOptions o = sim_options(3, 1009);
  o.throw_on_violation = false;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  const NodeId slow = others(c, l)[0];
  c.set_disk_latency(slow, 40ms, 40ms);  // the other follower and the leader commit without it
  std::vector<std::string> ahead;
  for (int i = 0; i < 10; ++i) {
    auto p = c.propose(l, std::string("a") + std::to_string(i));
    ASSERT_TRUE(c.run_until(
        [&] {
          if (c.node(slow).applied_index() > c.durable_log(slow).last_index()) {
            ahead.push_back("applied " + std::to_string(c.node(slow).applied_index()) + " with " +
                            std::to_string(c.durable_log(slow).last_index()) + " durable");
          }
          return p->done;
        },
        2s));
  }
  c.run_for(500ms);
  EXPECT_TRUE(ahead.empty()) << ahead.front();
  EXPECT_EQ(c.wait_for_convergence(), "");
}

// Figure 2: commitIndex is volatile. A restarted server knows only that the
// bootstrap entry (or what its state machine already applied) is
// committed; the rest of its log waits for a leader's word.
// @feature crash-recovery commit
TEST_F(Recovery, RestartedServerTakesNothingBeyondWhatItAppliedAsCommitted) {
  SimCluster c(sim_options(3, 1010));
  SCOPED_TRACE(seed_of(c));
  // Server 1 holds entries 2..4 of term 2 that no other server has: they
  // may never have committed.
  c.preload(1, HardState{2, 1}, {cmd(2, 2), cmd(3, 2), cmd(4, 2)});
  c.start({1});
  EXPECT_EQ(c.node(1).commit_index(), 1u);
  c.run_for(50ms);
  EXPECT_EQ(c.node(1).commit_index(), 1u);
  EXPECT_EQ(c.node(1).applied_index(), 1u);
  EXPECT_TRUE(c.applied(1).empty());
}

// §5.3: "the leader retries AppendEntries indefinitely": a probe or a
// window lost to the network is sent again, with no new proposal to push it.
// @feature replication log-repair
TEST_F(Replication, LostAppendEntriesAreSentAgain) {
  SimCluster c(sim_options(3, 1011));
  SCOPED_TRACE(seed_of(c));
  c.start();
  const NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  const NodeId f = others(c, l)[0];
  int dropped = 0;
  c.set_filter([&](Message& m) {
    const auto* ae = std::get_if<AppendEntries>(&m.body);
    if (m.from == l && m.to == f && ae != nullptr && !ae->entries.empty() && dropped < 3) {
      ++dropped;
      return false;
    }
    return true;
  });
  ASSERT_TRUE(c.propose_and_wait(l, "x").ok());  // commits with the other follower
  ASSERT_EQ(dropped, 1);
  EXPECT_EQ(c.wait_for_convergence(5s), "") << "the follower's AppendEntries were lost and never sent again";
  EXPECT_EQ(dropped, 3) << "each retry is a new AppendEntries";
}

// §5.3: "if an existing entry conflicts with a new one (same index but
// different terms), delete the existing entry and all that follow it" --
// only then. An AppendEntries that the network delayed behind a longer one
// of the same leader matches what the follower holds: nothing is removed.
// @feature replication log-repair
TEST_F(Replication, DelayedAppendEntriesNeverTruncateMatchingEntries) {
  const ClusterSettings quiet = quiet_settings();
  SimCluster c(sim_options(3, 1012, quiet));
  SCOPED_TRACE(seed_of(c));
  c.start();
  std::vector<Entry> five;
  for (Index i = 2; i <= 6; ++i) five.push_back(cmd(i, 2));
  c.inject(
      Message{2, 1,
              AppendEntries{
                  .term = 2, .prev_log_index = 1, .prev_log_term = 1, .leader_commit = 1, .entries = five}});
  c.run_for(5ms);
  ASSERT_EQ(c.node(1).last_log_index(), 6u);
  // The leader's earlier message, carrying only entry 3, arrives late.
  c.inject(Message{
      2, 1,
      AppendEntries{
          .term = 2, .prev_log_index = 2, .prev_log_term = 2, .leader_commit = 1, .entries = {cmd(3, 2)}}});
  c.run_for(5ms);
  EXPECT_EQ(c.node(1).last_log_index(), 6u) << "matching entries 4..6 were removed";
  EXPECT_EQ(c.durable_log(1).last_index(), 6u);
  EXPECT_TRUE(c.node(1).running());
}

// Figure 2, AppendEntries rule 5: commitIndex = min(leaderCommit, index of
// the last new entry). Entries beyond what the leader's message matched may
// be another term's leftovers the leader does not hold: the follower must
// not commit them, whatever the leader's commit index says.
// @feature replication commit
TEST_F(Replication, FollowerCommitsNoFurtherThanTheEntriesItMatched) {
  const ClusterSettings quiet = quiet_settings();
  SimOptions o = sim_options(3, 1013, quiet);
  o.throw_on_violation = false;
  SimCluster c(o);
  SCOPED_TRACE(seed_of(c));
  // Server 1 holds 2 of term 1, then 3..5 of term 1 from a leader that
  // never committed them.
  c.preload(1, HardState{1, kNoNode}, {cmd(2, 1), cmd(3, 1), cmd(4, 1), cmd(5, 1)});
  c.start();
  // The leader of term 2 holds entry 2 and, at 3..5, entries of its own.
  c.inject(Message{
      2, 1,
      AppendEntries{.term = 2, .prev_log_index = 2, .prev_log_term = 1, .leader_commit = 5, .entries = {}}});
  c.run_for(5ms);
  EXPECT_EQ(c.node(1).term(), 2u);
  EXPECT_EQ(c.node(1).commit_index(), 2u) << "committed entries the leader's message did not cover";
  EXPECT_LE(c.node(1).applied_index(), 2u);
}

// Thesis §9.6: a pre-vote asks "would you vote for me in term t + 1?"
// without changing anyone's term: granted or refused, the voter's term,
// vote and role stay as they were.
// @feature prevote terms
TEST_F(PreVote, APreVoteRequestNeverChangesTheVotersTerm) {
  ClusterSettings s = quiet_settings();
  s.pre_vote = true;
  SimCluster c(sim_options(3, 1014, s));
  SCOPED_TRACE(seed_of(c));
  c.start();
  const Term t = c.node(1).term();
  std::vector<Message> sent;
  c.set_filter([&](Message& m) {
    sent.push_back(m);
    return false;
  });
  // Granted (up-to-date log, no leader heard), then refused (stale log).
  c.inject(
      Message{2, 1, RequestVote{.term = t + 5, .last_log_index = 1, .last_log_term = 1, .pre_vote = true}});
  c.inject(
      Message{3, 1, RequestVote{.term = t + 7, .last_log_index = 0, .last_log_term = 0, .pre_vote = true}},
      1ms);
  c.run_for(5ms);
  EXPECT_EQ(c.node(1).term(), t);
  EXPECT_EQ(c.node(1).vote(), kNoNode);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.durable_log(1).hard_state().term, t);
  ASSERT_EQ(sent.size(), 2u);
  const auto& granted = std::get<RequestVoteResponse>(sent[0].body);
  EXPECT_TRUE(granted.granted && granted.pre_vote);
  EXPECT_EQ(granted.term, t + 5) << "a granted pre-vote answers for the term asked about";
  const auto& refused = std::get<RequestVoteResponse>(sent[1].body);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.term, t) << "a refusal carries the voter's own, unchanged term";
}

// §5.3, fast backtracking (the optimization sketched at the end of the
// section, in the variant that searches by term): a follower that rejects
// AppendEntries names the
// last index of its log, at or below the leader's prev_log_index, whose
// term is at or below the leader's prev_log_term, so that the leader skips
// every entry of a conflicting term in one round trip, and never skips a
// matching one.
// @feature replication log-repair
TEST_F(Replication, RejectionHintNamesTheLastEntryAtOrBelowTheLeadersTerm) {
  const ClusterSettings quiet = quiet_settings();
  SimCluster c(sim_options(3, 1015, quiet));
  SCOPED_TRACE(seed_of(c));
  // Server 1: 2..3 of term 1, 4..6 of term 2, 7..8 of term 4.
  c.preload(1, HardState{4, kNoNode},
            {cmd(2, 1), cmd(3, 1), cmd(4, 2), cmd(5, 2), cmd(6, 2), cmd(7, 4), cmd(8, 4)});
  c.start();
  std::vector<Message> sent;
  c.set_filter([&](Message& m) {
    sent.push_back(m);
    return false;
  });
  auto reject = [&](Index prev, Term prev_term) {
    sent.clear();
    c.inject(Message{2, 1,
                     AppendEntries{.term = 5,
                                   .prev_log_index = prev,
                                   .prev_log_term = prev_term,
                                   .leader_commit = 1,
                                   .entries = {}}});
    c.run_for(5ms);
    EXPECT_EQ(sent.size(), 1u);
    return sent.empty() ? AppendEntriesResponse{} : std::get<AppendEntriesResponse>(sent.back().body);
  };
  // The leader holds term 3 at 8: the follower's term-4 entries 7..8 go,
  // and so does nothing at or before 6 (term 2 <= 3).
  AppendEntriesResponse r = reject(8, 3);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.hint_index, 6u);
  EXPECT_EQ(r.hint_term, 2u);
  // The leader's log is longer: the hint is the follower's last entry.
  r = reject(10, 5);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.hint_index, 8u);
  EXPECT_EQ(r.hint_term, 4u);
  // The leader holds term 1 at 5: everything from 4 on conflicts.
  r = reject(5, 1);
  EXPECT_EQ(r.hint_index, 3u);
  EXPECT_EQ(r.hint_term, 1u);
}

}  // namespace
}  // namespace coraft::test
