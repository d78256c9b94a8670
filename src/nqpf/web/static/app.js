/* nqpf dashboard front end: plain JavaScript + ECharts (served locally), no network beyond this server. */
"use strict";

const S = {
  lang: "zh", t: {}, units: {}, run: null, baseRun: null, framework: "nqpf-core", dataset: "cn_provinces",
  periods: [], nodes: [], period: null, node: null, charts: {}, upload: null, frameworks: [],
};

function $(id) { return document.getElementById(id); }
function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }
function tr(key) { return S.t[key] || key; }
function uname(u) { const n = S.units[u]; if (!n) return u; return (S.lang === "zh" ? n.name_zh : n.name_en) || u; }
function fmt(x, d = 3) { return (x === null || x === undefined || Number.isNaN(x)) ? "—" : Number(x).toFixed(d); }

function status(msg, isError = false) { const el = $("status"); el.textContent = msg || ""; el.className = isError ? "error" : ""; }

async function api(path, opts = {}) {
  const r = await fetch(path, opts);
  const ct = r.headers.get("content-type") || "";
  const body = ct.includes("application/json") ? await r.json() : await r.text();
  if (!r.ok) {
    const msg = (body && body.error) ? body.error : `HTTP ${r.status}`;
    const err = new Error(msg); err.body = body; err.status = r.status; throw err;
  }
  return body;
}

async function setLang(lang) {
  S.lang = lang;
  S.t = await api(`/api/i18n/${lang}`);
  updateDownloads();
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = tr(el.dataset.i18n); });
  document.title = tr("web.title");
  $("lang-toggle").textContent = lang === "zh" ? "English" : "中文";
  fillNodeSelect(); fillUnitSelect();
  await refreshAll();
}

function chart(id) {
  if (!window.echarts) return null;
  if (!S.charts[id]) { S.charts[id] = echarts.init($(id)); }
  return S.charts[id];
}

function nodeLabel(n) {
  const fw = S.nodeLabels || {};
  const l = fw[n];
  return l ? (S.lang === "zh" ? l.zh : l.en) || n : n;
}

function fillNodeSelect() {
  const sel = $("node-select");
  sel.innerHTML = S.nodes.map(n => `<option value="${esc(n)}">${esc(nodeLabel(n))}</option>`).join("");
  if (S.node) sel.value = S.node;
}

function fillUnitSelect() {
  const sel = $("unit-select");
  const units = Object.keys(S.units).sort();
  sel.innerHTML = units.map(u => `<option value="${esc(u)}">${esc(uname(u))}</option>`).join("");
  if (S.region) sel.value = S.region;
}

async function loadRun(req) {
  status(tr("web.loading"));
  const summary = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
  status(`${tr("web.methods.elapsed")} ${summary.elapsed_ms} ms · ${summary.id}`);
  return summary;
}

async function useRun(summary) {
  S.run = summary.id;
  S.periods = summary.periods;
  const labels = await api(`/api/runs/${S.run}/labels`);
  S.nodeLabels = Object.fromEntries(labels.nodes.map(n => [n.id, { zh: n.label_zh, en: n.label_en }]));
  S.nodes = labels.nodes.filter(n => !n.is_leaf).map(n => n.id);
  if (!S.node || !S.nodes.includes(S.node)) S.node = S.nodes[0];
  const slider = $("year-slider");
  slider.min = Math.min(...S.periods); slider.max = Math.max(...S.periods);
  if (!S.period || !S.periods.includes(S.period)) S.period = Math.max(...S.periods);
  slider.value = S.period; $("year-label").textContent = S.period;
  fillNodeSelect();
  updateDownloads();
}

function updateDownloads() {
  $("dl-run").textContent = `run ${S.run}`;
  document.querySelectorAll("#downloads a").forEach(a => {
    a.href = `/api/runs/${S.run}/download/${a.dataset.kind}?period=${S.period}&lang=${S.lang}`;
  });
}

