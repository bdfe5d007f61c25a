#!/usr/bin/env bash
# What the test suites need from the system: Chromium, Firefox ESR and
# WebKitGTK's driver with Xvfb (the browser suite), coturn (TURN), iproute2
# and iptables (the network suite), redis-server (the relay's multi-instance
# tests). `npm test` runs this first; CI too.
# As root it installs what is missing with apt-get; otherwise it names the
# one command that does and fails.
set -euo pipefail

declare -A package_of=(
  [chromium]=chromium
  [firefox-esr]=firefox-esr
  [WebKitWebDriver]=webkit2gtk-driver
  [Xvfb]=xvfb
  [turnserver]=coturn
  [ip]=iproute2
  [iptables]=iptables
  [redis-server]=redis-server
)
need=()
for tool in chromium firefox-esr WebKitWebDriver Xvfb turnserver ip iptables redis-server; do
  command -v "$tool" >/dev/null 2>&1 || need+=("${package_of[$tool]}")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The test suites need: ${need[*]}. Install them once with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The test suites need ${need[*]} (Debian package names); this system has no apt-get." >&2
  exit 1
fi
echo "== installing ${need[*]} (once; the test suites need them)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
for tool in chromium firefox-esr WebKitWebDriver Xvfb turnserver ip iptables redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing and could not be installed" >&2; exit 1; }
done
