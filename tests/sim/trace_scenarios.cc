// coraft_traces: renders the traces of docs/traces/ from scripted simulated
// runs, or checks that the committed files are up to date.
//
//   coraft_traces --write docs/traces     regenerate the files
//   coraft_traces --check docs/traces     exit 1 if any file differs
//
// Each scenario is deterministic (a fixed seed on SimCluster), so the output
// only changes when the code's behaviour does.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "coraft/testing/sim_cluster.h"

using namespace std::chrono_literals;
using coraft::ClusterSettings;
using coraft::Entry;
using coraft::EntryType;
using coraft::HardState;
using coraft::Index;
using coraft::kNoNode;
using coraft::Message;
using coraft::NodeId;
using coraft::RequestVote;
using coraft::Term;
using coraft::testing::SimCluster;
using coraft::testing::SimOptions;
using coraft::testing::TraceEvent;
using coraft::testing::TraceKind;
using coraft::testing::TraceMode;

namespace {

struct Scenario {
  std::string name;
  std::string title;
  std::string explanation;
  std::function<void(SimCluster&)> run;
  std::size_t nodes = 3;
  std::uint64_t seed = 1;
  ClusterSettings settings;
  std::function<void(SimCluster&)> before_start;
};

SimOptions options_for(const Scenario& s) {
  SimOptions o;
  o.name = s.name;
  o.nodes = s.nodes;
  o.seed = s.seed;
  o.settings = s.settings;
  o.trace = TraceMode::kKeep;
  return o;
}

ClusterSettings basic() {
  ClusterSettings s;
  s.pre_vote = false;
  s.check_quorum = false;
  return s;
}

ClusterSettings with(bool pre_vote, bool check_quorum) {
  ClusterSettings s;
  s.pre_vote = pre_vote;
  s.check_quorum = check_quorum;
  return s;
}

Entry cmd(Index index, Term term) {
  return Entry{term, index, EntryType::kCommand, "e" + std::to_string(index) + "t" + std::to_string(term)};
}

void expect(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("scenario did not go as scripted: ") + what);
}

