#!/usr/bin/env bash
# scan_throughput.sh: messages per second of one CPU core scanning the same
# seeded corpus sample with sluice, SpamAssassin 4 and rspamd 3.4, all
# with their stock rules, offline and without Bayes.
#
# DESIGN: every engine gets core $CORE (taskset) and the same $MESSAGES
# files (tests/compat/corpus.py: half spam, half ham, seed $SEED, from
# the development corpus unpacked into a temporary directory). Each side
# runs $RUNS times, alternating, and the median counts.
#   sluice      `cli/sluice -c EMPTY check --rules /usr/share/spamassassin
#               FILE...`, one process for all files, text report to
#               /dev/null. Start-up (reading and compiling the rules) is
#               left out as for the others: the rate is (files - 1) /
#               (time for all files - time of a process for the first
#               file alone). The rate with start-up is printed too.
#   SpamAssassin  one long-lived perl process (tests/compat/sa_scan.pl via
#               sa_hits.py --timing --jobs 1 --compiled) calling
#               Mail::SpamAssassin's check() per file: the engine spamd
#               runs, without spamd's fork, socket and protocol costs, so
#               the comparison is SpamAssassin's best case. Offline like
#               `spamassassin -L` (no DNS, Razor, Pyzor, DCC), Bayes,
#               auto-welcomelist and TxRep off, Debian's stock plugin set
#               including Rule2XSBody with the body rules sa-compile built
#               at install time (about 1.8 times faster than without). The
#               rate is files / time inside check() (start-up excluded).
#   rspamd      the Debian 3.4 daemon in the foreground (main process and
#               one normal worker, controller and proxy off) pinned to
#               $CORE, its own config dirs in the temporary directory
#               (--var LOCAL_CONFDIR/DBDIR/RUNDIR/LOGDIR, run as _rspamd
#               when we are root), on 127.0.0.1:<free port>. Stock rules,
#               with every module that needs the network or Redis turned
#               off (rspamd_local_config below) and its resolver pointed
#               at a closed loopback port, so a lookup we missed fails at
#               once instead of leaving the machine. Fed by one rspamc on
#               $CLIENT_CORE, all files in one invocation, one request at
#               a time (-n 1): the client's reading and parsing do not
#               count against rspamd's core. Before timing, rspamd's
#               hyperscan databases are built and one untimed pass warms
#               it up. The rate is files / rspamc wall time. The script
#               checks that rspamd logged "dns req: 0" for every task.
# Besides wall-clock rates, sluice and rspamd get rates per CPU second:
# the user+system time of the sluice process, and of rspamd's processes
# over the pass (read from /proc). Other tenants of a shared machine move
# wall time by a third from run to run; CPU time far less. rspamd's CPU
# time leaves out the waits on its client, which favours rspamd.
# Targets: sluice >= 20 x SpamAssassin and >= 1 x rspamd. Until `sluice
# check` exists the sluice half is reported unavailable and the other two
# still run.
#
# Usage: bench/scan_throughput.sh
# Environment: MESSAGES (500), SEED (20030228), RUNS (3), CORE (0),
#   CLIENT_CORE (1; 0 on a one-core machine), RULES
#   (/usr/share/spamassassin), SLUICE_CORPUS (the corpus archive),
#   KEEP=1 keeps the temporary directory.
# Writes bench/results/scan_throughput.txt (and prints the same).
set -euo pipefail

