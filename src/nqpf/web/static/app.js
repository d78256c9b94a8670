/* nqpf dashboard front end: plain JavaScript + ECharts (served locally), no network beyond this server. */
"use strict";

const S = {
  lang: "zh", t: {}, units: {}, run: null, baseRun: null, framework: "nqpf-core", dataset: "cn_provinces",
  periods: [], nodes: [], nodeLabels: {}, period: null, node: null, region: null, charts: {}, upload: null,
  frameworks: [], prod: {}, rows: {}, methods: null, source: null, defaultRun: null, level: "province", byLevel: {},
};
// the overview's levels (nqpf.web.schemas.LEVELS): shipped dataset, its framework and the map of that level
const LEVELS = {
  province: { dataset: "cn_provinces", framework: "nqpf-core", geo: "/api/geo/china", hint: "web.click_region" },
  city: { dataset: "cn_cities", framework: "city-structure-green", geo: "/api/geo/cities", hint: "web.level.click_city" },
};

function $(id) { return document.getElementById(id); }
function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }
function tr(key, vars) { let s = S.t[key] || key; if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, v); return s; }
function uname(u) {
  const n = S.units[u] || S.rows[u];
  if (!n) return u;
  return (S.lang === "zh" ? n.name_zh : n.name_en) || u;
}
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

function applyI18n() {
  document.documentElement.lang = S.lang === "zh" ? "zh" : "en";
  document.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = tr(el.dataset.i18n); });
  document.title = tr("web.title");
  $("lang-toggle").textContent = S.lang === "zh" ? "English" : "中文";
}

async function setLang(lang) {
  S.lang = lang;
  [S.t, S.methods] = await Promise.all([api(`/api/i18n/${lang}`), api(`/api/methods?lang=${lang}`)]);
  applyI18n();
  fillMethodSelects(); fillNodeSelect(); fillUnitSelect(); fillFrameworkSelects(); updateDownloads(); showElapsed(); showRunInfo();
  if (S.upload) renderUpload(S.upload);
  await refreshAll();
}

// how the server's China map is drawn: ECharts map name, the inset's data items and the caption (zh/en)
const mapInfo = () => (S.geo && S.geo.nqpf_map) || { map_name: "nqpf_china" };

function chart(id) {
  if (!window.echarts) return null;
  if (!S.charts[id]) { S.charts[id] = echarts.init($(id)); }
  return S.charts[id];
}

async function loading(c, work) {
  if (c) c.showLoading({ text: tr("web.loading") });
  try { return await work(); } finally { if (c) c.hideLoading(); }
}

function nodeLabel(n) {
  const l = S.nodeLabels[n];
  return l ? (S.lang === "zh" ? l.zh : l.en) || n : n;
}

function fillNodeSelect() {
  const sel = $("node-select");
  sel.innerHTML = S.nodes.map(n => `<option value="${esc(n)}">${esc(nodeLabel(n))}</option>`).join("");
  if (S.node) sel.value = S.node;
}

function fillUnitSelect() {
  const sel = $("unit-select");
  const units = (S.runUnits || Object.keys(S.units)).slice().sort();  // an upload's run: only its own units
  sel.innerHTML = units.map(u => `<option value="${esc(u)}">${esc(uname(u))}</option>`).join("");
  if (!S.region || !units.includes(S.region)) S.region = units[0] || null;  // the page shows what the selector says
  if (S.region) sel.value = S.region;
}

// every method the registry allows, shown by its catalogue name (GET /api/methods)
function fillMethodSelects() {
  if (!S.methods) return;
  document.querySelectorAll("select[data-step]").forEach(sel => {
    const cur = sel.value;
    const opts = S.methods.choices[sel.dataset.step] || [];
    // unset = the framework's declared method, else the engine default (gap filling: linear-carry, as the CLI)
    const dflt = sel.dataset.step === "impute"
      ? tr("web.methods.default_impute", { method: methodLabel("impute", S.methods.default_impute) }) : tr("web.methods.default");
    sel.innerHTML = `<option value="">${esc(dflt)}</option>` + opts.map(o => `<option value="${esc(o.value)}">${esc(o.label)}</option>`).join("");
    sel.value = cur;
  });
}

function methodLabel(step, v) {
  const o = S.methods && (S.methods.choices[step] || []).find(c => c.value === v);
  return o ? o.label : v;
}

