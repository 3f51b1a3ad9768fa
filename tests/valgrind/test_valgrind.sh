#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test_valgrind.sh <netstack_exporter> <fixtures-dir>
#
# 1. Runs the daemon under valgrind (memcheck, full leak check) on a loopback
#    port with the live /proc and /sys and all default collectors, does 200
#    scrapes with curl (text, OpenMetrics, gzip, collect[]/exclude[]
#    selections, plus a few error paths: bad selection -> 400, unknown path
#    -> 404), sends SIGTERM and fails on any valgrind error or leak
#    (definite, indirect or possible).
# 2. Runs "--once" under valgrind over every procfs fixture in
#    <fixtures-dir>/proc (good and deliberately broken ones) to cover the
#    parsers' error paths; the daemon may exit 0 or 1 there, but valgrind
#    must report nothing.
# 3. Without valgrind: 20 scrapes, VmRSS, 500 more scrapes, VmRSS. Printed
#    for information only (never fails).
# 4. Allocations per warm scrape, from memcheck's heap totals of two runs
#    (20 and 120 scrapes): at most ALLOC_MAX (libmicrohttpd's response).
#
# Exit: 0 pass, 1 fail, 77 skip (valgrind or curl missing).
set -u

DAEMON=${1:-}
FIXTURES=${2:-}
if [ -z "$DAEMON" ] || [ -z "$FIXTURES" ]; then
	echo "usage: $0 <netstack_exporter> <fixtures-dir>" >&2
	exit 2
fi
for tool in valgrind curl gzip /usr/bin/python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done

START=$SECONDS
BUDGET=280 # seconds; the whole script must stay under 5 minutes
PASS=0
FAIL=0
TMP=$(mktemp -d /tmp/nsx-valgrind-$$-XXXXXX)
DPID=

pass() { PASS=$((PASS + 1)); echo "PASS: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "FAIL: interrupted"; exit 1' INT TERM

over_budget() { [ $((SECONDS - START)) -ge $BUDGET ]; }

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# shellcheck disable=SC2054 # the commas are part of valgrind option values
VG=(valgrind --tool=memcheck --leak-check=full
	--show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible
	--error-exitcode=99 --track-fds=no --num-callers=30)
if [ -f "$(dirname "$0")/valgrind.supp" ]; then
	VG+=(--suppressions="$(dirname "$0")/valgrind.supp")
fi

# wait_ready URL SECONDS: poll /-/healthy until it answers 200
wait_ready() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			return 1
		fi
		if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/-/healthy")" = 200 ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_exit SECONDS: wait for $DPID to exit, sets RC (124 on timeout)
wait_exit() {
	local i
	RC=124
	for ((i = 0; i < $1 * 10; i++)); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			wait "$DPID"
			RC=$?
			DPID=
			return
		fi
		sleep 0.1
	done
}

# One scrape, kind chosen by $1 (0..9). Echoes "ok" or a reason.
scrape_one() {
	local base=$1 kind=$2 out=$TMP/body hdr=$TMP/hdr code
	case $kind in
	0 | 1 | 2) # plain text, all collectors
		code=$(curl -s --max-time 30 -D "$hdr" -o "$out" -w '%{http_code}' "$base/metrics")
		[ "$code" = 200 ] || { echo "text: HTTP $code"; return; }
		grep -q '^netstack_scrape_collector_success{collector="snmp"} 1$' "$out" ||
			{ echo "text: no snmp success line"; return; }
		;;
	3 | 4) # OpenMetrics
		code=$(curl -s --max-time 30 -o "$out" -w '%{http_code}' \
			-H 'Accept: application/openmetrics-text; version=1.0.0' "$base/metrics")
		[ "$code" = 200 ] || { echo "openmetrics: HTTP $code"; return; }
		[ "$(tail -n 1 "$out")" = "# EOF" ] || { echo "openmetrics: no # EOF"; return; }
		;;
	5 | 6) # gzip, text or OpenMetrics
		local acc='text/plain'
		[ "$kind" = 6 ] && acc='application/openmetrics-text'
		code=$(curl -s --max-time 30 -D "$hdr" -o "$out.gz" -w '%{http_code}' \
			-H "Accept: $acc" -H 'Accept-Encoding: gzip' "$base/metrics")
		[ "$code" = 200 ] || { echo "gzip: HTTP $code"; return; }
		grep -qi '^content-encoding: gzip' "$hdr" || { echo "gzip: no Content-Encoding"; return; }
		gzip -dc "$out.gz" >"$out" 2>/dev/null || { echo "gzip: body does not decompress"; return; }
		grep -q '^netstack_scrape_collector_success{collector="netdev"} 1$' "$out" ||
			{ echo "gzip: no netdev success line"; return; }
		;;
	7) # collect[] selection: only snmp and sysctl
		code=$(curl -s --max-time 30 -o "$out" -w '%{http_code}' \
			"$base/metrics?collect%5B%5D=snmp&collect%5B%5D=sysctl")
		[ "$code" = 200 ] || { echo "collect[]: HTTP $code"; return; }
		grep -q '^netstack_snmp_tcp_curr_estab ' "$out" || { echo "collect[]: no snmp"; return; }
		if grep -q '^netstack_netdev_' "$out"; then
			echo "collect[]: netdev present although not selected"
			return
		fi
		;;
	8) # exclude[] + gzip
		code=$(curl -s --max-time 30 -o "$out.gz" -w '%{http_code}' -H 'Accept-Encoding: gzip' \
			"$base/metrics?exclude%5B%5D=sysctl")
		[ "$code" = 200 ] || { echo "exclude[]: HTTP $code"; return; }
		gzip -dc "$out.gz" >"$out" 2>/dev/null || { echo "exclude[]: bad gzip"; return; }
		if grep -q '^netstack_sysctl_' "$out"; then
			echo "exclude[]: sysctl present although excluded"
			return
		fi
		;;
	9) # error paths: unknown collector -> 400, unknown path -> 404
		code=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
			"$base/metrics?collect%5B%5D=no_such_collector")
		[ "$code" = 400 ] || { echo "bad collect[]: HTTP $code, want 400"; return; }
		code=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$base/no/such/path")
		[ "$code" = 404 ] || { echo "unknown path: HTTP $code, want 404"; return; }
		;;
	esac
	echo ok
}

