// bilheteria: the live parts of the pages. Every page works without this script; with it,
// seats are picked on the map (mouse and keyboard), countdowns tick, the waiting room follows
// its server-sent events, a Pix or card payment being confirmed is followed, and rotating
// ticket codes rotate.
"use strict";

document.documentElement.classList.add("js");

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// ---- Seat map -------------------------------------------------------------------------------

function setupSeatMap(map) {
  const form = map.closest("form");
  const cap = parseInt(form.dataset.cap || "10", 10);
  const counter = form.querySelector(".picked-count");
  const seats = () => Array.from(map.querySelectorAll("rect.seat.avail"));
  const box = (seat) => document.getElementById("seat-" + seat.dataset.seat);

  function pickedCount() {
    return map.querySelectorAll("rect.seat.picked").length;
  }
  const list = form.querySelector(".picked-list");
  function showCount() {
    if (counter) counter.textContent = counter.dataset.template.replace("{n}", pickedCount());
    if (!list) return;
    // The seats picked, named, each with its way out: in sight wherever the map is scrolled.
    list.textContent = "";
    for (const seat of map.querySelectorAll("rect.seat.picked")) {
      const item = document.createElement("li");
      item.textContent = seat.getAttribute("aria-label").split(",").slice(0, 2).join(",");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", list.dataset.remove + ": " + item.textContent);
      remove.addEventListener("click", () => toggle(seat));
      item.appendChild(remove);
      list.appendChild(item);
    }
  }
  function toggle(seat) {
    const picking = !seat.classList.contains("picked");
    if (picking && pickedCount() >= cap) {
      // Say why nothing happened: the cap counts the places the buyer already has.
      if (counter) counter.textContent = form.dataset.capReached || "";
      return;
    }
    seat.classList.toggle("picked", picking);
    seat.setAttribute("aria-checked", picking ? "true" : "false");
    const input = box(seat);
    if (input) input.checked = picking;
    showCount();
  }
  function focusSeat(seat) {
    seats().forEach((s) => s.setAttribute("tabindex", "-1"));
    seat.setAttribute("tabindex", "0");
    seat.focus();
  }
  function neighbour(seat, dRow, dN) {
    const row = parseInt(seat.dataset.row, 10) + dRow;
    const n = parseInt(seat.dataset.p ?? seat.dataset.n, 10);
    const candidates = seats().filter((s) => parseInt(s.dataset.row, 10) === row);
    if (dRow === 0) {
      const at = (s) => parseInt(s.dataset.p ?? s.dataset.n, 10);
      const ordered = candidates.sort((a, b) => at(a) - at(b));
      return dN > 0 ? ordered.find((s) => at(s) > n) : ordered.reverse().find((s) => at(s) < n);
    }
    let best = null;
    for (const s of candidates) {
      const p = (x) => parseInt(x.dataset.p ?? x.dataset.n, 10);
      if (!best || Math.abs(p(s) - n) < Math.abs(p(best) - n)) best = s;
    }
    return best;
  }

  const first = seats()[0];
  if (first) first.setAttribute("tabindex", "0");
  const zoom = setupZoom(map);
  map.addEventListener("click", (e) => {
    // Seen whole, a big section's seats are too small to tap: a tap zooms in there first.
    if (zoom && zoom.tooSmall()) { zoom.zoomAt(e.clientX, e.clientY); return; }
    const seat = e.target.closest("rect.seat.avail");
    if (seat) { toggle(seat); focusSeat(seat); }
  });
  map.addEventListener("keydown", (e) => {
    const seat = e.target.closest("rect.seat.avail");
    if (!seat) return;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (e.key === " " || e.key === "Enter") {
      e.preventDefault();
      toggle(seat);
    } else if (moves[e.key]) {
      e.preventDefault();
      const next = neighbour(seat, moves[e.key][0], moves[e.key][1]);
      if (next) focusSeat(next);
    }
  });
  showCount();

  // Keep the map fresh while it is open: seats taken meanwhile turn grey.
  const live = map.dataset.live;
  if (live) {
    setInterval(async () => {
      try {
        const response = await fetch(live, { credentials: "same-origin" });
        if (!response.ok) return;
        const data = await response.json();
        for (const section of data.sections || []) {
          for (const s of section.seats || []) {
            if (s.status === "available") continue;
            const rect = map.querySelector('rect[data-seat="' + s.id + '"]');
            if (!rect || !rect.classList.contains("avail")) continue;
            rect.classList.remove("avail", "picked");
            rect.classList.add(s.status);
            rect.setAttribute("role", "img");
            rect.setAttribute("tabindex", "-1");
            rect.removeAttribute("aria-checked");
            const input = box(rect);
            if (input) { input.checked = false; input.disabled = true; }
          }
        }
        showCount();
      } catch (_) { /* offline for a moment: try again at the next tick */ }
    }, 4000);
  }
}

