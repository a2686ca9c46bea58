#!/usr/bin/env bash
# client:versions_test: the Python wheel and the npm package carry the
# gateway's version (VERSION), as do the file names their BUILD rules declare.
set -euo pipefail
version=$(cat VERSION)
python_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' client/python/pyproject.toml)
node_version=$(node -p 'require("./client/node/package.json").version')
status=0
for pair in "client/python/pyproject.toml:$python_version" "client/node/package.json:$node_version"; do
  if [[ ${pair#*:} != "$version" ]]; then
    echo "${pair%%:*} says ${pair#*:}, VERSION says $version" >&2
    status=1
  fi
done
for built in "client/python/hubspot_archive_gateway-$version-py3-none-any.whl" \
  "client/node/hubspot-archive-gateway-$version.tgz"; do
  [[ -f $built ]] || { echo "no $built: rename it in its BUILD" >&2; status=1; }
done
((status == 0)) && echo "callers at version $version"
exit "$status"
