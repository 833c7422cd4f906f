#include "coraft/state_machine.h"

#include <utility>

namespace coraft {

coro::Task<std::vector<Bytes>> StateMachine::apply_batch(std::vector<Command> commands) {
  std::vector<Bytes> results;
  results.reserve(commands.size());
  for (Command& c : commands) {
    Bytes r = co_await apply(c.index, std::move(c.data));
    results.push_back(std::move(r));
  }
  co_return results;
}

}  // namespace coraft
