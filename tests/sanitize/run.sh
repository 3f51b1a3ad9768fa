#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh <source-dir>
#
# Builds the project a second time, in a temporary directory, with
# AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer through
# ASan), and runs the unit, golden, http, web, systemd, integration and hostile
# suites of that build. Exits with
# meson test's status (0 all passed, non-zero otherwise; 77 if the toolchain
# cannot build sanitized binaries at all).
#
# This script is itself registered in the 'sanitize' suite, so it runs only
# the suites named below, never 'sanitize' (no recursion), and removes its
# build directory on every exit.
set -u

SRC=${1:-}
if [ -z "$SRC" ] || [ ! -f "$SRC/meson.build" ]; then
	echo "usage: $0 <source-dir>   (the directory holding the top meson.build)" >&2
	exit 2
fi
SRC=$(cd "$SRC" && pwd)
SUITES=(unit golden http web systemd integration hostile)

BUILD=$(mktemp -d /tmp/nsx-sanitize-$$-XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$BUILD"; }
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== configure (address,undefined) in $BUILD"
if ! meson setup "$BUILD" "$SRC" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
	-Dbuildtype=debug >"$BUILD.setup.log" 2>&1; then
	tail -n 30 "$BUILD.setup.log"
	rm -f "$BUILD.setup.log"
	echo "FAIL: meson setup failed"
	exit 1
fi
rm -f "$BUILD.setup.log"

echo "== build"
if ! ninja -C "$BUILD" >"$BUILD/ninja.log" 2>&1; then
	if grep -q 'cannot find .*lib\(asan\|ubsan\)' "$BUILD/ninja.log"; then
		grep 'cannot find' "$BUILD/ninja.log" | head -n 3
		echo "SKIP: sanitizer runtime libraries are not installed"
		exit 77
	fi
	grep -E 'error|Error' "$BUILD/ninja.log" | head -n 40
	echo "FAIL: sanitized build failed"
	exit 1
fi
# Make sure the sanitizers really are in: a plain build would pass silently.
if ! nm -D "$BUILD/netstack_exporter" 2>/dev/null | grep -q '__asan_init' ||
	! nm -D "$BUILD/netstack_exporter" 2>/dev/null | grep -q '__ubsan_'; then
	echo "FAIL: $BUILD/netstack_exporter is not instrumented with ASan and UBSan"
	exit 1
fi
echo "build OK (ASan + UBSan instrumented)"

# Only the suites that exist in this build: meson test exits non-zero for a
# --suite that matches no test at all.
args=()
for s in "${SUITES[@]}"; do
	if meson introspect --tests "$BUILD" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; s=sys.argv[1]; sys.exit(0 if any(s in t["suite"] or any(x.endswith(":"+s) for x in t["suite"]) for t in json.load(sys.stdin)) else 1)' "$s"; then
		args+=(--suite "$s")
	else
		echo "note: suite '$s' has no tests, skipped"
	fi
done
if [ ${#args[@]} -eq 0 ]; then
	echo "SKIP: none of the suites ${SUITES[*]} has tests"
	exit 77
fi

echo "== meson test ${args[*]}"
meson test -C "$BUILD" "${args[@]}" --print-errorlogs --num-processes "$(nproc)"
rc=$?
echo "sanitized test run (${args[*]}) exit status: $rc"
exit $rc
