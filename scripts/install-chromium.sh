#!/usr/bin/env bash
# Debian's Chromium for the web chat's browser tests and `make bench-web`, installed only where it
# is missing. Playwright drives this system browser (executable_path): it never downloads one.
# As root (CI, this project's machines) it installs with apt-get; otherwise it says what to run.
set -euo pipefail
chromium="${BRAIN_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests (apt-get) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    [ -x "$chromium" ] || { echo "chromium installed, but $chromium is not there" >&2; exit 1; }
else
    echo "No Chromium at $chromium: the browser tests need it." >&2
    echo "Install it with: sudo apt-get install chromium  (or set BRAIN_CHROMIUM to a Chromium or Chrome binary)" >&2
fi
