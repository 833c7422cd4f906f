// Quorum arithmetic for a configuration of voters (§5.2, §5.4).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "coraft/types.h"

namespace coraft::node {

// Smallest number of voters that forms a majority of `n` (n >= 1).
inline std::size_t majority(std::size_t n) { return n / 2 + 1; }

// The highest index that a majority of voters has matched, given each
// voter's match index (one per voter, the leader's own durable index
// included). `scratch` is reused to avoid allocation.
inline Index quorum_match_index(const std::vector<Index>& matches, std::vector<Index>& scratch) {
  if (matches.empty()) return 0;
  scratch.assign(matches.begin(), matches.end());
  const std::size_t k = majority(scratch.size()) - 1;
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k), scratch.end(),
                   [](Index a, Index b) { return a > b; });
  return scratch[k];
}

}  // namespace coraft::node
