#!/usr/bin/env bash
# Inspects the container image tarball that `./mvnw package -Pimage` writes, with real image
# tools (Debian's skopeo and umoci), and runs it once without a container engine:
#   1. the image configuration (skopeo inspect --config): a numeric non-root user, the entrypoint,
#      the exposed metrics port, the OCI labels (version = the pom's version, source, revision);
#   2. its file system (skopeo copy to an OCI layout, umoci unpack): no shell, no package manager,
#      no compiler or build tool anywhere in it;
#   3. the entrypoint itself, as the image's user, in a chroot of the unpacked file system with
#      only /proc mounted (what a runtime would give it): `--version`, then `validate --offline`
#      of a worker configuration mounted at /config (default: deploy/kubernetes/base/config);
#   4. the class-data-sharing archive (deploy/image/cds.sh): the entrypoint maps it (with
#      JAVA_TOOL_OPTIONS=-Xshare:on, which fails where the default would start without it), and
#      starts safely without it: with -Xshare:off (as with a Java agent) and with the archive
#      damaged (the default -Xshare:auto ignores it).
#
#   deploy/image/check.sh [IMAGE_TAR] [CONFIG_DIR]
#
# Needs: skopeo, umoci, python3 (Debian: apt-get install skopeo umoci python3), and root for
# step 3 (chroot, a private mount namespace). Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

image=${1:-target/integrity-auditor-image.tar}
config_dir=${2:-deploy/kubernetes/base/config}
[[ -f "$image" ]] || { echo "no $image: build it with ./mvnw -B -ntp package -DskipTests -Pimage" >&2; exit 1; }
for tool in skopeo umoci python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (Debian: apt-get install skopeo umoci python3)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/integrity-auditor-image.XXXXXX")
trap 'umount "$work/bundle/rootfs/proc" "$work/bundle/rootfs/tmp" 2>/dev/null || true; rm -rf "$work"' EXIT

version=$(sed -n 's#^  <version>\(.*\)</version>#\1#p' pom.xml | head -n 1)

# 1. Configuration.
skopeo inspect --config "docker-archive:$image" >"$work/config.json"
python3 - "$work/config.json" "$version" <<'PY'
import json, sys
config, version = json.load(open(sys.argv[1]))["config"], sys.argv[2]
problems = []
user = config.get("User", "")
uid = user.split(":")[0]
if not uid.isdigit() or int(uid) == 0:
    problems.append(f"User must be a numeric non-root uid (Kubernetes runAsNonRoot checks it): {user!r}")
if config.get("Entrypoint", [None])[0] != "/opt/java/bin/java":
    problems.append(f"Entrypoint must start with /opt/java/bin/java: {config.get('Entrypoint')}")
if "9464/tcp" not in config.get("ExposedPorts", {}):
    problems.append(f"9464/tcp must be exposed: {config.get('ExposedPorts')}")
labels = config.get("Labels", {})
expected = {"org.opencontainers.image.version": version, "org.opencontainers.image.title": "integrity-auditor"}
for key, value in expected.items():
    if labels.get(key) != value:
        problems.append(f"label {key} must be {value!r}: {labels.get(key)!r}")
for key in ("org.opencontainers.image.source", "org.opencontainers.image.revision"):
    if not labels.get(key):
        problems.append(f"label {key} missing")
if problems:
    sys.exit("image configuration:\n  " + "\n  ".join(problems))
print(f"image configuration: user {user}, entrypoint {' '.join(config['Entrypoint'])} {' '.join(config.get('Cmd', []))},"
      f" ports {', '.join(config['ExposedPorts'])}, {len(labels)} labels (version {version},"
      f" revision {labels['org.opencontainers.image.revision']})")
PY

# 2. File system.
skopeo copy --quiet "docker-archive:$image" "oci:$work/oci:integrity-auditor"
umoci unpack --image "$work/oci:integrity-auditor" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
forbidden=$(cd "$rootfs" && find . \( -type f -o -type l \) \( -name sh -o -name bash -o -name dash -o -name busybox \
  -o -name apt -o -name apt-get -o -name dpkg -o -name javac -o -name jar -o -name jshell -o -name jlink \
  -o -name mvn -o -name gcc -o -name cc -o -name curl -o -name wget \) -print)