// Zoom and pan of a section's seats: the whole section fits the screen at first (with its
// stage), the buttons (or a tap) zoom in, the map then scrolls both ways under the finger, and
// seat numbers show once seats are big enough to read them.
function setupZoom(map) {
  const svg = map.querySelector("svg.seats");
  const tools = map.parentElement.querySelector(".map-tools");
  if (!svg || !tools) return null;
  const width = parseFloat(svg.getAttribute("width"));
  const height = parseFloat(svg.getAttribute("height"));
  const hint = tools.querySelector(".pan-hint");
  const fit = () => Math.min(1, (map.clientWidth - 12) / width);
  const levels = () => [...new Set([fit(), 0.6, 1, 1.6].filter((v) => v >= fit()))].sort((a, b) => a - b);
  let scale = fit();
  let numbered = false;
  // Panned into a big section, the row names stay at the left edge and the stage at the top,
  // drawn last so that they float over the seats they pass.
  const rowNames = Array.from(svg.querySelectorAll("text.row-name"));
  const stage = Array.from(svg.querySelectorAll(".stage, .stage-label"));
  for (const part of [...rowNames, ...stage]) svg.appendChild(part);

  function addNumbers() {
    numbered = true;
    const ns = "http://www.w3.org/2000/svg";
    for (const seat of svg.querySelectorAll("rect.seat[data-n]")) {
      const n = document.createElementNS(ns, "text");
      n.setAttribute("class", "seat-n");
      n.setAttribute("aria-hidden", "true");
      n.setAttribute("text-anchor", "middle");
      n.setAttribute("x", parseFloat(seat.getAttribute("x")) + parseFloat(seat.getAttribute("width")) / 2);
      n.setAttribute("y", parseFloat(seat.getAttribute("y")) + parseFloat(seat.getAttribute("height")) / 2 + 4);
      n.textContent = seat.dataset.n;
      seat.after(n);
    }
  }
  // Zooms to `next`, keeping the point (x, y) of the map's box where it was.
  function apply(next, x = map.clientWidth / 2, y = map.clientHeight / 2) {
    const px = (map.scrollLeft + x) / scale;
    const py = (map.scrollTop + y) / scale;
    scale = next;
    svg.style.width = width * scale + "px";
    svg.style.height = height * scale + "px";
    const readable = scale >= 0.6;
    if (readable && !numbered) addNumbers();
    map.classList.toggle("numbers", readable);
    map.scrollLeft = px * scale - x;
    map.scrollTop = py * scale - y;
    const all = levels();
    tools.querySelector('[data-zoom="in"]').disabled = scale >= all[all.length - 1];
    tools.querySelector('[data-zoom="out"]').disabled = scale <= all[0];
    tools.querySelector('[data-zoom="fit"]').disabled = scale <= all[0];
    if (hint) hint.hidden = width * scale <= map.clientWidth && height * scale <= map.clientHeight;
    follow();
  }
  function step(direction) {
    const all = levels();
    const at = all.findIndex((v) => v >= scale - 1e-6);
    const next = all[Math.max(0, Math.min(all.length - 1, at + direction))];
    apply(next);
  }
  tools.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-zoom]");
    if (!button) return;
    const kind = button.dataset.zoom;
    if (kind === "fit") apply(fit());
    else step(kind === "in" ? 1 : -1);
  });
  function follow() {
    const dx = map.scrollLeft / scale;
    const dy = map.scrollTop / scale;
    for (const name of rowNames) name.setAttribute("transform", "translate(" + dx + " 0)");
    for (const part of stage) {
      // The stage's name stays in the middle of what is in view.
      const x = part.classList.contains("stage-label")
        ? dx + map.clientWidth / scale / 2 - parseFloat(part.getAttribute("x"))
        : 0;
      part.setAttribute("transform", "translate(" + x + " " + dy + ")");
    }
  }
  map.addEventListener("scroll", follow, { passive: true });
  // A seat reached with the keyboard while zoomed out: zoom in so that it can be seen.
  map.addEventListener("focusin", () => { if (scale < 0.6) apply(1); });
  apply(scale);
  return {
    tooSmall: () => scale < 0.6,
    zoomAt(clientX, clientY) {
      const box = map.getBoundingClientRect();
      apply(1, clientX - box.left, clientY - box.top);
    },
  };
}

// ---- Countdowns -----------------------------------------------------------------------------

