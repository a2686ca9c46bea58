#include "server/api/reflection_v1_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"

namespace hubspot_gateway {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptor;
using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

void SetError(ServerReflectionResponse& response, grpc::StatusCode code,
              const std::string& message) {
  response.mutable_error_response()->set_error_code(code);
  response.mutable_error_response()->set_error_message(message);
}

// `file` and everything it imports, transitively, except the files already
// sent; each added to `files_sent`.
void AddFiles(const FileDescriptor* file, absl::flat_hash_set<std::string>& files_sent,
              ServerReflectionResponse& response) {
  if (!files_sent.insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  response.mutable_file_descriptor_response()->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFiles(file->dependency(i), files_sent, response);
  }
}

void AnswerWithFile(const FileDescriptor* file, const std::string& what,
                    absl::flat_hash_set<std::string>& files_sent,
                    ServerReflectionResponse& response) {
  if (file == nullptr) {
    SetError(response, grpc::StatusCode::NOT_FOUND, absl::StrCat(what, " not found"));
    return;
  }
  // Always answer with the file asked about, even if sent before.
  files_sent.erase(file->name());
  AddFiles(file, files_sent, response);
}

}  // namespace

ServerReflectionResponse AnswerReflection(const DescriptorPool& pool,
                                          const std::vector<std::string>& services,
                                          const ServerReflectionRequest& request,
                                          absl::flat_hash_set<std::string>& files_sent) {
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case ServerReflectionRequest::kFileByFilename:
      AnswerWithFile(pool.FindFileByName(request.file_by_filename()),
                     absl::StrCat("file \"", request.file_by_filename(), "\""), files_sent,
                     response);
      break;
    case ServerReflectionRequest::kFileContainingSymbol:
      AnswerWithFile(pool.FindFileContainingSymbol(request.file_containing_symbol()),
                     absl::StrCat("symbol \"", request.file_containing_symbol(), "\""), files_sent,
                     response);
      break;
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& extension = request.file_containing_extension();
      const google::protobuf::Descriptor* type =
          pool.FindMessageTypeByName(extension.containing_type());
      const google::protobuf::FieldDescriptor* field =
          type == nullptr ? nullptr
                          : pool.FindExtensionByNumber(type, extension.extension_number());
      AnswerWithFile(field == nullptr ? nullptr : field->file(),
                     absl::StrCat("extension ", extension.extension_number(), " of \"",
                                  extension.containing_type(), "\""),
                     files_sent, response);
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const google::protobuf::Descriptor* type =
          pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(response, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("type \"", request.all_extension_numbers_of_type(), "\" not found"));
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool.FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* field : extensions) numbers->add_extension_number(field->number());
      break;
    }
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      SetError(response, grpc::StatusCode::INVALID_ARGUMENT, "no question asked");
      break;
  }
  return response;
}

namespace {

// One reflection stream: read a question, write its answer, read the next,
// until the caller closes its side.
class ReflectionReactor final
    : public grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse> {
 public:
  explicit ReflectionReactor(const std::vector<std::string>& services) : services_(services) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_ =
        AnswerReflection(*DescriptorPool::generated_pool(), services_, request_, files_sent_);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the answer could not be sent"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const std::vector<std::string>& services_;
  // One read or one write at a time, so gRPC's reactions never overlap.
  ServerReflectionRequest request_;
  ServerReflectionResponse response_;
  absl::flat_hash_set<std::string> files_sent_;
};

}  // namespace

ReflectionV1Service::ReflectionV1Service(std::vector<std::string> services)
    : services_(std::move(services)) {}

grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse>*
ReflectionV1Service::ServerReflectionInfo(grpc::CallbackServerContext* /*context*/) {
  return new ReflectionReactor(services_);
}

}  // namespace hubspot_gateway
