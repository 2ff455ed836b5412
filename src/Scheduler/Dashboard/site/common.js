// Shared by the dashboard's pages: the API client (with the optional API key) and number formatting.
"use strict";

const enb = (() => {
  const keyName = "enb-api-key";
  const refreshMs = 5000;

  async function api(path, options = {}) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(keyName);
    if (key) headers["X-Api-Key"] = key;
    const response = await fetch("api/" + path, { method: options.method || "GET", headers });
    if (response.status === 401 && !options.retried) {
      // The service listens beyond loopback (reads need the key) or this is an action: ask once, keep it for the tab.
      const entered = window.prompt("API key (Dashboard:ApiKey of the scheduler)");
      if (entered) {
        sessionStorage.setItem(keyName, entered);
        return api(path, { ...options, retried: true });
      }
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
    return body;
  }

  // An image from the API (thumbnails), fetched with the same key header as JSON reads; an object URL for <img src>.
  async function imageUrl(path) {
    const headers = {};
    const key = sessionStorage.getItem(keyName);
    if (key) headers["X-Api-Key"] = key;
    const response = await fetch("api/" + path, { headers });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return URL.createObjectURL(await response.blob());
  }

  const integer = new Intl.NumberFormat("en-US");
  const number = (n) => (n == null ? "-" : integer.format(n));
  const rate = (r) => (r == null ? "-" : r >= 100 ? integer.format(Math.round(r)) : r.toFixed(1));

  function duration(seconds) {
    if (seconds == null || !isFinite(seconds)) return "-";
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
  }

  const time = (iso) => (iso ? new Date(iso).toLocaleString() : "-");

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function progressBar(done, total, status) {
    const outer = document.createElement("div");
    outer.className = "progress";
    const bar = document.createElement("div");
    bar.className = "bar " + status;
    bar.style.width = total > 0 ? `${Math.min(100, (100 * done) / total)}%` : "0";
    outer.appendChild(bar);
    return outer;
  }

  function showError(error) {
    const p = document.getElementById("error");
    p.hidden = !error;
    p.textContent = error ? String(error.message || error) : "";
  }

  // Runs load() now and every few seconds while keepGoing() says so; errors show on the page and the loop goes on.
  function poll(load, keepGoing) {
    const tick = async () => {
      try {
        await load();
        showError(null);
        document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
      } catch (e) {
        showError(e);
      }
      if (keepGoing()) setTimeout(tick, refreshMs);
    };
    tick();
  }

  return { api, imageUrl, number, rate, duration, time, cell, progressBar, showError, poll };
})();
