#!/usr/bin/python3
"""A small Python caller of the gateway (Debian's python3-grpcio).

Archives FROM:TO[,TO...] pairs and prints the result as JSON; with
--label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the pairs
(ArchiveAssociationLabels) and the associations stay. On failure it prints the
gRPC code and the UpstreamError carried in the rich status details
(grpc-status-details-bin), then exits with the gRPC code. With --bulk_file it
streams a file of from,to lines instead (archive_bulk: acknowledgements,
unacknowledged requests resent on a new stream) and prints the job's counts.

    PYTHONPATH=<generated stubs> archive_client.py --target=127.0.0.1:50051 \\
        --from_type=contacts --to_type=companies 101:201,202 102:203
    archive_client.py --label=USER_DEFINED:36 101:201
    archive_client.py --bulk_file=pairs.csv
"""
import argparse
import json
import re
import sys
import threading
import time

import grpc
from google.protobuf import json_format

from google.rpc import status_pb2
from hubspot.crm.associations.v1 import associations_archive_pb2 as archive_pb2
from hubspot.crm.associations.v1 import associations_archive_pb2_grpc as archive_grpc


def upstream_error(error: grpc.RpcError):
    """The UpstreamError in a failed call's rich status details, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                upstream = archive_pb2.UpstreamError()
                if detail.Unpack(upstream):
                    return upstream
    return None


def parse_pair(text: str) -> archive_pb2.ArchiveInput:
    source, _, targets = text.partition(":")
    if not source or not targets:
        raise argparse.ArgumentTypeError(f"expected FROM:TO[,TO...], got {text!r}")
    return archive_pb2.ArchiveInput(
        from_object=archive_pb2.ObjectId(id=source),
        to_objects=[archive_pb2.ObjectId(id=t) for t in targets.split(",")])


def parse_label(text: str) -> archive_pb2.AssociationType:
    category, _, type_id = text.partition(":")
    if category not in archive_pb2.AssociationCategory.keys() or not type_id.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"expected CATEGORY:TYPE_ID, got {text!r}")
    return archive_pb2.AssociationType(
        category=archive_pb2.AssociationCategory.Value(category), type_id=int(type_id))


def label_inputs(pairs, labels):
    """One LabelArchiveInput per (from, to) of `pairs`, each with every label."""
    return [archive_pb2.LabelArchiveInput(from_object=pair.from_object, to_object=to, types=labels)
            for pair in pairs for to in pair.to_objects]


class BulkOutcome:
    """What archive_bulk did, by index of the request in the caller's sequence."""

    def __init__(self):
        # Acknowledged requests: archived, except the inputs their errors name.
        self.acknowledged = set()
        # The errors of acknowledged requests that had some, by index.
        self.errors = {}
        # Requests never acknowledged (sent or not): unknown, safe to resend.
        self.unconfirmed = []
        # The last stream's status.
        self.code = grpc.StatusCode.OK
        self.message = ""
        self.reconnects = 0


RESEND_ON = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def archive_bulk(stub, requests, timeout=None, metadata=None, max_reconnects=5,
                 initial_backoff=0.25, on_acknowledged=None) -> BulkOutcome:
    """Archives an iterable of ArchiveAssociationsRequest on ArchiveAssociationsStream.

    Follows the stream's protocol: a request is done once a progress message
    acknowledges its position on the stream, its failed inputs named in the
    errors that `error_positions` ties to it. When a stream ends with
    UNAVAILABLE (a gateway draining or gone) or CANCELLED, the requests not
    acknowledged are sent again on a new stream, after a backoff doubling from
    `initial_backoff` seconds, at most `max_reconnects` times in a row without
    an acknowledgement. `on_acknowledged(index, errors)` runs for each
    acknowledged request, in the order acknowledged.
    """
    source = iter(enumerate(requests))
    unacknowledged = {}  # index -> request: sent, not acknowledged.
    lock = threading.Lock()
    outcome = BulkOutcome()
    in_a_row = 0
    while True:
        resend = sorted(unacknowledged)
        index_of_position = []

        def send(resend, index_of_position):
            for index in resend:
                with lock:
                    index_of_position.append(index)
                yield unacknowledged[index]
            for index, request in source:
                with lock:
                    unacknowledged[index] = request
                    index_of_position.append(index)
                yield request

        errors = {}
        acknowledged_any = False
        try:
            for progress in stub.ArchiveAssociationsStream(send(resend, index_of_position),
                                                           timeout=timeout,
                                                           metadata=metadata):
                for error, position in zip(progress.errors, progress.error_positions):
                    errors.setdefault(position, []).append(error)
                for position in progress.acknowledged:
                    with lock:
                        index = index_of_position[position]
                    if unacknowledged.pop(index, None) is None:
                        continue
                    acknowledged_any = True
                    outcome.acknowledged.add(index)
                    request_errors = errors.pop(position, [])
                    if request_errors:
                        outcome.errors[index] = request_errors
                    if on_acknowledged is not None:
                        on_acknowledged(index, request_errors)
            outcome.code, outcome.message = grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            outcome.code, outcome.message = error.code(), error.details()
        if acknowledged_any:
            in_a_row = 0
        if outcome.code not in RESEND_ON or in_a_row >= max_reconnects:
            break
        time.sleep(initial_backoff * 2 ** min(in_a_row, 5))
        in_a_row += 1
        outcome.reconnects += 1
    outcome.unconfirmed = sorted(unacknowledged) + [index for index, _ in source]
    return outcome