// which run the overview shows, and a way back to the default one
function showRunInfo() {
  const btn = $("back-default");
  if (!S.last || !S.defaultRun || S.run === S.defaultRun) { $("run-desc").textContent = tr("web.overview.showing", { what: tr("web.overview.default") }); btn.hidden = true; return; }
  const st = S.last.settings || {};
  const methods = ["impute", "treat", "normalize", "weights", "aggregate"].filter(k => st[k]).map(k => methodLabel(k, st[k])).join(" · ");
  const src = S.source && S.source.upload ? tr("web.overview.upload", { name: S.source.filename || S.source.upload }) : (st.framework || "");
  $("run-desc").textContent = tr("web.overview.showing", { what: tr("web.overview.custom", { id: S.run, source: src, methods }) });
  btn.hidden = false;
}

function fwTitle(f) { return (S.lang === "zh" ? f.title_zh : f.title_en) || f.name; }

function fillFrameworkSelects() {
  const fsel = $("m-framework");
  const cur = fsel.value || S.framework;
  fsel.innerHTML = S.frameworks.filter(f => f.dataset === S.dataset).map(f => `<option value="${esc(f.name)}">${esc(fwTitle(f))}</option>`).join("");
  fsel.value = cur;
  if (!fsel.value) fsel.value = S.framework;  // after a level switch: that level's framework
  const usel = $("upload-framework");
  const ucur = usel.value || "auto";
  usel.innerHTML = `<option value="auto">${esc(tr("web.data.auto"))}</option>`
    + S.frameworks.filter(f => f.dataset === "cn_provinces").map(f => `<option value="${esc(f.name)}">${esc(fwTitle(f))}</option>`).join("");
  usel.value = ucur;
}

