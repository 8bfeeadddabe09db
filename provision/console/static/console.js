// The console's only script: copy buttons, and a job's live progress (server-sent events).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var text = button.getAttribute("data-copy");
  var done = function () { button.textContent = "✓"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    var area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); document.body.removeChild(area); done();
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var job = document.getElementById("job");
  if (!job || job.getAttribute("data-state") !== "running" || !window.EventSource) return;
  var lines = document.getElementById("job-lines");
  var state = document.getElementById("job-state");
  var result = document.getElementById("job-result");
  var source = new EventSource(job.getAttribute("data-events"));
  source.addEventListener("line", function (e) {
    var li = document.createElement("li"); li.textContent = JSON.parse(e.data); lines.appendChild(li);
  });
  source.addEventListener("end", function (e) {
    var info = JSON.parse(e.data);
    source.close();
    job.setAttribute("data-state", info.state);
    state.firstChild.textContent = job.getAttribute("data-" + info.state) + ": ";
    state.className = info.state === "done" ? "ok" : "bad";
    result.textContent = info.result;
  });
});
