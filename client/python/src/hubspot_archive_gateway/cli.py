"""hubspot-archive-client: the Python caller's command.

Archives FROM:TO[,TO...] pairs and prints the BatchResult; with
--label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the pairs
(ArchiveAssociationLabels) and the associations stay; a pair's unlabeled type
(HUBSPOT_DEFINED, e.g. 279 for contacts to companies) removes the whole
association, which the gateway refuses unless --remove_association_if_unlabeled. A failed call prints
{"code", "message", "upstreamError"} and exits with the gRPC code; a result with
errors, or not COMPLETE, exits 20. With --bulk_file it streams a file of
from,to lines instead (archive_bulk) and prints the job's counts. Output is one
line of JSON in the proto3 mapping, as the Go and Node callers print it.

    hubspot-archive-client --target=127.0.0.1:50051 \\
        --from_type=contacts --to_type=companies 101:201,202 102:203
    hubspot-archive-client --label=USER_DEFINED:36 101:201
    hubspot-archive-client --bulk_file=pairs.csv
"""
import argparse
import json
import re
import sys

import grpc

from hubspot_archive_gateway import v1
from hubspot_archive_gateway.bulk import archive_bulk
from hubspot_archive_gateway.client import ArchiveClient, ArchiveError, to_json

EXIT_INCOMPLETE = 20


def parse_pair(text: str):
    source, _, targets = text.partition(":")
    if not source or not targets:
        raise argparse.ArgumentTypeError(f"expected FROM:TO[,TO...], got {text!r}")
    return v1.ArchiveInput(from_object=v1.ObjectId(id=source),
                           to_objects=[v1.ObjectId(id=t) for t in targets.split(",")])


def parse_label(text: str):
    category, _, type_id = text.partition(":")
    if category not in v1.AssociationCategory.keys() or not type_id.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"expected CATEGORY:TYPE_ID, got {text!r}")
    return v1.AssociationType(category=v1.AssociationCategory.Value(category),
                              type_id=int(type_id))


def label_inputs(pairs, labels):
    """One LabelArchiveInput per (from, to) of `pairs`, each with every label."""
    return [v1.LabelArchiveInput(from_object=pair.from_object, to_object=to, types=labels)
            for pair in pairs for to in pair.to_objects]


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
            inputs.append(v1.ArchiveInput(from_object=v1.ObjectId(id=source),
                                          to_objects=[v1.ObjectId(id=target)]))
    for start in range(0, len(inputs), args.pairs_per_message):
        requests.append(v1.ArchiveAssociationsRequest(
            from_object_type=args.from_type, to_object_type=args.to_type,
            inputs=inputs[start:start + args.pairs_per_message]))
    with grpc.insecure_channel(args.target) as channel:
        outcome = archive_bulk(v1.AssociationsArchiveStub(channel), requests,
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
    return 0 if failed == 0 and unconfirmed == 0 else EXIT_INCOMPLETE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hubspot-archive-client",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--from_type", default="contacts")
    parser.add_argument("--to_type", default="companies")
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds")
    parser.add_argument("--label", action="append", default=[], type=parse_label,
                        help="CATEGORY:TYPE_ID; remove only these labels of the pairs")
    parser.add_argument("--remove_association_if_unlabeled", action="store_true",
                        help="with --label: let the pair's unlabeled type go, which deletes "
                             "the whole association (refused otherwise)")
    parser.add_argument("--bulk_file", help="stream this file's from,to lines instead")
    parser.add_argument("--pairs_per_message", type=int, default=100)
    parser.add_argument("pairs", nargs="*", type=parse_pair)
    args = parser.parse_args(argv)
    if args.bulk_file:
        return run_bulk(args)
    if not args.pairs:
        parser.error("give at least one FROM:TO[,TO...] or --bulk_file")

    with grpc.insecure_channel(args.target) as channel:
        client = ArchiveClient(channel)
        try:
            if args.label:
                result = client.archive_labels(v1.ArchiveAssociationLabelsRequest(
                    from_object_type=args.from_type, to_object_type=args.to_type,
                    inputs=label_inputs(args.pairs, args.label),
                    remove_association_if_unlabeled=args.remove_association_if_unlabeled),
                    timeout=args.deadline)
            else:
                result = client.archive(v1.ArchiveAssociationsRequest(
                    from_object_type=args.from_type, to_object_type=args.to_type,
                    inputs=args.pairs), timeout=args.deadline)
        except ArchiveError as error:
            print(to_json(error))
            return error.code.value[0]
    print(to_json(result))
    complete = result.status == v1.BatchResult.COMPLETE and not result.errors
    return 0 if complete else EXIT_INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
