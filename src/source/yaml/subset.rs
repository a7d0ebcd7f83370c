//! A hand-written reader for the narrow YAML that annotation files and front matter are written
//! in, which [`super::plain_tree`] tries before saphyr's parser.
//!
//! Owns the subset's definition: block mappings whose keys are words (`quote`, `entities`,
//! ...), the root one at the left edge; block lists (in their key's column or further right);
//! one-line flow lists (`[a, 'b']`); and text written plain (on one or more lines),
//! single-quoted, double-quoted (every YAML escape) or as a `|`/`>` block (with `-` or no
//! chomping indicator); with comments and blank lines between entries, CRLF line ends and a
//! leading byte order mark. It gives the same tree, values and spans as the parser's events
//! give (a test compares the two), and `None` for anything else, however valid: tabs, anchors,
//! aliases, tags, flow mappings, document markers, a key twice, null-like or empty values,
//! control characters, text on the line after its key, deep nesting, and every mistake.
//! It never reports a problem and never reads files: `None` sends the text down the parser's
//! path, which reads or reports it.
//!
//! Reading the subset by hand costs a fraction of the general parser, which keeps a token
//! queue, an indentation stack and a state machine, and checks every rule of YAML at every
//! character.

use super::{Place, Plain};
use crate::diagnostics::{Span, Spanned};

/// More nodes than this and the reader leaves the file to the parser, which has the budgets.
const MAX_NODES: usize = 50_000;

/// Collections nested deeper than this are left to the parser, which has the nesting limits
/// (and the reader's recursion stays shallow). Annotation files nest five deep.
const MAX_DEPTH: usize = 16;

/// Keys longer than this are left to the parser, which limits how far a key may reach.
const MAX_KEY_LEN: usize = 64;

/// `place.yaml` read as a tree, when every line of it is in the subset; `None` otherwise.
pub(super) fn read(place: Place<'_>) -> Option<Plain> {
    let text = place.yaml;
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if !only_plain_chars(&text.as_bytes()[start..]) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: start,
        place,
        n_nodes: 0,
        depth: 0,
        block_scalar_ended: false,
    };
    // The root: a mapping at the left edge, then nothing but blank and comment lines.
    let column = reader.next_content_line()?;
    if column != 0 {
        return None;
    }
    let (tree, next) = reader.mapping(0)?;
    match next {
        None => Some(tree),
        Some(_) => None,
    }
}

/// Whether `bytes` hold no char the reader leaves to the parser: tabs, control characters other
/// than line ends (a CR only before an LF), NEL and the other C1 controls, the line and paragraph
/// separators, a byte order mark past the start, and the non-characters U+FFFE and U+FFFF.
fn only_plain_chars(bytes: &[u8]) -> bool {
    // Most blocks are printable ASCII and line feeds: a test of the whole block without stopping
    // early, which the compiler turns into vector instructions, clears them.
    const BLOCK: usize = 32;
    let mut block_start = 0;
    for block in bytes.chunks(BLOCK) {
        let ascii = block.iter().fold(true, |all, &byte| {
            all & (((0x20..=0x7e).contains(&byte)) | (byte == b'\n'))
        });
        if !ascii && !(block_start..block_start + block.len()).all(|at| plain_char_at(bytes, at)) {
            return false;
        }
        block_start += block.len();
    }
    true
}

/// Whether the byte at `at` is allowed by [`only_plain_chars`], looking at the bytes after it
/// where it starts a sequence that may not be.
fn plain_char_at(bytes: &[u8], at: usize) -> bool {
    let byte = bytes[at];
    let next = |n: usize| bytes.get(at + n).copied().unwrap_or(0);
    match byte {
        0x20..=0x7e | b'\n' => true,
        b'\r' => next(1) == b'\n',
        0xc2 => !(0x80..=0x9f).contains(&next(1)),
        0xe2 => !(next(1) == 0x80 && matches!(next(2), 0xa8 | 0xa9)),
        0xef => !matches!(
            (next(1), next(2)),
            (0xbb, 0xbf) | (0xbf, 0xbe) | (0xbf, 0xbf)
        ),
        0x80.. => true,
        _ => false,
    }
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// The next byte to read.
    pos: usize,
    place: Place<'t>,
    n_nodes: usize,
    /// How many collections are open.
    depth: usize,
    /// Set by a block scalar, which reads up to the start of the line after it.
    block_scalar_ended: bool,
}

