#!/usr/bin/env bash
# Adds a class-data-sharing archive to the container image that `./mvnw package -Pimage` wrote
# (issue 18: most of a node's start is the JVM loading classes; with an archive it maps them).
# The image runs with a read-only root file system, so the archive is written here, at build time,
# by the image's own runtime on a training start of `serve`, and shipped in a layer of its own:
#   1. the image is unpacked (skopeo copy to an OCI layout, umoci unpack);
#   2. the application's classes and resources become one jar, /app/cds/integrity-auditor.jar, and
#      /app/jib-classpath-file (the entrypoint's -cp @file) lists it instead of Jib's two
#      directories: the JDK 17 archive refuses a class path with non-empty directories;
#   3. a training start: the image's entrypoint with -XX:ArchiveClassesAtExit, as the image's user
#      in a chroot of the unpacked image, a node of the demo's cluster (`demo`, run from JAR on
#      this host, is the database), stopped with SIGTERM once /health/ready answers: the JVM
#      writes /app/cds/serve.jsa when it stops;
#   4. the archive is proven: the entrypoint with -Xshare:on (which fails where the default
#      -Xshare:auto would start without it) runs `--version`;
#   5. /app/cds and the new class path file are added to the image as one layer (umoci insert), and
#      the tarball is replaced.
# The entrypoint names the archive (-XX:SharedArchiveFile=/app/cds/serve.jsa, pom.xml): an image
# without it, or an archive the JVM cannot map, starts without it (the JVM's default -Xshare:auto).
#
#   deploy/image/cds.sh [IMAGE_TAR] [JAR]
#
# Needs: skopeo, umoci, python3, root (chroot, a private mount namespace); without root it says so
# and leaves the image without an archive. About a minute on 2 idle cores (the demo's start).
set -euo pipefail
cd "$(dirname "$0")/../.."

image=${1:-target/integrity-auditor-image.tar}
jar=${2:-target/integrity-auditor.jar}
[[ -f "$image" ]] || { echo "cds.sh: no $image: build it with ./mvnw -B -ntp package -DskipTests -Pimage" >&2; exit 1; }
[[ -f "$jar" ]] || { echo "cds.sh: no $jar (the demo of the training start): ./mvnw -B -ntp package -DskipTests" >&2; exit 1; }
for tool in skopeo umoci python3 unshare pgrep; do
  command -v "$tool" >/dev/null || { echo "cds.sh: missing $tool (Debian: apt-get install skopeo umoci python3)" >&2; exit 1; }
done
if [[ $(id -u) != 0 ]]; then
  echo "cds.sh: needs root (a chroot of the image): the image keeps no class-data-sharing archive and its nodes start without one" >&2
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/integrity-auditor-cds.XXXXXX")
demo_pid=""
node_pid=""
# SIGTERM (the JVM writes the archive on this exit), SIGKILL after 60 s.
stop_pid() {
  local pid=$1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# The image's node runs as PID 1 of its own PID namespace under `unshare`: its JVM is the child.
stop_node() {
  [[ -n "$node_pid" ]] || return 0
  local jvm
  jvm=$(pgrep -P "$node_pid" || true)
  [[ -n "$jvm" ]] && kill -TERM "$jvm" 2>/dev/null || true
  stop_pid "$node_pid"
  node_pid=""
}
cleanup() {
  stop_node
  stop_pid "$demo_pid"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { # URL SECONDS PID
  local deadline=$((SECONDS + $2))
  until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# 1. The image's file system and configuration.
skopeo copy --quiet "docker-archive:$image" "oci:$work/oci:image"
umoci unpack --image "$work/oci:image" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
skopeo inspect --config "docker-archive:$image" >"$work/config.json"
tag=$(tar -xOf "$image" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"][0])')
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["User"])' "$work/config.json")
mapfile -t env < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["config"]["Env"]))' "$work/config.json")
# The entrypoint without its -XX:SharedArchiveFile (with -XX:ArchiveClassesAtExit it would name the
# base archive), then the option given, then the arguments.
entrypoint() {
  python3 - "$work/config.json" "$@" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))["config"]
java, *options = [a for a in config["Entrypoint"] if not a.startswith("-XX:SharedArchiveFile=")]
print("\n".join([java, *sys.argv[2:3], *options, *sys.argv[3:]]))
PY
}
grep -q -- '-XX:SharedArchiveFile=/app/cds/serve.jsa' "$work/config.json" \
  || { echo "cds.sh: the image's entrypoint does not name /app/cds/serve.jsa (pom.xml, profile image)" >&2; exit 1; }
[[ -s "$rootfs/opt/java/lib/server/classes.jsa" ]] \
  || { echo "cds.sh: the image's runtime has no base archive (lib/server/classes.jsa: jlink --generate-cds-archive in rootfs.sh)" >&2; exit 1; }

# 2. One jar of the application's classes, and the class path that lists it.
mkdir -p "$rootfs/app/cds"
python3 - "$rootfs" <<'PY'
import os, sys, zipfile
root = sys.argv[1]
entries = open(f"{root}/app/jib-classpath-file").read().strip().split(":")
directories = [e for e in entries if not e.endswith(".jar")]
if directories != ["/app/resources", "/app/classes"]:
    sys.exit(f"cds.sh: Jib's class path has other directories than /app/resources, /app/classes: {directories}")
jar = f"{root}/app/cds/integrity-auditor.jar"
written = set()
with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as z:
    for directory in directories:  # in class path order: the first of a duplicate wins, as it did
        top = root + directory
        for parent, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(parent, name)
                entry = os.path.relpath(path, top)
                if entry not in written:
                    written.add(entry)
                    z.writestr(zipfile.ZipInfo(entry, (1980, 1, 1, 0, 0, 0)), open(path, "rb").read(), zipfile.ZIP_DEFLATED)
