// The demo shop: a thin client of the JSON API (/search, /suggest, /events, /recommend/*, /users).
"use strict";

let renders = 0;
const state = { q: "", page: 1, size: 12, sort: "relevance", brand: "", category: "", price_min: "", price_max: "", user: "" };
const $ = (id) => document.getElementById(id);
// The search lives in the URL (q, filters, sort, page): a link opens it, and back and forward walk it.
const URL_KEYS = ["q", "brand", "category", "price_min", "price_max", "sort", "page"];
const DEFAULTS = { q: "", brand: "", category: "", price_min: "", price_max: "", sort: "relevance", page: 1 };
function readUrl() {
  const params = new URLSearchParams(location.search);
  for (const key of URL_KEYS) state[key] = params.get(key) ?? DEFAULTS[key];
  state.page = Math.max(1, parseInt(state.page, 10) || 1);
  $("q").value = state.q; $("sort").value = state.sort;
}
function writeUrl() {
  const params = new URLSearchParams(URL_KEYS.filter((k) => String(state[k]) !== String(DEFAULTS[k])).map((k) => [k, state[k]]));
  const url = params.toString() ? `?${params}` : location.pathname;
  if (url !== location.search && !(url === location.pathname && !location.search)) history.pushState(null, "", url);
}
// With API keys configured the page sends auth.page_key (a search-only key), or the shopper's token once
// one is chosen: a shop's back end mints it at sign-in; here auth.demo_shoppers lists a few with theirs.
const shoppers = document.body.dataset.shoppers ? JSON.parse(document.body.dataset.shoppers) : null;
const authorization = () => {
  const credential = (shoppers || []).find((s) => s.id === state.user)?.token || document.body.dataset.key;
  return credential ? { Authorization: `Bearer ${credential}` } : {};
};
const api = async (path, params = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  const response = await fetch(`${path}?${query}`, { headers: authorization() });
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  return response.json();
};
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
};
const hue = (text) => [...(text || "?")].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);

async function sendEvent(type, productId, position) {
  if (!state.user) return;
  await fetch("/events", { method: "POST", headers: { "Content-Type": "application/json", ...authorization() },
    body: JSON.stringify({ user_id: state.user, type, product_id: productId, query: state.q || undefined, position }) });
}

function card(item, { explain = null, reason = null, position = undefined } = {}) {
  const title = el("a", { href: "#", "data-id": item.id, onclick: async (e) => {
    e.preventDefault(); await sendEvent("view", item.id, position); await sendEvent("click", item.id, position);
    showRails(item.id);
  } }, item.title || item.id);
  const thumb = el("div", { class: "thumb", "aria-hidden": "true", style: `background:hsl(${hue(item.category)},45%,55%)` },
    (item.title || "?").trim().charAt(0));
  const node = el("li", { class: "card", "data-id": item.id }, thumb, el("h3", {}, title),
    el("div", { class: "meta" }, el("span", { class: "price" }, item.price != null ? `${item.price.toFixed(2)}` : "–"),
      ` · ${item.brand || ""} · ${item.sales ?? 0} sold`));
  if (reason) node.append(el("div", { class: "reason" }, reason));
  if (item.variants?.length) {
    node.append(el("div", { class: "variants" }, `Also in ${item.variants.length} more: `,
      item.variants.map((v) => v.title || v.id).join(" · ")));
  }
  if (explain) {
    const why = el("div", { class: "why", hidden: "" });
    const max = Math.max(...Object.values(explain).map(Math.abs), 1e-9);
    for (const [name, value] of Object.entries(explain)) {
      why.append(el("div", { class: "bar" }, el("span", {}, name),
        el("i", { style: `width:${Math.round(80 * Math.abs(value) / max)}px` }), el("span", {}, value.toFixed(3))));
    }
    const toggle = el("button", { type: "button", class: "why-toggle", "aria-expanded": "false", onclick: () => {
      why.hidden = !why.hidden; toggle.setAttribute("aria-expanded", String(!why.hidden));
    } }, "Why this result?");
    node.append(toggle, why);
  }
  node.append(el("button", { type: "button", class: "cart", onclick: async () => {
    await sendEvent("cart", item.id, position); await search(false); } }, "Add to cart"));
  return node;
}

function facetList(title, values, key, label = (v) => v.value) {
  const list = el("ul");
  for (const value of values) {
    const chosen = key === "price" ? state.price_min === String(value.from ?? "") && state.price_max === String(value.to ?? "")
      : state[key] === value.value;
    list.append(el("li", {}, el("button", { type: "button", "aria-pressed": String(chosen), "data-facet": key,
      onclick: () => {
        if (key === "price") {
          state.price_min = chosen ? "" : String(value.from ?? ""); state.price_max = chosen ? "" : String(value.to ?? "");
        } else state[key] = chosen ? "" : value.value;
        state.page = 1; search();
      } }, `${label(value)} (${value.count})`)));
  }
  return [el("h2", {}, title), list];
}

const priceLabel = (b) => b.from == null ? `under ${b.to}` : b.to == null ? `${b.from}+` : `${b.from}–${b.to}`;

