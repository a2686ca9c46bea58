#!/usr/bin/env bash
# //deploy:manifests_test: deploy/manifests_test.py under Debian's python3
# (python3-yaml; the python3 on PATH may be another interpreter).
set -euo pipefail
exec /usr/bin/python3 "$TEST_SRCDIR/$TEST_WORKSPACE/deploy/manifests_test.py" -v
