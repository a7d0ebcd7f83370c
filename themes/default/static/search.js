// The search page of the default site theme: a small client for the index gloss writes at
// build time (docs/search.md).
//
// The index lives in the folder named by the form's data-index-path (under the site's base
// path, so the site works under any sub-path): `meta.json`, then term shards, record chunks and
// filter chunks that are fetched only when a query needs them. A query is folded and split into
// words exactly as gloss does when indexing (lowercase, diacritics removed, runs of letters and
// digits); each word of two or more characters also matches the words it starts ("micro" finds
// "microsoft"); a result must match every word. Results are ranked by the stored weights (title
// words count more) times each word's rarity, and listed as links with a type badge and an
// excerpt with the matched words marked.
// The query and filters live in the address (`?q=Maia&type=annotation`), so a search can be
// shared, and the form also works from other pages that link to it. Nothing is loaded from other
// hosts, and nothing from the index is ever parsed as HTML.

const FORMAT = 1;
const PAGE_SIZE = 20;
// A word that only starts a term counts for less than the whole word.
const PREFIX_MATCH = 0.6;
const EXCERPT_CHARS = 220;
const TYPE_LABELS = {
  source: "Source",
  entity: "Entity",
  theme: "Theme",
  annotation: "Annotation",
};

const form = document.getElementById("search-form");
const input = document.getElementById("search-query");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const filterFields = ["type", "theme", "entity"];
const indexPath = form.dataset.indexPath;
const basePath = form.dataset.basePath;

let latest = 0; // number of the newest search; older ones drop their results
let pending = []; // ids of the results not shown yet
let shownWords = [];
let timer = null;

// ---------------------------------------------------------------------------------------------
// The index.

let metaPromise = null;
const files = new Map(); // path under the index → Promise of its JSON

