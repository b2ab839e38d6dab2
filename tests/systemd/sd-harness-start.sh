#!/bin/sh
set -eu
H="$1"; HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$H/units" "$H/xdg" "$H/config" "$H/log"; chmod 700 "$H/xdg"
echo "sdh-$(basename "$H")-$$" > "$H/cgname"
# minimal special units; nothing from /etc/systemd/user or /usr/lib/systemd/user gets loaded
for u in basic.target sockets.target paths.target timers.target shutdown.target exit.target systemd-exit.service app.slice; do
  [ -e "$H/units/$u" ] || cp "/usr/lib/systemd/user/$u" "$H/units/"; done
[ -e "$H/units/harness.target" ] || printf '[Unit]\nDescription=Test harness\n' > "$H/units/harness.target"
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$H" \
    XDG_RUNTIME_DIR="$H/xdg" XDG_CONFIG_HOME="$H/config" SYSTEMD_UNIT_PATH="$H/units" \
    setsid unshare --mount --propagation private "$HERE/sd-harness-ns-init.sh" "$H" \
    </dev/null >"$H/manager.out" 2>&1 &
i=0; until [ -S "$H/xdg/systemd/private" ]; do
  i=$((i+1)); [ $i -le 200 ] || { echo "manager did not start:"; cat "$H/manager.out"; exit 1; } >&2; sleep 0.05; done
