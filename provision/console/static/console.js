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

// The class board: each seat's tile brought up to date as the console's stream sends the board anew.
document.addEventListener("DOMContentLoaded", function () {
  var board = document.getElementById("board");
  if (!board || !window.EventSource) return;
  var total = parseInt(board.getAttribute("data-total"), 10) || 1;
  var source = new EventSource(board.getAttribute("data-events"));
  source.addEventListener("board", function (e) {
    var state = JSON.parse(e.data);
    if (!state.running) { source.close(); window.location.reload(); return; }
    state.seats.forEach(function (seat) {
      var tile = document.getElementById("tile-" + seat.seat);
      if (!tile) return;
      tile.querySelector(".who").textContent = seat.name || board.getAttribute("data-nobody");
      tile.querySelector(".bar").value = seat.done;
      tile.querySelector(".done").textContent = seat.done;
      tile.querySelector(".pts").textContent = seat.points;
      tile.querySelector(".last").textContent = seat.last ? seat.last.title + ", " + seat.last.when
        : board.getAttribute(seat.reachable ? "data-nothing" : "data-unreachable");
      tile.classList.toggle("all-done", seat.done === total);
    });
    board.setAttribute("data-updated", String(Date.now()));
  });
});
