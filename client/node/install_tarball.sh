#!/usr/bin/env bash
# Installs the npm tarball (client/node:tarball) into a new project at DIR as a
# user would, offline: its dependencies are the ones tools/install_deps put in
# client/node/node_modules (npm ci), copied in first so npm fetches nothing.
#   client/node/install_tarball.sh TARBALL DIR
set -euo pipefail
tarball=$(readlink -f "$1")
dir=$2
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]%/*}/package.json")")
mkdir -p "$dir"
cd "$dir"
echo '{"name":"caller-project","private":true}' >package.json
cp -r "$here/node_modules" node_modules
rm -f node_modules/.package-lock.json
npm install --offline --no-audit --no-fund --no-package-lock --loglevel=error \
  --cache "$dir/.npm-cache" "$tarball" >/dev/null
