#!/usr/bin/env bash
# Runs the whole test suite: unit tests, pcap fixtures, and integration tests that build real network
# namespaces, veth pairs and TAPs around a real swiveld (those need root; without it they are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/setup-deps.sh
# Every run-time trap in Sources/ has a reason in Scripts/trap-allowlist.tsv; a new one fails here.
/usr/bin/python3 Scripts/trap-audit.py
# The layering of Docs/architecture.md's import rules holds in Package.swift and in every source file.
/usr/bin/python3 Scripts/check-imports.py
swift build --build-tests
swift test --skip-build "$@"
