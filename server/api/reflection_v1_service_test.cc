#include "server/api/reflection_v1_service.h"

#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"

namespace hubspot_gateway {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptorProto;
using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

const std::vector<std::string> kServices = {"hubspot.crm.associations.v1.AssociationsArchive",
                                            "grpc.health.v1.Health",
                                            "grpc.reflection.v1.ServerReflection"};

std::vector<std::string> FileNames(const ServerReflectionResponse& response) {
  std::vector<std::string> names;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    names.push_back(file.name());
  }
  return names;
}

ServerReflectionResponse Ask(const ServerReflectionRequest& request,
                             absl::flat_hash_set<std::string>& sent) {
  // The generated code of these files is linked in, so the pool knows them.
  grpc::health::v1::HealthCheckRequest health;
  hubspot::crm::associations::v1::ArchiveAssociationsRequest archive;
  return AnswerReflection(*DescriptorPool::generated_pool(), kServices, request, sent);
}

TEST(ReflectionV1Test, ListsTheServicesAndEchoesTheQuestion) {
  ServerReflectionRequest request;
  request.set_host("gateway:50051");
  request.set_list_services("*");
  absl::flat_hash_set<std::string> sent;
  const ServerReflectionResponse response = Ask(request, sent);
  EXPECT_EQ(response.valid_host(), "gateway:50051");
  EXPECT_EQ(response.original_request().list_services(), "*");
  ASSERT_EQ(response.list_services_response().service_size(), 3);
  EXPECT_EQ(response.list_services_response().service(1).name(), "grpc.health.v1.Health");
}

TEST(ReflectionV1Test, TheHealthServiceResolvesToItsFile) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol("grpc.health.v1.Health");
  absl::flat_hash_set<std::string> sent;
  EXPECT_EQ(FileNames(Ask(request, sent)), std::vector<std::string>{"grpc/health/v1/health.proto"});
  request.set_file_containing_symbol("grpc.health.v1.Health.Check");
  EXPECT_EQ(FileNames(Ask(request, sent)), std::vector<std::string>{"grpc/health/v1/health.proto"});
}

TEST(ReflectionV1Test, AFileComesWithItsImportsOnceAStream) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol("hubspot.crm.associations.v1.AssociationsArchive");
  absl::flat_hash_set<std::string> sent;
  const std::vector<std::string> first = FileNames(Ask(request, sent));
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first.front(), "hubspot/crm/associations/v1/associations_archive.proto");
  EXPECT_NE(std::find(first.begin(), first.end(), "google/protobuf/timestamp.proto"), first.end());
  // Asked again on the same stream: the file itself, its imports already sent.
  EXPECT_EQ(FileNames(Ask(request, sent)),
            std::vector<std::string>{"hubspot/crm/associations/v1/associations_archive.proto"});
  ServerReflectionRequest by_name;
  by_name.set_file_by_filename("google/protobuf/timestamp.proto");
  EXPECT_EQ(FileNames(Ask(by_name, sent)),
            std::vector<std::string>{"google/protobuf/timestamp.proto"});
}

TEST(ReflectionV1Test, UnknownNamesAndEmptyQuestionsAreErrors) {
  absl::flat_hash_set<std::string> sent;
  ServerReflectionRequest request;
  request.set_file_containing_symbol("no.such.Symbol");
  ServerReflectionResponse response = Ask(request, sent);
  EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(response.error_response().error_message(), "symbol \"no.such.Symbol\" not found");
  request.set_file_by_filename("no/such.proto");
  EXPECT_EQ(Ask(request, sent).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.mutable_file_containing_extension()->set_containing_type("google.protobuf.FieldOptions");
  request.mutable_file_containing_extension()->set_extension_number(99999);
  EXPECT_EQ(Ask(request, sent).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_all_extension_numbers_of_type("no.such.Type");
  EXPECT_EQ(Ask(request, sent).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Ask(ServerReflectionRequest(), sent).error_response().error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ReflectionV1Test, ExtensionNumbersOfAKnownType) {
  absl::flat_hash_set<std::string> sent;
  ServerReflectionRequest request;
  request.set_all_extension_numbers_of_type("google.protobuf.FieldOptions");
  const ServerReflectionResponse response = Ask(request, sent);
  EXPECT_FALSE(response.has_error_response());
  EXPECT_EQ(response.all_extension_numbers_response().base_type_name(),
            "google.protobuf.FieldOptions");
}

}  // namespace
}  // namespace hubspot_gateway
