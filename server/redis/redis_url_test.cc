#include "server/redis/redis_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

TEST(ParseRedisUrlTest, ReadsHostPortDatabaseAndRefusesTls) {
  absl::StatusOr<RedisConnectionOptions> options = ParseRedisUrl("redis://10.0.0.5:6380/3");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "10.0.0.5");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->db, 3);
  options = ParseRedisUrl("redis://:pw@redis.internal:6379");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "redis.internal");
  EXPECT_EQ(options->password, "pw");
  absl::Status tls = ParseRedisUrl("rediss://redis.internal:6380").status();
  EXPECT_EQ(tls.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tls.message(), HasSubstr("TLS"));
  EXPECT_FALSE(ParseRedisUrl("redis://no-port").ok());
  EXPECT_FALSE(ParseRedisUrl("http://127.0.0.1:6379").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://127.0.0.1:6379/x").ok());
}

}  // namespace
}  // namespace hubspot_gateway
