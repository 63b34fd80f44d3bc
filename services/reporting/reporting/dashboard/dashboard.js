// The page: the bearer token (from `#token=…` or the login field, kept in sessionStorage), the
// four panels fetched from /v1/dashboard/* and drawn with ECharts, refreshed every 15 s (or every
// `#every=N` seconds), and the language toggle. `window.dashboard` exposes the charts, the data
// they were drawn from and a refresh counter (for people at the console, and for the browser test).
"use strict";
(function () {
  const TOKEN_KEY = "dashboard.token";
  const ENDPOINTS = {
    relief: "/v1/dashboard/relief-by-month",
    refunds: "/v1/dashboard/refunds-by-status",
    disputes: "/v1/dashboard/disputes-by-age",
    pipeline: "/v1/dashboard/pipeline",
  };
  const $ = (id) => document.getElementById(id);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const everyS = Math.max(1, Number(fragment.get("every")) || 15);
  if (fragment.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }

  const charts = {
    relief: echarts.init($("chart-relief")),
    refunds: echarts.init($("chart-refunds")),
    disputes: echarts.init($("chart-disputes")),
    pipeline: echarts.init($("chart-pipeline")),
  };
  const state = { charts, data: {}, refreshes: 0, errors: 0, lastStatus: "idle", refresh, everyS };
  window.dashboard = state;
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  function setStatus(key, kind) {
    state.lastStatus = key;
    const el = $("status");
    el.dataset.state = kind;
    el.dataset.key = key;
    el.textContent = window.I18N.t(key);
  }

  function showLogin(show) {
    $("login").hidden = !show;
    $("logout").hidden = show;
  }

  function draw() {
    const d = state.data;
    if (d.relief) charts.relief.setOption(Panels.relief(d.relief), true);
    if (d.refunds) charts.refunds.setOption(Panels.refunds(d.refunds), true);
    if (d.disputes) {
      charts.disputes.setOption(Panels.disputes(d.disputes), true);
      $("disputes-closed").textContent = Panels.disputesNote(d.disputes);
    }
    if (d.pipeline) {
      charts.pipeline.setOption(Panels.pipeline(d.pipeline), true);
      Panels.pipelineRows(document.querySelector("#pipeline-table tbody"), d.pipeline);
    }
    if (state.updatedAt) $("updated").textContent = `${window.I18N.t("updated")} ${state.updatedAt.toLocaleTimeString(window.I18N.lang === "zh" ? "zh-CN" : "en-GB")}`;
  }

  async function fetchJson(path, token) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
    if (!response.ok) {
      const err = new Error(`${path}: HTTP ${response.status}`);
      err.status = response.status;
      throw err;
    }
    return response.json();
  }

  async function refresh() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      showLogin(true);
      setStatus("need_token", "idle");
      return;
    }
    showLogin(false);
    setStatus("loading", "busy");
    const names = Object.keys(ENDPOINTS);
    const results = await Promise.allSettled(names.map((n) => fetchJson(ENDPOINTS[n], token)));
    let failure = null;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") state.data[names[i]] = r.value;
      else failure = failure ?? r.reason;
    });
    state.refreshes += 1;
    if (failure) {
      state.errors += 1;
      if (failure.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin(true);
      }
      setStatus(failure.status === 401 ? "unauthorized" : failure.status === 403 ? "forbidden" : "failed", "error");
    } else {
      state.updatedAt = new Date();
      setStatus("ok", "ok");
    }
    draw();
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    refresh();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.data = {};
    Object.values(charts).forEach((c) => c.clear());
    document.querySelector("#pipeline-table tbody").replaceChildren();
    refresh();
  });
  $("refresh").addEventListener("click", () => refresh());
  $("lang").addEventListener("click", () => {
    window.I18N.toggle();
    setStatus(state.lastStatus, $("status").dataset.state);
    draw();
  });

  window.I18N.apply();
  refresh();
  setInterval(refresh, everyS * 1000);
})();
