// Security end to end: TLS and mutual TLS on the gateway's listener, with
// throwaway certificates made by openssl for each run.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::ReadFile;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::TempPath;

// A CA, a server certificate for localhost/127.0.0.1 and a client
// certificate, all signed by the CA, in a fresh directory.
class Certificates {
 public:
  Certificates() : dir_(TempPath("certs")) {
    const std::string script = absl::StrCat(
        "set -e; mkdir -p ", dir_, "; cd ", dir_, ";",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca "
        "  -keyout ca.key -out ca.pem 2>/dev/null;",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key "
        "  -out server.csr 2>/dev/null;",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "  -extfile san.ext -out server.pem 2>/dev/null;",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=caller -keyout client.key "
        "  -out client.csr 2>/dev/null;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "  -out client.pem 2>/dev/null;");
    ok_ = std::system(script.c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }
  std::string Pem(const std::string& name) const { return ReadFile(Path(name)); }

 private:
  std::string dir_;
  bool ok_ = false;
};

v1::ArchiveAssociationsRequest Request() {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  auto* input = request.add_inputs();
  input->mutable_from_object()->set_id("1");
  input->add_to_objects()->set_id("2");
  return request;
}

grpc::Status Call(int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto stub = v1::AssociationsArchive::NewStub(
      grpc::CreateChannel(absl::StrCat("localhost:", port), credentials));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::BatchResult result;
  return stub->ArchiveAssociations(&context, Request(), &result);
}

std::unique_ptr<Stack> StartWithTls(const Certificates& certs, bool mutual) {
  StackOptions options;
  options.gateway_flags = {absl::StrCat("--tls_cert=", certs.Path("server.pem")),
                           absl::StrCat("--tls_key=", certs.Path("server.key"))};
  if (mutual) {
    options.gateway_flags.push_back(absl::StrCat("--tls_client_ca=", certs.Path("ca.pem")));
  }
  auto stack = Stack::Start(options);
  EXPECT_TRUE(stack.ok()) << stack.status();
  return stack.ok() ? *std::move(stack) : nullptr;
}

TEST(SecurityIntegrationTest, TlsListenerServesTlsCallersOnly) {
  Certificates certs;
  ASSERT_TRUE(certs.ok());
  auto stack = StartWithTls(certs, /*mutual=*/false);
  ASSERT_NE(stack, nullptr);
  grpc::SslCredentialsOptions trusted;
  trusted.pem_root_certs = certs.Pem("ca.pem");
  EXPECT_TRUE(Call(stack->gateway_port(), grpc::SslCredentials(trusted)).ok());
  EXPECT_FALSE(Call(stack->gateway_port(), grpc::InsecureChannelCredentials()).ok());
  // A caller that does not trust the gateway's CA refuses it.
  grpc::SslCredentialsOptions untrusted;
  untrusted.pem_root_certs = certs.Pem("client.pem");
  EXPECT_FALSE(Call(stack->gateway_port(), grpc::SslCredentials(untrusted)).ok());
  EXPECT_THAT(stack->gateway().Output(), ::testing::HasSubstr(", TLS"));
  EXPECT_THAT(stack->AllOutput(), ::testing::Not(::testing::HasSubstr("PRIVATE KEY")));
}

TEST(SecurityIntegrationTest, MutualTlsRequiresACallerCertificateFromTheCa) {
  Certificates certs;
  ASSERT_TRUE(certs.ok());
  auto stack = StartWithTls(certs, /*mutual=*/true);
  ASSERT_NE(stack, nullptr);
  grpc::SslCredentialsOptions without_certificate;
  without_certificate.pem_root_certs = certs.Pem("ca.pem");
  EXPECT_FALSE(Call(stack->gateway_port(), grpc::SslCredentials(without_certificate)).ok());
  grpc::SslCredentialsOptions with_certificate = without_certificate;
  with_certificate.pem_cert_chain = certs.Pem("client.pem");
  with_certificate.pem_private_key = certs.Pem("client.key");
  const grpc::Status status = Call(stack->gateway_port(), grpc::SslCredentials(with_certificate));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(stack->gateway().Output(), ::testing::HasSubstr("mutual TLS"));
}

std::string Sha256HexForTest(const std::string& text) {
  const std::string file = TempPath("hash-input");
  std::ofstream(file) << text;
  const std::string digest_file = TempPath("hash-output");
  std::system(absl::StrCat("sha256sum ", file, " | cut -c1-64 > ", digest_file).c_str());
  return std::string(absl::StripAsciiWhitespace(ReadFile(digest_file)));
}

// A call carrying `api_key` in 'x-api-key' (none when nullopt).
grpc::Status CallWithKey(Stack& stack, const std::optional<std::string>& api_key) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (api_key.has_value()) context.AddMetadata("x-api-key", *api_key);
  v1::BatchResult result;
  return stack.stub().ArchiveAssociations(&context, Request(), &result);
}

TEST(SecurityIntegrationTest, CallerKeysSelectEachTeamsHubSpotToken) {
  const std::string callers_file = TempPath("callers.json");
  // Team "billing" uses the simulator's full-scope token; team "support" a
  // token the simulator knows but without the write scope.
  std::ofstream(callers_file) << R"({"callers": [
      {"name": "billing", "api_key_sha256": ")"
                              << Sha256HexForTest("key-billing-123") << R"(",
       "hubspot_token": ")" << testing::kSimulatorToken
                              << R"("},
      {"name": "support", "api_key_sha256": ")"
                              << Sha256HexForTest("key-support-456") << R"(",
       "hubspot_token": "pat-support-token"}]})";
  // It holds tokens, and every user may read it: allowed, but warned of.
  ASSERT_EQ(chmod(callers_file.c_str(), 0644), 0);
  StackOptions options;
  options.simulator_flags = {"--tokens_without_scopes=pat-support-token"};
  options.gateway_flags = {"--auth_mode=caller_keys",
                           absl::StrCat("--callers_file=", callers_file)};
  options.gateway_token = "";
  auto started = Stack::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  Stack& stack = **started;

  EXPECT_EQ(CallWithKey(stack, std::nullopt).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallWithKey(stack, "key-nobody").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallWithKey(stack, "key-billing-123").ok());
  EXPECT_EQ(CallWithKey(stack, "key-support-456").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // support's own token was used
  const std::string output = stack.AllOutput();
  EXPECT_THAT(output, ::testing::HasSubstr(absl::StrCat(
                          "--callers_file ", callers_file,
                          " holds a secret but every user of this machine may read it")));
  for (const char* secret : {"key-billing-123", "key-support-456", "key-nobody",
                             "pat-support-token", testing::kSimulatorToken}) {
    EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr(secret))) << secret;
  }
}

