"""What the Python converters of the BBC corpus share: their arguments, reading the articles,
the output folder, slugs."""
import argparse
import os
import re
import shutil
import sys


def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def read_articles(corpus):
    """Every article as (category, file stem, headline, paragraphs), in path order. A file that
    is not UTF-8 is read as Latin-1 and one without a body is skipped, each with a note."""
    articles = []
    for category in sorted(os.listdir(corpus)):
        folder = os.path.join(corpus, category)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".txt"):
                continue
            raw = open(os.path.join(folder, name), "rb").read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                print(f"note: {category}/{name} is not UTF-8; read as Latin-1", file=sys.stderr)
                text = raw.decode("latin-1")
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if len(lines) < 2:
                print(f"note: {category}/{name} has no body; skipped", file=sys.stderr)
                continue
            articles.append((category, name[:-4], lines[0], lines[1:]))
    return articles


def start(description):
    """Parses `CORPUS_DIR OUT_DIR [--scale N]`, reads the articles, and makes OUT_DIR afresh
    with the content folders and a copy of the repository's site themes. Returns the arguments
    and the articles."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("corpus")
    parser.add_argument("out")
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    articles = read_articles(args.corpus)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    for folder in ("sources", "entities", "themes", "annotations"):
        os.makedirs(os.path.join(args.out, "content", folder))
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copytree(os.path.join(here, "..", "themes"), os.path.join(args.out, "themes"))
    return args, articles