/// A word key: a letter or `_`, then letters, digits, `_` and `-`.
fn is_key_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Plain text that YAML reads as null (the parser's path refuses it too).
fn is_null_like(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

impl<'t> Reader<'t> {
    fn byte(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(0)
    }

    fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(
            self.place.file,
            self.place.offset + range.start..self.place.offset + range.end,
        )
    }

    fn count_node(&mut self) -> Option<()> {
        self.n_nodes += 1;
        (self.n_nodes <= MAX_NODES).then_some(())
    }

    /// Whether a line break (LF or CRLF) starts at `at`.
    fn is_break(&self, at: usize) -> bool {
        matches!(self.byte(at), b'\n' | b'\r')
    }

    /// Whether `at` is a line break or the end of the text.
    fn is_break_or_end(&self, at: usize) -> bool {
        at >= self.bytes.len() || self.is_break(at)
    }

    /// The position after the line break at `at`.
    fn after_break(&self, at: usize) -> usize {
        if self.byte(at) == b'\r' {
            at + 2
        } else {
            at + 1
        }
    }

    /// Where the line holding `at` ends: its line break or the end of the text.
    fn line_end(&self, at: usize) -> usize {
        match memchr::memchr(b'\n', &self.bytes[at..]) {
            Some(index) if index > 0 && self.bytes[at + index - 1] == b'\r' => at + index - 1,
            Some(index) => at + index,
            None => self.bytes.len(),
        }
    }

    fn skip_spaces(&mut self) {
        while self.byte(self.pos) == b' ' {
            self.pos += 1;
        }
    }

    /// From the start of a line, skips blank and comment lines; leaves `pos` at the first
    /// character of the next content line and returns its column, or `None` at the end.
    fn next_content_line(&mut self) -> Option<usize> {
        loop {
            let line_start = self.pos;
            self.skip_spaces();
            if self.pos >= self.bytes.len() {
                return None;
            }
            match self.byte(self.pos) {
                b'#' => {
                    let end = self.line_end(self.pos);
                    if end >= self.bytes.len() {
                        self.pos = end;
                        return None;
                    }
                    self.pos = self.after_break(end);
                }
                b'\n' | b'\r' => self.pos = self.after_break(self.pos),
                _ => return Some(self.pos - line_start),
            }
        }
    }

    /// After a value: the rest of its line may hold spaces and a comment; then moves to the next
    /// content line. Returns its column (`Some(None)` at the end of the text), or `None` when
    /// the line holds something else.
    fn after_value(&mut self) -> Option<Option<usize>> {
        if std::mem::take(&mut self.block_scalar_ended) {
            return Some(self.next_content_line());
        }
        let before = self.pos;
        self.skip_spaces();
        let comment = self.byte(self.pos) == b'#' && self.pos > before;
        if !comment && !self.is_break_or_end(self.pos) {
            return None;
        }
        self.skip_rest_of_line();
        Some(self.next_content_line())
    }

    /// Moves to the start of the next line, or the end of the text.
    fn skip_rest_of_line(&mut self) {
        let end = self.line_end(self.pos);
        self.pos = if end >= self.bytes.len() {
            end
        } else {
            self.after_break(end)
        };
    }

    /// A word key and its colon at `pos`, when there is one: the key's range.
    fn key_at(&self, at: usize) -> Option<std::ops::Range<usize>> {
        if !is_key_start(self.byte(at)) {
            return None;
        }
        let mut end = at + 1;
        while is_key_byte(self.byte(end)) {
            end += 1;
        }
        let after = self.byte(end + 1);
        (self.byte(end) == b':'
            && (after == b' ' || self.is_break_or_end(end + 1))
            && end - at <= MAX_KEY_LEN)
            .then_some(at..end)
    }

    /// A block mapping whose first key is at `pos`, in column `indent`. Returns it and the
    /// column of the content line after it (`pos` at its first character), `None` at the end.
    fn mapping(&mut self, indent: usize) -> Option<(Plain, Option<usize>)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let read = self.mapping_entries(indent);
        self.depth -= 1;
        read
    }

    fn mapping_entries(&mut self, indent: usize) -> Option<(Plain, Option<usize>)> {
        let start = self.pos;
        self.count_node()?;
        let mut entries: Vec<(Spanned<String>, Plain)> = Vec::new();
        loop {
            let key = self.key_at(self.pos)?;
            let key_text = &self.text[key.clone()];
            if is_null_like(key_text) || entries.iter().any(|(k, _)| k.value == key_text) {
                return None;
            }
            self.count_node()?;
            self.pos = key.end + 1;
            let key = Spanned::new(key_text.to_string(), self.span(key));
            let (value, next) = self.value(indent)?;
            entries.push((key, value));
            match next {
                Some(column) if column == indent => {
                    // A list item at the mapping's own column ends it (the parent reads it).
                    if self.byte(self.pos) == b'-' {
                        return None;
                    }
                }
                Some(column) if column > indent => return None,
                next => return Some((Plain::Map(self.span(start..start), entries), next)),
            }
        }
    }

    /// The value after a key's colon (at `pos`), in a mapping at column `indent`.
    fn value(&mut self, indent: usize) -> Option<(Plain, Option<usize>)> {
        let before = self.pos;
        self.skip_spaces();
        let on_next_line =
            self.is_break_or_end(self.pos) || (self.byte(self.pos) == b'#' && self.pos > before);
        if !on_next_line {
            let node = self.scalar_or_flow(indent)?;
            let next = self.after_value()?;
            return Some((node, next));
        }
        // Only a collection may start on the next line: `- item` lines, in the key's column or
        // further right, or `key: value` lines further right.
        self.skip_rest_of_line();
        let next = self.next_content_line();
        match next {
            Some(column) if column >= indent && self.is_entry(self.pos) => {
                self.sequence(column, column == indent)
            }
            Some(column) if column > indent && self.key_at(self.pos).is_some() => {
                self.mapping(column)
            }
            _ => None,
        }
    }

    /// Whether a block list entry (`-` then a space or the line's end) starts at `at`.
    fn is_entry(&self, at: usize) -> bool {
        self.byte(at) == b'-' && (self.byte(at + 1) == b' ' || self.is_break_or_end(at + 1))
    }

    /// A block list whose first `-` is at `pos`, in column `column`; `indentless` when that is
    /// the column of the key it is the value of.
    fn sequence(&mut self, column: usize, indentless: bool) -> Option<(Plain, Option<usize>)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let read = self.sequence_items(column, indentless);
        self.depth -= 1;
        read
    }

    fn sequence_items(
        &mut self,
        column: usize,
        indentless: bool,
    ) -> Option<(Plain, Option<usize>)> {
        let mut span_start = self.pos;
        self.count_node()?;
        let mut items = Vec::new();
        loop {
            self.pos += 1;
            let before = self.pos;
            self.skip_spaces();
            if self.is_break_or_end(self.pos) || (self.byte(self.pos) == b'#' && self.pos > before)
            {
                // A collection on the next lines, further right.
                if items.is_empty() && indentless {
                    // The parser places the list where the line's text (or comment) ends.
                    span_start = self.line_end(self.pos);
                }
                self.skip_rest_of_line();
                let (item, next) = match self.next_content_line() {
                    Some(item_column) if item_column > column && self.is_entry(self.pos) => {
                        self.sequence(item_column, false)?
                    }
                    Some(item_column)
                        if item_column > column && self.key_at(self.pos).is_some() =>
                    {
                        self.mapping(item_column)?
                    }
                    _ => return None,
                };
                items.push(item);
                match next {
                    Some(next_column) if next_column == column && self.is_entry(self.pos) => {
                        continue;
                    }
                    Some(next_column) if next_column > column => return None,
                    next => {
                        let span = self.span(span_start..span_start);
                        return Some((Plain::List(span, items), next));
                    }
                }
            }
            if items.is_empty() && indentless {
                // The parser places a list in its key's column at its first item.
                span_start = self.pos;
            }
            let (item, next) = if self.key_at(self.pos).is_some() {
                let item_column = self.pos - line_start_of(self.bytes, self.pos);
                self.mapping(item_column)?
            } else if self.is_entry(self.pos) || self.is_break_or_end(self.pos) {
                return None;
            } else {
                let node = self.scalar_or_flow(column)?;
                (node, self.after_value()?)
            };
            items.push(item);
            match next {
                Some(next_column) if next_column == column && self.is_entry(self.pos) => {}
                Some(next_column) if next_column > column => return None,
                next => {
                    let span = self.span(span_start..span_start);
                    return Some((Plain::List(span, items), next));
                }
            }
        }
    }

    /// Text or a flow list at `pos`, the value of a node in a block collection at column
    /// `indent`; leaves `pos` after it.
    fn scalar_or_flow(&mut self, indent: usize) -> Option<Plain> {
        self.count_node()?;
        match self.byte(self.pos) {
            b'\'' => self.quoted(indent, true).map(Plain::Text),
            b'"' => self.quoted(indent, false).map(Plain::Text),
            b'[' => self.flow_list(),
            b'|' | b'>' => self.block_scalar(indent).map(Plain::Text),
            byte if starts_plain(byte) => self.plain(indent).map(Plain::Text),
            _ => None,
        }
    }

    /// Plain text at `pos` in block context: its lines up to a comment, a less indented line
    /// or the end. Continuation lines must be right of column `indent`.
    fn plain(&mut self, indent: usize) -> Option<Spanned<String>> {
        let start = self.pos;
        let mut end = self.plain_line_end(self.pos)?;
        let mut value: Option<String> = None;
        loop {
            // `end` is after the last non-space character of the line read so far; the rest of
            // the line is spaces, a comment, or nothing.
            let mut at = end;
            while self.byte(at) == b' ' {
                at += 1;
            }
            if !self.is_break_or_end(at) {
                // A comment ends the text (its line is checked by the caller).
                break;
            }
            // Look for a continuation line: blank lines count as line feeds.
            let mut n_blank = 0;
            let mut line = at;
            let continuation = loop {
                if line >= self.bytes.len() {
                    break None;
                }
                let line_start = self.after_break(line);
                let mut first = line_start;
                while self.byte(first) == b' ' {
                    first += 1;
                }
                if self.is_break(first) {
                    n_blank += 1;
                    line = first;
                    continue;
                }
                if first >= self.bytes.len() || first - line_start <= indent {
                    break None;
                }
                if self.byte(first) == b'#' {
                    break None;
                }
                break Some(first);
            };
            let Some(first) = continuation else {
                break;
            };
            let line_end = self.plain_line_end(first)?;
            let text = value.get_or_insert_with(|| self.text[start..end].to_string());
            if n_blank == 0 {
                text.push(' ');
            } else {
                text.extend(std::iter::repeat_n('\n', n_blank));
            }
            text.push_str(&self.text[first..line_end]);
            end = line_end;
        }
        self.pos = end;
        let value = value.unwrap_or_else(|| self.text[start..end].to_string());
        if is_null_like(&value) {
            return None;
        }
        Some(Spanned::new(value, self.span(start..end)))
    }

    /// Where the plain text on the line from `at` ends: after its last non-space character
    /// before a comment (` #`) or the line's end. `None` when a `: ` (or a colon at the end)
    /// would make it a key.
    fn plain_line_end(&self, at: usize) -> Option<usize> {
        let mut index = at;
        let mut end = at;
        loop {
            match self.byte(index) {
                b'\n' | b'\r' => return Some(end),
                _ if index >= self.bytes.len() => return Some(end),
                b' ' => index += 1,
                b'#' if index > at && self.byte(index - 1) == b' ' => return Some(end),
                b':' if self.byte(index + 1) == b' ' || self.is_break_or_end(index + 1) => {
                    return None;
                }
                _ => {
                    index += 1;
                    end = index;
                }
            }
        }
    }

    /// A quoted scalar at `pos` (its opening quote): its value with escapes and line folding
    /// applied, spanning both quotes. Continuation lines must be right of column `indent`.
    fn quoted(&mut self, indent: usize, single: bool) -> Option<Spanned<String>> {
        let start = self.pos;
        let quote = if single { b'\'' } else { b'"' };
        let mut value = String::new();
        let mut at = start + 1;
        loop {
            // Text up to the next quote, backslash or line break.
            let rest = &self.bytes[at..];
            let found = if single {
                memchr::memchr3(b'\'', b'\n', b'\r', rest)
            } else {
                memchr::memchr3(b'"', b'\\', b'\n', rest).map(|index| {
                    // A CR is only ever before an LF.
                    if rest[index] == b'\n' && index > 0 && rest[index - 1] == b'\r' {
                        index - 1
                    } else {
                        index
                    }
                })
            }?;
            let stop = at + found;
            let byte = self.bytes[stop];
            if byte == quote {
                value.push_str(&self.text[at..stop]);
                if single && self.byte(stop + 1) == b'\'' {
                    value.push('\'');
                    at = stop + 2;
                    continue;
                }
                self.pos = stop + 1;
                return Some(Spanned::new(value, self.span(start..self.pos)));
            }
            if byte == b'\\' {
                value.push_str(&self.text[at..stop]);
                let escape = self.byte(stop + 1);
                if self.is_break(stop + 1) {
                    // An escaped line break: nothing, and the next line's indentation goes.
                    at = self.folded_breaks(self.after_break(stop + 1), indent, &mut value, 1)?;
                    continue;
                }
                let (character, length) = match escape {
                    b'0' => ('\0', 2),
                    b'a' => ('\x07', 2),
                    b'b' => ('\x08', 2),
                    b't' => ('\t', 2),
                    b'n' => ('\n', 2),
                    b'v' => ('\x0b', 2),
                    b'f' => ('\x0c', 2),
                    b'r' => ('\r', 2),
                    b'e' => ('\x1b', 2),
                    b' ' => (' ', 2),
                    b'"' => ('"', 2),
                    b'/' => ('/', 2),
                    b'\\' => ('\\', 2),
                    b'N' => ('\u{85}', 2),
                    b'_' => ('\u{a0}', 2),
                    b'L' => ('\u{2028}', 2),
                    b'P' => ('\u{2029}', 2),
                    b'x' => (self.hex_escape(stop + 2, 2)?, 4),
                    b'u' => (self.hex_escape(stop + 2, 4)?, 6),
                    b'U' => (self.hex_escape(stop + 2, 8)?, 10),
                    _ => return None,
                };
                value.push(character);
                at = stop + length;
                continue;
            }
            // A line break: spaces before it go, and the breaks fold.
            let line = self.text[at..stop].trim_end_matches(' ');
            value.push_str(line);
            at = self.folded_breaks(self.after_break(stop), indent, &mut value, 0)?;
        }
    }

    /// After the first line break inside quotes (`at` is the start of the next line): skips
    /// indentation and blank lines, and adds what they fold to: a space for a single break, a
    /// line feed for each blank line. `escaped` (1) says the first break was escaped and adds
    /// nothing. Returns where the text goes on, which must be right of column `indent`.
    fn folded_breaks(
        &self,
        mut at: usize,
        indent: usize,
        value: &mut String,
        escaped: usize,
    ) -> Option<usize> {
        let mut n_blank = 0;
        loop {
            let line_start = at;
            while self.byte(at) == b' ' {
                at += 1;
            }
            if at >= self.bytes.len() {
                return None;
            }
            if self.is_break(at) {
                n_blank += 1;
                at = self.after_break(at);
                continue;
            }
            if at - line_start <= indent {
                return None;
            }
            break;
        }
        if n_blank == 0 && escaped == 0 {
            value.push(' ');
        } else {
            value.extend(std::iter::repeat_n('\n', n_blank));
        }
        Some(at)
    }

    fn hex_escape(&self, at: usize, n_digits: usize) -> Option<char> {
        let digits = self.text.get(at..at + n_digits)?;
        if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        char::from_u32(u32::from_str_radix(digits, 16).ok()?)
    }

    /// A one-line flow list at `pos` (its `[`) of plain and quoted text.
    fn flow_list(&mut self) -> Option<Plain> {
        let start = self.pos;
        let mut items = Vec::new();
        self.pos += 1;
        self.skip_spaces();
        if self.byte(self.pos) == b']' {
            self.pos += 1;
            return Some(Plain::List(self.span(start..start + 1), items));
        }
        loop {
            self.count_node()?;
            let item = match self.byte(self.pos) {
                b'\'' => self.quoted_on_one_line(true)?,
                b'"' => self.quoted_on_one_line(false)?,
                byte if starts_plain(byte) => self.flow_plain()?,
                _ => return None,
            };
            items.push(Plain::Text(item));
            self.skip_spaces();
            match self.byte(self.pos) {
                b',' => {
                    self.pos += 1;
                    self.skip_spaces();
                    // A trailing comma is left to the parser.
                    if self.byte(self.pos) == b']' {
                        return None;
                    }
                }
                b']' => {
                    self.pos += 1;
                    return Some(Plain::List(self.span(start..start + 1), items));
                }
                _ => return None,
            }
        }
    }

    fn quoted_on_one_line(&mut self, single: bool) -> Option<Spanned<String>> {
        let line_end = self.line_end(self.pos);
        let text = self.quoted(usize::MAX, single)?;
        (self.pos <= line_end).then_some(text)
    }

    /// Plain text inside a flow list: up to `,`, `]` or the line's end; anything that would
    /// end it otherwise (`[`, `{`, `}`, `: `, ` #`) is left to the parser.
    fn flow_plain(&mut self) -> Option<Spanned<String>> {
        let start = self.pos;
        let mut end = start;
        let mut index = start;
        loop {
            match self.byte(index) {
                b',' | b']' => break,
                b' ' => index += 1,
                b'[' | b'{' | b'}' | b'\n' | b'\r' => return None,
                _ if index >= self.bytes.len() => return None,
                b'#' if self.byte(index - 1) == b' ' => return None,
                b':' if matches!(
                    self.byte(index + 1),
                    b' ' | b',' | b']' | b'[' | b'{' | b'}'
                ) || self.is_break_or_end(index + 1) =>
                {
                    return None;
                }
                _ => {
                    index += 1;
                    end = index;
                }
            }
        }
        let value = &self.text[start..end];
        if is_null_like(value) {
            return None;
        }
        self.pos = end;
        Some(Spanned::new(value.to_string(), self.span(start..end)))
    }

    /// A `|` or `>` block scalar at `pos`, in a collection at column `indent`: the header, then
    /// lines indented as the first. A chomping `+`, an indentation digit, a comment on the
    /// header line and blank lines before the first are left to the parser.
    fn block_scalar(&mut self, indent: usize) -> Option<Spanned<String>> {
        let literal = self.byte(self.pos) == b'|';
        self.pos += 1;
        let strip = self.byte(self.pos) == b'-';
        if strip {
            self.pos += 1;
        }
        self.skip_spaces();
        if !self.is_break(self.pos) {
            return None;
        }
        let line_start = self.after_break(self.pos);
        let mut at = line_start;
        while self.byte(at) == b' ' {
            at += 1;
        }
        let block_indent = at - line_start;
        if block_indent <= indent || self.is_break_or_end(at) {
            return None;
        }
        let start = at;
        let mut value = String::new();
        let (mut leading_break, mut leading_blank, mut n_breaks) = (false, false, 0);
        // `at` is the first character of a content line, after `block_indent` spaces.
        loop {
            let trailing_blank = self.byte(at) == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if n_breaks == 0 {
                    value.push(' ');
                }
                value.extend(std::iter::repeat_n('\n', n_breaks));
            } else {
                if leading_break {
                    value.push('\n');
                }
                value.extend(std::iter::repeat_n('\n', n_breaks));
            }
            leading_break = false;
            n_breaks = 0;
            leading_blank = trailing_blank;
            let end = self.line_end(at);
            let line = &self.text[at..end];
            if line.bytes().all(|byte| byte == b' ') && !line.is_empty() {
                // A line of spaces only, further right than the text: left to the parser.
                return None;
            }
            value.push_str(line);
            if end >= self.bytes.len() {
                // The last line has no line break: YAML adds one unless it strips it.
                at = end;
                if !strip {
                    value.push('\n');
                }
                break;
            }
            leading_break = true;
            // Indentation and blank lines up to the next line in the block, if any.
            at = self.after_break(end);
            loop {
                let next_line = at;
                while at - next_line < block_indent && self.byte(at) == b' ' {
                    at += 1;
                }
                if self.is_break(at) {
                    n_breaks += 1;
                    at = self.after_break(at);
                    continue;
                }
                break;
            }
            if at >= self.bytes.len() || at - line_start_of(self.bytes, at) < block_indent {
                break;
            }
        }
        if !strip && leading_break {
            value.push('\n');
        }
        // The value ends where the next line's text begins; `pos` goes back to that line's
        // start so the caller reads it as usual.
        let span = self.span(start..at);
        self.pos = if at >= self.bytes.len() {
            at
        } else {
            line_start_of(self.bytes, at)
        };
        self.block_scalar_ended = true;
        Some(Spanned::new(value, span))
    }
}