async function search(resetRails = true, remember = true) {
  const params = { q: state.q, page: state.page, size: state.size, sort: state.sort, brand: state.brand,
    category: state.category, price_min: state.price_min, price_max: state.price_max, user_id: state.user,
    explain: "true" };
  let result;
  try { result = await api("/search", params); } catch (error) { $("summary").textContent = `Search failed: ${error.message}`; return; }
  if (result.redirect) { location.assign(result.redirect); return; }  // a query rule sends this search elsewhere
  if (remember) writeUrl();
  const pages = Math.max(1, Math.ceil(Math.min(result.total, 10000) / state.size));
  $("summary").textContent = `${result.total} products${result.personalized ? " · personalised for " + state.user : ""}`;
  if (result.corrected_to) $("summary").append(` · no product matched “${state.q}”: showing “${result.corrected_to}”`);
  else if (result.suggestion) {
    $("summary").append(" · did you mean ", el("button", { type: "button", class: "suggestion", onclick: () => {
      state.q = result.suggestion; $("q").value = state.q; state.page = 1; search(); } }, result.suggestion), "?");
  }
  $("results").replaceChildren(...result.hits.map((hit, i) =>
    card(hit, { explain: hit.explain, position: (state.page - 1) * state.size + i + 1 })));
  $("facets").replaceChildren(
    ...facetList("Brand", result.facets.brand.slice(0, 12), "brand"),
    ...facetList("Category", result.facets.category.slice(0, 14), "category"),
    ...facetList("Price", result.facets.price.filter((b) => b.count), "price", priceLabel));
  $("page-label").textContent = `Page ${state.page} of ${pages}`;
  $("prev").disabled = state.page <= 1; $("next").disabled = state.page >= pages;
  document.body.dataset.rendered = String(++renders);  // lets tests (and curious people) wait for a render
  if (resetRails) showForYou();
}

async function rail(id, path, params) {
  try {
    const { items } = await api(path, params);
    $(id).replaceChildren(...items.map((item) => card(item, { reason: item.reason })));
  } catch { $(id).replaceChildren(); }
}
const showForYou = () => state.user ? rail("rail-foryou", "/recommend/for-you", { user_id: state.user, size: 4 })
  : $("rail-foryou").replaceChildren(el("li", {}, "Pick a shopper to see their rail."));
function showRails(productId) {
  rail("rail-similar", `/recommend/similar/${encodeURIComponent(productId)}`, { size: 4 });
  rail("rail-together", `/recommend/bought-together/${encodeURIComponent(productId)}`, { size: 4 });
  showForYou();
}

// Autocomplete: a listbox under the combobox, with arrow keys, Enter and Escape.
let active = -1, timer = null;
function closeSuggestions() { $("suggestions").hidden = true; $("q").setAttribute("aria-expanded", "false"); active = -1; }
function choose(text) { $("q").value = text; closeSuggestions(); state.q = text; state.page = 1; search(); }
async function suggest() {
  const q = $("q").value.trim();
  if (!q) return closeSuggestions();
  const result = await api("/suggest", { q, size: 6 });
  if (q !== $("q").value.trim()) return; // typed on meanwhile: an older prefix's answer must not overwrite the newer
  const options = [...result.products.map((p) => [p.title, "product"]), ...result.brands.map((b) => [b, "brand"]),
    ...result.categories.map((c) => [c, "category"])];
  $("suggestions").replaceChildren(...options.map(([text, kind], i) => el("li", { role: "option", id: `sugg-${i}`,
    "aria-selected": "false", onmousedown: (e) => { e.preventDefault(); choose(text); } }, text, el("span", { class: "kind" }, kind))));
  $("suggestions").hidden = options.length === 0; $("q").setAttribute("aria-expanded", String(options.length > 0));
  active = -1;
}
$("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 120); });
$("q").addEventListener("keydown", (e) => {
  const options = [...$("suggestions").children];
  if ($("suggestions").hidden || !options.length) return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    active = (active + (e.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
    $("q").setAttribute("aria-activedescendant", options[active].id);
  } else if (e.key === "Enter" && active >= 0) {
    e.preventDefault(); choose(options[active].firstChild.textContent);
  } else if (e.key === "Escape") closeSuggestions();
});
$("search").addEventListener("submit", (e) => { e.preventDefault(); closeSuggestions(); state.q = $("q").value.trim(); state.page = 1; search(); });
$("sort").addEventListener("change", () => { state.sort = $("sort").value; state.page = 1; search(); });
$("prev").addEventListener("click", () => { state.page -= 1; search(false); });
$("next").addEventListener("click", () => { state.page += 1; search(false); });
$("user").addEventListener("change", () => { state.user = $("user").value; search(); });

window.addEventListener("popstate", () => { readUrl(); search(true, false); });

(async () => {
  readUrl();
  try {
    const users = shoppers ? shoppers.map((s) => s.id) : (await api("/users")).users;
    for (const user of users) $("user").append(el("option", { value: user }, user));
  } catch { /* the switcher stays anonymous-only */ }
  search(true, false);
})();
