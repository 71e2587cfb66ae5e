// The analytics page: GET /admin/analytics (admin role) drawn as tables with bars.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
};
const TABLES = [
  ["top_queries", "Top queries", ["query", "searches", "clicks", "clicks_per_search", "carts", "carts_per_search"],
    "searches"],
  ["zero_results", "Zero-result queries", ["query", "searches"], "searches"],
  ["no_clicks", "Queries with results but no clicks", ["query", "searches"], "searches"],
  ["by_position", "By position (1 = first result)", ["position", "impressions", "clicks", "ctr", "carts", "cart_rate"], "ctr"],
];

function table(id, title, columns, bar, rows) {
  const max = Math.max(...rows.map((r) => r[bar]), 1e-9);
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c)), el("th", {}, bar));
  const body = rows.map((r) => el("tr", {}, ...columns.map((c) => el("td", {}, String(r[c]))),
    el("td", {}, el("i", { class: "bar", style: `width:${Math.round(120 * r[bar] / max)}px` }))));
  const content = rows.length ? el("table", { id }, el("thead", {}, head), el("tbody", {}, ...body))
    : el("p", { id }, "none");
  return el("section", {}, el("h2", {}, title), content);
}

async function show() {
  const key = $("key").value || sessionStorage.getItem("shopsearch-admin-key") || "";
  if ($("key").value) sessionStorage.setItem("shopsearch-admin-key", key);
  const response = await fetch(`/admin/analytics?since=${$("since").value}`,
    { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  const result = await response.json();
  if (!response.ok) { $("summary").textContent = `Refused: ${result.error || response.statusText}`; return; }
  $("summary").textContent = `${result.searches} searches in the last ${result.since}`;
  $("report").replaceChildren(...TABLES.map(([name, title, columns, bar]) => table(name, title, columns, bar, result[name])));
  document.body.dataset.rendered = "yes";
}

$("controls").addEventListener("submit", (e) => { e.preventDefault(); show(); });
show();
