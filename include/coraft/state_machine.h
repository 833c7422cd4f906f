// StateMachine: the application's replicated state.
//
// The node applies committed commands in log order, exactly once per index,
// and tells the state machine each command's index. An implementation that
// stores "applied through index N" together with the effect of the commands
// (one transaction) never applies a command twice: on restart the node asks
// applied_index() and resumes after it.
//
// What apply needs is atomicity, not durability of its own: the commands are
// already durable in the log (a majority holds them), so an apply that a
// crash loses is simply applied again after the restart. A database-backed
// state machine can commit without fsync (SQLite: synchronous=OFF for the
// state tables, PostgreSQL: synchronous_commit=off) as long as the effect
// and the applied index are written in one transaction.
#pragma once

#include <vector>

#include "coraft/coro/task.h"
#include "coraft/types.h"

namespace coraft {

// One committed command, as apply_batch receives it.
struct Command {
  Index index = 0;
  Payload data;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies the command at `index`. Called on the node's executor, one call
  // at a time, with strictly increasing indexes (entries the state machine
  // does not see, such as no-ops, leave gaps). The returned bytes reach the
  // proposer's propose() on the leader that proposed it. Throwing stops the
  // node safely (a state machine that cannot apply must not be skipped).
  // `command` shares the bytes the log holds (read it as a string_view;
  // keeping it is cheap).
  virtual coro::Task<Bytes> apply(Index index, Payload command) = 0;

  // Applies several committed commands at once, in log order (strictly
  // increasing indexes), and returns one result per command, in the same
  // order. The node always calls this one, with every committed command it
  // has ready, up to NodeOptions::max_apply_batch: override it to apply a
  // whole batch in one database transaction and record the applied index
  // (the last command's) once. Apply the batch all or nothing: after a crash
  // the node resumes after applied_index(), so a batch half applied but
  // recorded as not applied would apply its first half twice. The default
  // calls apply() for each command. Throwing stops the node safely; so does
  // returning a different number of results than commands.
  virtual coro::Task<std::vector<Bytes>> apply_batch(std::vector<Command> commands);

  // The index through which this state machine has applied, as it knows it
  // durably (0 for a fresh one). Read once when the node starts.
  virtual Index applied_index() const = 0;
};

}  // namespace coraft
