#!/bin/sh
# Idle CPU and memory of the desktop app over 60 s, window closed (tray
# only) and open, on a private Xvfb display and D-Bus session bus. Prints
# the share of one core and the RSS at the end for each. Usage:
#   scripts/idle-cpu.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
export LANG=en_US.UTF-8
bin=$(mktemp -d)/idlecpu
go build -tags migrated_fynedo -o "$bin" scripts/idlecpu/main.go
hz=$(getconf CLK_TCK)

Xvfb :77 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
bus_out=$(mktemp)
dbus-daemon --session --nofork --print-address=1 >"$bus_out" &
bus=$!
trap 'kill $xvfb $bus 2>/dev/null' EXIT
sleep 2
export DISPLAY=:77 DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$bus_out")"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for hidden in 1 0; do
	SLUICE_IDLE_HIDDEN=$hidden "$bin" >/dev/null 2>&1 &
	pid=$!
	sleep 5 # start-up is not idle
	t0=$(ticks $pid)
	sleep "$secs"
	t1=$(ticks $pid)
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	kill $pid
	wait $pid 2>/dev/null || true
	what="window open"
	[ "$hidden" = 1 ] && what="window closed"
	awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" -v rss="$rss" -v w="$what" \
		'BEGIN { printf "%-14s %5.2f%% of a core over %ds, RSS %d MB\n", w, 100 * d / hz / s, s, rss / 1024 }'
done
