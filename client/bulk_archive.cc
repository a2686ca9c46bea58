#include "client/bulk_archive.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

// Progress on stderr: a redrawn bar on a terminal, a line a second otherwise.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(int64_t total)
      : total_(total), terminal_(isatty(STDERR_FILENO)), start_(absl::Now()) {}

  void Update(const v1::ArchiveProgress& progress, bool final) {
    const absl::Time now = absl::Now();
    if (!final && now - last_shown_ < (terminal_ ? absl::Milliseconds(100) : absl::Seconds(1))) {
      return;
    }
    last_shown_ = now;
    const int64_t done = progress.inputs_archived() + progress.inputs_failed();
    const double seconds = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    const double rate = done / seconds;
    std::string line =
        absl::StrFormat("%d/%s pairs done (%d failed), %.0f/s", done,
                        total_ >= 0 ? absl::StrCat(total_) : "?", progress.inputs_failed(), rate);
    if (total_ > 0 && rate > 0 && !final) {
      absl::StrAppendFormat(&line, ", ETA %.0fs", (total_ - done) / rate);
    }
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled =
          total_ > 0 ? static_cast<int>(kWidth * done / std::max<int64_t>(1, total_)) : 0;
      std::fprintf(stderr, "\r[%s%s] %s\033[K%s", std::string(filled, '#').c_str(),
                   std::string(kWidth - std::min(filled, kWidth), '.').c_str(), line.c_str(),
                   final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

 private:
  const int64_t total_;
  const bool terminal_;
  const absl::Time start_;
  absl::Time last_shown_ = absl::InfinitePast();
};

// Pairs in a file, or -1 for stdin (unknown until read).
int64_t CountPairs(const BulkOptions& options) {
  if (options.input_path == "-") return -1;
  std::ifstream file(options.input_path);
  int64_t pairs = 0;
  std::string line;
  while (std::getline(file, line)) {
    auto pair = ParsePairLine(line, options.format);
    pairs += pair.ok() && pair->has_value();
  }
  return pairs;
}

// Writes the requests; returns INVALID_ARGUMENT for a malformed line.
grpc::Status WriteRequests(
    grpc::ClientReaderWriter<v1::ArchiveAssociationsRequest, v1::ArchiveProgress>& stream,
    const BulkOptions& options, int64_t& pairs_sent) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.input_path != "-") {
    file.open(options.input_path);
    if (!file) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("cannot read ", options.input_path));
    }
    in = &file;
  }
  v1::ArchiveAssociationsRequest request;
  auto send = [&]() {
    if (request.inputs().empty()) return true;
    const bool written = stream.Write(request);
    pairs_sent += request.inputs_size();
    request.clear_inputs();
    return written;
  };
  request.set_from_object_type(options.from_object_type);
  request.set_to_object_type(options.to_object_type);
  std::string line;
  for (int64_t number = 1; std::getline(*in, line); ++number) {
    absl::StatusOr<std::optional<IdPair>> pair = ParsePairLine(line, options.format);
    if (!pair.ok()) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat(options.input_path, " line ", number, ": ", pair.status().message()));
    }
    if (!pair->has_value()) continue;
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id((*pair)->from);
    input->add_to_objects()->set_id((*pair)->to);
    if (request.inputs_size() == options.pairs_per_message && !send()) return grpc::Status::OK;
  }
  send();
  return grpc::Status::OK;
}

// Appends the pairs an error names ("inputs": "from:to,to") to `out`.
int64_t WriteFailedPairs(const v1::StandardError& error, PairFormat format, std::ostream* out) {
  auto inputs = error.context().find("inputs");
  if (inputs == error.context().end()) return 0;
  int64_t written = 0;
  for (const std::string& input : inputs->second.values()) {
    std::vector<std::string> sides = absl::StrSplit(input, absl::MaxSplits(':', 1));
    if (sides.size() != 2) continue;
    for (absl::string_view to : absl::StrSplit(sides[1], ',')) {
      if (out != nullptr) *out << FormatPairLine({sides[0], std::string(to)}, format) << "\n";
      ++written;
    }
  }
  return written;
}

}  // namespace

BulkOutcome RunBulkArchive(v1::AssociationsArchive::Stub& stub, grpc::ClientContext& context,
                           const BulkOptions& options) {
  BulkOutcome outcome;
  std::unique_ptr<std::ofstream> failed_file;
  if (!options.failed_path.empty()) {
    failed_file = std::make_unique<std::ofstream>(options.failed_path);
  }
  ProgressDisplay display(CountPairs(options));
  auto stream = stub.ArchiveAssociationsStream(&context);

  // Writes block while the gateway is not reading (flow control): the file is
  // read only as fast as HubSpot's budget lets the gateway work.
  grpc::Status write_status;
  std::thread writer([&] {
    write_status = WriteRequests(*stream, options, outcome.pairs_sent);
    if (!write_status.ok()) context.TryCancel();
    stream->WritesDone();
  });

  v1::ArchiveProgress progress;
  int64_t unnamed_failures = 0;
  while (stream->Read(&progress)) {
    for (const v1::StandardError& error : progress.errors()) {
      if (WriteFailedPairs(error, options.format, failed_file.get()) == 0) {
        ++unnamed_failures;
        std::cerr << "\nerror without inputs: " << error.category() << ": " << error.message()
                  << "\n";
      }
    }
    outcome.pairs_archived = progress.inputs_archived();
    outcome.pairs_failed = progress.inputs_failed();
    display.Update(progress, progress.done());
  }
  writer.join();
  outcome.status = write_status.ok() ? stream->Finish() : write_status;
  if (unnamed_failures > 0) {
    std::cerr << unnamed_failures << " errors named no inputs (see above)\n";
  }
  return outcome;
}

}  // namespace hubspot_gateway
