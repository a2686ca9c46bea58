"""Wraps Debian's system libraries as cc_library targets in @system_libs.

Link flags come from pkg-config on the build machine, so the exact abseil/gRPC
library list always matches what is installed. Headers live in /usr/include,
which the default toolchain already searches.
"""

# target name -> pkg-config modules
_PKG_CONFIG = {
    "absl": [
        "absl_flags",
        "absl_hash",
        "absl_raw_hash_set",
        "absl_flags_parse",
        "absl_flags_usage",
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_synchronization",
        "absl_time",
        "absl_random_random",
    ],
    "curl": ["libcurl"],
    "hiredis": ["hiredis"],
    "openssl": ["libcrypto"],
    "grpc": ["grpc++", "protobuf"],
    "gtest": ["gmock", "gtest"],
    "prometheus": ["prometheus-cpp-pull", "prometheus-cpp-core"],
    "gtest_main": ["gmock", "gtest", "gtest_main"],
}

# target name -> extra link flags not covered by pkg-config
_EXTRA_LINKOPTS = {
    "grpc_reflection": ["-lgrpc++_reflection"],
    "httplib": ["-lcpp-httplib", "-lpthread"],
    "nlohmann_json": [],
}

def _pkg_config_libs(ctx, modules):
    result = ctx.execute(["pkg-config", "--libs"] + modules)
    if result.return_code != 0:
        fail("pkg-config --libs %s failed (run tools/install_deps): %s" %
             (" ".join(modules), result.stderr))
    return result.stdout.strip().split(" ")

# Debian's libcpp-httplib-dev splits httplib.h: declarations in the header, the
# code in libcpp-httplib.so built with these options. They change class layouts,
# so every user of the header must define them too.
_DEFINES = {
    "httplib": [
        "CPPHTTPLIB_OPENSSL_SUPPORT",
        "CPPHTTPLIB_ZLIB_SUPPORT",
        "CPPHTTPLIB_BROTLI_SUPPORT",
    ],
}

def _library(name, linkopts, deps = []):
    return """
cc_library(
    name = "{name}",
    defines = {defines},
    linkopts = {linkopts},
    deps = {deps},
    visibility = ["//visibility:public"],
)
""".format(
        name = name,
        defines = repr(_DEFINES.get(name, [])),
        linkopts = repr(linkopts),
        deps = repr(deps),
    )

def _system_libs_impl(ctx):
    build = []
    for name, modules in _PKG_CONFIG.items():
        build.append(_library(name, _pkg_config_libs(ctx, modules)))
    for name, linkopts in _EXTRA_LINKOPTS.items():
        deps = [":grpc"] if name.startswith("grpc") else []
        build.append(_library(name, linkopts, deps))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD", "".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    doc = "cc_library targets over Debian's system libraries (see bazel/system_libs.bzl).",
)
