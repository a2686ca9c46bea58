#include "server/api/stream_request_decoder.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::HasSubstr;

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(DecodeStreamRequestTest, DecodesARequestAndEmptiesTheBuffer) {
  v1::ArchiveAssociationsRequest sent;
  sent.set_from_object_type("contacts");
  sent.set_to_object_type("companies");
  sent.add_inputs()->mutable_from_object()->set_id("101");
  grpc::ByteBuffer message = BufferOf(sent.SerializeAsString());

  const auto decoded = DecodeStreamRequest(message);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->from_object_type(), "contacts");
  EXPECT_EQ(decoded->to_object_type(), "companies");
  ASSERT_EQ(decoded->inputs_size(), 1);
  EXPECT_EQ(decoded->inputs(0).from_object().id(), "101");
  EXPECT_EQ(message.Length(), 0u);
}

TEST(DecodeStreamRequestTest, AnEmptyMessageIsAnEmptyRequest) {
  grpc::ByteBuffer message = BufferOf("");
  const auto decoded = DecodeStreamRequest(message);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->inputs_size(), 0);
}

TEST(DecodeStreamRequestTest, RejectsBytesThatAreNotARequest) {
  // Field 1 (from_object_type) holding bytes that are not UTF-8, and bytes
  // that are no protobuf at all.
  for (const std::string& bytes :
       {std::string{'\x0a', '\x02', '\xff', '\xfe'}, std::string("\xff\xff\xff")}) {
    grpc::ByteBuffer message = BufferOf(bytes);
    EXPECT_FALSE(DecodeStreamRequest(message).has_value());
    EXPECT_EQ(message.Length(), 0u);
  }
}

TEST(UndecodableStreamRequestErrorTest, NamesThePositionAndWhatWasAcknowledged) {
  const absl::Status error = UndecodableStreamRequestError(7);
  EXPECT_TRUE(absl::IsInvalidArgument(error));
  EXPECT_THAT(error.message(), HasSubstr("request 7 on the stream could not be decoded"));
  EXPECT_THAT(error.message(), HasSubstr("the requests before it are acknowledged"));
}

}  // namespace
}  // namespace hubspot_gateway
