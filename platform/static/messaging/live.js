// Live secure messages. The page works without this file (plain form POSTs); with it, new
// messages appear as they are sent. Text is inserted as text, never as HTML.
(function () {
  "use strict";

  function socketUrl(path) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + path;
  }

  // A page in another language names its words in data-label-* attributes; English otherwise.
  function label(element, name, english) {
    return element.getAttribute("data-label-" + name) || english;
  }

  function author(message, list) {
    if (message.kind === "note") return "Internal note";
    if (message.author === "patient") {
      return list.getAttribute("data-viewer") === "patient" ? label(list, "you", "You") : "Patient";
    }
    return label(list, "care-team", "Care team");
  }

  // As the page shows the others (practica.core.times): the practice's clock, its zone named.
  function shownTime(iso, list) {
    var options = {day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
                   timeZoneName: "short"};
    var zone = list.getAttribute("data-time-zone");
    if (zone) options.timeZone = zone;
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang || undefined, options);
    } catch (error) {  // an unknown zone name: the browser's own clock, still named
      delete options.timeZone;
      return new Date(iso).toLocaleString(undefined, options);
    }
  }

  function fileSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function appendAttachments(item, attachments) {
    if (!attachments.length) return;
    var files = document.createElement("ul");
    files.className = "attachments";
    files.setAttribute("aria-label", "Attached files");
    attachments.forEach(function (attachment) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = attachment.url;
      link.setAttribute("download", "");
      link.textContent = attachment.name;
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = " (" + fileSize(attachment.size) + ")";
      entry.appendChild(link);
      entry.appendChild(size);
      files.appendChild(entry);
    });
    item.appendChild(files);
  }

  function appendMessage(list, message) {
    if (list.querySelector('[data-id="' + message.id + '"]')) return;
    var item = document.createElement("li");
    item.className = message.kind === "note" ? "note" : message.author;
    item.setAttribute("data-id", String(message.id));
    var who = document.createElement("strong");
    who.textContent = author(message, list);
    var when = document.createElement("time");
    when.setAttribute("datetime", message.created_at);
    when.textContent = " " + shownTime(message.created_at, list);
    item.appendChild(who);
    item.appendChild(when);
    if (message.body) {
      var body = document.createElement("p");
      body.textContent = message.body;
      item.appendChild(body);
    }
    appendAttachments(item, message.attachments || []);
    list.appendChild(item);
    var last = parseInt(list.getAttribute("data-last-id") || "0", 10);
    if (message.id > last) list.setAttribute("data-last-id", String(message.id));
  }

  // "Someone is writing" hints: sent at most every few seconds while the reply box changes, shown
  // for a few seconds when the other side's arrive, cleared when their message does.
  var TYPING_SEND_MS = 3000;
  var TYPING_SHOW_MS = 5000;

  function typingStatus(element) {
    return document.getElementById(element.getAttribute("data-typing-status") || "");
  }

  function showTyping(element) {
    var status = typingStatus(element);
    if (!status) return;
    status.textContent = label(element, "typing", "Writing…");
    window.clearTimeout(status.typingTimer);
    status.typingTimer = window.setTimeout(function () { status.textContent = ""; }, TYPING_SHOW_MS);
  }

  function clearTyping(element) {
    var status = typingStatus(element);
    if (!status) return;
    window.clearTimeout(status.typingTimer);
    status.textContent = "";
  }

  function watchTyping(element) {
    var input = document.getElementById(element.getAttribute("data-typing-input") || "");
    if (!input) return;
    var lastSent = 0;
    input.addEventListener("input", function () {
      var socket = element.liveSocket;
      var now = Date.now();
      if (!socket || socket.readyState !== WebSocket.OPEN || now - lastSent < TYPING_SEND_MS) return;
      lastSent = now;
      socket.send(JSON.stringify({ type: "typing" }));
    });
  }

  function connect(element, delay) {
    var mode = element.getAttribute("data-live-mode");
    var socket = new WebSocket(socketUrl(element.getAttribute("data-live-socket")));
    element.liveSocket = socket;
    socket.onopen = function () {
      delay = 1000;
      element.setAttribute("data-live", "on"); // the updates flow (styles and browser tests can tell)
      if (mode === "thread") {
        // Whatever was sent while this page was offline.
        var after = parseInt(element.getAttribute("data-last-id") || "0", 10);
        socket.send(JSON.stringify({ type: "since", after: after }));
      }
    };
    socket.onmessage = function (frame) {
      var event = JSON.parse(frame.data);
      if (mode === "thread") {
        if (event.type === "message") {
          appendMessage(element, event.message);
          var fromOtherSide = event.message.author !== element.getAttribute("data-viewer");
          if (fromOtherSide) clearTyping(element);
          if (fromOtherSide && event.message.kind === "message" && !document.hidden) {
            socket.send(JSON.stringify({ type: "read" }));
          }
        }
        if (event.type === "typing" && event.author !== element.getAttribute("data-viewer")) {
          showTyping(element);
        }
        if (event.type === "since") event.messages.forEach(function (m) { appendMessage(element, m); });
      } else if (event.type === "message") {
        element.textContent = label(
          element, "arrived", "New messages have arrived. Reload the page to see them."
        );
      }
    };
    socket.onclose = function (close) {
      element.removeAttribute("data-live");
      if (close.code === 4403 || close.code === 4404) return; // not allowed: do not insist
      window.setTimeout(function () { connect(element, Math.min(delay * 2, 30000)); }, delay);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.querySelectorAll("[data-live-socket]");
    for (var i = 0; i < live.length; i++) {
      connect(live[i], 1000);
      if (live[i].getAttribute("data-live-mode") === "thread") watchTyping(live[i]);
    }
  });
})();
