#!/usr/bin/env python3
"""Writes realistic seed inputs for the fuzz targets from the briefing's own content and the
test fixtures: annotation files for `annotation_parse`, source Markdown for `reader_text`, and
(source paragraph, quote, prefix, suffix) for `anchor`, encoded the way `arbitrary` 1.x decodes
the target's `Input` struct.

Usage, from the repository root: python3 fuzz/seed_corpus.py OUT_DIR
It writes OUT_DIR/<target>/<name>. Seeds are starting points only: merge them into
fuzz/corpus/<target> with `cargo fuzz cmin` (see docs/fuzzing.md), which keeps only inputs that
add coverage. Check an anchor seed decodes as meant with `cargo fuzz fmt anchor FILE`.
"""

import glob
import hashlib
import os
import re
import sys

import yaml


def write(out_dir, target, data):
    folder = os.path.join(out_dir, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)


def size_width(remaining):
    """How many bytes `Unstructured::arbitrary_byte_size` takes from the end of the data."""
    if remaining <= 1:
        return remaining  # 0: nothing to take; 1: the byte is dropped and the size is 0
    if remaining <= 0xFF + 1:
        return 1
    if remaining <= 0xFFFF + 2:
        return 2
    return 4


def encode_anchor_input(markdown, quote, prefix, suffix):
    """Bytes that `Input::arbitrary_take_rest` (fields markdown, quote, prefix, suffix, all
    `String` or `Option<String>`) decodes into exactly these values.

    Strings read their byte length from the end of the data (big-endian, in as many bytes as
    the remaining length needs), then their bytes from the front; an `Option` reads one byte
    from the front (odd: `Some`). The last field is an `Option`, which has no `take_rest` of its
    own, so it decodes like the others.
    """
    fields = [
        (None, markdown.encode()),
        (None, quote.encode()),
        (prefix is not None, (prefix or "").encode()),
        (suffix is not None, (suffix or "").encode()),
    ]
    widths = [1, 1, 1, 1]
    for _ in range(8):  # the widths depend on the total length: iterate to a fixed point
        front = bytearray()
        back = []
        remaining = sum(
            (1 if flag is not None else 0) + (len(value) + widths[i] if flag is not False else 0)
            for i, (flag, value) in enumerate(fields)
        )
        new_widths = list(widths)
        for i, (flag, value) in enumerate(fields):
            if flag is not None:
                front.append(1 if flag else 0)
                remaining -= 1
                if not flag:
                    continue
            width = size_width(remaining)
            new_widths[i] = width
            if len(value) > max(remaining - width, 0):
                raise ValueError("string too long to encode")
            back.append(len(value).to_bytes(width, "big") if width else b"")
            remaining -= width + len(value)
            front += value
        if new_widths == widths:
            return bytes(front) + b"".join(reversed(back))
        widths = new_widths
    raise ValueError("size widths did not settle")


def strip_front_matter(text):
    match = re.match(r"---\r?\n.*?\r?\n(---|\.\.\.)\r?\n", text, re.S)
    return text[match.end():] if match else text


def paragraph_with(body, quote):
    """The blank-line-separated block of `body` that holds the quote's first words."""
    probe = " ".join(quote.split()[:4])
    for block in re.split(r"\r?\n\s*\r?\n", body):
        if probe and probe in " ".join(block.split()):
            return block
    return None


def annotation_files(root):
    return sorted(
        glob.glob(os.path.join(root, "content/annotations/**/*.*"), recursive=True)
        + glob.glob(os.path.join(root, "tests/fixtures/*/*/content/annotations/**/*.*"), recursive=True)
    )


def main():
    out_dir = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    for path in annotation_files(root):
        with open(path, "rb") as file:
            data = file.read()
        if len(data) <= 64 * 1024:
            write(out_dir, "annotation_parse", data)

    sources = sorted(
        glob.glob(os.path.join(root, "content/sources/*.md"))
        + glob.glob(os.path.join(root, "tests/fixtures/*/*/content/sources/*.md"))
    )
    for path in sources:
        with open(path, "rb") as file:
            write(out_dir, "reader_text", file.read())

    for path in annotation_files(root):
        if not path.endswith((".yaml", ".yml")):
            continue
        content_dir = path[: path.index("/annotations/")]
        try:
            with open(path, encoding="utf-8") as file:
                document = yaml.safe_load(file)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if not isinstance(document, dict) or not isinstance(document.get("annotations"), list):
            continue
        source_path = os.path.join(content_dir, "sources", f"{document.get('source')}.md")
        if not os.path.exists(source_path):
            continue
        with open(source_path, encoding="utf-8") as file:
            body = strip_front_matter(file.read())
        whole_document_used = False
        for item in document["annotations"]:
            if not isinstance(item, dict) or not isinstance(item.get("quote"), str):
                continue
            quote = item["quote"]
            prefix = item.get("prefix") if isinstance(item.get("prefix"), str) else None
            suffix = item.get("suffix") if isinstance(item.get("suffix"), str) else None
            markdown = paragraph_with(body, quote)
            if markdown is None or not whole_document_used:
                # One seed per source with the whole document, so ambiguity and drift across
                # paragraphs are in the corpus too.
                markdown, whole_document_used = body, True
            write(out_dir, "anchor", encode_anchor_input(markdown, quote, prefix, suffix))


if __name__ == "__main__":
    main()