/// Whether plain text may start with `byte`: not with a space or a YAML indicator.
fn starts_plain(byte: u8) -> bool {
    !matches!(
        byte,
        b' ' | b'\n'
            | b'\r'
            | b'-'
            | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// The start of the line holding `at`.
fn line_start_of(bytes: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{Files, SourceFile};
    use proptest::prelude::*;

    /// The subset's reading and the parser's events' reading of `yaml`, as text.
    fn both(yaml: &str) -> (Option<String>, Option<String>) {
        let mut files = Files::default();
        let file = files.add(SourceFile::new("a.yaml".into(), yaml.to_string()));
        let place = Place {
            file,
            offset: 7,
            yaml,
        };
        (
            read(place).map(|tree| format!("{tree:?}")),
            super::super::plain_tree_from_events(place).map(|tree| format!("{tree:?}")),
        )
    }

    /// The subset reads `yaml` as the parser does, or not at all; whether it read it.
    fn agree(yaml: &str) -> Result<bool, TestCaseError> {
        let (subset, events) = both(yaml);
        if let Some(subset) = &subset {
            prop_assert_eq!(Some(subset), events.as_ref(), "{:?}", yaml);
        }
        Ok(subset.is_some())
    }

    #[test]
    fn the_subset_reads_what_annotation_files_hold() {
        for yaml in [
            "source: a\nannotations:\n  - quote: \"x \\\"y\\\" \\u00e9\"\n    entities: []\n    themes: [tech, 'b''c', \"d\"]\n",
            "a: b\nc:\n- d\n- e: f\n  g: |\n    h\n     i\n\n    j\n# c\nk: >-\n  l\n  m\n",
            "\u{feff}a: 'b''c\n   d'\r\ne: \"f\\\n  g\\x41\"\r\n",
            "quote: Gaming is like any other pastime - it can quickly become an unhealthy obsession,\n  whether it is spending\n\n  - much time\nkind: note # a comment\nentities: []\nthemes:\n- tech\n- policy\n",
            "# first\n\nsource: x\n\nannotations:   # the list\n  -   quote: a\n      links:\n        - title: t\n          url: https://example.org/#x\n  - quote: >\n      b\n\n        c\n      d\n\n  # end\n",
            "a: |-\n  x\n\n",
            "a: >\n  x\n  y",
            "a: \"x\n\n   y \\\n  z\"\nb: 'p\n  q'\n",
        ] {
            assert!(
                agree(yaml).expect("agree"),
                "not read by the subset:\n{yaml}"
            );
        }
    }

    /// Lines of text in one YAML style; continuation lines carry their indentation relative to
    /// the node's column.
    fn scalar() -> impl Strategy<Value = Vec<(i8, String)>> {
        let word = "[a-zA-Z0-9][a-zA-Z0-9 .,:#'\"!&*|>%@`\\[\\]{}é?-]{0,10}";
        let line = "[a-zA-Z0-9 .,:#'\"!&*|>%@`\\[\\]{}é?-]{0,10}";
        let escape = prop::sample::select(vec![
            "\\n",
            "\\n",
            "\\\"",
            "\\\"",
            "\\\\",
            "\\u00e9",
            "x y",
            "x y",
            "\\n",
            "\\t",
            "\\\"",
            "\\\\",
            "\\x41",
            "\\u00e9",
            "\\U0001F600",
            "\\q",
            "\\uD800",
            "\\ ",
            "\\N",
            "\\_",
            "\\L",
            "\\P",
            "\\/",
            "\\0",
            "\\e",
            "\\x4",
            "'",
            "\"",
            "\\",
        ]);
        let rel = prop::sample::select(vec![-1i8, 0, 1, 2, 2, 2, 2, 2, 2, 3, 5]);
        let more = prop::collection::vec((rel.clone(), line), 0..4);
        let header = prop::sample::select(vec![
            "|", ">", "|-", ">-", "|", ">", "|-", ">-", "|+", ">+", "|2", "> # c", "|  ", ">1-",
        ]);
        let special = prop::sample::select(vec![
            "~",
            "null",
            "",
            "&a x",
            "*a",
            "!!str x",
            "{a: b}",
            "- x",
            "? x",
            "%x",
            "@x",
            "`x",
            "-x",
            ":x",
            "x:",
            "yes",
            "12",
            "--- x",
            "x # c",
            "x #c",
            "x#c",
            "'a' x",
            "\"a\"b",
            "[a, b,]",
            "[a, [b]]",
            "[a,b]",
            "[ 'a' , \"b\" ]",
            "[a: b]",
            "[~]",
            "[a #c]",
            "[]",
            "[ ]",
            "[a, ]",
            "[\"a\nb\"]",
            "[a\n  , b]",
            "|\n\n  x",
            "|\n  x\n   \n",
            "x\n#c\n y",
        ]);
        (
            0..12u8,
            word,
            more,
            prop::collection::vec(escape, 0..3),
            header,
            special,
        )
            .prop_map(|(style, first, more, escapes, header, special)| {
                let mut lines = vec![(0, String::new())];
                match style {
                    0..=3 => {
                        lines[0].1 = first;
                        lines.extend(more);
                    }
                    4 | 5 => {
                        lines[0].1 = format!("'{}", first.replace('\'', "''"));
                        lines.extend(more.into_iter().map(|(r, l)| (r, l.replace('\'', "''"))));
                        lines.last_mut().expect("a line").1.push('\'');
                    }
                    6..=8 => {
                        let escaped = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
                        lines[0].1 = format!("\"{}{}", escaped(&first), escapes.concat());
                        lines.extend(more.into_iter().map(|(r, l)| (r, escaped(&l))));
                        lines.last_mut().expect("a line").1.push('"');
                    }
                    9 | 10 => {
                        lines[0].1 = header.to_string();
                        lines.push((2, first));
                        // Mostly lines of the block, sometimes one that ends it.
                        lines.extend(
                            more.into_iter()
                                .map(|(r, l)| (if r < 0 { r } else { r.max(2) }, l)),
                        );
                    }
                    _ => {
                        let mut parts = special.split('\n');
                        lines[0].1 = parts.next().unwrap_or_default().to_string();
                        lines.extend(parts.map(|part| (0, part.to_string())));
                    }
                }
                lines
            })
    }

    #[derive(Clone, Debug)]
    enum Node {
        Text(Vec<(i8, String)>),
        Map(Vec<(String, Node)>),
        /// Items, and whether the list is in its key's column.
        List(Vec<Node>, bool),
    }

    fn node() -> impl Strategy<Value = Node> {
        let key = prop::sample::select(vec![
            "quote", "note", "themes", "kind", "a-b", "_x", "null", "x y", "'q'", "9", "quote",
            "id", "date", "links", "title", "url", "source", "entities", "status", "author",
        ]);
        scalar().prop_map(Node::Text).prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                2 => prop::collection::vec((key.clone().prop_map(str::to_string), inner.clone()), 1..4)
                    .prop_map(Node::Map),
                3 => (prop::collection::vec(inner, 1..4), any::<bool>())
                    .prop_map(|(items, indentless)| Node::List(items, indentless)),
            ]
        })
    }

    /// Optional trimmings: a comment after a value, blank and comment lines after a line.
    fn extras() -> impl Strategy<Value = (u8, u8)> {
        (0..16u8, 0..12u8)
    }

    struct Writer {
        out: String,
        extras: Vec<(u8, u8)>,
        n_lines: usize,
    }

    impl Writer {
        fn end_line(&mut self) {
            let (after, between) = self.extras[self.n_lines % self.extras.len()];
            self.n_lines += 1;
            match after {
                0 => self.out.push_str(" # note"),
                1 => self.out.push_str("  "),
                2 => self.out.push('#'),
                _ => {}
            }
            self.out.push('\n');
            match between {
                0 => self.out.push('\n'),
                1 => self.out.push_str("# c\n"),
                2 => self.out.push_str("    # c\n"),
                3 => self.out.push_str("   \n"),
                _ => {}
            }
        }

        fn text(&mut self, lines: &[(i8, String)], column: usize) {
            for (index, (rel, line)) in lines.iter().enumerate() {
                if index > 0 {
                    let spaces = (column as i64 + i64::from(*rel)).max(0) as usize;
                    if !line.is_empty() {
                        self.out.push_str(&" ".repeat(spaces));
                    }
                    self.out.push_str(line);
                } else {
                    self.out.push_str(line);
                }
                if index + 1 < lines.len() {
                    self.out.push('\n');
                }
            }
        }

        /// `node` after `key:` or `- ` (written already), in a collection at `column`.
        fn value(&mut self, node: &Node, column: usize) {
            match node {
                Node::Text(lines) => {
                    self.out.push(' ');
                    self.text(lines, column + 2);
                    self.end_line();
                }
                Node::Map(entries) => {
                    self.end_line();
                    self.map(entries, column + 2, None);
                }
                Node::List(items, indentless) => {
                    self.end_line();
                    self.list(items, if *indentless { column } else { column + 2 });
                }
            }
        }

        fn map(&mut self, entries: &[(String, Node)], column: usize, first_written: Option<()>) {
            for (index, (key, node)) in entries.iter().enumerate() {
                if index > 0 || first_written.is_none() {
                    self.out.push_str(&" ".repeat(column));
                }
                self.out.push_str(key);
                self.out.push(':');
                self.value(node, column);
            }
        }

        fn list(&mut self, items: &[Node], column: usize) {
            for item in items {
                self.out.push_str(&" ".repeat(column));
                self.out.push('-');
                match item {
                    Node::Map(entries) => {
                        self.out.push(' ');
                        self.map(entries, column + 2, Some(()));
                    }
                    _ => self.value(item, column),
                }
            }
        }
    }

    fn document() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(("[a-z]{1,6}", node()), 1..4),
            prop::collection::vec(extras(), 1..8),
            0..24u8,
        )
            .prop_map(|(entries, extras, ending)| {
                let mut writer = Writer {
                    out: String::new(),
                    extras,
                    n_lines: 0,
                };
                writer.map(&entries, 0, None);
                let mut yaml = writer.out;
                match ending {
                    0 => yaml = yaml.replace('\n', "\r\n"),
                    1 => yaml.insert(0, '\u{feff}'),
                    2 => {
                        yaml.pop();
                    }
                    3 => yaml = yaml.replacen(' ', "\t", 1),
                    4 => yaml.push_str("---\n"),
                    5 => yaml.insert_str(0, "---\n"),
                    6 => yaml = yaml.replacen("e", "\r", 1),
                    _ => {}
                }
                yaml
            })
    }

    /// The documents the property below draws are read by the subset often enough to test it.
    #[test]
    fn the_subset_reads_many_of_the_drawn_documents() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut n_read, n_drawn) = (0, 2000);
        for _ in 0..n_drawn {
            let yaml = document()
                .new_tree(&mut runner)
                .expect("a document")
                .current();
            n_read += usize::from(agree(&yaml).expect("agree"));
        }
        // About a third of the drawn documents are valid YAML, and the subset reads about half
        // of those.
        assert!(n_read * 8 > n_drawn, "only {n_read} of {n_drawn} read");
    }

    /// [`only_plain_chars`] char by char, as its doc defines it.
    fn only_plain_chars_by_chars(text: &str) -> bool {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let plain = match c {
                '\r' => chars.peek() == Some(&'\n'),
                '\n' | ' '..='~' | '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{fefe}' => true,
                '\u{ff00}'..='\u{fffd}' | '\u{10000}'.. => true,
                _ => false,
            };
            if !plain {
                return false;
            }
        }
        true
    }

    proptest! {
        #[test]
        fn plain_chars_are_found_as_char_by_char(
            text in "[a-z\n\r\t\u{0}\u{1f}\u{7f}\u{80}-\u{a0}\u{2027}-\u{202a}\u{fefe}-\u{ff00}\u{fffd}-\u{10001}é£’]{0,80}",
            padding in 0..40usize,
        ) {
            let text = format!("{}{text}", "x".repeat(padding));
            prop_assert_eq!(only_plain_chars(text.as_bytes()), only_plain_chars_by_chars(&text), "{:?}", text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn the_subset_reads_as_the_parser_does(yaml in document()) {
            agree(&yaml)?;
        }
    }
}
