// Wire format, version 2. Every integer is a canonical LEB128 varint (at most
// 10 bytes, no redundant high zero groups); bools and enums are one byte.
//
//   message := 'C' 'R' version kind from to cluster body
//     kind 0 RequestVote           := term last_log_index last_log_term pre_vote
//     kind 1 RequestVoteResponse   := term granted pre_vote
//     kind 2 AppendEntries         := term prev_log_index prev_log_term leader_commit
//                                     count entry{count}
//            entry                 := term index type length data{length}
//     kind 3 AppendEntriesResponse := term success match_index hint_index hint_term
//
//   config  := 'C' 'C' version count voter{count} pre_vote check_quorum
//              election_timeout_min election_timeout_max heartbeat_interval
//              max_entries_per_message max_bytes_per_message
//              max_inflight_messages max_inflight_bytes name_length name
//     Durations are milliseconds, encoded as the varint of their 64-bit two's
//     complement (so a negative value, although invalid, still round-trips).
//
// Because varints must be canonical and nothing may follow the last field, an
// input that decodes re-encodes to exactly the same bytes.
#include "coraft/codec.h"

#include <bit>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace coraft {

namespace {

constexpr char kMessageMagic[2] = {'C', 'R'};
constexpr char kConfigMagic[2] = {'C', 'C'};
constexpr std::uint8_t kConfigVersion = 2;
constexpr int kMaxVarintBytes = 10;
// An entry with empty data: one byte each for term, index, type and length.
constexpr std::size_t kMinEntryBytes = 4;

// The kind byte is the index of the body in MessageBody; it is part of the
// wire format, so reordering the variant must not go unnoticed.
enum Kind : std::uint8_t {
  kRequestVote = 0,
  kRequestVoteResponse = 1,
  kAppendEntries = 2,
  kAppendEntriesResponse = 3,
};
template <std::size_t I, typename T>
constexpr bool kKindIs = std::is_same_v<std::variant_alternative_t<I, MessageBody>, T>;
static_assert(std::variant_size_v<MessageBody> == 4, "a new message kind needs a kind byte and a codec");
static_assert(kKindIs<kRequestVote, RequestVote> && kKindIs<kRequestVoteResponse, RequestVoteResponse> &&
                  kKindIs<kAppendEntries, AppendEntries> &&
                  kKindIs<kAppendEntriesResponse, AppendEntriesResponse>,
              "MessageBody's order is the wire format's kind byte");

using DurationRep = std::chrono::milliseconds::rep;
static_assert(std::is_signed_v<DurationRep> && std::numeric_limits<DurationRep>::digits == 63,
              "durations are encoded as 64-bit two's complement");

constexpr std::size_t varint_size(std::uint64_t v) {
  return (static_cast<std::size_t>(std::bit_width(v | 1)) + 6) / 7;
}

// ---- Encoding -------------------------------------------------------------
//
// The same write_* templates run twice: over a SizeCounter to learn the exact
// size, then over a BufferWriter into storage resized once.

class SizeCounter {
 public:
  void u8(std::uint8_t) { size_ += 1; }
  void varint(std::uint64_t v) { size_ += varint_size(v); }
  void raw(std::string_view s) { size_ += s.size(); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

class BufferWriter {
 public:
  explicit BufferWriter(char* p) : p_(p) {}
  void u8(std::uint8_t b) { *p_++ = static_cast<char>(b); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }

 private:
  char* p_;
};

template <typename W>
void write_bool(W& w, bool b) {
  w.u8(b ? 1 : 0);
}

template <typename W>
void write_duration(W& w, std::chrono::milliseconds d) {
  w.varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(d.count())));
}

template <typename W>
void write_body(W& w, const RequestVote& b) {
  w.varint(b.term);
  w.varint(b.last_log_index);
  w.varint(b.last_log_term);
  write_bool(w, b.pre_vote);
}

template <typename W>
void write_body(W& w, const RequestVoteResponse& b) {
  w.varint(b.term);
  write_bool(w, b.granted);
  write_bool(w, b.pre_vote);
}

template <typename W>
void write_body(W& w, const AppendEntries& b) {
  w.varint(b.term);
  w.varint(b.prev_log_index);
  w.varint(b.prev_log_term);
  w.varint(b.leader_commit);
  w.varint(b.entries.size());
  for (const Entry& e : b.entries) {
    w.varint(e.term);
    w.varint(e.index);
    w.u8(static_cast<std::uint8_t>(e.type));
    w.varint(e.data.size());
    w.raw(e.data);
  }
}

template <typename W>
void write_body(W& w, const AppendEntriesResponse& b) {
  w.varint(b.term);
  write_bool(w, b.success);
  w.varint(b.match_index);
  w.varint(b.hint_index);
  w.varint(b.hint_term);
}

template <typename W>
void write_message(W& w, const Message& m) {
  w.raw(std::string_view(kMessageMagic, sizeof kMessageMagic));
  w.u8(kCodecVersion);
  w.u8(static_cast<std::uint8_t>(m.body.index()));
  w.varint(m.from);
  w.varint(m.to);
  w.varint(m.cluster);
  std::visit([&w](const auto& body) { write_body(w, body); }, m.body);
}

template <typename W>
void write_config(W& w, const ClusterConfig& c) {
  w.raw(std::string_view(kConfigMagic, sizeof kConfigMagic));
  w.u8(kConfigVersion);
  w.varint(c.voters.size());
  for (NodeId id : c.voters) w.varint(id);
  const ClusterSettings& s = c.settings;
  write_bool(w, s.pre_vote);
  write_bool(w, s.check_quorum);
  write_duration(w, s.election_timeout_min);
  write_duration(w, s.election_timeout_max);
  write_duration(w, s.heartbeat_interval);
  w.varint(s.max_entries_per_message);
  w.varint(s.max_bytes_per_message);
  w.varint(s.max_inflight_messages);
  w.varint(s.max_inflight_bytes);
  w.varint(c.name.size());
  w.raw(c.name);
}

// Appends what `write(w)` writes to `out`, growing it exactly once.
template <typename WriteFn>
void append_encoding(Bytes& out, const WriteFn& write) {
  SizeCounter counter;
  write(counter);
  const std::size_t old_size = out.size();
  out.resize(old_size + counter.size());
  BufferWriter writer(out.data() + old_size);
  write(writer);
}

// ---- Decoding -------------------------------------------------------------
//
// Every read checks the bounds first. On failure a read records what is
// wrong and returns false; the caller turns that into Status::corrupt.

class Reader {
 public:
  explicit Reader(std::string_view in) : begin_(in.data()), p_(in.data()), end_(in.data() + in.size()) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  const std::string& error() const { return error_; }

