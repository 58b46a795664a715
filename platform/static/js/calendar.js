// Drag an appointment onto another cell to move it. Progressive enhancement: it submits the same
// reschedule form the appointment page has, so the server applies every rule and shows any error.
(function () {
  "use strict";
  var form = document.getElementById("move-form");
  if (!form) { return; }
  var dragged = null;
  document.querySelectorAll("a.appt[data-move-url]").forEach(function (link) {
    link.addEventListener("dragstart", function (event) {
      dragged = link;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", link.dataset.moveUrl);
    });
    link.addEventListener("dragend", function () { dragged = null; });
  });
  document.querySelectorAll("td[data-date]").forEach(function (cell) {
    cell.addEventListener("dragover", function (event) {
      if (dragged) { event.preventDefault(); cell.classList.add("drop-target"); }
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("drop-target"); });
    cell.addEventListener("drop", function (event) {
      event.preventDefault();
      cell.classList.remove("drop-target");
      if (!dragged) { return; }
      var when = cell.dataset.date + " " + cell.dataset.time;
      if (!window.confirm("Move this appointment to " + when + "?")) { return; }
      form.action = dragged.dataset.moveUrl;
      form.elements.provider.value = cell.dataset.provider || dragged.dataset.provider;
      form.elements.date.value = cell.dataset.date;
      form.elements.time.value = cell.dataset.time;
      form.submit();
    });
  });
})();
