// Patient pickers search as one types: a search box above each select[data-patient-search] asks
// the practice's patient search (JSON) and lists what it finds, names with birth dates. Without
// script the select (and the page's own search form) work as they are.
(function () {
  "use strict";
  if (!window.fetch) return;
  document.querySelectorAll("select[data-patient-search]").forEach(function (select, index) {
    var box = document.createElement("input");
    box.type = "search";
    box.id = "patient-search-" + index;
    box.autocomplete = "off";
    box.className = "patient-search-box";
    box.setAttribute("aria-controls", select.id);
    var label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = "Type a name or birth date to find the patient";
    var status = document.createElement("span");
    status.className = "muted";
    status.setAttribute("role", "status");
    select.parentNode.insertBefore(label, select);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select);
    var timer = null;
    var latest = 0;
    function show(results) {
      var chosen = select.value;
      var kept = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value === chosen && chosen) kept = option;
      });
      select.textContent = "";
      var empty = document.createElement("option");
      empty.value = "";
      empty.textContent = "---------";
      select.appendChild(empty);
      if (kept && !results.some(function (r) { return r.id === chosen; })) select.appendChild(kept);
      results.forEach(function (result) {
        var option = document.createElement("option");
        option.value = result.id;
        option.textContent = result.label;
        select.appendChild(option);
      });
      if (results.length === 1 && !chosen) select.value = results[0].id;
      else select.value = chosen;
      status.textContent = results.length ? results.length + " found" : "No patient found";
    }
    function search() {
      var query = box.value.trim();
      var mine = ++latest;
      if (query.length < 2) return;
      fetch(select.dataset.patientSearch + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === latest) show(data.results || []); })
        .catch(function () {});
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  });
})();
