// The runs list: one row per run, newest first, with progress, rate and ETA; below it the pseudo-label sets, each
// linking to its teacher run's page with the set chosen.
"use strict";

async function loadRuns() {
  const [runs, sets] = await Promise.all([enb.api("runs"), enb.api("pseudo-label-sets")]);
  const body = document.querySelector("#runs tbody");
  body.replaceChildren(...runs.map(row));
  document.getElementById("empty").hidden = runs.length > 0;
  document.querySelector("#sets tbody").replaceChildren(...sets.map(setRow));
  document.getElementById("sets-panel").hidden = sets.length === 0;
}

function setRow(set) {
  const tr = document.createElement("tr");
  tr.dataset.set = set.name;
  const link = (text, href) => {
    const td = document.createElement("td");
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
    return td;
  };
  const page = "run.html?run=" + encodeURIComponent(set.teacherRunId);
  tr.append(
    link(set.name, `${page}&set=${encodeURIComponent(set.name)}`),
    enb.cell(String(set.generation)),
    enb.cell(set.parentSetName || "-"),
    link(set.teacherRunName, page),
    enb.cell(set.mode),
    enb.cell(enb.number(set.uniqueImages), "num"),
    enb.cell(enb.number(set.totalSamples), "num"),
    enb.cell(enb.time(set.createdAt)),
  );
  return tr;
}

function row(overview) {
  const { run, progress } = overview;
  const tr = document.createElement("tr");
  tr.dataset.runId = run.id;
  const name = document.createElement("td");
  const link = document.createElement("a");
  link.href = "run.html?run=" + encodeURIComponent(run.id);
  link.textContent = run.name;
  name.appendChild(link);
  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "status " + run.status;
  badge.textContent = run.status;
  status.appendChild(badge);
  const bar = document.createElement("td");
  bar.appendChild(enb.progressBar(progress.succeeded + progress.failed, progress.totalImages, run.status));
  bar.title = `${enb.number(progress.succeeded + progress.failed)} of ${enb.number(progress.totalImages)}`;
  tr.append(
    name,
    status,
    bar,
    enb.cell(enb.number(progress.succeeded), "num ok"),
    enb.cell(enb.number(progress.failed), "num failed"),
    enb.cell(enb.rate(overview.imagesPerSecond), "num"),
    enb.cell(enb.duration(overview.etaSeconds), "num"),
    // Runs of one multi-model pass share a pass id: shown after the model so they read as one group.
    enb.cell(run.passId ? `${run.modelName} · pass ${run.passId.slice(0, 8)}` : run.modelName),
    enb.cell(run.source),
    enb.cell(enb.time(run.createdAt)),
  );
  return tr;
}

// Keep polling even when nothing runs: a new run appears without a reload.
enb.poll(loadRuns, () => true);
