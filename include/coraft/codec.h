// A compact, versioned binary encoding of Message and ClusterConfig, for
// transports and logs that carry bytes.
//
// Format (all integers little-endian; "varint" is LEB128, at most 10 bytes):
//   message := magic "CR" (2 bytes), version (1 byte, currently 1),
//              kind (1 byte), from (varint), to (varint), body
// Decoding is bounds-checked and never trusts a length: truncated,
// oversized, unknown-version or garbage input yields Status::corrupt, never a
// crash or undefined behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "coraft/config.h"
#include "coraft/messages.h"
#include "coraft/status.h"
#include "coraft/types.h"

namespace coraft {

inline constexpr std::uint8_t kCodecVersion = 1;

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