// What the README's recipe gives when the key's variable is unset: the
// SHA-256 of "". Such a file is refused; an empty key reaches no HubSpot.
TEST(SecurityIntegrationTest, AnEmptyApiKeyNeverAuthenticates) {
  const std::string callers_file = TempPath("callers.json");
  const auto write_callers = [&](const std::string& key) {
    std::ofstream(callers_file) << R"({"callers": [{"name": "ops", "api_key_sha256": ")"
                                << Sha256HexForTest(key) << R"(", "hubspot_token": ")"
                                << testing::kSimulatorToken << R"("}]})";
    EXPECT_EQ(chmod(callers_file.c_str(), 0600), 0);
  };
  write_callers("");
  StackOptions options;
  options.gateway_flags = {"--auth_mode=caller_keys",
                           absl::StrCat("--callers_file=", callers_file)};
  options.gateway_token = "";
  auto refused = Stack::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("process exited with 2 before listening"));
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("--callers_file: callers[0] (ops): \"api_key_sha256\" is the "
                                   "SHA-256 of an empty key"));

  write_callers("key-ops-789");
  auto started = Stack::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  Stack& stack = **started;
  const grpc::Status empty = CallWithKey(stack, "");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(empty.error_message(), ::testing::HasSubstr("'x-api-key' metadata is empty"));
  EXPECT_TRUE(CallWithKey(stack, "key-ops-789").ok());
  // Only the authenticated call reached the simulator.
  EXPECT_EQ(testing::Stat(stack, "requests"), 1);
  // A file only its owner may read is not warned of.
  EXPECT_THAT(stack.AllOutput(), ::testing::Not(::testing::HasSubstr("holds a secret")));
}

}  // namespace
}  // namespace hubspot_gateway
