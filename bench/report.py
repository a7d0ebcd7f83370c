#!/usr/bin/env python3
"""Reads what bench/run.sh measured and prints the table and the targets of issue 6.

Usage: report.py RESULTS_DIR --scales "1 4" --runs N --mem-runs N [--setup-seconds S] [--total-seconds S]

RESULTS_DIR/x<scale>/ holds round-<i>.json (hyperfine --export-json, one run of each command per
round), memory.tsv (command, peak KiB per line, from /usr/bin/time -f %M), gloss-summary.txt and
hugo-pages.txt. Wall-time statistics pool the `times` of every round. Writes
RESULTS_DIR/summary.json. Exit status: 0 every target met, 1 some target missed, 2 data missing.
"""
import argparse
import json
import pathlib
import re
import statistics
import sys

COMMANDS = ["gloss build", "hugo", "gloss check"]
BUILD_OVER_HUGO = 0.30
CHECK_OVER_BUILD = 0.50
PEAK_MIB = {1: 150, 4: 400}


def load_scale(folder: pathlib.Path, runs: int) -> dict:
    times = {name: [] for name in COMMANDS}
    for round_file in sorted(folder.glob("round-*.json")):
        for result in json.loads(round_file.read_text())["results"]:
            times[result["command"]].extend(result["times"])
    peaks = {name: [] for name in COMMANDS}
    for line in (folder / "memory.tsv").read_text().splitlines():
        name, kib = line.split("\t")
        peaks[name].append(int(kib) / 1024)
    commands = {}
    for name in COMMANDS:
        if len(times[name]) != runs or not peaks[name]:
            raise ValueError(f"{folder}: {len(times[name])} timed runs of `{name}`, expected {runs}")
        commands[name] = {
            "median_s": statistics.median(times[name]),
            "min_s": min(times[name]),
            "max_s": max(times[name]),
            "times_s": times[name],
            "peak_mib": max(peaks[name]),
            "peaks_mib": peaks[name],
        }
    gloss_summary = (folder / "gloss-summary.txt").read_text().strip()
    gloss_summary = re.sub(r" into .*$", "", gloss_summary)
    hugo_pages = (folder / "hugo-pages.txt").read_text().strip()
    return {"commands": commands, "gloss": gloss_summary, "hugo_html_pages": int(hugo_pages)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=pathlib.Path)
    parser.add_argument("--scales", required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--mem-runs", type=int, required=True)
    parser.add_argument("--setup-seconds", type=int)
    parser.add_argument("--total-seconds", type=int)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split()]
    try:
        data = {scale: load_scale(args.results / f"x{scale}", args.runs) for scale in scales}
    except (OSError, ValueError, KeyError) as error:
        print(f"bench: incomplete results: {error}", file=sys.stderr)
        return 2

    environment = (args.results / "environment.txt").read_text().splitlines()
    print(f"\ngloss bench: {', '.join(environment)}")
    print(
        f"wall: {args.runs} timed runs per command after 1 warm-up, alternating "
        f"build, hugo, check (hyperfine, one round per invocation); output on tmpfs"
    )
    print(f"peak memory: max RSS of {args.mem_runs} run(s) per command alone (/usr/bin/time -f %M)")
    for scale in scales:
        scale_data = data[scale]
        print(f"\nx{scale}: gloss {scale_data['gloss'] or '?'}; hugo: {scale_data['hugo_html_pages']} HTML pages")
        print(f"  {'command':<12} {'median':>9} {'min':>9} {'max':>9} {'peak MiB':>9}")
        for name, c in scale_data["commands"].items():
            print(
                f"  {name:<12} {c['median_s']:>7.3f} s {c['min_s']:>7.3f} s "
                f"{c['max_s']:>7.3f} s {c['peak_mib']:>9.0f}"
            )

    targets = []

    def target(label: str, value: float, limit: float, unit: str, strict_less: bool = False):
        met = value < limit if strict_less else value <= limit
        targets.append({"target": label, "value": round(value, 3), "limit": limit, "met": met})
        relation = "<" if strict_less else "<="
        shown = f"{value:.0f} {unit}" if unit == "MiB" else f"{value:.2f}{unit}"
        limit_shown = f"{limit:g} {unit}" if unit == "MiB" else f"{limit:.2f}{unit}"
        print(f"  {label:<40} {shown:>9}  {relation} {limit_shown:<8} {'met' if met else 'MISSED'}")

    print("\ntargets (issue 6)")
    for scale in scales:
        c = data[scale]["commands"]
        build, hugo, check = (c[name]["median_s"] for name in COMMANDS)
        target(f"x{scale} gloss build / hugo, median wall", build / hugo, BUILD_OVER_HUGO, "x")
        target(f"x{scale} gloss check / gloss build", check / build, CHECK_OVER_BUILD, "x")
        gloss_peak = max(c["gloss build"]["peak_mib"], c["gloss check"]["peak_mib"])
        if scale in PEAK_MIB:
            target(f"x{scale} gloss peak memory (build, check)", gloss_peak, PEAK_MIB[scale], "MiB", True)
    if 1 in data:
        for scale in scales:
            if scale == 1:
                continue
            ratio = data[scale]["commands"]["gloss build"]["median_s"] / data[1]["commands"]["gloss build"]["median_s"]
            target(f"x{scale}/x1 gloss build median wall", ratio, scale, "x")
            hugo_ratio = data[scale]["commands"]["hugo"]["median_s"] / data[1]["commands"]["hugo"]["median_s"]
            print(f"  {f'(hugo x{scale}/x1 median wall: {hugo_ratio:.2f}x)':<40}")

    missed = [t for t in targets if not t["met"]]
    print(
        f"\n{len(targets) - len(missed)} of {len(targets)} targets met"
        + (" (not gating; --strict exits 1 on a miss)" if missed else "")
    )
    if args.total_seconds is not None:
        print(
            f"bench took {args.total_seconds} s, of which cargo build {args.setup_seconds} s; "
            f"raw data in {args.results}"
        )
    summary = {
        "environment": environment,
        "runs": args.runs,
        "mem_runs": args.mem_runs,
        "scales": {f"x{scale}": data[scale] for scale in scales},
        "targets": targets,
    }
    (args.results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
