#!/bin/bash
# received_compare.sh: compares lib/received's X-Spam-Relays-* values with
# SpamAssassin's over the development corpus and prints the agreement.
#
# Usage: tests/compat/received_compare.sh [BUILDDIR] [-- OPTIONS]
#   BUILDDIR  where tests/compat/received_relays was built (default .)
#   OPTIONS   pairs given to both sides: "trusted NET", "internal NET",
#             "msa NET" (e.g. -- trusted 10.0.0.0/8 msa 10.1.0.0/16)
# The corpus (SLUICE_CORPUS, default /work/shared/corpus/dev-corpus.tar.xz,
# as tests/compat/corpus.py) is extracted into a temporary directory.
# Output: "relays: N identical of M (P%)", and the first differing
# message with both values. Exit 0 when every message agrees, 1 otherwise.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-.}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
corpus=${SLUICE_CORPUS:-/work/shared/corpus/dev-corpus.tar.xz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xJf "$corpus" -C "$tmp"
(cd "$tmp" && find dev-corpus -type f ! -name 'README*' ! -name SHA256SUMS |
    sort) > "$tmp/list"
sa_args=()
c_args=()
while [ $# -ge 2 ]; do
	sa_args+=(--conf "${1}_networks $2")
	c_args+=("--$1" "$2")
	shift 2
done
tool=$(cd "$build" && pwd)/tests/compat/received_relays
(cd "$tmp" && perl "$here/sa_relays.pl" "${sa_args[@]}" < list > sa.tsv \
    2>/dev/null)
(cd "$tmp" && "$tool" "${c_args[@]}" < list > sluice.tsv)
python3 - "$tmp/sa.tsv" "$tmp/sluice.tsv" <<'PY'
import sys
def load(path):
    rows = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            rows[fields[0]] = fields[1:]
    return rows
sa, ours = load(sys.argv[1]), load(sys.argv[2])
same = [name for name in sa if ours.get(name) == sa[name]]
print(f"relays: {len(same)} identical of {len(sa)} "
      f"({100.0 * len(same) / max(len(sa), 1):.2f}%)")
for name in sa:
    if ours.get(name) != sa[name]:
        print(f"first difference: {name}\n  spamassassin: {sa[name]}\n"
              f"  sluice:       {ours.get(name)}")
        break
sys.exit(0 if len(same) == len(sa) else 1)
PY
