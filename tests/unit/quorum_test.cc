// Table tests for quorum::MajorityConfig and quorum::JointConfig, in the
// style of etcd raft's quorum/ tests: every row is a configuration, the
// acknowledged indexes (or votes) of its voters, and the expected result.
#include "quorum/quorum.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace coraft::quorum {
namespace {

std::string describe(const std::vector<NodeId>& ids) {
  std::string s = "{";
  for (NodeId id : ids) s += std::to_string(id) + " ";
  return s + "}";
}

// Acked index per voter: missing voters have acknowledged nothing (0).
auto acked_from(const std::map<NodeId, Index>& m) {
  return [&m](NodeId id) -> Index {
    auto it = m.find(id);
    return it == m.end() ? 0 : it->second;
  };
}

// Votes per voter: 'y' yes, 'n' no, anything else (or missing) no answer.
auto votes_from(const std::map<NodeId, char>& m) {
  return [&m](NodeId id) -> std::optional<bool> {
    auto it = m.find(id);
    if (it == m.end() || (it->second != 'y' && it->second != 'n')) return std::nullopt;
    return it->second == 'y';
  };
}

TEST(Quorum, MajorityOfEachSize) {
  // §5.2: more than half. Even sizes need strictly more than half as well.
  const std::vector<std::pair<std::size_t, std::size_t>> rows = {{1, 1}, {2, 2}, {3, 2}, {4, 3},
                                                                 {5, 3}, {6, 4}, {7, 4}, {8, 5}};
  for (auto [n, want] : rows) {
    std::vector<NodeId> ids;
    for (std::size_t i = 1; i <= n; ++i) ids.push_back(i);
    EXPECT_EQ(MajorityConfig(ids).majority(), want) << "n=" << n;
  }
  EXPECT_EQ(MajorityConfig().majority(), 0u);
}

TEST(Quorum, MajorityCommittedIndex) {
  struct Row {
    std::vector<NodeId> voters;
    std::map<NodeId, Index> acked;
    Index want;
  };
  const std::vector<Row> rows = {
      // One voter: its own index.
      {{1}, {}, 0},
      {{1}, {{1, 12}}, 12},
      // Two voters: both must have it (the smaller).
      {{1, 2}, {{1, 12}}, 0},
      {{1, 2}, {{1, 12}, {2, 5}}, 5},
      // Three: the middle value.
      {{1, 2, 3}, {{1, 12}}, 0},
      {{1, 2, 3}, {{1, 12}, {2, 5}}, 5},
      {{1, 2, 3}, {{1, 12}, {2, 5}, {3, 6}}, 6},
      {{1, 2, 3}, {{1, 5}, {2, 5}, {3, 6}}, 5},
      {{1, 2, 3}, {{1, 7}, {2, 7}, {3, 7}}, 7},
      // Four: three of four (an even size needs more than half).
      {{1, 2, 3, 4}, {{1, 10}, {2, 10}}, 0},
      {{1, 2, 3, 4}, {{1, 10}, {2, 10}, {3, 4}}, 4},
      {{1, 2, 3, 4}, {{1, 10}, {2, 9}, {3, 8}, {4, 1}}, 8},
      // Five: three of five.
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}}, 0},
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}, {3, 7}}, 7},
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}, {3, 7}, {4, 7}, {5, 1}}, 7},
      // Six: four of six.
      {{1, 2, 3, 4, 5, 6}, {{1, 9}, {2, 8}, {3, 7}}, 0},
      {{1, 2, 3, 4, 5, 6}, {{1, 9}, {2, 8}, {3, 7}, {4, 6}, {5, 6}}, 6},
      // Order of the voters does not matter.
      {{3, 1, 2}, {{1, 12}, {2, 5}, {3, 6}}, 6},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(MajorityConfig(r.voters).committed_index(acked_from(r.acked)), r.want) << describe(r.voters);
  }
}

