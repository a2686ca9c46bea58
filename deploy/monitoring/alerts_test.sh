#!/usr/bin/env bash
# deploy/monitoring:alerts_test: promtool (Debian's prometheus package, which
# tools/install_deps installs) checks alerts.yml and runs its unit tests,
# alerts_test.yml. Prints TAP lines, which tools/test counts.
set -euo pipefail
if ! command -v promtool >/dev/null; then
  echo "not ok 1 - promtool is missing: run tools/install_deps (Debian package prometheus)"
  exit 1
fi
dir=deploy/monitoring
status=0
if promtool check rules "$dir/alerts.yml"; then
  echo "ok 1 - promtool check rules alerts.yml"
else
  echo "not ok 1 - promtool check rules alerts.yml"
  status=1
fi
if promtool test rules "$dir/alerts_test.yml"; then
  echo "ok 2 - promtool test rules alerts_test.yml"
else
  echo "not ok 2 - promtool test rules alerts_test.yml"
  status=1
fi
exit "$status"
