#!/usr/bin/env bash
# Static checks of the shipped monitoring files; run after editing any of them (CI runs it too):
#   promtool check config / check rules, promtool test rules (fire and no-fire cases of every
#   alert), the Grafana dashboard is valid JSON and every PromQL expression in it parses.
# Needs promtool (Debian/Ubuntu: apt-get install prometheus) and python3.
set -euo pipefail
cd "$(dirname "$0")"

promtool check config prometheus/prometheus.yml
promtool check rules prometheus/integrity-auditor.rules.yml
promtool test rules prometheus/tests/*.test.yml

python3 -m json.tool grafana/integrity-auditor.json >/dev/null
echo "grafana/integrity-auditor.json: valid JSON"

# Every panel query and variable query of the dashboard must be valid PromQL: put them, with the
# template variables replaced, into a throwaway rules file and let promtool parse it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - grafana/integrity-auditor.json "$tmp/dashboard-queries.yml" <<'EOF'
import json, re, sys

dashboard = json.load(open(sys.argv[1]))
exprs = []

def walk(panels):
    for panel in panels:
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
        walk(panel.get("panels", []))

walk(dashboard["panels"])
for variable in dashboard["templating"]["list"]:
    if variable["type"] == "query":
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        m = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
        if not m:
            sys.exit(f"variable {variable['name']}: unsupported query {query!r}")
        exprs.append((f"variable {variable['name']}", m.group(1)))
    if variable["type"] == "datasource" and variable.get("query") != "prometheus":
        sys.exit("the datasource variable must select Prometheus data sources")

def substitute(expr):
    expr = re.sub(r"\$__(rate_interval|interval|range)", "5m", expr)
    return re.sub(r"\$\{?(job|target|audit|severity)\}?", ".*", expr)

with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        out.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(substitute(expr))}\n")
print(f"grafana/integrity-auditor.json: {len(exprs)} queries to parse")
EOF
promtool check rules "$tmp/dashboard-queries.yml" >/dev/null
echo "grafana/integrity-auditor.json: every query parses"
