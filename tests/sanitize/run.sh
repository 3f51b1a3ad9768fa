#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [--thread] <source-dir>
#
# Builds the project a second time, in a temporary directory, with sanitizers
# and runs some suites of that build:
#
#   (default)  AddressSanitizer + UndefinedBehaviorSanitizer (and
#              LeakSanitizer through ASan); the unit, golden, http, web,
#              systemd, integration and hostile suites.
#   --thread   ThreadSanitizer; the http and integration suites (http
#              includes concurrent-scrapes: four clients scraping the live
#              collectors at once while the main thread refreshes systemd
#              STATUS=). Any data race makes the daemon exit 66
#              (halt_on_error), which fails the test that started it.
#
# Exits with meson test's status (0 all passed, non-zero otherwise; 77 if the
# toolchain cannot build sanitized binaries at all).
#
# This script is itself registered in the 'sanitize' suite (as 'sanitize' and,
# with --thread, 'tsan'), so it runs only the suites named above, never
# 'sanitize' (no recursion), and removes its build directory on every exit.
set -u

MODE=address
if [ "${1:-}" = "--thread" ]; then
	MODE=thread
	shift
fi
SRC=${1:-}
if [ -z "$SRC" ] || [ ! -f "$SRC/meson.build" ]; then
	echo "usage: $0 [--thread] <source-dir>   (the directory holding the top meson.build)" >&2
	exit 2
fi
SRC=$(cd "$SRC" && pwd)

if [ "$MODE" = thread ]; then
	SUITES=(http integration)
	NAME="ThreadSanitizer"
	SANITIZE=thread
	BUILDTYPE=debugoptimized
	TARGETS=(netstack_exporter)
	RUNTIME_RE='libtsan'
	SYMBOLS=(__tsan_init)
	# TSan slows the daemon several times: stretch meson's timeouts.
	TEST_ARGS=(--num-processes 1 --timeout-multiplier 4)
	export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
else
	SUITES=(unit golden http web systemd integration hostile)
	NAME="ASan + UBSan"
	SANITIZE=address,undefined
	BUILDTYPE=debug
	TARGETS=()
	RUNTIME_RE='lib\(asan\|ubsan\)'
	SYMBOLS=(__asan_init __ubsan_)
	TEST_ARGS=(--num-processes "$(nproc)")
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

BUILD=$(mktemp -d "/tmp/nsx-sanitize-$MODE-$$-XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$BUILD"; }
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

echo "== configure ($SANITIZE) in $BUILD"
if ! meson setup "$BUILD" "$SRC" -Db_sanitize="$SANITIZE" -Db_lundef=false -Dwerror=true \
	-Dbuildtype="$BUILDTYPE" >"$BUILD.setup.log" 2>&1; then
	tail -n 30 "$BUILD.setup.log"
	rm -f "$BUILD.setup.log"
	echo "FAIL: meson setup failed"
	exit 1
fi
rm -f "$BUILD.setup.log"

echo "== build"
if ! ninja -C "$BUILD" "${TARGETS[@]}" >"$BUILD/ninja.log" 2>&1; then
	if grep -q "cannot find .*$RUNTIME_RE" "$BUILD/ninja.log"; then
		grep 'cannot find' "$BUILD/ninja.log" | head -n 3
		echo "SKIP: the $NAME runtime libraries are not installed"
		exit 77
	fi
	grep -E 'error|Error' "$BUILD/ninja.log" | head -n 40
	echo "FAIL: $NAME build failed"
	exit 1
fi
# Make sure the sanitizers really are in: a plain build would pass silently.
for sym in "${SYMBOLS[@]}"; do
	if ! nm -D "$BUILD/netstack_exporter" 2>/dev/null | grep -q "$sym"; then
		echo "FAIL: $BUILD/netstack_exporter is not instrumented with $NAME (no $sym)"
		exit 1
	fi
done
echo "build OK ($NAME instrumented)"

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
meson test -C "$BUILD" "${args[@]}" --print-errorlogs "${TEST_ARGS[@]}"
rc=$?
echo "$NAME test run (${args[*]}) exit status: $rc"
exit $rc
