#!/usr/bin/env bash
# The accuracy corpus (tests/scan/gen_corpus.py) through brig and through secretlint with its
# recommended preset: recall per family of planted secrets, false positives overall.
# Usage: accuracy_vs_secretlint.sh [BRIG]   (run bench/scan/run.sh first: it installs secretlint)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BRIG=${1:-${BRIG:-$root/build/brig}}
out=$root/bench/out/scan/accuracy
rm -rf "$out" && mkdir -p "$out"
"$BRIG" scan --rules --json >"$out/rules.json"
python3 "$root/tests/scan/gen_corpus.py" "$out/rules.json" "$out/corpus" --seed 1 --per-rule 3
cd "$out/corpus"
"$BRIG" scan --json tree >"$out/brig.json" || true
printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' >"$out/secretlintrc.json"
"$here/node_modules/.bin/secretlint" --secretlintrc "$out/secretlintrc.json" --format json \
	--output "$out/secretlint.json" "tree/**/*" >/dev/null 2>&1 || true
echo "== brig"
python3 "$root/tests/scan/accuracy.py" manifest.json "$out/brig.json" || true
echo "== secretlint"
python3 "$root/tests/scan/accuracy.py" manifest.json "$out/secretlint.json" || true