async function refreshOverview() {
  if (!S.run) return;
  const intervals = $("intervals-toggle").checked;
  const q = new URLSearchParams({ period: S.period, node: S.node, intervals });
  const data = await api(`/api/runs/${S.run}/ranking?${q}`);
  const rows = data.rows;
  const m = chart("map");
  if (m && S.geo) {
    m.setOption({
      tooltip: { trigger: "item", formatter: p => `${esc(p.name)}<br>${tr("common.score")}: ${fmt(p.value)}` },
      visualMap: { min: Math.min(...rows.map(r => r.score)), max: Math.max(...rows.map(r => r.score)), left: 10, bottom: 10, calculable: true, inRange: { color: ["#fee8c8", "#e34a33", "#7f0000"] } },
      series: [{ type: "map", map: "china", roam: false, nameProperty: "name",
        data: rows.map(r => ({ name: (S.units[r.unit] || {}).map_name || r.unit, value: r.score, unit: r.unit })) }],
    }, true);
  }
  const rc = chart("ranking");
  if (rc) {
    const sorted = [...rows].sort((a, b) => b.rank - a.rank);
    const cats = sorted.map(r => uname(r.unit));
    const series = [{ type: "bar", name: tr("common.rank"), data: sorted.map(r => ({ value: r.score, unit: r.unit })), itemStyle: { color: "#b22222" } }];
    if (intervals && sorted.length && sorted[0].rank_p05 !== undefined) {
      series.push({ type: "custom", name: "5–95 %", renderItem: (params, api) => {
        const y = api.coord([0, api.value(0)])[1];
        return { type: "text", style: { text: `${api.value(1)}–${api.value(2)}`, x: api.getWidth() - 60, y: y - 6, fill: "#333", font: "11px sans-serif" } };
      }, data: sorted.map((r, i) => [i, r.rank_p05, r.rank_p95]), encode: { y: 0 } });
    }
    rc.setOption({
      title: { text: `${nodeLabel(S.node)} ${S.period}`, left: "center", textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", formatter: ps => { const r = sorted[ps[0].dataIndex]; let s = `${esc(uname(r.unit))}: ${fmt(r.score)} (#${r.rank})`; if (r.rank_p05 !== undefined) s += `<br>5–95 %: ${r.rank_p05}–${r.rank_p95}`; return s; } },
      grid: { left: 90, right: 70, top: 30, bottom: 20 },
      xAxis: { type: "value" }, yAxis: { type: "category", data: cats, axisLabel: { fontSize: 11 } }, series,
    }, true);
  }
}

async function refreshRegion() {
  if (!S.run || !S.region) return;
  const q = new URLSearchParams({ period: S.period, lang: S.lang });
  $("region-title").textContent = `${uname(S.region)} · ${S.period}`;
  const body = $("region-body");
  body.innerHTML = `<p>${tr("web.loading")}</p>`;
  try {
    const d = await api(`/api/runs/${S.run}/regions/${encodeURIComponent(S.region)}?${q}`);
    body.innerHTML = renderRegion(d);
  } catch (e) { body.innerHTML = `<p class="sev-error">${esc(e.message)}</p>`; }
}

function table(rows, cols) {
  if (!rows || !rows.length) return "<p>—</p>";
  const head = cols.map(c => `<th>${esc(c.label)}</th>`).join("");
  const trs = rows.map(r => "<tr>" + cols.map(c => { const v = r[c.key]; return typeof v === "number" ? `<td class="num">${fmt(v, c.d ?? 3)}</td>` : `<td>${esc(v)}</td>`; }).join("") + "</tr>").join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${trs}</tbody></table>`;
}

function renderRegion(d) {
  let h = "";
  for (const sec of d.sections || []) {
    h += `<div class="card section" data-section="${esc(sec.key)}"><h4>${esc(sec.title)}</h4>`;
    if (sec.note) h += `<p class="why">${esc(sec.note)}</p>`;
    if (sec.rows) h += table(sec.rows, sec.columns);
    for (const item of sec.items || []) {
      h += `<div class="card"><h4>${esc(item.title)}</h4>`;
      if (item.text) h += `<p>${esc(item.text)}</p>`;
      if (item.why) h += `<p class="why"><b>${tr("web.region.why")}:</b> ${esc(item.why)}</p>`;
      h += "</div>";
    }
    h += "</div>";
  }
  return h || "<p>—</p>";
}

async function refreshShift() {
  if (!S.run || !S.baseRun || S.run === S.baseRun) { const c = chart("shift"); if (c) c.clear(); return; }
  const q = new URLSearchParams({ period: S.period, base: S.baseRun });
  const root = S.nodes[0];
  q.set("node", root);
  const d = await api(`/api/runs/${S.run}/ranking?${q}`);
  const rows = [...d.rows].sort((a, b) => (a.shift ?? 0) - (b.shift ?? 0));
  const c = chart("shift");
  if (c) c.setOption({
    tooltip: { trigger: "axis" }, grid: { left: 90, right: 20, top: 10, bottom: 20 },
    xAxis: { type: "value", name: "Δ rank" }, yAxis: { type: "category", data: rows.map(r => uname(r.unit)) },
    series: [{ type: "bar", data: rows.map(r => r.shift ?? 0), itemStyle: { color: "#555" } }],
  }, true);
}

async function refreshProductivity() {
  try {
    const w = await api("/api/productivity/world");
    const c = chart("world-tfp");
    if (c && w.growth) {
      const years = [...new Set(w.growth.map(r => r.period))].sort();
      const countries = [...new Set(w.growth.map(r => r.unit))];
      c.setOption({
        title: { text: w.growth_title || "", textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis" }, legend: { top: 25 },
        xAxis: { type: "category", data: years }, yAxis: { type: "value", scale: true },
        series: countries.map(u => ({ type: "line", name: u, data: years.map(y => { const r = w.growth.find(x => x.unit === u && x.period === y); return r ? r.value : null; }) })),
      }, true);
    }
    const c2 = chart("world-ctfp");
    if (c2 && w.levels) {
      const years = [...new Set(w.levels.map(r => r.period))].sort();
      const countries = [...new Set(w.levels.map(r => r.unit))];
      c2.setOption({
        title: { text: w.levels_title || "ctfp (USA = 1)", textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis" }, legend: { top: 25 },
        xAxis: { type: "category", data: years }, yAxis: { type: "value", scale: true },
        series: countries.map(u => ({ type: "line", name: u, data: years.map(y => { const r = w.levels.find(x => x.unit === u && x.period === y); return r ? r.value : null; }) })),
      }, true);
    }
  } catch (e) { $("world-tfp").textContent = e.message; }
  try {
    const p = await api("/api/productivity/provinces");
    $("province-eff").innerHTML = (p.note ? `<p class="why">${esc(p.note)}</p>` : "") + table(p.rows, p.columns);
  } catch (e) { $("province-eff").textContent = e.message; }
}

async function refreshAll() {
  const active = document.querySelector(".page.active").id.replace("page-", "");
  try {
    if (active === "overview") await refreshOverview();
    if (active === "region") await refreshRegion();
    if (active === "methods") await refreshShift();
    if (active === "productivity") await refreshProductivity();
  } catch (e) { status(`${tr("web.error")}: ${e.message}`, true); }
}

function showTab(name) {
  document.querySelectorAll("nav button").forEach(b => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".page").forEach(p => p.classList.toggle("active", p.id === `page-${name}`));
  Object.values(S.charts).forEach(c => c.resize());
  refreshAll();
}

async function onUpload(file) {
  const rep = $("upload-report");
  rep.innerHTML = `<p>${tr("web.loading")}</p>`;
  $("upload-mapping").hidden = true;
  try {
    const buf = await file.arrayBuffer();
    const d = await api(`/api/uploads?filename=${encodeURIComponent(file.name)}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: buf });
    S.upload = d;
    const probs = (d.report.problems || []).map(p => ({ severity: p.severity, where: p.where, message: p.message }));
    rep.innerHTML = `<p id="upload-verdict" class="${d.ok ? "" : "sev-error"}">${esc(d.ok ? tr("web.data.ok") : tr("web.data.errors"))} · ${esc(d.filename)} · ${d.n_rows ?? 0} rows</p>`
      + `<table id="problems"><thead><tr><th>${tr("web.col.severity")}</th><th>${tr("web.col.where")}</th><th>${tr("web.col.message")}</th></tr></thead><tbody>`
      + probs.map(p => `<tr class="problem"><td class="sev-${esc(p.severity)}">${esc(p.severity)}</td><td>${esc(p.where)}</td><td>${esc(p.message)}</td></tr>`).join("")
      + "</tbody></table>";
    if (d.ok) showMapping(d);
  } catch (e) {
    const probs = (e.body && e.body.detail) || [];
    rep.innerHTML = `<p id="upload-verdict" class="sev-error">${esc(e.message)}</p>` + (Array.isArray(probs) ? `<ul>${probs.map(p => `<li>${esc(typeof p === "string" ? p : JSON.stringify(p))}</li>`).join("")}</ul>` : "");
  }
}

