// One run: counts and ETA, then one panel per view of /api/runs/{run}/insights. A panel is a <section> in
// run.html and a renderer in `panels` below; each renderer gets the insights and the run overview (and may be async,
// like the pseudo-label sets panel, which reads its own API).
"use strict";

const runId = new URLSearchParams(location.search).get("run") || "latest";
const charts = {};
const colors = { ok: "#2f9e44", failed: "#e03131", running: "#1c7ed6", pending: "#adb5bd", completed: "#2f9e44", skipped: "#f59f00", bar: "#4c6ef5" };
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

// Creates the chart on first use, then only swaps its data (no flicker, no leaked canvases).
function chart(id, type, labels, datasets, options = {}) {
  if (charts[id]) {
    charts[id].data.labels = labels;
    charts[id].data.datasets = datasets;
    charts[id].update();
    return;
  }
  const legend = { display: datasets.length > 1 || type === "doughnut" };
  charts[id] = new Chart(document.getElementById(id), { type, data: { labels, datasets }, options: { plugins: { legend }, ...options } });
}

const panels = [
  function throughput(insights) {
    const perSecond = insights.throughputBucketSeconds;
    chart(
      "throughput-chart",
      "line",
      insights.throughput.map((p) => new Date(p.start).toLocaleTimeString()),
      [{ label: "images/s", data: insights.throughput.map((p) => p.images / perSecond), borderColor: colors.running, backgroundColor: colors.running, fill: false, tension: 0.2, pointRadius: 2 }],
      { scales: { y: { beginAtZero: true, title: { display: true, text: `images/s (${perSecond} s buckets)` } } } },
    );
  },
  function workers(insights) {
    chart(
      "workers-chart",
      "bar",
      insights.workers.map((w) => w.workerId),
      [{ label: "images/s", data: insights.workers.map((w) => w.imagesPerSecond), backgroundColor: colors.bar }],
      { indexAxis: "y", scales: { x: { beginAtZero: true } } },
    );
    document.querySelector("#workers tbody").replaceChildren(
      ...insights.workers.map((w) => {
        const tr = document.createElement("tr");
        tr.append(enb.cell(w.workerId), enb.cell(enb.number(w.completedShards), "num"), enb.cell(enb.number(w.runningShards), "num"),
          enb.cell(enb.number(w.images), "num"), enb.cell(enb.rate(w.imagesPerSecond), "num"));
        return tr;
      }),
    );
  },
  function shards(insights) {
    chart(
      "shards-chart",
      "doughnut",
      insights.shardStates.map((s) => `${s.status} (${s.shards})`),
      [{ data: insights.shardStates.map((s) => s.shards), backgroundColor: insights.shardStates.map((s) => colors[s.status] || colors.bar) }],
    );
  },
  function confidence(insights) {
    const bins = insights.confidenceHistogram;
    chart(
      "confidence-chart",
      "bar",
      bins.map((_, i) => (i / bins.length).toFixed(2)),
      [{ label: "images", data: bins, backgroundColor: colors.bar, barPercentage: 1, categoryPercentage: 1 }],
      { scales: { x: { title: { display: true, text: "top-1 probability (bin start)" } }, y: { beginAtZero: true } } },
    );
  },
  function classes(insights) {
    chart(
      "classes-chart",
      "bar",
      insights.topClasses.map((c) => (c.label ? `${c.label} (${c.index})` : `class ${c.index}`)),
      [{ label: "images (top-1)", data: insights.topClasses.map((c) => c.count), backgroundColor: colors.bar }],
      { indexAxis: "y", scales: { x: { beginAtZero: true } } },
    );
  },
  function failures(insights) {
    document.querySelector("#failures tbody").replaceChildren(
      ...insights.failures.map((f) => {
        const tr = document.createElement("tr");
        const examples = document.createElement("td");
        for (const key of f.exampleKeys) {
          const code = document.createElement("code");
          code.className = "key";
          code.textContent = key;
          examples.append(code, document.createElement("br"));
        }
        tr.append(enb.cell(f.stage), enb.cell(f.reason), enb.cell(enb.number(f.count), "num"), examples);
        return tr;
      }),
    );
    document.getElementById("no-failures").hidden = insights.failures.length > 0;
  },
  pseudoLabelSets,
];

// A set never changes once selected, so each set's classes are fetched once; ?set=NAME preselects one.
const setDetails = {};
let chosenSet = new URLSearchParams(location.search).get("set");
const classesShown = 5;

