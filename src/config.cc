// ClusterConfig: membership queries and validation (include/coraft/config.h).
#include "coraft/config.h"

#include <algorithm>
#include <string>

#include "coraft/codec.h"

namespace coraft {

bool ClusterConfig::contains(NodeId id) const {
  return std::find(voters.begin(), voters.end(), id) != voters.end();
}

Status ClusterConfig::validate() const {
  if (voters.empty()) return Status::invalid_argument("cluster config has no voters");
  for (std::size_t i = 0; i < voters.size(); ++i) {
    if (voters[i] == kNoNode) return Status::invalid_argument("node id 0 is reserved for 'none'");
    for (std::size_t j = i + 1; j < voters.size(); ++j) {
      if (voters[i] == voters[j]) {
        return Status::invalid_argument("node " + std::to_string(voters[i]) + " is listed twice");
      }
    }
  }
  if (!std::is_sorted(voters.begin(), voters.end())) {
    return Status::invalid_argument(
        "voters must be listed in ascending order: the configuration's encoding is canonical, so that every "
        "server of a new cluster writes the same entry 1");
  }
  if (name.size() > 255) return Status::invalid_argument("cluster name is longer than 255 bytes");
  const auto& s = settings;
  if (s.election_timeout_min.count() <= 0 || s.election_timeout_max <= s.election_timeout_min) {
    return Status::invalid_argument("election timeout range must satisfy 0 < min < max");
  }
  if (s.heartbeat_interval.count() <= 0 || s.heartbeat_interval >= s.election_timeout_min) {
    return Status::invalid_argument(
        "heartbeat interval must be positive and below the minimum election timeout");
  }
  if (s.max_entries_per_message == 0 || s.max_bytes_per_message == 0 || s.max_inflight_messages == 0 ||
      s.max_inflight_bytes == 0) {
    return Status::invalid_argument("batch and in-flight limits must be positive");
  }
  return Status::ok();
}

std::uint64_t cluster_fingerprint(const ClusterConfig& initial) {
  const Bytes bytes = encode_config(initial);
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h == 0 ? 1 : h;
}

}  // namespace coraft
