// Wing & Gong / Lowe linearizability search over per-key register histories.
// See linearizability.h for the model and the overall approach.
#include "sim/linearizability.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coraft::sim {
namespace {

using Kind = KvOp::Kind;

std::string quote(const std::string& s) {
  constexpr std::size_t kMax = 40;
  if (s.size() <= kMax) return "\"" + s + "\"";
  return "\"" + s.substr(0, kMax) + "...\"";
}

std::string time_str(std::int64_t t) { return t == Operation::kUnknown ? "?" : std::to_string(t); }

std::uint64_t mix(std::uint64_t h) {  // splitmix64 finalizer
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return h;
}

// ---------------------------------------------------------------------------
// Memo of visited configurations, with subsumption.
//
// A configuration is a "base" (register state and the set of linearized known-outcome
// ops, encoded as uint32 words) plus the set U of unknown-outcome ops already used. For
// one base, a configuration with a smaller U dominates one with a larger U: it can do
// everything the other can (unknown ops are never obliged to take effect). So a
// configuration is skipped when a recorded one has the same base and a subset of its U,
// and recording one drops the recorded ones it dominates.
//
// Layout, for memory: records live in a chunked uint32 arena (no reallocation copies).
//   base record: [length, head_lo, head_hi, words...]  head: first U node, or kEmptyU
//                when the recorded antichain is just {∅} (always, without unknown ops)
//   U node:      [next_lo, next_hi, length, words...]  (U as uint32 words)
// The open-addressing table holds one uint64 per slot: the top kTagBits of the base's
// hash (which also choose its slot, so growing rarely rereads the arena) and 1 + its
// offset.
class Memo {
 public:
  // Must precede insert(): `max_words` bounds the length of any base or U inserted.
  void init(std::size_t max_words) {
    chunk_shift_ = 14;  // 64 KiB chunks: cheap for small histories, few for large ones
    while ((std::size_t{1} << chunk_shift_) < max_words + 3) ++chunk_shift_;
    chunk_words_ = std::size_t{1} << chunk_shift_;
  }

  // Records (base, u) unless dominated; returns whether it was recorded. `u` is a set of
  // unknown ops as uint32 words, with no trailing zero uint64 (so lengths are even).
  bool insert(const std::vector<std::uint32_t>& base, const std::vector<std::uint32_t>& u) {
    if (slots_.empty()) {
      slots_bits_ = 10;
      slots_.assign(std::size_t{1} << slots_bits_, 0);
    }
    const std::uint64_t h = hash(base);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h >> (64 - slots_bits_);
    for (; slots_[i] != 0; i = (i + 1) & mask) {
      if ((slots_[i] & kTagMask) == (h & kTagMask) && equals(slots_[i] & kOffsetMask, base)) break;
    }
    if (slots_[i] != 0) {
      const std::uint64_t b = (slots_[i] & kOffsetMask) - 1;
      std::uint64_t head = get64(b + 1);
      if (head == kEmptyU) return false;
      // Dominated by a recorded subset? Otherwise drop the recorded supersets.
      for (std::uint64_t n = head; n != kNil; n = get64(n)) {
        if (includes(u, n, true)) return false;
      }
      std::uint64_t link = b + 1;  // where the pointer to the current node is stored
      for (std::uint64_t n = head; n != kNil; n = get64(n)) {
        if (includes(u, n, false)) {
          set64(link, get64(n));
        } else {
          link = n;
        }
      }
      head = get64(b + 1);
      set64(b + 1, u.empty() ? kEmptyU : add_node(u, head));
    } else {
      const std::uint64_t b = alloc(base.size() + 3);
      word(b) = static_cast<std::uint32_t>(base.size());
      std::copy(base.begin(), base.end(), &word(b + 3));
      set64(b + 1, u.empty() ? kEmptyU : add_node(u, kNil));
      slots_[i] = (h & kTagMask) | (b + 1);
      if (++bases_ * 2 > slots_.size()) grow();
    }
    ++size_;
    return true;
  }
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint64_t kNil = ~std::uint64_t{0};
  static constexpr std::uint64_t kEmptyU = kNil - 1;
  static constexpr unsigned kTagBits = 28;
  static constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << (64 - kTagBits)) - 1;
  static constexpr std::uint64_t kTagMask = ~kOffsetMask;

