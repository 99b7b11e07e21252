// Progressive enhancement for the desk pages; every page works without it.
// No inline handlers anywhere: behaviour is attached here, by data attributes and ids.
(function () {
  "use strict";

  // Forms that change something irreversible ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // The language switch submits as soon as a language is chosen.
  document.querySelectorAll("form.locale-switch").forEach(function (form) {
    var select = form.querySelector("select");
    var button = form.querySelector("button");
    if (select && button) {
      button.hidden = true;
      select.addEventListener("change", function () { form.submit(); });
    }
  });

  // Background model jobs: poll their state and update the progress bars in place.
  function poll(row) {
    var url = row.getAttribute("data-job-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var bar = row.querySelector("progress");
        var step = row.querySelector("[data-job-step]");
        var status = row.querySelector("[data-job-status]");
        var output = row.querySelector("[data-job-output]");
        if (bar) { bar.value = job.progress; }
        if (step) { step.textContent = job.step || ""; }
        if (status) {
          status.textContent = status.getAttribute("data-label-" + job.status) || job.status;
          status.className = "badge " + job.status;
        }
        if (output && job.output !== undefined) { output.textContent = job.output; }
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(function () { poll(row); }, 1000);
        } else if (row.hasAttribute("data-reload-when-done")) {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, 5000); });
  }
  document.querySelectorAll("[data-job-url][data-job-active]").forEach(poll);
})();
