#!/usr/bin/env bash
# The profile-loader fuzz target: run-fuzz.sh with FUZZ_TARGET=profile (same arguments).
FUZZ_TARGET=profile exec bash "$(dirname "$0")/run-fuzz.sh" "$@"