async function getJson(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${response.status} for ${url}`);
  return response.json();
}

function loadMeta() {
  if (!metaPromise) {
    // Asked again each time the page loads: the other files carry its version, so a browser
    // never combines a cached shard with a newer index.
    metaPromise = getJson(`${indexPath}meta.json`, { cache: "no-cache" }).then((meta) => {
      if (meta.format !== FORMAT) throw new Error(`unknown search index format ${meta.format}`);
      return meta;
    });
    metaPromise.catch(() => { metaPromise = null; });
  }
  return metaPromise;
}

function indexFile(meta, path) {
  let promise = files.get(path);
  if (!promise) {
    promise = getJson(`${indexPath}${path}?v=${meta.version}`);
    files.set(path, promise);
    promise.catch(() => files.delete(path));
  }
  return promise;
}

// ---------------------------------------------------------------------------------------------
// Words, as gloss's indexer makes them (src/render/search.rs: fold_into, for_each_word).

const WORD = /[\p{Alphabetic}\p{N}]+/gu;
// A word of the text as written, marks included, for finding matches in excerpts.
const WRITTEN_WORD = /[\p{Alphabetic}\p{N}\p{M}]+/gu;

function fold(text) {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/ς/g, "σ");
}

function cut(word, maxChars) {
  const chars = Array.from(word);
  return chars.length > maxChars ? chars.slice(0, maxChars).join("") : word;
}

function queryWords(text, maxChars) {
  const words = (fold(text).match(WORD) ?? []).map((word) => cut(word, maxChars));
  return [...new Set(words)];
}

// One-character words match only themselves: as prefixes they would fetch a good part of the
// index.
function isPrefix(word) {
  return Array.from(word).length >= 2;
}

function wordMatches(term, word) {
  return isPrefix(word) ? term.startsWith(word) : term === word;
}

// A shard holds the terms for which its key is the longest key that starts them. So the terms
// starting with `word` are in the shard of the longest key that starts `word`, and in the shards
// of longer keys that `word` starts.
function shardKeys(keys, word) {
  let longest = null;
  const picked = [];
  for (const key of keys) {
    if (word.startsWith(key)) {
      if (longest === null || key.length > longest.length) longest = key;
    } else if (isPrefix(word) && key.length > word.length && key.startsWith(word)) {
      picked.push(key);
    }
  }
  return longest === null ? picked : [longest, ...picked];
}

function shardFileName(key) {
  let name = "";
  for (const char of key) {
    name += /^[a-z0-9]$/.test(char)
      ? char
      : `_${char.codePointAt(0).toString(16).padStart(6, "0")}`;
  }
  return name;
}

// Record id → best score of the terms that `word` matches.
async function scoresFor(meta, word) {
  const shards = await Promise.all(
    shardKeys(meta.terms.keys, word).map((key) => indexFile(meta, `terms/${shardFileName(key)}.json`)),
  );
  const scores = new Map();
  for (const shard of shards) {
    for (const [term, postings] of Object.entries(shard)) {
      if (!wordMatches(term, word)) continue;
      const count = postings.length / 2;
      const rarity = Math.log(1 + (meta.records - count + 0.5) / (count + 0.5));
      const factor = term === word ? 1 : PREFIX_MATCH;
      let record = 0;
      for (let i = 0; i < postings.length; i += 2) {
        record += postings[i];
        const score = postings[i + 1] * rarity * factor;
        if (score > (scores.get(record) ?? 0)) scores.set(record, score);
      }
    }
  }
  return scores;
}

// FNV-1a of the value's UTF-8 bytes picks its filter chunk, as in the indexer.
function filterHash(value) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(value)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash;
}

async function filterIds(meta, name, value) {
  const chunk = filterHash(value) % meta.filters[name].chunks;
  const values = await indexFile(meta, `filters/${name}/${chunk}.json`);
  const ids = new Set();
  let id = 0;
  // Own keys only: a value may be named like a property every object has ("constructor").
  for (const delta of Object.hasOwn(values, value) ? values[value] : []) {
    id += delta;
    ids.add(id);
  }
  return ids;
}

// The ids of the results, best first (or in index order when there are no words).
async function find(meta, { term, filters }) {
  const words = queryWords(term, meta.terms.max_term_chars);
  if (term && words.length === 0) return { ids: [], words };
  const [perWord, sets] = await Promise.all([
    Promise.all(words.map((word) => scoresFor(meta, word))),
    Promise.all(["theme", "entity"].filter((name) => filters[name]).map((name) => filterIds(meta, name, filters[name]))),
  ]);
  const [start, end] = !filters.type
    ? [0, meta.records]
    : Object.hasOwn(meta.types, filters.type) ? meta.types[filters.type] : [0, 0];
  const passes = (id) => id >= start && id < end && sets.every((set) => set.has(id));

  if (words.length === 0) {
    let ids;
    if (sets.length > 0) {
      ids = [...sets.reduce((a, b) => (a.size <= b.size ? a : b))].filter(passes).sort((a, b) => a - b);
    } else {
      ids = Array.from({ length: end - start }, (_, i) => start + i);
    }
    return { ids, words };
  }

  perWord.sort((a, b) => a.size - b.size);
  const [first, ...others] = perWord;
  const ranked = [];
  for (const [id, score] of first) {
    if (!passes(id)) continue;
    let total = score;
    for (const other of others) {
      const more = other.get(id);
      if (more === undefined) {
        total = -1;
        break;
      }
      total += more;
    }
    if (total >= 0) ranked.push([id, total]);
  }
  ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return { ids: ranked.map(([id]) => id), words };
}

async function recordsFor(meta, ids) {
  const size = meta.records_per_chunk;
  const chunks = new Map();
  for (const id of ids) {
    const number = Math.floor(id / size);
    if (!chunks.has(number)) chunks.set(number, indexFile(meta, `records/${number}.json`));
  }
  const loaded = new Map();
  for (const [number, promise] of chunks) loaded.set(number, await promise);
  return ids.map((id) => loaded.get(Math.floor(id / size))[id % size]);
}

// ---------------------------------------------------------------------------------------------
// The page.

function currentQuery() {
  const filters = {};
  for (const name of filterFields) {
    const value = form.elements[name].value;
    if (value) filters[name] = value;
  }
  return { term: input.value.trim(), filters };
}

function rememberInAddress({ term, filters }) {
  const params = new URLSearchParams();
  if (term) params.set("q", term);
  for (const [name, value] of Object.entries(filters)) params.set(name, value);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function restoreFromAddress() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") ?? "";
  for (const name of filterFields) {
    const select = form.elements[name];
    const value = params.get(name);
    if (value && [...select.options].some((option) => option.value === value)) {
      select.value = value;
    }
  }
}

// The excerpt: about EXCERPT_CHARS of the record's text around its first match, matched words
// in <mark>. Built as DOM nodes, so nothing from the index is parsed as markup.
function excerptNodes(text, words) {
  const marks = [];
  for (const match of text.matchAll(WRITTEN_WORD)) {
    const pieces = fold(match[0]).match(WORD) ?? [];
    if (pieces.some((piece) => words.some((word) => wordMatches(piece, word)))) {
      marks.push([match.index, match.index + match[0].length]);
    }
  }
  let start = 0;
  let end = text.length;
  if (text.length > EXCERPT_CHARS) {
    const anchor = marks.length ? marks[0][0] : 0;
    if (anchor > 60) start = text.indexOf(" ", anchor - 60) + 1 || anchor;
    if (start > anchor) start = anchor;
    end = Math.min(text.length, start + EXCERPT_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > start) end = space;
    }
  }
  const nodes = [];
  if (start > 0) nodes.push(document.createTextNode("…"));
  let at = start;
  for (const [from, to] of marks) {
    if (to <= start || from >= end) continue;
    if (from > at) nodes.push(document.createTextNode(text.slice(at, from)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(Math.max(from, at), Math.min(to, end));
    nodes.push(mark);
    at = Math.min(to, end);
  }
  if (at < end) nodes.push(document.createTextNode(text.slice(at, end)));
  if (end < text.length) nodes.push(document.createTextNode("…"));
  return nodes;
}

function capitalised(text) {
  return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}` : text;
}

