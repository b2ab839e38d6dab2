#!/bin/sh
# Runs as root INSIDE a private mount namespace:  unshare --mount --propagation private sd-harness-ns-init.sh "$H"
set -eu
H="$1"; CG="$(cat "$H/cgname")"

# 1. Which cgroup hierarchy carries the systemd controller?
if   [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ];                 then CGROOTS=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then CGROOTS="/sys/fs/cgroup/unified /sys/fs/cgroup/systemd"
else CGROOTS=/sys/fs/cgroup/systemd; fi
cg_move() { for r in $CGROOTS; do mkdir -p "$r/$1"; echo "$2" > "$r/$1/cgroup.procs"; done; }

# 2. Private /run/systemd and /run/log -> $H/log.  -n: do not create/update /run/mount/utab on the host
# On a host whose /run is not a mount point of its own, MountAPIVFS= (implied by ProtectProc=,
# ProtectKernelTunables=, ...) would mount an empty tmpfs over /run in the service and hide
# /run/systemd/notify, the journal socket and everything below /run. Make /run a mount point.
mountpoint -q /run || mount -n --bind /run /run
mount -n -t tmpfs -o mode=0755 tmpfs /run/systemd
mount -n --bind "$H/log" /run/log
mkdir -p /run/systemd/system /run/systemd/journal /run/systemd/journald.conf.d /run/systemd/user.conf.d
# nodes PID 1 normally creates; needed by ProtectHome=, InaccessiblePaths=, ...
d=/run/systemd/inaccessible; mkdir -p $d; mkdir -m 0 $d/dir; install -m 0 /dev/null $d/reg; mkfifo -m 0 $d/fifo
mknod -m 0 $d/chr c 0 0; mknod -m 0 $d/blk b 0 0
python3 -c 'import os,socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1],0)' $d/sock
cat > /run/systemd/journald.conf.d/test.conf <<'CONF'
[Journal]
Storage=volatile
RuntimeMaxUse=64M
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitBurst=0
CONF
cat > /run/systemd/user.conf.d/test.conf <<'CONF'
[Manager]
DefaultTimeoutStopSec=10s
CONF

# 3. journald, in its own cgroup (held at a fifo until moved)
mkfifo "$H/.go"
sh -c 'read _ < "$1"; exec /lib/systemd/systemd-journald' _ "$H/.go" </dev/null >"$H/journald.out" 2>&1 &
JPID=$!; cg_move "$CG.slice/journald.service" "$JPID"; echo go > "$H/.go"; rm -f "$H/.go"
echo "$JPID" > "$H/journald.pid"
i=0; until [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ]; do
  i=$((i+1)); [ $i -le 200 ] || { echo "journald did not start" >&2; exit 1; }; sleep 0.05; done

# 4. The manager, in .../user@0.service so journald derives _SYSTEMD_USER_UNIT=
cg_move "$CG.slice/user@0.service" $$
echo $$ > "$H/manager.pid"
exec /lib/systemd/systemd --user --log-target=journal --unit=harness.target
