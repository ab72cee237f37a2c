#!/usr/bin/env bash
# smtp_throughput.sh: SMTP intake rate of sluiced against Postfix's
# smtp-sink, both driven by Postfix's smtp-source on 127.0.0.1 in one run.
#
# DESIGN: smtp-sink accepts and discards, so it is the ceiling of this
# machine and load generator; sluiced is measured relative to it (target:
# at least 40% of smtp-sink). Each side runs RUNS times and the median
# counts. sluiced gets a fresh state directory per run and keeps its
# defaults, so every 250 comes after an fsync of the spool. Its rate is
# the SMTP rate (smtp-source start to exit); the script then waits for the
# queue to deliver every message and counts the Maildir files, so a fast
# but lossy run fails instead of scoring.
#
# Usage: bench/smtp_throughput.sh [--sink-only]
# Environment: MESSAGES (20000), SESSIONS (20), SIZE (4096), RUNS (3),
#   DRAIN_TIMEOUT seconds (600), KEEP=1 keeps sluiced's run directories.
# Writes bench/results/smtp_throughput.txt (and prints the same).
set -euo pipefail

MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}
TARGET_PERCENT=40
SENDER=bench@sender.test
RECIPIENT=demo@example.test
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink

cd "$(dirname "$0")/.."
. bench/common.sh
top=$(pwd)
results=bench/results/smtp_throughput.txt

sink_only=no
case "${1:-}" in
"") ;;
--sink-only) sink_only=yes ;;
*) echo "usage: bench/smtp_throughput.sh [--sink-only]" >&2; exit 2 ;;
esac

for tool in "$SMTP_SOURCE" "$SMTP_SINK"; do
	[ -x "$tool" ] || {
		echo "missing $tool: run scripts/install-deps test" >&2
		exit 2
	}
done
if [ "$sink_only" = no ]; then
	for program in gateway/sluiced cli/sluice; do
		[ -x "$program" ] || {
			echo "missing $program: build first (autoreconf -fi &&" \
			    "./configure -q && make -j2)" >&2
			exit 2
		}
	done
fi

report=$(mktemp)
cleanup() {
	rm -f "$report"
	# State directories go only at the end: on ext4, inodes freed in
	# the last minutes make new ones slow to allocate, which would tax
	# the runs that follow a deletion, not sluiced.
	bench_cleanup
}
trap cleanup EXIT




# rate MESSAGES START END: messages per second, one decimal.
rate() {
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'
}


# Runs the load against 127.0.0.1:$1; sets load_start and run_rate
# (messages per second). Any complaint of smtp-source fails the run.
load() {
	local end errors status=0
	errors=$(mktemp)
	load_start=$(now)
	"$SMTP_SOURCE" -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" \
	    -f "$SENDER" -t "$RECIPIENT" "127.0.0.1:$1" 2>"$errors" ||
	    status=$?
	end=$(now)
	if [ "$status" -ne 0 ] || [ -s "$errors" ]; then
		echo "smtp-source exited $status:" >&2
		head -5 "$errors" >&2
		rm -f "$errors"
		return 1
	fi
	rm -f "$errors"
	run_rate=$(rate "$MESSAGES" "$load_start" "$end")
}

# One smtp-sink run; sets run_rate.
sink_run() {
	local port pid out received user_args=()
	port=$(free_port)
	out=$(mktemp)
	[ "$(id -u)" -ne 0 ] || user_args=(-u nobody)
	"$SMTP_SINK" "${user_args[@]}" -c "127.0.0.1:$port" 1000 >"$out" 2>&1 &
	pid=$!
	children+=("$pid")
	wait_port "$port"
	load "$port"
	sleep 0.2
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	# smtp-sink -c keeps "sess=N quit=N mesg=N" counters, \r-separated.
	received=$(tr '\r' '\n' <"$out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' |
	    tail -n 1)
	rm -f "$out"
	if [ "${received:-0}" -ne "$MESSAGES" ]; then
		echo "smtp-sink received ${received:-0} of $MESSAGES" >&2
		return 1
	fi
}

count_delivered() {
	local maildir=$1/mail/example.test/demo/Maildir
	find "$maildir/new" "$maildir/cur" -type f 2>/dev/null | wc -l
}