def failed_inputs(request, errors):
    """How many of an acknowledged request's inputs its errors name as failed."""
    named = set()
    for error in errors:
        if "omitted" in error.context or "inputs" not in error.context:
            return len(request.inputs)
        named.update(error.context["inputs"].values)
    return sum(1 for i in request.inputs
               if f"{i.from_object.id}:{','.join(t.id for t in i.to_objects)}" in named)


def run_bulk(args) -> int:
    """--bulk_file: streams the file's from,to lines, prints the counts as JSON."""
    requests = []
    record_id = re.compile("[0-9]{1,20}")
    # Bytes that are not UTF-8 become U+FFFD, which no record id matches.
    with open(args.bulk_file, encoding="utf-8", errors="replace") as lines:
        inputs = []
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#") or line == "from,to":
                continue
            source, _, target = line.partition(",")
            if not (record_id.fullmatch(source) and record_id.fullmatch(target)):
                print(json.dumps({"code": "INVALID_ARGUMENT",
                                  "message": f"{args.bulk_file} line {number}: expected from,to"}))
                return 3
            inputs.append(archive_pb2.ArchiveInput(
                from_object=archive_pb2.ObjectId(id=source),
                to_objects=[archive_pb2.ObjectId(id=target)]))
    for start in range(0, len(inputs), args.pairs_per_message):
        requests.append(archive_pb2.ArchiveAssociationsRequest(
            from_object_type=args.from_type, to_object_type=args.to_type,
            inputs=inputs[start:start + args.pairs_per_message]))
    with grpc.insecure_channel(args.target) as channel:
        outcome = archive_bulk(archive_grpc.AssociationsArchiveStub(channel), requests,
                               timeout=args.deadline)
    failed = sum(failed_inputs(requests[i], errors) for i, errors in outcome.errors.items())
    acknowledged = sum(len(requests[i].inputs) for i in outcome.acknowledged)
    unconfirmed = sum(len(requests[i].inputs) for i in outcome.unconfirmed)
    print(json.dumps({"code": outcome.code.name, "message": outcome.message,
                      "pairs": len(inputs), "archived": acknowledged - failed, "failed": failed,
                      "unconfirmed": unconfirmed, "reconnects": outcome.reconnects}))
    if acknowledged + unconfirmed != len(inputs):
        return 70
    if outcome.code != grpc.StatusCode.OK:
        return outcome.code.value[0]
    return 0 if failed == 0 and unconfirmed == 0 else 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--from_type", default="contacts")
    parser.add_argument("--to_type", default="companies")
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds")
    parser.add_argument("--label", action="append", default=[], type=parse_label,
                        help="CATEGORY:TYPE_ID; remove only these labels of the pairs")
    parser.add_argument("--bulk_file", help="stream this file's from,to lines instead")
    parser.add_argument("--pairs_per_message", type=int, default=100)
    parser.add_argument("pairs", nargs="*", type=parse_pair)
    args = parser.parse_args()
    if args.bulk_file:
        return run_bulk(args)
    if not args.pairs:
        parser.error("give at least one FROM:TO[,TO...] or --bulk_file")

    with grpc.insecure_channel(args.target) as channel:
        stub = archive_grpc.AssociationsArchiveStub(channel)
        try:
            if args.label:
                result = stub.ArchiveAssociationLabels(archive_pb2.ArchiveAssociationLabelsRequest(
                    from_object_type=args.from_type, to_object_type=args.to_type,
                    inputs=label_inputs(args.pairs, args.label)), timeout=args.deadline)
            else:
                result = stub.ArchiveAssociations(archive_pb2.ArchiveAssociationsRequest(
                    from_object_type=args.from_type, to_object_type=args.to_type,
                    inputs=args.pairs), timeout=args.deadline)
        except grpc.RpcError as error:
            upstream = upstream_error(error)
            print(json.dumps({
                "code": error.code().name,
                "message": error.details(),
                "upstreamError": None if upstream is None else json_format.MessageToDict(upstream),
            }))
            return error.code().value[0]
    print(json_format.MessageToJson(result, indent=None))
    complete = result.status == archive_pb2.BatchResult.COMPLETE and not result.errors
    return 0 if complete else 20


if __name__ == "__main__":
    sys.exit(main())
