#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "coraft/status.h"

using coraft::Result;
using coraft::Status;

TEST(Status, OkAndErrorsDescribeThemselves) {
  EXPECT_TRUE(Status::ok().is_ok());
  EXPECT_EQ(Status::ok().to_string(), "ok");
  Status s = Status::not_leader(4);
  EXPECT_FALSE(s.is_ok());
  EXPECT_TRUE(s.is_not_leader());
  EXPECT_EQ(s.leader_hint(), 4u);
  EXPECT_EQ(s.to_string(), "not leader: not the leader (leader hint: node 4)");
  EXPECT_EQ(Status::not_leader().to_string(), "not leader: not the leader");
  EXPECT_TRUE(Status::corrupt("bad length").is_corrupt());
  EXPECT_EQ(Status::corrupt("bad length").to_string(), "corrupt: bad length");
}

TEST(Status, ResultHoldsAValueOrAnError) {
  Result<std::string> good = std::string("v");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "v");
  EXPECT_TRUE(good.status().is_ok());
  Result<std::string> bad = Status::timeout();
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().is_timeout());
  EXPECT_EQ(bad.value_or("fallback"), "fallback");
  EXPECT_THROW((void)bad.value(), std::bad_variant_access);
}

TEST(Status, ResultRefusesAnOkStatusAsAnError) {
  Result<int> r = Status::ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
}
