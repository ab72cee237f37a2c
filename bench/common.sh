# common.sh: helpers the bench scripts share (sourced, not run).

PYTHON=${PYTHON:-/usr/bin/python3}

# A free TCP port on 127.0.0.1.
free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts on 127.0.0.1:$1, or fails after 20 s.
wait_port() {
	local tries=0
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 400 ] || { echo "port $1 never opened" >&2; return 1; }
		sleep 0.05
	done
}

now() {
	date +%s.%N
}

# The median of the arguments (numbers), one decimal when averaged.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2];
	          else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The first lines of every result: name, date, commit, machine.
bench_header() {
	echo "$1 $(date -u +%Y-%m-%dT%H:%M:%SZ) rev" \
	    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) cores," \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
}

# Makes the unprivileged user sluiced switches to when run as root.
ensure_sluice_user() {
	if [ "$(id -u)" -eq 0 ]; then
		id sluice >/dev/null 2>&1 ||
		    useradd --system --no-create-home \
		    --shell /usr/sbin/nologin sluice
	fi
}

# Processes to kill and directories to remove (unless KEEP=1) when the
# script exits; scripts add to them and call bench_cleanup from their
# EXIT trap (bench_cleanup is the trap when they need nothing else).
children=()
dirs=()
bench_cleanup() {
	local pid
	for pid in "${children[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf "${dirs[@]}"
}
trap bench_cleanup EXIT
