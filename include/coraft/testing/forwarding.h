// ForwardingLog and ForwardingStateMachine: pass every call through to an
// inner implementation. Subclass them and override only what you want to
// change, to build fault injectors (a log that loses writes, a disk that is
// slow, a state machine that throws) for SimCluster's wrap_log and
// wrap_state_machine options.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "coraft/log_api.h"
#include "coraft/state_machine.h"

namespace coraft::testing {

class ForwardingLog : public LogAPI {
 public:
  explicit ForwardingLog(LogAPI& inner) : inner_(inner) {}
  coro::Task<LogState> load() override { return inner_.load(); }
  coro::Task<void> save_hard_state(HardState s) override { return inner_.save_hard_state(s); }
  coro::Task<void> append(std::vector<Entry> entries) override { return inner_.append(std::move(entries)); }
  coro::Task<void> truncate_suffix(Index from) override { return inner_.truncate_suffix(from); }
  coro::Task<std::vector<Entry>> read(Index from, Index to, std::uint64_t max_bytes) override {
    return inner_.read(from, to, max_bytes);
  }

 protected:
  LogAPI& inner() { return inner_; }

 private:
  LogAPI& inner_;
};

// Forwards apply() and applied_index(). apply_batch() is deliberately not
// forwarded: its default calls this object's apply(), so a wrapper that
// overrides apply() sees every command.
class ForwardingStateMachine : public StateMachine {
 public:
  explicit ForwardingStateMachine(StateMachine& inner) : inner_(inner) {}
  coro::Task<Bytes> apply(Index index, Payload command) override {
    return inner_.apply(index, std::move(command));
  }
  Index applied_index() const override { return inner_.applied_index(); }

 protected:
  StateMachine& inner() { return inner_; }

 private:
  StateMachine& inner_;
};

}  // namespace coraft::testing
