#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tsan.sh <source-dir>
#
# Builds the project a second time, in a temporary directory, with
# ThreadSanitizer, and runs the http and integration suites of that build
# (the http suite includes concurrent-scrapes: four clients scraping the live
# collectors at once while the main thread refreshes systemd STATUS=). Any
# data race makes the daemon exit 66 (halt_on_error), which fails the test
# that started it. Exits with meson test's status; 77 if the toolchain
# cannot build a ThreadSanitizer binary. Registered in the 'sanitize' suite;
# runs only http and integration (no recursion), removes its build dir.
set -u

SRC=${1:-}
if [ -z "$SRC" ] || [ ! -f "$SRC/meson.build" ]; then
	echo "usage: $0 <source-dir>   (the directory holding the top meson.build)" >&2
	exit 2
fi
SRC=$(cd "$SRC" && pwd)
SUITES=(http integration)

BUILD=$(mktemp -d /tmp/nsx-tsan-$$-XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$BUILD"; }
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"

echo "== configure (thread) in $BUILD"
if ! meson setup "$BUILD" "$SRC" -Db_sanitize=thread -Db_lundef=false -Dwerror=true \
	-Dbuildtype=debugoptimized >"$BUILD.setup.log" 2>&1; then
	tail -n 30 "$BUILD.setup.log"
	rm -f "$BUILD.setup.log"
	echo "FAIL: meson setup failed"
	exit 1
fi
rm -f "$BUILD.setup.log"

echo "== build"
if ! ninja -C "$BUILD" netstack_exporter >"$BUILD/ninja.log" 2>&1; then
	if grep -q 'cannot find .*libtsan' "$BUILD/ninja.log"; then
		grep 'cannot find' "$BUILD/ninja.log" | head -n 3
		echo "SKIP: the ThreadSanitizer runtime library is not installed"
		exit 77
	fi
	grep -E 'error|Error' "$BUILD/ninja.log" | head -n 40
	echo "FAIL: ThreadSanitizer build failed"
	exit 1
fi
if ! nm -D "$BUILD/netstack_exporter" 2>/dev/null | grep -q '__tsan_init'; then
	echo "FAIL: $BUILD/netstack_exporter is not instrumented with ThreadSanitizer"
	exit 1
fi
echo "build OK (ThreadSanitizer instrumented)"

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
# TSan slows the daemon several times: stretch meson's timeouts.
meson test -C "$BUILD" "${args[@]}" --print-errorlogs --num-processes 1 --timeout-multiplier 4
rc=$?
echo "ThreadSanitizer test run (${args[*]}) exit status: $rc"
exit $rc
