#!/bin/sh
# check_layering.sh: fails on an #include that points up or sideways in the
# module graph of ARCHITECTURE.md. Prints the counts line like the C tests.
top=${top_srcdir:-$(dirname "$0")/../..}
cd "$top" || exit 2
allowed() {
	case "$1" in
	lib) echo "lib" ;;
	rules|bayes|rbl|quarantine|mailstore) echo "lib $1" ;;
	gateway|cli) echo "lib rules bayes rbl quarantine mailstore gateway cli" ;;
	esac
}
failed=0
checked=0
for module in lib rules bayes rbl quarantine mailstore gateway cli; do
	[ -d "$module" ] || continue
	ok=$(allowed "$module")
	for file in $(find "$module" -name '*.[ch]'); do
		checked=$((checked + 1))
		for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*/\1/p' "$file"); do
			case " $ok " in
			*" $inc "*) ;;
			*) echo "not ok - $file includes $inc/ (allowed: $ok)"; failed=$((failed + 1)) ;;
			esac
		done
	done
done
if [ "$failed" -eq 0 ]; then
	echo "ok 1 - layering ($checked files)"
	echo "# passed=1 failed=0"
	exit 0
fi
echo "# passed=0 failed=1"
exit 1