TEST(Quorum, MajorityCommittedIndexBeyondTheInlineBuffer) {
  std::vector<NodeId> ids;
  std::map<NodeId, Index> acked;
  for (NodeId i = 1; i <= 21; ++i) {
    ids.push_back(i);
    acked[i] = 100 + i;  // 101..121: the 11th highest of 21 is 111
  }
  EXPECT_EQ(MajorityConfig(ids).committed_index(acked_from(acked)), 111u);
}

TEST(Quorum, EmptyMajorityCommitsEverythingAndWinsEveryVote) {
  const MajorityConfig empty;
  std::map<NodeId, Index> none;
  EXPECT_EQ(empty.committed_index(acked_from(none)), kMaxIndex);
  std::map<NodeId, char> no_votes;
  EXPECT_EQ(empty.vote_result(votes_from(no_votes)), VoteResult::kWon);
}

TEST(Quorum, MajorityVoteResult) {
  struct Row {
    std::vector<NodeId> voters;
    std::map<NodeId, char> votes;
    VoteResult want;
  };
  using V = VoteResult;
  const std::vector<Row> rows = {
      {{1}, {}, V::kPending},
      {{1}, {{1, 'y'}}, V::kWon},
      {{1}, {{1, 'n'}}, V::kLost},
      {{1, 2}, {{1, 'y'}}, V::kPending},
      {{1, 2}, {{1, 'y'}, {2, 'y'}}, V::kWon},
      {{1, 2}, {{1, 'y'}, {2, 'n'}}, V::kLost},  // two voters: one no decides
      {{1, 2, 3}, {{1, 'y'}}, V::kPending},
      {{1, 2, 3}, {{1, 'y'}, {2, 'n'}}, V::kPending},
      {{1, 2, 3}, {{1, 'y'}, {2, 'y'}}, V::kWon},
      {{1, 2, 3}, {{1, 'y'}, {2, 'n'}, {3, 'n'}}, V::kLost},
      {{1, 2, 3, 4}, {{1, 'y'}, {2, 'y'}}, V::kPending},  // half is not a majority
      {{1, 2, 3, 4}, {{1, 'y'}, {2, 'y'}, {3, 'n'}}, V::kPending},
      {{1, 2, 3, 4}, {{1, 'y'}, {2, 'y'}, {3, 'n'}, {4, 'n'}}, V::kLost},
      {{1, 2, 3, 4}, {{1, 'y'}, {2, 'y'}, {3, 'y'}}, V::kWon},
      {{1, 2, 3, 4, 5}, {{1, 'y'}, {2, 'y'}, {3, 'n'}, {4, 'n'}}, V::kPending},
      {{1, 2, 3, 4, 5}, {{1, 'y'}, {2, 'y'}, {3, 'n'}, {4, 'n'}, {5, 'n'}}, V::kLost},
      {{1, 2, 3, 4, 5}, {{1, 'y'}, {2, 'y'}, {3, 'y'}}, V::kWon},
      {{1, 2, 3, 4, 5, 6}, {{1, 'y'}, {2, 'y'}, {3, 'y'}}, V::kPending},
      {{1, 2, 3, 4, 5, 6}, {{1, 'y'}, {2, 'y'}, {3, 'y'}, {4, 'y'}}, V::kWon},
      {{1, 2, 3, 4, 5, 6}, {{1, 'n'}, {2, 'n'}, {3, 'n'}}, V::kLost},
      // Answers from outside the configuration are not counted.
      {{1, 2, 3}, {{1, 'y'}, {7, 'y'}, {8, 'y'}}, V::kPending},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(MajorityConfig(r.voters).vote_result(votes_from(r.votes)), r.want)
        << describe(r.voters) << " got "
        << vote_result_name(MajorityConfig(r.voters).vote_result(votes_from(r.votes)));
  }
}