function showMapping(d) {
  $("upload-mapping").hidden = false;
  const sel = $("upload-framework");
  sel.innerHTML = `<option value="auto">${esc(tr("web.data.auto"))}</option>`;
  $("mapping-table").innerHTML = `<p>${esc(d.indicators.join(", "))}</p>`;
}

async function computeUpload() {
  const out = $("upload-result");
  out.innerHTML = tr("web.loading");
  try {
    const summary = await loadRun({ upload: S.upload.id, dataset: null, framework: $("upload-framework").value });
    const scores = await api(`/api/runs/${summary.id}/ranking?period=${Math.max(...summary.periods)}`);
    out.innerHTML = `<p id="upload-run">${esc(summary.id)}</p>` + table(scores.rows.map(r => ({ unit: r.unit, score: r.score, rank: r.rank })),
      [{ key: "unit", label: tr("common.unit") }, { key: "score", label: tr("common.score") }, { key: "rank", label: tr("common.rank"), d: 0 }]);
    await useRun(summary);
  } catch (e) { out.innerHTML = `<p class="sev-error">${esc(e.message)}</p>`; }
}

async function init() {
  S.t = await api(`/api/i18n/${S.lang}`);
  S.frameworks = await api("/api/frameworks");
  S.units = await api(`/api/units/${S.dataset}`);
  try {
    S.geo = await api("/api/geo/china");
    if (window.echarts) echarts.registerMap("china", S.geo);
    for (const f of S.geo.features || []) {
      const code = f.properties.id; if (S.units[code]) S.units[code].map_name = f.properties.name;
    }
  } catch (e) { S.geo = null; }
  const fsel = $("m-framework");
  fsel.innerHTML = S.frameworks.filter(f => f.dataset === S.dataset).map(f => `<option value="${esc(f.name)}">${esc(f.name)}</option>`).join("");
  fsel.value = S.framework;
  const summary = await loadRun({ dataset: S.dataset, framework: S.framework });
  S.baseRun = summary.id;
  await useRun(summary);
  fillNodeSelect(); fillUnitSelect();
  document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = tr(el.dataset.i18n); });

  document.querySelectorAll("nav button").forEach(b => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("lang-toggle").addEventListener("click", () => setLang(S.lang === "zh" ? "en" : "zh"));
  $("year-slider").addEventListener("input", e => { $("year-label").textContent = e.target.value; });
  $("year-slider").addEventListener("change", e => { S.period = Number(e.target.value); $("year-label").textContent = S.period; updateDownloads(); refreshAll(); });
  $("node-select").addEventListener("change", e => { S.node = e.target.value; refreshAll(); });
  $("intervals-toggle").addEventListener("change", refreshAll);
  $("unit-select").addEventListener("change", e => { S.region = e.target.value; refreshRegion(); });
  const goRegion = unit => { if (!unit) return; S.region = unit; fillUnitSelect(); showTab("region"); };
  const m = chart("map");
  if (m) m.on("click", p => goRegion(p.data && p.data.unit));
  const rc = chart("ranking");
  if (rc) rc.on("click", p => goRegion(p.data && p.data.unit));
  $("methods-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const req = { dataset: S.dataset };
    for (const [k, v] of fd.entries()) if (v) req[k] = v;
    try {
      const s = await loadRun(req);
      $("methods-info").textContent = `${tr("web.methods.elapsed")} ${s.elapsed_ms} ms`;
      await useRun(s); await refreshShift();
    } catch (e) { $("methods-info").textContent = `${tr("web.error")}: ${e.message}`; }
  });
  $("file-input").addEventListener("change", e => { if (e.target.files.length) onUpload(e.target.files[0]); });
  $("compute-upload").addEventListener("click", computeUpload);
  window.addEventListener("resize", () => Object.values(S.charts).forEach(c => c.resize()));
  await refreshAll();
  document.body.dataset.ready = "1";
}

init().catch(e => status(`${tr("web.error")}: ${e.message}`, true));
