// The protocol messages, as plain values.
//
// Every message travels one way. A response is just another message; the
// node never waits for one. Transports may drop, delay, duplicate or reorder
// messages: the protocol tolerates all of it.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "coraft/types.h"

namespace coraft {

// §5.2 RequestVote, and the thesis §9.6 PreVote request (pre_vote = true).
// For a pre-vote, `term` is the term the sender would campaign in; the
// receiver does not adopt it.
struct RequestVote {
  Term term = 0;
  Index last_log_index = 0;
  Term last_log_term = 0;
  bool pre_vote = false;
  friend bool operator==(const RequestVote&, const RequestVote&) = default;
};

struct RequestVoteResponse {
  // The responder's term; for a granted pre-vote, the term of the request.
  Term term = 0;
  bool granted = false;
  bool pre_vote = false;
  friend bool operator==(const RequestVoteResponse&, const RequestVoteResponse&) = default;
};

// §5.3 AppendEntries; with no entries it is a heartbeat.
struct AppendEntries {
  Term term = 0;
  Index prev_log_index = 0;
  Term prev_log_term = 0;
  Index leader_commit = 0;
  std::vector<Entry> entries;
  friend bool operator==(const AppendEntries&, const AppendEntries&) = default;
};

struct AppendEntriesResponse {
  Term term = 0;
  bool success = false;
  // On success: the last index the follower now holds durably that matches
  // the request (prev_log_index + number of entries).
  // On failure: the prev_log_index that was rejected.
  Index match_index = 0;
  // On failure, fast backtracking: the largest index <= min(rejected
  // prev_log_index, follower's last index) whose term is <= the request's
  // prev_log_term, and the follower's term there (0 when none).
  Index hint_index = 0;
  Term hint_term = 0;
  friend bool operator==(const AppendEntriesResponse&, const AppendEntriesResponse&) = default;
};

using MessageBody = std::variant<RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse>;

struct Message {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  MessageBody body;
  // The sender's cluster identity (cluster_fingerprint of its initial
  // configuration), set by the sending node. A node drops, counts and
  // reports a message whose cluster is not its own.
  std::uint64_t cluster = 0;
  friend bool operator==(const Message&, const Message&) = default;
};

// The term a message carries (every message carries one, §5.1).
Term message_term(const Message& m);
// A short name: "RequestVote", "PreVote", "AppendEntries", ...
const char* message_name(const Message& m);

}  // namespace coraft