  std::uint32_t& word(std::uint64_t offset) {
    return chunks_[offset >> chunk_shift_][offset & (chunk_words_ - 1)];
  }
  const std::uint32_t& word(std::uint64_t offset) const {
    return chunks_[offset >> chunk_shift_][offset & (chunk_words_ - 1)];
  }
  std::uint64_t get64(std::uint64_t offset) const {
    return word(offset) | (static_cast<std::uint64_t>(word(offset + 1)) << 32);
  }
  void set64(std::uint64_t offset, std::uint64_t v) {
    word(offset) = static_cast<std::uint32_t>(v);
    word(offset + 1) = static_cast<std::uint32_t>(v >> 32);
  }
  // Space for n words, contiguous (records never straddle chunks).
  std::uint64_t alloc(std::size_t n) {
    if (chunks_.empty() || used_ + n > chunk_words_) {
      chunks_.push_back(std::make_unique_for_overwrite<std::uint32_t[]>(chunk_words_));
      used_ = 0;
    }
    const std::uint64_t offset = (chunks_.size() - 1) * chunk_words_ + used_;
    used_ += n;
    return offset;
  }
  std::uint64_t add_node(const std::vector<std::uint32_t>& u, std::uint64_t next) {
    const std::uint64_t n = alloc(u.size() + 3);
    set64(n, next);
    word(n + 2) = static_cast<std::uint32_t>(u.size());
    std::copy(u.begin(), u.end(), &word(n + 3));
    return n;
  }
  // recorded_in_u: node ⊆ u; otherwise u ⊆ node.
  bool includes(const std::vector<std::uint32_t>& u, std::uint64_t node, bool recorded_in_u) const {
    const std::size_t len = word(node + 2);
    const std::uint32_t* r = &word(node + 3);
    if (recorded_in_u) {
      if (len > u.size()) return false;  // the recorded set's last uint64 is nonzero
      for (std::size_t w = 0; w < len; ++w) {
        if ((r[w] & ~u[w]) != 0) return false;
      }
    } else {
      if (u.size() > len) return false;
      for (std::size_t w = 0; w < u.size(); ++w) {
        if ((u[w] & ~r[w]) != 0) return false;
      }
    }
    return true;
  }

