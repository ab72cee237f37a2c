#!/usr/bin/env bash
# imap_throughput.sh: IMAP operations per second of sluiced against
# Dovecot (Debian's dovecot-imapd), same mailboxes, same load, one run.
#
# DESIGN: both servers get SESSIONS users (benchK@bench.test), each with
# an INBOX of MESSAGES messages of the development corpus (the seeded
# sample of tests/compat/corpus.py, extracted into a temporary directory),
# written into the Maildirs' new/ by bench/imap_load.py populate; sluiced's
# users are made with the sluice CLI, Dovecot's come from a passwd-file
# with the same passwords. Dovecot runs as its own instance (dovecot -F
# with a generated config: one inet listener on a free high port,
# ssl = no, plaintext logins allowed, base_dir, state_dir and log under
# the run directory, mail_location maildir:~/Maildir, userdb static with
# the uid sluiced also runs as), its defaults otherwise (one imap process
# per session, mail_fsync = optimized). sluiced keeps its defaults too.
# bench/imap_load.py load logs every session in and SELECTs once (not
# timed), then for DURATION seconds each session loops SELECT, FETCH 10
# headers, FETCH 3 bodies, STORE +FLAGS, APPEND, UID STORE \Deleted,
# EXPUNGE, one command at a time; every command is one operation and any
# NO, BAD, BYE or missing answer is a protocol error that fails the run.
# The CPU time of each server is that of its whole process tree over the
# timed part, so dovecot's per-session imap processes, its auth and log
# processes count as sluiced's worker threads do. The client's own CPU
# time is reported so it can be seen not to be the bottleneck. Fresh run
# directories every run; the two servers alternate, RUNS runs, medians.
# Target: sluiced at least 0.5x Dovecot's operations per second, with zero
# protocol errors.
#
# Usage: bench/imap_throughput.sh
# Environment: SESSIONS (50), MESSAGES per INBOX (200), APPENDS (50
#   further sample messages to APPEND), DURATION seconds (20), RUNS (3),
#   CLIENTS (client processes, 1), SEED (20030228), SLUICE_CORPUS,
#   KEEP=1 keeps the run directories.
#   PROFILE=perf or PROFILE=strace: one sluiced run only, with perf record
#   (DWARF call graphs) or strace -c -f attached to sluiced for the timed
#   part less a second each end; the output goes to PROFILE_DIR (a new
#   /tmp/imap-profile.* by default, kept) and no result file is written.
#   strace slows sluiced down a lot: take its counts, not its rate.
# Writes bench/results/imap_throughput.txt (and prints the same).
set -euo pipefail

SESSIONS=${SESSIONS:-50}
MESSAGES=${MESSAGES:-200}
APPENDS=${APPENDS:-50}
DURATION=${DURATION:-20}
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-1}
SEED=${SEED:-20030228}
PROFILE=${PROFILE:-}
TARGET_RATIO=0.5
DOMAIN=bench.test
DOVECOT=/usr/sbin/dovecot

cd "$(dirname "$0")/.."
. bench/common.sh
results=bench/results/imap_throughput.txt

for program in gateway/sluiced cli/sluice "$DOVECOT"; do
	[ -x "$program" ] || {
		echo "missing $program: build first; Dovecot comes with" \
		    "scripts/install-deps bench" >&2
		exit 2
	}
done

# The corpus sample: MESSAGES for the INBOXes, then APPENDS to APPEND.
corpus=$(mktemp -d /tmp/imap-corpus.XXXXXX)
dirs+=("$corpus")
"$PYTHON" tests/compat/corpus.py --dest "$corpus" \
    --count $((MESSAGES + APPENDS)) --seed "$SEED" >"$corpus/sample.txt"

# The uid and gid both servers' mail belongs to.
ensure_sluice_user
if [ "$(id -u)" -eq 0 ]; then
	mail_user=sluice
else
	mail_user=$(id -un)
fi
mail_uid=$(id -u "$mail_user")
mail_gid=$(id -g "$mail_user")

populate() {
	"$PYTHON" bench/imap_load.py populate --root "$1" --domain "$DOMAIN" \
	    --users "$SESSIONS" --sample "$corpus/sample.txt" \
	    --messages "$MESSAGES"
}

