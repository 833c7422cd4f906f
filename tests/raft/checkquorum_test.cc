// CheckQuorum conformance tests on the deterministic SimCluster (thesis
// §6.2, §4.2.3): an isolated leader steps down, a follower with a live
// leader ignores disruptive vote requests, and servers whose term rose while
// they were cut off are freed after the partition heals.
//
// Every test names the rule it checks and cites the paper ("§") or the
// thesis. Every run prints its seed on failure (CORAFT_SEED=<n> replays one
// seed for the single-seed tests), and the invariant checker runs after every
// simulated step: a violation throws InvariantViolation out of the test.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "raft/cluster_fixture.h"

namespace coraft::test {
namespace {

using coro::Duration;
using coro::TimePoint;

// ================================================ CheckQuorum (§6.2)

// @feature checkquorum
// Thesis §6.2: "a leader steps down if an election timeout elapses without a
// successful round of heartbeats to a majority of its cluster". Checked with
// and without PreVote; the control without CheckQuorum shows that it is the
// rule that makes the leader step down.
TEST_F(CheckQuorum, IsolatedLeaderStepsDown) {
  for (bool pv : {true, false}) {
    const ClusterSettings settings = settings_with(pv, true);
    SimCluster& c = start(3, 1001, settings, settings_name(settings));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(300ms);
    c.isolate(l);
    const TimePoint cut = c.now();
    ASSERT_TRUE(c.run_until([&] { return !c.node(l).is_leader(); }, 2s))
        << "the isolated leader stayed leader";
    const Duration took = c.now() - cut;
    const auto& st = c.options().settings;
    EXPECT_GE(took, st.election_timeout_min - st.heartbeat_interval - c.options().max_latency)
        << ms(took) << " ms";
    EXPECT_LE(took, st.election_timeout_min + st.election_timeout_max) << ms(took) << " ms";
    EXPECT_EQ(c.node(l).role(), Role::kFollower);
    EXPECT_NE(c.node(l).leader(), l);
    EXPECT_EQ(c.node(l).term(), t) << "stepping down does not start a new term";
    // The majority side elects a new leader; after healing everyone follows it.
    ASSERT_TRUE(c.run_until(
        [&] {
          const NodeId now_leader = c.leader();
          return now_leader != kNoNode && now_leader != l;
        },
        2s));
    c.heal();
    ASSERT_TRUE(c.run_until([&] { return converged(c); }, 3s));
    EXPECT_NE(c.leader(), l);
    EXPECT_TRUE(c.checker().ok());
  }
  {
    SimCluster& c = start(3, 1001, basic_settings(), "control " + settings_name(basic_settings()));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    c.isolate(l);
    c.run_for(2s);
    EXPECT_TRUE(c.node(l).is_leader()) << "without CheckQuorum nothing makes an isolated leader step down";
    EXPECT_TRUE(c.checker().ok());
  }
}

// @feature checkquorum
// Thesis §4.2.3 (enabled with CheckQuorum): "if a server receives a
// RequestVote request within the minimum election timeout of hearing from a
// current leader, it does not update its term or grant its vote." Once the
// leader has been silent for longer than that, the same request is honoured.
TEST_F(CheckQuorum, FollowerWithLiveLeaderIgnoresHigherTermRequestVote) {
  for (bool pv : {true, false}) {
    const ClusterSettings settings = settings_with(pv, true);
    SimCluster& c = start(3, 1002, settings, settings_name(settings));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(300ms);
    const NodeId f = others(c, l)[0];
    const NodeId x = others(c, l)[1];
    const NodeId vote_before = c.node(f).status().vote;
    std::vector<Message> sent;
    c.set_filter([&](Message& m) {
      sent.push_back(m);
      return m.from != f || !std::holds_alternative<RequestVoteResponse>(m.body);
    });
    const RequestVote disruptive{.term = t + 5, .last_log_index = 100, .last_log_term = t};
    c.inject(Message{x, f, disruptive});
    c.run_for(20ms);
    EXPECT_EQ(c.node(f).term(), t) << "the follower adopted a disruptive term";
    EXPECT_EQ(c.node(f).status().vote, vote_before);
    EXPECT_EQ(c.durable_log(f).hard_state().term, t);
    EXPECT_EQ(c.node(f).leader(), l);
    EXPECT_TRUE(bodies<RequestVoteResponse>(sent, f, x).empty())
        << "the request should be ignored, not answered";
    EXPECT_TRUE(c.node(l).is_leader());
    EXPECT_EQ(c.node(l).term(), t);

    // The follower loses its leader for longer than the minimum timeout.
    c.isolate(f);
    c.run_for(c.options().settings.election_timeout_min + 10ms);
    sent.clear();
    const Term now_t = c.node(f).term();
    ASSERT_LT(now_t, t + 5);
    c.inject(Message{x, f, disruptive});
    c.run_for(20ms);
    EXPECT_EQ(c.node(f).term(), t + 5) << "with no live leader the higher term is adopted";
    auto r = bodies<RequestVoteResponse>(sent, f, x);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].granted);
    c.set_filter(nullptr);
    c.heal();
    ASSERT_TRUE(c.run_until([&] { return converged(c); }, 3s));
    EXPECT_TRUE(c.checker().ok());
  }
}

