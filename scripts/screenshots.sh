#!/bin/sh
# Captures each tab of the window into docs/screenshots/*.png: a real
# engine (temp journal, file keyring) in front of proxy/fakeapi with three
# accounts and a week of requests, drawn by Fyne's software painter
# (app/screenshots_test.go, build tag `screenshots`), so no display is
# needed and the pictures do not depend on a GL driver. Look at them after.
set -eu
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
mkdir -p "$out"
LANG=${LANG:-en_US.UTF-8}
case "$LANG" in C|C.*|POSIX) LANG=en_US.UTF-8 ;; esac
export LANG
go test -tags "migrated_fynedo screenshots" -count=1 -run '^TestScreenshot' ./app/ -args -shots "$out"
ls -l "$out"/*.png
