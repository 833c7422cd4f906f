// A compact, versioned binary encoding of Message and ClusterConfig, for
// transports and logs that carry bytes.
//
// Format, version 2 (messages and configurations). Every integer is a canonical LEB128 varint (at most 10
// bytes, no redundant high zero groups: other encoders must produce minimal
// varints); bools and enums are one byte (bools exactly 0 or 1).
//
//   message := 'C' 'R' version kind from to cluster body
//     cluster: the sender's cluster identity (cluster_fingerprint)
//     kind 0 RequestVote           := term last_log_index last_log_term pre_vote
//     kind 1 RequestVoteResponse   := term granted pre_vote
//     kind 2 AppendEntries         := term prev_log_index prev_log_term leader_commit
//                                     count entry{count}
//            entry                 := term index type length data{length}
//     kind 3 AppendEntriesResponse := term success match_index hint_index hint_term
//   (the kind byte is the body's index in MessageBody)
//
//   config  := 'C' 'C' version count voter{count} pre_vote check_quorum
//              election_timeout_min election_timeout_max heartbeat_interval
//              max_entries_per_message max_bytes_per_message
//              max_inflight_messages max_inflight_bytes name_length name
//     Durations are milliseconds, as the varint of their 64-bit two's
//     complement. Configurations are stored in the log: this format is
//     durable and changes only with a new version byte (version 2 added
//     the cluster name; version 1 had none).
//
// Nothing may follow the last field, so a decodable input re-encodes to the
// same bytes. Decoding is bounds-checked and never trusts a length:
// truncated, oversized, unknown-version or garbage input yields
// Status::corrupt, never a crash or undefined behaviour. Decoding checks
// structure only: decode_config does not call ClusterConfig::validate(), and
// ids of 0 are accepted (RaftNode drops a message whose `from` is 0 or its
// own id; a `to` of 0 is taken as addressed to the receiver).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "coraft/config.h"
#include "coraft/messages.h"
#include "coraft/status.h"
#include "coraft/types.h"

namespace coraft {

inline constexpr std::uint8_t kCodecVersion = 2;

struct DecodeLimits {
  // Largest total input accepted. Default: 64 MiB.
  std::size_t max_message_bytes = 64u << 20;
  // Most entries in one AppendEntries. Default: 1,000,000.
  std::size_t max_entries = 1'000'000;
};

Bytes encode_message(const Message& m);
// Appends the encoding to `out` (reuses its capacity).
void encode_message_to(const Message& m, Bytes& out);
Result<Message> decode_message(std::string_view bytes, const DecodeLimits& limits = {});

Bytes encode_config(const ClusterConfig& c);
Result<ClusterConfig> decode_config(std::string_view bytes);

}  // namespace coraft
