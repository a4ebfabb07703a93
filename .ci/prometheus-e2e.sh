#!/usr/bin/env bash
# End to end with a real Prometheus: the demo worker (embedded PostgreSQL with known violations,
# the shipped audits every 10 s) is scraped by a Prometheus server started with a copy of
# deploy/prometheus/prometheus.yml and the shipped rules file, on loopback. Passes when the query
# API shows a violation alert (IntegrityAuditCriticalViolations / IntegrityAuditWarnViolations)
# firing. On the way it also checks the real exposition against docs/metrics.md and runs every
# query of the Grafana dashboard against that Prometheus.
# Then Alertmanager end to end: Prometheus sends to a real Alertmanager started with a copy of
# deploy/alertmanager/alertmanager.yml whose receivers point at a webhook receiver this script
# runs on loopback. Passes when the violation notification arrives at the receiver the routing
# names for its owner and severity, with the labels audit, target, severity, owner and the
# annotations summary, runbook_url and alert_record_url, and that link's alert record exists
# in the demo's API for the same audit and owner; and that a (synthetic) IntegrityAuditTargetDown
# alert inhibits the violation alerts of its target.
#
# Needs: target/integrity-auditor.jar (./mvnw package), java, prometheus and promtool
# (Debian: apt-get install prometheus), prometheus-alertmanager, python3. Bounded in time; stops
# everything it started.
#
#   E2E_STARTUP_SECONDS  how long the demo may take to serve      (default 180)
#   E2E_ALERT_SECONDS    how long to wait for the alert to fire   (default 240)
#   E2E_NOTIFY_SECONDS   how long to wait for the notification    (default 120)
#   E2E_DEMO_PORT, E2E_PROMETHEUS_PORT, E2E_ALERTMANAGER_PORT, E2E_WEBHOOK_PORT
#                        loopback ports (default: a free port each)
#   E2E_IMAGE=target/integrity-auditor-image.tar
#                        also run the container image (./mvnw package -Pimage) as a second node
#                        of the demo's cluster: unpacked with skopeo + umoci, its entrypoint as
#                        its user in a chroot whose root is read-only (a tmpfs on /tmp), the
#                        demo's config and audits at /config; it must become ready, run
#                        scheduled audits of the shared cluster and stop gracefully on SIGTERM.
#                        Needs root (mount namespace), skopeo, umoci. E2E_IMAGE_PORT: its port.
#   E2E_KEEP=1           keep the work directory (logs, TSDB) afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

STARTUP_SECONDS=${E2E_STARTUP_SECONDS:-180}
ALERT_SECONDS=${E2E_ALERT_SECONDS:-240}
NOTIFY_SECONDS=${E2E_NOTIFY_SECONDS:-120}
JAR=target/integrity-auditor.jar
SHIPPED_CONFIG=deploy/prometheus/prometheus.yml
SHIPPED_RULES=deploy/prometheus/integrity-auditor.rules.yml
SHIPPED_ALERTMANAGER=deploy/alertmanager/alertmanager.yml

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

[[ -f "$JAR" ]] || { log "missing $JAR: run ./mvnw package first"; exit 1; }
for tool in java prometheus promtool python3; do
  command -v "$tool" >/dev/null || { log "missing $tool (Debian: apt-get install prometheus python3)"; exit 1; }
done
# Debian names the binary prometheus-alertmanager; upstream's is alertmanager.
alertmanager=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[[ -n "$alertmanager" ]] || { log "missing alertmanager (Debian: apt-get install prometheus-alertmanager)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/integrity-auditor-e2e.XXXXXX")
demo_pid=""
prom_pid=""
am_pid=""
webhook_pid=""
image_pid=""
failed=1