TEST(Quorum, JointCommittedIndexIsTheSmallerOfTheHalves) {
  struct Row {
    std::vector<NodeId> incoming;
    std::vector<NodeId> outgoing;
    std::map<NodeId, Index> acked;
    Index want;
  };
  const std::vector<Row> rows = {
      // Without an outgoing half, joint is the incoming majority alone.
      {{1, 2, 3}, {}, {{1, 12}, {2, 5}, {3, 6}}, 6},
      // Same voters in both halves: the same result.
      {{1, 2, 3}, {1, 2, 3}, {{1, 12}, {2, 5}, {3, 6}}, 6},
      // Disjoint halves: each needs its own majority.
      {{1, 2, 3}, {4, 5, 6}, {{1, 12}, {2, 12}, {3, 12}}, 0},
      {{1, 2, 3}, {4, 5, 6}, {{1, 12}, {2, 12}, {4, 3}, {5, 4}}, 3},
      // Overlapping (replace 3 by 4): {1,2,4} and {1,2,3}.
      {{1, 2, 4}, {1, 2, 3}, {{1, 9}, {4, 9}}, 0},
      {{1, 2, 4}, {1, 2, 3}, {{1, 9}, {2, 2}, {4, 9}}, 2},
      {{1, 2, 4}, {1, 2, 3}, {{1, 9}, {3, 8}, {4, 9}}, 8},
      // One voter against three.
      {{1}, {1, 2, 3}, {{1, 10}, {2, 4}}, 4},
      {{1, 2, 3}, {1}, {{1, 10}, {2, 4}}, 4},
  };
  for (const Row& r : rows) {
    const JointConfig c{MajorityConfig(r.incoming), MajorityConfig(r.outgoing)};
    EXPECT_EQ(c.committed_index(acked_from(r.acked)), r.want) << describe(r.incoming) << describe(r.outgoing);
  }
}

TEST(Quorum, JointVoteNeedsBothHalves) {
  struct Row {
    std::vector<NodeId> incoming;
    std::vector<NodeId> outgoing;
    std::map<NodeId, char> votes;
    VoteResult want;
  };
  using V = VoteResult;
  const std::vector<Row> rows = {
      {{1, 2, 3}, {}, {{1, 'y'}, {2, 'y'}}, V::kWon},
      {{1, 2, 3}, {4, 5, 6}, {{1, 'y'}, {2, 'y'}}, V::kPending},
      {{1, 2, 3}, {4, 5, 6}, {{1, 'y'}, {2, 'y'}, {4, 'y'}, {5, 'y'}}, V::kWon},
      // Lost in one half is lost, whatever the other says.
      {{1, 2, 3}, {4, 5, 6}, {{1, 'y'}, {2, 'y'}, {3, 'y'}, {4, 'n'}, {5, 'n'}}, V::kLost},
      {{1, 2, 3}, {4, 5, 6}, {{1, 'n'}, {2, 'n'}, {4, 'y'}, {5, 'y'}, {6, 'y'}}, V::kLost},
      // Overlap: 1 and 2 form a majority of both.
      {{1, 2, 4}, {1, 2, 3}, {{1, 'y'}, {2, 'y'}}, V::kWon},
      {{1, 2, 4}, {1, 2, 3}, {{1, 'y'}, {4, 'y'}}, V::kPending},
      {{1, 2, 4}, {1, 2, 3}, {{1, 'y'}, {4, 'y'}, {2, 'n'}, {3, 'n'}}, V::kLost},
      {{1, 2, 4}, {1, 2, 3}, {{1, 'y'}, {4, 'y'}, {3, 'y'}}, V::kWon},
  };
  for (const Row& r : rows) {
    const JointConfig c{MajorityConfig(r.incoming), MajorityConfig(r.outgoing)};
    EXPECT_EQ(c.vote_result(votes_from(r.votes)), r.want) << describe(r.incoming) << describe(r.outgoing);
  }
}

TEST(Quorum, JointContainsEitherHalf) {
  const JointConfig c{MajorityConfig({1, 2}), MajorityConfig({3})};
  EXPECT_TRUE(c.joint());
  EXPECT_TRUE(c.contains(1));
  EXPECT_TRUE(c.contains(3));
  EXPECT_FALSE(c.contains(4));
  EXPECT_FALSE(JointConfig{MajorityConfig({1})}.joint());
}

}  // namespace
}  // namespace coraft::quorum
