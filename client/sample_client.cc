// Sample client and deploy smoke test: archives the pairs given on the command
// line through the gateway (with --label, only those labels of the pairs:
// ArchiveAssociationLabels) and prints the BatchResult. Exits 0 only when the
// result is COMPLETE with no errors; with the gRPC code (1-16) when the call
// fails; 20 when it succeeded with errors or not COMPLETE; 21 when HubSpot
// answered 2xx with a body that is not a BatchResponse; 64 on bad usage.
// Bulk mode (--bulk_file) exits 0 only when every pair is acknowledged
// archived; 70 if its counts ever failed to add up; 74 when --failed_out
// could not be written.
//   sample_client --target=127.0.0.1:50051 --from_type=contacts
//     --to_type=companies --pair=101:201,202 --pair=102:203
//   sample_client ... --pair=101:201 --label=USER_DEFINED:36 --label=WORK:7
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/bulk_archive.h"
#include "client/bulk_pairs.h"
#include "client/pair_args.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/status.pb.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "The gateway's address");
ABSL_FLAG(std::string, from_type, "contacts", "Object type of the 'from' records");
ABSL_FLAG(std::string, to_type, "companies", "Object type of the 'to' records");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(30),
          "Deadline of the call (of each stream in bulk mode)");
ABSL_FLAG(bool, json, false, "Print the result (or error) as JSON");
ABSL_FLAG(bool, remove_association_if_unlabeled, false,
          "With --label: let a label that is the pair's unlabeled type (HUBSPOT_DEFINED, e.g. "
          "279 for contacts to companies) go, which makes HubSpot delete the whole association "
          "with all its labels; without it the gateway refuses such a call (INVALID_ARGUMENT)");
ABSL_FLAG(std::string, bulk_file, "",
          "Bulk mode: stream the from,to pairs of this CSV or JSON Lines (.jsonl) file, or "
          "'-' for stdin, with progress; instead of --pair");
ABSL_FLAG(std::string, failed_out, "",
          "Bulk mode: write every pair not confirmed archived (failed, or never acknowledged "
          "however the job ended) here, in the input's format, to feed back in");
ABSL_FLAG(int, pairs_per_message, 100, "Bulk mode: pairs per streamed request");
ABSL_FLAG(int, max_reconnects, 5,
          "Bulk mode: new streams opened in a row (with backoff) after one ends with "
          "UNAVAILABLE or CANCELLED, resending the unacknowledged requests");
ABSL_FLAG(std::string, journal, "",
          "Bulk mode: append each acknowledged request here (flushed); a rerun with the same "
          "journal and input skips what it records");
ABSL_FLAG(std::string, bearer_token_env, "",
          "If set, send the token in this environment variable as "
          "'authorization: Bearer' metadata (for a gateway in passthrough mode)");

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::util::MessageToJsonString;
using ::google::protobuf::util::TimeUtil;

constexpr int kExitIncomplete = 20;
// HubSpot answered 2xx with a body that is not a BatchResponse (the gateway
// fails such a call INTERNAL): whether anything was archived is unknown.
constexpr int kExitMalformedSuccess = 21;
constexpr int kExitUsage = 64;

std::string Json(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  if (!MessageToJsonString(message, &text, options).ok()) return "{}";
  return text;
}

void PrintResult(const v1::BatchResult& result) {
  std::cout << "status:       " << v1::BatchResult::Status_Name(result.status()) << "\n";
  if (result.has_requested_at()) {
    std::cout << "requested_at: " << TimeUtil::ToString(result.requested_at()) << "\n";
  }
  std::cout << "started_at:   " << TimeUtil::ToString(result.started_at()) << "\n"
            << "completed_at: " << TimeUtil::ToString(result.completed_at()) << "\n"
            << "results:      " << result.results_size() << "\n"
            << "num_errors:   " << result.num_errors() << "\n";
  for (const v1::StandardError& error : result.errors()) {
    std::cout << "  error " << error.category() << ": " << error.message() << "\n";
    for (const auto& [key, values] : error.context()) {
      std::cout << "    " << key << ":";
      for (const std::string& value : values.values()) std::cout << " " << value;
      std::cout << "\n";
    }
  }
}

