#!/usr/bin/env bash
# deploy/monitoring:dashboard_queries_test: every query of the Grafana
# dashboard is valid PromQL. Grafana's variables are replaced by values
# Prometheus accepts ($__rate_interval by 5m, $job and $instance by .*), each
# query becomes a recording rule, and promtool (Debian's prometheus package)
# parses them. Prints TAP lines, which tools/test counts.
set -euo pipefail
rules=$TEST_TMPDIR/dashboard_rules.yml
/usr/bin/python3 - deploy/monitoring/grafana-dashboard.json "$rules" <<'PY'
import json, sys

dashboard = json.load(open(sys.argv[1]))
exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
if len(exprs) < 20:
    sys.exit(f"only {len(exprs)} queries in the dashboard")
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, expr in enumerate(exprs):
        for variable, value in (("$__rate_interval", "5m"), ("$job", ".*"), ("$instance", ".*")):
            expr = expr.replace(variable, value)
        out.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(expr)}\n")
print(f"{len(exprs)} queries")
PY
if promtool check rules "$rules"; then
  echo "ok 1 - every dashboard query parses as PromQL"
else
  echo "not ok 1 - a dashboard query is not valid PromQL"
  exit 1
fi
