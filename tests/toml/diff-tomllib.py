#!/usr/bin/env python3
"""Differential check: brig's TOML decoder against Python's tomllib (TOML 1.0, Python >= 3.11)
over a directory of inputs, typically the fuzzer's grown corpus.

Usage: diff-tomllib.py DECODER DIR...

Both must accept or refuse each input alike and, when they accept, give the same values. Two
differences are intended and counted apart: tomllib takes integers of any size, while TOML 1.0
(and brig) refuses what does not fit in 64 bits; tomllib reads 1e400 as inf, while brig refuses
a float literal beyond the binary64 range (in a profile it can only be a mistake). A development aid, not a
registered test (the corpus lives in the fuzz build dir).
"""
import datetime
import json
import math
import os
import subprocess
import sys
import tomllib


def from_tomllib(v):
    if isinstance(v, dict):
        return {k: from_tomllib(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_tomllib(x) for x in v]
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("integer", v)
    if isinstance(v, float):
        return ("float", "nan" if math.isnan(v) else v)
    if isinstance(v, str):
        return ("string", v)
    if isinstance(v, datetime.datetime):
        return ("datetime" if v.tzinfo else "datetime-local", v.isoformat())
    if isinstance(v, datetime.date):
        return ("date-local", v.isoformat())
    if isinstance(v, datetime.time):
        return ("time-local", v.isoformat())
    return ("unknown", repr(v))


def parse_dt(t, v):
    # Python keeps microseconds only: compare at that precision.
    if "." in v:
        head, frac = v.split(".", 1)
        digits = frac[:len(frac) - len(frac.lstrip("0123456789"))]
        v = head + "." + (digits[:6].ljust(6, "0")) + frac[len(digits):]
    if t in ("datetime", "datetime-local"):
        return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).isoformat()
    if t == "date-local":
        return datetime.date.fromisoformat(v).isoformat()
    return datetime.time.fromisoformat(v).isoformat()


def from_brig(j):
    if isinstance(j, dict) and set(j) == {"type", "value"} and all(
            isinstance(x, str) for x in j.values()):
        t, v = j["type"], j["value"]
        if t == "bool":
            return (t, v == "true")
        if t == "integer":
            return (t, int(v))
        if t == "float":
            return (t, "nan" if v == "nan" else float(v))
        if t == "string":
            return (t, v)
        return (t, parse_dt(t, v))
    if isinstance(j, dict):
        return {k: from_brig(x) for k, x in j.items()}
    if isinstance(j, list):
        return [from_brig(x) for x in j]
    return j


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    decoder = argv[1]
    total = agree = intended = skipped = 0
    differ = []
    for d in argv[2:]:
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            total += 1
            try:
                ref, ref_ok = from_tomllib(tomllib.loads(data.decode("utf-8-sig"))), True
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as e:
                ref, ref_ok = str(e), False
            except RecursionError:  # tomllib recurses per nesting level; brig caps at 1000
                skipped += 1
                continue
            r = subprocess.run([decoder], input=data, capture_output=True, timeout=60)
            err = r.stderr.decode("utf-8", "replace").strip()
            if r.returncode not in (0, 1):
                differ.append((name, f"decoder crashed ({r.returncode}): {err[:200]}"))
            elif (r.returncode == 0) != ref_ok:
                if ref_ok and ("does not fit in 64 bits" in err or
                               "out of range for a 64-bit float" in err):
                    intended += 1
                    continue
                differ.append((name, f"brig {'accepts' if r.returncode == 0 else err}; "
                                     f"tomllib {'accepts' if ref_ok else ref}"))
            elif ref_ok and from_brig(json.loads(r.stdout)) != ref:
                differ.append((name, "values differ"))
            else:
                agree += 1
    print(f"{agree}/{total} agree, {intended} refused by brig only for numbers beyond 64 bits, "
          f"{skipped} too deep for tomllib, {len(differ)} differ")
    for name, why in differ:
        print(f"  {name}: {why[:300]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
