#!/usr/bin/env bash
# make test-deb: the .deb from `make dist` installs a sluice that starts.
# What "clean Debian" means here: apt resolves the package's dependencies
# against the configured Debian archive (apt-get install --simulate, which
# needs no root and changes nothing), and the unpacked package (dpkg -x
# into a temporary root, not this machine's /usr) runs `sluice version`
# and the smoke test (serve, an account, a client key, one request, the
# journal) with the system's libraries. No container: the libraries come
# from this machine, which also has the build's -dev packages.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -t dist/sluice_*_amd64.deb 2>/dev/null | head -1)
test -n "$deb" || { echo "test-deb: no dist/sluice_*_amd64.deb (run make dist)" >&2; exit 1; }

echo "== $deb"
dpkg-deb -f "$deb" Package Version Depends
# The listing is read whole first: grep -q closing the pipe early would
# kill dpkg-deb with SIGPIPE, which pipefail reports as a missing file.
listing=$(dpkg-deb -c "$deb")
for f in /usr/bin/sluice /usr/bin/sluice-window /usr/bin/sluice-statusline /usr/share/applications/io.github.sluiceproxy.sluice.desktop \
         /usr/share/icons/hicolor/512x512/apps/io.github.sluiceproxy.sluice.png; do
  grep -q " \.$f\$" <<<"$listing" || { echo "test-deb: $f missing from the package" >&2; exit 1; }
done
apt-get install --simulate -qq "./$deb" >/dev/null

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
"$root/usr/bin/sluice" version
want=$(dpkg-deb -f "$deb" Version)
export DBUS_SESSION_BUS_ADDRESS=${DBUS_SESSION_BUS_ADDRESS:-unix:path=/nonexistent/sluice-no-bus}
go test -tags smoke -count=1 -v ./scripts/smoke -exe "$root/usr/bin/sluice"
# As root, the real thing too: dpkg -i puts sluice in /usr/bin, it starts,
# and dpkg -r takes it away again.
if [ "$(id -u)" -eq 0 ] && ! dpkg-query -W sluice >/dev/null 2>&1; then
  dpkg -i "$deb" >/dev/null
  trap 'dpkg -r sluice >/dev/null 2>&1; rm -rf "$root"' EXIT
  test "$(/usr/bin/sluice version)" = "$("$root/usr/bin/sluice" version)"
  /usr/bin/sluice-statusline </dev/null
  test -f /usr/share/applications/io.github.sluiceproxy.sluice.desktop
  echo "test-deb: dpkg -i installed /usr/bin/sluice, which starts"
fi
echo "test-deb: $deb ($want) installs and serves"
