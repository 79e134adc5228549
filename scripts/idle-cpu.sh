#!/bin/sh
# Idle CPU and memory of the desktop app over N seconds (default 60), on a
# private Xvfb display and D-Bus session bus with a StatusNotifierWatcher
# (scripts/snwatcher), with the real binary:
#   `sluice` (the owner: engine, control socket, tray on bare systray)
#   starts `sluice window` (the Fyne window, its own process).
# Prints the share of one core and the RSS of each process, window open,
# then with its log search focused (xdotool, if installed), then window
# closed (its process ended, as closing the window does).
# Usage: scripts/idle-cpu.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
export LANG=en_US.UTF-8
tmp=$(mktemp -d)
go build -tags migrated_fynedo,no_animations -o "$tmp/sluice" . # as the Makefile builds it
go build -o "$tmp/snwatcher" scripts/snwatcher/main.go
hz=$(getconf CLK_TCK)

Xvfb :77 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
bus_out=$tmp/bus
dbus-daemon --session --nofork --print-address=1 >"$bus_out" &
bus=$!
owner= watch=
trap 'kill $owner $watch $xvfb $bus 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 2
export DISPLAY=:77 DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$bus_out")"
"$tmp/snwatcher" >"$tmp/watcher.log" 2>&1 & # the tray host's registry
watch=$!
export HOME=$tmp/home SLUICE_DATA_DIR=$tmp/data SLUICE_KEYRING=file SLUICE_KEYRING_PASSWORD=idle \
	SLUICE_PORT=0 SLUICE_UPSTREAM=http://127.0.0.1:9
mkdir -p "$HOME"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
report() { # what pid t0 t1
	awk -v w="$1" -v d=$(($4 - $3)) -v hz="$hz" -v s="$secs" -v rss="$(rss "$2")" \
		'BEGIN { printf "%-34s %5.2f%% of a core over %ds, RSS %d MB\n", w, 100 * d / hz / s, s, rss }'
}

"$tmp/sluice" >"$tmp/log" 2>&1 &
owner=$!
sleep 8 # start-up is not idle
window=$(pgrep -P "$owner" -f "sluice window" || true)
[ -n "$window" ] || { echo "no window process"; cat "$tmp/log"; exit 1; }
o0=$(ticks $owner) w0=$(ticks $window)
sleep "$secs"
o1=$(ticks $owner) w1=$(ticks $window)
report "window open: owner (tray, engine)" $owner $o0 $o1
report "window open: window process" $window $w0 $w1
if command -v xdotool >/dev/null; then
	# The log search focused (Ctrl+F), the window the active one: a text
	# field's cursor is the one thing Fyne animates at rest.
	xdotool search --name '^Sluice$' windowactivate --sync key ctrl+f >/dev/null 2>&1 ||
		xdotool search --name '^Sluice$' windowfocus --sync key ctrl+f
	sleep 2
	w0=$(ticks $window)
	sleep "$secs"
	w1=$(ticks $window)
	report "window open, search field focused" $window $w0 $w1
fi

kill "$window"
sleep 3
o0=$(ticks $owner)
sleep "$secs"
o1=$(ticks $owner)
report "window closed: owner (tray, engine)" $owner $o0 $o1
if pgrep -P "$owner" >/dev/null; then echo "a child is left after the window closed"; fi
grep -q registered "$tmp/watcher.log" || echo "the tray never registered with the watcher"
echo "owner threads: $(ls /proc/$owner/task | wc -l); GL libraries mapped by the owner: $(grep -c -i -E 'libGL|mesa|dri' /proc/$owner/maps || true)"
