// Helpers the integration tests share on top of Stack: start a stack (failing
// the test when it cannot), make an ArchiveAssociations call, read the
// simulator's counters and the gateway's metrics, read labels. For GoogleTest tests only.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_ARCHIVE_CALLS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_ARCHIVE_CALLS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "tests/testing/requests.h"  // SequentialRequest, for the tests that use these.
#include "tests/testing/stack.h"

namespace hubspot_gateway::testing {

// What an ArchiveAssociations (or ArchiveAssociationLabels) call returned.
struct ArchiveOutcome {
  grpc::Status status;
  hubspot::crm::associations::v1::BatchResult result;

  // The UpstreamError in the rich status details, if any.
  std::optional<hubspot::crm::associations::v1::UpstreamError> upstream() const;
};

// Calls ArchiveAssociations through the stack's gateway; with `bearer`, as
// 'authorization: Bearer <bearer>'.
ArchiveOutcome Archive(Stack& stack,
                       const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                       absl::Duration deadline = absl::Seconds(60), const std::string& bearer = "");
// The same through any gateway's stub (a replica's).
ArchiveOutcome Archive(hubspot::crm::associations::v1::AssociationsArchive::Stub& stub,
                       const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                       absl::Duration deadline = absl::Seconds(60), const std::string& bearer = "");

// Makes every call of `requests` from `callers` threads at once (each takes
// the next request when its previous call returns; 120 s deadlines); the
// outcomes in order.
std::vector<ArchiveOutcome> CallConcurrently(
    hubspot::crm::associations::v1::AssociationsArchive::Stub& stub,
    const std::vector<hubspot::crm::associations::v1::ArchiveAssociationsRequest>& requests,
    int callers);
std::vector<ArchiveOutcome> CallConcurrently(
    Stack& stack,
    const std::vector<hubspot::crm::associations::v1::ArchiveAssociationsRequest>& requests,
    int callers);

// Fails the test unless every outcome is OK without errors (showing the first three).
void ExpectAllSucceeded(const std::vector<ArchiveOutcome>& outcomes);

// Calls ArchiveAssociationLabels the same way.
ArchiveOutcome Archive(
    Stack& stack, const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request,
    absl::Duration deadline = absl::Seconds(60), const std::string& bearer = "");

// Starts a stack; a failure to start fails the test and returns nullptr.
std::unique_ptr<Stack> StartStack(StackOptions options = {});

// A counter of the simulator's /_admin/stats; -1 when unreadable.
int Stat(Stack& stack, const std::string& name);

// The gateway's /metrics page (the gateway must run with --metrics_listen);
// "" when unreadable.
std::string ScrapeMetrics(Stack& stack);
// The same for any gateway process (a replica).
std::string ScrapeMetrics(Subprocess& gateway);

// The value of one sample on the gateway's /metrics page, `series` written
// as the page writes it (e.g. "gateway_in_flight_calls"); -1 when absent.
double GatewayMetric(Stack& stack, const std::string& series);
double GatewayMetric(Subprocess& gateway, const std::string& series);

// "from>to CATEGORY:type_id,..." (or just "from>to" without labels) for every
// association the simulator holds between the types, in its order.
std::vector<std::string> LabeledAssociations(Stack& stack, const std::string& from_type,
                                             const std::string& to_type);

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_ARCHIVE_CALLS_H_
