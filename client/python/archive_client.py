#!/usr/bin/python3
"""A small Python caller of the gateway (Debian's python3-grpcio).

Archives FROM:TO[,TO...] pairs and prints the result as JSON; with
--label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the pairs
(ArchiveAssociationLabels) and the associations stay. On failure it prints the
gRPC code and the UpstreamError carried in the rich status details
(grpc-status-details-bin), then exits with the gRPC code.

    PYTHONPATH=<generated stubs> archive_client.py --target=127.0.0.1:50051 \\
        --from_type=contacts --to_type=companies 101:201,202 102:203
    archive_client.py --label=USER_DEFINED:36 101:201
"""
import argparse
import json
import sys

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--from_type", default="contacts")
    parser.add_argument("--to_type", default="companies")
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds")
    parser.add_argument("--label", action="append", default=[], type=parse_label,
                        help="CATEGORY:TYPE_ID; remove only these labels of the pairs")
    parser.add_argument("pairs", nargs="+", type=parse_pair)
    args = parser.parse_args()

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
