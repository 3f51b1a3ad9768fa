#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh <source-dir> [seconds [extra-corpus-dir]]
#
# Builds the libFuzzer targets in tests/fuzz with clang, ASan and UBSan in
# a temporary directory (the whole core instrumented for coverage) and runs
# them: fuzz_collectors, seeded from the test fixtures (plus, as root,
# rtnetlink dumps of a small namespace this script creates: veth, htb with
# classes, a u32 filter, mq), then fuzz_config, seeded from config/, then
# fuzz_http_request (the request gate's header check). Without SECONDS (and
# without $FUZZ_SECONDS) the run is deterministic, as a test must be: a
# fixed seed and a fixed number of inputs (40,000, 15,000 and 30,000, about a
# minute and a half in all). With SECONDS, a random seed for SECONDS and a
# third of that. Fails on any crash,
# sanitizer report, leak or timeout; the input that did it is kept in
# build/meson-logs/fuzz-{crash,leak,timeout,...}-* (or ./ outside meson)
# and shown in hex.
# Inputs in extra-corpus-dir (say, a kept crash input) join the
# fuzz_collectors corpus.
#
# Exit: 0 nothing found, 1 found something or could not build, 77 skip
# (no clang or no libFuzzer runtime).
set -u

SRC=${1:-}
if [ -z "$SRC" ] || [ ! -f "$SRC/meson.build" ]; then
	echo "usage: $0 <source-dir> [seconds]" >&2
	exit 2
fi
SRC=$(cd "$SRC" && pwd)
SECS=${2:-${FUZZ_SECONDS:-}}
EXTRA=${3:-}
KEEP=${MESON_BUILD_ROOT:-$PWD}/meson-logs
[ -d "$KEEP" ] || KEEP=$PWD

command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
BUILD=$(mktemp -d /tmp/nsx-fuzz-$$-XXXXXX)
NS=nsfuzz-$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$BUILD"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$BUILD/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$BUILD/probe.c" -o "$BUILD/probe" 2>/dev/null; then
	echo "SKIP: clang cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"
	exit 77
fi

echo "== configure (clang, libFuzzer, address,undefined) in $BUILD"
if ! CC=clang meson setup "$BUILD/b" "$SRC" -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false -Dwerror=true >"$BUILD/setup.log" 2>&1; then
	tail -n 30 "$BUILD/setup.log"
	echo "FAIL: meson setup failed"
	exit 1
fi
if ! ninja -C "$BUILD/b" tests/fuzz_collectors tests/fuzz_config tests/fuzz_http_request >"$BUILD/ninja.log" 2>&1; then
	grep -E 'error|Error' "$BUILD/ninja.log" | head -n 40
	echo "FAIL: fuzz build failed"
	exit 1
fi

echo "== seeds"
mkdir -p "$BUILD/corpus"
/usr/bin/python3 "$SRC/tests/fuzz/seeds.py" "$SRC/tests/fixtures" "$BUILD/corpus" || exit 1
if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null; then
	ip -n "$NS" link set lo up
	ip -n "$NS" link add fz0 numtxqueues 2 type veth peer name fz1
	ip -n "$NS" link set fz0 up
	ip -n "$NS" link set fz1 up
	ip netns exec "$NS" tc qdisc add dev fz0 root handle 1: htb default 20
	ip netns exec "$NS" tc class add dev fz0 parent 1: classid 1:1 htb rate 100mbit 2>/dev/null
	ip netns exec "$NS" tc class add dev fz0 parent 1:1 classid 1:20 htb rate 10mbit 2>/dev/null
	ip netns exec "$NS" tc qdisc add dev fz0 parent 1:20 handle 20: pfifo limit 10
	ip netns exec "$NS" tc filter add dev fz0 parent 1: protocol ip prio 1 u32 \
		match ip dst 10.0.0.1/32 flowid 1:20 2>/dev/null
	ip netns exec "$NS" tc qdisc add dev fz1 root handle 1: mq
	ip netns exec "$NS" /usr/bin/python3 "$SRC/tests/fuzz/seeds.py" "$SRC/tests/fixtures" \
		"$BUILD/corpus" --live || exit 1
	ip netns del "$NS"
else
	echo "note: no rtnetlink seeds (needs root and network namespaces); netdev and qdisc start from nothing"
fi

if [ -n "$EXTRA" ]; then
	cp "$EXTRA"/* "$BUILD/corpus/" || exit 1
	echo "$(find "$EXTRA" -type f | wc -l) inputs added from $EXTRA"
fi

# fuzz TARGET CORPUS LIMIT...: run one target with the libFuzzer limits
# given (-runs=N -seed=1, or -max_total_time=S); on a finding, keep the
# input and fail the script.
fuzz() {
	local rc f t=$1 c=$2
	shift 2
	echo "== $t ($*)"
	mkdir -p "$BUILD/artifacts-$t"
	(cd "$BUILD" && "$BUILD/b/tests/$t" "$c" "$@" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$BUILD/artifacts-$t/" -print_final_stats=1 \
		>"$BUILD/$t.log" 2>&1)
	rc=$?
	grep -E '^(Done|stat::peak_rss_mb)|DONE' "$BUILD/$t.log" | tail -n 3
	[ "$rc" = 0 ] && return 0
	grep -v '^#' "$BUILD/$t.log" | tail -n 60
	for f in "$BUILD/artifacts-$t"/*; do
		[ -f "$f" ] || continue
		cp "$f" "$KEEP/$t-$(basename "$f")"
		echo "input kept as $KEEP/$t-$(basename "$f"):"
		od -A d -t x1 "$f" | head -n 20
	done
	echo "FAIL: $t found a crash, a sanitizer report or a leak (exit $rc)"
	exit 1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ -n "$SECS" ]; then
	fuzz fuzz_collectors "$BUILD/corpus" -max_total_time="$SECS"
else
	fuzz fuzz_collectors "$BUILD/corpus" -seed=1 -runs=40000
fi

mkdir -p "$BUILD/corpus-config"
printf '\000' | cat - "$SRC/config/netstack_exporter.yml" >"$BUILD/corpus-config/daemon"
# bcrypt cost 04 in the seed: fuzz_config skips costly hashes (see there)
printf '\001' | cat - "$SRC/config/web-config.example.yml" |
	sed 's/\$2\([aby]\)\$[0-9][0-9]\$/$2\1$04$/' >"$BUILD/corpus-config/web"
if [ -n "$SECS" ]; then
	fuzz fuzz_config "$BUILD/corpus-config" -max_total_time=$((SECS / 3 > 0 ? SECS / 3 : 1))
else
	fuzz fuzz_config "$BUILD/corpus-config" -seed=1 -runs=15000
fi
mkdir -p "$BUILD/corpus-http"
printf 'GET /metrics?collect[]=snmp HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n' >"$BUILD/corpus-http/get"
printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' \
	>"$BUILD/corpus-http/post"
printf 'HEAD /%%00 HTTP/1.0\r\nX: a\r\n b\r\n\r\n' >"$BUILD/corpus-http/head"
if [ -n "$SECS" ]; then
	fuzz fuzz_http_request "$BUILD/corpus-http" -max_total_time=$((SECS / 3 > 0 ? SECS / 3 : 1))
else
	fuzz fuzz_http_request "$BUILD/corpus-http" -seed=1 -runs=30000
fi
echo "ok: no crash, sanitizer report or leak"