# Runs the load against port $1, server process $2, creating file $3
# when the timed part starts; sets run_ops, run_rate, run_cpu_us (server
# CPU microseconds per operation) and run_client (client CPU as a
# percentage of one core). Fails on any protocol error.
load() {
	local json status=0
	json=$("$PYTHON" bench/imap_load.py load --port "$1" \
	    --server-pid "$2" --ready-file "$3" --domain "$DOMAIN" \
	    --users "$SESSIONS" \
	    --sample "$corpus/sample.txt" --messages "$MESSAGES" \
	    --duration "$DURATION" --processes "$CLIENTS" --seed "$SEED") ||
	    status=$?
	if [ "$status" -ne 0 ]; then
		echo "load failed (exit $status): $json" >&2
		return 1
	fi
	read -r run_ops run_rate run_cpu_us run_client < <("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["ops"], "%.1f" % (r["ops"] / r["elapsed"]),
      "%.1f" % (1e6 * r["server_cpu"] / max(r["ops"], 1)),
      "%.0f" % (100 * r["client_cpu"] / r["elapsed"]))' "$json")
}

# Attaches PROFILE's profiler to process $1 once file $2 exists, for the
# timed part less a second each end; sets profiler_pid.
start_profiler() {
	local seconds=$((${DURATION%.*} - 2))
	(
		until [ -e "$2" ]; do sleep 0.05; done
		sleep 1
		case "$PROFILE" in
		perf)
			perf record -F 250 --call-graph dwarf,16384 -p "$1" \
			    -o "$PROFILE_DIR/perf.data" -- sleep "$seconds" ;;
		strace)
			timeout -s INT "$seconds" strace -c -f -p "$1" \
			    -o "$PROFILE_DIR/strace.txt" || true ;;
		esac
	) >"$PROFILE_DIR/profiler.log" 2>&1 &
	profiler_pid=$!
}

# Sets dir (a new /tmp/$1.* the mail user can enter, removed at exit)
# and port (free) for the caller's run.
new_run() {
	dir=$(mktemp -d "/tmp/$1.XXXXXX")
	dirs+=("$dir")
	chmod 755 "$dir"
	port=$(free_port)
}

# Sets up and runs sluiced, loads it, stops it.
sluiced_run() {
	local dir port pid number
	new_run sluice-imap
	{
		echo "hostname = bench.sluice.test"
		echo "state_dir = $dir/state"
		echo "pid_file = $dir/sluiced.pid"
		echo "log_level = warn"
		echo "imap.listen = 127.0.0.1:$port"
		echo "imap.max_connections = $((SESSIONS * 2))"
		[ "$(id -u)" -ne 0 ] || echo "user = sluice"
	} >"$dir/sluice.conf"
	mkdir "$dir/state"
	cli/sluice -c "$dir/sluice.conf" domain add "$DOMAIN"
	for number in $(seq "$SESSIONS"); do
		echo "bench-password-$number" |
		    cli/sluice -c "$dir/sluice.conf" user add \
		    "bench$number@$DOMAIN"
	done
	populate "$dir/state/mail"
	[ "$(id -u)" -ne 0 ] || chown -R sluice: "$dir"
	gateway/sluiced -c "$dir/sluice.conf" -f 2>"$dir/sluiced.log" &
	pid=$!
	children+=("$pid")
	wait_port "$port"
	[ -z "$PROFILE" ] || start_profiler "$pid" "$dir/ready"
	if ! load "$port" "$pid" "$dir/ready"; then
		tail -5 "$dir/sluiced.log" >&2
		return 1
	fi
	[ -z "$PROFILE" ] || wait "$profiler_pid" || true
	kill -TERM "$pid"
	wait "$pid" || true
}

