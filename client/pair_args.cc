#include "client/pair_args.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hubspot_gateway {

absl::StatusOr<hubspot::crm::associations::v1::ArchiveInput> ParsePair(absl::string_view text) {
  std::vector<absl::string_view> sides = absl::StrSplit(text, ':');
  if (sides.size() != 2 || sides[0].empty() || sides[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pair must be FROM:TO[,TO...], got \"", text, "\""));
  }
  hubspot::crm::associations::v1::ArchiveInput input;
  input.mutable_from_object()->set_id(std::string(sides[0]));
  for (absl::string_view to : absl::StrSplit(sides[1], ',')) {
    input.add_to_objects()->set_id(std::string(to));
  }
  return input;
}

std::vector<std::string> ExtractPairArgs(int& argc, char** argv) {
  std::vector<std::string> pairs;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--pair=")) {
      pairs.emplace_back(arg);
    } else if (arg == "--pair" && i + 1 < argc) {
      pairs.emplace_back(argv[++i]);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return pairs;
}

}  // namespace hubspot_gateway