// The sets made from this run (a teacher run), newest first; the chosen one's per-class thresholds and counts.
async function pseudoLabelSets(insights, overview) {
  const sets = (await enb.api("pseudo-label-sets")).filter((s) => s.teacherRunId === overview.run.id);
  document.getElementById("pseudo-panel").hidden = sets.length === 0;
  if (sets.length === 0) return;
  if (!sets.some((s) => s.name === chosenSet)) chosenSet = sets[0].name;
  document.querySelector("#pseudo-sets tbody").replaceChildren(
    ...sets.map((s) => {
      const tr = document.createElement("tr");
      tr.className = "selectable" + (s.name === chosenSet ? " selected" : "");
      tr.dataset.set = s.name;
      tr.append(enb.cell(s.name), enb.cell(String(s.generation)), enb.cell(s.parentSetName || "-"), enb.cell(s.mode === "soft" ? `soft (T=${s.temperature})` : s.mode),
        enb.cell(enb.number(s.perClassTarget), "num"), enb.cell(s.minConfidence.toFixed(2), "num"), enb.cell(enb.number(s.uniqueImages), "num"),
        enb.cell(enb.number(s.totalSamples), "num"), enb.cell(enb.time(s.createdAt)));
      tr.addEventListener("click", () => {
        chosenSet = s.name;
        pseudoLabelSets(insights, overview).catch(enb.showError);
      });
      return tr;
    }),
  );
  const chosen = sets.find((s) => s.name === chosenSet);
  setDetails[chosen.name] ??= await enb.api(`pseudo-label-sets/${encodeURIComponent(chosen.name)}`);
  showSetClasses(setDetails[chosen.name]);
}

function showSetClasses({ set, classes }) {
  const name = (c) => (c.className ? `${c.className} (${c.classIndex})` : `class ${c.classIndex}`);
  const dense = classes.length > 60 ? { pointRadius: 0 } : { pointRadius: 2 };
  document.getElementById("pseudo-selected").textContent =
    `${set.name}: ${enb.number(classes.length)} classes · teacher ${set.teacherModelName} (sha256 ${set.teacherModelSha256.slice(0, 12)}) · seed ${set.seed}`;
  const byThreshold = [...classes].sort((a, b) => b.threshold - a.threshold || a.classIndex - b.classIndex);
  chart(
    "pseudo-thresholds-chart",
    "line",
    byThreshold.map(name),
    [{ label: "threshold", data: byThreshold.map((c) => c.threshold), borderColor: colors.bar, backgroundColor: colors.bar, stepped: true, ...dense }],
    { scales: { x: { ticks: { display: classes.length <= 60 }, title: { display: true, text: "classes, highest threshold first" } }, y: { min: 0, max: 1, title: { display: true, text: "confidence threshold" } } } },
  );
  const bySelected = [...classes].sort((a, b) => b.selected - a.selected || b.samples - a.samples || a.classIndex - b.classIndex);
  chart(
    "pseudo-counts-chart",
    "bar",
    bySelected.map(name),
    [
      { label: "images", data: bySelected.map((c) => c.selected), backgroundColor: colors.bar, barPercentage: 1, categoryPercentage: 0.9 },
      { label: "samples", data: bySelected.map((c) => c.samples), backgroundColor: colors.skipped, barPercentage: 1, categoryPercentage: 0.9 },
    ],
    { scales: { x: { ticks: { display: classes.length <= 60 }, title: { display: true, text: "classes, most images first" } }, y: { beginAtZero: true } } },
  );
  // The classes with the most and the fewest selected images; all of them when there are few.
  const ranked = bySelected.map((c, i) => ({ ...c, rank: i + 1 }));
  const shown = ranked.length <= 2 * classesShown ? ranked : [...ranked.slice(0, classesShown), null, ...ranked.slice(-classesShown)];
  document.querySelector("#pseudo-classes tbody").replaceChildren(
    ...shown.map((c) => {
      const tr = document.createElement("tr");
      if (!c) {
        tr.className = "gap";
        const td = enb.cell(`${enb.number(ranked.length - 2 * classesShown)} more classes`);
        td.colSpan = 6;
        tr.append(td);
        return tr;
      }
      tr.dataset.classIndex = c.classIndex;
      tr.append(enb.cell(String(c.rank)), enb.cell(name(c)), enb.cell(c.threshold.toFixed(2), "num"), enb.cell(enb.number(c.candidates), "num"),
        enb.cell(enb.number(c.selected), "num"), enb.cell(enb.number(c.samples), "num"));
      return tr;
    }),
  );
}

let ended = false;
// The run on screen: "latest" (no ?run=) resolves once, so a newer run never takes over the page or its actions.
let shownId = null;
const runPath = () => `runs/${encodeURIComponent(shownId ?? runId)}`;

