#!/bin/sh
# Install the Debian 12 packages netstack_exporter needs.
#   scripts/deps.sh         build and run the daemon
#   scripts/deps.sh --test  also everything the test suite uses (with the
#                           Debian packaging tools the package suite uses)
#   scripts/deps.sh --bench also the peer the benchmarks compare with
set -eu
BUILD="meson ninja-build gcc pkg-config libmicrohttpd-dev libmnl-dev libsystemd-dev zlib1g-dev libyaml-dev libnetfilter-conntrack-dev libnftnl-dev libgnutls28-dev libcap-dev libcrypt-dev"
TEST="libcmocka-dev clang-format clang libclang-rt-14-dev prometheus python3-prometheus-client python3-yaml curl iproute2 nftables conntrack ethtool valgrind procps libcap2-bin apache2-utils openssl systemd help2man debhelper devscripts lintian dpkg-dev fakeroot man-db jsonnet"
BENCH="prometheus-node-exporter"
pkgs=$BUILD
[ "${1:-}" = "--test" ] && pkgs="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && pkgs="$BUILD $TEST $BENCH"
missing=""
# npm for the dashboard schema test: Debian's nodejs and npm, unless a node
# with its own npm is already installed (NodeSource's nodejs conflicts with
# Debian's npm package).
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
fi
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "installing:$missing" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi
# The dashboard schema test: @grafana/schema and typescript at the versions
# pinned by tests/dashboards/package-lock.json (npm registry).
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
	cd "$(dirname "$0")/../tests/dashboards" && npm ci --no-audit --no-fund --loglevel=error >&2
fi
