# Boot a Debian root file system with systemd as PID 1 (systemd-nspawn), run commands in it,
# stop it and leave nothing behind on the host. The recipe, with the reasons for each step, is
# ../shared/docs/system-manager-container.md (sections 3 and 4), verified on these machines.
# shellcheck shell=bash

# ct_boot ROOTFS NAME STATE_DIR [nspawn args...]: boots in the background, waits for
# `systemctl is-system-running --wait`, and sets CT_LEADER (the container's PID 1, host view).
ct_boot() {
  local rootfs=$1 name=$2 state=$3; shift 3
  mkdir -p "$state"
  CT_NAME=$name
  # nspawn starts from a cgroup of its own (a subshell moves itself there and exits), so that
  # the cgroups it leaves behind can be removed afterwards.
  (
    for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
      if [ -f "$h/cgroup.procs" ] && [ -w "$h" ]; then
        mkdir -p "$h/ct-$name" && echo "$BASHPID" >"$h/ct-$name/cgroup.procs"
        [ "$h" = /sys/fs/cgroup ] && break
      fi
    done
    setsid systemd-nspawn --boot --directory="$rootfs" --machine="$name" \
      --register=no --keep-unit --console=read-only "$@" \
      </dev/null >"$state/console.log" 2>&1 &
    echo $! >"$state/nspawn.pid"
  )
  CT_NSPAWN=$(cat "$state/nspawn.pid")
  CT_LEADER=
  local _
  for _ in $(seq 400); do
    CT_LEADER=$(ps -o pid= --ppid "$CT_NSPAWN" | tr -d ' ' | head -n1) || true
    [ -n "$CT_LEADER" ] && [ "$(cat "/proc/$CT_LEADER/comm" 2>/dev/null)" = systemd ] && break
    CT_LEADER=
    kill -0 "$CT_NSPAWN" 2>/dev/null || { cat "$state/console.log" >&2; return 1; }
    sleep 0.05
  done
  [ -n "$CT_LEADER" ] || { echo "container PID 1 not found" >&2; return 1; }
  for _ in $(seq 600); do
    nsenter -t "$CT_LEADER" -a test -S /run/systemd/private && break
    sleep 0.05
  done
  local st
  st=$(timeout 120 nsenter -t "$CT_LEADER" -a systemctl is-system-running --wait || true)
  [ "$st" = running ] || { echo "container boot ended '$st'" >&2; return 1; }
}

# ct CMD...: runs CMD inside the container (its namespaces and root), with a clean environment.
ct() {
  nsenter --target "$CT_LEADER" --all env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
}

# ct_net CMD...: runs a host binary (psql, say) in the container's network namespace.
ct_net() { nsenter --target "$CT_LEADER" --net "$@"; }

_ct_alive() {
  local s
  s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ]
}

# ct_stop: orderly poweroff, a hard kill of the container's PID 1 as the fallback (killing
# nspawn alone would leave the container running), then the cgroups nspawn left.
ct_stop() {
  [ -n "${CT_NSPAWN:-}" ] || return 0
  local _ h
  if [ -n "${CT_LEADER:-}" ] && _ct_alive "$CT_LEADER"; then
    kill -s SIGRTMIN+4 "$CT_LEADER"
    for _ in $(seq 600); do _ct_alive "$CT_LEADER" || break; sleep 0.1; done
    _ct_alive "$CT_LEADER" && kill -s KILL "$CT_LEADER"
  fi
  for _ in $(seq 100); do _ct_alive "$CT_NSPAWN" || break; sleep 0.1; done
  _ct_alive "$CT_NSPAWN" && kill -s KILL "$CT_NSPAWN"
  for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
    [ -d "$h/ct-$CT_NAME" ] && find "$h/ct-$CT_NAME" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null
  CT_NSPAWN=
  return 0
}
