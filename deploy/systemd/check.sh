#!/usr/bin/env bash
# Offline checks of the systemd unit (CI runs this; no init system needed):
#   - systemd-analyze verify: syntax, known keys, ExecStart's binary exists; any warning fails;
#   - systemd-analyze security --offline: the hardening holds (exposure at most 2.0, "OK");
#   - systemd-sysusers --root: the sysusers.d file creates the dedicated user with no login.
# Needs Debian's systemd (252+) and java at /usr/bin/java.
set -euo pipefail
cd "$(dirname "$0")"
unit=integrity-auditor.service
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! systemd-analyze verify "./$unit" 2>"$work/verify.txt" || [[ -s "$work/verify.txt" ]]; then
  cat "$work/verify.txt" >&2
  echo "$unit: systemd-analyze verify failed (above)" >&2
  exit 1
fi
echo "$unit: systemd-analyze verify passed"

systemd-analyze security --offline=true --threshold=20 --no-pager "./$unit" >"$work/security.txt" 2>&1 || {
  cat "$work/security.txt" >&2
  echo "$unit: exposure above 2.0 (above): keep the hardening" >&2
  exit 1
}
echo "$(grep -o 'Overall exposure level.*' "$work/security.txt")"

mkdir -p "$work/root/etc" "$work/root/usr/lib/sysusers.d"
cp integrity-auditor.sysusers.conf "$work/root/usr/lib/sysusers.d/integrity-auditor.conf"
systemd-sysusers --root="$work/root"
grep -q '^integrity-auditor:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$work/root/etc/passwd" \
  || { echo "integrity-auditor.sysusers.conf did not create a nologin system user" >&2; exit 1; }
echo "integrity-auditor.sysusers.conf: $(grep '^integrity-auditor:' "$work/root/etc/passwd")"