// @feature checkquorum partitions
// Thesis §6.2 / §4.2.3: with CheckQuorum a follower that hears a live leader
// ignores higher-term vote requests, so a server whose term went up while it
// was cut off (a candidate, PreVote off) cannot make anyone adopt its term by
// campaigning. It must not stay stuck: the leader's AppendEntries of the
// stale term are answered with the higher term (§5.1), the leader steps down,
// and the cluster converges on one leader, of at least the stuck term, that
// every server follows. The stuck server's log is stale so it cannot lead.
TEST_F(CheckQuorum, StuckCandidateIsFreedAfterHeal) {
  for (std::uint64_t seed : {1101, 1102, 1103}) {
    SimCluster& c = start(3, seed, settings_with(false, true));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(200ms);
    const NodeId s = others(c, l)[0];
    c.isolate(s);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(propose_ok("during-" + std::to_string(i)));
    ASSERT_TRUE(c.run_until([&] { return c.node(s).term() >= t + 3; }, 3s));
    const Term stuck = c.node(s).term();
    EXPECT_EQ(c.node(s).role(), Role::kCandidate);
    EXPECT_TRUE(c.node(l).is_leader());
    c.heal();
    ASSERT_TRUE(c.run_until([&] { return converged(c) && c.node(c.leader()).term() >= stuck; }, 5s))
        << "stuck: server " << s << " term " << c.node(s).term() << " role " << role_name(c.node(s).role())
        << "; leader " << c.leader();
    EXPECT_NE(c.leader(), s);
    const NodeId l2 = c.leader();
    ASSERT_TRUE(propose_ok(l2, "after"));
    ASSERT_TRUE(c.run_until([&] { return c.applied(s).size() == 4; }, 2s));
    EXPECT_EQ(c.applied(s)[0].command, "during-0");
    EXPECT_EQ(c.applied(s)[3].command, "after");
    EXPECT_TRUE(c.checker().ok());
  }
}

// @feature checkquorum prevote
// The same with PreVote and CheckQuorum both on, the term raised by a real
// campaign: the leader dies; server s wins pre-votes from f (which has no
// leader) but its real vote requests are lost, so its term climbs while f's
// does not. Then s is cut off, the old leader returns and f and it elect a
// leader of a lower term than s's and commit entries s lacks. When s
// returns it refuses their stale AppendEntries with its term; the cluster
// must converge on one leader of at least that term, and s cannot lead.
TEST_F(CheckQuorum, HigherTermPreCandidateIsFreedAfterHeal) {
  for (std::uint64_t seed : {1201, 1202, 1203}) {
    SimCluster& c = start(3, seed, settings_with(true, true));
    const NodeId l = elect();
    ASSERT_NE(l, kNoNode);
    const Term t = c.node(l).term();
    c.run_for(200ms);
    const NodeId s = others(c, l)[0];
    const NodeId f = others(c, l)[1];
    c.crash(l);
    c.set_filter([&](Message& m) {
      if (m.from == f) {
        auto* r = std::get_if<RequestVoteResponse>(&m.body);
        return r != nullptr && r->pre_vote;  // f only grants pre-votes
      }
      auto* rv = std::get_if<RequestVote>(&m.body);
      return !(m.from == s && rv != nullptr && !rv->pre_vote);  // s's real vote requests are lost
    });
    ASSERT_TRUE(c.run_until([&] { return c.node(s).term() >= t + 3; }, 5s));
    EXPECT_EQ(c.node(f).term(), t);
    c.isolate(s);
    c.set_filter(nullptr);
    c.restart(l);
    ASSERT_TRUE(c.run_until([&] { return c.node(l).is_leader() || c.node(f).is_leader(); }, 3s));
    const NodeId l2 = c.node(l).is_leader() ? l : f;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(propose_ok(l2, "during-" + std::to_string(i)));
    const Term stuck = c.node(s).term();
    EXPECT_GT(stuck, c.node(l2).term());
    c.heal();
    ASSERT_TRUE(c.run_until([&] { return converged(c) && c.node(c.leader()).term() >= stuck; }, 5s))
        << "stuck: server " << s << " term " << c.node(s).term() << " role " << role_name(c.node(s).role())
        << "; leader " << c.leader();
    EXPECT_NE(c.leader(), s);
    ASSERT_TRUE(propose_ok(c.leader(), "after"));
    ASSERT_TRUE(c.run_until([&] { return c.applied(s).size() == 4; }, 2s));
    EXPECT_EQ(c.applied(s)[3].command, "after");
    EXPECT_TRUE(c.checker().ok());
  }
}

}  // namespace
}  // namespace coraft::test
