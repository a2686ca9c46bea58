#!/usr/bin/env bash
# Fails, with the diff, when a checked-in stub is not what client/generate_stubs
# makes from proto/ now: run client/generate_stubs and commit the result.
set -euo pipefail
fresh=$TEST_TMPDIR/fresh
client/generate_stubs "$fresh"
status=0
for stub in client/go/associationsv1/associations_archive.pb.go \
  client/go/associationsv1/associations_archive_grpc.pb.go \
  client/python/src/hubspot_archive_gateway/v1/associations_archive_pb2.py \
  client/python/src/hubspot_archive_gateway/v1/associations_archive_pb2.pyi \
  client/python/src/hubspot_archive_gateway/v1/associations_archive_pb2_grpc.py; do
  diff -u "$stub" "$fresh/$stub" || status=1
done
((status == 0)) && echo "5 stubs fresh"
exit "$status"
