"""Generates C++ protobuf and gRPC code with Debian's protoc and grpc_cpp_plugin."""

def cc_proto_grpc_library(name, srcs, grpc_srcs = [], deps = [], visibility = None):
    """C++ messages for `srcs`, plus gRPC services for those also in `grpc_srcs`.

    Paths are relative to this package, which is the import root of the protos.
    """
    outs = []
    for src in srcs:
        stem = src[:-len(".proto")]
        outs += [stem + ".pb.h", stem + ".pb.cc"]
        if src in grpc_srcs:
            outs += [stem + ".grpc.pb.h", stem + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_codegen",
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            "/usr/bin/protoc",
            "--proto_path=" + native.package_name(),
            "--proto_path=/usr/include",
            "--cpp_out=$(GENDIR)/" + native.package_name(),
        ] + ([
            "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin",
            "--grpc_out=$(GENDIR)/" + native.package_name(),
        ] if grpc_srcs else []) + ["$(SRCS)"]),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["@system_libs//:grpc"],
        visibility = visibility,
    )
