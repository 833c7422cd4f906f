// Execution traces of a simulated cluster, and renderers that turn them into
// Markdown tables, Mermaid and PlantUML sequence diagrams, and JSON lines.
//
//   SimOptions o;
//   o.trace = TraceMode::kKeep;     // or set CORAFT_TRACE=<dir> for any test
//   SimCluster c(o);
//   ... run ...
//   std::string md = render_markdown(c.trace().events());
//
// Every event carries the global virtual time, the step of the run, and a
// snapshot of every server's state after the event, so a renderer can show
// what changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "coraft/coro/executor.h"
#include "coraft/messages.h"
#include "coraft/types.h"

namespace coraft::testing {

struct NodeSnapshot {
  NodeId id = kNoNode;
  bool up = false;
  bool paused = false;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId vote = kNoNode;
  NodeId leader = kNoNode;
  Index last_index = 0;
  Term last_term = 0;
  Index commit = 0;
  Index applied = 0;
  friend bool operator==(const NodeSnapshot&, const NodeSnapshot&) = default;
};

enum class TraceKind : std::uint8_t {
  kSend,          // a message left `node` for `peer`
  kDeliver,       // a message reached `peer` (from `node`)
  kDrop,          // a message was lost (loss, partition, filter, down receiver)
  kDuplicate,     // the network will deliver a message twice
  kRole,          // `node` changed role
  kTerm,          // `node` adopted a new term without changing role
  kLeader,        // `node` learned of a new leader (or lost it)
  kTimeout,       // `node`'s election timer expired and it campaigns
  kVote,          // `node` durably voted for `peer`
  kAppend,        // entries became durable in `node`'s log
  kTruncate,      // `node` durably removed a conflicting suffix
  kCommit,        // `node`'s commit index advanced
  kApply,         // `node`'s state machine applied a command
  kCrash,         // the process of `node` died
  kRestart,       // `node` started again over its durable log
  kPause,         // `node` stopped running (its messages wait)
  kResume,        // `node` runs again
  kPartition,     // the network was split (text lists the groups or the block)
  kHeal,          // every partition and block removed
  kPropose,       // a client proposed a command to `node`
  kClientResult,  // a proposal completed (text says how)
  kNote,          // free text from the test
};

const char* trace_kind_name(TraceKind kind);

struct TraceEvent {
  std::uint64_t step = 0;
  coro::TimePoint time{};
  TraceKind kind = TraceKind::kNote;
  NodeId node = kNoNode;
  NodeId peer = kNoNode;
  std::string text;
  std::vector<NodeSnapshot> nodes;  // every server, after the event
};

// A short human description of a message, e.g.
// "AppendEntries t3 prev 4/2 [5..6] commit 4".
std::string describe(const Message& m);

class TraceRecorder {
 public:
  // Keep events in memory (off by default: only the hash is maintained).
  void set_keep(bool keep) { keep_ = keep; }
  bool keep() const { return keep_; }
  void record(TraceEvent e);
  const std::vector<TraceEvent>& events() const { return events_; }
  std::size_t count() const { return count_; }
  // A hash of every event recorded (kept or not): two runs with equal
  // hashes did the same things at the same times in the same order.
  std::uint64_t hash() const { return hash_; }
  void clear();

 private:
  bool keep_ = false;
  std::vector<TraceEvent> events_;
  std::size_t count_ = 0;
  std::uint64_t hash_ = 14695981039346656037ull;
};

// A window of events, by position in the vector: [first, last).
struct TraceWindow {
  std::size_t first = 0;
  std::size_t last = std::numeric_limits<std::size_t>::max();
};

// One row per event, one column per server; fields that changed since the
// previous row are in bold.
std::string render_markdown(const std::vector<TraceEvent>& events, TraceWindow window = {});
// Deliveries and drops as arrows, state changes and faults as notes.
std::string render_mermaid(const std::vector<TraceEvent>& events, TraceWindow window = {});
std::string render_plantuml(const std::vector<TraceEvent>& events, TraceWindow window = {});
// One JSON object per line, with every server's snapshot.
std::string render_jsonl(const std::vector<TraceEvent>& events, TraceWindow window = {});

}  // namespace coraft::testing