# Sets up and runs a Dovecot instance, loads it, stops it.
dovecot_run() {
	local dir port pid number
	new_run dovecot-imap
	mkdir "$dir/run" "$dir/state"
	for number in $(seq "$SESSIONS"); do
		echo "bench$number@$DOMAIN:{PLAIN}bench-password-$number"
	done >"$dir/passwd"
	{
		echo "# dovecot.conf for bench/imap_throughput.sh"
		echo "instance_name = sluice-bench-$port"
		echo "base_dir = $dir/run"
		echo "state_dir = $dir/state"
		echo "log_path = $dir/dovecot.log"
		echo "protocols = imap"
		echo "listen = 127.0.0.1"
		echo "ssl = no"
		echo "disable_plaintext_auth = no"
		echo "login_trusted_networks = 127.0.0.0/8"
		echo "mail_location = maildir:~/Maildir"
		echo "first_valid_uid = $mail_uid"
		echo "first_valid_gid = $mail_gid"
		if [ "$(id -u)" -ne 0 ]; then
			echo "default_login_user = $mail_user"
			echo "default_internal_user = $mail_user"
		fi
		echo "passdb {"
		echo "  driver = passwd-file"
		echo "  args = scheme=PLAIN $dir/passwd"
		echo "}"
		echo "userdb {"
		echo "  driver = static"
		echo "  args = uid=$mail_uid gid=$mail_gid home=$dir/mail/%d/%n"
		echo "}"
		echo "service imap-login {"
		echo "  inet_listener imap {"
		echo "    address = 127.0.0.1"
		echo "    port = $port"
		echo "  }"
		echo "  inet_listener imaps {"
		echo "    port = 0"
		echo "  }"
		echo "}"
	} >"$dir/dovecot.conf"
	populate "$dir/mail"
	chown -R "$mail_uid:$mail_gid" "$dir/mail"
	"$DOVECOT" -F -c "$dir/dovecot.conf" &
	pid=$!
	children+=("$pid")
	wait_port "$port"
	if ! load "$port" "$pid" "$dir/ready"; then
		tail -5 "$dir/dovecot.log" >&2
		return 1
	fi
	kill -TERM "$pid"
	wait "$pid" || true
}

if [ -n "$PROFILE" ]; then
	case "$PROFILE" in
	perf|strace) ;;
	*) echo "PROFILE is perf or strace" >&2; exit 2 ;;
	esac
	PROFILE_DIR=${PROFILE_DIR:-$(mktemp -d /tmp/imap-profile.XXXXXX)}
	sluiced_run
	echo "sluiced under $PROFILE: $run_ops ops, $run_rate ops/s," \
	    "server CPU $run_cpu_us us/op, client CPU ${run_client}%"
	echo "$run_ops" >"$PROFILE_DIR/ops"
	echo "profile in $PROFILE_DIR"
	exit 0
fi

report=$(mktemp)
{
	bench_header imap_throughput
	echo "versions: $("$DOVECOT" --version | sed 's/^/Dovecot /')"
	echo "load: $SESSIONS sessions (one user each, INBOX of $MESSAGES" \
	    "corpus messages, seed $SEED), ${DURATION}s each, one command" \
	    "at a time: SELECT, FETCH 10 BODY.PEEK[HEADER], FETCH 3" \
	    "BODY.PEEK[], STORE +FLAGS, APPEND, UID STORE \\Deleted," \
	    "EXPUNGE; $CLIENTS client process(es); $RUNS runs, alternating"
} | tee "$report"
rates_sluiced=()
rates_dovecot=()
cpu_sluiced=()
cpu_dovecot=()
# Keeps and prints the numbers of the run server $1 just made.
record_run() {
	local -n rates=rates_$1 cpu=cpu_$1
	rates+=("$run_rate")
	cpu+=("$run_cpu_us")
	echo "  run $run $1: $run_ops ops, $run_rate ops/s, server CPU" \
	    "$run_cpu_us us/op, client CPU ${run_client}% of a core," \
	    "0 errors" | tee -a "$report"
}
# Prints server $1's rates and medians.
summary() {
	local -n rates=rates_$1 cpu=cpu_$1
	echo "$1: ${rates[*]} ops/s; median $(median "${rates[@]}") ops/s;" \
	    "CPU median $(median "${cpu[@]}") us/op"
}
for run in $(seq "$RUNS"); do
	dovecot_run
	record_run dovecot
	sluiced_run
	record_run sluiced
done
sluiced_median=$(median "${rates_sluiced[@]}")
dovecot_median=$(median "${rates_dovecot[@]}")
{
	summary dovecot
	summary sluiced
	awk -v s="$sluiced_median" -v d="$dovecot_median" \
	    -v t="$TARGET_RATIO" 'BEGIN { r = s / d
		printf "ratio: sluiced / dovecot = %.2fx (target >= %.1fx," \
		    " zero protocol errors): %s\n", r, t,
		    (r >= t ? "met" : "NOT met") }'
} | tee -a "$report"
mkdir -p bench/results
cp "$report" "$results"
chmod 644 "$results"
rm -f "$report"
echo "written to $results"
