// The node's in-memory view of its log: the term of every index (as runs of
// equal terms, so lookups never touch LogAPI), the configuration entries, and
// a cache of entry contents at the tail.
//
// The view always reflects every change the node has queued for LogAPI,
// whether or not LogAPI has made it durable yet.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "coraft/config.h"
#include "coraft/types.h"

namespace coraft::node {

class LogView {
 public:
  // An empty log whose next index is `first` (1 for a new log).
  void reset(Index first);

  Index first_index() const { return first_; }
  Index last_index() const { return last_; }
  Term last_term() const { return runs_.empty() ? prev_term_ : runs_.back().term; }
  bool empty() const { return last_ < first_; }

  // The term at `i`: 0 for i == 0, the term of the entry for first <= i <=
  // last; nullopt otherwise (beyond the log, or compacted away).
  std::optional<Term> term_at(Index i) const;
  // The first index holding `term` among [first, upto], or 0.
  Index first_index_of_term(Term term, Index upto) const;
  // The last index holding `term`, or 0 when the log holds no such entry.
  Index last_index_of_term(Term term) const;

  // Appends an entry (index must be last + 1). Cached when `cache` is true
  // and the cache is contiguous with the tail.
  void append(Entry entry, bool cache);
  // Records an entry's term (and config) without caching it (startup scan).
  void append_meta(const Entry& entry);
  // Removes every entry with index >= from.
  void truncate_from(Index from);

  // The cached entry at i, or nullptr.
  const Entry* cached(Index i) const;
  Index cache_first() const { return cache_first_; }
  // What the cache holds in memory: each entry's own size and its payload's
  // footprint (bytes and bookkeeping), whether or not others share it.
  std::uint64_t cache_bytes() const { return cache_bytes_; }
  static std::uint64_t cost(const Entry& e) { return sizeof(Entry) + e.data.footprint(); }
  // Drops cached entries with index <= upto, oldest first, while the cache
  // holds more than `budget` bytes.
  void evict(Index upto, std::uint64_t budget);

  // The latest configuration in the log (thesis §4.1: used as soon as it is
  // in the log, committed or not), and its index.
  const ClusterConfig& config() const { return configs_.back().second; }
  Index config_index() const { return configs_.empty() ? 0 : configs_.back().first; }
  bool has_config() const { return !configs_.empty(); }
  // The earliest configuration the log holds (entry 1's for a log that
  // starts at 1: the cluster's initial configuration).
  const ClusterConfig& first_config() const { return configs_.front().second; }

 private:
  struct Run {
    Index first;
    Term term;
  };

  Index first_ = 1;
  Index last_ = 0;
  Term prev_term_ = 0;  // term of first_ - 1 (0 for a new log)
  std::vector<Run> runs_;
  std::deque<Entry> cache_;
  Index cache_first_ = 1;  // index of cache_.front(); last_ + 1 when empty
  std::uint64_t cache_bytes_ = 0;
  std::vector<std::pair<Index, ClusterConfig>> configs_;
};

}  // namespace coraft::node
