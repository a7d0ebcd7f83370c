#!/usr/bin/env bash
# run.sh — the real-browser test of `gloss serve`: builds gloss in release, then runs
# tests/browser/serve-reload.mjs with node. Needs node, Debian's chromium and playwright-core in
# $CHECKS_HOME (default ~/.cache/site-checks): `bash ../shared/checks/install.sh` installs them.
# Exit 0 when it passed, 1 otherwise; its last line is a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

checks_home="${CHECKS_HOME:-$HOME/.cache/site-checks}"
if [[ ! -d "$checks_home/node_modules/playwright-core" ]]; then
  echo "serve-reload: FAIL (playwright-core missing in $checks_home; run shared/checks/install.sh)"
  exit 1
fi

cargo build --release --quiet
export GLOSS_BIN="$PWD/target/release/gloss"
exec node tests/browser/serve-reload.mjs
