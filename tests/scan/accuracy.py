#!/usr/bin/env python3
"""Precision and recall of `brig scan` on a generated corpus, per rule family.

    accuracy.py MANIFEST.json FINDINGS.json [--min-precision P] [--min-recall R]
                [--min-all-precision P] [--min-all-recall R] [-v]

FINDINGS.json is `brig scan --json CORPUS/tree` run from CORPUS. A planted secret counts as
found when a finding in its file lies on one of its lines (any rule: a token that two formats
share is still found). A finding is a true positive when it lies on a planted secret's lines;
anything else (every finding in the hard negatives) is a false positive. Exits 1 when a floor
is missed: --min-* per family, --min-all-* over the whole corpus.
"""
import collections
import json
import os
import sys


def main():
    args = sys.argv[1:]
    floors = {"precision": 0.0, "recall": 0.0, "all-precision": 0.0, "all-recall": 0.0}
    verbose = "-v" in args
    for k in floors:
        opt = f"--min-{k}"
        if opt in args:
            floors[k] = float(args[args.index(opt) + 1])
    manifest = json.load(open(args[0]))
    doc = json.load(open(args[1]))
    if isinstance(doc, list):
        # secretlint's JSON (ESLint-style), for the side-by-side comparison in bench/scan
        findings = [{"file": r["filePath"], "line": m["loc"]["start"]["line"], "rule": m["ruleId"],
                     "family": "(secretlint)", "preview": m.get("messageId", "")}
                    for r in doc for m in r.get("messages", [])]
    else:
        findings = doc["findings"]

    def norm(p):
        p = os.path.normpath(p)
        i = p.find("tree/")
        return p[i + 5:] if i >= 0 else p

    by_file = collections.defaultdict(list)
    for f in findings:
        by_file[norm(f["file"])].append(f)
    planted = collections.defaultdict(list)
    for m in manifest:
        planted[m["file"]].append(m)

    fam = collections.defaultdict(lambda: {"planted": 0, "found": 0, "tp": 0, "fp": 0, "exact": 0})
    misses, fps = [], []
    for m in manifest:
        s = fam[m["family"]]
        s["planted"] += 1
        hits = [f for f in by_file.get(m["file"], []) if m["first"] <= f["line"] <= m["last"]]
        if hits:
            s["found"] += 1
            s["exact"] += any(f["rule"] == m["rule"] for f in hits)
        else:
            misses.append(m)
    for path, fs in by_file.items():
        for f in fs:
            ok = any(m["first"] <= f["line"] <= m["last"] for m in planted.get(path, []))
            fam[f["family"]]["tp" if ok else "fp"] += 1
            if not ok:
                fps.append((path, f))

    failed = False
    tot = {"planted": 0, "found": 0, "tp": 0, "fp": 0, "exact": 0}
    print(f"{'family':<13} {'planted':>7} {'found':>6} {'recall':>7} {'findings':>8} {'FP':>4} {'precision':>9} {'same rule':>9}")
    for name in sorted(fam):
        s = fam[name]
        for k in tot:
            tot[k] += s[k]
        rec = s["found"] / s["planted"] if s["planted"] else 1.0
        prec = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        exact = s["exact"] / s["planted"] if s["planted"] else 1.0
        print(f"{name:<13} {s['planted']:>7} {s['found']:>6} {rec:>7.3f} {s['tp'] + s['fp']:>8} {s['fp']:>4} {prec:>9.3f} {exact:>9.3f}")
        if rec < floors["recall"] or prec < floors["precision"]:
            failed = True
    rec = tot["found"] / tot["planted"] if tot["planted"] else 1.0
    prec = tot["tp"] / (tot["tp"] + tot["fp"]) if tot["tp"] + tot["fp"] else 1.0
    if rec < floors["all-recall"] or prec < floors["all-precision"]:
        failed = True
    print(f"{'all':<13} {tot['planted']:>7} {tot['found']:>6} {rec:>7.3f} {tot['tp'] + tot['fp']:>8} {tot['fp']:>4} {prec:>9.3f} {tot['exact'] / max(tot['planted'], 1):>9.3f}")
    if verbose or failed:
        for m in misses[:60]:
            print(f"missed: {m['rule']} in {m['file']}:{m['first']}")
        for path, f in fps[:60]:
            print(f"false positive: {f['rule']} at {path}:{f['line']} {f['preview']}")
    if failed:
        print(f"below the floors {floors}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
