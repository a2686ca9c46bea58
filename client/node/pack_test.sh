#!/usr/bin/env bash
# client/node:pack_test: the npm tarball holds what a user needs, installs
# offline into a new project, and its tests pass against the installed copy.
set -euo pipefail
tarball=$(ls "$PWD"/client/node/hubspot-archive-gateway-*.tgz)
listing=$(tar tzf "$tarball" | sort | tr '\n' ' ')
expected="package/bin/archive_client.js package/index.js package/package.json \
package/proto/google/rpc/status.proto \
package/proto/hubspot/crm/associations/v1/associations_archive.proto package/proto3_json.js "
if [[ $listing != "$expected" ]]; then
  echo "tarball holds: $listing" >&2
  exit 1
fi
project=$TEST_TMPDIR/project
client/node/install_tarball.sh "$tarball" "$project"
usage=$("$project/node_modules/.bin/hubspot-archive-client" 2>&1 || true)
[[ $usage == *"give at least one"* ]] || { echo "command printed: $usage" >&2; exit 1; }
GATEWAY_PACKAGE=$project/node_modules/hubspot-archive-gateway \
  node --test --test-reporter=tap client/node/test/client_test.js
