"""Reads the google.rpc.Status a failed call carries in grpc-status-details-bin.

google.rpc.Status is declared here in a private descriptor pool, not the
default one, so that this package never clashes with another that registers
google/rpc/status.proto (googleapis-common-protos, grpcio-status).
"""
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory

_FIELD = descriptor_pb2.FieldDescriptorProto


def _status_class():
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
    file = descriptor_pb2.FileDescriptorProto(
        name="google/rpc/status.proto", package="google.rpc", syntax="proto3",
        dependency=["google/protobuf/any.proto"])
    status = file.message_type.add(name="Status")
    status.field.add(name="code", number=1, type=_FIELD.TYPE_INT32, label=_FIELD.LABEL_OPTIONAL)
    status.field.add(name="message", number=2, type=_FIELD.TYPE_STRING,
                     label=_FIELD.LABEL_OPTIONAL)
    status.field.add(name="details", number=3, type=_FIELD.TYPE_MESSAGE,
                     type_name=".google.protobuf.Any", label=_FIELD.LABEL_REPEATED)
    pool.Add(file)
    return message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName("google.rpc.Status"))


_Status = _status_class()


def detail(trailing_metadata, message_class):
    """The first detail of type `message_class` in the status details, or None."""
    suffix = "/" + message_class.DESCRIPTOR.full_name
    for key, value in trailing_metadata or ():
        if key != "grpc-status-details-bin":
            continue
        for any_detail in _Status.FromString(value).details:
            if any_detail.type_url.endswith(suffix):
                return message_class.FromString(any_detail.value)
    return None
