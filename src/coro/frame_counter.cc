#include <atomic>
#include <cstdint>

#include "coraft/coro/task.h"

namespace coraft::coro {

namespace detail {
std::atomic<std::int64_t> g_live_frames{0};
}  // namespace detail

std::int64_t live_frames() noexcept { return detail::g_live_frames.load(std::memory_order_relaxed); }

}  // namespace coraft::coro
