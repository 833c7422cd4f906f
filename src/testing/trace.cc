#include "coraft/testing/trace.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>

namespace coraft::testing {

const char* trace_kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSend: return "send";
    case TraceKind::kDeliver: return "deliver";
    case TraceKind::kDrop: return "drop";
    case TraceKind::kDuplicate: return "duplicate";
    case TraceKind::kRole: return "role";
    case TraceKind::kTerm: return "term";
    case TraceKind::kLeader: return "leader";
    case TraceKind::kTimeout: return "timeout";
    case TraceKind::kVote: return "vote";
    case TraceKind::kAppend: return "append";
    case TraceKind::kTruncate: return "truncate";
    case TraceKind::kCommit: return "commit";
    case TraceKind::kApply: return "apply";
    case TraceKind::kCrash: return "crash";
    case TraceKind::kRestart: return "restart";
    case TraceKind::kPause: return "pause";
    case TraceKind::kResume: return "resume";
    case TraceKind::kPartition: return "partition";
    case TraceKind::kHeal: return "heal";
    case TraceKind::kPropose: return "propose";
    case TraceKind::kClientResult: return "result";
    case TraceKind::kNote: return "note";
  }
  return "unknown";
}

namespace {

std::string range_text(const std::vector<Entry>& entries) {
  if (entries.empty()) return "";
  std::string s = " [" + std::to_string(entries.front().index);
  if (entries.size() > 1) s += ".." + std::to_string(entries.back().index);
  return s + "]";
}

}  // namespace

std::string describe(const Message& m) {
  struct Visitor {
    std::string operator()(const RequestVote& v) const {
      return std::string(v.pre_vote ? "PreVote" : "RequestVote") + " t" + std::to_string(v.term) + " last " +
             std::to_string(v.last_log_index) + "/" + std::to_string(v.last_log_term);
    }
    std::string operator()(const RequestVoteResponse& r) const {
      return std::string(r.pre_vote ? "PreVote" : "Vote") + (r.granted ? " granted" : " denied") + " t" +
             std::to_string(r.term);
    }
    std::string operator()(const AppendEntries& a) const {
      std::string s = a.entries.empty() ? "Heartbeat" : "AppendEntries";
      s += " t" + std::to_string(a.term) + " prev " + std::to_string(a.prev_log_index) + "/" +
           std::to_string(a.prev_log_term) + range_text(a.entries) + " commit " +
           std::to_string(a.leader_commit);
      return s;
    }
    std::string operator()(const AppendEntriesResponse& r) const {
      if (r.success) return "Ack t" + std::to_string(r.term) + " match " + std::to_string(r.match_index);
      return "Nack t" + std::to_string(r.term) + " prev " + std::to_string(r.match_index) + " hint " +
             std::to_string(r.hint_index) + "/" + std::to_string(r.hint_term);
    }
  };
  return std::visit(Visitor{}, m.body);
}

void TraceRecorder::record(TraceEvent e) {
  ++count_;
  auto mix = [this](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (v >> (8 * i)) & 0xff;
      hash_ *= 1099511628211ull;
    }
  };
  mix(e.step);
  mix(static_cast<std::uint64_t>(e.time.time_since_epoch().count()));
  mix(static_cast<std::uint64_t>(e.kind));
  mix(e.node);
  mix(e.peer);
  for (unsigned char c : e.text) mix(c);
  for (const NodeSnapshot& n : e.nodes) {
    mix(n.id);
    mix((n.up ? 1 : 0) | (n.paused ? 2 : 0) | static_cast<std::uint64_t>(n.role) << 2);
    mix(n.term);
    mix(n.vote);
    mix(n.leader);
    mix(n.last_index);
    mix(n.last_term);
    mix(n.commit);
    mix(n.applied);
  }
  if (keep_) events_.push_back(std::move(e));
}

void TraceRecorder::clear() {
  events_.clear();
  count_ = 0;
  hash_ = 14695981039346656037ull;
}

namespace {

std::string ms(coro::TimePoint t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000),
                static_cast<long long>(us % 1000));
  return buf;
}

std::string node_name(NodeId id) { return "N" + std::to_string(id); }

const char* role_letter(Role r) {
  switch (r) {
    case Role::kFollower: return "F";
    case Role::kPreCandidate: return "P";
    case Role::kCandidate: return "C";
    case Role::kLeader: return "L";
  }
  return "?";
}