MESSAGES=${MESSAGES:-500}
SEED=${SEED:-20030228}
RUNS=${RUNS:-3}
CORE=${CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
RULES=${RULES:-/usr/share/spamassassin}
TARGET_SA=20
TARGET_RSPAMD=1
PYTHON=/usr/bin/python3
RSPAMD_START_TIMEOUT=300

cd "$(dirname "$0")/.."
. bench/common.sh
top=$(pwd)
results=bench/results/scan_throughput.txt

[ "$(nproc)" -gt 1 ] || CLIENT_CORE=$CORE
for tool in taskset perl rspamd rspamc "$PYTHON"; do
	command -v "$tool" >/dev/null || {
		echo "missing $tool: run scripts/install-deps all" >&2
		exit 2
	}
done
perl -MMail::SpamAssassin -e 1 2>/dev/null || {
	echo "missing SpamAssassin: run scripts/install-deps all" >&2
	exit 2
}

work=$(mktemp -d /tmp/sluice-scan-bench.XXXXXX)
chmod 755 "$work"
report="$work/report.txt"
rspamd_pid=""
cleanup() {
	if [ -n "$rspamd_pid" ]; then
		kill "$rspamd_pid" 2>/dev/null || true
		wait "$rspamd_pid" 2>/dev/null || true
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT


# rate COUNT SECONDS: messages per second, one decimal.
rate() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'
}



# The sample: absolute paths, one per line, in $work/files.
"$PYTHON" tests/compat/corpus.py --dest "$work/corpus" --count "$MESSAGES" \
    --seed "$SEED" >"$work/files"
mapfile -t files <"$work/files"
[ "${#files[@]}" -eq "$MESSAGES" ] || {
	echo "corpus sample has ${#files[@]} files, wanted $MESSAGES" >&2
	exit 2
}
chmod -R a+rX "$work/corpus"
: >"$work/sluice.conf"

# sluice takes part when `sluice check` scans a message (exit 0 or 1).
sluice_reason=""
if [ ! -x cli/sluice ]; then
	sluice_reason="cli/sluice is not built"
else
	status=0
	cli/sluice -c "$work/sluice.conf" check --rules "$RULES" \
	    "${files[0]}" >/dev/null 2>"$work/sluice.err" || status=$?
	if [ "$status" -gt 1 ]; then
		sluice_reason="\`sluice check\` failed (exit $status: $(head -c 200 \
		    "$work/sluice.err"))"
	fi
fi

# sluice_time WALL_VAR CPU_VAR FILE...: one `sluice check` process over
# the files; stores its wall and CPU (user+system) seconds.
sluice_time() {
	local -n wall_r=$1 cpu_r=$2
	local start end status=0
	shift 2
	start=$(now)
	/usr/bin/time -o "$work/sluice.time" -f "%U %S" \
	    taskset -c "$CORE" cli/sluice -c "$work/sluice.conf" check \
	    --rules "$RULES" "$@" >/dev/null 2>"$work/sluice.err" ||
	    status=$?
	end=$(now)
	if [ "$status" -gt 1 ]; then
		echo "sluice check exited $status:" >&2
		head -5 "$work/sluice.err" >&2
		return 1
	fi
	wall_r=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
	cpu_r=$(awk '/^[0-9.]+ [0-9.]+$/ { print $1 + $2 }' "$work/sluice.time")
}

# One sluice run; sets run_rate and run_cpu_rate (start-up excluded, as
# for the others: the process for all files less one for the first file
# alone) and run_full_rate (start-up included).
sluice_run() {
	local wall cpu one_wall one_cpu
	sluice_time wall cpu "${files[@]}"
	sluice_time one_wall one_cpu "${files[0]}"
	run_full_rate=$(rate "$MESSAGES" "$wall")
	run_rate=$(rate $((MESSAGES - 1)) "$(awk -v a="$wall" -v b="$one_wall" \
	    'BEGIN { print a - b }')")
	run_cpu_rate=$(rate $((MESSAGES - 1)) "$(awk -v a="$cpu" -v b="$one_cpu" \
	    'BEGIN { print a - b }')")
	run_startup=$one_wall
}

# One SpamAssassin run; sets run_rate (check() time only) and run_startup.
sa_run() {
	local count scan startup
	taskset -c "$CORE" "$PYTHON" tests/compat/sa_hits.py --timing \
	    --compiled --jobs 1 --rules "$RULES" "${files[@]}" >"$work/sa.json"
	read -r count scan startup < <("$PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))["timing"][0]
print(t["messages"], t["scan"], t["startup"])' "$work/sa.json")
	[ "$count" -eq "$MESSAGES" ] || {
		echo "SpamAssassin scanned $count of $MESSAGES" >&2
		return 1
	}
	run_rate=$(rate "$count" "$scan")
	run_startup=$startup
}

# Writes rspamd's local configuration into $1: stock rules; everything
# that needs the network, Redis or learned state off.
rspamd_local_config() {
	local dir=$1/local.d module
	mkdir -p "$dir"
	# DNS lists (rbl also carries the converted surbl and emails rules),
	# authentication (DNS), fuzzy hashes (UDP to rspamd.com), Redis-backed
	# modules, rule updates over HTTPS, reporting and external scanners.
	for module in rbl surbl emails asn mx_check dkim dkim_signing arc \
	    dmarc spf whitelist once_received fuzzy_check neural reputation \
	    ratelimit greylist replies history_redis url_redirector bimi \
	    rspamd_update dcc external_services antivirus metadata_exporter \
	    clickhouse elastic; do
		echo "enabled = false;" >"$dir/$module.conf"
	done
	# Phishing: keep the local URL checks, drop the DNS/HTTP feeds.
	printf 'phishtank_enabled = false;\nopenphish_enabled = false;\n' \
	    >"$dir/phishing.conf"
	# hfilter: the MAIL FROM host check resolves A/MX records.
	echo "from_enabled = false;" >"$dir/hfilter.conf"
	# Any lookup still attempted goes to a closed loopback port (refused
	# at once) and is counted in the task log ("dns req: N"). HTTPS maps
	# (freemail lists, mime_types, ...) therefore stay empty.
	cat >"$dir/options.inc" <<-EOF
	dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }
	map_watch_interval = 1d;
	EOF
	cat >"$dir/worker-normal.inc" <<-EOF
	bind_socket = "127.0.0.1:$rspamd_port";
	count = 1;
	EOF
	echo "enabled = false;" >"$dir/worker-controller.inc"
	echo "enabled = false;" >"$dir/worker-proxy.inc"
	echo "enabled = false;" >"$dir/worker-fuzzy.inc"
}

rspamd_start() {
	local base=$work/rspamd user_args=() deadline
	rspamd_port=$(free_port)
	mkdir -p "$base"/{db,run,log}
	rspamd_local_config "$base/local"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R _rspamd: "$base/db" "$base/run" "$base/log"
		user_args=(-u _rspamd -g _rspamd)
	fi
	taskset -c "$CORE" rspamd -f "${user_args[@]}" \
	    -c /etc/rspamd/rspamd.conf --var="LOCAL_CONFDIR=$base/local" \
	    --var="DBDIR=$base/db" --var="RUNDIR=$base/run" \
	    --var="LOGDIR=$base/log" >"$base/stdout" 2>&1 &
	rspamd_pid=$!
	rspamd_log=$base/log/rspamd.log
	# Ready when the normal worker has loaded the hyperscan database (the
	# first start compiles it, tens of seconds).
	deadline=$((SECONDS + RSPAMD_START_TIMEOUT))
	until grep -q "(normal).*hyperscan database.*loaded" "$rspamd_log" \
	    2>/dev/null; do
		if ! kill -0 "$rspamd_pid" 2>/dev/null; then
			echo "rspamd exited during start-up:" >&2
			tail -5 "$base/stdout" "$rspamd_log" >&2 || true
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "rspamd not ready after ${RSPAMD_START_TIMEOUT}s" >&2
			return 1
		fi
		sleep 0.5
	done
	rspamc_pass "$work/rspamc.warmup"
}

# rspamc_pass OUT: scans every file once, one request at a time.
rspamc_pass() {
	local scanned
	taskset -c "$CLIENT_CORE" rspamc -h "127.0.0.1:$rspamd_port" -n 1 \
	    -t 60 "${files[@]}" >"$1" 2>&1
	scanned=$(grep -c '^Action:' "$1" || true)
	if [ "$scanned" -ne "$MESSAGES" ]; then
		echo "rspamd scanned $scanned of $MESSAGES:" >&2
		grep -v '^Symbol:' "$1" | head -5 >&2
		return 1
	fi
}

# CPU seconds used so far by rspamd's processes (main and workers).
rspamd_cpu() {
	local pid ticks=0 fields
	for pid in $rspamd_pid $(pgrep -P "$rspamd_pid"); do
		[ -r "/proc/$pid/stat" ] || continue
		# utime and stime: fields 14 and 15, after the "(comm)" field.
		fields=$(sed 's/^.*) //' "/proc/$pid/stat")
		ticks=$((ticks + $(echo "$fields" | awk '{ print $12 + $13 }')))
	done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }'
}

