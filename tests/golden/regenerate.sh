#!/usr/bin/env bash
# Regenerate the golden extraction output after a deliberate model or extraction change; review the
# diff in the commit (`git diff tests/golden`) and say in its message why each difference is right.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/nkner extract samples/report-2024-returns.txt corpus/clean/00[0-4]_*.txt -f jsonl --no-progress \
  > tests/golden/extract.jsonl
echo "wrote tests/golden/extract.jsonl ($(wc -l < tests/golden/extract.jsonl) reports)"