  static std::uint64_t hash(const std::uint32_t* key, std::size_t n) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    for (std::size_t i = 0; i < n; ++i) {
      h = (h ^ key[i]) * 0xFF51AFD7ED558CCDULL;
      h ^= h >> 29;
    }
    return mix(h);
  }
  static std::uint64_t hash(const std::vector<std::uint32_t>& key) { return hash(key.data(), key.size()); }

  bool equals(std::uint64_t slot_offset, const std::vector<std::uint32_t>& key) const {
    const std::uint64_t b = slot_offset - 1;
    return word(b) == key.size() && std::equal(key.begin(), key.end(), &word(b + 3));
  }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    ++slots_bits_;
    slots_.assign(old.size() * 2, 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::uint64_t s : old) {
      if (s == 0) continue;
      std::uint64_t h = s;  // the tag is the top of the hash
      if (slots_bits_ > kTagBits) {
        const std::uint64_t b = (s & kOffsetMask) - 1;
        h = hash(&word(b + 3), word(b));
      }
      std::size_t i = h >> (64 - slots_bits_);
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  unsigned chunk_shift_ = 0;
  std::size_t chunk_words_ = 0;  // 1 << chunk_shift_
  std::vector<std::unique_ptr<std::uint32_t[]>> chunks_;
  std::size_t used_ = 0;  // in the last chunk
  std::vector<std::uint64_t> slots_;
  unsigned slots_bits_ = 0;  // slots_.size() == 1 << slots_bits_
  std::size_t bases_ = 0;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------
// One key's operations, with values interned to small integers.
struct KeyOp {
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::size_t index = 0;  // position in the caller's history
  Kind kind = Kind::kGet;
  bool known = false;
  bool cas_ok = false;
  std::uint32_t ordinal = 0;   // rank (by call) among this key's known, or unknown, ops
  std::uint32_t value = 0;     // put / cas: the value written
  std::uint32_t expected = 0;  // cas: the expected value
  std::uint32_t read = 0;      // known get: the value read
  // Unknown ops: ordinal of the previous unknown op that is identical for the model
  // (same kind, expected and written value ids), or kNone.
  std::uint32_t prev_in_group = kNone;
};

struct KeyResult {
  bool ok = true;
  bool gave_up = false;
  std::size_t explored = 0;
  std::string explanation;
};

class KeySearch {
 public:
  KeySearch(const std::string& key, const std::vector<Operation>& history, std::vector<std::size_t> indices,
            std::size_t budget)
      : key_(key), history_(history), budget_(budget) {
    build_ops(std::move(indices));
    build_lists();
    memo_.init(std::max<std::size_t>(n_known_ + 4, 2 * unknown_lin_.size()));
  }

  // The search. Candidates for the next linearization point are the known ops whose
  // call entry precedes the first pending response entry (tried first, in call order),
  // then the unknown ops called no later than that response. Reaching the end of the
  // candidates is a dead end: undo the last step and try its next alternative.
  KeyResult run() {
    KeyResult r;
    if (known_remaining_ == 0) return r;
    bool in_unknown = false;              // which candidate list the cursor walks
    std::int32_t cur = next_[at(head_)];  // main-list entry, or unknown-list position
    std::int64_t boundary = 0;            // time of the first pending response
    std::int32_t blocked = kNil;          // that response's entry
    bool tried_junk_put = false;          // see below
    while (true) {
      if (!in_unknown) {
        const Entry& en = entries_[at(cur)];
        if (en.is_call) {
          if (try_linearize(en.op, Frame{false, cur, state_, write_from_, 0, kNil, false}, r)) {
            if (r.gave_up || known_remaining_ == 0) return finish(r);
            cur = next_[at(head_)];
          } else {
            cur = next_[at(cur)];
          }
          continue;
        }
        boundary = en.time;  // the cursor stops at a response (known ops remain)
        blocked = cur;
        in_unknown = true;
        tried_junk_put = false;
        collect_needs(blocked, boundary);
        cur = unext_[at(uhead_)];
        continue;
      }
      if (cur != kNil && history_[ops_[unknown_[at(cur)]].index].call <= boundary) {
        // Unknown puts of values nobody will compare against any more are all alike, and
        // the earliest one can stand in for any other, so only that one is tried.
        const bool junk_put = is_junk_put(unknown_[at(cur)]);
        if (junk_put && tried_junk_put) {
          cur = unext_[at(cur)];
          continue;
        }
        const Frame f{true, cur, state_, write_from_, boundary, blocked, tried_junk_put};
        tried_junk_put = tried_junk_put || junk_put;
        if (try_linearize(unknown_[at(cur)], f, r)) {
          if (r.gave_up) return finish(r);
          in_unknown = false;
          cur = next_[at(head_)];
        } else {
          cur = unext_[at(cur)];
        }
        continue;
      }
      // Dead end: the op whose response is `blocked` cannot be linearized here.
      note_dead_end(blocked, boundary);
      if (stack_.empty()) {
        r.ok = false;
        r.explanation = explain();
        return finish(r);
      }
      const Frame f = stack_.back();
      stack_.pop_back();
      undo(f);
      in_unknown = f.unknown;
      boundary = f.boundary;
      blocked = f.blocked;
      tried_junk_put = f.unknown && (f.tried_junk_put || is_junk_put(unknown_[at(f.pos)]));
      if (f.unknown) collect_needs(blocked, boundary);
      cur = f.unknown ? unext_[at(f.pos)] : next_[at(f.pos)];
    }
  }

 private:
  static constexpr std::int32_t kNil = -1;
  static std::size_t at(std::int32_t i) { return static_cast<std::size_t>(i); }

  struct Entry {
    std::int64_t time = 0;
    bool is_call = false;
    std::uint32_t op = 0;       // index into ops_
    std::int32_t match = kNil;  // call entry: its response entry
  };
  struct Frame {
    bool unknown;              // pos is in the unknown list (else the main list)
    std::int32_t pos;          // where the linearized op sits in its list
    std::uint32_t state;       // model state before it
    std::uint32_t write_from;  // write_from_ before it
    std::int64_t boundary;     // unknown list only: the scan bound when it was chosen
    std::int32_t blocked;      //   and the response entry at that bound,
    bool tried_junk_put;       //   and whether the scan had passed a junk put
  };

  KeyResult& finish(KeyResult& r) const {
    r.explored = memo_.size();
    return r;
  }

  // Values that some operation compares against: read by a known get, or expected by a
  // cas. All other values behave identically in the model (they differ from every
  // compared value), so they share one id, kJunk; this merges equivalent states.
  // Likewise, once every known op comparing against a value is linearized (and no
  // unknown cas expects it), that value has become indistinguishable from kJunk: see
  // canon().
  static constexpr std::uint32_t kJunk = 0;
  std::uint32_t intern(const std::string& v) const {
    auto it = values_.find(v);
    return it == values_.end() ? kJunk : it->second;
  }
  void observe(const std::string& v) {
    values_.try_emplace(v, static_cast<std::uint32_t>(values_.size() + 1));
  }

  void build_ops(std::vector<std::size_t> indices) {
    std::stable_sort(indices.begin(), indices.end(),
                     [&](std::size_t a, std::size_t b) { return history_[a].call < history_[b].call; });
    for (std::size_t idx : indices) {
      const Operation& h = history_[idx];
      if (h.op.kind == Kind::kCas) observe(h.op.expected);
      if (h.op.kind == Kind::kGet && h.outcome) observe(h.outcome->value);
    }
    state_ = intern("");
    pending_observers_.assign(values_.size() + 1, 0);
    pinned_.assign(values_.size() + 1, false);
    std::uint32_t n_known = 0, n_unknown = 0;
    std::map<std::tuple<Kind, std::uint32_t, std::uint32_t>, std::uint32_t> last_in_group;
    for (std::size_t idx : indices) {
      const Operation& h = history_[idx];
      KeyOp o;
      o.index = idx;
      o.kind = h.op.kind;
      o.known = h.outcome.has_value();
      if (!o.known && o.kind == Kind::kGet) continue;  // no effect, no constraint
      o.ordinal = o.known ? n_known++ : n_unknown++;
      switch (o.kind) {
        case Kind::kPut: o.value = intern(h.op.value); break;
        case Kind::kGet: o.read = intern(h.outcome->value); break;
        case Kind::kCas:
          o.value = intern(h.op.value);
          o.expected = intern(h.op.expected);
          o.cas_ok = o.known && h.outcome->cas_ok;
          break;
      }
      if (o.known && o.kind == Kind::kGet) ++pending_observers_[o.read];
      if (o.known && o.kind == Kind::kCas) ++pending_observers_[o.expected];
      if (!o.known && o.kind == Kind::kCas) pinned_[o.expected] = true;
      if (!o.known) {
        auto [it, first] = last_in_group.try_emplace({o.kind, o.expected, o.value}, o.ordinal);
        if (!first) {
          o.prev_in_group = it->second;
          it->second = o.ordinal;
        }
        unknown_.push_back(static_cast<std::uint32_t>(ops_.size()));
      }
      ops_.push_back(o);
    }
    n_known_ = n_known;
    known_remaining_ = n_known;
    known_lin_.assign((n_known + 63) / 64, 0);
    unknown_lin_.assign((n_unknown + 63) / 64, 0);
  }

  // The main list holds the call and response entries of known ops in time order (at
  // equal times calls first: touching intervals are concurrent). The unknown list holds
  // the unknown ops in call order. Both are doubly linked with a sentinel at the end.
  void build_lists() {
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      if (!ops_[i].known) continue;
      const Operation& h = history_[ops_[i].index];
      entries_.push_back(Entry{h.call, true, i, kNil});
      entries_.push_back(Entry{h.ret, false, i, kNil});
    }
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      if (a.time != b.time) return a.time < b.time;
      return a.is_call && !b.is_call;
    });
    std::vector<std::int32_t> call_of(ops_.size(), kNil);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].is_call) {
        call_of[entries_[i].op] = static_cast<std::int32_t>(i);
      } else {
        entries_[at(call_of[entries_[i].op])].match = static_cast<std::int32_t>(i);
      }
    }
    head_ = link_sequence(entries_.size(), next_, prev_);
    uhead_ = link_sequence(unknown_.size(), unext_, uprev_);
  }

  static std::int32_t link_sequence(std::size_t n, std::vector<std::int32_t>& next,
                                    std::vector<std::int32_t>& prev) {
    const auto head = static_cast<std::int32_t>(n);
    next.assign(n + 1, kNil);
    prev.assign(n + 1, kNil);
    std::int32_t last = head;
    for (std::size_t i = 0; i < n; ++i) {
      next[at(last)] = static_cast<std::int32_t>(i);
      prev[i] = last;
      last = static_cast<std::int32_t>(i);
    }
    return head;
  }
  static void unlink(std::int32_t e, std::vector<std::int32_t>& next, std::vector<std::int32_t>& prev) {
    next[at(prev[at(e)])] = next[at(e)];
    if (next[at(e)] != kNil) prev[at(next[at(e)])] = prev[at(e)];
  }
  static void relink(std::int32_t e, std::vector<std::int32_t>& next, std::vector<std::int32_t>& prev) {
    next[at(prev[at(e)])] = e;
    if (next[at(e)] != kNil) prev[at(next[at(e)])] = e;
  }

  // Applies op `o` to the current state if it may be linearized next. Besides the
  // model itself, unknown writes are only placed where they are needed (see the header):
  // an unknown write must be immediately followed by an op that observes it, which is a
  // get of the written value, a cas expecting it, or a failing known cas that could not
  // fail without it (one expecting the value before the write).
  bool step(const KeyOp& o, std::uint32_t& next_state, std::uint32_t& next_from) const {
    if (write_from_ != 0) {
      if (o.kind == Kind::kPut) return false;
      if (o.known && o.kind == Kind::kCas && !o.cas_ok && o.expected != write_from_ - 1) return false;
    }
    next_state = state_;
    next_from = 0;
    if (o.known) {
      switch (o.kind) {
        case Kind::kPut: next_state = o.value; return true;
        case Kind::kGet: return state_ == o.read;
        case Kind::kCas:
          if (o.cas_ok) {
            if (state_ != o.expected) return false;
            next_state = o.value;
            return true;
          }
          return state_ != o.expected;
      }
      return false;
    }
    // Model-identical unknown ops are interchangeable, and an earlier one can take effect
    // wherever a later one can, so they are only ever used in call order.
    if (o.prev_in_group != KeyOp::kNone && !get_bit(unknown_lin_, o.prev_in_group)) return false;
    const std::uint32_t cur = canon(state_);
    const std::uint32_t written = canon(o.value);
    if (cur == written) return false;  // changes nothing
    if (o.kind == Kind::kCas && cur != o.expected) return false;
    if (o.kind == Kind::kGet) return false;  // dropped in build_ops
    // Needed by one of the current candidates?
    if (std::find(wanted_.begin(), wanted_.end(), written) == wanted_.end() &&
        std::find(failing_.begin(), failing_.end(), cur) == failing_.end()) {
      return false;
    }
    next_state = o.value;
    next_from = cur + 1;
    return true;
  }

  // For the current configuration, whose candidates end at response entry `blocked`
  // (time `boundary`): the values candidates could read or swap from (wanted_), and the
  // expected values of candidate known cas ops that failed (failing_).
  void collect_needs(std::int32_t blocked, std::int64_t boundary) {
    wanted_.clear();
    failing_.clear();
    for (std::int32_t e = next_[at(head_)]; e != blocked && e != kNil; e = next_[at(e)]) {
      const Entry& en = entries_[at(e)];
      if (!en.is_call) continue;
      const KeyOp& c = ops_[en.op];
      if (c.kind == Kind::kGet) wanted_.push_back(c.read);
      if (c.kind == Kind::kCas) (c.cas_ok ? wanted_ : failing_).push_back(c.expected);
    }
    for (std::int32_t u = unext_[at(uhead_)];
         u != kNil && history_[ops_[unknown_[at(u)]].index].call <= boundary; u = unext_[at(u)]) {
      const KeyOp& c = ops_[unknown_[at(u)]];
      if (c.kind == Kind::kCas) wanted_.push_back(c.expected);
    }
  }

  // Linearizes ops_[op] next if the model allows it and the resulting configuration is
  // not subsumed by a visited one; `f` is the frame to undo it.
  bool try_linearize(std::uint32_t op, const Frame& f, KeyResult& r) {
    const KeyOp& o = ops_[op];
    std::uint32_t next_state = 0;
    std::uint32_t next_from = 0;
    if (!step(o, next_state, next_from)) return false;
    mark(o, true);
    encode_base(next_state, next_from);
    std::size_t u_len = unknown_lin_.size();
    while (u_len > 0 && unknown_lin_[u_len - 1] == 0) --u_len;
    u_words_.clear();
    for (std::size_t w = 0; w < u_len; ++w) {
      u_words_.push_back(static_cast<std::uint32_t>(unknown_lin_[w]));
      u_words_.push_back(static_cast<std::uint32_t>(unknown_lin_[w] >> 32));
    }
    if (!memo_.insert(base_, u_words_)) {
      mark(o, false);
      return false;
    }
    if (memo_.size() > budget_) {
      r.gave_up = true;
      r.explanation = "key " + quote(key_) + ": search budget of " + std::to_string(budget_) +
                      " states exhausted; linearizability not proven";
      return true;
    }
    stack_.push_back(f);
    state_ = next_state;
    write_from_ = next_from;
    if (f.unknown) {
      unlink(f.pos, unext_, uprev_);
    } else {
      unlink(f.pos, next_, prev_);
      unlink(entries_[at(f.pos)].match, next_, prev_);
      --known_remaining_;
    }
    return true;
  }

  void undo(const Frame& f) {
    std::uint32_t op = 0;
    if (f.unknown) {
      relink(f.pos, unext_, uprev_);
      op = unknown_[at(f.pos)];
    } else {
      relink(entries_[at(f.pos)].match, next_, prev_);
      relink(f.pos, next_, prev_);
      op = entries_[at(f.pos)].op;
      ++known_remaining_;
    }
    mark(ops_[op], false);
    state_ = f.state;
    write_from_ = f.write_from;
  }

  static void set_bit(std::vector<std::uint64_t>& bits, std::uint32_t i, bool v) {
    const std::uint64_t m = std::uint64_t{1} << (i % 64);
    if (v) {
      bits[i / 64] |= m;
    } else {
      bits[i / 64] &= ~m;
    }
  }
  static bool get_bit(const std::vector<std::uint64_t>& bits, std::uint32_t i) {
    return ((bits[i / 64] >> (i % 64)) & 1) != 0;
  }

  bool is_junk_put(std::uint32_t op) const {
    return ops_[op].kind == Kind::kPut && canon(ops_[op].value) == kJunk;
  }

  // `v` if some op may still compare against it, else kJunk (equivalent from now on).
  // Known ops compare only against values they pin themselves until linearized, so the
  // model may use canonical and real ids interchangeably for them.
  std::uint32_t canon(std::uint32_t v) const {
    return v != kJunk && (pending_observers_[v] > 0 || pinned_[v]) ? v : kJunk;
  }

  void mark(const KeyOp& o, bool linearized) {
    if (!o.known) {
      set_bit(unknown_lin_, o.ordinal, linearized);
      return;
    }
    if (o.kind == Kind::kGet) pending_observers_[o.read] += linearized ? -1 : 1;
    if (o.kind == Kind::kCas) pending_observers_[o.expected] += linearized ? -1 : 1;
    set_bit(known_lin_, o.ordinal, linearized);
    if (linearized && o.ordinal == first_unlinearized_) {
      while (first_unlinearized_ < n_known_ && get_bit(known_lin_, first_unlinearized_))
        ++first_unlinearized_;
    } else if (!linearized && o.ordinal < first_unlinearized_) {
      first_unlinearized_ = o.ordinal;
    }
  }

  // The base of a configuration: state, write_from_, the first unlinearized known op K, and
  // the linearized known ops above K (few: they all overlap K).
  void encode_base(std::uint32_t state, std::uint32_t from) {
    base_.clear();
    base_.push_back(canon(state));
    base_.push_back(from);
    base_.push_back(first_unlinearized_);
    for (std::size_t w = first_unlinearized_ / 64; w < known_lin_.size(); ++w) {
      std::uint64_t bits = known_lin_[w];
      if (w == first_unlinearized_ / 64) bits &= ~std::uint64_t{0} << (first_unlinearized_ % 64);
      while (bits != 0) {
        base_.push_back(
            static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
        bits &= bits - 1;
      }
    }
  }

  // Remembers the deepest dead end, to explain a violation.
  void note_dead_end(std::int32_t blocked, std::int64_t boundary) {
    if (have_dead_end_ && stack_.size() <= dead_end_.depth) return;
    have_dead_end_ = true;
    DeadEnd& d = dead_end_;
    d.depth = stack_.size();
    d.blocked = entries_[at(blocked)].op;
    d.value = "";
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      const KeyOp& o = ops_[frame_op(*it)];
      if (o.kind == Kind::kPut || (o.kind == Kind::kCas && (o.cas_ok || !o.known))) {
        d.value = history_[o.index].op.value;
        break;
      }
    }
    d.recent.clear();
    for (std::size_t i = stack_.size() - std::min<std::size_t>(stack_.size(), 3); i < stack_.size(); ++i) {
      d.recent.push_back(frame_op(stack_[i]));
    }
    d.candidates.clear();
    d.more_candidates = 0;
    auto add = [&](std::uint32_t op) {
      if (d.candidates.size() < 6) {
        d.candidates.push_back(op);
      } else {
        ++d.more_candidates;
      }
    };
    for (std::int32_t e = next_[at(head_)]; e != blocked && e != kNil; e = next_[at(e)]) {
      if (entries_[at(e)].is_call && entries_[at(e)].op != d.blocked) add(entries_[at(e)].op);
    }
    for (std::int32_t u = unext_[at(uhead_)];
         u != kNil && history_[ops_[unknown_[at(u)]].index].call <= boundary; u = unext_[at(u)]) {
      add(unknown_[at(u)]);
    }
  }

  std::uint32_t frame_op(const Frame& f) const {
    return f.unknown ? unknown_[at(f.pos)] : entries_[at(f.pos)].op;
  }

  std::string op_str(std::uint32_t op) const {
    return "#" + std::to_string(ops_[op].index) + " " + describe(history_[ops_[op].index]);
  }

  std::string explain() const {
    std::string s = "key " + quote(key_) + ": not linearizable";
    if (!have_dead_end_) return s;
    const DeadEnd& d = dead_end_;
    s += " (longest partial linearization: " + std::to_string(d.depth) + " of " +
         std::to_string(ops_.size()) + " ops).\n  cannot linearize " + op_str(d.blocked) +
         " by its response at " + time_str(history_[ops_[d.blocked].index].ret) +
         "; value at that point: " + quote(d.value);
    if (!d.recent.empty()) {
      s += "\n  last linearized:";
      for (std::uint32_t op : d.recent) s += "\n    " + op_str(op);
    }
    if (!d.candidates.empty()) {
      s += "\n  other pending ops:";
      for (std::uint32_t op : d.candidates) s += "\n    " + op_str(op);
      if (d.more_candidates > 0) s += "\n    ... and " + std::to_string(d.more_candidates) + " more";
    }
    return s;
  }

  const std::string& key_;
  const std::vector<Operation>& history_;
  const std::size_t budget_;

  std::vector<KeyOp> ops_;                                 // this key's ops, by call
  std::unordered_map<std::string, std::uint32_t> values_;  // observed values -> id >= 1
  std::vector<std::uint32_t> unknown_;                     // ops_ indices of unknown ops
  std::vector<std::int32_t> pending_observers_;  // per value: unlinearized known ops comparing to it
  std::vector<bool> pinned_;                     // per value: some unknown cas expects it

  std::vector<Entry> entries_;
  std::vector<std::int32_t> next_, prev_, unext_, uprev_;
  std::int32_t head_ = 0, uhead_ = 0;

  // Search state.
  std::uint32_t state_ = 0;
  // After an unknown write: 1 + the (canonical) value it overwrote; else 0.
  std::uint32_t write_from_ = 0;
  std::vector<std::uint32_t> wanted_, failing_;  // see collect_needs
  std::uint32_t n_known_ = 0;
  std::uint32_t known_remaining_ = 0;
  std::uint32_t first_unlinearized_ = 0;  // lowest known ordinal not linearized
  std::vector<std::uint64_t> known_lin_, unknown_lin_;
  std::vector<Frame> stack_;
  Memo memo_;
  std::vector<std::uint32_t> base_, u_words_;

  struct DeadEnd {
    std::size_t depth = 0;
    std::uint32_t blocked = 0;
    std::string value;  // the register's value there
    std::vector<std::uint32_t> recent;
    std::vector<std::uint32_t> candidates;
    std::size_t more_candidates = 0;
  };
  bool have_dead_end_ = false;
  DeadEnd dead_end_;
};

}  // namespace

