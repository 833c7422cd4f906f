#include "quorum/quorum.h"

#include <functional>

namespace coraft::quorum {

const char* vote_result_name(VoteResult r) {
  switch (r) {
    case VoteResult::kPending: return "pending";
    case VoteResult::kLost: return "lost";
    case VoteResult::kWon: return "won";
  }
  return "unknown";
}

namespace detail {

Index kth_largest(Index* v, std::size_t n, std::size_t k) {
  std::nth_element(v, v + k, v + n, std::greater<Index>());
  return v[k];
}

}  // namespace detail

}  // namespace coraft::quorum
