// StateMachine: the application's replicated state.
//
// The node applies committed commands in log order, exactly once per index,
// and tells the state machine each command's index. An implementation that
// stores "applied through index N" together with the effect of the command
// (one transaction) never applies a command twice: on restart the node asks
// applied_index() and resumes after it.
#pragma once

#include "coraft/coro/task.h"
#include "coraft/types.h"

namespace coraft {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies the command at `index`. Called on the node's executor, one call
  // at a time, with strictly increasing indexes (entries the state machine
  // does not see, such as no-ops, leave gaps). The returned bytes reach the
  // proposer's propose() on the leader that proposed it. Throwing stops the
  // node safely (a state machine that cannot apply must not be skipped).
  virtual coro::Task<Bytes> apply(Index index, Bytes command) = 0;

  // The index through which this state machine has applied, as it knows it
  // durably (0 for a fresh one). Read once when the node starts.
  virtual Index applied_index() const = 0;
};

}  // namespace coraft
