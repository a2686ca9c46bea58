// The HTTP seam between the gateway's logic and the network: one asynchronous
// POST-style exchange per call. CurlMultiTransport implements it over libcurl;
// tests substitute an in-process fake. Implementations must be thread-safe,
// and must run each callback holding none of their locks, so a callback may
// Send again.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_HTTP_TRANSPORT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_HTTP_TRANSPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

// An HTTP request. `headers` are sent as given ("Name", "value").
struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The whole exchange (connect, send, receive) must finish within this.
  absl::Duration timeout = absl::Seconds(30);
};

// An HTTP answer of any status: a 4xx or 5xx is a successful exchange.
struct HttpResponse {
  int status_code = 0;
  // Header names are lower-cased; values are trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header named `name` (case-insensitive), if any.
  std::optional<absl::string_view> Header(absl::string_view name) const;
};

// Sends HTTP requests asynchronously.
class HttpTransport {
 public:
  // Receives the response, or UNAVAILABLE (no answer: refused, dropped, TLS
  // failure), DEADLINE_EXCEEDED (the timeout expired), CANCELLED (the
  // transport shut down), or INTERNAL / RESOURCE_EXHAUSTED (the transport
  // could not take the request). Runs on a transport thread (CurlMultiTransport:
  // its event loop), or on Send's caller's thread before Send returns (a
  // transport that shut down; in-process fakes): it must not block.
  using Callback = absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

  virtual ~HttpTransport() = default;

  // Starts `request`; `done` runs exactly once, possibly before Send returns.
  virtual void Send(HttpRequest request, Callback done) = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_HTTP_TRANSPORT_H_
