"""Unit tests of the installed hubspot_archive_gateway package: ArchiveError
decoding over real gRPC on loopback, and the shared JSON output style."""
import unittest
from concurrent import futures

import grpc
from google.protobuf import descriptor_pool, duration_pb2, struct_pb2, timestamp_pb2

from hubspot_archive_gateway import ArchiveClient, ArchiveError, _status, to_json, v1


def forbidden():
    return v1.UpstreamError(http_status=403, category="MISSING_SCOPES", correlation_id="c-1",
                            retry_after=duration_pb2.Duration(seconds=1, nanos=500000000),
                            attempts=1)


class FailingServicer(v1.AssociationsArchiveServicer):
    """Fails every unary call with `code`, `message` and, if set, `upstream`."""

    def __init__(self, code, message, upstream=None):
        self.code, self.message, self.upstream = code, message, upstream

    def _fail(self, context):
        if self.upstream is not None:
            status = _status._Status(code=self.code.value[0], message=self.message)
            detail = status.details.add()
            detail.type_url = "type.googleapis.com/" + v1.UpstreamError.DESCRIPTOR.full_name
            detail.value = self.upstream.SerializeToString()
            context.set_trailing_metadata(
                [("grpc-status-details-bin", status.SerializeToString())])
        context.abort(self.code, self.message)

    def ArchiveAssociations(self, request, context):
        self._fail(context)

    def ArchiveAssociationLabels(self, request, context):
        self._fail(context)


class ClientTest(unittest.TestCase):
    def serve(self, servicer):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        v1.add_AssociationsArchiveServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.addCleanup(channel.close)
        return ArchiveClient(channel)

    def test_both_calls_raise_an_archive_error_carrying_the_upstream_error(self):
        client = self.serve(FailingServicer(grpc.StatusCode.PERMISSION_DENIED,
                                            "HubSpot refused the token", forbidden()))
        for call, request in ((client.archive, v1.ArchiveAssociationsRequest()),
                              (client.archive_labels, v1.ArchiveAssociationLabelsRequest())):
            with self.assertRaises(ArchiveError) as raised:
                call(request, timeout=10)
            error = raised.exception
            self.assertEqual(error.code, grpc.StatusCode.PERMISSION_DENIED)
            self.assertEqual(error.message, "HubSpot refused the token")
            self.assertEqual(error.upstream, forbidden())
            self.assertEqual(str(error), "PERMISSION_DENIED: HubSpot refused the token "
                                         "(HubSpot answered HTTP 403)")

    def test_a_status_without_detail_has_no_upstream_error(self):
        client = self.serve(FailingServicer(grpc.StatusCode.INVALID_ARGUMENT, "inputs is empty"))
        with self.assertRaises(ArchiveError) as raised:
            client.archive(v1.ArchiveAssociationsRequest(), timeout=10)
        self.assertIsNone(raised.exception.upstream)
        self.assertEqual(str(raised.exception), "INVALID_ARGUMENT: inputs is empty")

    def test_error_json(self):
        # The same lines as client/go/archive's TestErrorJSON.
        error = ArchiveError(grpc.StatusCode.PERMISSION_DENIED, "HubSpot refused the token",
                             forbidden())
        self.assertEqual(
            to_json(error),
            '{"code":"PERMISSION_DENIED","message":"HubSpot refused the token","upstreamError":'
            '{"httpStatus":403,"category":"MISSING_SCOPES","correlationId":"c-1",'
            '"retryAfter":"1.500s","attempts":1}}')
        self.assertEqual(to_json(ArchiveError(grpc.StatusCode.UNAVAILABLE, "draining")),
                         '{"code":"UNAVAILABLE","message":"draining"}')

    def test_message_json_is_the_proto3_mapping(self):
        # The same line as client/go/archive's TestMessageJSONIsTheProto3Mapping.
        result = v1.BatchResult(
            status=v1.BatchResult.COMPLETE,
            results=[struct_pb2.Value(struct_value=struct_pb2.Struct(
                fields={"id": struct_pb2.Value(string_value="7")})),
                     struct_pb2.Value(number_value=101), struct_pb2.Value(number_value=1.5)],
            started_at=timestamp_pb2.Timestamp(seconds=1767323045, nanos=600000000),
            completed_at=timestamp_pb2.Timestamp(seconds=1767323046),
            errors=[v1.StandardError(category="OBJECT_NOT_FOUND",
                                     errors=[v1.ErrorDetail(in_field="to")])],
            num_errors=1)
        self.assertEqual(
            to_json(result),
            '{"status":"COMPLETE","results":[{"id":"7"},101,1.5],"startedAt":"2026-01-02T03:04:05.600Z",'
            '"completedAt":"2026-01-02T03:04:06Z","errors":[{"category":"OBJECT_NOT_FOUND",'
            '"errors":[{"in":"to"}]}],"numErrors":1}')

    def test_registers_no_google_rpc_status_in_the_default_pool(self):
        # Another package (googleapis-common-protos) may register its own.
        with self.assertRaises(KeyError):
            descriptor_pool.Default().FindFileByName("google/rpc/status.proto")


if __name__ == "__main__":
    unittest.main()
