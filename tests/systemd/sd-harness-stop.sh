#!/bin/sh
H="$1"; MP=$(cat "$H/manager.pid" 2>/dev/null); JP=$(cat "$H/journald.pid" 2>/dev/null); CG=$(cat "$H/cgname" 2>/dev/null)
waitgone() { i=0; while kill -0 "$1" 2>/dev/null; do i=$((i+1)); [ $i -le "$2" ] || return 1; sleep 0.05; done; }
if [ -n "$MP" ] && kill -0 "$MP" 2>/dev/null; then
  XDG_RUNTIME_DIR="$H/xdg" systemctl --user exit 2>/dev/null   # stops all units, then the manager exits
  waitgone "$MP" 400 || kill -KILL "$MP"
fi
[ -n "$JP" ] && kill -0 "$JP" 2>/dev/null && { kill -TERM "$JP"; waitgone "$JP" 200 || kill -KILL "$JP"; }
[ -n "$CG" ] || exit 0
for r in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
  [ -d "$r/$CG.slice" ] || continue
  [ -e "$r/$CG.slice/cgroup.kill" ] && echo 1 > "$r/$CG.slice/cgroup.kill"   # leftovers (cgroup2, kernel >= 5.14)
  sleep 0.2; find "$r/$CG.slice" -depth -type d -exec rmdir {} \; 2>/dev/null
done
exit 0
