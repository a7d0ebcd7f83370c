#!/usr/bin/env python3
"""A second converter of the BBC corpus into a gloss briefing, shaped unlike
examples/bbc_briefing.rs, so the benchmark is not tuned to one converter's output.

    python3 bench/markdown_briefing.py CORPUS_DIR OUT_DIR [--scale N]

What differs from the Rust converter: one Markdown annotation file per annotation (front matter
plus the note as the body), front matter written by PyYAML (long strings folded over several
lines), a `url` on every source (so every note links to its passage in the original with a text
fragment), a surname alias for people, two themes per annotation (the category and one of three
cross-cutting themes), up to three entity tags per annotation, and no Markdown escaping of the
article text. Needs PyYAML. Output is deterministic.
"""
import collections
import os
import re
import sys

import yaml

from bbc_corpus import slugify, start

NAME = re.compile(r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)+)\b")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CROSS_THEMES = ["money", "people", "policy"]
KINDS = ["note", "claim", "context", "question"]


def front_matter(fields):
    return "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) + "---\n\n"


def main():
    args, articles = start(__doc__.split("\n\n")[0])
    out = args.out
    with open(os.path.join(out, "site.toml"), "w") as f:
        f.write('title = "BBC News, second converter"\nbase_url = "https://example.org/bbc-md/"\n')
    with open(os.path.join(out, "content", "_index.md"), "w") as f:
        f.write(front_matter({"title": "BBC News, second converter"}) + "Benchmark briefing.\n")

    categories = sorted({a[0] for a in articles})
    themes = categories + CROSS_THEMES
    for order, theme in enumerate(themes):
        with open(os.path.join(out, "content", "themes", f"{theme}.md"), "w") as f:
            f.write(front_matter({"title": theme.title(), "order": order}) + f"Articles on {theme}.\n")

    # Entities: capitalised runs of words found in at least three articles.
    frequency = collections.Counter()
    for _, _, _, paragraphs in articles:
        frequency.update(set(NAME.findall(" ".join(paragraphs))))
    names = sorted(n for n, k in frequency.items() if k >= 3)
    slugs, taken_aliases = {}, set(names)
    for name in names:
        slug = "e-" + slugify(name)
        if slug in slugs.values():
            continue
        slugs[name] = slug
        fields = {"name": name, "kind": "person" if len(name.split()) == 2 else "organization"}
        surname = name.split()[-1]
        if len(name.split()) == 2 and surname not in taken_aliases and surname not in frequency:
            taken_aliases.add(surname)
            fields["aliases"] = [surname]
        with open(os.path.join(out, "content", "entities", f"{slug}.md"), "w") as f:
            f.write(front_matter(fields) + f"{name}, as named in the articles.\n")

    n_sources = n_annotations = 0
    for copy in range(1, args.scale + 1):
        for category, stem, headline, paragraphs in articles:
            slug = f"{category}-{stem}" + ("" if copy == 1 else f"-c{copy}")
            day = int(stem) % 28 + 1 if stem.isdigit() else 1
            source = {
                "title": headline,
                "publisher": "BBC News",
                "url": f"https://www.bbc.co.uk/news/{category}/{stem}",
                "date": f"2005-01-{day:02d}",
            }
            with open(os.path.join(out, "content", "sources", f"{slug}.md"), "w") as f:
                f.write(front_matter(source) + "\n\n".join(paragraphs) + "\n")
            n_sources += 1
            text = " ".join(paragraphs)
            sentences = [s for p in paragraphs for s in SENTENCE_END.split(p) if len(s) > 40]
            picked = []
            for sentence in sentences:
                if text.count(sentence) == 1 and all(
                    sentence not in other and other not in sentence for other in picked
                ):
                    picked.append(sentence)
                if len(picked) == 10:
                    break
            folder = os.path.join(out, "content", "annotations", slug)
            os.makedirs(folder)
            for number, quote in enumerate(picked):
                tags = sorted({slugs[n] for n in NAME.findall(quote) if n in slugs})[:3]
                fields = {
                    "source": slug,
                    "quote": quote,
                    "kind": KINDS[number % len(KINDS)],
                    "entities": tags,
                    "themes": [category, CROSS_THEMES[number % len(CROSS_THEMES)]],
                }
                if fields["kind"] == "claim":
                    fields["status"] = "unverified"
                note = f"Why passage {number + 1} of this article matters.\n"
                with open(os.path.join(folder, f"{number:02d}.md"), "w") as f:
                    f.write(front_matter(fields) + note)
                n_annotations += 1
    print(
        f"wrote {n_sources} sources, {len(slugs)} entities, {len(themes)} themes, "
        f"{n_annotations} annotations to {out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