# One rspamd run; sets run_rate and run_cpu_rate.
rspamd_run() {
	local start end cpu_start cpu_end
	cpu_start=$(rspamd_cpu)
	start=$(now)
	rspamc_pass "$work/rspamc.out"
	end=$(now)
	cpu_end=$(rspamd_cpu)
	run_cpu_rate=$(rate "$MESSAGES" "$(awk -v a="$cpu_start" \
	    -v b="$cpu_end" 'BEGIN { print b - a }')")
	run_rate=$(rate "$MESSAGES" "$(awk -v a="$start" -v b="$end" \
	    'BEGIN { print b - a }')")
}

{
	echo "scan_throughput $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    "rev $(git -C "$top" rev-parse --short HEAD 2>/dev/null ||
	    echo unknown)"
	echo "machine: $(nproc) cores," \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "sample: $MESSAGES messages of the dev corpus (seed $SEED," \
	    "half spam), rules $RULES, core $CORE, $RUNS runs, median counts"
	echo "versions: SpamAssassin $(perl -MMail::SpamAssassin \
	    -e 'print Mail::SpamAssassin::Version()'), $(rspamd -v |
	    head -1)"
	# Without sa-compile's output Rule2XSBody loads but speeds up nothing.
	if compgen -G "/var/lib/spamassassin/compiled/*/*/bases_body_0.pl" \
	    >/dev/null; then
		echo "SpamAssassin body rules: compiled by sa-compile"
	else
		echo "SpamAssassin body rules: NOT compiled (install sa-compile)"
	fi
} | tee "$report"

