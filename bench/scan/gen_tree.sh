#!/usr/bin/env bash
# Builds a realistic source tree of about SIZE MiB for the scanning benchmark: copies of the C
# headers, Python, Perl and JavaScript sources installed on this machine (Debian packages),
# with a few secrets planted (generated at run time). Usage: gen_tree.sh OUTDIR SIZE_MIB
set -euo pipefail
out=$1 size_mib=$2
here=$(cd "$(dirname "$0")" && pwd)
src_root=$(cd "$here/../.." && pwd)
rm -rf "$out"
mkdir -p "$out"
list=$(mktemp)
for d in /usr/include /usr/lib/python3* /usr/share/perl /usr/share/perl5 /usr/lib/node_modules; do
	[ -d "$d" ] && find "$d" -type f \( -name '*.h' -o -name '*.py' -o -name '*.pm' -o -name '*.pl' \
		-o -name '*.js' -o -name '*.json' -o -name '*.md' -o -name '*.txt' -o -name '*.hpp' \) -size -2M
done | sort >"$list"
total=0 copy=0 want=$((size_mib * 1024 * 1024))
while [ "$total" -lt "$want" ]; do
	dst="$out/copy$copy"
	mkdir -p "$dst"
	# tar keeps the directory shape; files past the wanted size are not needed
	tar -cf - -T "$list" 2>/dev/null | tar -xf - -C "$dst"
	total=$(du -sb "$out" | cut -f1)
	copy=$((copy + 1))
done
rm -f "$list"
# A handful of real-looking secrets, so the run exercises the reporting path too.
for i in $(seq 1 20); do
	printf 'GITHUB_TOKEN=%s\n' "$(python3 "$src_root/tests/scan/gen_corpus.py" token github-pat)" >>"$out/copy0/.env.$i"
done
echo "$(du -sb "$out" | cut -f1) bytes, $(find "$out" -type f | wc -l) files in $out"