with open(f"{root}/app/jib-classpath-file", "w") as f:
    f.write(":".join(["/app/cds/integrity-auditor.jar"] + [e for e in entries if e.endswith(".jar")]))
print(f"cds.sh: {len(written)} files of {', '.join(directories)} in /app/cds/integrity-auditor.jar")
PY
# Fixed times, as Jib gives its files: the same build gives the same layer.
touch -d @1 "$rootfs/app/cds/integrity-auditor.jar" "$rootfs/app/jib-classpath-file"
chown "$user" "$rootfs/app/cds"

# 3. The training start, on the demo's databases (as a second node of its cluster, as
# .ci/prometheus-e2e.sh runs the image).
echo "cds.sh: starting the demo as the training start's database (java -jar $jar demo)"
java -Xmx256m -jar "$jar" demo --port 0 --every 1h --work-dir "$work/demo" >"$work/demo.out" 2>&1 </dev/null &
demo_pid=$!
deadline=$((SECONDS + 600))
until grep -q '^Serving:' "$work/demo.out" 2>/dev/null; do
  kill -0 "$demo_pid" 2>/dev/null && ((SECONDS < deadline)) \
    || { cat "$work/demo.out" >&2; echo "cds.sh: the demo did not serve (above)" >&2; exit 1; }
  sleep 1
done
mkdir -p "$rootfs/config/audits" "$rootfs/proc"
python3 deploy/image/demo-config.py "$work/demo/integrity-auditor.yaml" "$rootfs/config"
cp "$work/demo/apms.password" "$work/demo/http.token" "$rootfs/config/"
chown -R "$user" "$rootfs/config"
# Runs the image's argv (ARGV_FILE: one argument a line) in a chroot as the image's user, with
# the image's environment and extra_env; call it in a subshell: it becomes unshare. /proc, a /tmp
# and the /dev nodes a container runtime gives: without /dev/urandom the JDK seeds SecureRandom
# from its threads, 8-9 s of CPU in the first connection (measured), not what a container does.
in_image() {
  local argv
  mapfile -t argv <"$1"
  exec unshare --mount --pid --fork -- sh -c 'root=$1; shift
    mount -t proc proc "$root/proc" && mount -t tmpfs -o size=64m,mode=1777 tmpfs "$root/tmp" \
      && mkdir -p "$root/dev" && mount -t tmpfs -o size=1m tmpfs "$root/dev" \
      && for node in null random urandom; do touch "$root/dev/$node" \
        && mount --bind "/dev/$node" "$root/dev/$node" || exit 1; done \
      && exec "$@"' _ "$rootfs" \
    env -i "${env[@]}" "${extra_env[@]}" "$(command -v chroot)" --userspec="$user" "$rootfs" "${argv[@]}"
}
port=$(free_port)
extra_env=(INTEGRITY_AUDITOR_NODE_ID=image-cds-training INTEGRITY_AUDITOR_HTTP_PORT="$port")
echo "cds.sh: training start of the image's serve (-XX:ArchiveClassesAtExit=/app/cds/serve.jsa)"
entrypoint -XX:ArchiveClassesAtExit=/app/cds/serve.jsa serve >"$work/training.argv"
(in_image "$work/training.argv") >"$work/training.log" 2>&1 </dev/null &
node_pid=$!
started=$SECONDS
if ! wait_ready "http://127.0.0.1:$port/health/ready" 300 "$node_pid"; then
  cat "$work/training.log" >&2
  echo "cds.sh: the training start was not ready (above)" >&2
  exit 1
fi
echo "cds.sh: the training start was ready after $((SECONDS - started)) s; stopping it (SIGTERM)"
stop_node
stop_pid "$demo_pid"
demo_pid=""
if [[ ! -s "$rootfs/app/cds/serve.jsa" ]]; then
  grep -iE 'cds|error' "$work/training.log" | tail -n 20 >&2 || true
  echo "cds.sh: the training start wrote no archive (above)" >&2
  exit 1
fi

# 4. The image's entrypoint maps it.
extra_env=(JAVA_TOOL_OPTIONS=-Xshare:on)
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["config"]["Entrypoint"] + ["--version"]))' \
  "$work/config.json" >"$work/check.argv"
(in_image "$work/check.argv") >"$work/check.log" 2>&1 </dev/null \
  || { cat "$work/check.log" >&2; echo "cds.sh: the image's JVM does not map the archive it wrote (above)" >&2; exit 1; }

# 5. One layer: /app/cds and the class path file, owned by root, readable by all.
mkdir -p "$work/layer/app"
cp -a "$rootfs/app/cds" "$rootfs/app/jib-classpath-file" "$work/layer/app/"
chown -R 0:0 "$work/layer"
chmod 0755 "$work/layer/app" "$work/layer/app/cds"
chmod 0444 "$work/layer/app/cds/"* "$work/layer/app/jib-classpath-file"
umoci insert --image "$work/oci:image" --history.comment "class-data-sharing archive (deploy/image/cds.sh)" \
  "$work/layer/app" /app >/dev/null
skopeo copy --quiet "oci:$work/oci:image" "docker-archive:$work/image.tar:$tag"
mv "$work/image.tar" "$image"
echo "cds.sh: $image now holds /app/cds/serve.jsa ($(du -h "$work/layer/app/cds/serve.jsa" | cut -f1), written by the image's JVM, mapped with -Xshare:on)"
