#!/usr/bin/env python3
"""Adversarial input for the scanner: long runs of the base64 alphabet (what every token rule
is made of), in lines of 48 KiB, and one file of a single 8 MiB line.
Usage: gen_adversarial.py OUTDIR SIZE_MIB"""
import base64
import os
import random
import sys

out, size = sys.argv[1], int(sys.argv[2]) << 20
os.makedirs(out, exist_ok=True)
r = random.Random(7)
rnd = lambda n: bytes(r.getrandbits(8) for _ in range(n))
block = [base64.b64encode(rnd(48 * 768)) for _ in range(16)]  # reused: generation stays fast
with open(os.path.join(out, "runs.b64"), "wb") as f:
    n = 0
    while n < size:
        b = block[r.randrange(16)]
        f.write(b + b"\n")
        n += len(b) + 1
with open(os.path.join(out, "oneline.b64"), "wb") as f:
    f.write(b"".join(block[i % 16] for i in range(256)) + b"\n")
