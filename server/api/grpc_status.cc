#include "server/api/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/rpc/status.pb.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

// `text` cut to about `limit` bytes on UTF-8 character boundaries, saying how
// many bytes were left out; its end (the correlation and request ids) is kept.
std::string Truncated(absl::string_view text, size_t limit) {
  constexpr size_t kKeptEnd = 96;
  if (text.size() <= limit) return std::string(text);
  const auto on_boundary = [&](size_t at) {
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) {
      --at;
    }
    return at;
  };
  const size_t head = on_boundary(limit - kKeptEnd);
  const size_t tail = on_boundary(text.size() - kKeptEnd);
  return absl::StrCat(text.substr(0, head), " ... (", tail - head, " bytes left out) ... ",
                      text.substr(tail));
}

// `error` cut to fit `limit` serialized bytes: HubSpot's message shortened,
// then its detail errors dropped from the end (the message says how many),
// then its context.
v1::UpstreamError Bounded(v1::UpstreamError error, size_t limit) {
  error.set_message(Truncated(error.message(), kMaxStatusMessageBytes / 2));
  const int all_errors = error.errors_size();
  while (error.ByteSizeLong() > limit && error.errors_size() > 0) {
    error.mutable_errors()->RemoveLast();
  }
  if (error.errors_size() < all_errors) {
    error.set_message(absl::StrCat(error.message(), " (", all_errors - error.errors_size(),
                                   " of HubSpot's ", all_errors, " errors left out)"));
  }
  if (error.ByteSizeLong() > limit) {
    error.clear_context();
    error.clear_links();
    error.set_message(absl::StrCat(error.message(), " (context left out)"));
  }
  return error;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message = Truncated(status.message(), kMaxStatusMessageBytes);
  const auto upstream = GetUpstreamError(status);
  if (!upstream.has_value()) return grpc::Status(code, message);
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(message);
  rich.add_details()->PackFrom(Bounded(*upstream, kMaxStatusDetailBytes - message.size()));
  return grpc::Status(code, message, rich.SerializeAsString());
}

}  // namespace hubspot_gateway