async function loadRun(req) {
  if (S.t["web.loading"]) status(tr("web.loading"));
  const summary = await api(`/api/runs?lang=${S.lang}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
  S.last = summary;
  showElapsed();
  return summary;
}

// the map of the current level, registered once under its own ECharts name; units get their map region names
function registerGeo() {
  if (!S.geo) { $("map").innerHTML = `<p class="why">${esc(tr("web.nomap"))}</p>`; return; }
  if (window.echarts && !echarts.getMap(mapInfo().map_name)) echarts.registerMap(mapInfo().map_name, S.geo);
  for (const f of S.geo.features || []) { const code = f.properties.id; if (S.units[code]) S.units[code].map_name = f.properties.name; }
}

// province / city: the level's shipped data, framework, map and default run; the region page lists its units
async function setLevel(level) {
  const lv = LEVELS[level];
  status(tr("web.loading"));
  const cached = S.byLevel[level] || (S.byLevel[level] = await Promise.all([
    api(`/api/units/${lv.dataset}`), api(lv.geo).catch(() => null), api(`/api/runs/default?level=${level}`)]));
  const [units, geo, sm] = cached;
  Object.assign(S, { level, dataset: lv.dataset, framework: lv.framework, units, geo, source: null, runUnits: null, node: null });
  S.last = sm; S.defaultRun = sm.id; S.baseRun = sm.id;
  registerGeo();
  document.querySelectorAll("#methods-form select[data-step]").forEach(el => { el.value = ""; });
  $("m-framework").value = ""; fillFrameworkSelects();
  $("level-select").value = level; $("level-note").hidden = level !== "city";
  $("click-hint").dataset.i18n = lv.hint; applyI18n(); showElapsed();
  await useRun(sm);
  const rk = await api(`/api/runs/${sm.id}/ranking?period=${S.period}&lang=${S.lang}`);
  S.runUnits = level === "city" ? rk.rows.map(r => r.unit) : null;  // cities without complete data are not ranked
  fillUnitSelect();
  await refreshAll();
  document.body.dataset.level = level;
}

function showElapsed() { if (S.last) status(`${tr("web.methods.elapsed")} ${S.last.elapsed_ms} ms · ${S.last.id}`); }

async function useRun(summary) {
  S.run = summary.id;
  S.periods = summary.periods;
  const pre = S.prefetch && S.prefetch.labels; if (S.prefetch) delete S.prefetch.labels;
  const labels = await (pre || api(`/api/runs/${S.run}/labels`));
  S.nodeLabels = Object.fromEntries(labels.nodes.map(n => [n.id, { zh: n.label_zh, en: n.label_en }]));
  S.nodes = labels.nodes.filter(n => !n.is_leaf).map(n => n.id);
  if (!S.node || !S.nodes.includes(S.node)) S.node = S.nodes[0];
  const slider = $("year-slider");
  slider.min = Math.min(...S.periods); slider.max = Math.max(...S.periods);
  if (!S.period || !S.periods.includes(S.period)) S.period = Math.max(...S.periods);
  slider.value = S.period; $("year-label").textContent = S.period;
  fillNodeSelect();
  updateDownloads();
  showRunInfo();
}

function updateDownloads() {
  $("dl-run").textContent = S.run ? `${tr("web.dl.run")}: ${S.run} · ${tr("web.year")} ${S.period}` : "";
  document.querySelectorAll("#downloads a").forEach(a => {
    a.href = `/api/runs/${S.run}/download/${a.dataset.kind}?period=${S.period}&lang=${S.lang}`;
  });
}

async function refreshOverview() {
  if (!S.run) return;
  const intervals = $("intervals-toggle").checked;
  const q = new URLSearchParams({ period: S.period, node: S.node === S.nodes[0] ? "" : S.node, intervals, lang: S.lang });
  if (intervals) status(tr("web.loading"));
  const key = `${S.run}?${q}`;
  const pre = S.prefetch && S.prefetch[key]; if (pre) delete S.prefetch[key];
  const m0 = chart("map"), r0 = chart("ranking");
  if (m0) m0.showLoading({ text: tr("web.loading") });
  const data = await loading(r0, () => pre || api(`/api/runs/${S.run}/ranking?${q}`)).finally(() => { if (m0) m0.hideLoading(); });
  const rows = data.rows;
  rows.forEach(r => { S.rows[r.unit] = r; });
  const hasIv = intervals && rows.length && rows[0].rank_p05 !== undefined;
  $("intervals-note").textContent = hasIv ? tr("web.overview.intervals_note", { n: 16 }) : (data.intervals_note || "");
  if (intervals) showElapsed();
  const m = chart("map");
  if (m && S.geo) {
    const scores = rows.map(r => r.score);
    m.setOption({
      animation: false,
      title: { text: `${nodeLabel(S.node)} · ${S.period}`, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item", formatter: p => { const d = p.data; if (!d || !d.unit) return esc(p.name); return `${esc(uname(d.unit))}<br>${esc(tr("common.score"))}: ${fmt(d.value, 4)}<br>${esc(tr("common.rank"))}: ${d.rank}`; } },
      visualMap: { min: Math.min(...scores), max: Math.max(...scores), left: 10, bottom: 10, calculable: true, precision: 2, inRange: { color: ["#fee8c8", "#e34a33", "#7f0000"] } },
      // the shared China map (nqpf.report.geo): the 南海诸岛 inset is a region of the geometry, styled by its items
      series: [{ type: "map", map: mapInfo().map_name, roam: false, top: 40, bottom: 10, label: { show: false }, emphasis: { label: { show: false } },
        data: rows.map(r => ({ name: (S.units[r.unit] || {}).map_name || r.unit, value: r.score, unit: r.unit, rank: r.rank }))
          .concat((mapInfo().inset_items || {})[S.lang] || []) }],
    }, true);
    $("map-note").innerText = (mapInfo().caption || {})[S.lang] || "";
  }
  const rc = chart("ranking");
  if (rc) {
    const sorted = [...rows].sort((a, b) => b.rank - a.rank);
    const cats = sorted.map(r => uname(r.unit));
    const label = { show: cats.length <= 60, position: "right", fontSize: 10, color: "#333",  // cities: tooltip only
      formatter: p => { const r = sorted[p.dataIndex]; return hasIv ? `#${r.rank} [${r.rank_p05}–${r.rank_p95}]` : `#${r.rank}`; } };
    rc.setOption({
      title: { text: `${tr("common.rank")}: ${nodeLabel(S.node)} ${S.period}`, left: "center", textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: ps => { const r = sorted[ps[0].dataIndex]; let s = `${esc(uname(r.unit))}: ${fmt(r.score, 4)} (#${r.rank})`; if (r.rank_p05 !== undefined) s += `<br>5–95 %: ${r.rank_p05}–${r.rank_p95}`; return s; } },
      grid: { left: 80, right: hasIv ? 95 : 45, top: 30, bottom: 20 },
      xAxis: { type: "value" }, yAxis: { type: "category", data: cats, axisLabel: { fontSize: cats.length > 60 ? 8 : 11 } },
      series: [{ type: "bar", name: tr("common.score"), data: sorted.map(r => ({ value: r.score, unit: r.unit })), itemStyle: { color: "#b22222" }, label }],
    }, true);
  }
  const list = [...rows].sort((a, b) => a.rank - b.rank);
  $("ranking-list").innerHTML = list.map(r => `<li><button type="button" class="linkish" data-unit="${esc(r.unit)}">${esc(uname(r.unit))}</button> ${fmt(r.score, 4)}${hasIv ? ` [${r.rank_p05}–${r.rank_p95}]` : ""}</li>`).join("");
  $("page-overview").dataset.shown = `${S.period}|${S.node}|${hasIv ? "iv" : ""}`;
}

