#include "node/applier.h"

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
  while (!stop.stop_requested()) {
    if (!host_.applying() || applied_ >= limit()) {
      co_await wakeup_.wait();
      continue;
    }
    batch.clear();
    const Index upto = limit();
    for (Index i = applied_ + 1; i <= upto && batch.size() < 1024; ++i) {
      const Entry* cached = log_.cached(i);
      if (!cached) break;
      batch.push_back(*cached);
    }
    if (batch.empty()) {
      // Not in memory (after a restart, or evicted): read a batch back.
      auto [promise, future] = coro::make_promise<std::vector<Entry>>(ex_);
      // Only the callback owns the promise: a read abandoned at stop()
      // breaks it, and this coroutine wakes up to exit.
      storage_.read(applied_ + 1, upto + 1, options_.max_read_bytes,
                    [shared = std::make_shared<coro::Promise<std::vector<Entry>>>(std::move(promise))](
                        std::vector<Entry> es) { shared->set_value(std::move(es)); });
      Result<std::vector<Entry>> read = co_await std::move(future);
      if (!read.ok()) continue;  // the node is stopping or failed
      batch = std::move(read).value();
    }
    for (Entry& e : batch) {
      if (!host_.applying() || e.index != applied_ + 1 || e.index > limit()) break;
      Result<Bytes> outcome = Status::leadership_lost();
      if (e.type == EntryType::kCommand) {
        try {
          Bytes result = co_await sm_.apply(e.index, std::move(e.data));
          outcome = std::move(result);
        } catch (const std::exception& ex) {
          host_.on_failure(Status::io_error(std::string("StateMachine::apply failed: ") + ex.what()));
          co_return;
        } catch (...) {
          host_.on_failure(Status::io_error("StateMachine::apply failed with an exception of unknown type"));
          co_return;
        }
        ++counters_.entries_applied;
      }
      applied_ = e.index;
      proposals_.complete(e.index, e.term, std::move(outcome));
    }
    log_.evict(applied_, options_.max_cache_bytes);
  }
}

}  // namespace coraft::node
