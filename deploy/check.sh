#!/usr/bin/env bash
# Static checks of the shipped monitoring files; run after editing any of them (CI runs it too):
#   promtool check config / check rules, promtool test rules (fire and no-fire cases of every
#   alert), the Grafana dashboard is valid JSON and every PromQL expression in it parses, the
#   Alertmanager example passes amtool check-config and its route tests.
# Needs promtool and amtool (Debian/Ubuntu: apt-get install prometheus prometheus-alertmanager)
# and python3.
set -euo pipefail
cd "$(dirname "$0")"

promtool check config prometheus/prometheus.yml
promtool check rules prometheus/integrity-auditor.rules.yml
promtool test rules prometheus/tests/*.test.yml

# Every alert tells on-call what to do: summary, description, and a runbook_url whose anchor is a
# section of docs/runbook.md; every alert has at least one test that expects it to fire.
python3 - prometheus/integrity-auditor.rules.yml ../docs/runbook.md prometheus/tests <<'EOF'
import glob, re, sys

rules, runbook, tests = sys.argv[1:]
headings = {re.sub(r"[^a-z0-9_-]", "", h.strip().lower().replace(" ", "-"))
            for h in re.findall(r"^#+ (.*)$", open(runbook).read(), flags=re.M)}
test_text = "".join(open(f).read() for f in glob.glob(f"{tests}/*.yml"))
blocks = re.split(r"^\s*- alert: ", open(rules).read(), flags=re.M)[1:]
problems = []
for block in blocks:
    name = block.split()[0]
    for key in ("summary:", "description:", "runbook_url:", "for:"):
        if key not in block:
            problems.append(f"{name}: no {key[:-1]}")
    m = re.search(r"runbook_url:\s*\S*docs/runbook\.md#(\S+)", block)
    if not m or m.group(1) != name.lower() or m.group(1) not in headings:
        problems.append(f"{name}: runbook_url must point at docs/runbook.md#{name.lower()}, a section of docs/runbook.md")
    fire = re.search(rf"alertname: {name}\n\s*exp_alerts:\n\s*- exp_labels:", test_text)
    no_fire = re.search(rf"alertname: {name}\n\s*exp_alerts: \[\]", test_text)
    if not fire or not no_fire:
        problems.append(f"{name}: needs a test where it fires and one where it does not")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(blocks)} alerts: annotations, runbook sections and fire/no-fire tests present")
EOF

# The Alertmanager example: valid, and each kind of alert lands where its header says (amtool
# exits non-zero when a route test fails). Needs amtool (Debian: prometheus-alertmanager).
amtool check-config alertmanager/alertmanager.yml
route() {
  local expected=$1
  shift
  amtool config routes test --config.file=alertmanager/alertmanager.yml --verify.receivers="$expected" "$@" \
    2>/dev/null >/dev/null || { echo "alertmanager.yml: $* should go to $expected, goes to" \
      "$(amtool config routes test --config.file=alertmanager/alertmanager.yml "$@" 2>/dev/null)" >&2; exit 1; }
}
route apms-team-pager alertname=IntegrityAuditCriticalViolations owner=apms-team severity=critical target=apms
route apms-team-tickets alertname=IntegrityAuditWarnViolations owner=apms-team severity=warn target=apms
route provisioning-team-pager alertname=IntegrityAuditCriticalViolations owner=provisioning-team severity=critical
route unowned alertname=IntegrityAuditCriticalViolations severity=critical target=apms
route apms-team-pager alertname=IntegrityAuditFleetCriticalViolations owner=apms-team severity=critical template=tenants
route provisioning-team-tickets alertname=IntegrityAuditFleetWarnViolations owner=provisioning-team severity=warn template=tenants
route platform-tickets alertname=IntegrityAuditFleetStale owner=apms-team severity=warn template=tenants
route platform-tickets alertname=IntegrityAuditNodeClockOff severity=warn instance=n1:9464
route platform-tickets alertname=IntegrityAuditNodesDisagree severity=warn job=integrity-auditor
route unowned alertname=IntegrityAuditWarnViolations owner=a-team-with-no-route severity=warn
route platform-tickets alertname=IntegrityAuditStale owner=apms-team severity=warn
route platform-tickets alertname=IntegrityAuditTargetDown severity=warn target=apms
route platform-pager alertname=IntegrityAuditorDown severity=critical
echo "alertmanager/alertmanager.yml: routes by owner and severity, unowned violations muted"

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
    return re.sub(r"\$\{?(job|target|template|audit|severity)\}?", ".*", expr)

with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        out.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(substitute(expr))}\n")
print(f"grafana/integrity-auditor.json: {len(exprs)} queries to parse")
EOF
promtool check rules "$tmp/dashboard-queries.yml" >/dev/null
echo "grafana/integrity-auditor.json: every query parses"
