// The runs list: one row per run, newest first, with progress, rate and ETA.
"use strict";

async function loadRuns() {
  const runs = await enb.api("runs");
  const body = document.querySelector("#runs tbody");
  body.replaceChildren(...runs.map(row));
  document.getElementById("empty").hidden = runs.length > 0;
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
    enb.cell(run.modelName),
    enb.cell(run.source),
    enb.cell(enb.time(run.createdAt)),
  );
  return tr;
}

// Keep polling even when nothing runs: a new run appears without a reload.
enb.poll(loadRuns, () => true);