async function refreshRegion() {
  if (!S.run) return;
  if (!S.region) { $("region-body").innerHTML = `<p class="hint">${esc(tr("web.click_region"))}</p>`; return; }
  const q = new URLSearchParams({ period: S.period, lang: S.lang });
  $("region-title").textContent = `${uname(S.region)} · ${S.period}`;
  const body = $("region-body");
  body.innerHTML = `<p>${esc(tr("web.loading"))}</p>`;
  try {
    const d = await loading(chart("region-radar"), () => api(`/api/runs/${S.run}/regions/${encodeURIComponent(S.region)}?${q}`));
    body.innerHTML = renderRegion(d);
    drawRegionCharts(d);
  } catch (e) { body.innerHTML = `<p class="sev-error">${esc(e.message)}</p>`; }
}

// the report's region charts: dimensions against the national mean (radar) and the history (lines)
function drawRegionCharts(d) {
  const c = d.charts;
  const rc = chart("region-radar"), tc = chart("region-trend");
  if (!c || !rc || !tc) return;
  const vals = c.radar.flatMap(r => [r.score, r.national_mean]).filter(v => v !== null);
  const top = Math.max(...vals, 0) * 1.1 || 1, low = Math.min(0, ...vals);
  rc.setOption({
    title: { text: c.radar_title, left: "center", textStyle: { fontSize: 13 } }, tooltip: {}, legend: { bottom: 5 },
    radar: { indicator: c.radar.map(r => ({ name: r.label, max: top, min: low })), radius: "60%", center: ["50%", "52%"], axisName: { fontSize: 11 } },
    series: [{ type: "radar", data: [
      { name: c.unit_label, value: c.radar.map(r => r.score), areaStyle: { opacity: 0.2 }, itemStyle: { color: "#b22222" } },
      { name: c.mean_label, value: c.radar.map(r => r.national_mean), itemStyle: { color: "#777" }, lineStyle: { type: "dashed" } }] }],
  }, true);
  const years = [...new Set(c.trend.map(r => r.period))].sort((a, b) => a - b);
  const nodes = [...new Set(c.trend.map(r => r.node))];
  const by = new Map(c.trend.map(r => [`${r.node}|${r.period}`, r.score]));
  const label = Object.fromEntries(c.trend.map(r => [r.node, r.label]));
  tc.setOption({
    title: { text: c.trend_title, left: "center", textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis" }, legend: { bottom: 5, type: "scroll" },
    grid: { left: 50, right: 20, top: 40, bottom: 60 }, xAxis: { type: "category", data: years }, yAxis: { type: "value", scale: true },
    series: nodes.map((n, i) => ({ type: "line", name: label[n], showSymbol: false, lineStyle: { width: i === 0 ? 3 : 1.5 },
      data: years.map(y => by.get(`${n}|${y}`) ?? null) })),
  }, true);
}

function cell(v, d) {
  if (typeof v === "number") return `<td class="num">${fmt(v, d ?? 3)}</td>`;
  return `<td>${esc(v ?? "—")}</td>`;
}

function table(rows, cols, id) {
  if (!rows || !rows.length) return "<p>—</p>";
  const head = cols.map(c => `<th>${esc(c.label)}</th>`).join("");
  const trs = rows.map(r => "<tr>" + cols.map(c => cell(r[c.key], c.d)).join("") + "</tr>").join("");
  return `<table${id ? ` id="${id}"` : ""}><thead><tr>${head}</tr></thead><tbody>${trs}</tbody></table>`;
}

function renderRegion(d) {
  let h = "";
  for (const sec of d.sections || []) {
    h += `<div class="card section" data-section="${esc(sec.key)}"><h4>${esc(sec.title)}</h4>`;
    if (sec.note) h += `<p class="why">${esc(sec.note)}</p>`;
    if (sec.rows) h += table(sec.rows, sec.columns);
    for (const item of sec.items || []) {
      h += `<div class="card item"><h5>${esc(item.title)}</h5>`;
      if (item.text) h += `<p>${esc(item.text)}</p>`;
      if (item.why) h += `<p class="why"><b>${esc(tr("web.region.why"))}:</b> ${esc(item.why)}</p>`;
      h += "</div>";
    }
    h += "</div>";
  }
  return h || "<p>—</p>";
}

async function refreshShift() {
  const c = chart("shift");
  if (!S.run || !S.baseRun || S.run === S.baseRun) {
    $("shift-note").textContent = tr("web.methods.same");
    if (c) c.clear();
    $("shift").style.display = "none";
    return;
  }
  $("shift").style.display = "";
  if (c) c.resize();
  const root = S.nodes[0];
  const q = new URLSearchParams({ period: S.period, base: S.baseRun, node: root, lang: S.lang });
  const d = await loading(c, () => api(`/api/runs/${S.run}/ranking?${q}`));
  const rows = [...d.rows].sort((a, b) => (b.shift ?? 0) - (a.shift ?? 0) || b.rank - a.rank);
  const moved = rows.filter(r => r.shift).length;
  const maxAbs = Math.max(0, ...rows.map(r => Math.abs(r.shift || 0)));
  $("shift-note").textContent = tr("web.shift.note", { period: S.period, moved, n: rows.length, max: maxAbs });
  // shift = rank − base rank: negative moved up (red), positive moved down (grey); one series each, so a legend
  const lab = { show: true, position: "right", fontSize: 10, formatter: p => { const r = rows[p.dataIndex]; return `#${r.base_rank}→#${r.rank}`; } };
  const part = up => rows.map(r => { const v = r.shift ?? 0; return (up ? v <= 0 : v > 0) ? v : "-"; });
  if (c) c.setOption({
    legend: { top: 0, data: [tr("web.shift.up"), tr("web.shift.down")] },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: ps => { const r = rows[ps[0].dataIndex]; return `${esc(uname(r.unit))}: #${r.base_rank} → #${r.rank}`; } },
    grid: { left: 80, right: 80, top: 30, bottom: 45 },
    xAxis: { type: "value", name: tr("web.shift.axis"), nameLocation: "middle", nameGap: 22, minInterval: 1 }, yAxis: { type: "category", data: rows.map(r => uname(r.unit)), axisLabel: { fontSize: 11 } },
    series: [{ type: "bar", name: tr("web.shift.up"), stack: "shift", data: part(true), itemStyle: { color: "#b22222" }, label: lab },
      { type: "bar", name: tr("web.shift.down"), stack: "shift", data: part(false), itemStyle: { color: "#999" }, label: lab }],
  }, true);
}

