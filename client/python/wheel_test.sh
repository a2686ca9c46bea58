#!/usr/bin/env bash
set -euo pipefail
wheel=$(ls "$PWD"/client/python/hubspot_archive_gateway-*.whl)
venv=$TEST_TMPDIR/venv
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-cache-dir --no-index "$wheel"
# The tests must import the installed package, not a source tree.
cd "$TEST_TMPDIR"
"$venv/bin/python" -c 'import hubspot_archive_gateway as p; assert "site-packages" in p.__file__, p.__file__'
"$venv/bin/python" "$TEST_SRCDIR/$TEST_WORKSPACE/client/python/tests/client_test.py" -v
"$venv/bin/hubspot-archive-client" --help | grep -q -- --bulk_file
