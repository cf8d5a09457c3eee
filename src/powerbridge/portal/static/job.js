// Follows a job live: its events (server-sent, /api/v1/jobs/{id}/events) are appended to
// the event list, the step list is reloaded (htmx, debounced) and the status set at the end.
(function () {
  var list = document.getElementById("events");
  if (!list || list.dataset.finished === "yes") { return; }
  var job = list.dataset.job;
  var url = "/api/v1/jobs/" + job + "/events?after=" + (list.dataset.after || "0");
  var source = new EventSource(url);
  var pending = null;

  function refreshSteps() {
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      if (window.htmx) { window.htmx.trigger("#steps", "job-progress"); }
    }, 250);
  }

  source.addEventListener("progress", function (message) {
    var event = JSON.parse(message.data);
    var item = document.createElement("li");
    item.textContent = event.message;
    list.appendChild(item);
    refreshSteps();
  });

  source.addEventListener("end", function (message) {
    var end = JSON.parse(message.data);
    var badge = document.getElementById("job-status");
    badge.textContent = end.status;
    badge.className = "badge " + end.status;
    var cancel = document.getElementById("cancel-form");  // nothing left to cancel
    if (cancel) { cancel.remove(); }
    source.close();
    refreshSteps();
  });
})();

// A step whose commands the reader opened stays open when the step list is reloaded.
(function () {
  var open = [];
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "steps") { return; }
    open = Array.prototype.map.call(
      document.querySelectorAll("#steps details[open]"),
      function (details) { return details.dataset.step; }
    );
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "steps") { return; }
    open.forEach(function (step) {
      var details = document.querySelector('#steps details[data-step="' + step + '"]');
      if (details) { details.open = true; }
    });
  });
})();