function lineOption(title, rows, yName) {
  const years = [...new Set(rows.map(r => r.period))].sort((a, b) => a - b);
  const countries = [...new Set(rows.map(r => r.unit))];
  const byKey = new Map(rows.map(r => [`${r.unit}|${r.period}`, r.value]));
  return {
    title: { text: title, textStyle: { fontSize: 13 }, left: "center" }, tooltip: { trigger: "axis" }, legend: { top: 25 },
    grid: { left: 60, right: 20, top: 60, bottom: 30 },
    xAxis: { type: "category", data: years }, yAxis: { type: "value", scale: true, name: yName },
    series: countries.map(u => ({ type: "line", name: u, showSymbol: false, data: years.map(y => byKey.get(`${u}|${y}`) ?? null) })),
  };
}

async function refreshProductivity() {
  try {
    const c = chart("world-tfp");
    const w = S.prod[`w_${S.lang}`] || (S.prod[`w_${S.lang}`] = await loading(c, () => api(`/api/productivity/world?lang=${S.lang}`)));
    if (c) c.setOption(lineOption(w.growth_title, w.growth, "Δln A"), true);
    const c2 = chart("world-ctfp");
    if (c2) c2.setOption(lineOption(w.levels_title, w.levels, "ctfp"), true);
  } catch (e) { $("world-tfp").textContent = e.message; }
  try {
    $("province-eff").innerHTML = `<p>${esc(tr("web.loading"))}</p>`;
    const p = S.prod[`p_${S.lang}`] || (S.prod[`p_${S.lang}`] = await api(`/api/productivity/provinces?lang=${S.lang}`));
    $("province-eff").innerHTML = (p.note ? `<p class="why">${esc(p.note)}</p>` : "") + table(p.rows, p.columns, "gml-table");
  } catch (e) { $("province-eff").textContent = e.message; }
}

