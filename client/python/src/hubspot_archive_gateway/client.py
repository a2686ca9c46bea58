"""ArchiveClient: the gateway's unary calls, failures raised as ArchiveError.

A client is as thread-safe as its channel (gRPC channels are).

    with grpc.insecure_channel("127.0.0.1:50051") as channel:
        client = ArchiveClient(channel)
        try:
            result = client.archive(v1.ArchiveAssociationsRequest(...), timeout=30)
        except ArchiveError as error:
            ...  # error.code, error.message, error.upstream (an UpstreamError or None)
"""
import json

import grpc
from google.protobuf import json_format

from hubspot_archive_gateway import _status, v1


class ArchiveError(Exception):
    """A failed call: its gRPC code, message and the UpstreamError detail.

    `upstream` is the v1.UpstreamError the gateway attached (what HubSpot
    answered, or how the upstream could not be reached), None when the status
    carried none.
    """

    def __init__(self, code: grpc.StatusCode, message: str, upstream=None):
        self.code = code
        self.message = message
        self.upstream = upstream
        text = f"{code.name}: {message}"
        if upstream is not None and upstream.http_status:
            text += f" (HubSpot answered HTTP {upstream.http_status})"
        super().__init__(text)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "ArchiveError":
        """Decodes a failed call's status and its UpstreamError detail."""
        return cls(error.code(), error.details() or "",
                   _status.detail(error.trailing_metadata(), v1.UpstreamError))

    def to_dict(self) -> dict:
        """{"code", "message", "upstreamError"}: the output every caller here prints."""
        out = {"code": self.code.name, "message": self.message}
        if self.upstream is not None:
            out["upstreamError"] = message_to_dict(self.upstream)
        return out


def _whole_numbers_as_int(value):
    """json_format gives every google.protobuf.Value number as a float (101.0);
    Go's protojson and JavaScript print a whole one as 101."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_int(item) for item in value]
    return value


def message_to_dict(message) -> dict:
    """`message` in the proto3 JSON mapping, as a dict (see to_json)."""
    return _whole_numbers_as_int(json_format.MessageToDict(message))


def to_json(answer) -> str:
    """A message or ArchiveError on one line, in the proto3 JSON mapping.

    lowerCamelCase names, enum names, RFC 3339 timestamps, durations as
    "1.5s", fields at their default value left out: what the Go and Node
    callers print for the same answer.
    """
    if isinstance(answer, ArchiveError):
        return json.dumps(answer.to_dict(), separators=(",", ":"))
    return json.dumps(message_to_dict(answer), separators=(",", ":"))


class ArchiveClient:
    """The AssociationsArchive unary calls over an open channel."""

    def __init__(self, channel: grpc.Channel):
        self.stub = v1.AssociationsArchiveStub(channel)

    def archive(self, request, timeout=None, metadata=None):
        """ArchiveAssociations: a v1.BatchResult, or raises ArchiveError."""
        return self._call(self.stub.ArchiveAssociations, request, timeout, metadata)

    def archive_labels(self, request, timeout=None, metadata=None):
        """ArchiveAssociationLabels: a v1.BatchResult, or raises ArchiveError."""
        return self._call(self.stub.ArchiveAssociationLabels, request, timeout, metadata)

    @staticmethod
    def _call(method, request, timeout, metadata):
        try:
            return method(request, timeout=timeout, metadata=metadata)
        except grpc.RpcError as error:
            raise ArchiveError.from_rpc_error(error) from None
