// The seed of a randomized test: CORAFT_SEED when set, else a fixed one so
// runs are reproducible; and the line that tells how to replay it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace coraft::test {

inline std::uint64_t test_seed(std::uint64_t fallback = 20240601) {
  if (const char* env = std::getenv("CORAFT_SEED"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const std::uint64_t seed = std::strtoull(env, &end, 0);
    if (*end == '\0') return seed;
    ADD_FAILURE() << "CORAFT_SEED='" << env << "' is not a number";
  }
  return fallback;
}

inline std::string seed_trace(std::uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with CORAFT_SEED=" + std::to_string(seed) + ")";
}

}  // namespace coraft::test
