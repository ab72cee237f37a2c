#!/usr/bin/env bash
# relay_throughput.sh: end-to-end relay rate, smtp-source -> sluiced ->
# smtp-sink, against smtp-source -> smtp-sink directly, in one run.
#
# DESIGN: sluiced accepts mail for relay.test (recipients not verified,
# so the downstream is the only peer) and relays it to an smtp-sink on
# loopback; every 250 comes after the spool fsync, and the message leaves
# the queue only after smtp-sink's 250. The rate is messages divided by
# the time from the first connection of smtp-source until smtp-sink has
# counted every message (its "mesg=" counter), so queueing and relaying
# are inside the measure. The direct run is smtp-source into smtp-sink
# with the same load. RUNS runs each, alternating, medians. Target: the
# relay path at least 35% of the direct one.
#
# Usage: bench/relay_throughput.sh
# Environment: MESSAGES (20000), SESSIONS (20), SIZE (4096), RUNS (3),
#   DRAIN_TIMEOUT seconds (900), KEEP=1 keeps the run directories.
# Writes bench/results/relay_throughput.txt (and prints the same).
set -euo pipefail

MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-900}
TARGET_PERCENT=35
SENDER=bench@sender.test
RECIPIENT=user@relay.test
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink

cd "$(dirname "$0")/.."
. bench/common.sh
results=bench/results/relay_throughput.txt

for tool in "$SMTP_SOURCE" "$SMTP_SINK" gateway/sluiced; do
	[ -x "$tool" ] || {
		echo "missing $tool: run scripts/install-deps test and build" >&2
		exit 2
	}
done

# Starts smtp-sink on a free port counting into $1; sets sink_port and
# sink_pid.
start_sink() {
	local user_args=()
	sink_port=$(free_port)
	[ "$(id -u)" -ne 0 ] || user_args=(-u nobody)
	"$SMTP_SINK" "${user_args[@]}" -c "127.0.0.1:$sink_port" 1000 \
	    >"$1" 2>&1 &
	sink_pid=$!
	children+=("$sink_pid")
	wait_port "$sink_port"
}

# Messages smtp-sink counted so far (its -c counters, \r-separated).
sink_count() {
	tr '\r' '\n' <"$1" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1
}

# Runs the load against port $1, then waits until the sink counter in
# $2 reaches MESSAGES; sets run_rate.
load_until_counted() {
	local start end errors status=0 counted deadline
	errors=$(mktemp)
	start=$(now)
	"$SMTP_SOURCE" -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" \
	    -f "$SENDER" -t "$RECIPIENT" "127.0.0.1:$1" 2>"$errors" ||
	    status=$?
	if [ "$status" -ne 0 ] || [ -s "$errors" ]; then
		echo "smtp-source exited $status:" >&2
		head -5 "$errors" >&2
		rm -f "$errors"
		return 1
	fi
	rm -f "$errors"
	deadline=$((SECONDS + DRAIN_TIMEOUT))
	counted=$(sink_count "$2")
	while [ "${counted:-0}" -lt "$MESSAGES" ] &&
	    [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
		counted=$(sink_count "$2")
	done
	end=$(now)
	if [ "${counted:-0}" -ne "$MESSAGES" ]; then
		echo "smtp-sink counted ${counted:-0} of $MESSAGES" >&2
		return 1
	fi
	run_rate=$(awk -v n="$MESSAGES" -v a="$start" -v b="$end" \
	    'BEGIN { printf "%.1f", n / (b - a) }')
}

direct_run() {
	local out
	out=$(mktemp)
	start_sink "$out"
	load_until_counted "$sink_port" "$out"
	kill "$sink_pid"
	wait "$sink_pid" 2>/dev/null || true
	rm -f "$out"
}

relay_run() {
	local dir port pid
	dir=$(mktemp -d /tmp/sluice-relay.XXXXXX)
	dirs+=("$dir")
	start_sink "$dir/sink.out"
	port=$(free_port)
	{
		echo "hostname = bench.sluice.test"
		echo "state_dir = $dir/state"
		echo "pid_file = $dir/sluiced.pid"
		echo "log_level = warn"
		echo "smtp.listen = 127.0.0.1:$port"
		echo "smtp.max_connections = $((SESSIONS * 4))"
		# The load comes from loopback: one client, many connections.
		echo "smtp.limits_exempt = 127.0.0.0/8"
		echo "relay.domains = relay.test"
		echo "relay.host = [127.0.0.1]:$sink_port"
		echo "relay.verify = accept"
		echo "relay.tls = none"
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
	if ! load_until_counted "$port" "$dir/sink.out"; then
		tail -5 "$dir/sluiced.log" >&2
		return 1
	fi
	kill -TERM "$pid"
	wait "$pid" || true
	kill "$sink_pid"
	wait "$sink_pid" 2>/dev/null || true
}

report=$(mktemp)
{
	bench_header relay_throughput
	echo "load: smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE" \
	    "-t $RECIPIENT; relay.host smtp-sink; $RUNS runs"
} | tee "$report"
direct=()
relayed=()
for run in $(seq "$RUNS"); do
	direct_run
	direct+=("$run_rate")
	relay_run
	relayed+=("$run_rate")
	echo "  run $run: direct ${direct[-1]} msg/s, through sluiced" \
	    "${relayed[-1]} msg/s" | tee -a "$report"
done
direct_median=$(median "${direct[@]}")
relay_median=$(median "${relayed[@]}")
{
	echo "direct smtp-source -> smtp-sink: median $direct_median msg/s"
	echo "smtp-source -> sluiced -> smtp-sink: median $relay_median msg/s"
	awk -v r="$relay_median" -v d="$direct_median" \
	    -v t="$TARGET_PERCENT" 'BEGIN { p = 100 * r / d
		printf "ratio: %.1f%% of direct (target >= %d%%): %s\n", p, t,
		    (p >= t ? "met" : "NOT met") }'
} | tee -a "$report"
mkdir -p bench/results
cp "$report" "$results"
rm -f "$report"
echo "written to $results"
