#!/usr/bin/env bash
# bench/serve-reload.sh — how soon `gloss serve` reloads after an annotation file is saved, at
# BBC scale.
#
#   bash bench/serve-reload.sh [--scale N] [--edits N] [--converter rust|rich]
#
# Converts the BBC News corpus (../shared/corpus/bbc, or $CORPUS) into a briefing on tmpfs with
# examples/bbc_briefing.rs (or bench/rich_briefing.py, whose notes all link inside the site, so
# every relink checks their links), starts `gloss serve` on it, then saves one annotation file
# --edits times (default 10), each a changed note written to a temporary file and renamed over
# the old one in one process, as editors save. For each save it reads the line serve prints
# (`... changed: reload sent 31 ms after the save`: from the first file event to the reload
# sent, debounce included) and times fetching the edited source page right after it, which
# makes that page. Prints the median, min and max of both against issue 6's target (reload
# within 50 ms of the save). Exit status: 0 when it ran (it does not gate), 2 on a failure.
set -Eeuo pipefail
trap 'echo "serve-reload: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2; exit 2' ERR
cd "$(dirname "$0")/.."

scale=1; edits=10; converter=rust
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale="${2:?}"; shift 2 ;;
    --edits) edits="${2:?}"; shift 2 ;;
    --converter) converter="${2:?}"; shift 2 ;;
    *) echo "serve-reload: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
corpus="${CORPUS:-../shared/corpus/bbc}"
[[ -d "$corpus" ]] || { echo "serve-reload: corpus not found at $corpus (set CORPUS)" >&2; exit 2; }
command -v curl >/dev/null || { echo "serve-reload: needs curl" >&2; exit 2; }

work="$(mktemp -d /dev/shm/gloss-serve-reload.XXXXXX)"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --bin gloss --example bbc_briefing
case "$converter" in
  rust) ./target/release/examples/bbc_briefing "$corpus" "$work/briefing" --scale "$scale" 2>/dev/null ;;
  rich) python3 bench/rich_briefing.py "$corpus" "$work/briefing" --scale "$scale" 2>/dev/null ;;
  *) echo "serve-reload: --converter is \`rust\` or \`rich\`, not \`$converter\`" >&2; exit 2 ;;
esac
file="$(find "$work/briefing/content/annotations" -name '*.yaml' | sort | sed -n 1p)"
slug="$(sed -n '1s/^source: *//p' "$file")"

./target/release/gloss serve --root "$work/briefing" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 600); do
  grep -q '^serving at ' "$work/serve.out" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; exit 2; }
  sleep 0.1
done
url="$(sed -n 's/^serving at //p' "$work/serve.out" | sed -n 1p)"
[[ -n "$url" ]] || { echo "serve-reload: serve did not start" >&2; exit 2; }
echo "serve-reload: x$scale, $converter converter, $(sed -n 1p "$work/serve.out")" >&2
curl -fsS -o /dev/null "${url}sources/$slug/"

# save FILE: standard input written beside FILE and renamed over it in one process, as an
# editor saves (with a shell `mv` after it, the time to start `mv` counted as serve's).
save() {
  python3 -c 'import os, sys
text = sys.stdin.buffer.read()
with open(sys.argv[1] + ".tmp", "wb") as f:
    f.write(text)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])' "$1"
}

page_ms=()
for i in $(seq "$edits"); do
  before="$(grep -c 'reload sent' "$work/serve.out" || true)"
  # The first note of the file, changed: written beside it and renamed over it.
  if [[ "$converter" == rust ]]; then
    sed "0,/note: \"[^\"]*\"/s//note: \"Edited note, save $i of the benchmark.\"/" "$file" | save "$file"
  else
    sed -E "0,/Passage 1( \(save [0-9]+ of the benchmark\))? of/s//Passage 1 (save $i of the benchmark) of/" "$file" | save "$file"
  fi
  for _ in $(seq 200); do
    (( $(grep -c 'reload sent' "$work/serve.out" || true) > before )) && break
    sleep 0.01
  done
  seconds="$(curl -fsS -o "$work/page.html" -w '%{time_total}' "${url}sources/$slug/")"
  grep -q "save $i of the benchmark" "$work/page.html" ||
    { echo "serve-reload: save $i does not show on the page" >&2; exit 2; }
  page_ms+=("$(python3 -c "print(round($seconds * 1000, 1))")")
  sleep 0.5
done

grep 'reload sent' "$work/serve.out" | sed -E 's/.*reload sent ([0-9]+) ms.*/\1/' >"$work/reload.txt"
python3 - "$work/reload.txt" "${page_ms[@]}" <<'EOF'
import statistics, sys
reload = [float(line) for line in open(sys.argv[1]) if line.strip()]
page = [float(x) for x in sys.argv[2:]]
def stats(values):
    return f"median {statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f}, n={len(values)})"
print(f"reload sent after the save: {stats(reload)}; target 50 ms: "
      f"{'met' if statistics.median(reload) <= 50 else 'MISSED'}")
print(f"edited source page fetched after the reload: {stats(page)}")
EOF