std::string event_text(const TraceEvent& e) {
  switch (e.kind) {
    case TraceKind::kSend:
    case TraceKind::kDeliver:
    case TraceKind::kDrop:
    case TraceKind::kDuplicate:
      return node_name(e.node) + "→" + node_name(e.peer) + " " + trace_kind_name(e.kind) + ": " + e.text;
    default:
      return (e.node != kNoNode ? node_name(e.node) + " " : std::string()) + trace_kind_name(e.kind) +
             (e.text.empty() ? "" : ": " + e.text);
  }
}

std::string md_escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

std::string bold_if(bool changed, const std::string& s) { return changed ? "**" + s + "**" : s; }

std::string cell(const NodeSnapshot& n, const NodeSnapshot* prev) {
  if (!n.up) return prev && prev->up ? "**down**" : "down";
  const bool first = prev == nullptr || !prev->up;
  if (first) prev = &n;  // nothing to compare with: nothing is emphasised
  auto ch = [&](bool differs) { return !first && differs; };
  std::string s = bold_if(ch(n.role != prev->role || n.paused != prev->paused),
                          std::string(role_letter(n.role)) + (n.paused ? "⏸" : ""));
  s += " " + bold_if(ch(n.term != prev->term), "t" + std::to_string(n.term));
  if (n.vote != kNoNode) s += " " + bold_if(ch(n.vote != prev->vote), "v" + std::to_string(n.vote));
  s += " " + bold_if(ch(n.last_index != prev->last_index || n.last_term != prev->last_term),
                     std::to_string(n.last_index) + "@" + std::to_string(n.last_term));
  s += " " + bold_if(ch(n.commit != prev->commit), "c" + std::to_string(n.commit));
  s += " " + bold_if(ch(n.applied != prev->applied), "a" + std::to_string(n.applied));
  return s;
}

std::pair<std::size_t, std::size_t> clamp(const std::vector<TraceEvent>& events, TraceWindow w) {
  const std::size_t last = std::min(w.last, events.size());
  return {std::min(w.first, last), last};
}

std::string diagram_text(std::string s) {
  std::replace(s.begin(), s.end(), ';', ',');
  std::replace(s.begin(), s.end(), '#', ' ');
  return s;
}

// The notes a sequence diagram shows for an event; empty for none.
std::string note_text(const TraceEvent& e) {
  switch (e.kind) {
    case TraceKind::kRole: return e.text;
    case TraceKind::kTerm: return "term " + e.text;
    case TraceKind::kTimeout: return "election timeout: " + e.text;
    case TraceKind::kTruncate: return "truncates " + e.text;
    case TraceKind::kCommit: return "commit " + e.text;
    case TraceKind::kCrash: return "CRASH";
    case TraceKind::kRestart: return "restart";
    case TraceKind::kPause: return "paused";
    case TraceKind::kResume: return "resumed";
    case TraceKind::kPropose: return "client proposes " + e.text;
    case TraceKind::kClientResult: return "client gets " + e.text;
    case TraceKind::kNote: return e.text;
    default: return "";
  }
}

