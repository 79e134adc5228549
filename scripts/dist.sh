#!/usr/bin/env bash
# make dist: the release artifacts, into dist/.
#   sluice-VERSION-linux-amd64.tar.gz   sluice, sluice-window, sluice-statusline,
#                                       .desktop entry, icon, README
#   sluice_DEBVERSION_amd64.deb         the same installed under /usr
#   sluice-VERSION-windows-amd64.zip    sluice.exe, sluice-window.exe (built by
#                                       `make windows`), sluice-statusline.exe
# VERSION is `git describe`; the .deb's must start with a digit, so a
# describe without a tag becomes 0.0.0~git<hash>.
set -euo pipefail
cd "$(dirname "$0")/.."

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

# debversion maps a describe to a Debian version: v1.2.3-4-gabc -> 1.2.3+4.gabc
# (later than 1.2.3), abc1234-dirty -> 0.0.0~gitabc1234.dirty.
debversion() {
  local v=${1#v}
  # A release tag (1.2 or 1.2.3...); a bare commit hash may start with a
  # digit too, so a dot must follow the first number.
  if [[ $v =~ ^[0-9]+\.[0-9] ]]; then
    local head=${v%%-*} rest=${v#*-}
    [ "$rest" = "$v" ] && { echo "$head"; return; }
    echo "$head+${rest//-/.}"
  else
    echo "0.0.0~git${v//-/.}"
  fi
}
deb_version=$(debversion "$version")

mkdir -p dist
for bin in dist/linux/sluice dist/linux/sluice-window dist/linux/sluice-statusline; do
  test -x "$bin" || { echo "dist: $bin missing (make dist builds it)" >&2; exit 1; }
  # Every library a program needs must come from a package the .deb depends
  # on (sluice and sluice-statusline are static: only the window links GL).
  for lib in $(objdump -p "$bin" | awk '/NEEDED/{print $2}'); do
    pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1)
    if [ -z "$pkg" ] || ! grep -qx "  - $pkg" scripts/dist/nfpm.yaml; then
      echo "dist: $bin needs $lib (package '${pkg:-unknown}'), not in scripts/dist/nfpm.yaml's depends" >&2
      exit 1
    fi
  done
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tdir="$stage/sluice-$version-linux-amd64"
mkdir -p "$tdir"
cp dist/linux/sluice dist/linux/sluice-window dist/linux/sluice-statusline "$tdir/"
cp scripts/dist/io.github.sluiceproxy.sluice.desktop README.md "$tdir/"
cp assets/icon.png "$tdir/io.github.sluiceproxy.sluice.png"
tar -C "$stage" -czf "dist/sluice-$version-linux-amd64.tar.gz" "sluice-$version-linux-amd64"

SLUICE_VERSION=$deb_version \
  go run "$NFPM" package --config scripts/dist/nfpm.yaml --packager deb --target dist/ >/dev/null

if [ -f dist/windows/sluice.exe ]; then
  wdir="$stage/sluice-$version-windows-amd64"
  mkdir -p "$wdir"
  cp dist/windows/sluice.exe dist/windows/sluice-window.exe dist/windows/sluice-statusline.exe README.md "$wdir/"
  zip="$PWD/dist/sluice-$version-windows-amd64.zip"
  rm -f "$zip"
  (cd "$stage" && zip -qr "$zip" "sluice-$version-windows-amd64")
fi
ls -l dist/*.tar.gz dist/*.deb dist/*.zip 2>/dev/null
