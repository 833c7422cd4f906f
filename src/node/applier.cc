#include "node/applier.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "coraft/coro/future.h"

namespace coraft::node {

Applier::Applier(StateMachine& sm, LogView& log, StoragePipeline& storage, ProposalTracker& proposals,
                 NodeCounters& counters, coro::Executor& ex, Host& host)
    : sm_(sm),
      log_(log),
      storage_(storage),
      proposals_(proposals),
      counters_(counters),
      ex_(ex),
      host_(host),
      wakeup_(ex) {}

coro::Task<void> Applier::run(std::stop_token stop) {
  std::vector<Entry> batch;
  std::vector<Command> commands;
  while (!stop.stop_requested()) {
    if (!host_.applying() || applied_ >= limit()) {
      co_await wakeup_.wait();
      continue;
    }
    batch.clear();
    const Index upto = limit();
    for (Index i = applied_ + 1; i <= upto && batch.size() < options_.max_batch; ++i) {
      const Entry* cached = log_.cached(i);
      if (!cached) break;
      batch.push_back(*cached);
    }
    if (batch.empty()) {
      // Not in memory (after a restart, or evicted): read a batch back.
      auto [promise, future] = coro::make_promise<std::vector<Entry>>(ex_);
      // Only the callback owns the promise: a read abandoned at stop()
      // breaks it, and this coroutine wakes up to exit.
      const Index to = std::min<Index>(upto, applied_ + options_.max_batch) + 1;
      storage_.read(applied_ + 1, to, options_.max_read_bytes,
                    [shared = std::make_shared<coro::Promise<std::vector<Entry>>>(std::move(promise))](
                        std::vector<Entry> es) { shared->set_value(std::move(es)); });
      Result<std::vector<Entry>> read = co_await std::move(future);
      if (!read.ok()) continue;  // the node is stopping or failed
      batch = std::move(read).value();
    }
    // The read may be stale (the node moved on while it ran): keep the
    // contiguous, still applicable prefix.
    std::size_t n = 0;
    const Index now_upto = limit();
    while (n < batch.size() && batch[n].index == applied_ + 1 + n && batch[n].index <= now_upto) ++n;
    if (n == 0 || !host_.applying()) continue;
    commands.clear();
    for (std::size_t k = 0; k < n; ++k) {
      if (batch[k].type == EntryType::kCommand)
        commands.push_back(Command{batch[k].index, std::move(batch[k].data)});
    }
    std::vector<Bytes> results;
    const std::size_t count = commands.size();
    if (count > 0) {
      try {
        results = co_await sm_.apply_batch(std::move(commands));
      } catch (const std::exception& ex) {
        host_.on_failure(Status::io_error(std::string("StateMachine::apply failed: ") + ex.what()));
        co_return;
      } catch (...) {
        host_.on_failure(Status::io_error("StateMachine::apply failed with an exception of unknown type"));
        co_return;
      }
      if (results.size() != count) {
        host_.on_failure(Status::internal("StateMachine::apply_batch returned " +
                                          std::to_string(results.size()) + " results for " +
                                          std::to_string(count) + " commands"));
        co_return;
      }
      counters_.entries_applied += count;
    }
    commands.clear();  // moved from: reset for reuse
    std::size_t r = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const Entry& e = batch[k];
      applied_ = e.index;
      if (e.type == EntryType::kCommand) {
        proposals_.complete(e.index, e.term, std::move(results[r++]));
      } else {
        proposals_.complete(e.index, e.term, Status::leadership_lost());
      }
    }
    log_.evict(applied_, options_.max_cache_bytes);
  }
}

}  // namespace coraft::node
