// The calendar, enhanced (a module from 'self': the CSP allows no inline script). Without it the
// page still works: "Today" links to #now, free cells are "Book" links, and an appointment is
// moved from its own page.

// Open at the current time rather than at 07:00, unless the address names a place already.
const now = document.getElementById("now");
if (now && !window.location.hash) {
  now.scrollIntoView({ block: "start" });
}

// Drag an appointment onto another cell to move it. It submits the same reschedule form the
// appointment page has, so the server applies every rule and shows any error.
const form = document.getElementById("move-form");
if (form) {
  let dragged = null;
  document.querySelectorAll("a.appt[data-move-url]").forEach((link) => {
    link.addEventListener("dragstart", (event) => {
      dragged = link;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", link.dataset.moveUrl);
    });
    link.addEventListener("dragend", () => { dragged = null; });
  });
  document.querySelectorAll("td[data-date]").forEach((cell) => {
    cell.addEventListener("dragover", (event) => {
      if (dragged) { event.preventDefault(); cell.classList.add("drop-target"); }
    });
    cell.addEventListener("dragleave", () => { cell.classList.remove("drop-target"); });
    cell.addEventListener("drop", (event) => {
      event.preventDefault();
      cell.classList.remove("drop-target");
      if (!dragged) { return; }
      const when = cell.dataset.date + " " + cell.dataset.time;
      if (!window.confirm("Move this appointment to " + when + "?")) { return; }
      form.action = dragged.dataset.moveUrl;
      form.elements.provider.value = cell.dataset.provider || dragged.dataset.provider;
      form.elements.date.value = cell.dataset.date;
      form.elements.time.value = cell.dataset.time;
      form.submit();
    });
  });
}
