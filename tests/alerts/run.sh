#!/bin/sh
# Alerting and recording rules: promtool check rules / check config, every
# promtool unit test file, and the static checks of check_rules.py.
# One line per step, then "N passed, N failed". Exit 0 if all passed,
# 1 if any failed, 77 (meson's skip) without promtool.
#
# Usage: tests/alerts/run.sh [REPO_ROOT]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${1:-$here/../..}" && pwd)
promtool=${PROMTOOL:-promtool}
python=${PYTHON:-/usr/bin/python3}

if ! command -v "$promtool" >/dev/null 2>&1; then
	echo "SKIP: promtool not found (Debian: apt-get install prometheus)"
	exit 77
fi

pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { # name, command...
	name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$log"
		fail=$((fail + 1))
	fi
}

cd "$root" || exit 1
step "promtool check rules config/prometheus/netstack-rules.yml" \
	"$promtool" check rules config/prometheus/netstack-rules.yml
step "promtool check rules config/prometheus/netstack-tuning.yml" \
	"$promtool" check rules config/prometheus/netstack-tuning.yml
step "promtool check rules config/prometheus/netstack-alerts.yml" \
	"$promtool" check rules config/prometheus/netstack-alerts.yml
step "promtool check config config/prometheus/prometheus.yml" \
	"$promtool" check config config/prometheus/prometheus.yml
n=0
for t in tests/alerts/*_test.yml; do
	[ -e "$t" ] || continue
	n=$((n + 1))
	step "promtool test rules $t" "$promtool" test rules "$t"
done
if [ "$n" -eq 0 ]; then
	echo "FAIL no tests/alerts/*_test.yml"
	fail=$((fail + 1))
fi
step "tests/alerts/check_rules.py" "$python" tests/alerts/check_rules.py "$root"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