rspamd_start
echo "rspamd ready on 127.0.0.1:$rspamd_port (port of this run)"

sluice_rates=()
sluice_cpu_rates=()
sluice_full_rates=()
rspamd_cpu_rates=()
sa_rates=()
sa_startups=()
rspamd_rates=()
for run in $(seq "$RUNS"); do
	if [ -z "$sluice_reason" ]; then
		sluice_run
		sluice_rates+=("$run_rate")
		sluice_cpu_rates+=("$run_cpu_rate")
		sluice_full_rates+=("$run_full_rate")
		echo "  sluice run $run: $run_rate msg/s," \
		    "$run_cpu_rate msg per CPU second (start-up" \
		    "${run_startup}s not counted; with it $run_full_rate msg/s)"
	fi
	rspamd_run
	rspamd_rates+=("$run_rate")
	rspamd_cpu_rates+=("$run_cpu_rate")
	echo "  rspamd run $run: $run_rate msg/s," \
	    "$run_cpu_rate msg per CPU second"
	sa_run
	sa_rates+=("$run_rate")
	sa_startups+=("$run_startup")
	echo "  SpamAssassin run $run: $run_rate msg/s" \
	    "(start-up ${run_startup}s not counted)"
done

# Every rspamd task must have made no DNS request.
dns_tasks=$(grep -o 'dns req: [0-9]*' "$rspamd_log" | grep -vc ': 0$' ||
    true)

sa_median=$(median "${sa_rates[@]}")
rspamd_median=$(median "${rspamd_rates[@]}")
{
	echo "SpamAssassin (one perl process, check() only, Rule2XSBody):" \
	    "${sa_rates[*]} msg/s; median $sa_median msg/s"
	echo "rspamd (1 normal worker; rspamc -n 1 on core $CLIENT_CORE):" \
	    "${rspamd_rates[*]} msg/s; median $rspamd_median msg/s;" \
	    "tasks with DNS requests: $dns_tasks"
	if [ -n "$sluice_reason" ]; then
		echo "sluice: unavailable: $sluice_reason"
	else
		sluice_median=$(median "${sluice_rates[@]}")
		sluice_cpu_median=$(median "${sluice_cpu_rates[@]}")
		rspamd_cpu_median=$(median "${rspamd_cpu_rates[@]}")
		echo "sluice (one process, start-up not counted):" \
		    "${sluice_rates[*]} msg/s; median $sluice_median msg/s" \
		    "(start-up included: ${sluice_full_rates[*]} msg/s," \
		    "median $(median "${sluice_full_rates[@]}"))"
		echo "per CPU second (user+system time of the scanning" \
		    "processes, which other load on a shared machine disturbs" \
		    "far less than wall time): sluice ${sluice_cpu_rates[*]}," \
		    "median $sluice_cpu_median; rspamd ${rspamd_cpu_rates[*]}," \
		    "median $rspamd_cpu_median"
		awk -v s="$sluice_median" -v a="$sa_median" \
		    -v r="$rspamd_median" -v ta="$TARGET_SA" \
		    -v sc="$sluice_cpu_median" -v rc="$rspamd_cpu_median" \
		    -v tr="$TARGET_RSPAMD" 'BEGIN {
			printf "ratio: sluice / SpamAssassin = %.1fx" \
			    " (target >= %dx): %s\n", s / a, ta,
			    (s / a >= ta ? "met" : "NOT met")
			printf "ratio: sluice / rspamd = %.2fx wall," \
			    " %.2fx CPU (target >= %dx): %s\n", s / r,
			    sc / rc, tr, verdict(s / r >= tr, sc / rc >= tr) }
		    function verdict(wall, cpu) {
			if (wall && cpu)
				return "met"
			if (wall || cpu)
				return "met on one measure only"
			return "NOT met" }'
	fi
} | tee -a "$report"
if [ "$dns_tasks" -ne 0 ]; then
	echo "warning: rspamd attempted DNS lookups (to the closed port" \
	    "127.0.0.1:9); see rspamd_local_config" >&2
fi

mkdir -p bench/results
cp "$report" "$results"
chmod 644 "$results"
echo "written to $results"
