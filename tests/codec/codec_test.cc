#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "coraft/codec.h"
#include "coraft/config.h"
#include "coraft/messages.h"
#include "test_seed.h"

namespace coraft {

// Readable failure output for messages and configs.
void PrintTo(const Message& m, std::ostream* os) {
  *os << message_name(m) << "{from=" << m.from << " to=" << m.to << " term=" << message_term(m);
  if (const auto* ae = std::get_if<AppendEntries>(&m.body)) *os << " entries=" << ae->entries.size();
  *os << "}";
}

void PrintTo(const ClusterConfig& c, std::ostream* os) {
  *os << "ClusterConfig{voters=" << c.voters.size() << " bytes=" << encode_config(c).size() << "}";
}

namespace {

using std::chrono::milliseconds;
using namespace std::string_literals;
using coraft::test::seed_trace;
using coraft::test::test_seed;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

Message make(NodeId from, NodeId to, MessageBody body) { return Message{from, to, std::move(body)}; }

AppendEntries append(Term term, Index prev_log_index, Term prev_log_term, Index leader_commit,
                     std::vector<Entry> entries = {}) {
  return AppendEntries{term, prev_log_index, prev_log_term, leader_commit, std::move(entries)};
}

// Every byte value, then zero bytes at the end.
Bytes binary_data() {
  Bytes d;
  for (int i = 0; i < 256; ++i) d.push_back(static_cast<char>(i));
  d.append(3, '\0');
  return d;
}

// Messages of every kind with typical and extreme values, small enough to
// truncate and mutate exhaustively.
std::vector<Message> sample_messages() {
  std::vector<Message> out;
  out.push_back(make(0, 0, RequestVote{}));
  out.push_back(make(1, 2, RequestVote{.term = 5, .last_log_index = 100, .last_log_term = 4}));
  out.back().cluster = 0x9e3779b97f4a7c15ull;  // a cluster identity survives the round trip
  out.push_back(
      make(3, 1, RequestVote{.term = 6, .last_log_index = 9, .last_log_term = 5, .pre_vote = true}));
  out.push_back(
      make(kMax, kMax,
           RequestVote{.term = kMax, .last_log_index = kMax, .last_log_term = kMax, .pre_vote = true}));
  out.push_back(make(0, 0, RequestVoteResponse{}));
  out.push_back(make(2, 1, RequestVoteResponse{.term = 5, .granted = true}));
  out.push_back(make(2, 1, RequestVoteResponse{.term = 7, .granted = false, .pre_vote = true}));
  out.push_back(make(kMax, 1, RequestVoteResponse{.term = kMax, .granted = true, .pre_vote = true}));
  out.push_back(make(0, 0, AppendEntries{}));
  out.push_back(make(1, 2, append(3, 10, 2, 9)));
  AppendEntries ae = append(4, 127, 3, 128);
  ae.entries.push_back(Entry{4, 128, EntryType::kNoop, ""});
  ae.entries.push_back(Entry{4, 129, EntryType::kCommand, "set x=1"});
  ae.entries.push_back(Entry{4, 130, EntryType::kConfig, encode_config(ClusterConfig{{1, 2, 3}, {}, {}})});
  ae.entries.push_back(Entry{4, 131, EntryType::kCommand, Bytes("\0a\0b\0", 5)});
  ae.entries.push_back(Entry{kMax, kMax, EntryType::kCommand, ""});
  ae.entries.push_back(Entry{0, 0, EntryType::kCommand, ""});
  out.push_back(make(1, 2, ae));
  AppendEntries extreme = append(kMax, kMax, kMax, kMax);
  extreme.entries.push_back(Entry{kMax, kMax, EntryType::kConfig, binary_data()});
  out.push_back(make(kMax, kMax, extreme));
  out.push_back(make(0, 0, AppendEntriesResponse{}));
  out.push_back(make(2, 1, AppendEntriesResponse{.term = 3, .success = true, .match_index = 140}));
  out.push_back(make(2, 1,
                     AppendEntriesResponse{
                         .term = 3, .success = false, .match_index = 99, .hint_index = 90, .hint_term = 2}));
  out.push_back(
      make(kMax, kMax,
           AppendEntriesResponse{
               .term = kMax, .success = true, .match_index = kMax, .hint_index = kMax, .hint_term = kMax}));
  return out;
}

ClusterConfig custom_config() {
  ClusterConfig c;
  c.voters = {1, 7, 300, kMax};
  c.settings.pre_vote = false;
  c.settings.check_quorum = false;
  c.settings.election_timeout_min = milliseconds(1000);
  c.settings.election_timeout_max = milliseconds(2500);
  c.settings.heartbeat_interval = milliseconds(100);
  c.settings.max_entries_per_message = std::numeric_limits<std::uint32_t>::max();
  c.settings.max_bytes_per_message = kMax;
  c.settings.max_inflight_messages = 1;
  c.settings.max_inflight_bytes = 0;
  c.name = "orders-prod";
  return c;
}

std::vector<ClusterConfig> sample_configs() {
  std::vector<ClusterConfig> out;
  out.push_back(ClusterConfig{});
  out.push_back(ClusterConfig{{1, 2, 3}, {}, {}});
  out.push_back(custom_config());
  ClusterConfig negative = custom_config();  // invalid, but still representable
  negative.settings.election_timeout_min = milliseconds(-1);
  negative.settings.heartbeat_interval = milliseconds::min();
  negative.settings.election_timeout_max = milliseconds::max();
  out.push_back(negative);
  return out;
}

std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// A message header with the given kind, from = 1, to = 2, cluster = 0.
std::string header(std::uint8_t kind) {
  return std::string("CR\x02", 3) + static_cast<char>(kind) + std::string("\x01\x02\x00", 3);
}

std::string bytes_of(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

void expect_round_trip(const Message& m) {
  const Bytes encoded = encode_message(m);
  Result<Message> decoded = decode_message(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, m);
}

// Decoding fails as corrupt, and the message says what is wrong.
void expect_corrupt(std::string_view bytes, std::string_view why, const DecodeLimits& limits = {}) {
  Result<Message> r = decode_message(bytes, limits);
  ASSERT_FALSE(r.ok()) << "decoded " << ::testing::PrintToString(*r);
  EXPECT_TRUE(r.status().is_corrupt()) << r.status().to_string();
  EXPECT_NE(r.status().message().find(why), std::string::npos)
      << "'" << r.status().message() << "' does not mention '" << why << "'";
}

void expect_config_corrupt(std::string_view bytes, std::string_view why) {
  Result<ClusterConfig> r = decode_config(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is_corrupt()) << r.status().to_string();
  EXPECT_NE(r.status().message().find(why), std::string::npos)
      << "'" << r.status().message() << "' does not mention '" << why << "'";
}

// A successful decode must be canonical: re-encoding gives the same bytes,
// which decode to the same value.
template <typename T, typename Encode, typename Decode>
::testing::AssertionResult reencodes_identically(std::string_view input, const T& value, Encode encode,
                                                 Decode decode) {
  const Bytes again = encode(value);
  if (again != input) return ::testing::AssertionFailure() << "re-encoding differs from the decoded input";
  auto redecoded = decode(again);
  if (!redecoded.ok()) return ::testing::AssertionFailure() << redecoded.status().to_string();
  if (!(*redecoded == value)) return ::testing::AssertionFailure() << "re-decoded value differs";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult message_reencodes(std::string_view input, const Message& m) {
  return reencodes_identically(
      input, m, [](const Message& x) { return encode_message(x); },
      [](std::string_view b) { return decode_message(b); });
}

::testing::AssertionResult config_reencodes(std::string_view input, const ClusterConfig& c) {
  return reencodes_identically(input, c, encode_config, [](std::string_view b) { return decode_config(b); });
}

TEST(Messages, NamesEveryKindAndPreVote) {
  EXPECT_STREQ(message_name(make(1, 2, RequestVote{})), "RequestVote");
  EXPECT_STREQ(message_name(make(1, 2, RequestVote{.pre_vote = true})), "PreVote");
  EXPECT_STREQ(message_name(make(1, 2, RequestVoteResponse{})), "RequestVoteResponse");
  EXPECT_STREQ(message_name(make(1, 2, RequestVoteResponse{.granted = true, .pre_vote = true})),
               "PreVoteResponse");
  EXPECT_STREQ(message_name(make(1, 2, AppendEntries{})), "AppendEntries");
  EXPECT_STREQ(message_name(make(1, 2, AppendEntriesResponse{})), "AppendEntriesResponse");
}

TEST(Messages, TermIsTheBodysTerm) {
  EXPECT_EQ(message_term(make(1, 2, RequestVote{.term = 3})), 3u);
  EXPECT_EQ(message_term(make(1, 2, RequestVoteResponse{.term = 4})), 4u);
  EXPECT_EQ(message_term(make(1, 2, append(5, 0, 0, 0))), 5u);
  EXPECT_EQ(message_term(make(1, 2, AppendEntriesResponse{.term = kMax})), kMax);
}

TEST(Codec, RoundTripsEveryMessageKind) {
  bool seen[4] = {};
  for (const Message& m : sample_messages()) {
    SCOPED_TRACE(::testing::PrintToString(m));
    seen[m.body.index()] = true;
    expect_round_trip(m);
  }
  for (bool s : seen) EXPECT_TRUE(s);
}

TEST(Codec, RoundTripsLargeBinaryDataAndManyEntries) {
  AppendEntries big = append(9, 1000, 8, 1000);
  Bytes large(4u << 20, '\0');
  for (std::size_t i = 0; i < large.size(); i += 4093) large[i] = static_cast<char>(i);
  big.entries.push_back(Entry{9, 1001, EntryType::kCommand, large});
  expect_round_trip(make(1, 2, big));

  AppendEntries many = append(9, 0, 0, 0);
  const EntryType types[] = {EntryType::kCommand, EntryType::kNoop, EntryType::kConfig};
  for (Index i = 1; i <= 20000; ++i) {
    many.entries.push_back(Entry{i / 100, i, types[i % 3], i % 7 == 0 ? binary_data() : std::to_string(i)});
  }
  expect_round_trip(make(1, 2, many));
}

TEST(Codec, EncodeMessageToAppendsAndReusesCapacity) {
  const std::vector<Message> samples = sample_messages();
  Bytes out = "prefix";
  encode_message_to(samples[1], out);
  EXPECT_EQ(out, "prefix" + encode_message(samples[1]));

  // Two messages back to back: each decodes from its own slice.
  Bytes both;
  encode_message_to(samples[2], both);
  const std::size_t first = both.size();
  encode_message_to(samples[10], both);
  EXPECT_EQ(*decode_message(std::string_view(both).substr(0, first)), samples[2]);
  EXPECT_EQ(*decode_message(std::string_view(both).substr(first)), samples[10]);

  // A cleared buffer with enough capacity is reused without reallocating.
  Bytes buffer;
  buffer.reserve(4096);
  const char* storage = buffer.data();
  for (const Message& m : samples) {
    buffer.clear();
    encode_message_to(m, buffer);
    EXPECT_EQ(buffer, encode_message(m));
    EXPECT_EQ(buffer.data(), storage);
  }
}

TEST(Codec, EncodesTheDocumentedLayout) {
  // Pins the wire format: changing it needs a new version.
  Message rv = make(1, 300, RequestVote{.term = 5, .last_log_index = 128, .pre_vote = true});
  rv.cluster = 0x1234;
  EXPECT_EQ(encode_message(rv),
            bytes_of({'C', 'R', 2, 0, 0x01, 0xac, 0x02, 0xb4, 0x24, 0x05, 0x80, 0x01, 0x00, 0x01}));
  EXPECT_EQ(encode_message(make(2, 1, RequestVoteResponse{.term = 7, .granted = true})),
            bytes_of({'C', 'R', 2, 1, 0x02, 0x01, 0x00, 0x07, 0x01, 0x00}));
  AppendEntries ae = append(3, 4, 2, 4);
  ae.entries.push_back(Entry{3, 5, EntryType::kConfig, "ab"});
  EXPECT_EQ(encode_message(make(1, 2, ae)), bytes_of({'C', 'R', 2, 2, 0x01, 0x02, 0x00, 0x03, 0x04, 0x02,
                                                      0x04, 0x01, 0x03, 0x05, 0x02, 0x02, 'a', 'b'}));
  EXPECT_EQ(
      encode_message(make(2, 1, AppendEntriesResponse{.term = kMax, .success = true, .match_index = 1})),
      bytes_of({'C',  'R',  2,    3,    0x02, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x01, 0x00, 0x00}));
  EXPECT_EQ(encode_config(ClusterConfig{{1, 2}, {}, {}}),
            bytes_of({'C',  'C',  2,    0x02, 0x01, 0x02, 0x01, 0x01, 0x96, 0x01, 0xac, 0x02,
                      0x32, 0x80, 0x08, 0x80, 0x80, 0x40, 0x10, 0x80, 0x80, 0x80, 0x08, 0x00}));
  ClusterConfig named{{1}, {}, {}};
  named.name = "ab";
  const Bytes named_bytes = encode_config(named);
  EXPECT_EQ(named_bytes.substr(named_bytes.size() - 3),
            "\x02"
            "ab");
}

TEST(Codec, RoundTripsConfigWithDefaultAndNonDefaultSettings) {
  for (const ClusterConfig& c : sample_configs()) {
    SCOPED_TRACE(::testing::PrintToString(c));
    Result<ClusterConfig> decoded = decode_config(encode_config(c));
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, c);
  }
  const ClusterConfig custom = custom_config();
  EXPECT_NE(custom.settings, ClusterSettings{});
  EXPECT_EQ(*decode_config(encode_config(custom)), custom);
}

TEST(Codec, EveryStrictPrefixFailsToDecode) {
  for (const Message& m : sample_messages()) {
    SCOPED_TRACE(::testing::PrintToString(m));
    const Bytes encoded = encode_message(m);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
      Result<Message> r = decode_message(std::string_view(encoded).substr(0, n));
      ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
      ASSERT_TRUE(r.status().is_corrupt()) << r.status().to_string();
    }
  }
  for (const ClusterConfig& c : sample_configs()) {
    const Bytes encoded = encode_config(c);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
      Result<ClusterConfig> r = decode_config(std::string_view(encoded).substr(0, n));
      ASSERT_FALSE(r.ok()) << "config prefix of " << n << " bytes decoded";
      ASSERT_TRUE(r.status().is_corrupt()) << r.status().to_string();
    }
  }
  expect_corrupt("", "truncated");
  expect_corrupt(header(0) + "\x05\x06", "truncated: input ends in last_log_term");
}

TEST(Codec, RejectsTrailingBytes) {
  for (const Message& m : sample_messages()) {
    expect_corrupt(encode_message(m) + '\0', "1 trailing bytes");
    expect_corrupt(encode_message(m) + encode_message(m), "trailing bytes");
  }
  EXPECT_TRUE(decode_config(encode_config(custom_config()) + "xy").status().is_corrupt());
}

TEST(Codec, RejectsWrongMagic) {
  Bytes encoded = encode_message(sample_messages()[1]);
  expect_corrupt("XR" + encoded.substr(2), "bad magic");
  expect_corrupt("CC" + encoded.substr(2), "bad magic");
  expect_corrupt(encode_config(custom_config()), "bad magic");
}

TEST(Codec, RejectsUnknownVersion) {
  for (int version : {0, 1, 3, 255}) {
    Bytes encoded = encode_message(sample_messages()[1]);
    encoded[2] = static_cast<char>(version);
    expect_corrupt(encoded, "unsupported version " + std::to_string(version));
  }
}

TEST(Codec, RejectsUnknownKind) {
  for (int kind : {4, 5, 127, 128, 255}) {
    expect_corrupt(header(static_cast<std::uint8_t>(kind)) + "\x01\x00\x00\x00"s,
                   "unknown message kind " + std::to_string(kind));
  }
}

TEST(Codec, RejectsVarintLongerThanTenBytes) {
  const std::string eleven = std::string(10, '\x80') + '\x00';
  expect_corrupt(std::string("CR\x02\x00", 4) + eleven + "\x02\x00\x01\x00\x00\x00"s,
                 "from is longer than 10 bytes");
  expect_corrupt(header(0) + std::string(15, '\xff') + "\x01", "term is longer than 10 bytes");
}

TEST(Codec, RejectsVarintOverflowing64Bits) {
  // 2^64: nine continuation bytes then a tenth byte of 2.
  expect_corrupt(header(3) + std::string(9, '\x80') + "\x02" + "\x01\x00\x00\x00"s, "term overflows 64 bits");
  expect_corrupt(header(3) + std::string(9, '\xff') + "\x7f" + "\x01\x00\x00\x00"s, "term overflows 64 bits");
  // UINT64_MAX itself (tenth byte 1) is fine.
  Result<Message> max = decode_message(header(3) + std::string(9, '\xff') + "\x01" + "\x01\x00\x00\x00"s);
  ASSERT_TRUE(max.ok()) << max.status().to_string();
  EXPECT_EQ(message_term(*max), kMax);
}

TEST(Codec, RejectsNonCanonicalVarint) {
  // 1 encoded in two bytes: decoding it would break encode(decode(x)) == x.
  expect_corrupt(header(1) + "\x81\x00"s + "\x01\x00"s, "term has redundant trailing zero bytes");
  expect_corrupt(std::string("CR\x02\x01\x80\x00\x02\x00\x01\x01\x00", 11),
                 "from has redundant trailing zero bytes");
}

TEST(Codec, RejectsBoolOtherThanZeroOrOne) {
  for (int b : {2, 0x80, 0xff}) {
    const char c = static_cast<char>(b);
    expect_corrupt(header(0) + "\x01\x01\x01" + c, "pre_vote is " + std::to_string(b));
    expect_corrupt(header(1) + "\x01" + c + '\0', "granted is " + std::to_string(b));
    expect_corrupt(header(1) + "\x01\x01" + c, "pre_vote is " + std::to_string(b));
    expect_corrupt(header(3) + "\x01" + c + std::string(3, '\0'), "success is " + std::to_string(b));
  }
}

TEST(Codec, RejectsUnknownEntryType) {
  for (int type : {3, 4, 0x7f, 0xff}) {
    expect_corrupt(header(2) + "\x01\x00\x00\x00\x01"s + "\x01\x01" + static_cast<char>(type) + "\x01x",
                   "entry 0: unknown entry type " + std::to_string(type));
  }
}

TEST(Codec, RejectsLengthPrefixBeyondTheInput) {
  const std::string entries_prefix = header(2) + "\x01\x00\x00\x00\x01"s + "\x01\x01\x00"s;
  expect_corrupt(entries_prefix + varint(5) + "abcd",
                 "entry 0: entry data length 5 exceeds the 4 bytes remaining");
  expect_corrupt(entries_prefix + varint(kMax) + "abcd", "exceeds the 4 bytes remaining");
  expect_corrupt(entries_prefix + varint(std::uint64_t{1} << 40), "exceeds the 0 bytes remaining");
}

TEST(Codec, RejectsEntryCountAboveTheLimit) {
  AppendEntries ae = append(1, 0, 0, 0);
  for (Index i = 1; i <= 4; ++i) ae.entries.push_back(Entry{1, i, EntryType::kCommand, "x"});
  const Bytes four = encode_message(make(1, 2, ae));
  DecodeLimits limits;
  limits.max_entries = 3;
  expect_corrupt(four, "entry count 4 exceeds the limit of 3", limits);
  limits.max_entries = 4;
  EXPECT_TRUE(decode_message(four, limits).ok());
  // Above the default limit of 1,000,000.
  expect_corrupt(header(2) + "\x01\x00\x00\x00"s + varint(1'000'001) + std::string(100, '\0'),
                 "exceeds the limit of 1000000");
}

TEST(Codec, RejectsEntryCountThatCannotFitInTheInput) {
  // Within the entry limit, but each entry needs at least 4 bytes: refused
  // before anything is allocated for it.
  expect_corrupt(header(2) + "\x01\x00\x00\x00"s + varint(1'000'000) + std::string(16, '\0'),
                 "entry count 1000000 cannot fit in the 16 bytes remaining");
  DecodeLimits unlimited;
  unlimited.max_entries = std::numeric_limits<std::size_t>::max();
  expect_corrupt(header(2) + "\x01\x00\x00\x00"s + varint(kMax), "cannot fit in the 0 bytes remaining",
                 unlimited);
  expect_corrupt(header(2) + "\x01\x00\x00\x00"s + varint(3) + std::string(11, '\0'), "cannot fit",
                 unlimited);
}

TEST(Codec, RejectsInputAboveMaxMessageBytes) {
  const Bytes encoded = encode_message(sample_messages()[10]);
  DecodeLimits limits;
  limits.max_message_bytes = encoded.size() - 1;
  expect_corrupt(encoded, "exceeds the limit of " + std::to_string(encoded.size() - 1), limits);
  limits.max_message_bytes = encoded.size();
  EXPECT_TRUE(decode_message(encoded, limits).ok());
  // The default limit (64 MiB) applies before any parsing.
  expect_corrupt(Bytes((64u << 20) + 1, 'C'), "67108865 bytes exceeds the limit of 67108864");
}

TEST(Codec, RejectsCorruptConfigs) {
  const Bytes good = encode_config(ClusterConfig{{1, 2}, {}, {}});
  expect_config_corrupt("", "truncated");
  expect_config_corrupt("CR" + good.substr(2), "bad magic");
  expect_config_corrupt(std::string("CC\x03", 3) + good.substr(3), "unsupported version 3");
  expect_config_corrupt(good + "z", "1 trailing bytes");
  // Voter count larger than the input, checked before allocating.
  expect_config_corrupt(std::string("CC\x02", 3) + varint(kMax) + "\x01", "voter count");
  expect_config_corrupt(std::string("CC\x02", 3) + varint(3) + "\x01\x02", "voter count 3 cannot fit");
  // pre_vote and check_quorum must be bools.
  Bytes bad_bool = good;
  bad_bool[6] = '\x02';
  expect_config_corrupt(bad_bool, "pre_vote is 2");
  bad_bool = good;
  bad_bool[7] = '\x05';
  expect_config_corrupt(bad_bool, "check_quorum is 5");
  // 32-bit settings refuse larger values.
  const std::string voters = std::string("CC\x02", 3) + "\x01\x01" + "\x01\x01" + "\x01\x02\x01";
  expect_config_corrupt(voters + varint(std::uint64_t{1} << 32) + "\x01\x01\x01",
                        "max_entries_per_message 4294967296 does not fit in 32 bits");
  expect_config_corrupt(voters + "\x01\x01" + varint(std::uint64_t{1} << 32) + "\x01",
                        "max_inflight_messages 4294967296 does not fit in 32 bits");
  Result<ClusterConfig> fits =
      decode_config(voters + varint(0xffffffff) + "\x01" + varint(0xffffffff) + "\x01" + '\0');
  ASSERT_TRUE(fits.ok()) << fits.status().to_string();
  EXPECT_EQ(fits->settings.max_entries_per_message, 0xffffffffu);
  EXPECT_EQ(fits->settings.max_inflight_messages, 0xffffffffu);
  // Varint classes apply to configs too.
  expect_config_corrupt(std::string("CC\x02", 3) + std::string(11, '\x80'), "longer than 10 bytes");
  expect_config_corrupt(std::string("CC\x02", 3) + std::string(9, '\xff') + "\x03", "overflows 64 bits");
}

TEST(Codec, RandomGarbageNeverCrashes) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(seed_trace(seed));
  std::mt19937_64 rng(seed);
  auto random_byte = [&rng]() -> char {
    // Small values half the time, so bools, kinds and entry types are often valid.
    const std::uint64_t r = rng();
    return static_cast<char>((r & 1) ? (r >> 8) & 3 : (r >> 8) & 0xff);
  };
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    switch (rng() % 3) {
      case 0: break;                                                        // pure garbage
      case 1: input = header(static_cast<std::uint8_t>(rng() % 5)); break;  // valid message header
      case 2: input = std::string("CC\x02", 3); break;                      // valid config header
    }
    const std::size_t n = rng() % 40;
    for (std::size_t j = 0; j < n; ++j) input.push_back(random_byte());

