#include "coraft/messages.h"

#include <variant>

namespace coraft {

namespace {

const char* body_name(const RequestVote& b) { return b.pre_vote ? "PreVote" : "RequestVote"; }
const char* body_name(const RequestVoteResponse& b) {
  return b.pre_vote ? "PreVoteResponse" : "RequestVoteResponse";
}
const char* body_name(const AppendEntries&) { return "AppendEntries"; }
const char* body_name(const AppendEntriesResponse&) { return "AppendEntriesResponse"; }

}  // namespace

Term message_term(const Message& m) {
  return std::visit([](const auto& body) -> Term { return body.term; }, m.body);
}

const char* message_name(const Message& m) {
  return std::visit([](const auto& body) { return body_name(body); }, m.body);
}

}  // namespace coraft
