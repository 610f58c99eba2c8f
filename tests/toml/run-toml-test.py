#!/usr/bin/env python3
"""Runs brig's TOML decoder over the toml-test suite (TOML 1.0.0 case list) and prints TAP.

Usage: run-toml-test.py DECODER [SUITE_DIR]

The suite is found at SUITE_DIR, else $BRIG_SRC/../shared/toml-test (CI clones the repo with
shared/ beside it), else $TOML_TEST_DIR. Valid cases must decode to JSON equal to the expected
.json, compared by value as toml-test does (floats numerically, nan == nan, date-times as
instants/fields rather than as text). Invalid cases must be refused with exit status 1; a
crash or sanitizer report fails the case either way.
"""
import concurrent.futures
import json
import math
import os
import re
import subprocess
import sys

TAGGED = {"string", "integer", "float", "bool", "datetime", "datetime-local", "date-local",
          "time-local"}


def suite_dir(argv):
    candidates = []
    if len(argv) > 2:
        candidates.append(argv[2])
    src = os.environ.get("BRIG_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
    candidates.append(os.path.join(src, "..", "shared", "toml-test"))
    if os.environ.get("TOML_TEST_DIR"):
        candidates.append(os.environ["TOML_TEST_DIR"])
    for c in candidates:
        if os.path.isfile(os.path.join(c, "tests", "files-toml-1.0.0")):
            return os.path.realpath(c)
    return None


DT = re.compile(r"^(?:(\d{4})-(\d{2})-(\d{2}))?[Tt ]?"
                r"(?:(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
                r"([Zz]|[+-]\d{2}:\d{2})?$")


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def dt_key(kind, text):
    """A comparable value: the UTC instant for offset date-times, the fields otherwise."""
    m = DT.match(text)
    if not m:
        return ("unparsable", text)
    y, mo, d, h, mi, s, frac, off = m.groups()
    frac = (frac or "").rstrip("0")
    if kind != "datetime":
        return (y, mo, d, h, mi, s or "00", frac, off)
    secs = (days_from_civil(int(y), int(mo), int(d)) * 86400 + int(h) * 3600 + int(mi) * 60
            + int(s or 0))
    if off and off not in "Zz":
        sign = -1 if off[0] == "+" else 1
        secs += sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return (secs, frac)


def float_eq(a, b):
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y


def is_tagged(v):
    return (isinstance(v, dict) and set(v) == {"type", "value"}
            and isinstance(v["type"], str) and isinstance(v["value"], str))


def compare(want, got, path="root"):
    """None when equal, else a short description of the first difference."""
    if is_tagged(want):
        if not is_tagged(got):
            return f"{path}: want a {want['type']}, got {json.dumps(got)[:80]}"
        if want["type"] != got["type"]:
            return f"{path}: want type {want['type']}, got {got['type']}"
        t, a, b = want["type"], want["value"], got["value"]
        if t == "float":
            ok = float_eq(a, b)
        elif t == "integer":
            ok = int(a) == int(b)
        elif t in ("datetime", "datetime-local", "date-local", "time-local"):
            ok = dt_key(t, a) == dt_key(t, b)
        else:
            ok = a == b
        return None if ok else f"{path}: want {t} {a!r}, got {b!r}"
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: want an array of {len(want)}, got {json.dumps(got)[:80]}"
        for i, (w, g) in enumerate(zip(want, got)):
            d = compare(w, g, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or is_tagged(got):
            return f"{path}: want a table, got {json.dumps(got)[:80]}"
        if set(want) != set(got):
            return (f"{path}: keys differ: missing {sorted(set(want) - set(got))}, "
                    f"extra {sorted(set(got) - set(want))}")
        for k in want:
            d = compare(want[k], got[k], f"{path}.{k}")
            if d:
                return d
        return None
    return None if want == got else f"{path}: want {want!r}, got {got!r}"


def sanitizer_report(stderr):
    return "Sanitizer" in stderr or "runtime error:" in stderr


def run_case(decoder, root, rel):
    """(ok, detail) for one case."""
    with open(os.path.join(root, rel), "rb") as f:
        data = f.read()
    try:
        r = subprocess.run([decoder], input=data, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    err = r.stderr.decode("utf-8", "replace")
    if sanitizer_report(err) or r.returncode not in (0, 1):
        return False, f"decoder crashed (status {r.returncode}): {err.strip()[:300]}"
    if rel.startswith("invalid/"):
        if r.returncode == 1:
            return True, err.strip()
        return False, "accepted invalid input"
    if r.returncode != 0:
        return False, f"refused valid input: {err.strip()}"
    with open(os.path.join(root, rel[:-len(".toml")] + ".json"), encoding="utf-8") as f:
        want = json.load(f)
    try:
        got = json.loads(r.stdout.decode("utf-8"))
    except ValueError as e:
        return False, f"decoder printed bad JSON: {e}"
    diff = compare(want, got)
    return (diff is None), (diff or "")


def main(argv):
    if len(argv) < 2:
        print("usage: run-toml-test.py DECODER [SUITE_DIR]", file=sys.stderr)
        return 2
    decoder = os.path.realpath(argv[1])
    base = suite_dir(argv)
    if not base:
        print("1..0 # SKIP toml-test suite not found (set TOML_TEST_DIR or clone shared/ "
              "beside the repo)")
        return 0
    root = os.path.join(base, "tests")
    with open(os.path.join(root, "files-toml-1.0.0"), encoding="utf-8") as f:
        cases = [line.strip() for line in f if line.strip().endswith(".toml")]
    print(f"1..{len(cases)}")
    failures = []
    jobs = int(os.environ.get("TOML_TEST_JOBS", "2"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda c: run_case(decoder, root, c), cases)
        for n, (case, (ok, detail)) in enumerate(zip(cases, results), 1):
            name = case[:-len(".toml")]
            if ok:
                print(f"ok {n} - {name}")
            else:
                print(f"not ok {n} - {name}")
                print(f"# {detail}")
                failures.append((name, detail))
    print(f"# toml-test 1.0.0: {len(cases) - len(failures)}/{len(cases)} passed")
    for name, detail in failures:
        print(f"# FAIL {name}: {detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
