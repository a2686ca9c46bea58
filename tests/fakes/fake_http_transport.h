// FakeHttpTransport answers each request at once with what a test-supplied
// handler returns, and records every request it saw. For unit tests of the
// call logic without a network. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_HTTP_TRANSPORT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_HTTP_TRANSPORT_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/http/http_transport.h"

namespace hubspot_gateway {

class FakeHttpTransport final : public HttpTransport {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  explicit FakeHttpTransport(Handler handler) : handler_(std::move(handler)) {}

  void Send(HttpRequest request, Callback done) override {
    absl::StatusOr<HttpResponse> answer = handler_(request);
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(std::move(request));
    }
    std::move(done)(std::move(answer));
  }

  std::vector<HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  static HttpResponse Answer(int status, std::string body = "",
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse response;
    response.status_code = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    return response;
  }

 private:
  Handler handler_;
  absl::Mutex mu_;
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_HTTP_TRANSPORT_H_
