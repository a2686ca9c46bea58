"""One libFuzzer target, described once for both toolchains."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

def fuzz_target(name, deps):
    """The fuzz target `name`, from `<name>_fuzzer.cc` and corpus/<name>/.

    Defines:
      <name>_fuzzer_lib:   LLVMFuzzerTestOneInput, as a library.
      <name>_corpus_test:  replays every committed corpus input as a GoogleTest
                           under the regular toolchain (part of `bazel test`).
      <name>_fuzzer:       the libFuzzer binary. Tagged manual: it only builds
                           with --config=fuzz (clang-14), which tools/fuzz uses.
    """
    cc_library(
        name = name + "_fuzzer_lib",
        testonly = True,
        srcs = [name + "_fuzzer.cc"],
        deps = deps,
        alwayslink = True,
    )
    cc_test(
        name = name + "_corpus_test",
        args = ["%s/corpus/%s" % (native.package_name(), name)],
        data = native.glob(["corpus/%s/*" % name]),
        deps = [
            ":" + name + "_fuzzer_lib",
            ":corpus_replay_main",
        ],
    )
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":" + name + "_fuzzer_lib"],
    )
