#!/bin/sh
# Captures the real program into docs/screenshots/*.png, as a user runs it:
# Xvfb (1280x800), a private D-Bus session with a stand-in
# StatusNotifierWatcher, the tray owner `sluice` in front of proxy/fakeapi
# with three accounts (a Console API key, a subscription with its usage
# windows, a subscription benched by a 429) and a week of requests, and the
# real window program (sluice-window, which `sluice window` runs), driven
# with xdotool and captured with ImageMagick's `import`
# (screenshots_test.go, build tag `screenshots`). It takes two minutes
# or so: the tray's pace (tray-pace.png) needs a steady rise over a minute
# and more of real time, one request every 15 s.
# Needs: xvfb dbus xdotool imagemagick (apt-get install them). Look at
# every picture after.
set -eu
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
mkdir -p "$out"
for tool in Xvfb dbus-daemon xdotool import; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "screenshots: $tool not found (apt-get install xvfb dbus xdotool imagemagick)" >&2
    exit 1
  }
done
go test -tags "migrated_fynedo screenshots" -count=1 -timeout 5m -run '^TestScreenshots$' . -args -shots "$out"
ls -l "$out"/*.png