std::string describe(const Operation& o) {
  std::string s = "client " + std::to_string(o.client) + " ";
  switch (o.op.kind) {
    case Kind::kPut: s += "put(" + o.op.key + ", " + quote(o.op.value) + ")"; break;
    case Kind::kGet: s += "get(" + o.op.key + ")"; break;
    case Kind::kCas:
      s += "cas(" + o.op.key + ", " + quote(o.op.expected) + " -> " + quote(o.op.value) + ")";
      break;
  }
  if (!o.outcome) {
    s += " -> ?";
  } else if (o.op.kind == Kind::kGet) {
    s += " -> " + quote(o.outcome->value);
  } else if (o.op.kind == Kind::kCas) {
    s += o.outcome->cas_ok ? " -> ok" : " -> failed";
  }
  s += " [" + time_str(o.call) + ", " + (o.outcome ? time_str(o.ret) : std::string("?")) + "]";
  return s;
}

CheckResult check_linearizable(const std::vector<Operation>& history, std::size_t max_states_per_key) {
  CheckResult result;
  std::map<std::string, std::vector<std::size_t>> by_key;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Operation& o = history[i];
    if (o.outcome && o.ret < o.call) {
      result.linearizable = false;
      result.explanation =
          "malformed history: #" + std::to_string(i) + " " + describe(o) + " responds before its call";
      return result;
    }
    by_key[o.op.key].push_back(i);
  }
  std::vector<std::string> gave_up_on;
  for (auto& [key, indices] : by_key) {
    KeySearch search(key, history, std::move(indices), max_states_per_key);
    KeyResult r = search.run();
    result.states_explored += r.explored;
    if (r.gave_up) {
      result.gave_up = true;
      gave_up_on.push_back(std::move(r.explanation));
    }
    if (!r.ok) {
      result.linearizable = false;
      result.explanation = std::move(r.explanation);
      return result;
    }
  }
  for (std::string& g : gave_up_on) {
    if (!result.explanation.empty()) result.explanation += "\n";
    result.explanation += g;
  }
  return result;
}

}  // namespace coraft::sim
