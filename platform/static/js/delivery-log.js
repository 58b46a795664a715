// Delivery log: a notification's new state shows in its row without a reload.
// Best effort only: the page shows the stored state whenever it loads.
(function () {
  "use strict";
  var table = document.getElementById("delivery-log");
  if (!table || !window.WebSocket) return;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var delay = 1000;
  function connect() {
    var socket = new WebSocket(scheme + window.location.host + table.dataset.socket);
    // data-live: the updates flow (styles and browser tests can tell).
    socket.onopen = function () { delay = 1000; table.dataset.live = "on"; };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type !== "state" || !/^[0-9a-f-]{36}$/.test(String(event.id))) return;
      var cell = table.querySelector('[data-state-of="' + event.id + '"]');
      if (cell) cell.textContent = event.label;
    };
    socket.onclose = function (closing) {
      delete table.dataset.live;
      if (closing.code === 4403 || closing.code === 4404) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