# One sluiced run; sets run_rate and run_drain (seconds from the start of
# the load until every message was in the Maildir).
sluiced_run() {
	local dir port pid drained status
	dir=$(mktemp -d /tmp/sluice-bench.XXXXXX)
	dirs+=("$dir")
	port=$(free_port)
	{
		echo "# sluice.conf for bench/smtp_throughput.sh"
		echo "hostname = bench.sluice.test"
		echo "state_dir = $dir/state"
		echo "pid_file = $dir/sluiced.pid"
		echo "log_level = warn"
		echo "workers = 0"
		echo "smtp.listen = 127.0.0.1:$port"
		echo "smtp.max_connections = $((SESSIONS * 4))"
		# The load comes from loopback: one client, many connections.
		echo "smtp.limits_exempt = 127.0.0.0/8"
		echo "smtp.max_message_size = 10M"
		if [ "$(id -u)" -eq 0 ]; then
			echo "user = sluice"
		fi
	} >"$dir/sluice.conf"
	mkdir "$dir/state"
	cli/sluice -c "$dir/sluice.conf" domain add example.test
	echo "bench-password" |
	    cli/sluice -c "$dir/sluice.conf" user add "$RECIPIENT"
	if [ "$(id -u)" -eq 0 ]; then
		id sluice >/dev/null 2>&1 ||
		    useradd --system --no-create-home \
		    --shell /usr/sbin/nologin sluice
		chown -R sluice: "$dir"
	fi
	gateway/sluiced -c "$dir/sluice.conf" -f 2>"$dir/sluiced.log" &
	pid=$!
	children+=("$pid")
	wait_port "$port"
	load "$port"
	local deadline=$((SECONDS + DRAIN_TIMEOUT))
	drained=$(count_delivered "$dir/state")
	while [ "$drained" -lt "$MESSAGES" ] && [ "$SECONDS" -lt "$deadline" ]
	do
		sleep 0.2
		drained=$(count_delivered "$dir/state")
	done
	run_drain=$(awk -v a="$load_start" -v b="$(now)" \
	    'BEGIN { printf "%.1f", b - a }')
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	if [ "$drained" -ne "$MESSAGES" ] || [ "$status" -ne 0 ]; then
		echo "sluiced run failed: $drained of $MESSAGES delivered," \
		    "exit status $status; log: $dir/sluiced.log" >&2
		tail -5 "$dir/sluiced.log" >&2
		return 1
	fi
}

{
	echo "smtp_throughput $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    "rev $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) cores," \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "load: smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE" \
	    "-f $SENDER -t $RECIPIENT (one message per connection), $RUNS runs"
} | tee "$report"

# The two sides alternate, run by run, so drift in the machine's load
# (it is shared) hits both alike.
sink_rates=()
sluiced_rates=()
drains=()
for run in $(seq "$RUNS"); do
	sink_run
	sink_rates+=("$run_rate")
	echo "  smtp-sink run $run: ${sink_rates[-1]} msg/s"
	[ "$sink_only" = yes ] && continue
	sluiced_run
	sluiced_rates+=("$run_rate")
	drains+=("$run_drain")
	echo "  sluiced run $run: $run_rate msg/s," \
	    "all $MESSAGES delivered ${run_drain}s after start"
done
sink_median=$(median "${sink_rates[@]}")
echo "smtp-sink: ${sink_rates[*]} msg/s; median $sink_median msg/s" |
    tee -a "$report"

if [ "$sink_only" = yes ]; then
	echo "sluiced: skipped (--sink-only)" | tee -a "$report"
else
	sluiced_median=$(median "${sluiced_rates[@]}")
	{
		echo "sluiced (fsync before 250): ${sluiced_rates[*]} msg/s;" \
		    "median $sluiced_median msg/s;" \
		    "all delivered after $(median "${drains[@]}")s (median)"
		awk -v s="$sluiced_median" -v k="$sink_median" \
		    -v t="$TARGET_PERCENT" 'BEGIN {
			p = 100 * s / k
			printf "ratio: sluiced / smtp-sink = %.1f%%" \
			    " (target: sluiced >= %d%% of smtp-sink): %s\n",
			    p, t, (p >= t ? "met" : "NOT met") }'
	} | tee -a "$report"
fi

mkdir -p bench/results
mv "$report" "$results"
chmod 644 "$results"
echo "written to $results"
