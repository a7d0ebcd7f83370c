#!/usr/bin/env bash
# search.sh — build the seed briefing for https://example.github.io/briefing/ into a temporary
# folder and search it in headless Chromium under /briefing/ (tests/browser/search.mjs).
# Prints search.mjs's lines, its summary last. Exit 0 pass, 1 fail, 2 setup problem.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$(mktemp -d)/site"
trap 'rm -rf "$(dirname "$out")"' EXIT
if ! (cd "$repo" && cargo run --quiet -- build --root "$repo" --output "$out" \
      --base-url https://example.github.io/briefing/ >/dev/null); then
  echo "search: FAIL (setup: gloss build failed)"; exit 2
fi
node "$here/search.mjs" "$out" /briefing/