function resultItem(record, words) {
  const type = record.type;
  const meta = record.meta ?? {};
  const item = document.createElement("li");
  item.className = `search-result search-result-${type}`;

  const title = document.createElement("h2");
  title.className = "search-result-title";
  const link = document.createElement("a");
  link.href = `${basePath}${record.url.replace(/^\//, "")}`;
  link.textContent = record.title;
  title.append(link);

  const line = document.createElement("p");
  line.className = "search-result-meta";
  const badge = document.createElement("span");
  badge.className = `search-badge search-badge-${type}`;
  badge.textContent = TYPE_LABELS[type] ?? type;
  line.append(badge);
  const context = capitalised([meta.kind, meta.status].filter(Boolean).join(", "));
  if (context) line.append(` ${context}`);
  if (meta.source) {
    const note = meta.number ? `note ${meta.number}` : "note";
    line.append(`${context ? " · " : " "}${note} in ${meta.source}`);
  }

  const excerpt = document.createElement("p");
  excerpt.className = "search-result-excerpt";
  excerpt.append(...excerptNodes(record.text ?? "", words));

  item.append(title, line, excerpt);
  return item;
}

// The last batch of results being added: each batch waits for the one before, so that
// quick clicks on "Show more" still list results in rank order.
let appending = Promise.resolve();

function showMore(number) {
  // Taken now, in click order; fetched in parallel; appended in turn.
  const batch = pending.splice(0, PAGE_SIZE);
  more.hidden = pending.length === 0;
  const previous = appending;
  appending = (async () => {
    const meta = await loadMeta();
    const records = await recordsFor(meta, batch);
    await previous.catch(() => {});
    if (number !== latest) return;
    list.append(...records.map((record) => resultItem(record, shownWords)));
  })();
  return appending;
}

function describe(count, { term, filters }) {
  const what = `${count} result${count === 1 ? "" : "s"}`;
  const narrowed = Object.values(filters);
  const where = narrowed.length ? ` (filtered by ${narrowed.join(", ")})` : "";
  return term ? `${what} for “${term}”${where}` : `${what}${where}`;
}

async function search() {
  const number = ++latest;
  const query = currentQuery();
  rememberInAddress(query);
  if (!query.term && Object.keys(query.filters).length === 0) {
    list.replaceChildren();
    list.hidden = true;
    more.hidden = true;
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  try {
    const meta = await loadMeta();
    const { ids, words } = await find(meta, query);
    if (number !== latest) return;
    pending = ids.slice();
    shownWords = words;
    list.replaceChildren();
    await showMore(number);
    if (number !== latest) return;
    list.hidden = ids.length === 0;
    status.textContent = describe(ids.length, query);
  } catch (error) {
    if (number !== latest) return;
    console.error(error);
    status.textContent = "Search could not be loaded. Try reloading the page.";
  }
}

function searchSoon() {
  clearTimeout(timer);
  timer = setTimeout(search, 200);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  search();
});
input.addEventListener("input", searchSoon);
for (const name of filterFields) form.elements[name].addEventListener("change", search);
more.querySelector("button").addEventListener("click", () => {
  const number = latest;
  showMore(number).catch((error) => {
    if (number !== latest) return;
    console.error(error);
    status.textContent = "Search could not be loaded. Try reloading the page.";
  });
});

restoreFromAddress();
search();