if [[ -n "$forbidden" ]]; then
  echo "the image must hold no shell, package manager or build tool; found:" >&2
  echo "$forbidden" >&2
  exit 1
fi
echo "file system: $(du -sh "$rootfs" | cut -f1), $(find "$rootfs" -type f | wc -l) files; no shell, package manager, compiler or build tool"
archive=$rootfs/app/cds/serve.jsa
if [[ ! -s "$archive" ]]; then
  echo "the image holds no class-data-sharing archive (/app/cds/serve.jsa): run deploy/image/cds.sh (as root) after building it" >&2
  exit 1
fi
echo "class-data-sharing archive: /app/cds/serve.jsa, $(du -h "$archive" | cut -f1)"

# 3. Run the entrypoint as the image's user. The command line comes from the image config.
if [[ $(id -u) != 0 ]]; then
  echo "step 3 (running the image) needs root: skipped" >&2
  exit 0
fi
mkdir -p "$rootfs/proc" "$rootfs/config"
cp -r "$config_dir"/. "$rootfs/config/"
# Secrets come from files, as Kubernetes mounts a Secret: a placeholder for every
# password_file/token_file the configuration names, readable by the image's user only.
uid_gid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$work/config.json")
grep -hoE '(password|token)_file: *[^ #]+' "$config_dir/integrity-auditor.yaml" | sed -E 's/.*_file: *//' | while read -r secret; do
  mkdir -p "$rootfs$(dirname "$secret")"
  printf 'placeholder-not-a-secret\n' >"$rootfs$secret"
  chown "$uid_gid" "$rootfs$secret"
  chmod 0400 "$rootfs$secret"
done
extra_env=()
# The image's /tmp: a directory of ours (a runtime gives an empty writable one), read back in step 4.
mkdir -p "$work/tmp"
chown "$uid_gid" "$work/tmp"
run_image() {
  python3 - "$work/config.json" "$@" <<'PY' >"$work/argv"
import json, sys
config = json.load(open(sys.argv[1]))["config"]
for arg in config["Entrypoint"] + sys.argv[2:]:
    print(arg)
PY
  local user env=()
  user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$work/config.json")
  mapfile -t env < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["config"]["Env"]))' "$work/config.json")
  mapfile -t argv <"$work/argv"
  # A private mount and PID namespace: the chroot's /proc is gone when the command ends. chroot
  # starts in / (the image's WorkingDir /config only matters for relative paths; the config is
  # found through INTEGRITY_AUDITOR_CONFIG from the image's Env).
  unshare --mount --pid --fork -- sh -c 'mount -t proc proc "$1/proc" && mount --bind "$2" "$1/tmp" \
    && shift 2 && exec "$@"' _ "$rootfs" "$work/tmp" \
    env -i "${env[@]}" "${extra_env[@]}" "$(command -v chroot)" --userspec="$user" "$rootfs" "${argv[@]}"
}
echo "running the image: --version"
run_image --version | sed 's/^/  /'
echo "running the image: validate --offline with $config_dir at /config"
run_image validate --offline | sed 's/^/  /'
# 4. Class-data sharing. -Xshare:on makes a JVM that cannot map the archive fail instead of
# starting without it; -Xlog:class+load counts the classes it took from the archive ("top").
extra_env=("JAVA_TOOL_OPTIONS=-Xshare:on -Xlog:class+load=info:file=/tmp/class-load.log")
echo "running the image: validate --offline with -Xshare:on (fails unless the JVM maps the archive)"
run_image validate --offline >/dev/null
shared=$(grep -c 'source: shared objects file (top)' "$work/tmp/class-load.log" || true)
loaded=$(grep -c 'source: ' "$work/tmp/class-load.log" || true)
((shared > 0)) || { echo "the JVM took no class from the application's archive" >&2; exit 1; }
echo "  $shared of $loaded classes from the application's archive"
extra_env=("JAVA_TOOL_OPTIONS=-Xshare:off")
echo "running the image: validate --offline with JAVA_TOOL_OPTIONS=-Xshare:off (as with a Java agent)"
run_image validate --offline | sed 's/^/  /'
echo "running the image: validate --offline with the archive's header damaged (the JVM must start without it)"
extra_env=()
chmod u+w "$archive"
printf 'not an archive' | dd of="$archive" bs=1 seek=0 conv=notrunc status=none
run_image validate --offline | sed 's/^/  /'
echo "image check passed: $image"
