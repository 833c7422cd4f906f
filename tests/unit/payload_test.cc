// Payload: shared immutable bytes.
#include "coraft/payload.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "coraft/types.h"

namespace coraft {
namespace {

TEST(Payload, EmptyHoldsNothing) {
  const Payload p;
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.view(), "");
  EXPECT_EQ(p.use_count(), 0u);
  EXPECT_EQ(p.footprint(), 0u);
  EXPECT_EQ(Payload(std::string()).use_count(), 0u) << "an empty string allocates nothing";
}

TEST(Payload, CopiesShareTheBytes) {
  const Payload a = std::string("set x 1");
  Payload b = a;
  EXPECT_EQ(a.use_count(), 2u);
  EXPECT_EQ(a.data(), b.data()) << "the same bytes, not a copy";
  {
    Entry e{1, 2, EntryType::kCommand, b};
    EXPECT_EQ(a.use_count(), 3u);
    EXPECT_EQ(e.data, "set x 1");
  }
  EXPECT_EQ(a.use_count(), 2u);
  Payload c = std::move(b);
  EXPECT_EQ(a.use_count(), 2u) << "a move transfers the share";
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  c = Payload("other");
  EXPECT_EQ(a.use_count(), 1u);
  EXPECT_EQ(c, "other");
}

TEST(Payload, LargeStringsAreAdoptedWithoutACopy) {
  std::string big(100'000, 'x');
  const char* buffer = big.data();
  const Payload p(std::move(big));
  EXPECT_EQ(p.data(), buffer) << "the string's own buffer is kept";
  EXPECT_EQ(p.size(), 100'000u);
  EXPECT_GE(p.footprint(), 100'000u);
  // A small one is copied next to its count: one allocation.
  std::string small(64, 'y');
  const Payload q(small);
  EXPECT_NE(q.data(), small.data());
  EXPECT_EQ(q.view(), small);
  EXPECT_GE(q.footprint(), 64u);
  EXPECT_LT(q.footprint(), 64u + 64u) << "bytes plus a small header";
}

TEST(Payload, ComparesByBytes) {
  EXPECT_EQ(Payload("abc"), Payload(std::string("abc")));
  EXPECT_NE(Payload("abc"), Payload("abd"));
  EXPECT_EQ(Payload("abc"), std::string("abc"));
  EXPECT_EQ(Payload("abc"), std::string_view("abc"));
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(Payload(with_nul).size(), 3u);
  EXPECT_EQ(Payload(with_nul), with_nul);
  EXPECT_EQ(Payload(with_nul).str(), with_nul);
}

TEST(Payload, SharingAcrossThreadsIsSafe) {
  // Counts are atomic: threads copying and dropping shares of one payload
  // leave it intact (TSan and ASan runs check the rest).
  const Payload shared = std::string(5000, 'z');
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        Payload copy = shared;
        if (copy.size() != 5000) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(shared.use_count(), 1u);
}

}  // namespace
}  // namespace coraft
