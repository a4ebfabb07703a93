#!/usr/bin/env bash
# Assembles the root filesystem under the application layers of the container image, without a
# Docker engine or a registry (none is reachable in CI): a distroless-style base, as
# gcr.io/distroless/java does it, from Debian packages:
#   - a Java runtime made with `jlink` from the JDK that runs the build (only the modules the
#     worker needs: no javac, no jshell, no jar tool);
#   - the C libraries that runtime links (glibc, libgcc, libstdc++, zlib) unpacked from the
#     build host's Debian packages with `apt-get download` + `dpkg-deb -x`; the same release as
#     the JDK, so the glibc the JDK was built against is the one in the image;
#   - /etc/passwd and /etc/group with the `nonroot` user (65532), the licenses of the packages.
# No shell, no package manager, no coreutils. Maven's `image` profile runs this script, then Jib
# layers the application on top (pom.xml, deploy/image/README.md).
#
#   deploy/image/rootfs.sh OUTPUT_DIR       (the directory is replaced)
#
# Needs: a JDK (jlink) and a Debian/Ubuntu host with apt-get (the .deb files are cached in
# OUTPUT_DIR/../image-debs, so a rebuild does not download them again).
set -euo pipefail

out=${1:?usage: rootfs.sh OUTPUT_DIR}
# Modules from `jdeps --print-module-deps` on the shaded jar, plus what is only loaded
# reflectively: jdk.crypto.ec (TLS to PostgreSQL with ECDHE), jdk.localedata is left out on
# purpose (messages are English).
modules=java.base,java.compiler,java.desktop,java.management,java.naming,java.net.http,java.rmi,java.security.jgss,java.sql,jdk.crypto.ec,jdk.management,jdk.unsupported
packages=(libc6 libgcc-s1 libstdc++6 zlib1g)
# libgcc-s1 and libstdc++6 keep their copyright in gcc-N-base (found from their Depends below).

java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
jlink=$java_home/bin/jlink
[[ -x "$jlink" ]] || { echo "rootfs.sh: no jlink in $java_home: set JAVA_HOME to a JDK (not a JRE)" >&2; exit 1; }
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
  || { echo "rootfs.sh: needs a Debian/Ubuntu build host (apt-get, dpkg-deb) for the image's C libraries" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
debs=$(dirname "$out")/image-debs
staging=$(dirname "$out")/image-staging
rm -rf "$staging"
mkdir -p "$debs" "$staging"

# 1. The C libraries, from the packages of this host's release.
download() {
  (cd "$debs" && { compgen -G "${1}_*.deb" >/dev/null || apt-get download -qq -o APT::Sandbox::User=root "$1"; }) \
    || { echo "rootfs.sh: cannot download Debian package $1: run 'apt-get update' first" >&2; exit 1; }
}
for package in "${packages[@]}"; do download "$package"; done
gcc_base=$(dpkg-deb -f "$(compgen -G "$debs/libgcc-s1_*.deb" | head -n 1)" Depends | grep -o 'gcc-[0-9]*-base' | head -n 1)
download "$gcc_base"
packages+=("$gcc_base")
for package in "${packages[@]}"; do
  dpkg-deb -x "$(compgen -G "$debs/${package}_*.deb" | head -n 1)" "$staging"
done

# Copy the shared objects (and the dynamic loader) into the root filesystem as regular files:
# Jib copies the files that symlinks point to, and an absolute symlink such as
# /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/... would be read from the BUILD host.
# So every link is resolved inside the staging tree.
resolve() {
  local path=$1 target
  for ((i = 0; i < 40; i++)); do
    [[ -L "$path" ]] || { printf '%s\n' "$path"; return 0; }
    target=$(readlink "$path")
    if [[ "$target" == /* ]]; then path=$staging$target; else path=$(dirname "$path")/$target; fi
  done
  echo "rootfs.sh: symlink loop at $1" >&2
  return 1
}
while IFS= read -r -d '' file; do
  relative=${file#"$staging"}
  mkdir -p "$out$(dirname "$relative")"
  cp "$(resolve "$file")" "$out$relative"
done < <(find "$staging" \( -type f -o -type l \) \( -name '*.so*' -o -name 'ld-linux*' \) -not -path '*/gconv/*' -not -name '*.py' -print0)
# The licenses travel with the binaries (as distroless does).
while IFS= read -r -d '' copyright; do
  relative=${copyright#"$staging"}
  mkdir -p "$out$(dirname "$relative")"
  cp "$(resolve "$copyright")" "$out$relative"
done < <(find "$staging/usr/share/doc" -name copyright -print0)
rm -rf "$staging"

# 2. The Java runtime. cacerts is a symlink into /etc on Debian's JDK: jlink copies its content.
# --generate-cds-archive: the runtime's own class-data-sharing archive (lib/server/classes.jsa), as a
# JDK ships one: its classes are mapped, not loaded, at every start, and it is the base the
# application's archive (deploy/image/cds.sh) is written on top of.
"$jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --generate-cds-archive --output "$out/opt/java"
[[ -s "$out/opt/java/lib/security/cacerts" ]] \
  || { echo "rootfs.sh: the runtime has no CA certificates (lib/security/cacerts)" >&2; exit 1; }

# 3. Users: root and nonroot, with the numeric ids Kubernetes' runAsNonRoot can verify.
mkdir -p "$out/etc" "$out/tmp" "$out/config" "$out/home/nonroot"
cat >"$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$out/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
# glibc reads these; without nsswitch.conf it would still default to files + dns.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$out/etc/nsswitch.conf"

echo "rootfs.sh: $(du -sh "$out" | cut -f1) in $out (runtime: $("$out/opt/java/bin/java" -version 2>&1 | head -n 1))"
