// Coding screen: diagnosis search results appear as one types (the form still works without it).
(function () {
  "use strict";
  var form = document.getElementById("dx-search");
  var box = document.getElementById("dx-results");
  if (!form || !box || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var latest = 0;
  function render(results, query) {
    box.textContent = "";
    if (!query) return;
    if (!results.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = "No billable code matches.";
      box.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    list.className = "results";
    results.forEach(function (result) {
      var item = document.createElement("li");
      var add = document.createElement("form");
      add.method = "post";
      add.className = "inline";
      [["csrfmiddlewaretoken", token ? token.value : ""], ["action", "add_diagnosis"], ["code", result.code]].forEach(function (pair) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = pair[0];
        hidden.value = pair[1];
        add.appendChild(hidden);
      });
      var button = document.createElement("button");
      button.className = "link";
      button.textContent = "Add";
      button.setAttribute("aria-label", "Add " + result.code);
      add.appendChild(button);
      var code = document.createElement("strong");
      code.textContent = result.code;
      item.appendChild(add);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(code);
      item.appendChild(document.createTextNode(" " + result.description));
      list.appendChild(item);
    });
    box.appendChild(list);
  }
  function search() {
    var query = input.value.trim();
    var mine = ++latest;
    if (query.length < 2) { render([], ""); return; }
    fetch(form.dataset.endpoint + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (mine === latest) render(data.results || [], query); })
      .catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
