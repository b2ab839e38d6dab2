# Shared by scripts/quickstart and scripts/test: packages and the build.
# shellcheck shell=bash

POOLER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}"

log() { printf '\n==> %s\n' "$*"; }

# install_missing PKG...: apt-get installs those of the packages that are not installed yet.
install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Everything the build, the tests and the demo use, from Debian 12's own packages.
install_packages() {
  local pkgs=(build-essential cmake pkg-config git
              libevent-dev libssl-dev libsystemd-dev
              libgtest-dev libgmock-dev libpq-dev pgbouncer
              postgresql-15 postgresql-client-15 postgresql-contrib
              util-linux procps openssl clang clang-format libclang-rt-14-dev)
  install_missing "${pkgs[@]}"
}

# What scripts/package and the package test need: debhelper and rpmbuild for the packages,
# debootstrap and systemd-nspawn for a Debian system with systemd as PID 1.
install_package_tools() {
  local pkgs=(debhelper dpkg-dev rpm debootstrap systemd-container zstd)
  install_missing "${pkgs[@]}"
}

# The unprivileged user that owns test clusters (initdb refuses root).
ensure_test_user() {
  id pooler-test >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin pooler-test
}

# build_tree DIR TARGET [cmake args...]; TARGET "all" builds everything.
build_tree() {
  local dir="$1" target="$2"; shift 2
  cmake -S "$POOLER_ROOT" -B "$dir" "$@" >/dev/null
  # One build at a time on the machine: two at once on 2 cores only slow each other down.
  flock /tmp/pooler-build.lock cmake --build "$dir" -j "$JOBS" --target "$target"
}