// Prints the failure; returns the exit code: the gRPC code, or
// kExitMalformedSuccess for a 2xx answer the gateway could not read.
int PrintFailure(const grpc::Status& status, bool json) {
  google::rpc::Status rich;
  v1::UpstreamError upstream;
  const bool has_upstream = rich.ParseFromString(status.error_details()) &&
                            rich.details_size() > 0 && rich.details(0).UnpackTo(&upstream);
  const bool malformed_success = has_upstream &&
                                 status.error_code() == grpc::StatusCode::INTERNAL &&
                                 upstream.http_status() >= 200 && upstream.http_status() <= 299;
  if (json) {
    std::cout << "{\"code\": " << status.error_code()
              << ", \"upstreamError\": " << (has_upstream ? Json(upstream) : "null") << "}\n";
  } else {
    std::cerr << "call failed: code " << status.error_code() << ": " << status.error_message()
              << "\n";
    if (has_upstream) std::cerr << "upstream error: " << Json(upstream) << "\n";
  }
  if (!malformed_success) return status.error_code();
  std::cerr << "HubSpot answered HTTP " << upstream.http_status()
            << " with a body that is not a BatchResponse (quoted above), so whether the "
               "associations were removed is unknown; archiving is idempotent: send the call "
               "again (exit "
            << kExitMalformedSuccess << ")\n";
  return kExitMalformedSuccess;
}

// Sets the deadline and, with --bearer_token_env, the caller's token; false
// (after saying why) when that variable is not set.
bool AddCallMetadata(grpc::ClientContext& context) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
  const std::string env = absl::GetFlag(FLAGS_bearer_token_env);
  if (env.empty()) return true;
  const char* token = std::getenv(env.c_str());
  if (token == nullptr) {
    std::cerr << "--bearer_token_env: " << env << " is not set\n";
    return false;
  }
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  return true;
}

int RunBulk() {
  constexpr int kExitCountsDoNotAddUp = 70;
  constexpr int kExitCannotWrite = 74;  // EX_IOERR
  BulkOptions options;
  options.input_path = absl::GetFlag(FLAGS_bulk_file);
  options.format = FormatForPath(options.input_path);
  options.failed_path = absl::GetFlag(FLAGS_failed_out);
  options.from_object_type = absl::GetFlag(FLAGS_from_type);
  options.to_object_type = absl::GetFlag(FLAGS_to_type);
  options.pairs_per_message = absl::GetFlag(FLAGS_pairs_per_message);
  options.max_reconnects = absl::GetFlag(FLAGS_max_reconnects);
  options.journal_path = absl::GetFlag(FLAGS_journal);
  if (options.pairs_per_message < 1 || options.max_reconnects < 0) {
    std::cerr << "--pairs_per_message must be at least 1 and --max_reconnects not negative\n";
    return kExitUsage;
  }
  auto stub = v1::AssociationsArchive::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  bool metadata_ok = true;
  const BulkOutcome outcome = RunBulkArchive(
      *stub, [&](grpc::ClientContext& context) { return metadata_ok = AddCallMetadata(context); },
      options);
  if (!metadata_ok) return kExitUsage;
  const bool failed_file_ok = outcome.failed_file_status.ok();
  std::cout << "job of " << outcome.pairs << " pairs: " << outcome.pairs_archived << " archived, "
            << outcome.pairs_failed << " failed, " << outcome.pairs_unconfirmed << " unconfirmed";
  if (outcome.pairs_failed + outcome.pairs_unconfirmed + outcome.skipped_failed > 0 &&
      !options.failed_path.empty() && failed_file_ok) {
    std::cout << " (written to " << options.failed_path << ")";
  }
  if (outcome.reconnects > 0) std::cout << "; " << outcome.reconnects << " reconnects";
  std::cout << "\n";
  if (outcome.pairs_skipped > 0) {
    std::cout << "skipped " << outcome.pairs_skipped << " pairs acknowledged in "
              << options.journal_path << " (" << outcome.skipped_failed << " of them failed)\n";
  }
  if (!outcome.CountsAddUp()) {
    std::cerr << "the counts do not add up: some pairs are unaccounted for\n";
    return kExitCountsDoNotAddUp;
  }
  if (!failed_file_ok) {
    std::cerr << outcome.failed_file_status.message() << "\n"
              << (outcome.pairs == 0 ? "nothing was sent"
                                     : "the pairs not confirmed archived are listed nowhere"
                                       " (with --journal, a rerun lists the failed ones again)")
              << "\n";
    return kExitCannotWrite;
  }
  if (!outcome.status.ok()) {
    return PrintFailure(outcome.status, /*json=*/false);
  }
  return outcome.pairs_failed + outcome.pairs_unconfirmed + outcome.skipped_failed == 0
             ? 0
             : kExitIncomplete;
}

