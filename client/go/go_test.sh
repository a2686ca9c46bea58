#!/usr/bin/env bash
# client/go:go_test: the Go caller is gofmt-clean, passes go vet, and its
# tests pass (offline, with Debian's Go packages; see go_offline).
set -euo pipefail
here=$(dirname "$0")
export GOCACHE=${TEST_TMPDIR:-$(mktemp -d)}/gocache
packages=(hubspot-archive-gateway/client/go/{archive,associationsv1,cmd/archive-client})
unformatted=$(cd "$here" && gofmt -l archive cmd)
if [[ -n $unformatted ]]; then
  echo "not gofmt-clean: $unformatted" >&2
  exit 1
fi
"$here/go_offline" vet "${packages[@]}"
"$here/go_offline" test -v "${packages[@]}"
