// LogAPI: where a server keeps its Raft log and its durable state.
//
// Implement it over any store: a file, an embedded KV store, or the tables of
// the application's own SQL database (inside its own transactions). coraft
// ships MemoryLog (coraft/assist/memory_log.h) as a reference and for tests.
//
// Calling contract, for every method:
//  - Called on the node's executor, one call at a time: a call starts only
//    after the previous one (of any method) completed. An implementation
//    needs no locking of its own against the node.
//  - Arguments are passed by value and belong to the implementation.
//  - "Durable" means: survives a crash of the process (and of the machine,
//    for a production store) once the returned task completes.
//  - Throwing (from the coroutine) means the store is unusable: the node
//    stops safely and reports the error (io_error) through status().error
//    and a kFailed event; during RaftNode::start() it is start()'s result.
//    Never return half-done work: a method either completes fully or throws.
#pragma once

#include <cstdint>
#include <vector>

#include "coraft/coro/task.h"
#include "coraft/types.h"

namespace coraft {

// What a LogAPI holds when the node starts.
struct LogState {
  HardState hard_state;
  // The first and last index in the log. An empty log has last_index = 0 and
  // first_index = 1 (later, after compaction: last_index = first_index - 1).
  Index first_index = 1;
  Index last_index = 0;
};

class LogAPI {
 public:
  virtual ~LogAPI() = default;

  // Called once when the node starts, before any other method.
  virtual coro::Task<LogState> load() = 0;

  // Persists the current term and vote (Figure 2). Called whenever either
  // changes, before any message that depends on them is sent. Durable before
  // the task completes.
  virtual coro::Task<void> save_hard_state(HardState state) = 0;

  // Appends `entries` at the end of the log. The entries are contiguous and
  // entries.front().index == last_index + 1 (after any truncate_suffix the
  // node asked for first). Never empty. Durable before the task completes:
  // a follower acknowledges entries only after this returned, and a leader
  // counts itself toward a quorum only after it.
  virtual coro::Task<void> append(std::vector<Entry> entries) = 0;

  // Deletes every entry with index >= `from` (a conflicting suffix, §5.3).
  // `from` is always above the commit index. Must be durable no later than
  // the next append() completes; the simplest implementation makes it
  // durable before returning.
  virtual coro::Task<void> truncate_suffix(Index from) = 0;

  // Returns the entries with indexes in [from, to), in order, at least one
  // entry when from < to, and may stop early once max_bytes of entry data
  // have been returned. Precondition: first_index <= from <= to <= last+1.
  virtual coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) = 0;
};

}  // namespace coraft
