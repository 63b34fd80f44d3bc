// The dashboard's words in Chinese (the default) and English; `I18N.t(key)` in the current language.
"use strict";
(function () {
  const WORDS = {
    zh: {
      title: "社会保险费阶段性减免 · 运行看板",
      refresh: "立即刷新", logout: "退出", login: "登录", toggle: "English",
      token_label: "访问令牌（运维 ops 或审计 auditor 角色）",
      relief_title: "按月减免金额（按减免方式）",
      refunds_title: "退费进度（按状态）",
      disputes_title: "未结划型异议（按已受理天数）",
      pipeline_title: "各服务事件管道",
      col_service: "服务", col_state: "状态", col_lag: "消费积压", col_backlog: "发件箱积压",
      col_dead: "死信", col_rebuild: "最近重建指纹",
      footer: "金额单位：元；数据每 15 秒自动刷新。",
      up: "运行中", down: "无响应", never_rebuilt: "未重建", updated: "更新于",
      loading: "加载中…", need_token: "请输入访问令牌", unauthorized: "令牌无效或已过期", forbidden: "令牌无权查看看板（需 ops 或 auditor 角色）",
      failed: "加载失败", ok: "已更新",
      yuan: "元", payers: "户", refunds_count: "笔数", amount: "金额", disputes: "件",
      lag: "消费积压", backlog: "发件箱积压", dead: "死信（进程启动以来）",
      closed: "已结异议", none: "无", days: "天",
      kind_exempt: "免征", kind_halved: "减半征收", kind_deferred: "缓缴",
      st_requested: "已申请", st_approving: "审批中", st_approved: "已审批", st_instructed: "已发送银行",
      st_accepted: "银行已受理", st_rejected: "银行退回", st_retried: "重新发送", st_settled: "已退付", st_converted: "转为抵缴",
      ds_filed: "已提交", ds_taken_in: "已受理", ds_under_review: "会审中", ds_upheld: "异议成立",
      ds_reported: "已报送", ds_rejected: "不予支持", ds_corrected: "已更正",
    },
    en: {
      title: "Social-insurance fee relief · operations dashboard",
      refresh: "Refresh now", logout: "Log out", login: "Log in", toggle: "中文",
      token_label: "Access token (role ops or auditor)",
      relief_title: "Relief by fee period and kind",
      refunds_title: "Refunds by status",
      disputes_title: "Open size disputes by age (days since filed)",
      pipeline_title: "Event pipeline per service",
      col_service: "Service", col_state: "State", col_lag: "Consumer lag", col_backlog: "Outbox backlog",
      col_dead: "Dead-lettered", col_rebuild: "Last rebuild fingerprint",
      footer: "Amounts in yuan; refreshed every 15 s.",
      up: "up", down: "down", never_rebuilt: "never rebuilt", updated: "Updated",
      loading: "Loading…", need_token: "Enter an access token", unauthorized: "Token invalid or expired", forbidden: "This token may not read the dashboard (role ops or auditor needed)",
      failed: "Loading failed", ok: "Up to date",
      yuan: "yuan", payers: "payers", refunds_count: "Refunds", amount: "Amount", disputes: "disputes",
      lag: "Consumer lag", backlog: "Outbox backlog", dead: "Dead-lettered (since start)",
      closed: "Closed disputes", none: "none", days: "days",
      kind_exempt: "Exempted", kind_halved: "Halved", kind_deferred: "Deferred",
      st_requested: "Requested", st_approving: "Approving", st_approved: "Approved", st_instructed: "Sent to bank",
      st_accepted: "Accepted by bank", st_rejected: "Returned by bank", st_retried: "Resent", st_settled: "Settled", st_converted: "Turned into offset",
      ds_filed: "Filed", ds_taken_in: "Taken in", ds_under_review: "Under review", ds_upheld: "Upheld",
      ds_reported: "Reported", ds_rejected: "Rejected", ds_corrected: "Corrected",
    },
  };
  let lang = localStorage.getItem("dashboard.lang") === "en" ? "en" : "zh";

  function t(key) {
    return WORDS[lang][key] ?? WORDS.zh[key] ?? key;
  }

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    const toggle = document.getElementById("lang");
    toggle.textContent = t("toggle");
    toggle.lang = lang === "zh" ? "en" : "zh-CN";
  }

  function toggle() {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("dashboard.lang", lang);
    apply();
  }

  window.I18N = { t, apply, toggle, get lang() { return lang; } };
})();
