// ScriptedLog: a LogAPI whose calls the test completes by hand, for the
// unit tests of the storage pipeline and the applier.
//
// Every call is recorded when it starts. With hold(true), each call then
// waits until the test calls complete() (or fail(), which makes the call
// throw); otherwise it completes at once. Entries are kept in memory so that
// read() returns what was appended.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "coraft/coro/manual_executor.h"
#include "coraft/coro/task.h"
#include "coraft/log_api.h"

namespace coraft::unit {

class ScriptedLog final : public LogAPI {
 public:
  struct Call {
    std::string what;  // "hard_state", "append", "truncate", "read"
    Index from = 0;    // append: first index; truncate, read: from
    Index to = 0;      // append: last index; read: to
    HardState hard_state;
  };

  explicit ScriptedLog(coro::ManualExecutor& ex) : ex_(ex) {}

  void hold(bool on) { hold_ = on; }
  // Completes (or fails) the call that is waiting; runs the executor.
  void complete() { release(false); }
  void fail() { release(true); }
  bool waiting() const { return waiter_ != nullptr; }

  const std::vector<Call>& calls() const { return calls_; }
  int max_concurrent() const { return max_concurrent_; }
  const std::vector<Entry>& entries() const { return entries_; }

  coro::Task<LogState> load() override {
    LogState s;
    s.last_index = entries_.size();
    co_return s;
  }
  coro::Task<void> save_hard_state(HardState hs) override {
    start(Call{"hard_state", 0, 0, hs});
    co_await Wait(this);
    end();
  }
  coro::Task<void> append(std::vector<Entry> es) override {
    start(Call{"append", es.front().index, es.back().index, {}});
    co_await Wait(this);
    if (es.front().index != entries_.size() + 1) throw std::logic_error("append not at the end");
    for (auto& e : es) entries_.push_back(std::move(e));
    end();
  }
  coro::Task<void> truncate_suffix(Index from) override {
    start(Call{"truncate", from, 0, {}});
    co_await Wait(this);
    if (from <= entries_.size()) entries_.resize(from - 1);
    end();
  }
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t /*max_bytes*/) override {
    start(Call{"read", from, to, {}});
    co_await Wait(this);
    std::vector<Entry> out(entries_.begin() + static_cast<std::ptrdiff_t>(from - 1),
                           entries_.begin() + static_cast<std::ptrdiff_t>(to - 1));
    end();
    co_return out;
  }

 private:
  struct Wait {
    explicit Wait(ScriptedLog* l) : log(l) {}
    ScriptedLog* log;
    bool suspended = false;
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;
    // Destroyed while suspended (a frame torn down): withdraw the handle.
    ~Wait() {
      if (suspended && log->waiter_) log->waiter_ = nullptr;
    }
    bool await_ready() const { return !log->hold_; }
    void await_suspend(std::coroutine_handle<> h) {
      suspended = true;
      log->waiter_ = h;
    }
    void await_resume() const {
      if (log->failing_) {
        log->failing_ = false;
        --log->concurrent_;
        throw std::runtime_error("scripted failure");
      }
    }
  };
  void start(Call c) {
    calls_.push_back(std::move(c));
    if (++concurrent_ > max_concurrent_) max_concurrent_ = concurrent_;
  }
  void end() { --concurrent_; }
  void release(bool fail) {
    if (!waiter_) throw std::logic_error("no LogAPI call is waiting");
    failing_ = fail;
    std::coroutine_handle<> h = waiter_;
    waiter_ = nullptr;
    ex_.post(h);
    ex_.run_until_idle();
  }

  coro::ManualExecutor& ex_;
  bool hold_ = false;
  bool failing_ = false;
  std::coroutine_handle<> waiter_;
  std::vector<Call> calls_;
  int concurrent_ = 0;
  int max_concurrent_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace coraft::unit
