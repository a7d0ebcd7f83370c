#!/usr/bin/env python3
"""A third converter of the BBC corpus into a gloss briefing, shaped unlike the other two:
richer annotations, so that the benchmark also covers briefings written by hand.

    python3 bench/rich_briefing.py CORPUS_DIR OUT_DIR [--scale N]

What differs from examples/bbc_briefing.rs and bench/markdown_briefing.py: one YAML file per
source in the block style editors write (ids, `|` notes), twelve annotations per source, notes of
two Markdown paragraphs with emphasis, code, an external link and an `@/` link to an entity page
(so every note is parsed and its internal links checked), three themes per annotation (the
category and two of six cross-cutting themes), up to four entity tags, every kind and status,
an author and a date on every annotation, entities named in at least two articles (about 3,200),
with initialisms as aliases, and entity descriptions with a link. Standard library only; output
is deterministic.
"""
import collections
import json
import os
import re
import sys

from bbc_corpus import slugify, start

NAME = re.compile(r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)+)\b")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CROSS_THEMES = ["money", "people", "policy", "technology", "europe", "law"]
KINDS = ["note", "claim", "context", "question"]
STATUSES = ["supported", "disputed", "unverified"]
ENTITY_KINDS = ["person", "organization", "place", "product"]
PER_SOURCE = 12


def quoted(text):
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def quotable(sentence):
    """Sentences a reader sees as written: no character references, list markers or leading
    numbers (which Markdown would turn into something else)."""
    return (
        len(sentence) > 30
        and "&#" not in sentence
        and not sentence.startswith(("- ", "* ", "+ "))
        and not sentence[:1].isdigit()
    )


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    args, articles = start(__doc__.split("\n\n")[0])
    out = args.out
    write(
        os.path.join(out, "site.toml"),
        'title = "BBC News, third converter"\nbase_url = "https://example.org/bbc-rich/"\n',
    )
    write(
        os.path.join(out, "content", "_index.md"),
        '---\ntitle: "BBC News, third converter"\n---\n\nBenchmark briefing.\n',
    )

    categories = sorted({a[0] for a in articles})
    for order, theme in enumerate(categories + CROSS_THEMES):
        write(
            os.path.join(out, "content", "themes", f"{theme}.md"),
            f"---\ntitle: {quoted(theme.title())}\norder: {order}\n---\n\nArticles on *{theme}*.\n",
        )

    frequency = collections.Counter()
    for _, _, _, paragraphs in articles:
        frequency.update(set(NAME.findall(" ".join(paragraphs))))
    slugs, aliases = {}, set()
    for name in sorted(n for n, k in frequency.items() if k >= 2):
        slug = slugify(name)
        if slug in slugs.values():
            continue
        slugs[name] = slug
        words = name.split()
        fields = f"name: {quoted(name)}\nkind: {ENTITY_KINDS[len(name) % len(ENTITY_KINDS)]}\n"
        initials = "".join(word[0] for word in words)
        if len(words) >= 3 and initials not in frequency and initials not in aliases:
            aliases.add(initials)
            fields += f"aliases: [{quoted(initials)}]\n"
        write(
            os.path.join(out, "content", "entities", f"{slug}.md"),
            f"---\n{fields}---\n\n**{name}**, as named in the articles. "
            "See [the BBC](https://www.bbc.co.uk/).\n",
        )

    n_sources = n_annotations = 0
    for copy in range(1, args.scale + 1):
        for category, stem, headline, paragraphs in articles:
            slug = f"{category}-{stem}" + ("" if copy == 1 else f"-c{copy}")
            day = int(stem) % 28 + 1 if stem.isdigit() else 1
            url = f"https://www.bbc.co.uk/news/{category}/{stem}"
            write(
                os.path.join(out, "content", "sources", f"{slug}.md"),
                f"---\ntitle: {quoted(headline)}\npublisher: \"BBC News\"\n"
                f"author: \"BBC staff\"\nurl: \"{url}\"\ndate: 2005-02-{day:02d}\n---\n\n"
                + "\n\n".join(paragraphs)
                + "\n",
            )
            n_sources += 1
            text = " ".join(paragraphs)
            picked = []
            for sentence in (s for p in paragraphs for s in SENTENCE_END.split(p)):
                if quotable(sentence) and text.count(sentence) == 1 and all(
                    sentence not in other and other not in sentence for other in picked
                ):
                    picked.append(sentence)
                if len(picked) == PER_SOURCE:
                    break
            lines = [f"source: {slug}", "annotations:"]
            for number, quote in enumerate(picked):
                tags = sorted({slugs[n] for n in NAME.findall(quote) if n in slugs})[:4]
                kind = KINDS[number % len(KINDS)]
                link = f" Compare [{tags[0]}](@/entities/{tags[0]}/)." if tags else ""
                themes = [category, CROSS_THEMES[number % 6], CROSS_THEMES[(number + 2) % 6]]
                lines += [
                    f"  - id: {slug}-a{number}",
                    f"    quote: {quoted(quote)}",
                    f"    kind: {kind}",
                ]
                if kind == "claim":
                    lines.append(f"    status: {STATUSES[number % len(STATUSES)]}")
                lines += [
                    "    note: |",
                    f"      Passage {number + 1} of *{headline[:30]}* matters because of "
                    f"**context**.{link}",
                    "",
                    f"      A second paragraph with a [source]({url}) link and `code`.",
                    f"    entities: [{', '.join(tags)}]",
                    f"    themes: [{', '.join(themes)}]",
                    "    author: Desk",
                    f"    date: 2026-01-{number + 1:02d}",
                ]
                n_annotations += 1
            write(
                os.path.join(out, "content", "annotations", f"{slug}.yaml"),
                "\n".join(lines) + "\n",
            )
    print(
        f"wrote {n_sources} sources, {len(slugs)} entities, "
        f"{len(categories) + len(CROSS_THEMES)} themes, {n_annotations} annotations to {out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
