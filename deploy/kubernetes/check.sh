#!/usr/bin/env bash
# Offline checks of the Kubernetes manifests (CI runs this; no cluster needed):
#   1. base/prometheusrule.yaml is what prometheusrule.sh generates from the one rules file;
#   2. base and overlays/example render with kustomize: the `kubectl kustomize` on PATH (if
#      any) AND Debian's kubernetes-client (kubectl 1.20, kustomize 2.0.3: the oldest we keep
#      working with), unpacked into target/tools without installing it;
#   3. every rendered manifest validates against the Kubernetes 1.27 API schemas and the
#      Prometheus Operator CRD schemas (npm: kubernetes-models, @kubernetes-models/prometheus-
#      operator; validate/validate.mjs). These schemas check types, required fields, enums and
#      formats; like the API server's non-strict mode they do NOT reject unknown fields.
#   4. the invariants the docs promise: 2 replicas, node id from the pod name, probes on the
#      health endpoints, non-root read-only hardened container, a PDB.
# Needs: node and npm (Node.js 18+), apt-get + dpkg-deb (Debian) or kubectl on PATH, python3.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
tools=$root/target/tools
mkdir -p "$tools"

./prometheusrule.sh --check

renderers=()
if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
  renderers+=("$(command -v kubectl)")
fi
if [[ ! -x "$tools/kubernetes-client/usr/bin/kubectl" ]]; then
  (cd "$tools" && rm -f kubernetes-client_*.deb && apt-get download -qq -o APT::Sandbox::User=root kubernetes-client \
    && dpkg-deb -x kubernetes-client_*.deb kubernetes-client)
fi
renderers+=("$tools/kubernetes-client/usr/bin/kubectl")

(cd validate && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; })

for kubectl in "${renderers[@]}"; do
  version=$("$kubectl" version --client 2>/dev/null | grep -oE 'v1\.[0-9]+\.[0-9]+' | head -n 1)
  for dir in base overlays/example; do
    echo "kubectl $version kustomize $dir"
    # commonLabels is deprecated in kustomize 5 (it warns) but the only form 2.0.3 knows.
    "$kubectl" kustomize "$dir" 2>/dev/null >"$tools/rendered.yaml"
    node validate/validate.mjs <"$tools/rendered.yaml"
    python3 - "$tools/rendered.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
expected = [
    r"kind: Deployment", r"replicas: 2", r"fieldPath: metadata\.name", r"name: INTEGRITY_AUDITOR_NODE_ID",
    r"path: /health/live", r"path: /health/ready", r"runAsNonRoot: true", r"readOnlyRootFilesystem: true",
    r"allowPrivilegeEscalation: false", r"- ALL", r"kind: PodDisruptionBudget", r"kind: ServiceMonitor",
    r"kind: PrometheusRule", r"alert: IntegrityAuditCriticalViolations", r"secretName: integrity-auditor",
]
missing = [e for e in expected if not re.search(e, text)]
if missing:
    sys.exit(f"rendered manifests lack: {missing}")
PY
  done
done
rm -f "$tools/rendered.yaml"
echo "kubernetes manifests: rendered with ${#renderers[@]} kustomize versions and validated"