function setupCountdown(el) {
  const until = Date.parse(el.dataset.until);
  const original = el.textContent;
  function tick() {
    const left = Math.round((until - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = el.dataset.expired;
      return false;
    }
    const m = Math.floor(left / 60);
    const s = String(left % 60).padStart(2, "0");
    el.textContent = original + " (" + m + ":" + s + ")";
    return true;
  }
  if (tick()) {
    const timer = setInterval(() => { if (!tick()) clearInterval(timer); }, 1000);
  }
}

// ---- The waiting room -----------------------------------------------------------------------

function setupQueue(section) {
  const token = section.dataset.token;
  if (!token || !window.EventSource) return;
  const url = "/api/v1/sessions/" + section.dataset.session + "/queue/events?queue_token=" + encodeURIComponent(token);
  const events = new EventSource(url);
  events.addEventListener("queue", (e) => {
    try {
      const view = JSON.parse(e.data);
      if (view.admission_token) { events.close(); window.location.reload(); return; }
      const place = section.querySelector(".position");
      if (place && place.dataset.template && view.position) {
        place.textContent = place.dataset.template.replace("{n}", String(view.position - 1));
      }
    } catch (_) { /* not a view */ }
  });
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return new Uint8Array(digest);
}

function leadingZeroBits(bytes) {
  let count = 0;
  for (const b of bytes) {
    if (b === 0) { count += 8; continue; }
    return count + Math.clz32(b) - 24;
  }
  return count;
}

function setupProofOfWork(form) {
  const bits = parseInt(form.dataset.pow || "0", 10);
  if (!bits) return;
  form.addEventListener("submit", async (e) => {
    if (form.dataset.solved) return;
    e.preventDefault();
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    const response = await fetch("/api/v1/sessions/" + form.dataset.session + "/queue/challenge", { credentials: "same-origin" });
    const challenge = await response.json();
    let nonce = 0;
    while (leadingZeroBits(await sha256Hex(challenge.challenge + ":" + nonce)) < challenge.bits) nonce++;
    for (const [name, value] of [["challenge", challenge.challenge], ["nonce", String(nonce)]]) {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = value;
      form.appendChild(input);
    }
    form.dataset.solved = "1";
    form.submit();
  });
}

// ---- Payments and tickets -------------------------------------------------------------------

function setupPendingOrder(el) {
  if (el.dataset.pending !== "true") return;
  setInterval(async () => {
    try {
      const response = await fetch("/api/v1/orders/" + el.dataset.order, { credentials: "same-origin" });
      if (!response.ok) return;
      const order = await response.json();
      if (order.status !== "payment_pending" && order.status !== "awaiting_payment") window.location.reload();
    } catch (_) { /* try again */ }
  }, 2000);
}

function setupRotatingCode(el) {
  const img = el.querySelector("img");
  if (!img) return;
  // Offline, the live code cannot be fetched: the ticket's own code (kept in the page) passes.
  const fallback = el.parentElement.querySelector(".offline-qr");
  if (fallback) {
    img.addEventListener("error", () => { el.hidden = true; fallback.hidden = false; });
    img.addEventListener("load", () => { el.hidden = false; fallback.hidden = true; });
  }
  setInterval(() => { img.src = img.src.split("?")[0] + "?at=" + Date.now(); }, 15000);
}

// Tickets keep opening without signal: the service worker keeps the pages that show them.
function keepTicketsOffline() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
  const note = document.querySelector(".offline-note");
  if (!note) return;
  const show = () => { note.hidden = navigator.onLine; };
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  keepTicketsOffline();
  document.querySelectorAll(".seatmap").forEach(setupSeatMap);
  document.querySelectorAll("[data-until]").forEach(setupCountdown);
  document.querySelectorAll(".queue[data-token]").forEach(setupQueue);
  document.querySelectorAll("form.join[data-pow]").forEach(setupProofOfWork);
  document.querySelectorAll("[data-order][data-pending]").forEach(setupPendingOrder);
  document.querySelectorAll(".ticket-qr[data-screen]").forEach(setupRotatingCode);
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      try { await navigator.clipboard.writeText(field.value); } catch (_) { field.select(); }
      button.textContent = button.dataset.done;
    });
  });
  document.querySelectorAll("button.print").forEach((b) => b.addEventListener("click", () => window.print()));
  // One purchase per click: the form's idempotency key would refuse a second, but say so at once.
  document.querySelectorAll("button[data-once]").forEach((button) => {
    button.form.addEventListener("submit", () => {
      setTimeout(() => { button.disabled = true; button.textContent = button.dataset.once; }, 0);
    });
  });
});

// Used by scripts that call the JSON API with the login cookie.
window.bilheteria = { csrfToken };