// Each of `texts` parsed by `parse`; std::nullopt (after saying why) when one fails.
template <typename Parse>
auto ParseAll(const std::vector<std::string>& texts, Parse parse)
    -> std::optional<std::vector<typename decltype(parse(""))::value_type>> {
  std::vector<typename decltype(parse(""))::value_type> parsed;
  for (const std::string& text : texts) {
    auto value = parse(text);
    if (!value.ok()) {
      std::cerr << value.status().message() << "\n";
      return std::nullopt;
    }
    parsed.push_back(*std::move(value));
  }
  return parsed;
}

// Sends the unary call: ArchiveAssociationLabels when `types` are given, else
// ArchiveAssociations.
grpc::Status Call(const std::vector<v1::ArchiveInput>& pairs,
                  const std::vector<v1::AssociationType>& types, grpc::ClientContext& context,
                  v1::BatchResult& result) {
  auto stub = v1::AssociationsArchive::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  if (!types.empty()) {
    v1::ArchiveAssociationLabelsRequest request;
    request.set_from_object_type(absl::GetFlag(FLAGS_from_type));
    request.set_to_object_type(absl::GetFlag(FLAGS_to_type));
    request.set_remove_association_if_unlabeled(
        absl::GetFlag(FLAGS_remove_association_if_unlabeled));
    for (v1::LabelArchiveInput& input : LabelInputs(pairs, types)) {
      *request.add_inputs() = std::move(input);
    }
    return stub->ArchiveAssociationLabels(&context, request, &result);
  }
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type(absl::GetFlag(FLAGS_from_type));
  request.set_to_object_type(absl::GetFlag(FLAGS_to_type));
  request.mutable_inputs()->Add(pairs.begin(), pairs.end());
  return stub->ArchiveAssociations(&context, request, &result);
}

int Run(const std::vector<std::string>& pair_args, const std::vector<std::string>& label_args) {
  if (!absl::GetFlag(FLAGS_bulk_file).empty()) return RunBulk();
  if (pair_args.empty()) {
    std::cerr << "give at least one --pair=FROM:TO[,TO...]\n";
    return kExitUsage;
  }
  const auto pairs = ParseAll(pair_args, ParsePair);
  const auto types = ParseAll(label_args, ParseLabel);
  if (!pairs.has_value() || !types.has_value()) return kExitUsage;

  grpc::ClientContext context;
  if (!AddCallMetadata(context)) return kExitUsage;
  v1::BatchResult result;
  const grpc::Status status = Call(*pairs, *types, context, result);
  const bool json = absl::GetFlag(FLAGS_json);
  if (!status.ok()) return PrintFailure(status, json);
  if (json) {
    std::cout << Json(result) << "\n";
  } else {
    PrintResult(result);
  }
  if (result.status() != v1::BatchResult::COMPLETE) {
    std::cerr << "HubSpot reported " << v1::BatchResult::Status_Name(result.status())
              << ", not COMPLETE: the work may not be finished (exit " << kExitIncomplete << ")\n";
  }
  const bool clean = result.status() == v1::BatchResult::COMPLETE && result.errors().empty() &&
                     result.num_errors() == 0;
  return clean ? 0 : kExitIncomplete;
}

}  // namespace
}  // namespace hubspot_gateway

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Archives associations through the gateway.\n"
      "  sample_client --from_type=contacts --to_type=companies "
      "--pair=101:201,202 --pair=102:203\n"
      "Removes only some labels of the pairs (the associations stay):\n"
      "  sample_client --pair=101:201 --label=USER_DEFINED:36 [--label=CATEGORY:TYPE_ID ...]\n"
      "A pair's unlabeled type (e.g. --label=HUBSPOT_DEFINED:279 for contacts to companies)\n"
      "removes the whole association: refused unless --remove_association_if_unlabeled.");
  const std::vector<std::string> pairs = hubspot_gateway::ExtractRepeatedArgs("pair", argc, argv);
  const std::vector<std::string> labels = hubspot_gateway::ExtractRepeatedArgs("label", argc, argv);
  absl::ParseCommandLine(argc, argv);
  // Past a file-size limit a write then fails (and is reported) instead of
  // killing the client.
  std::signal(SIGXFSZ, SIG_IGN);
  return hubspot_gateway::Run(pairs, labels);
}
