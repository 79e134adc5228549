#!/bin/sh
# Start time, idle CPU and memory of the desktop app over N seconds
# (default 60), on a private Xvfb display and D-Bus session bus with a
# StatusNotifierWatcher (scripts/snwatcher), with the real programs:
#   `sluice` (the owner: engine, control socket, tray on bare systray)
#   starts `sluice-window` (the Fyne window, a program of its own).
# Prints the time from start to the tray registered with the watcher, the
# median start-to-exit time of `sluice version`, then the share of one core
# and the RSS of each process, window open, then with its log search
# focused (xdotool, if installed), then window closed (its process ended,
# as closing the window does).
# Usage: scripts/idle-cpu.sh [seconds]
# SLUICE_BIN_DIR=DIR measures DIR/sluice (and the window program it starts)
# instead of building them here, e.g. an older build for a before/after.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
export LANG=en_US.UTF-8
tmp=$(mktemp -d)
if [ -n "${SLUICE_BIN_DIR:-}" ]; then
	bin=$SLUICE_BIN_DIR/sluice
else
	# As `make build` builds them (sluice static on Linux).
	CGO_ENABLED=0 go build -tags migrated_fynedo,no_animations -o "$tmp/sluice" .
	go build -tags migrated_fynedo,no_animations -o "$tmp/sluice-window" ./cmd/sluice-window
	bin=$tmp/sluice
fi
go build -o "$tmp/snwatcher" scripts/snwatcher/main.go
hz=$(getconf CLK_TCK)

# A free display number (another run may hold one): Xvfb writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
bus_out=$tmp/bus
dbus-daemon --session --nofork --print-address=1 >"$bus_out" &
bus=$!
owner= watch=
trap 'kill $owner $watch $xvfb $bus 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 2
until [ -s "$tmp/display" ]; do sleep 0.1; done
export DISPLAY=":$(head -n1 "$tmp/display")" DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$bus_out")"
"$tmp/snwatcher" >"$tmp/watcher.log" 2>&1 & # the tray host's registry
watch=$!
export HOME=$tmp/home SLUICE_DATA_DIR=$tmp/data SLUICE_KEYRING=file SLUICE_KEYRING_PASSWORD=idle \
	SLUICE_PORT=0 SLUICE_UPSTREAM=http://127.0.0.1:9
mkdir -p "$HOME"

ms() { echo $(($(date +%s%N) / 1000000)); }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
anon() { awk '/RssAnon/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
report() { # what pid t0 t1
	awk -v w="$1" -v d=$(($4 - $3)) -v hz="$hz" -v s="$secs" -v rss="$(rss "$2")" -v anon="$(anon "$2")" \
		'BEGIN { printf "%-34s %5.2f%% of a core over %ds, RSS %d MB (RssAnon %s MiB)\n", w, 100 * d / hz / s, s, rss, anon }'
}

# Start-to-exit of a command that loads the program and returns at once:
# the dynamic loader and package init, which every start pays.
runs=
for _ in $(seq 21); do
	t0=$(ms)
	"$bin" version >/dev/null
	runs="$runs $(($(ms) - t0))"
done
echo "sluice version, start to exit: median $(echo $runs | tr ' ' '\n' | sort -n | sed -n 11p) ms of 21 runs"

# Start to the tray registered with the watcher, 7 times (started as at
# login, --background: no window), each owner ended before the next.
registered() { grep -c registered "$tmp/watcher.log" || true; }
runs=
for _ in $(seq 7); do
	n=$(registered)
	t0=$(ms)
	"$bin" --background >>"$tmp/log" 2>&1 &
	owner=$!
	until [ "$(registered)" -gt "$n" ]; do
		[ $(($(ms) - t0)) -lt 60000 ] || { echo "the tray never registered with the watcher"; cat "$tmp/log"; exit 1; }
		sleep 0.01
	done
	runs="$runs $(($(ms) - t0))"
	{ kill $owner; wait $owner; } 2>/dev/null || true
done
echo "start to tray registered (--background): median $(echo $runs | tr ' ' '\n' | sort -n | sed -n 4p) ms of 7 runs ($runs )"

"$bin" >"$tmp/log" 2>&1 &
owner=$!
sleep 8 # start-up is not idle
window=$(pgrep -P "$owner" | head -n1 || true)
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
echo "owner threads: $(ls /proc/$owner/task | wc -l); GL libraries mapped by the owner: $(grep -c -i -E 'libGL|mesa|dri' /proc/$owner/maps || true); shared libraries: $(awk '$6 ~ /\.so/ {print $6}' /proc/$owner/maps | sort -u | wc -l)"
