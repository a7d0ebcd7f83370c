#!/usr/bin/env python3
"""Shrinks a fuzz corpus to a commit-worthy size: picks files greedily, each time the one that
covers the most features (edges) not yet covered, until all are covered or MAX_FILES are picked.

`cargo fuzz cmin` keeps every file that adds a feature, in size order, which after a long run
is still hundreds or thousands of files; even a full set cover can be. This keeps the files
that carry most of the coverage. Input is the control file of a libFuzzer set-cover merge with
`-use_counters=0` (edges, not hit counts), whose `FT` lines list each file's whole coverage
(a plain `-merge=1` lists only what each file adds to the ones before it):

    target/x86_64-unknown-linux-gnu/release/TARGET -set_cover_merge=1 -use_counters=0 \
        -merge_control_file=/tmp/TARGET.ctl /tmp/empty-dir corpus/TARGET

Usage: python3 fuzz/shrink_corpus.py CONTROL_FILE CORPUS_DIR [MAX_FILES]
Files in CORPUS_DIR that are not picked are deleted; the coverage kept is printed.
"""

import os
import sys


def main():
    control_file, corpus_dir = sys.argv[1], sys.argv[2]
    max_files = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    with open(control_file) as file:
        lines = file.read().splitlines()
    n_files = int(lines[0])
    paths = lines[2 : 2 + n_files]
    sizes = {}
    features = {}
    for line in lines[2 + n_files :]:
        parts = line.split()
        if parts[0] == "STARTED":
            sizes[int(parts[1])] = int(parts[2])
        elif parts[0] == "FT":
            features[int(parts[1])] = set(map(int, parts[2:]))
    all_features = set().union(*features.values()) if features else set()
    covered = set()
    picked = []
    while len(picked) < max_files:
        # Most new features first; among equals, the smaller file.
        best = max(
            (index for index in features if index not in picked),
            key=lambda index: (len(features[index] - covered), -sizes.get(index, 0)),
            default=None,
        )
        if best is None or not features[best] - covered:
            break
        picked.append(best)
        covered |= features[best]
    keep = {os.path.basename(paths[index]) for index in picked}
    for name in os.listdir(corpus_dir):
        if name not in keep:
            os.remove(os.path.join(corpus_dir, name))
    print(
        f"kept {len(keep)} of {n_files} files, covering {len(covered)} of {len(all_features)} features"
    )


if __name__ == "__main__":
    main()
