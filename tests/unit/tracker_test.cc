// Unit tests for tracker::Progress (one follower's replication state) and
// tracker::ProgressTracker (all peers, votes, the configuration in effect).
#include "tracker/tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace coraft::tracker {
namespace {

using std::chrono::milliseconds;
using State = Progress::State;

constexpr std::uint32_t kMaxMsgs = 3;
constexpr std::uint64_t kMaxBytes = 1000;

coro::TimePoint at(int ms) { return coro::TimePoint{} + milliseconds(ms); }

TEST(Progress, ProbeSendsOneMessageUntilAnswered) {
  Progress p(2, 11);
  EXPECT_EQ(p.state(), State::kProbe);
  EXPECT_TRUE(p.can_send(kMaxMsgs, kMaxBytes));
  p.on_sent(15, 100, at(1));
  EXPECT_TRUE(p.probe_sent());
  EXPECT_FALSE(p.can_send(kMaxMsgs, kMaxBytes));
  EXPECT_EQ(p.next(), 11u) << "a probe does not move next";
  EXPECT_EQ(p.probe_sent_at(), at(1));
  p.clear_probe();
  EXPECT_TRUE(p.can_send(kMaxMsgs, kMaxBytes));
}

TEST(Progress, SuccessfulProbeAnswerStartsPipelining) {
  Progress p(2, 11);
  p.on_sent(15, 100, at(1));
  EXPECT_TRUE(p.on_success(15));
  EXPECT_EQ(p.state(), State::kReplicate);
  EXPECT_EQ(p.match(), 15u);
  EXPECT_EQ(p.next(), 16u);
  EXPECT_EQ(p.inflight_count(), 0u);
}

TEST(Progress, KeepaliveAckBelowNextDoesNotEndTheProbe) {
  // A keepalive asserts only prev = match; its ack (index 5 < next - 1)
  // says nothing about next - 1, so probing continues.
  Progress p(2, 11);
  EXPECT_TRUE(p.on_success(5));
  EXPECT_EQ(p.state(), State::kProbe);
  EXPECT_EQ(p.match(), 5u);
  EXPECT_EQ(p.next(), 11u);
}

TEST(Progress, WindowLimitsMessagesAndBytes) {
  Progress p(2, 1);
  p.on_success(0);  // probe answered at 0: replicate from 1
  ASSERT_EQ(p.state(), State::kReplicate);
  p.on_sent(3, 100, at(1));
  p.on_sent(6, 100, at(2));
  EXPECT_TRUE(p.can_send(kMaxMsgs, kMaxBytes));
  p.on_sent(9, 100, at(3));
  EXPECT_EQ(p.inflight_count(), 3u);
  EXPECT_EQ(p.next(), 10u);
  EXPECT_FALSE(p.can_send(kMaxMsgs, kMaxBytes)) << "three messages in flight";
  EXPECT_EQ(p.oldest_inflight_sent(), at(1));
  // The ack for the first two frees two slots.
  EXPECT_TRUE(p.on_success(6));
  EXPECT_EQ(p.inflight_count(), 1u);
  EXPECT_EQ(p.inflight_bytes(), 100u);
  EXPECT_TRUE(p.can_send(kMaxMsgs, kMaxBytes));
  // Bytes: one big message fills the window.
  p.on_sent(10, 2000, at(4));
  EXPECT_FALSE(p.can_send(kMaxMsgs, kMaxBytes)) << "bytes in flight over the cap";
}

TEST(Progress, StaleAckChangesNothing) {
  Progress p(2, 1);
  p.on_success(0);
  p.on_sent(5, 10, at(1));
  EXPECT_TRUE(p.on_success(5));
  EXPECT_FALSE(p.on_success(3));
  EXPECT_EQ(p.match(), 5u);
  EXPECT_EQ(p.next(), 6u);
}

TEST(Progress, RejectionReturnsToProbeButNeverBelowMatch) {
  Progress p(2, 1);
  p.on_success(0);
  p.on_sent(5, 10, at(1));
  p.on_success(5);
  p.on_sent(9, 10, at(2));
  // A rejection of prev 9 whose retry point lies below match is clamped to
  // match + 1: what matched once never needs sending again.
  EXPECT_TRUE(p.on_reject(9, 2));
  EXPECT_EQ(p.state(), State::kProbe);
  EXPECT_EQ(p.next(), 6u);
  EXPECT_EQ(p.inflight_count(), 0u);
}

TEST(Progress, StaleRejectionIsIgnored) {
  Progress p(2, 1);
  p.on_success(0);
  p.on_sent(8, 10, at(1));
  p.on_success(8);
  EXPECT_FALSE(p.on_reject(4, 3)) << "rejects an index below match: stale";
  EXPECT_EQ(p.state(), State::kReplicate);
  // In probe, only the answer to the probe in flight counts.
  Progress q(3, 11);
  q.on_sent(12, 10, at(1));
  EXPECT_FALSE(q.on_reject(7, 5)) << "not the probe we sent (prev 10)";
  EXPECT_TRUE(q.on_reject(10, 5));
  EXPECT_EQ(q.next(), 5u);
}

TEST(Progress, ResetToProbeRestartsFromMatch) {
  Progress p(2, 1);
  p.on_success(0);
  p.on_sent(4, 10, at(1));
  p.on_sent(8, 10, at(2));
  p.on_success(4);
  p.reset_to_probe();
  EXPECT_EQ(p.state(), State::kProbe);
  EXPECT_EQ(p.next(), 5u);
  EXPECT_EQ(p.inflight_count(), 0u);
  EXPECT_EQ(p.inflight_bytes(), 0u);
}

TEST(Progress, PendingReadBlocksSends) {
  Progress p(2, 1);
  p.set_read_pending(true);
  EXPECT_FALSE(p.can_send(kMaxMsgs, kMaxBytes));
  p.set_read_pending(false);
  EXPECT_TRUE(p.can_send(kMaxMsgs, kMaxBytes));
}

ProgressTracker three_voters() {
  ProgressTracker t;
  t.set_config(quorum::JointConfig(quorum::MajorityConfig({1, 2, 3})));
  return t;
}

TEST(ProgressTracker, LeadingCreatesOneProgressPerOtherMemberInOrder) {
  ProgressTracker t;
  t.set_config(quorum::JointConfig(quorum::MajorityConfig({3, 1, 2}), quorum::MajorityConfig({2, 4})));
  t.start_leading(1, 8, at(5));
  std::vector<NodeId> ids;
  for (const auto& p : t.peers()) {
    ids.push_back(p.id());
    EXPECT_EQ(p.next(), 8u);
    EXPECT_EQ(p.last_contact(), at(5));
  }
  EXPECT_EQ(ids, (std::vector<NodeId>{3, 2, 4}));
  EXPECT_EQ(t.get(1), nullptr) << "no progress for the leader itself";
  ASSERT_NE(t.get(4), nullptr);
  t.stop_leading();
  EXPECT_TRUE(t.peers().empty());
  EXPECT_EQ(t.get(3), nullptr);
}

TEST(ProgressTracker, CommittedCountsTheLeaderOnlyThroughItsDurableIndex) {
  ProgressTracker t = three_voters();
  t.start_leading(1, 11, at(0));
  t.get(2)->on_success(10);
  // Follower 2 has 10; the leader wrote through 12 but holds only 7 durably.
  EXPECT_EQ(t.committed(1, 7), 7u);
  EXPECT_EQ(t.committed(1, 12), 10u);
  t.get(3)->on_success(12);
  EXPECT_EQ(t.committed(1, 7), 10u) << "2 and 3 form the quorum without the leader";
}

TEST(ProgressTracker, QuorumActiveCountsRecentContact) {
  ProgressTracker t = three_voters();
  t.start_leading(1, 1, at(0));
  const coro::Duration window = milliseconds(100);
  EXPECT_TRUE(t.quorum_active(1, at(50), window)) << "grace period from start_leading";
  EXPECT_FALSE(t.quorum_active(1, at(100), window));
  t.get(3)->touch(at(90));
  EXPECT_TRUE(t.quorum_active(1, at(150), window));
  EXPECT_FALSE(t.quorum_active(1, at(190), window));
}

TEST(ProgressTracker, VotesAreOnePerVoter) {
  ProgressTracker t = three_voters();
  EXPECT_TRUE(t.record_vote(1, true));
  EXPECT_EQ(t.tally(), quorum::VoteResult::kPending);
  EXPECT_FALSE(t.record_vote(1, true)) << "a duplicate changes nothing";
  EXPECT_EQ(t.tally(), quorum::VoteResult::kPending);
  EXPECT_FALSE(t.record_vote(9, true)) << "not a voter";
  EXPECT_EQ(t.tally(), quorum::VoteResult::kPending);
  EXPECT_TRUE(t.record_vote(2, false));
  EXPECT_FALSE(t.record_vote(1, false)) << "a grant is never taken back";
  EXPECT_TRUE(t.record_vote(3, true));
  EXPECT_EQ(t.tally(), quorum::VoteResult::kWon);
  EXPECT_EQ(t.granted_count(), 2u);
  t.reset_votes();
  EXPECT_EQ(t.tally(), quorum::VoteResult::kPending);
  t.record_vote(2, false);
  t.record_vote(3, false);
  EXPECT_EQ(t.tally(), quorum::VoteResult::kLost);
}

TEST(ProgressTracker, NewConfigurationKeepsTheProgressOfMembersThatStay) {
  ProgressTracker t = three_voters();
  t.start_leading(1, 5, at(0));
  t.get(2)->on_success(4);
  t.set_config(quorum::JointConfig(quorum::MajorityConfig({1, 2, 4})));
  ASSERT_NE(t.get(2), nullptr);
  EXPECT_EQ(t.get(2)->match(), 4u);
  EXPECT_EQ(t.get(3), nullptr) << "a member that left loses its progress";
  EXPECT_TRUE(t.is_voter(4));
  EXPECT_FALSE(t.is_voter(3));
}

}  // namespace
}  // namespace coraft::tracker