# scrape_loop BASE COUNT: returns number of bad scrapes in BAD, first reason in WHY
scrape_loop() {
	local i r
	BAD=0
	WHY=
	for ((i = 0; i < $2; i++)); do
		if over_budget; then
			BAD=$((BAD + 1))
			WHY="time budget exhausted after $i scrapes"
			return
		fi
		r=$(scrape_one "$1" $((i % 10)))
		if [ "$r" != ok ]; then
			BAD=$((BAD + 1))
			[ -z "$WHY" ] && WHY="scrape $i: $r"
		fi
	done
}

# check_valgrind_log LOG: prints the summary lines; returns 1 on any error or lost byte
check_valgrind_log() {
	local log=$1 bad=0 line n
	grep -E 'in use at exit|All heap blocks|ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable' "$log" |
		sed 's/^==[0-9]*== */    /'
	for kind in 'definitely lost' 'indirectly lost' 'possibly lost'; do
		line=$(grep -E "$kind: " "$log" | tail -n 1)
		[ -z "$line" ] && continue
		n=$(echo "$line" | sed -E "s/.*$kind: ([0-9,]+) bytes.*/\1/" | tr -d ,)
		if [ "$n" != 0 ]; then
			bad=1
		fi
	done
	line=$(grep -E 'ERROR SUMMARY: ' "$log" | tail -n 1)
	n=$(echo "$line" | sed -E 's/.*ERROR SUMMARY: ([0-9,]+) errors.*/\1/' | tr -d ,)
	if [ -z "$line" ] || [ "$n" != 0 ]; then
		bad=1
	fi
	return $bad
}

# ---------------------------------------------------------------- 1. daemon
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
VGLOG=$TMP/valgrind-daemon.log
"${VG[@]}" --log-file="$VGLOG" "$DAEMON" --web.listen-address=127.0.0.1:"$PORT" \
	--log.level=warn >"$TMP/daemon.out" 2>&1 &
DPID=$!
if wait_ready "$BASE" 60; then
	pass "daemon under valgrind answers /-/healthy on 127.0.0.1:$PORT"
	scrape_loop "$BASE" 200
	if [ "$BAD" = 0 ]; then
		pass "200 scrapes under valgrind (text, OpenMetrics, gzip, collect[], exclude[], 400/404)"
	else
		fail "$BAD of 200 scrapes under valgrind were wrong; first: $WHY"
	fi
	kill -TERM "$DPID"
	wait_exit 90
	if [ "$RC" = 0 ]; then
		pass "daemon under valgrind exits 0 after SIGTERM"
	elif [ "$RC" = 99 ]; then
		fail "valgrind reported errors/leaks (exit 99)"
	else
		fail "daemon under valgrind exit status $RC after SIGTERM"
	fi
else
	fail "daemon under valgrind did not become ready within 60s"
	kill -TERM "$DPID" 2>/dev/null
	wait_exit 30
fi
if check_valgrind_log "$VGLOG"; then
	pass "valgrind (daemon): no errors, nothing lost"
else
	fail "valgrind (daemon): errors or leaks"
	sed 's/^/    /' "$VGLOG" | grep -v '^    ==[0-9]*== *$' | head -n 150
	sed 's/^/    daemon: /' "$TMP/daemon.out" | tail -n 20
fi