// Sends are shown by their delivery (or loss); applies by the commit index.
std::vector<TraceEvent> for_docs(const std::vector<TraceEvent>& events) {
  std::vector<TraceEvent> out;
  for (const auto& e : events) {
    if (e.kind == TraceKind::kSend || e.kind == TraceKind::kApply || e.kind == TraceKind::kDuplicate)
      continue;
    out.push_back(e);
  }
  return out;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> list;

  list.push_back(Scenario{
      "normal_election", "A normal election",
      "Three servers start as followers (§5.2). The first whose randomized election timeout expires becomes "
      "a "
      "candidate for term 1, votes for itself, makes that vote durable, and asks the others for their votes. "
      "Each "
      "grants it (its log is as up-to-date as theirs, §5.4.1) after persisting the vote. With a majority the "
      "candidate becomes leader, appends a no-op entry for its term (§8), and replicates it; once a majority "
      "holds "
      "it durably the leader commits it, and followers learn the commit index from the next AppendEntries. A "
      "client command then goes through the same path.",
      [](SimCluster& c) {
        const NodeId l = c.wait_for_leader();
        expect(l != kNoNode, "a leader");
        expect(c.propose_and_wait(l, "x=1").ok(), "the command commits");
        c.run_for(60ms);
      },
      3, 7, basic(), nullptr});

  list.push_back(Scenario{
      "prevote_rejoin", "PreVote: a partitioned server rejoins without disrupting the leader",
      "With PreVote (thesis §9.6), a server whose election timer expires first asks whether it could win, at "
      "term + 1, without changing its own term. N3 is cut off from the others: its pre-votes are lost, its "
      "term "
      "stays where it was, and it keeps trying. When the partition heals, its next pre-vote reaches servers "
      "that "
      "heard from the leader within the minimum election timeout, which refuse it; the leader's next "
      "heartbeat "
      "brings N3 back as a follower. The leader and the term never change. Without PreVote, N3 would come "
      "back with "
      "a higher term and force an election.",
      [](SimCluster& c) {
        const NodeId l = c.wait_for_leader();
        expect(l != kNoNode && l != 3, "a leader other than N3");
        c.note("N3 is isolated");
        c.isolate(3);
        c.run_for(450ms);
        c.heal();
        c.run_for(400ms);
        expect(c.leader() == l, "the leader is unchanged");
        expect(c.node(3).term() == c.node(l).term(), "N3 follows in the same term");
      },
      3, 3, with(true, true), nullptr});

  list.push_back(Scenario{
      "checkquorum_stepdown", "CheckQuorum: an isolated leader steps down",
      "With CheckQuorum (thesis §6.2), a leader that has not heard from a majority within an election "
      "timeout steps "
      "down, so that clients stop sending it commands it can never commit. The leader is isolated: it keeps "
      "sending "
      "heartbeats that are lost, and after the minimum election timeout it becomes a follower. Meanwhile the "
      "other "
      "two elect a new leader in a higher term. When the network heals, the old leader learns the new term "
      "from "
      "the first message it receives (§5.1) and follows.",
      [](SimCluster& c) {
        const NodeId l = c.wait_for_leader();
        expect(l != kNoNode, "a leader");
        c.note("the leader is isolated");
        c.isolate(l);
        expect(c.run_until([&] { return !c.node(l).is_leader(); }, 1s), "the old leader steps down");
        expect(c.run_until([&] { return c.leader() != kNoNode && c.leader() != l; }, 2s), "a new leader");
        c.heal();
        c.run_for(120ms);
      },
      3, 5, with(true, true), nullptr});

  list.push_back(Scenario{
      "log_repair", "A leader repairs a divergent follower log",
      "N1 leads term 7 with the log 1 1 4 4 5 5 6 6 6 (terms of entries 2..10, entry 1 being the "
      "configuration). N3 "
      "was a leader in terms 2 and 3 and holds entries nobody else has: 1 1 2 2 2 3 3 3 3 3 (follower (f) of "
      "Figure 7). N1 starts by probing at its last index; N3 rejects it (§5.3) and returns a hint: the last "
      "index "
      "at or below the probe whose term is at most N1's term there, and that term. N1 jumps to the matching "
      "point "
      "of its own log in one round trip instead of one per entry. N3 then truncates its conflicting suffix "
      "and "
      "takes N1's entries; nothing committed is ever removed.",
      [](SimCluster& c) {
        expect(c.wait_for_leader() == 1, "N1 leads");
        expect(c.run_until(
                   [&] {
                     return c.node(1).commit_index() >= 11 && c.node(3).log_term_at(11) == Term{7} &&
                            c.node(3).commit_index() == c.node(1).commit_index();
                   },
                   2s),
               "N3 is repaired");
      },
      3, 9, basic(),
      [](SimCluster& c) {
        const std::vector<Term> leader = {1, 1, 4, 4, 5, 5, 6, 6, 6};
        const std::vector<Term> f = {1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
        std::vector<Entry> l, d;
        for (std::size_t k = 0; k < leader.size(); ++k) l.push_back(cmd(k + 2, leader[k]));
        for (std::size_t k = 0; k < f.size(); ++k) d.push_back(cmd(k + 2, f[k]));
        c.preload(1, HardState{6, kNoNode}, l);
        c.preload(2, HardState{6, kNoNode}, l);
        c.preload(3, HardState{6, kNoNode}, d);
        // Only N1 campaigns.
        c.set_filter([](Message& m) { return !std::holds_alternative<RequestVote>(m.body) || m.from == 1; });
      }});

  list.push_back(Scenario{
      "figure8", "Figure 8: an older term's entry is not committed by counting replicas",
      "The situation of Figure 8 (c). N1 leads term 4 and holds an entry of term 2 at index 2, which it "
      "replicates "
      "to N3 and N4 (the test's filter holds back N1's own no-op of term 4). The term-2 entry is now on a "
      "majority, "
      "yet N1 does not commit it: a leader commits by counting replicas only entries of its own term "
      "(§5.4.2). "
      "That rule is what makes the next step safe: N1 crashes, N5 (whose log holds a term-3 entry at index "
      "2) wins "
      "an election with the votes of N3 and N4, and overwrites index 2 with its own entry. Had N1 committed "
      "index 2, "
      "a committed entry would have been lost.",
      [](SimCluster& c) {
        c.crash(5);
        c.crash(2);
        c.set_filter([](Message& m) {
          if (std::holds_alternative<RequestVote>(m.body)) return m.from == 1;
          if (auto* ae = std::get_if<coraft::AppendEntries>(&m.body)) {
            while (!ae->entries.empty() && ae->entries.back().index >= 3) ae->entries.pop_back();
            if (ae->prev_log_index >= 3) return false;
          }
          return true;
        });
        expect(c.wait_for_leader() == 1, "N1 leads term 4");
        expect(
            c.run_until(
                [&] { return c.durable_log(3).last_index() >= 2 && c.durable_log(4).last_index() >= 2; }, 1s),
            "the term-2 entry reaches N3 and N4");
        c.run_for(100ms);
        expect(c.node(1).commit_index() == 1, "index 2 stays uncommitted");
        c.note("N1 crashes; N5 restarts");
        c.crash(1);
        c.set_filter(nullptr);
        c.restart(5);
        expect(c.wait_for_leader() == 5, "N5 leads");
        expect(c.run_until([&] { return c.node(3).commit_index() >= 2; }, 1s), "N5's entry commits");
      },
      5, 16, basic(),
      [](SimCluster& c) {
        c.preload(1, HardState{3, kNoNode}, {cmd(2, 2)});
        c.preload(2, HardState{3, kNoNode}, {cmd(2, 2)});
        c.preload(3, HardState{3, kNoNode}, {});
        c.preload(4, HardState{3, kNoNode}, {});
        c.preload(5, HardState{3, kNoNode}, {cmd(2, 3)});
      }});

  list.push_back(Scenario{
      "leader_crash_recovery", "A leader crashes and recovers",
      "N1's commands commit on a majority. The leader's process dies with a command in flight. After an "
      "election "
      "timeout the others elect a new leader, whose log holds every committed entry (Leader Completeness, "
      "§5.4); "
      "the command that was only on the dead leader's log may or may not survive, and its client learns the "
      "outcome only from a retry or a later read. The old leader restarts from its durable log and term, "
      "hears from "
      "the new leader, and catches up; its state machine re-applies the log from the start.",
      [](SimCluster& c) {
        const NodeId l = c.wait_for_leader();
        expect(l != kNoNode, "a leader");
        expect(c.propose_and_wait(l, "a=1").ok(), "a=1 commits");
        c.propose(l, "b=2");
        c.run_for(1ms);
        c.crash(l);
        const NodeId n = c.wait_for_leader();
        expect(n != kNoNode && n != l, "a new leader");
        expect(c.propose_and_wait(n, "c=3").ok(), "c=3 commits");
        c.restart(l);
        expect(c.run_until([&] { return c.node(l).applied_index() == c.node(n).applied_index(); }, 2s),
               "the old leader catches up");
      },
      3, 4, basic(), nullptr});

  return list;
}

struct Rendered {
  std::string file;
  std::string text;
};

std::vector<Rendered> render_all() {
  std::vector<Rendered> out;
  std::string index =
      "# Traces\n\n"
      "Rendered runs of the simulated cluster (`coraft::testing::SimCluster`), generated by\n"
      "`tests/sim/trace_scenarios.cc`. Regenerate them with\n\n"
      "```sh\ncmake --build --preset release --target coraft_traces && ./build/release/tests/coraft_traces "
      "--write docs/traces\n```\n\n"
      "The ctest test `traces.up_to_date` fails when these files no longer match what the code does.\n\n"
      "In the tables, a server's column reads like `F t3 v2 5@3 c4 a4`: role F (follower), P "
      "(pre-candidate), C "
      "(candidate) or L (leader); `t` the term; `v` the vote (when cast); last index@last term; `c` the "
      "commit "
      "index; `a` the applied index; ⏸ paused, `down` crashed. What changed since the previous row is in "
      "bold. "
      "Sends are shown by their delivery or loss. "
      "Any simulated test writes such a trace when run with `CORAFT_TRACE=<directory>` in its "
      "environment.\n\n";
  for (const Scenario& s : scenarios()) {
    SimCluster c(options_for(s));
    if (s.before_start) s.before_start(c);
    c.start();
    s.run(c);
    const std::vector<TraceEvent> events = for_docs(c.trace().events());
    std::string md = "# " + s.title + "\n\n" + s.explanation + "\n\n" + std::to_string(s.nodes) +
                     " servers, seed " + std::to_string(s.seed) + ", PreVote " +
                     (s.settings.pre_vote ? "on" : "off") + ", CheckQuorum " +
                     (s.settings.check_quorum ? "on" : "off") + ". Also as [PlantUML](" + s.name +
                     ".puml).\n\n```mermaid\n" + coraft::testing::render_mermaid(events) + "```\n\n" +
                     coraft::testing::render_markdown(events);
    out.push_back({s.name + ".md", md});
    out.push_back({s.name + ".puml", coraft::testing::render_plantuml(events)});
    index += "- [" + s.title + "](" + s.name + ".md)\n";
  }
  out.push_back({"README.md", index});
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("\x01missing");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "--write") != 0 && std::strcmp(argv[1], "--check") != 0)) {
    std::fprintf(stderr, "usage: %s --write|--check <docs/traces directory>\n", argv[0]);
    return 2;
  }
  const bool write = std::strcmp(argv[1], "--write") == 0;
  const std::string dir = argv[2];
  std::vector<Rendered> files;
  try {
    files = render_all();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coraft_traces: %s\n", e.what());
    return 1;
  }
  int stale = 0;
  for (const Rendered& f : files) {
    const std::string path = dir + "/" + f.file;
    if (write) {
      std::ofstream out(path, std::ios::binary);
      out << f.text;
      if (!out) {
        std::fprintf(stderr, "coraft_traces: cannot write %s\n", path.c_str());
        return 1;
      }
    } else if (read_file(path) != f.text) {
      std::fprintf(stderr, "stale: %s\n", path.c_str());
      ++stale;
    }
  }
  if (stale != 0) {
    std::fprintf(stderr,
                 "%d trace file(s) differ from what the code does now. Regenerate them with:\n"
                 "  ./build/release/tests/coraft_traces --write docs/traces\n",
                 stale);
    return 1;
  }
  std::printf("%s %zu trace files\n", write ? "wrote" : "checked", files.size());
  return 0;
}