std::vector<NodeId> participants(const std::vector<TraceEvent>& events) {
  std::vector<NodeId> ids;
  if (!events.empty()) {
    for (const auto& n : events.front().nodes) ids.push_back(n.id);
  }
  return ids;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

std::string render_markdown(const std::vector<TraceEvent>& events, TraceWindow window) {
  const auto [first, last] = clamp(events, window);
  const std::vector<NodeId> ids = participants(events);
  std::string out = "| step | time (ms) | event |";
  for (NodeId id : ids) out += " " + node_name(id) + " |";
  out += "\n|---:|---:|---|";
  for (std::size_t i = 0; i < ids.size(); ++i) out += "---|";
  out += "\n";
  for (std::size_t k = first; k < last; ++k) {
    const TraceEvent& e = events[k];
    out += "| " + std::to_string(e.step) + " | " + ms(e.time) + " | " + md_escape(event_text(e)) + " |";
    for (std::size_t i = 0; i < e.nodes.size(); ++i) {
      const NodeSnapshot* prev =
          k > first && i < events[k - 1].nodes.size() ? &events[k - 1].nodes[i] : nullptr;
      out += " " + cell(e.nodes[i], prev) + " |";
    }
    out += "\n";
  }
  return out;
}

std::string render_mermaid(const std::vector<TraceEvent>& events, TraceWindow window) {
  const auto [first, last] = clamp(events, window);
  const std::vector<NodeId> ids = participants(events);
  std::string out = "sequenceDiagram\n";
  for (NodeId id : ids) out += "    participant " + node_name(id) + "\n";
  for (std::size_t k = first; k < last; ++k) {
    const TraceEvent& e = events[k];
    if (e.kind == TraceKind::kDeliver) {
      out += "    " + node_name(e.node) + "->>" + node_name(e.peer) + ": " + diagram_text(e.text) + "\n";
    } else if (e.kind == TraceKind::kDrop) {
      out +=
          "    " + node_name(e.node) + "-x" + node_name(e.peer) + ": " + diagram_text(e.text) + " (lost)\n";
    } else if (e.kind == TraceKind::kPartition || e.kind == TraceKind::kHeal) {
      if (!ids.empty()) {
        out += "    Note over " + node_name(ids.front()) + "," + node_name(ids.back()) + ": " +
               diagram_text(std::string(trace_kind_name(e.kind)) + (e.text.empty() ? "" : " " + e.text)) +
               "\n";
      }
    } else {
      const std::string note = note_text(e);
      if (!note.empty() && e.node != kNoNode) {
        out += "    Note over " + node_name(e.node) + ": " + diagram_text(note) + "\n";
      }
    }
  }
  return out;
}

std::string render_plantuml(const std::vector<TraceEvent>& events, TraceWindow window) {
  const auto [first, last] = clamp(events, window);
  const std::vector<NodeId> ids = participants(events);
  std::string out = "@startuml\n";
  for (NodeId id : ids) out += "participant " + node_name(id) + "\n";
  for (std::size_t k = first; k < last; ++k) {
    const TraceEvent& e = events[k];
    if (e.kind == TraceKind::kDeliver) {
      out += node_name(e.node) + " -> " + node_name(e.peer) + " : " + diagram_text(e.text) + "\n";
    } else if (e.kind == TraceKind::kDrop) {
      out += node_name(e.node) + " ->x " + node_name(e.peer) + " : " + diagram_text(e.text) + " (lost)\n";
    } else if (e.kind == TraceKind::kPartition || e.kind == TraceKind::kHeal) {
      if (!ids.empty()) {
        out += "note over " + node_name(ids.front()) + ", " + node_name(ids.back()) + " : " +
               diagram_text(std::string(trace_kind_name(e.kind)) + (e.text.empty() ? "" : " " + e.text)) +
               "\n";
      }
    } else {
      const std::string note = note_text(e);
      if (!note.empty() && e.node != kNoNode)
        out += "note over " + node_name(e.node) + " : " + diagram_text(note) + "\n";
    }
  }
  out += "@enduml\n";
  return out;
}

std::string render_jsonl(const std::vector<TraceEvent>& events, TraceWindow window) {
  const auto [first, last] = clamp(events, window);
  std::string out;
  for (std::size_t k = first; k < last; ++k) {
    const TraceEvent& e = events[k];
    out += "{\"step\":" + std::to_string(e.step) +
           ",\"time_ns\":" + std::to_string(e.time.time_since_epoch().count()) + ",\"kind\":\"" +
           trace_kind_name(e.kind) + "\",\"node\":" + std::to_string(e.node) +
           ",\"peer\":" + std::to_string(e.peer) + ",\"text\":\"" + json_escape(e.text) + "\",\"nodes\":[";
    for (std::size_t i = 0; i < e.nodes.size(); ++i) {
      const NodeSnapshot& n = e.nodes[i];
      if (i) out += ",";
      out += "{\"id\":" + std::to_string(n.id) + ",\"up\":" + (n.up ? "true" : "false") +
             ",\"paused\":" + (n.paused ? "true" : "false") + ",\"role\":\"" + role_name(n.role) +
             "\",\"term\":" + std::to_string(n.term) + ",\"vote\":" + std::to_string(n.vote) +
             ",\"leader\":" + std::to_string(n.leader) + ",\"last_index\":" + std::to_string(n.last_index) +
             ",\"last_term\":" + std::to_string(n.last_term) + ",\"commit\":" + std::to_string(n.commit) +
             ",\"applied\":" + std::to_string(n.applied) + "}";
    }
    out += "]}\n";
  }
  return out;
}

}  // namespace coraft::testing
