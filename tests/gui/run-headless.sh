#!/bin/sh
# run-headless.sh COMMAND [ARG…]
#
# Runs COMMAND inside a private Xvfb and a private D-Bus session (which also gets its own
# AT-SPI bus), with GSETTINGS_BACKEND=memory and a throwaway HOME and XDG directories. Xvfb
# picks a free display itself (-displayfd). Everything started here is stopped on exit.
set -u

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-gui.XXXXXX")
xvfb_pid=

cleanup ()
{
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

: > "$tmp/display"
Xvfb -displayfd 3 -screen 0 "${FERRY_SCREEN:-1280x800x24}" -nolisten tcp -noreset \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!

i=0
while [ ! -s "$tmp/display" ]; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "Bail out! Xvfb did not start" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
  fi
  sleep 0.1
done

DISPLAY=":$(head -n1 "$tmp/display")"
mkdir -p "$tmp/home" "$tmp/config" "$tmp/data" "$tmp/cache" "$tmp/runtime"
chmod 700 "$tmp/runtime"
export DISPLAY
export GDK_BACKEND=x11
export GSETTINGS_BACKEND=memory
export GTK_A11Y=atspi
export HOME="$tmp/home"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
export FERRY_GUI_TMP="$tmp"
export GTK_USE_PORTAL=0
export ADW_DISABLE_PORTAL=1
unset NO_AT_BRIDGE
unset DBUS_SESSION_BUS_ADDRESS
unset WAYLAND_DISPLAY

# Only the test writes to stdout (TAP); the bus and the services it starts log to stderr.
exec 4>&1
dbus-run-session -- sh -c 'exec "$@" >&4 4>&-' sh "$@" >&2