# Stops one process we started: SIGTERM, then SIGKILL after a grace period.
stop() {
  local pid=$1 name=$2 grace=$3
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "$name (pid $pid) still running after ${grace}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

show_logs() {
  for f in demo.out demo.err prometheus.log alertmanager.log webhook.jsonl image-node.log; do
    if [[ -s "$work/$f" ]]; then
      echo "----- last 40 lines of $f -----"
      tail -n 40 "$work/$f"
    fi
  done
}

# The image node runs as PID 1 of its own PID namespace under `unshare`: signal the JVM (the
# child of our unshare), then collect unshare's exit status, which is the JVM's.
image_exit=""
stop_image_node() {
  [[ -n "$image_pid" ]] || return 0
  local jvm
  jvm=$(pgrep -P "$image_pid" || true)
  if [[ -n "$jvm" ]]; then
    stop "$jvm" "image node" 45
  fi
  wait "$image_pid" && image_exit=0 || image_exit=$?
  image_pid=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((failed)); then
    show_logs
  fi
  stop_image_node
  stop "$prom_pid" prometheus 10
  stop "$am_pid" alertmanager 10
  stop "$webhook_pid" "webhook receiver" 5
  # The demo stops gracefully on SIGTERM (audits get shutdown_grace 5s, then its embedded
  # PostgreSQL is stopped).
  stop "$demo_pid" demo 45
  # Safety net if the JVM had to be killed: stop the demo's postmaster by the pid in its data
  # directory (ours alone: it lives in our temp directory). SIGINT = PostgreSQL fast shutdown.
  local pidfile="$work/demo/pgdata/postmaster.pid"
  if [[ -f "$pidfile" ]]; then
    local pg_pid
    pg_pid=$(head -n 1 "$pidfile")
    if [[ "$pg_pid" =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null \
      && grep -q postgres "/proc/$pg_pid/comm" 2>/dev/null; then
      log "the demo's PostgreSQL (pid $pg_pid) outlived the demo: stopping it"
      kill -INT "$pg_pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pg_pid" 2>/dev/null || true
    fi
  fi
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# The HTTP checks, in Python so that nothing but python3 is needed.
cat >"$work/e2e.py" <<'PY'
import json, re, sys, time, urllib.parse, urllib.request

def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()

def api(base, path, **params):
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    body = json.loads(get(base + path + query))
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["data"]

def wait_ready(url, seconds):
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        try:
            get(url, timeout=2)
            return 0
        except Exception:
            time.sleep(0.5)
    print(f"{url} not ready after {seconds}s")
    return 1

VIOLATIONS = re.compile(r"^IntegrityAudit(Critical|Warn)Violations$")

def describe(alert):
    labels = alert["labels"]
    return (f'{labels["alertname"]:34} {alert["state"]:8} severity={labels.get("severity", "")}'
            f' audit={labels.get("audit", "")} target={labels.get("target", "")}'
            f' value={float(alert.get("value", "nan")):g}')

def wait_alert(base, seconds):
    deadline = time.time() + float(seconds)
    started = time.time()
    last_states = None
    while time.time() < deadline:
        try:
            alerts = api(base, "/api/v1/alerts")["alerts"]
        except Exception as e:
            alerts = []
            print(f"  (query API: {e})")
        states = sorted({(a["labels"]["alertname"], a["state"]) for a in alerts})
        if states != last_states:
            print(f"  +{time.time() - started:5.1f}s alerts: "
                  + (", ".join(f"{n}={s}" for n, s in states) or "none"))
            last_states = states
        firing = [a for a in alerts if a["state"] == "firing" and VIOLATIONS.match(a["labels"]["alertname"])]
        if firing:
            print(f"Firing after {time.time() - started:.0f}s of polling:")
            counts = {}
            for alert in alerts:
                key = (alert["labels"]["alertname"], alert["state"])
                counts[key] = counts.get(key, 0) + 1
            for (name, state), count in sorted(counts.items()):
                print(f"  {count:3d} x {name} {state}")
            shown = {}
            for alert in sorted(alerts, key=lambda a: (a["labels"]["alertname"], a["labels"].get("audit", ""))):
                name = alert["labels"]["alertname"]
                shown[name] = shown.get(name, 0) + 1
                if shown[name] <= 5:
                    print("  " + describe(alert))
                elif shown[name] == 6:
                    print(f"  ... ({name})")
            example = firing[0]
            print("Example annotations:")
            for key, value in sorted(example["annotations"].items()):
                print(f"  {key}: {value}")
            return 0
        time.sleep(2)
    print(f"No violation alert firing after {seconds}s. Alerts: {json.dumps(alerts, indent=1)}")
    try:
        for target in api(base, "/api/v1/targets")["activeTargets"]:
            print(f'  target {target["scrapeUrl"]}: {target["health"]} {target.get("lastError", "")}')
        for name in ("integrity_audit_violations", "integrity_audit_threshold_breached"):
            for sample in api(base, "/api/v1/query", query=name)["result"]:
                print(f'  {name}{sample["metric"]} = {sample["value"][1]}')
    except Exception as e:
        print(f"  (query API: {e})")
    return 1

def exported_names(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        # `_created` series are OpenMetrics bookkeeping of counters, not metrics of their own.
        if name.startswith("integrity_audit_") and not name.endswith("_created"):
            names.add(name)
    return names

def contract(metrics_url, docs, rules, dashboard):
    """The real exposition against docs/metrics.md; fails when the rules or dashboard use a metric
    the worker does not export (they would silently never fire / stay empty)."""
    text = get(metrics_url)
    exported = exported_names(text)
    documented = set(re.findall(r"`(integrity_audit_[a-z0-9_]+)`", open(docs).read()))
    used = set(re.findall(r"\b(integrity_audit_[a-z0-9_]+)", open(rules).read() + open(dashboard).read()))
    print(f"{len(exported)} integrity_audit_* metrics exported, {len(documented)} documented in docs/metrics.md")
    for name in sorted(documented - exported):
        print(f"  DOCUMENTED BUT NOT EXPORTED: {name}")
    for name in sorted(exported - documented):
        print(f"  EXPORTED BUT NOT DOCUMENTED: {name}")
    # The fleet series (integrity_audit_fleet_*) exist only for audits of a template target; a
    # worker without one exports none, and FleetMetricsTest checks them against a real fleet.
    if not any(name.startswith("integrity_audit_fleet_") for name in exported):
        print("  no template target here: the integrity_audit_fleet_* metrics are not checked")
        used = {name for name in used if not name.startswith("integrity_audit_fleet_")}
    broken = sorted(used - exported)
    for name in broken:
        print(f"  USED BY THE RULES OR THE DASHBOARD BUT NOT EXPORTED: {name}")
    # Labels the rules aggregate on: every per-audit series needs audit, target, kind, severity.
    problems = 0
    for line in text.splitlines():
        m = re.match(r"(integrity_audit_(violations|threshold_breached|last_success_timestamp_seconds"
                     r"|expected_interval_seconds|schedule_start_timestamp_seconds|consecutive_failures))\{([^}]*)\}", line)
        if m:
            labels = set(re.findall(r'(\w+)="', m.group(3)))
            missing = {"audit", "target", "kind", "severity"} - labels
            if missing:
                problems += 1
                print(f"  {m.group(1)} without labels {sorted(missing)}: {line}")
    return 1 if broken or problems else 0

def dashboard_queries(base, dashboard, job):
    board = json.load(open(dashboard))
    queries = []
    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                queries.append((panel["title"], target["expr"]))
            walk(panel.get("panels", []))
    walk(board["panels"])
    errors, empty = 0, []
    for title, expr in queries:
        q = re.sub(r"\$__(rate_interval|interval|range)", "1m", expr)
        q = q.replace("$job", job)
        q = re.sub(r"\$\{?(target|template|audit|severity)\}?", ".*", q)
        try:
            result = api(base, "/api/v1/query", query=q)["result"]
            if not result:
                empty.append(title)
        except Exception as e:
            errors += 1
            print(f"  ERROR in panel '{title}': {e}\n    {q}")
    print(f"Dashboard: {len(queries)} queries ran, {errors} errors, {len(empty)} empty"
          + (f" ({', '.join(sorted(set(empty)))})" if empty else ""))
    # The template variables must offer values, or every panel filtered by them stays empty.
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query)
        selector = re.sub(r"\$\{?(target|template|audit|severity)\}?", ".*", m.group(1).replace("$job", job))
        values = api(base, f"/api/v1/label/{m.group(2)}/values", **{"match[]": selector})
        print(f"  variable {variable['name']}: {', '.join(values) or 'NO VALUES'}")
        # the template variable lists fleets: none where no target is a template
        if not values and variable["name"] != "template":
            errors += 1
    return 1 if errors else 0

def summary(base):
    """What the shipped alerts see besides violations. Informational: a demo audit that keeps
    failing is printed as a warning (its IntegrityAuditFailing alert would fire after 5m)."""
    def values(query):
        return [(r["metric"], float(r["value"][1])) for r in api(base, "/api/v1/query", query=query)["result"]]
    for label, query in [("scraped (up)", 'up{job="integrity-auditor"}'),
                         ("store_up", "integrity_audit_store_up"),
                         ("target_up", "integrity_audit_target_up"),
                         ("config_errors", "integrity_audit_config_errors"),
                         ("audits", "integrity_audit_audits"),
                         ("alerts_open", "integrity_audit_alerts_open")]:
        shown = ", ".join(f'{m.get("target", m.get("severity", ""))}={v:g}'.lstrip("=") for m, v in values(query))
        print(f"  {label}: {shown or 'none'}")
    failing = values("max by (audit) (integrity_audit_consecutive_failures) > 0")
    for metric, count in sorted(failing, key=lambda mv: mv[0]["audit"]):
        print(f'  WARNING: audit {metric["audit"]} failed its last {count:g} runs in the demo'
              f' (java -jar target/integrity-auditor.jar runs {metric["audit"]} --config <demo config>)')
    return 0

def webhook(port, log_file):
    """Alertmanager's webhook receiver: every POST body as one JSON line with its path."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(log_file, "a") as out:
                out.write(json.dumps({"path": self.path, "body": json.loads(body)}) + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", int(port)), Receiver).serve_forever()

RECORD_URL = re.compile(r"^https://integrity-auditor\.example\.internal/api/alerts/(\d+)$")

def wait_notification(log_file, seconds, demo_base):
    """A violation notification, routed by owner and severity, with every label and annotation
    on-call needs and a link to an alert record that exists."""
    deadline = time.time() + float(seconds)
    started = time.time()
    while time.time() < deadline:
        try:
            lines = open(log_file).read().splitlines()
        except FileNotFoundError:
            lines = []
        received = [json.loads(line) for line in lines]
        violations = [(r["path"], a) for r in received for a in r["body"]["alerts"]
                      if VIOLATIONS.match(a["labels"]["alertname"]) and a["status"] == "firing"]
        if violations:
            break
        time.sleep(1)
    else:
        print(f"No violation notification reached the webhook within {seconds}s; received: {received}")
        return 1
    print(f"{len(violations)} violation alerts notified after {time.time() - started:.0f}s"
          f" ({len(received)} webhook calls: {', '.join(sorted({r['path'] for r in received}))})")
    problems = []
    for path, alert in violations:
        labels, annotations = alert["labels"], alert["annotations"]
        missing = [k for k in ("audit", "target", "severity", "owner") if not labels.get(k)]
        missing += [k for k in ("summary", "runbook_url", "alert_record_url") if not annotations.get(k)]
        if missing:
            problems.append(f"{labels.get('audit')}: missing {missing}")
            continue
        kind = "pager" if labels["severity"] == "critical" else "tickets"
        expected = f"/{kind}/hooks/{labels['owner']}"
        if path != expected:
            problems.append(f"{labels['audit']} (owner {labels['owner']}, {labels['severity']}) reached {path}, routing says {expected}")
        link = RECORD_URL.match(annotations["alert_record_url"])
        if not link:
            problems.append(f"{labels['audit']}: alert_record_url {annotations['alert_record_url']!r} is no alert record link")
            continue
        record = json.loads(get(f"{demo_base}/api/alerts/{link.group(1)}"))["data"]
        if record["auditId"] != labels["audit"] or record.get("owner") != labels["owner"] or record["state"] != "open":
            problems.append(f"{labels['audit']}: the linked record is {record['auditId']} owner {record.get('owner')} {record['state']}")
    path, example = violations[0]
    print(f"Example notification at {path}:")
    for key in ("alertname", "audit", "target", "severity", "owner"):
        print(f"  label {key}: {example['labels'].get(key)}")
    for key in ("summary", "runbook_url", "alert_record_url"):
        print(f"  annotation {key}: {example['annotations'].get(key)}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0

def image_node(demo_base, node_base, node_id, seconds):
    """The image's node serves the same cluster: same audits, and it runs scheduled ones."""
    demo_audits = sorted(a["id"] for a in json.loads(get(f"{demo_base}/api/audits"))["data"])
    node_audits = sorted(a["id"] for a in json.loads(get(f"{node_base}/api/audits"))["data"])
    if demo_audits != node_audits:
        print(f"the image node schedules {len(node_audits)} audits, the demo {len(demo_audits)}")
        return 1
    deadline = time.time() + float(seconds)
    started = time.time()
    while time.time() < deadline:
        for audit in demo_audits:
            runs = json.loads(get(f"{demo_base}/api/audits/{audit}/runs?limit=5"))["data"]
            mine = [r for r in runs if r.get("nodeId") == node_id]
            if mine:
                print(f"The image node serves {len(node_audits)} audits and ran {audit}"
                      f" (status {mine[0]['status']}) for the cluster after {time.time() - started:.0f}s")
                return 0
        time.sleep(2)
    print(f"the image node ran no audit of the cluster within {seconds}s")
    return 1

def inhibition(am_base, seconds):
    """While a target is down its violation alerts are inhibited: post a TargetDown alert for the
    target of a firing violation alert to Alertmanager's API and see that alert suppressed."""
    def alerts(name):
        query = urllib.parse.urlencode({"filter": f'alertname="{name}"'})
        return json.loads(get(f"{am_base}/api/v2/alerts?{query}"))
    violations = [a for name in ("IntegrityAuditCriticalViolations", "IntegrityAuditWarnViolations")
                  for a in alerts(name)]
    if not violations:
        print("no violation alert in Alertmanager to inhibit")
        return 1
    target = violations[0]["labels"]["target"]
    down = [{"labels": {"alertname": "IntegrityAuditTargetDown", "target": target, "severity": "warn",
                        "instance": "e2e", "job": "integrity-auditor"},
             "annotations": {"summary": "synthetic: inhibition check of .ci/prometheus-e2e.sh"}}]
    request = urllib.request.Request(f"{am_base}/api/v2/alerts", data=json.dumps(down).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request, timeout=5).read()
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        states = [(a["labels"]["audit"], a["status"]["state"], a["status"]["inhibitedBy"])
                  for name in ("IntegrityAuditCriticalViolations", "IntegrityAuditWarnViolations")
                  for a in alerts(name) if a["labels"]["target"] == target]
        if states and all(state == "suppressed" and inhibited for _, state, inhibited in states):
            print(f"IntegrityAuditTargetDown for target {target} inhibits its {len(states)} violation alerts")
            return 0
        time.sleep(1)
    print(f"violation alerts of {target} not inhibited by IntegrityAuditTargetDown: {states[:5]}")
    return 1

if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    sys.exit({"wait-ready": wait_ready, "wait-alert": wait_alert, "contract": contract,
              "dashboard": dashboard_queries, "summary": summary, "webhook": webhook,
              "wait-notification": wait_notification, "image-node": image_node,
              "inhibition": inhibition}[command](*args))
PY

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# 1. The demo: embedded PostgreSQL, demo data with known orphans, the shipped audits, then serve.
demo_port=${E2E_DEMO_PORT:-$(free_port)}
log "starting the demo (java -jar $JAR demo --every 10s --port $demo_port)"
# http.external_url (an environment override): the node then exports integrity_audit_pages_info,
# which the rules' page_url annotation uses, so the metric contract below sees every metric.
INTEGRITY_AUDITOR_HTTP_EXTERNAL_URL="http://127.0.0.1:$demo_port" \
  java -jar "$JAR" demo --every 10s --port "$demo_port" --work-dir "$work/demo" \
  >"$work/demo.out" 2>"$work/demo.err" </dev/null &
demo_pid=$!

deadline=$((SECONDS + STARTUP_SECONDS))
until grep -q '^Serving:' "$work/demo.out" 2>/dev/null; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    wait "$demo_pid" && rc=0 || rc=$?
    demo_pid=""
    log "the demo exited with code $rc before serving"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    log "the demo did not print 'Serving:' within ${STARTUP_SECONDS}s"
    exit 1
  fi
  sleep 1
done
# The demo falls back to a free port if ours was taken meanwhile: read the one it serves on.
metrics_url=$(grep -oE 'http://[^ ]+:[0-9]+/metrics' "$work/demo.out" | head -n 1)
demo_port=$(sed -E 's#.*:([0-9]+)/metrics#\1#' <<<"$metrics_url")
metrics_url="http://127.0.0.1:$demo_port/metrics"
log "the demo serves $metrics_url"
python3 "$work/e2e.py" wait-ready "$metrics_url" 30

# 2. Prometheus with a copy of the shipped configuration: the demo as the only target, shorter
# intervals so the test is quick. The rules file is copied unchanged (checked below), `for:`
# durations included.
prom_port=${E2E_PROMETHEUS_PORT:-$(free_port)}
am_port=${E2E_ALERTMANAGER_PORT:-$(free_port)}
webhook_port=${E2E_WEBHOOK_PORT:-$(free_port)}
mkdir -p "$work/prometheus"
cp "$SHIPPED_RULES" "$work/prometheus/"
python3 - "$SHIPPED_CONFIG" "$work/prometheus/prometheus.yml" "127.0.0.1:$demo_port" "127.0.0.1:$am_port" <<'PY'
import re, sys
source, destination, target, alertmanager = sys.argv[1:]
text = open(source).read()
text, intervals = re.subn(r"^(\s*(?:scrape|evaluation)_interval:)\s*\S+", r"\1 2s", text, flags=re.M)
text, timeouts = re.subn(r"^(\s*scrape_timeout:)\s*\S+", r"\1 2s", text, flags=re.M)
# The example targets (a YAML list under `- targets:`) become the demo.
text, targets = re.subn(r"(- targets:\n)(\s*- '[^']+'\n)+", rf"\1          - '{target}'\n", text)
# The example Alertmanager becomes ours.
text, managers = re.subn(r"'alertmanager\.example\.internal:9093'", f"'{alertmanager}'", text)
assert intervals >= 2 and targets == 1 and managers == 1, (intervals, targets, managers)
open(destination, "w").write(text)
PY
cmp "$SHIPPED_RULES" "$work/prometheus/$(basename "$SHIPPED_RULES")"
promtool check config "$work/prometheus/prometheus.yml" >/dev/null
diff -u "$SHIPPED_CONFIG" "$work/prometheus/prometheus.yml" | sed -n '/^[-+][^-+]/p' | sed 's/^/  /' || true

# 2b. The webhook receiver and Alertmanager with a copy of the shipped example: every receiver's
# URL points at the receiver (its path keeps pager/tickets and the team), waits shortened.
log "starting the webhook receiver on 127.0.0.1:$webhook_port"
python3 "$work/e2e.py" webhook "$webhook_port" "$work/webhook.jsonl" 2>"$work/webhook.err" &
webhook_pid=$!
mkdir -p "$work/alertmanager"
python3 - "$SHIPPED_ALERTMANAGER" "$work/alertmanager/alertmanager.yml" "127.0.0.1:$webhook_port" <<'PY'
import re, sys
source, destination, webhook = sys.argv[1:]
text = open(source).read()
text, urls = re.subn(r"url: 'https://(\w+)\.example\.internal(/[^']*)'", rf"url: 'http://{webhook}/\1\2'", text)
text, waits = re.subn(r"^(\s*group_(?:wait|interval):)\s*\S+", r"\1 1s", text, flags=re.M)
assert urls >= 2 and waits == 2, (urls, waits)
open(destination, "w").write(text)
PY
amtool check-config "$work/alertmanager/alertmanager.yml" >/dev/null
log "starting alertmanager on 127.0.0.1:$am_port"
"$alertmanager" --config.file="$work/alertmanager/alertmanager.yml" \
  --storage.path="$work/alertmanager/data" \
  --web.listen-address="127.0.0.1:$am_port" \
  --cluster.listen-address= \
  --log.level=warn \
  >"$work/alertmanager.log" 2>&1 </dev/null &
am_pid=$!
python3 "$work/e2e.py" wait-ready "http://127.0.0.1:$am_port/-/ready" 30

log "starting prometheus on 127.0.0.1:$prom_port"
prometheus --config.file="$work/prometheus/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" \
  --log.level=warn \
  >"$work/prometheus.log" 2>&1 </dev/null &
prom_pid=$!
prom="http://127.0.0.1:$prom_port"
python3 "$work/e2e.py" wait-ready "$prom/-/ready" 30
# Prometheus, Alertmanager and the webhook start before the image node (1b): the violation
# alert's `for: 1m` (the shipped rules, unchanged) runs while the image starts and is checked,
# instead of after it. Prometheus scrapes only the demo, so the image node changes nothing it sees.
# 2c. The container image as a second node of the demo's cluster (only with E2E_IMAGE).
if [[ -n "${E2E_IMAGE:-}" ]]; then
  for tool in skopeo umoci unshare pgrep; do
    command -v "$tool" >/dev/null || { log "missing $tool (Debian: apt-get install skopeo umoci)"; exit 1; }
  done
  image_port=${E2E_IMAGE_PORT:-$(free_port)}
  skopeo copy --quiet "docker-archive:$E2E_IMAGE" "oci:$work/oci:e2e"
  umoci unpack --image "$work/oci:e2e" "$work/image" >/dev/null
  rootfs=$work/image/rootfs
  skopeo inspect --config "docker-archive:$E2E_IMAGE" >"$work/image-config.json"
  # The demo's configuration, its secrets and its audit files, mounted at /config as a
  # ConfigMap and a Secret would be (the audit pattern becomes the image's relative audits/).
  mkdir -p "$rootfs/config/audits" "$rootfs/proc"
  python3 deploy/image/demo-config.py "$work/demo/integrity-auditor.yaml" "$rootfs/config"
  cp "$work/demo/apms.password" "$work/demo/http.token" "$rootfs/config/"
  image_user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$work/image-config.json")
  chown -R "$image_user" "$rootfs/config"
  mapfile -t image_env < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["config"]["Env"]))' "$work/image-config.json")
  mapfile -t image_argv < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]; print("\n".join(c["Entrypoint"] + c.get("Cmd", [])))' "$work/image-config.json")
  log "starting the image as node 'image-node' on 127.0.0.1:$image_port (read-only root, uid $image_user): ${image_argv[*]}"
  unshare --mount --pid --fork -- sh -c 'root=$1; shift
    mount --bind "$root" "$root" && mount -o remount,bind,ro "$root" \
      && mount -t proc proc "$root/proc" && mount -t tmpfs -o size=64m,mode=1777 tmpfs "$root/tmp" \
      && exec "$@"' _ "$rootfs" \
    env -i "${image_env[@]}" INTEGRITY_AUDITOR_NODE_ID=image-node INTEGRITY_AUDITOR_HTTP_PORT="$image_port" \
    "$(command -v chroot)" --userspec="$image_user" "$rootfs" "${image_argv[@]}" \
    >"$work/image-node.log" 2>&1 </dev/null &
  image_pid=$!
  python3 "$work/e2e.py" wait-ready "http://127.0.0.1:$image_port/health/ready" 120
  python3 "$work/e2e.py" image-node "http://127.0.0.1:$demo_port" "http://127.0.0.1:$image_port" image-node 90
fi


# 3. Wait for a violation alert to fire (the demo data has orphans; `for: 1m`).
log "waiting up to ${ALERT_SECONDS}s for IntegrityAudit(Critical|Warn)Violations to fire"
python3 "$work/e2e.py" wait-alert "$prom" "$ALERT_SECONDS"

# 4. What else the rules see, the exposition against the metric contract, and the dashboard
# against real data.
log "the worker as Prometheus sees it"
python3 "$work/e2e.py" summary "$prom"
log "checking the exposition against docs/metrics.md"
contract_rc=0
python3 "$work/e2e.py" contract "$metrics_url" docs/metrics.md "$SHIPPED_RULES" \
  deploy/grafana/integrity-auditor.json || contract_rc=$?
log "promtool check metrics (lint, informational):"
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "$metrics_url" | promtool check metrics 2>&1 | sed 's/^/  /' | head -n 20 || true
log "running the dashboard's queries"
python3 "$work/e2e.py" dashboard "$prom" deploy/grafana/integrity-auditor.json integrity-auditor
if ((contract_rc)); then
  log "FAILED: the rules or the dashboard use metrics the worker does not export (above)"
  exit 1
fi

# 4b. The image node stops gracefully on SIGTERM (running audits get shutdown_grace).
if [[ -n "${E2E_IMAGE:-}" ]]; then
  stop_image_node
  if [[ "$image_exit" != 0 && "$image_exit" != 143 ]]; then
    log "FAILED: the image node exited with $image_exit on SIGTERM"
    exit 1
  fi
  log "the image node stopped on SIGTERM (exit $image_exit)"
fi

# 5. The notification: routed by owner and severity, labelled, annotated, linked to its record.
log "waiting up to ${NOTIFY_SECONDS}s for the violation notification at the webhook"
python3 "$work/e2e.py" wait-notification "$work/webhook.jsonl" "$NOTIFY_SECONDS" "http://127.0.0.1:$demo_port"

# 6. Inhibition: a target that is down mutes its violation alerts (they describe data nobody can
# check right now).
log "checking that IntegrityAuditTargetDown inhibits the violation alerts of its target"
python3 "$work/e2e.py" inhibition "http://127.0.0.1:$am_port" 30

failed=0
log "PASSED"
