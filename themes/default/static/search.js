// The search page of the default site theme: a small interface on Pagefind's search API.
//
// gloss builds the Pagefind index at build time into `pagefind/`; this script loads
// `pagefind.js` from there (the path comes from the form's data-bundle-path, so the site works
// under any sub-path) and lists results as links with a type badge. The query and filters live
// in the address (`?q=Maia&type=annotation`), so a search can be shared, and the form also works
// from other pages that link to it. Nothing is loaded from other hosts.
// Pagefind runs WebAssembly: a Content-Security-Policy must allow 'wasm-unsafe-eval' in
// script-src (and 'self' for worker-src).

const PAGE_SIZE = 20;
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

let pagefind = null;
let latest = 0; // number of the newest search; older ones drop their results
let pending = [];
let timer = null;

async function loadPagefind() {
  if (!pagefind) {
    const module = await import(`${form.dataset.bundlePath}pagefind.js`);
    await module.options({ baseUrl: form.dataset.basePath, excerptLength: 24 });
    await module.init();
    pagefind = module;
  }
  return pagefind;
}

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

// Pagefind's excerpt is text with <mark> around matches, and < > escaped. Build it as DOM
// nodes instead of assigning HTML, so nothing from the index is ever parsed as markup.
function excerptNodes(excerpt) {
  const decode = (text) =>
    text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  const nodes = [];
  const parts = excerpt.split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part) {
      const text = document.createTextNode(decode(part));
      if (marked) {
        const mark = document.createElement("mark");
        mark.append(text);
        nodes.push(mark);
      } else {
        nodes.push(text);
      }
    }
  }
  return nodes;
}

// A source page's annotations are Pagefind sub-results (anchors `#ann-…` in the page's record):
// each becomes a result of its own, after its page unless the type filter asks for annotations.
function resultItems(data, { filters }) {
  const items = [];
  if (filters.type !== "annotation") items.push(resultItem(data));
  for (const sub of data.sub_results ?? []) {
    if (!sub.anchor?.id?.startsWith("ann-")) continue;
    items.push(resultItem({
      url: sub.url,
      excerpt: sub.excerpt,
      filters: { type: ["annotation"] },
      meta: { title: sub.title, source: data.meta.title },
    }));
  }
  return items;
}

function resultItem(data) {
  const type = data.filters?.type?.[0] ?? "page";
  const item = document.createElement("li");
  item.className = `search-result search-result-${type}`;

  const meta = document.createElement("p");
  meta.className = "search-result-meta";
  const badge = document.createElement("span");
  badge.className = `search-badge search-badge-${type}`;
  badge.textContent = TYPE_LABELS[type] ?? type;
  meta.append(badge);
  const context = [data.meta.kind, data.meta.status].filter(Boolean).join(", ");
  if (context) meta.append(` ${context.charAt(0).toUpperCase()}${context.slice(1)}`);
  if (data.meta.source) {
    const note = data.meta.number ? `note ${data.meta.number}` : "note";
    meta.append(`${context ? " · " : " "}${note} in ${data.meta.source}`);
  }

  const title = document.createElement("h2");
  title.className = "search-result-title";
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title ?? data.url;
  title.append(link);

  const excerpt = document.createElement("p");
  excerpt.className = "search-result-excerpt";
  excerpt.append(...excerptNodes(data.excerpt ?? ""));

  item.append(title, meta, excerpt);
  return item;
}

async function showMore(number) {
  const batch = pending.splice(0, PAGE_SIZE);
  const data = await Promise.all(batch.map((result) => result.data()));
  if (number !== latest) return;
  list.append(...data.flatMap((result) => resultItems(result, currentQuery())));
  more.hidden = pending.length === 0;
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
    const engine = await loadPagefind();
    // A null term lists everything that passes the filters.
    const response = await engine.search(query.term || null, { filters: query.filters });
    if (number !== latest) return;
    list.replaceChildren();
    pending = [...response.results];
    await showMore(number);
    if (number !== latest) return;
    list.hidden = response.results.length === 0;
    status.textContent = describe(response.results.length, query);
  } catch (error) {
    if (number !== latest) return;
    console.error(error);
    status.textContent = "Search could not be loaded. Try reloading the page.";
  }
}

function searchSoon() {
  clearTimeout(timer);
  timer = setTimeout(search, 250);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  search();
});
input.addEventListener("input", searchSoon);
for (const name of filterFields) form.elements[name].addEventListener("change", search);
more.querySelector("button").addEventListener("click", () => showMore(latest));

restoreFromAddress();
search();
