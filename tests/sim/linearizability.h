// Linearizability checker for key-value client histories.
//
// The checker decides whether a concurrent history of put / get / compare-and-set
// operations on string keys could have been produced by a single atomic map, given
// each operation's invocation and response times (Herlihy & Wing linearizability).
//
// Algorithm: Wing & Gong's search with Lowe's memoization, as used by Knossos and
// Porcupine.
//  * P-compositionality: a history is linearizable iff every per-key sub-history is,
//    so each key is checked on its own, as a single register.
//  * Per key, the calls and responses form a time-ordered doubly linked list. The
//    search repeatedly linearizes an operation whose call precedes every pending
//    response, backtracking when no candidate fits before the earliest pending
//    response. Every visited configuration (set of linearized operations, register
//    value) is remembered, so no configuration is explored twice.
//  * Operations whose outcome is unknown (Knossos "info" operations) may take effect at
//    any time after their call, or never; their results are unconstrained, so an
//    unknown get is simply dropped. Left alone they blow the search up (each stays a
//    candidate forever), so the search only considers canonical linearizations, into
//    which any linearization can be rewritten by dropping or reordering unknown ops:
//      - an unknown write is placed only immediately before an op that observes it: a
//        get of the written value, a cas expecting it, or a failing cas that expected
//        the overwritten value (anything else could go first, or a put overwrites it);
//      - unknown ops that are identical for the model are used in call order;
//      - values that no remaining op compares against are interchangeable: register
//        states holding them are merged, and of the unknown puts writing them only the
//        earliest-called is tried;
//      - a configuration is not explored if one with the same linearized known ops and
//        state but a subset of the used unknown ops was (it can do all the other can).
//    These reductions are cross-checked against brute-force enumeration in the tests.
//
// Register model (per key): starts absent, and reads as "" while absent (so absent and
// the empty string are indistinguishable).
//   put(v)              sets the value to v.
//   get()               returns the current value.
//   cas(expected, v)    if the current value == expected: sets v, cas_ok = true;
//                       otherwise changes nothing, cas_ok = false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace coraft::sim {

struct KvOp {
  enum class Kind { kPut, kGet, kCas };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;     // put: the value written; cas: the new value
  std::string expected;  // cas: the expected current value

  static KvOp put(std::string key, std::string value) {
    return KvOp{Kind::kPut, std::move(key), std::move(value), {}};
  }
  static KvOp get(std::string key) { return KvOp{Kind::kGet, std::move(key), {}, {}}; }
  static KvOp cas(std::string key, std::string expected, std::string value) {
    return KvOp{Kind::kCas, std::move(key), std::move(value), std::move(expected)};
  }
};

struct KvOutcome {
  std::string value;    // get: the value read ("" when the key is absent); unused otherwise
  bool cas_ok = false;  // cas: whether the swap happened; unused otherwise
};

struct Operation {
  // Response time of an operation whose outcome is unknown.
  static constexpr std::int64_t kUnknown = std::numeric_limits<std::int64_t>::max();

  int client = 0;  // informational only (used in explanations)
  KvOp op;
  std::int64_t call = 0;        // invocation time, any monotonic unit
  std::int64_t ret = kUnknown;  // response time; kUnknown when the outcome is unknown
  // nullopt: the outcome is unknown (timed out, client crashed). The operation may have
  // taken effect at any time after `call`, or not at all; `ret` is then ignored.
  // Otherwise the operation took effect exactly once, between `call` and `ret`
  // (inclusive; operations whose intervals touch are concurrent). A known outcome with
  // ret == kUnknown is allowed and means "took effect at some time after call".
  std::optional<KvOutcome> outcome;
};

struct CheckResult {
  // False only when a violation was proven. True when every key was proven
  // linearizable, or when the search gave up on some key without finding a violation
  // (then gave_up is set and the result is NOT a proof).
  bool linearizable = true;
  // Keys are checked in sorted order and checking stops at the first violating key.
  // When not linearizable: the key, the operation that could not be linearized, the
  // register value reached by the deepest partial linearization, and the operations
  // that were candidates at that point. When gave_up: the key(s) given up on.
  // Malformed input (a known operation with ret < call) is reported as not linearizable.
  std::string explanation;
  std::size_t states_explored = 0;  // memoized configurations, summed over keys
  bool gave_up = false;             // the per-key state budget was exhausted somewhere
};

// Checks `history` (any order; operations on different keys are independent). Each key
// may explore at most `max_states_per_key` configurations before the checker gives up
// on that key. Memory is freed key by key and grows with the configurations explored,
// typically 20-100 bytes each (so the default budget bounds a key at about 1 GB; a
// search costs roughly 1 s per million configurations). Histories a correct system
// produces are usually accepted after ~10 configurations per operation; proving a
// violation explores everything reachable before it, e.g. ~150k configurations and
// 0.1 s for 2,000 ops by 8 concurrent clients. Many repeated values, long operations
// and many unknown outcomes make the search harder.
CheckResult check_linearizable(const std::vector<Operation>& history,
                               std::size_t max_states_per_key = 10'000'000);

// One-line human-readable rendering of an operation, as used in explanations, e.g.
// `client 2 cas(k, "a" -> "b") -> ok [10, 25]` or `client 1 put(k, "x") -> ? [7, ?]`.
std::string describe(const Operation& op);

}  // namespace coraft::sim
