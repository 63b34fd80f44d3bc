// The four panels: each turns the JSON of its endpoint into an ECharts option (amounts stay in
// integer fen in the series; labels show yuan, formatted with integer arithmetic).
"use strict";
(function () {
  const t = (key) => window.I18N.t(key);
  const COLORS = ["#c0392b", "#e67e22", "#2e86c1", "#17a589", "#8e44ad", "#7f8c8d", "#d4ac0d", "#5d6d7e", "#a93226"];
  const KINDS = ["exempt", "halved", "deferred"];
  const OPEN_DISPUTE_STATUSES = ["filed", "taken_in", "under_review", "upheld", "reported"];

  function yuan(fen) {
    const negative = fen < 0;
    const abs = Math.abs(fen);
    const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + "." + String(abs % 100).padStart(2, "0");
  }

  const base = () => ({
    animation: false,
    color: COLORS,
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
  });

  function relief(data) {
    const periods = [...new Set(data.items.map((i) => i.fee_period))].sort();
    const at = new Map(data.items.map((i) => [`${i.fee_period}|${i.kind}`, i]));
    const series = KINDS.map((kind) => ({
      id: kind,
      name: t(`kind_${kind}`),
      type: "bar",
      stack: "relief",
      data: periods.map((p) => at.get(`${p}|${kind}`)?.amount_fen ?? 0),
      payers: periods.map((p) => at.get(`${p}|${kind}`)?.payers ?? 0),
    }));
    return {
      ...base(),
      xAxis: { type: "category", data: periods },
      yAxis: { type: "value", name: t("yuan"), axisLabel: { formatter: (v) => yuan(v).replace(/\.00$/, "") } },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: (points) => [points[0].axisValue, ...points.map((p) =>
          `${p.marker}${p.seriesName}: ${yuan(p.value)} ${t("yuan")} (${series[p.seriesIndex].payers[p.dataIndex]} ${t("payers")})`)].join("<br>"),
      },
      series: series.map(({ payers, ...s }) => s),
    };
  }

  function refunds(data) {
    const items = data.items;
    return {
      ...base(),
      legend: { show: false },
      xAxis: { type: "category", data: items.map((i) => t(`st_${i.status}`)), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: t("refunds_count"), minInterval: 1 },
      grid: { left: 50, right: 20, top: 40, bottom: 70 },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: (points) => {
          const item = items[points[0].dataIndex];
          return `${points[0].axisValue}<br>${t("refunds_count")}: ${item.refunds}<br>${t("amount")}: ${yuan(item.amount_fen)} ${t("yuan")}`;
        },
      },
      series: [{
        id: "refunds", name: t("refunds_count"), type: "bar", data: items.map((i) => i.refunds),
        label: { show: true, position: "top", formatter: (p) => (p.value ? `${p.value} · ${yuan(items[p.dataIndex].amount_fen)}` : "") },
      }],
    };
  }

  function disputes(data) {
    const buckets = data.open.map((b) => b.age_days);
    const series = OPEN_DISPUTE_STATUSES.map((status) => ({
      id: status, name: t(`ds_${status}`), type: "bar", stack: "age",
      data: data.open.map((b) => b.by_status[status] ?? 0),
    }));
    return {
      ...base(),
      xAxis: { type: "category", data: buckets.map((b) => `${b} ${t("days")}`) },
      yAxis: { type: "value", name: t("disputes"), minInterval: 1 },
      series,
    };
  }

  function disputesNote(data) {
    const closed = Object.entries(data.closed).map(([status, n]) => `${t(`ds_${status}`)} ${n}`);
    return `${t("closed")}: ${closed.length ? closed.join("，") : t("none")}`;
  }

  function pipeline(data) {
    const services = data.services;
    const value = (s, key) => (s.up ? s.pipeline[key] : 0);
    return {
      ...base(),
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: services.map((s) => s.service), axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { id: "lag", name: t("lag"), type: "bar", data: services.map((s) => value(s, "consumer_lag")) },
        { id: "backlog", name: t("backlog"), type: "bar", data: services.map((s) => value(s, "outbox_backlog")) },
        { id: "dead", name: t("dead"), type: "bar", data: services.map((s) => value(s, "dead_lettered")) },
      ],
    };
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function pipelineRows(tbody, data) {
    tbody.replaceChildren();
    for (const s of data.services) {
      const tr = document.createElement("tr");
      tr.dataset.service = s.service;
      tr.append(cell(s.service), cell(s.up ? t("up") : `${t("down")}${s.error ? ` (${s.error})` : ""}`, s.up ? "up" : "down"));
      tr.append(cell(s.up ? String(s.pipeline.consumer_lag) : "—", "num"), cell(s.up ? String(s.pipeline.outbox_backlog) : "—", "num"));
      tr.append(cell(s.up ? String(s.pipeline.dead_lettered) : "—", "num"));
      const rebuilds = document.createElement("td");
      for (const r of s.up ? s.pipeline.rebuilds : []) {
        const line = document.createElement("div");
        const code = document.createElement(r.fingerprint ? "code" : "span");
        code.textContent = r.fingerprint ? r.fingerprint.slice(0, 12) : t("never_rebuilt");
        if (r.fingerprint) code.title = r.fingerprint;
        else code.className = "muted";
        line.append(`${r.projection}: `, code, r.rebuilt_at ? ` ${new Date(r.rebuilt_at).toLocaleString(window.I18N.lang === "zh" ? "zh-CN" : "en-GB")}` : "");
        rebuilds.append(line);
      }
      tr.append(rebuilds);
      tbody.append(tr);
    }
  }

  window.Panels = { yuan, relief, refunds, disputes, disputesNote, pipeline, pipelineRows };
})();