  bool fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

  bool u8(std::uint8_t& out, const char* what) {
    if (p_ == end_) return truncated(what);
    out = static_cast<std::uint8_t>(*p_++);
    return true;
  }

  bool boolean(bool& out, const char* what) {
    std::uint8_t b = 0;
    if (!u8(b, what)) return false;
    if (b > 1) return fail(std::string(what) + " is " + std::to_string(b) + ", not a bool (0 or 1)" + at(-1));
    out = b == 1;
    return true;
  }

  bool varint(std::uint64_t& out, const char* what) {
    if (p_ != end_ && static_cast<std::uint8_t>(*p_) < 0x80) {  // fast path: one byte
      out = static_cast<std::uint8_t>(*p_++);
      return true;
    }
    const char* start = p_;
    std::uint64_t v = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      if (p_ == end_) return truncated(what);
      const auto b = static_cast<std::uint8_t>(*p_++);
      if (i == kMaxVarintBytes - 1 && b > 1) {
        p_ = start;
        if (b & 0x80) return fail("varint " + std::string(what) + " is longer than 10 bytes" + at(0));
        return fail("varint " + std::string(what) + " overflows 64 bits" + at(0));
      }
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        if (b == 0) {  // i > 0 here: the fast path took single bytes
          p_ = start;
          return fail("varint " + std::string(what) + " has redundant trailing zero bytes" + at(0));
        }
        out = v;
        return true;
      }
    }
    return false;  // unreachable: the tenth byte either ends the varint or fails
  }

  bool u32(std::uint32_t& out, const char* what) {
    std::uint64_t v = 0;
    if (!varint(v, what)) return false;
    if (v > std::numeric_limits<std::uint32_t>::max()) {
      return fail(std::string(what) + " " + std::to_string(v) + " does not fit in 32 bits");
    }
    out = static_cast<std::uint32_t>(v);
    return true;
  }

  bool duration(std::chrono::milliseconds& out, const char* what) {
    std::uint64_t v = 0;
    if (!varint(v, what)) return false;
    out = std::chrono::milliseconds(static_cast<DurationRep>(static_cast<std::int64_t>(v)));
    return true;
  }

  // A length-prefixed byte string, checked against the input before use.
  bool span(std::string_view& out, const char* what) {
    std::uint64_t n = 0;
    if (!varint(n, what)) return false;
    if (n > remaining()) {
      return fail(std::string(what) + " length " + std::to_string(n) + " exceeds the " +
                  std::to_string(remaining()) + " bytes remaining" + at(0));
    }
    out = std::string_view(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }
  bool bytes(Bytes& out, const char* what) {
    std::string_view v;
    if (!span(v, what)) return false;
    out.assign(v);
    return true;
  }
  // Entry data: straight into one shared buffer (Payload), no other copy.
  bool bytes(Payload& out, const char* what) {
    std::string_view v;
    if (!span(v, what)) return false;
    out = Payload(v);
    return true;
  }

  bool header(const char (&magic)[2], std::uint8_t version) {
    std::uint8_t b0 = 0, b1 = 0, v = 0;
    if (!u8(b0, "magic") || !u8(b1, "magic")) return false;
    if (static_cast<char>(b0) != magic[0] || static_cast<char>(b1) != magic[1]) {
      return fail("bad magic bytes " + hex(b0) + " " + hex(b1) + " (expected '" + magic[0] + magic[1] + "')");
    }
    if (!u8(v, "version")) return false;
    if (v != version) {
      return fail("unsupported version " + std::to_string(v) + " (this build reads version " +
                  std::to_string(version) + ")");
    }
    return true;
  }

 private:
  bool truncated(const char* what) {
    return fail("truncated: input ends in " + std::string(what) + " at offset " +
                std::to_string(p_ - begin_));
  }
  // " at offset N", for the byte `delta` from the current position.
  std::string at(std::ptrdiff_t delta) const { return " at offset " + std::to_string(p_ - begin_ + delta); }
  static std::string hex(std::uint8_t b) {
    constexpr char kDigits[] = "0123456789abcdef";
    return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string error_;
};

bool read_body(Reader& r, RequestVote& b) {
  return r.varint(b.term, "term") && r.varint(b.last_log_index, "last_log_index") &&
         r.varint(b.last_log_term, "last_log_term") && r.boolean(b.pre_vote, "pre_vote");
}

bool read_body(Reader& r, RequestVoteResponse& b) {
  return r.varint(b.term, "term") && r.boolean(b.granted, "granted") && r.boolean(b.pre_vote, "pre_vote");
}

bool read_entry(Reader& r, Entry& e) {
  std::uint8_t type = 0;
  if (!r.varint(e.term, "entry term") || !r.varint(e.index, "entry index") || !r.u8(type, "entry type")) {
    return false;
  }
  if (type > static_cast<std::uint8_t>(EntryType::kConfig)) {
    return r.fail("unknown entry type " + std::to_string(type));
  }
  e.type = static_cast<EntryType>(type);
  return r.bytes(e.data, "entry data");
}

bool read_body(Reader& r, AppendEntries& b, const DecodeLimits& limits) {
  std::uint64_t count = 0;
  if (!r.varint(b.term, "term") || !r.varint(b.prev_log_index, "prev_log_index") ||
      !r.varint(b.prev_log_term, "prev_log_term") || !r.varint(b.leader_commit, "leader_commit") ||
      !r.varint(count, "entry count")) {
    return false;
  }
  if (count > limits.max_entries) {
    return r.fail("entry count " + std::to_string(count) + " exceeds the limit of " +
                  std::to_string(limits.max_entries));
  }
  // Checked before allocating: the count is untrusted.
  if (count > r.remaining() / kMinEntryBytes) {
    return r.fail("entry count " + std::to_string(count) + " cannot fit in the " +
                  std::to_string(r.remaining()) + " bytes remaining");
  }
  b.entries.resize(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < b.entries.size(); ++i) {
    if (!read_entry(r, b.entries[i])) return r.fail("entry " + std::to_string(i) + ": " + r.error());
  }
  return true;
}

bool read_body(Reader& r, AppendEntriesResponse& b) {
  return r.varint(b.term, "term") && r.boolean(b.success, "success") &&
         r.varint(b.match_index, "match_index") && r.varint(b.hint_index, "hint_index") &&
         r.varint(b.hint_term, "hint_term");
}

bool read_message(Reader& r, Message& m, const DecodeLimits& limits) {
  std::uint8_t kind = 0;
  if (!r.header(kMessageMagic, kCodecVersion) || !r.u8(kind, "kind") || !r.varint(m.from, "from") ||
      !r.varint(m.to, "to") || !r.varint(m.cluster, "cluster")) {
    return false;
  }
  switch (kind) {
    case kRequestVote: return read_body(r, m.body.emplace<RequestVote>());
    case kRequestVoteResponse: return read_body(r, m.body.emplace<RequestVoteResponse>());
    case kAppendEntries: return read_body(r, m.body.emplace<AppendEntries>(), limits);
    case kAppendEntriesResponse: return read_body(r, m.body.emplace<AppendEntriesResponse>());
  }
  return r.fail("unknown message kind " + std::to_string(kind));
}

bool read_config(Reader& r, ClusterConfig& c) {
  std::uint64_t count = 0;
  if (!r.header(kConfigMagic, kConfigVersion) || !r.varint(count, "voter count")) return false;
  // Each voter takes at least one byte; checked before allocating.
  if (count > r.remaining()) {
    return r.fail("voter count " + std::to_string(count) + " cannot fit in the " +
                  std::to_string(r.remaining()) + " bytes remaining");
  }
  c.voters.resize(static_cast<std::size_t>(count));
  for (NodeId& id : c.voters) {
    if (!r.varint(id, "voter id")) return false;
  }
  ClusterSettings& s = c.settings;
  return r.boolean(s.pre_vote, "pre_vote") && r.boolean(s.check_quorum, "check_quorum") &&
         r.duration(s.election_timeout_min, "election_timeout_min") &&
         r.duration(s.election_timeout_max, "election_timeout_max") &&
         r.duration(s.heartbeat_interval, "heartbeat_interval") &&
         r.u32(s.max_entries_per_message, "max_entries_per_message") &&
         r.varint(s.max_bytes_per_message, "max_bytes_per_message") &&
         r.u32(s.max_inflight_messages, "max_inflight_messages") &&
         r.varint(s.max_inflight_bytes, "max_inflight_bytes") && r.bytes(c.name, "name");
}

Status trailing_bytes(const char* what, std::size_t n) {
  return Status::corrupt(std::string(what) + ": " + std::to_string(n) + " trailing bytes after the end");
}

}  // namespace

Bytes encode_message(const Message& m) {
  Bytes out;
  encode_message_to(m, out);
  return out;
}

void encode_message_to(const Message& m, Bytes& out) {
  append_encoding(out, [&m](auto& w) { write_message(w, m); });
}

Result<Message> decode_message(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_message_bytes) {
    return Status::corrupt("message: " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits.max_message_bytes));
  }
  Reader r(bytes);
  Message m;
  if (!read_message(r, m, limits)) return Status::corrupt("message: " + r.error());
  if (r.remaining() != 0) return trailing_bytes("message", r.remaining());
  return m;
}

Bytes encode_config(const ClusterConfig& c) {
  Bytes out;
  append_encoding(out, [&c](auto& w) { write_config(w, c); });
  return out;
}

Result<ClusterConfig> decode_config(std::string_view bytes) {
  Reader r(bytes);
  ClusterConfig c;
  if (!read_config(r, c)) return Status::corrupt("cluster config: " + r.error());
  if (r.remaining() != 0) return trailing_bytes("cluster config", r.remaining());
  return c;
}

}  // namespace coraft