# ------------------------------------------------------ 2. --once on fixtures
nfix=0
fixbad=
for dir in "$FIXTURES"/proc/*/; do
	[ -d "$dir" ] || continue
	over_budget && { fail "time budget exhausted before fixture $dir"; break; }
	name=$(basename "$dir")
	log=$TMP/valgrind-once-$name.log
	# netdev reads netlink, not procfs: the live namespace would make no
	# difference to the parsers under test, so leave it out.
	timeout 60 "${VG[@]}" --log-file="$log" "$DAEMON" --once --path.procfs="${dir%/}" \
		--path.sysfs="${dir%/}" --no-collector.netdev --log.level=error \
		>"$TMP/once.out" 2>"$TMP/once.err"
	rc=$?
	nfix=$((nfix + 1))
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		fixbad="$fixbad $name(rc=$rc)"
		echo "    --once on $name: exit $rc"
		check_valgrind_log "$log" >/dev/null || grep -v '^==[0-9]*== *$' "$log" | head -n 80 | sed 's/^/    /'
	elif ! check_valgrind_log "$log" >/dev/null; then
		fixbad="$fixbad $name"
		grep -v '^==[0-9]*== *$' "$log" | head -n 80 | sed 's/^/    /'
	fi
done
if [ "$nfix" = 0 ]; then
	fail "no procfs fixtures found under $FIXTURES/proc"
elif [ -z "$fixbad" ]; then
	pass "--once under valgrind on $nfix procfs fixtures: no errors, nothing lost"
else
	fail "--once under valgrind failed on:$fixbad"
fi

# --------------------------------------------------- 3. RSS without valgrind
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
"$DAEMON" --web.listen-address=127.0.0.1:"$PORT" --log.level=warn >"$TMP/daemon-rss.out" 2>&1 &
DPID=$!
if wait_ready "$BASE" 20; then
	scrape_loop "$BASE" 20
	rss20=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$DPID/status")
	bad20=$BAD
	scrape_loop "$BASE" 500
	rss520=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$DPID/status")
	echo "INFO: VmRSS after 20 scrapes: $rss20; after 520 scrapes: $rss520"
	if [ "$((bad20 + BAD))" = 0 ]; then
		pass "520 scrapes without valgrind all correct"
	else
		fail "$((bad20 + BAD)) of 520 scrapes without valgrind were wrong; first: $WHY"
	fi
	kill -TERM "$DPID"
	wait_exit 20
	if [ "$RC" = 0 ]; then
		pass "daemon exits 0 after SIGTERM"
	else
		fail "daemon exit status $RC after SIGTERM"
	fi
else
	fail "daemon without valgrind did not become ready within 20s"
	sed 's/^/    daemon: /' "$TMP/daemon-rss.out" | tail -n 20
fi

# ------------------------------------------ 4. allocations per warm scrape
# Design rule: no allocation churn per scrape once warm. memcheck counts
# every allocation; two runs that differ only by 100 warm scrapes (all
# collectors, text, one keep-alive connection) give the allocations of one
# scrape. What remains is libmicrohttpd's: a response object and a copy of
# each response header, about 22 blocks; our own code allocates nothing. A
# bound of ALLOC_MAX (not 0, not the exact figure: libmicrohttpd's count is
# its business) still catches any allocation per sample or per series.
ALLOC_MAX=40
# heap_allocs SCRAPES: prints memcheck's total allocation count for a daemon
# that served SCRAPES text scrapes over one connection, or nothing.
heap_allocs() {
	local port log args=() i
	port=$(free_port)
	log=$TMP/valgrind-allocs-$1.log
	valgrind --tool=memcheck --leak-check=no --log-file="$log" "$DAEMON" \
		--web.listen-address=127.0.0.1:"$port" --log.level=warn >/dev/null 2>&1 &
	DPID=$!
	wait_ready "http://127.0.0.1:$port" 60 || return
	for ((i = 0; i < $1; i++)); do
		args+=(-o /dev/null "http://127.0.0.1:$port/metrics")
	done
	curl -s --max-time 120 "${args[@]}"
	kill -TERM "$DPID"
	wait_exit 60
	sed -nE 's/.*total heap usage: ([0-9,]+) allocs.*/\1/p' "$log" | tr -d , | tail -n 1
}
if over_budget; then
	fail "time budget exhausted before the allocation count"
else
	a20=$(heap_allocs 20)
	a120=$(heap_allocs 120)
	if [ -z "$a20" ] || [ -z "$a120" ]; then
		fail "allocation count: a daemon under memcheck did not report (got '$a20', '$a120')"
	else
		per=$(((a120 - a20) / 100))
		echo "INFO: heap allocations: $a20 after 20 scrapes, $a120 after 120: $per per warm scrape"
		if [ "$per" -le "$ALLOC_MAX" ]; then
			pass "allocations per warm scrape: $per (at most $ALLOC_MAX, all libmicrohttpd's)"
		else
			fail "allocations per warm scrape: $per, more than $ALLOC_MAX"
		fi
	fi
fi

echo "INFO: elapsed $((SECONDS - START))s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