async function refreshAll() {
  const active = document.querySelector(".page.active").id.replace("page-", "");
  try {
    if (active === "overview") await refreshOverview();
    if (active === "region") await refreshRegion();
    if (active === "methods") await refreshShift();
    if (active === "productivity") await refreshProductivity();
    if (active === "downloads") updateDownloads();
  } catch (e) { status(`${tr("web.error")}: ${e.message}`, true); }
}

function showTab(name) {
  document.querySelectorAll("nav button").forEach(b => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".page").forEach(p => p.classList.toggle("active", p.id === `page-${name}`));
  Object.values(S.charts).forEach(c => c.resize());
  return refreshAll();
}

async function onUpload(file) {
  const rep = $("upload-report");
  rep.innerHTML = `<p>${esc(tr("web.loading"))}</p>`;
  $("upload-mapping").hidden = true;
  $("upload-result").innerHTML = "";
  try {
    const buf = await file.arrayBuffer();
    const q = new URLSearchParams({ filename: file.name, units: $("upload-units").value, lang: S.lang });
    S.upload = await api(`/api/uploads?${q}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: buf });
    renderUpload(S.upload);
  } catch (e) {
    S.upload = null;
    const probs = (e.body && e.body.detail) || [];
    rep.innerHTML = `<p id="upload-verdict" class="sev-error">${esc(e.message)}</p>` + (Array.isArray(probs) ? `<ul>${probs.map(p => `<li>${esc(typeof p === "string" ? p : JSON.stringify(p))}</li>`).join("")}</ul>` : "");
  }
}

function renderUpload(d) {
  const probs = (d.report.problems || []);
  $("upload-report").innerHTML = `<p id="upload-verdict" class="${d.ok ? "ok" : "sev-error"}">${esc(d.ok ? tr("web.data.ok") : tr("web.data.errors"))} · ${esc(d.filename)} · ${d.n_rows ?? 0} ${esc(tr("web.data.rows"))}</p>`
    + (probs.length ? `<table id="problems"><thead><tr><th>${esc(tr("web.col.severity"))}</th><th>${esc(tr("web.col.where"))}</th><th>${esc(tr("web.col.message"))}</th></tr></thead><tbody>`
      + probs.map(p => `<tr class="problem"><td class="sev-${esc(p.severity)}">${esc(tr(p.severity === "error" ? "common.error" : "common.warning"))}</td><td>${esc(p.where)}</td><td>${esc(p.message)}</td></tr>`).join("")
      + "</tbody></table>" : "");
  const cov = d.report.coverage || { periods: [], rows: [] };
  $("upload-coverage").innerHTML = cov.rows.length ? `<h4>${esc(tr("web.data.coverage"))}</h4>`
    + table(cov.rows.map(r => Object.fromEntries([["indicator", r.indicator], ...r.shares.map((x, i) => [`p${cov.periods[i]}`, `${Math.round(100 * x)}%`])])),
      [{ key: "indicator", label: tr("common.indicator") }, ...cov.periods.map(p => ({ key: `p${p}`, label: String(p) }))], "coverage") : "";
  if (d.report.lang && d.report.lang !== S.lang) $("upload-coverage").innerHTML += `<p class="why">${esc(tr("web.data.lang_note"))}</p>`;
  if (d.ok) { $("upload-mapping").hidden = false; renderMapping(); }
}

// the methods form's settings (normalisation, weighting, …) as request fields (unset ones left out)
function methodSettings() {
  const req = {};
  for (const [k, v] of new FormData($("methods-form")).entries()) if (v && k !== "framework") req[k] = v;
  return req;
}

// an upload's settings: the methods form, with the "Your data" tab's gap filling and outlier treatment
function uploadMethods() {
  const req = methodSettings();
  for (const [k, id] of [["impute", "upload-impute"], ["treat", "upload-treat"]]) if ($(id).value) req[k] = $(id).value;
  return req;
}

async function renderMapping() {
  const fw = $("upload-framework").value;
  const box = $("mapping-table");
  const cols = S.upload.indicators;
  if (fw === "auto") { box.innerHTML = `<p class="why">${esc(cols.join(", "))}</p>`; return; }
  const spec = S.prod[`fw_${fw}`] || (S.prod[`fw_${fw}`] = await api(`/api/frameworks/${encodeURIComponent(fw)}`));
  const leaves = spec.nodes.filter(n => n.is_leaf);
  const opts = sel => `<option value="">${esc(tr("web.data.unmapped"))}</option>` + cols.map(c => `<option value="${esc(c)}"${c === sel ? " selected" : ""}>${esc(c)}</option>`).join("");
  box.innerHTML = `<table id="mapping"><thead><tr><th>${esc(tr("web.data.leaf"))}</th><th>${esc(tr("web.data.column"))}</th></tr></thead><tbody>`
    + leaves.map(n => {
      const guess = cols.includes(n.id) ? n.id : (cols.includes(n.series) ? n.series : "");
      return `<tr><td>${esc(S.lang === "zh" ? n.label_zh : n.label_en)} <span class="why">(${esc(n.id)}${n.direction === -1 ? ", −" : ""})</span></td><td><select data-leaf="${esc(n.id)}">${opts(guess)}</select></td></tr>`;
    }).join("") + "</tbody></table>";
}

async function computeUpload() {
  const out = $("upload-result");
  out.innerHTML = esc(tr("web.loading"));
  try {
    const fw = $("upload-framework").value;
    const req = { ...uploadMethods(), upload: S.upload.id, dataset: null, framework: fw };
    if (fw !== "auto") {
      const mapping = {};
      document.querySelectorAll("#mapping select").forEach(s => { if (s.value) mapping[s.dataset.leaf] = s.value; });
      if (!Object.keys(mapping).length) { out.innerHTML = `<p class="sev-error">${esc(tr("web.data.need_mapping"))}</p>`; return; }
      req.mapping = mapping;
    }
    const summary = await loadRun(req);
    S.source = { upload: S.upload.id, filename: S.upload.filename, framework: fw, mapping: req.mapping || null };
    S.baseRun = summary.id;  // rank shifts of later method changes are against this first run on the upload
    const p = Math.max(...summary.periods);
    const scores = await api(`/api/runs/${summary.id}/ranking?period=${p}&lang=${S.lang}`);
    scores.rows.forEach(r => { S.rows[r.unit] = r; });
    S.runUnits = scores.rows.map(r => r.unit);
    fillUnitSelect();
    out.innerHTML = `<p id="upload-run">${esc(tr("web.dl.run"))}: ${esc(summary.id)} · ${esc(tr("web.year"))} ${p} · ${summary.elapsed_ms} ms</p>`
      + table(scores.rows.map(r => ({ rank: r.rank, unit: r.unit, name: S.lang === "zh" ? r.name_zh : r.name_en, score: r.score })),
        [{ key: "rank", label: tr("common.rank"), d: 0 }, { key: "unit", label: tr("report.col.unit") }, { key: "name", label: tr("common.unit") }, { key: "score", label: tr("common.score"), d: 4 }]);
    await useRun(summary);
  } catch (e) {
    const det = e.body && Array.isArray(e.body.detail) ? `<ul>${e.body.detail.map(x => `<li>${esc(typeof x === "string" ? x : JSON.stringify(x))}</li>`).join("")}</ul>` : "";
    out.innerHTML = `<p class="sev-error">${esc(e.message)}</p>${det}`;
  }
}

// the first API calls start while the browser is still parsing ECharts (both scripts are deferred, this one first)
const FIRST = Promise.all([
  api(`/api/i18n/${S.lang}`), api("/api/frameworks"), api(`/api/units/${S.dataset}`), api("/api/geo/china").catch(() => null),
  api(`/api/methods?lang=${S.lang}`),
  api("/api/runs/default").then(async sm => {
    // the default view's labels and ranking (latest year, overall index) are fetched before ECharts is ready
    const q = new URLSearchParams({ period: Math.max(...sm.periods), node: "", intervals: false, lang: S.lang });
    S.prefetch = { labels: api(`/api/runs/${sm.id}/labels`), [`${sm.id}?${q}`]: api(`/api/runs/${sm.id}/ranking?${q}`) };
    return sm;
  }),
]);
// Deferred scripts run while readyState is already "interactive", so this script cannot treat "not loading"
// as ready: ECharts (the next deferred script) may not have run yet, and charts made then would be null — the
// map's and ranking's click handlers were lost that way. DOMContentLoaded fires after every deferred script.
const DOM_READY = new Promise(res => {
  if (document.readyState === "complete") res();
  else { document.addEventListener("DOMContentLoaded", res); window.addEventListener("load", res); }
});

async function init() {
  const [t, frameworks, units, geo, methods, summary] = await FIRST;
  await DOM_READY;
  S.last = summary; S.defaultRun = summary.id;
  S.t = t; S.frameworks = frameworks; S.units = units; S.geo = geo; S.methods = methods;
  fillMethodSelects();
  applyI18n(); showElapsed();
  S.byLevel.province = [units, geo, summary];
  registerGeo();
  fillFrameworkSelects();
  S.baseRun = summary.id;
  await useRun(summary);
  fillUnitSelect();

  document.querySelectorAll("nav button").forEach(b => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("lang-toggle").addEventListener("click", () => setLang(S.lang === "zh" ? "en" : "zh"));
  $("year-slider").addEventListener("input", e => { $("year-label").textContent = e.target.value; });
  $("year-slider").addEventListener("change", e => { S.period = Number(e.target.value); $("year-label").textContent = S.period; updateDownloads(); refreshAll(); });
  $("node-select").addEventListener("change", e => { S.node = e.target.value; refreshAll(); });
  $("intervals-toggle").addEventListener("change", refreshAll);
  $("level-select").addEventListener("change", e => setLevel(e.target.value).catch(err => status(`${tr("web.error")}: ${err.message}`, true)));
  $("unit-select").addEventListener("change", e => { S.region = e.target.value; refreshRegion(); });
  const goRegion = unit => { if (!unit) return; S.region = unit; fillUnitSelect(); showTab("region"); };
  const m = chart("map");
  if (m) m.on("click", p => goRegion(p.data && p.data.unit));
  const rc = chart("ranking");
  if (rc) rc.on("click", p => goRegion(p.data && p.data.unit));
  $("ranking-list").addEventListener("click", ev => { const b = ev.target.closest("button[data-unit]"); if (b) goRegion(b.dataset.unit); });
  $("methods-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    // on an upload's run the form recomputes that upload (its framework and mapping), else the built-in data
    const req = S.source && S.source.upload
      ? { ...uploadMethods(), upload: S.source.upload, dataset: null, framework: S.source.framework, ...(S.source.mapping ? { mapping: S.source.mapping } : {}) }
      : { dataset: S.dataset };
    if (!(S.source && S.source.upload)) for (const [k, v] of fd.entries()) if (v) req[k] = v;
    try {
      const s = await loadRun(req);
      $("methods-info").textContent = `${tr("web.methods.elapsed")} ${s.elapsed_ms} ms · ${s.id}`;
      await useRun(s); await refreshShift();
    } catch (e) { $("methods-info").textContent = `${tr("web.error")}: ${e.message}`; }
  });
  document.querySelectorAll("#methods-form select").forEach(el => el.addEventListener("change", () => $("methods-form").requestSubmit()));
  $("file-input").addEventListener("change", e => { if (e.target.files.length) onUpload(e.target.files[0]); });
  $("upload-framework").addEventListener("change", () => { if (S.upload && S.upload.ok) renderMapping(); });
  $("compute-upload").addEventListener("click", computeUpload);
  $("back-default").addEventListener("click", async () => {
    S.source = null; S.baseRun = S.defaultRun; S.runUnits = null; fillUnitSelect();
    document.querySelectorAll("#methods-form select[data-step]").forEach(el => { el.value = ""; });
    const sm = await api(`/api/runs/default?level=${S.level}`); S.last = sm; showElapsed();
    await useRun(sm); await refreshAll();
  });
  window.addEventListener("resize", () => Object.values(S.charts).forEach(c => c.resize()));
  await refreshAll();
  document.body.dataset.ready = "1";
}

init().catch(e => { DOM_READY.then(() => status(`${tr("web.error")}: ${e.message}`, true)); });
