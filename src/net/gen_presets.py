#!/usr/bin/env python3
"""Turns data/net-presets/NAME.txt (one host rule a line, '#' comments) into a C table, so the
preset lists stay plain data in the source tree and the brig binary needs no data files."""
import os
import sys

out, inputs = sys.argv[1], sorted(sys.argv[2:])
with open(out, "w") as f:
    f.write("/* Generated from data/net-presets by gen_presets.py; do not edit. */\n")
    f.write('#include "net/presets.h"\n\nconst struct net_preset net_presets[] = {\n')
    for path in inputs:
        name = os.path.splitext(os.path.basename(path))[0]
        rules = []
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                if not all(c.isalnum() or c in ".-*:/[]" for c in line):
                    sys.exit(f"{path}: bad rule {line!r}")
                rules.append(line)
        f.write('\t{"%s", "%s"},\n' % (name, "\\n".join(rules)))
    f.write("\t{0, 0},\n};\n")