    Result<Message> m = decode_message(input);
    if (m.ok()) {
      ++decoded;
      ASSERT_TRUE(message_reencodes(input, *m)) << "iteration " << i;
    } else {
      ASSERT_TRUE(m.status().is_corrupt()) << "iteration " << i << ": " << m.status().to_string();
    }
    Result<ClusterConfig> c = decode_config(input);
    if (c.ok()) {
      ++decoded;
      ASSERT_TRUE(config_reencodes(input, *c)) << "iteration " << i;
    } else {
      ASSERT_TRUE(c.status().is_corrupt()) << "iteration " << i << ": " << c.status().to_string();
    }
  }
  // Not an invariant, only a check that the generator reaches past the header.
  RecordProperty("decoded", decoded);
  EXPECT_GT(decoded, 0);
}

TEST(Codec, RandomSingleByteMutationsDecodeCanonicallyOrFail) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(seed_trace(seed));
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15);
  std::vector<Bytes> messages;
  for (const Message& m : sample_messages()) messages.push_back(encode_message(m));
  std::vector<Bytes> configs;
  for (const ClusterConfig& c : sample_configs()) configs.push_back(encode_config(c));

  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const bool config = i % 4 == 3;
    const std::vector<Bytes>& pool = config ? configs : messages;
    Bytes input = pool[rng() % pool.size()];
    const std::size_t pos = rng() % input.size();
    input[pos] = static_cast<char>(static_cast<std::uint8_t>(input[pos]) ^ (1 + rng() % 255));
    if (config) {
      Result<ClusterConfig> c = decode_config(input);
      if (!c.ok()) {
        ASSERT_TRUE(c.status().is_corrupt()) << "iteration " << i << ": " << c.status().to_string();
        continue;
      }
      ++accepted;
      ASSERT_TRUE(config_reencodes(input, *c)) << "iteration " << i << ", byte " << pos;
    } else {
      Result<Message> m = decode_message(input);
      if (!m.ok()) {
        ASSERT_TRUE(m.status().is_corrupt()) << "iteration " << i << ": " << m.status().to_string();
        continue;
      }
      ++accepted;
      ASSERT_TRUE(message_reencodes(input, *m)) << "iteration " << i << ", byte " << pos;
    }
  }
  // Mutated ids, terms and data bytes still decode.
  RecordProperty("accepted", accepted);
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace coraft
