#!/usr/bin/env bats
# Accuracy of brig scan on a corpus generated at test time (tests/scan/gen_corpus.py): true
# tokens for every rule embedded in realistic files, and hard negatives. The floors below are
# what the engine reaches (docs/SCANNING.md); a regression below them fails the suite.

setup() {
	T=$(mktemp -d)
}

teardown() {
	rm -rf "$T"
}

@test "scan accuracy: precision and recall floors per rule family" {
	"$BRIG" scan --rules --json >"$T/rules.json"
	python3 "$BRIG_SRC/tests/scan/gen_corpus.py" "$T/rules.json" "$T/corpus" --seed 1 --per-rule 3
	cd "$T/corpus"
	run "$BRIG" scan --json tree
	[ "$status" -eq 1 ]
	echo "$output" >"$T/findings.json"
	run python3 "$BRIG_SRC/tests/scan/accuracy.py" "$T/corpus/manifest.json" "$T/findings.json" \
		--min-precision 0.98 --min-recall 0.9 --min-all-precision 0.99 --min-all-recall 0.98
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "scan accuracy: hard negatives alone yield no finding" {
	"$BRIG" scan --rules --json >"$T/rules.json"
	python3 "$BRIG_SRC/tests/scan/gen_corpus.py" "$T/rules.json" "$T/corpus" --seed 2 --per-rule 1
	run "$BRIG" scan "$T/corpus/tree/neg"
	echo "$output"
	[ "$status" -eq 0 ]
}
