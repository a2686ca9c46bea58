// Replays every committed corpus input of a libFuzzer target as a GoogleTest,
// so the regular (gcc) suite keeps exercising what the fuzzers found.
// Usage: <test> <corpus directory>...
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string>& CorpusDirectories() {
  static std::vector<std::string> directories;
  return directories;
}

TEST(CorpusReplayTest, EveryCommittedInputIsHandled) {
  int replayed = 0;
  for (const std::string& directory : CorpusDirectories()) {
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
      std::ifstream file(entry.path(), std::ios::binary);
      const std::string input((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
      EXPECT_EQ(
          LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size()), 0)
          << entry.path();
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) CorpusDirectories().push_back(argv[i]);
  return RUN_ALL_TESTS();
}
