#!/usr/bin/env bash
# idle_sessions.sh: sluiced's memory with 10,000 idle SMTP sessions open,
# and how fast a new session still gets its EHLO answered meanwhile.
#
# DESIGN: bench/idle_sessions.py opens SESSIONS connections on loopback
# (each past EHLO, then idle), then times PROBES new sessions from
# connect to the 250 EHLO reply while the others stay open. sluiced runs
# with a fresh state directory, a connection cap above SESSIONS, an idle
# timeout longer than the run, and its own file limit raised (it raises
# the soft limit to the hard one at start; the script raises the hard
# one). Resident memory is VmRSS of sluiced with every session open,
# less nothing: the whole process. Targets: under 200 MB resident, p99
# of the new-session time under 100 ms. RUNS runs, medians.
#
# Usage: bench/idle_sessions.sh
# Environment: SESSIONS (10000), PROBES (200), RUNS (3), KEEP=1.
# Writes bench/results/idle_sessions.txt (and prints the same).
set -euo pipefail

SESSIONS=${SESSIONS:-10000}
PROBES=${PROBES:-200}
RUNS=${RUNS:-3}
TARGET_RSS_MB=200
TARGET_P99_MS=100
PYTHON=/usr/bin/python3

cd "$(dirname "$0")/.."
. bench/common.sh
results=bench/results/idle_sessions.txt
for program in gateway/sluiced cli/sluice; do
	[ -x "$program" ] || {
		echo "missing $program: build first" >&2
		exit 2
	}
done

# Enough descriptors for the sessions on both sides of loopback.
ulimit -Hn $((SESSIONS * 2 + 1024)) 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"

# One run; sets run_rss_mb, run_p50, run_p99, run_open.
one_run() {
	local dir port pid fifo load_pid json
	dir=$(mktemp -d /tmp/sluice-idle.XXXXXX)
	dirs+=("$dir")
	port=$(free_port)
	{
		echo "hostname = bench.sluice.test"
		echo "state_dir = $dir/state"
		echo "pid_file = $dir/sluiced.pid"
		echo "log_level = warn"
		echo "smtp.listen = 127.0.0.1:$port"
		echo "smtp.max_connections = $((SESSIONS + PROBES + 100))"
		# The load comes from loopback: one client, many connections.
		echo "smtp.limits_exempt = 127.0.0.0/8"
		echo "smtp.timeout = 1h"
		if [ "$(id -u)" -eq 0 ]; then
			echo "user = sluice"
		fi
	} >"$dir/sluice.conf"
	mkdir "$dir/state"
	ensure_sluice_user
	[ "$(id -u)" -ne 0 ] || chown -R sluice: "$dir"
	gateway/sluiced -c "$dir/sluice.conf" -f 2>"$dir/sluiced.log" &
	pid=$!
	children+=("$pid")
	wait_port "$port"
	fifo=$dir/hold
	mkfifo "$fifo"
	"$PYTHON" bench/idle_sessions.py --port "$port" --count "$SESSIONS" \
	    --probes "$PROBES" <"$fifo" >"$dir/load.json" &
	load_pid=$!
	exec 4>"$fifo"
	until [ -s "$dir/load.json" ]; do
		kill -0 "$load_pid" 2>/dev/null || {
			echo "load script exited early" >&2
			return 1
		}
		sleep 0.5
	done
	run_rss_mb=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' \
	    "/proc/$pid/status")
	echo >&4
	exec 4>&-
	wait "$load_pid"
	json=$(cat "$dir/load.json")
	read -r run_open run_failed run_p50 run_p99 < <("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1]); p = sorted(r["probe_ms"])
q = lambda f: p[min(len(p) - 1, int(f * len(p)))] if p else float("nan")
print(r["open"], r["failed"], "%.2f" % q(0.5), "%.2f" % q(0.99))' "$json")
	kill -TERM "$pid"
	wait "$pid" || true
}

report=$(mktemp)
{
	bench_header idle_sessions
	echo "load: $SESSIONS idle sessions past EHLO on loopback, then" \
	    "$PROBES new sessions timed connect -> 250 EHLO, $RUNS runs"
} | tee "$report"
rss=()
p99=()
p50=()
for run in $(seq "$RUNS"); do
	one_run
	rss+=("$run_rss_mb")
	p99+=("$run_p99")
	p50+=("$run_p50")
	echo "  run $run: $run_open open ($run_failed failed), sluiced" \
	    "resident ${run_rss_mb} MB, new session p50 ${run_p50} ms," \
	    "p99 ${run_p99} ms" | tee -a "$report"
done
rss_median=$(median "${rss[@]}")
p99_median=$(median "${p99[@]}")
{
	echo "median resident: $rss_median MB (target < $TARGET_RSS_MB MB):" \
	    "$(awk -v a="$rss_median" -v t="$TARGET_RSS_MB" \
	    'BEGIN { print (a < t ? "met" : "NOT met") }')"
	echo "median p99 new session: $p99_median ms (target <" \
	    "$TARGET_P99_MS ms): $(awk -v a="$p99_median" \
	    -v t="$TARGET_P99_MS" 'BEGIN { print (a < t ? "met" : "NOT met") }')"
} | tee -a "$report"
cp "$report" "$results"
rm -f "$report"
echo "written to $results"
