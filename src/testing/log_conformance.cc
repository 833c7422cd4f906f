#include "coraft/testing/log_conformance.h"

#include <exception>
#include <string>
#include <utility>

namespace coraft::testing {

namespace {

Entry make(Index index, Term term, EntryType type, std::string data) {
  return Entry{term, index, type, std::move(data)};
}

std::string show(const Entry& e) {
  return "(" + std::to_string(e.index) + ", t" + std::to_string(e.term) + ", type " +
         std::to_string(static_cast<int>(e.type)) + ", " + std::to_string(e.data.size()) + " bytes)";
}

// The entries the suite expects the log to hold, as it goes.
struct Model {
  std::vector<Entry> entries;  // index i at entries[i - 1]
  HardState hard_state;
};

// Parameters by value or pointer (coroutine rule 1, docs/coroutines.md).
coro::Task<void> expect_state(LogAPI* log_ptr, Model m, std::string when, std::vector<std::string>* out) {
  LogAPI& log = *log_ptr;
  LogState st = co_await log.load();
  if (!(st.hard_state == m.hard_state)) {
    out->push_back(when + ": load() returned term " + std::to_string(st.hard_state.term) + " vote " +
                   std::to_string(st.hard_state.vote) + ", expected term " +
                   std::to_string(m.hard_state.term) + " vote " + std::to_string(m.hard_state.vote));
  }
  if (st.first_index != 1 || st.last_index != m.entries.size()) {
    out->push_back(when + ": load() returned [" + std::to_string(st.first_index) + ", " +
                   std::to_string(st.last_index) + "], expected [1, " + std::to_string(m.entries.size()) +
                   "]");
    co_return;
  }
  if (m.entries.empty()) co_return;
  // Read everything back, in pieces as the node does.
  Index next = 1;
  while (next <= m.entries.size()) {
    std::vector<Entry> got = co_await log.read(next, m.entries.size() + 1, 1 << 20);
    if (got.empty()) {
      out->push_back(when + ": read(" + std::to_string(next) + ", ...) returned no entries");
      co_return;
    }
    for (const Entry& e : got) {
      if (next > m.entries.size()) {
        out->push_back(when + ": read() returned entries beyond `to`");
        co_return;
      }
      const Entry& want = m.entries[next - 1];
      if (!(e == want)) {
        out->push_back(when + ": entry " + std::to_string(next) + " reads back as " + show(e) +
                       ", expected " + show(want));
        co_return;
      }
      ++next;
    }
  }
}

}  // namespace

namespace {

// The suite itself: parameters by value or pointer (coroutine rule 1).
coro::Task<std::vector<std::string>> run_suite(LogAPI* log_ptr, std::function<LogAPI&()> reopen) {
  LogAPI& log = *log_ptr;
  std::vector<std::string> out;
  Model m;
  try {
    co_await expect_state(&log, m, "an empty log", &out);

    m.hard_state = HardState{3, 2};
    co_await log.save_hard_state(m.hard_state);
    co_await expect_state(&log, m, "after save_hard_state", &out);

    // Appends in batches, with every entry type and awkward payloads.
    std::vector<Entry> first;
    first.push_back(make(1, 1, EntryType::kConfig, std::string("\x43\x43\x01\x00", 4)));
    first.push_back(make(2, 1, EntryType::kNoop, ""));
    first.push_back(make(3, 1, EntryType::kCommand, std::string("with\0nul\0bytes", 14)));
    m.entries = first;
    co_await log.append(std::move(first));
    std::vector<Entry> second;
    for (Index i = 4; i <= 40; ++i) {
      second.push_back(make(i, i < 20 ? 2 : 3, EntryType::kCommand, "cmd" + std::to_string(i)));
    }
    second.push_back(make(41, 3, EntryType::kCommand, std::string(1 << 20, 'x')));  // 1 MiB
    m.entries.insert(m.entries.end(), second.begin(), second.end());
    co_await log.append(std::move(second));
    co_await expect_state(&log, m, "after two appends", &out);

    // read() honours [from, to) and max_bytes, and returns at least one entry.
    std::vector<Entry> mid = co_await log.read(10, 13, 1 << 20);
    if (mid.size() != 3 || mid.front().index != 10 || mid.back().index != 12) {
      out.push_back("read(10, 13) must return entries 10, 11, 12; got " + std::to_string(mid.size()) +
                    " entries");
    }
    std::vector<Entry> small = co_await log.read(4, 41, 10);
    if (small.empty() || small.front().index != 4) {
      out.push_back("read(4, 41, max_bytes = 10) must return at least entry 4");
    } else if (small.size() > 3) {
      out.push_back("read(4, 41, max_bytes = 10) returned " + std::to_string(small.size()) +
                    " entries of 4 bytes each: max_bytes was ignored");
    }
    std::vector<Entry> big = co_await log.read(41, 42, 1);
    if (big.size() != 1 || big.front().data.size() != (1u << 20)) {
      out.push_back("read() of one entry larger than max_bytes must still return it");
    }

    // Truncating a conflicting suffix, then appending a new one.
    co_await log.truncate_suffix(20);
    m.entries.resize(19);
    co_await expect_state(&log, m, "after truncate_suffix(20)", &out);
    std::vector<Entry> replacement;
    for (Index i = 20; i <= 25; ++i)
      replacement.push_back(make(i, 4, EntryType::kCommand, "new" + std::to_string(i)));
    m.entries.insert(m.entries.end(), replacement.begin(), replacement.end());
    co_await log.append(std::move(replacement));
    co_await expect_state(&log, m, "after appending a new suffix", &out);

    // Truncating at last + 1 changes nothing; truncating everything down to 2.
    co_await log.truncate_suffix(26);
    co_await expect_state(&log, m, "after truncate_suffix(last + 1)", &out);
    co_await log.truncate_suffix(2);
    m.entries.resize(1);
    co_await expect_state(&log, m, "after truncate_suffix(2)", &out);
    std::vector<Entry> again;
    again.push_back(make(2, 5, EntryType::kNoop, ""));
    m.entries.push_back(again.front());
    co_await log.append(std::move(again));

    m.hard_state = HardState{5, 0};
    co_await log.save_hard_state(m.hard_state);
    co_await expect_state(&log, m, "after the last writes", &out);

    if (reopen) {
      LogAPI& reopened = reopen();
      co_await expect_state(&reopened, m, "after reopening", &out);
    }
  } catch (const std::exception& e) {
    out.push_back(std::string("a LogAPI call threw: ") + e.what());
  }
  co_return out;
}

}  // namespace

coro::Task<std::vector<std::string>> check_log_api(LogAPI& log, std::function<LogAPI&()> reopen) {
  return run_suite(&log, std::move(reopen));
}

}  // namespace coraft::testing
