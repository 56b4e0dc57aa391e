// Refresh the progress of a run's statement rendering while a job is queued or running (no inline script: CSP).
(function () {
  "use strict";
  var ACTIVE = { queued: true, running: true };

  function render(section, jobs) {
    var list = section.querySelector(".render-jobs");
    var empty = section.querySelector(".render-empty");
    if (empty) { empty.hidden = jobs.length > 0; }
    list.textContent = "";
    jobs.forEach(function (job) {
      var item = document.createElement("li");
      item.className = "render-job";
      item.dataset.job = String(job.id);
      item.dataset.status = job.status;
      var label = document.createElement("span");
      label.className = "render-label";
      label.textContent = job.kind + (job.store_codes ? " · " + job.store_codes.join(", ") : "");
      var bar = document.createElement("progress");
      bar.max = job.total || 1;
      bar.value = job.done;
      var count = document.createElement("span");
      count.className = "render-count";
      count.textContent = job.done + "/" + job.total;
      var status = document.createElement("span");
      status.className = "render-status";
      status.textContent = job.status;
      item.append(label, bar, count, status);
      if (job.download_url) {
        var link = document.createElement("a");
        link.className = "render-download";
        link.dataset.test = "bulk-download";
        link.href = job.download_url;
        link.textContent = section.dataset.downloadLabel || "Download";
        item.append(link);
      }
      if (job.error) {
        var error = document.createElement("span");
        error.className = "error";
        error.textContent = job.error;
        item.append(error);
      }
      list.append(item);
    });
  }

  function poll(section) {
    fetch(section.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { jobs: [] }; })
      .then(function (data) {
        render(section, data.jobs);
        if (data.jobs.some(function (job) { return ACTIVE[job.status]; })) {
          window.setTimeout(function () { poll(section); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(section); }, 5000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-render-progress]").forEach(function (section) {
      var link = section.querySelector(".render-download");
      if (link) { section.dataset.downloadLabel = link.textContent; }
      var active = section.querySelector('.render-job[data-status="queued"], .render-job[data-status="running"]');
      if (active) { poll(section); }
    });
  });
})();
