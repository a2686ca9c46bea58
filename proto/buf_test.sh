#!/usr/bin/env bash
# proto:buf_test: `buf lint` (STANDARD, exceptions with their reasons in
# buf.yaml) and `buf breaking` against the previous release's image. The buf
# CLI is the one tools/install_deps installed in tools/buf (npm's
# @bufbuild/buf); nothing is downloaded here.
set -euo pipefail
repo=$(dirname "$(readlink -f buf.yaml)")
buf=$repo/tools/buf/node_modules/.bin/buf
if [[ ! -x $buf ]]; then
  echo "no buf CLI at $buf: run tools/install_deps" >&2
  exit 1
fi
export BUF_CACHE_DIR=$TEST_TMPDIR/buf-cache
# The module holds the API (a check over no files would pass vacuously).
"$buf" ls-files | grep -qx 'proto/hubspot/crm/associations/v1/associations_archive.proto'
"$buf" lint
"$buf" breaking --against proto/buf_images/14024cb.binpb
echo "buf lint and buf breaking (FILE, against 14024cb): clean"
