// A fixture that asserts every coroutine frame a test created was freed
// (rule 6 of docs/coroutines.md).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "coraft/coro/task.h"

class CoroTest : public ::testing::Test {
 protected:
  void SetUp() override { frames_at_start_ = coraft::coro::live_frames(); }
  void TearDown() override {
    EXPECT_EQ(coraft::coro::live_frames(), frames_at_start_) << "coroutine frames leaked by this test";
  }

 private:
  std::int64_t frames_at_start_ = 0;
};
