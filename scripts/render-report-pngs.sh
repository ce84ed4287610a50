#!/usr/bin/env bash
# Renders a sample audit-report PDF and its pages as PNGs into .tmp/report-pngs/, to look at the layout.
# Dev aid only, not part of npm test. Needs poppler's pdftoppm (apt-get install poppler-utils).
# Usage: scripts/render-report-pngs.sh [pools] [outOfPolicy] [demo]     (SKIP_BUILD=1 reuses dist/)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pdftoppm >/dev/null; then
  echo "pdftoppm not found: installing poppler-utils" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y poppler-utils; else sudo apt-get install -y poppler-utils; fi
fi

if [ "${SKIP_BUILD:-}" != 1 ]; then npm run build; fi
# The fixture model lives in test/: compile it (and the schema modules it imports) beside, not into, dist/.
npx tsc --outDir .tmp/report-fixture --rootDir . --module nodenext --moduleResolution nodenext --target es2023 \
  --skipLibCheck --esModuleInterop --types node test/helpers/report-fixture.ts

out=.tmp/report-pngs
rm -rf "$out" && mkdir -p "$out"
node scripts/sample-report.mjs "$out/sample-report.pdf" "${1:-12000}" "${2:-10000}" "${3:-}"
ls -l "$out/sample-report.pdf"
pdftoppm -r 60 -png "$out/sample-report.pdf" "$out/page"
echo "$(ls "$out"/page-*.png | wc -l) pages rendered to $out/"
