#include "client/pair_args.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

absl::StatusOr<v1::ArchiveInput> ParsePair(absl::string_view text) {
  std::vector<absl::string_view> sides = absl::StrSplit(text, ':');
  if (sides.size() != 2 || sides[0].empty() || sides[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pair must be FROM:TO[,TO...], got \"", text, "\""));
  }
  v1::ArchiveInput input;
  input.mutable_from_object()->set_id(std::string(sides[0]));
  for (absl::string_view to : absl::StrSplit(sides[1], ',')) {
    input.add_to_objects()->set_id(std::string(to));
  }
  return input;
}

absl::StatusOr<v1::AssociationType> ParseLabel(absl::string_view text) {
  std::vector<absl::string_view> sides = absl::StrSplit(text, ':');
  v1::AssociationType type;
  v1::AssociationCategory category = v1::ASSOCIATION_CATEGORY_UNSPECIFIED;
  int32_t type_id = 0;
  if (sides.size() != 2 || !v1::AssociationCategory_Parse(std::string(sides[0]), &category) ||
      category == v1::ASSOCIATION_CATEGORY_UNSPECIFIED || !absl::SimpleAtoi(sides[1], &type_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--label must be CATEGORY:TYPE_ID with a CATEGORY of HUBSPOT_DEFINED, "
                     "INTEGRATOR_DEFINED, USER_DEFINED or WORK, got \"",
                     text, "\""));
  }
  type.set_category(category);
  type.set_type_id(type_id);
  return type;
}

std::vector<v1::LabelArchiveInput> LabelInputs(const std::vector<v1::ArchiveInput>& pairs,
                                               const std::vector<v1::AssociationType>& types) {
  std::vector<v1::LabelArchiveInput> inputs;
  for (const v1::ArchiveInput& pair : pairs) {
    for (const v1::ObjectId& to : pair.to_objects()) {
      v1::LabelArchiveInput& input = inputs.emplace_back();
      *input.mutable_from_object() = pair.from_object();
      *input.mutable_to_object() = to;
      input.mutable_types()->Add(types.begin(), types.end());
    }
  }
  return inputs;
}

std::vector<std::string> ExtractRepeatedArgs(absl::string_view name, int& argc, char** argv) {
  const std::string flag = absl::StrCat("--", name);
  const std::string with_value = absl::StrCat(flag, "=");
  std::vector<std::string> values;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, with_value)) {
      values.emplace_back(arg);
    } else if (arg == flag && i + 1 < argc) {
      values.emplace_back(argv[++i]);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return values;
}

}  // namespace hubspot_gateway