function showOverview(overview) {
  const { run, progress } = overview;
  shownId = run.id;
  document.title = `enb · ${run.name}`;
  document.getElementById("run-name").textContent = run.name;
  const status = document.getElementById("run-status");
  status.textContent = run.status;
  status.className = "status " + run.status;
  const done = progress.succeeded + progress.failed;
  const set = (id, text) => (document.getElementById(id).textContent = text);
  set("done", enb.number(done));
  set("total", enb.number(progress.totalImages));
  set("succeeded", enb.number(progress.succeeded));
  set("failed", enb.number(progress.failed));
  set("shards-done", enb.number(progress.completedShards));
  set("shards-total", enb.number(progress.totalShards));
  set("rate", enb.rate(overview.imagesPerSecond));
  set("eta", enb.duration(overview.etaSeconds));
  set("run-details", `${run.kind} run ${run.id} · model ${run.modelName}${run.passId ? ` · pass ${run.passId}` : ""} · ${run.source} · top-${run.topK} · error budget ${(run.errorBudget * 100).toFixed(1)}% · created ${enb.time(run.createdAt)}` + (run.finishedAt ? ` · finished ${enb.time(run.finishedAt)}` : ""));
  set("status-reason", run.statusReason || "");
  const bar = document.getElementById("progress-bar");
  bar.style.width = progress.totalImages > 0 ? `${Math.min(100, (100 * done) / progress.totalImages)}%` : "0";
  bar.className = "bar " + run.status;
  ended = ["completed", "failed", "cancelled"].includes(run.status);
  document.getElementById("cancel").disabled = ended;
  document.getElementById("retry").disabled = !ended || progress.failed === 0;
}

async function load() {
  const [overview, insights] = await Promise.all([enb.api(runPath()), enb.api(`${runPath()}/insights`)]);
  showOverview(overview);
  await Promise.all(panels.map((render) => render(insights, overview)));
  document.body.dataset.loaded = "true";
}

async function act(action, confirmText) {
  if (!window.confirm(confirmText)) return;
  const result = document.getElementById("action-result");
  try {
    result.textContent = (await enb.api(`${runPath()}/${action}`, { method: "POST" })).message;
  } catch (e) {
    result.textContent = e.message;
  }
  const wasEnded = ended;
  await load();
  if (wasEnded && !ended) enb.poll(load, () => !ended); // a retry made the run live again: follow it
}

// Similar images and near-duplicates: on demand (a form each), thumbnails rendered by the service from the image store.
function thumbnail(key, caption) {
  const figure = document.createElement("figure");
  const img = document.createElement("img");
  img.alt = key;
  img.dataset.key = key;
  enb.imageUrl(`${runPath()}/thumbnail?key=${encodeURIComponent(key)}&size=128`)
    .then((url) => { img.src = url; img.dataset.loaded = "true"; })
    .catch(() => { img.dataset.loaded = "failed"; });
  const text = document.createElement("figcaption");
  text.textContent = caption;
  figure.append(img, text);
  return figure;
}

document.getElementById("similar-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = document.getElementById("similar-key").value.trim();
  const k = document.getElementById("similar-k").value || 8;
  const result = document.getElementById("similar-result");
  const images = document.getElementById("similar-images");
  if (!key) return;
  try {
    const answer = await enb.api(`${runPath()}/similar?key=${encodeURIComponent(key)}&k=${k}`);
    result.textContent = `${answer.neighbours.length} neighbours (${answer.search === "index" ? "from the run's index" : "exact scan"})`;
    images.replaceChildren(thumbnail(key, "query"), ...answer.neighbours.map((n) => thumbnail(n.key, `${n.similarity.toFixed(3)} · ${n.label ?? n.labelIndex} · ${n.key}`)));
  } catch (e) {
    result.textContent = e.message;
    images.replaceChildren();
  }
});

document.getElementById("duplicates-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const threshold = document.getElementById("duplicates-threshold").value || 0.95;
  const summary = document.getElementById("duplicates-summary");
  const groups = document.getElementById("duplicates-groups");
  summary.textContent = "searching…";
  try {
    const r = await enb.api(`${runPath()}/near-duplicates?threshold=${threshold}&groups=10`);
    summary.textContent = `${enb.number(r.groups)} groups, ${enb.number(r.imagesInGroups)} images in groups, ${enb.number(r.wouldDrop)} would be dropped keeping one per group (of ${enb.number(r.imagesScanned)} images)`;
    groups.replaceChildren(...r.largest.map((g) => {
      const row = document.createElement("div");
      row.className = "thumbs group";
      row.append(...g.keys.map((key, i) => thumbnail(key, (i === 0 ? "kept · " : "") + key)));
      return row;
    }));
  } catch (e) {
    summary.textContent = e.message;
    groups.replaceChildren();
  }
});

document.getElementById("cancel").addEventListener("click", () => act("cancel", "Cancel this run? Its remaining shards are skipped."));
document.getElementById("retry").addEventListener("click", () => act("retry-failed", "Re-process this run's failed images?"));
enb.poll(load, () => !ended);
