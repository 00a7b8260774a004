// bilheteria: the door on a phone. The page works without this script (a typed code is posted
// and checked by the server); with it the camera reads QR codes (jsQR, or the browser's
// BarcodeDetector), each code is checked online with POST /api/v1/checkin, and with no network
// the phone checks it alone against the session's gate bundle it keeps (Ed25519 signature,
// revoked versions, rotating on-screen codes, tickets already let in here or elsewhere) and
// keeps its admissions to send with POST /api/v1/checkin/sync when the network returns, the
// earliest scan winning. The same rules as the station (`bilheteria gate`).
"use strict";

(function door() {
  const root = document.getElementById("door");
  if (!root) return;
  const session = root.dataset.session;
  const zone = root.dataset.zone || "America/Sao_Paulo";
  const lang = root.dataset.lang || "pt-BR";
  const form = document.getElementById("door-form");
  const codeInput = form.querySelector('input[name="code"]');
  const gateInput = form.querySelector('input[name="gate"]');
  const resultBox = document.getElementById("door-result");
  const netLine = document.getElementById("door-net");
  const queueLine = document.getElementById("door-queue");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // ---- Words, handed over by the page ------------------------------------------------------
  const outcomes = {};
  const words = {};
  const documents = {};
  for (const li of document.querySelectorAll("#door-words li")) {
    if (li.dataset.outcome) outcomes[li.dataset.outcome] = { title: li.dataset.title, hint: li.dataset.hint };
    if (li.dataset.word) words[li.dataset.word] = li.dataset.text;
    if (li.dataset.eligibility) documents[li.dataset.eligibility] = li.dataset.text;
  }

  // ---- What the phone keeps (localStorage, per session) ------------------------------------
  const KEY = { bundle: "door-bundle-" + session, scans: "door-scans-" + session, gate: "door-gate" };
  function load(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (_) {
      return fallback;
    }
  }
  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (_) { /* full: keep going */ }
  }
  let bundle = load(KEY.bundle, null);
  // Every scan this phone let in: {nonce, code, gate, scanned_at, ticket_id, synced, result}.
  let scans = load(KEY.scans, []);

  const savedGate = localStorage.getItem(KEY.gate);
  if (savedGate) gateInput.value = savedGate;
  gateInput.addEventListener("change", () => localStorage.setItem(KEY.gate, gateInput.value.trim()));
  const gate = () => gateInput.value.trim() || words.default_gate;

  function clock(at) {
    try {
      return new Date(at).toLocaleTimeString(lang, { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit" });
    } catch (_) {
      return at;
    }
  }

  // ---- Saying it: colour, words, a beep ----------------------------------------------------
  let audio = null;
  function beep(good) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = good ? [[880, 0, 0.12]] : [[220, 0, 0.18], [180, 0.22, 0.3]];
      for (const [freq, start, length] of tones) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = good ? "sine" : "square";
        osc.frequency.value = freq;
        gain.gain.value = 0.2;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + length);
      }
    } catch (_) { /* no sound on this browser */ }
    if (navigator.vibrate) navigator.vibrate(good ? 80 : [200, 80, 200]);
  }

  function show(outcome, lines) {
    const said = outcomes[outcome] || outcomes.invalid_ticket;
    resultBox.className = "door-result door-" + outcome;
    resultBox.textContent = "";
    const verdict = document.createElement("p");
    verdict.className = "door-verdict";
    verdict.textContent = said.title;
    resultBox.appendChild(verdict);
    const hint = document.createElement("p");
    hint.className = "door-hint";
    hint.textContent = said.hint;
    resultBox.appendChild(hint);
    for (const text of lines || []) {
      const line = document.createElement("p");
      line.className = "door-line";
      line.textContent = text;
      resultBox.appendChild(line);
    }
    resultBox.dataset.outcome = outcome;
    beep(outcome === "admitted" || outcome === "check_document");
  }

  // ---- Codes: base64url, the signed payload, the on-screen part ----------------------------
  function fromB64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function toB64url(bytes) {
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function uuid(bytes) {
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }
  const PAYLOAD_LEN = 55;
  const CODE_LEN = PAYLOAD_LEN + 64;
  const WINDOW_SECONDS = 15;
  const TOLERANCE_WINDOWS = 2;

  // "signed" or "signed.window.tag"; null when the time part is malformed.
  function split(code) {
    const parts = code.split(".");
    if (parts.length === 1) return { signed: code, time: null };
    if (parts.length !== 3 || !/^-?[0-9]+$/.test(parts[1])) return null;
    return { signed: parts[0], time: { window: parseInt(parts[1], 10), tag: parts[2] } };
  }

  const keyCache = {};
  async function verifyKey(keyId) {
    if (keyCache[keyId]) return keyCache[keyId];
    const key = bundle && bundle.keys.find((k) => k.key_id === keyId);
    if (!key) return null;
    keyCache[keyId] = await crypto.subtle.importKey("raw", fromB64url(key.public_key), { name: "Ed25519" }, false, ["verify"]);
    return keyCache[keyId];
  }

  // The claims of a signed code, or null: not ours, or a bad signature. A browser with no
  // Ed25519 in WebCrypto trusts only codes whose ticket and version the bundle names.
  async function claimsOf(signed) {
    if (signed.length !== Math.ceil((CODE_LEN * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(signed)) return null;
    const bytes = fromB64url(signed);
    if (bytes.length !== CODE_LEN || bytes[0] !== 1) return null;
    const payload = bytes.slice(0, PAYLOAD_LEN);
    const keyId = (payload[1] << 8) | payload[2];
    const claims = {
      ticket_id: uuid(payload.slice(3, 19)),
      ticket_bytes: payload.slice(3, 19),
      session_id: uuid(payload.slice(19, 35)),
      version: new DataView(payload.buffer, 51, 4).getUint32(0),
    };
    try {
      const key = await verifyKey(keyId);
      if (!key) return null;
      const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, bytes.slice(PAYLOAD_LEN), payload);
      return ok ? claims : null;
    } catch (_) {
      const known = bundle && bundle.tickets[claims.ticket_id];
      return known && known.version === claims.version ? claims : null;
    }
  }

  async function hmac(keyBytes, data) {
    const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
  }

  // null when the on-screen rule lets the code in, or the outcome that refuses it.
  async function screenRefusal(scanned, claims) {
    const mode = bundle.screen.codes;
    if (!scanned.time) return mode === "screen_only" ? "screen_code_required" : null;
    const now = Math.floor(Date.now() / 1000 / WINDOW_SECONDS);
    if (Math.abs(scanned.time.window - now) > TOLERANCE_WINDOWS) return "screen_code_expired";
    const label = new TextEncoder().encode("bilheteria-screen-v1");
    const version = new Uint8Array(4);
    new DataView(version.buffer).setUint32(0, claims.version);
    const material = new Uint8Array(label.length + 16 + 4);
    material.set(label, 0);
    material.set(claims.ticket_bytes, label.length);
    material.set(version, label.length + 16);
    const ticketKey = await hmac(fromB64url(bundle.screen.secret), material);
    const windowBytes = new Uint8Array(8);
    new DataView(windowBytes.buffer).setBigInt64(0, BigInt(scanned.time.window));
    const tag = toB64url((await hmac(ticketKey, windowBytes)).slice(0, 8));
    return tag === scanned.time.tag ? null : "invalid_ticket";
  }

  function placeLines(ticket) {
    const lines = [];
    if (ticket && ticket.place) lines.push(words.place + ": " + ticket.place);
    if (ticket && ticket.ticket_type === "half" && ticket.eligibility) lines.push(documents[ticket.eligibility] || "");
    return lines;
  }

  // The phone's own judgement, as the station's: what it knows offline.
  async function judgeOffline(code, nonce, at) {
    if (!bundle) return { outcome: "invalid_ticket", lines: [words.no_bundle] };
    const scanned = code.length <= 512 ? split(code) : null;
    const claims = scanned ? await claimsOf(scanned.signed) : null;
    if (!claims) return { outcome: "invalid_ticket", lines: [] };
    const refusal = await screenRefusal(scanned, claims);
    if (refusal) return { outcome: refusal, lines: [] };
    if (claims.session_id !== session) return { outcome: "ticket_wrong_session", lines: [] };
    const here = scans.find((s) => s.ticket_id === claims.ticket_id);
    if (here) return { outcome: "ticket_used", lines: [words.used_here.replace("{at}", clock(here.scanned_at))] };
    const known = bundle.tickets[claims.ticket_id];
    if (known && (known.status === "cancelled" || claims.version < known.version)) return { outcome: "ticket_revoked", lines: [] };
    if (known && known.status === "used" && claims.version === known.version) {
      return { outcome: "ticket_used", lines: [words.used_at.replace("{at}", clock(known.admitted_at)).replace("{gate}", known.admitted_gate || "")] };
    }
    scans.push({ nonce, code, gate: gate(), scanned_at: at, ticket_id: claims.ticket_id, synced: false });
    save(KEY.scans, scans);
    showQueue();
    const lines = known ? placeLines(known) : [words.sold_later];
    return { outcome: known && known.ticket_type === "half" ? "check_document" : "admitted", lines };
  }

  // ---- Online: the server's answer ---------------------------------------------------------
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
    }
    const response = await fetch("/api/v1" + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try { json = await response.json(); } catch (_) { /* empty answer */ }
    return { status: response.status, json };
  }

  // null when the server could not be reached (then the phone judges alone).
  async function judgeOnline(code, nonce) {
    let answer;
    try {
      answer = await api("POST", "/checkin", { code, gate: gate(), nonce, session_id: session });
    } catch (_) {
      return null;
    }
    if (answer.status >= 500 || !answer.json) return null;
    const json = answer.json;
    if (answer.status === 200) {
      // Kept as let in here: scanned again with no network, it is refused on this phone too.
      scans.push({ nonce, code, gate: json.gate, scanned_at: json.scanned_at, ticket_id: json.ticket_id, synced: true });
      save(KEY.scans, scans);
      const ticket = bundle && bundle.tickets[json.ticket_id];
      if (ticket) {
        ticket.status = "used";
        ticket.admitted_gate = json.gate;
        ticket.admitted_at = json.scanned_at;
        save(KEY.bundle, bundle);
      }
      const lines = [];
      if (json.seat) lines.push(words.place + ": " + [json.seat.section, json.seat.row, json.seat.number].join(" · "));
      if (json.check_document && json.eligibility) lines.push(documents[json.eligibility] || "");
      return { outcome: json.check_document ? "check_document" : "admitted", lines };
    }
    if (json.code === "ticket_used") {
      return { outcome: "ticket_used", lines: [words.used_at.replace("{at}", clock(json.first_scan_at)).replace("{gate}", json.gate || "")] };
    }
    if (outcomes[json.code]) return { outcome: json.code, lines: [] };
    if (json.code === "validation_failed") return { outcome: "invalid_ticket", lines: [] };
    // Logged out, or no longer allowed: say what the server said.
    return { outcome: "invalid_ticket", lines: [json.title || String(answer.status)] };
  }

  function newNonce() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "phone-" + toB64url(bytes);
  }

  let busy = false;
  async function check(raw) {
    const code = (raw || "").trim();
    if (!code || busy) return;
    busy = true;
    try {
      const nonce = newNonce();
      const at = new Date().toISOString();
      let judged = navigator.onLine ? await judgeOnline(code, nonce) : null;
      if (!judged) judged = await judgeOffline(code, nonce, at);
      show(judged.outcome, judged.lines);
    } finally {
      busy = false;
      codeInput.value = "";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check(codeInput.value);
    codeInput.focus();
  });

  // ---- The gate bundle and the sync --------------------------------------------------------
  async function refreshBundle() {
    let since = bundle && bundle.next_since;
    let fresh = bundle || null;
    for (let page = 0; page < 50; page++) {
      const query = since ? "?since=" + encodeURIComponent(since) : "";
      const answer = await api("GET", "/checkin/sessions/" + session + "/bundle" + query);
      if (answer.status !== 200 || !answer.json) return;
      const json = answer.json;
      if (!fresh) fresh = { tickets: {} };
      fresh.session = json.session;
      fresh.keys = json.keys;
      fresh.screen = json.screen;
      fresh.generated_at = json.generated_at;
      fresh.next_since = json.next_since;
      for (const ticket of json.tickets) fresh.tickets[ticket.ticket_id] = ticket;
      since = json.next_since;
      if (json.complete) break;
    }
    bundle = fresh;
    save(KEY.bundle, bundle);
  }

  async function sync() {
    const waiting = scans.filter((s) => !s.synced);
    if (!waiting.length) return;
    const batch = waiting.slice(0, 500);
    const answer = await api("POST", "/checkin/sync", {
      scans: batch.map((s) => ({ code: s.code, gate: s.gate, nonce: s.nonce, scanned_at: s.scanned_at })),
    });
    if (answer.status !== 200 || !answer.json) return;
    const conflicts = [];
    for (const result of answer.json.results) {
      const scan = scans.find((s) => s.nonce === result.nonce);
      if (!scan) continue;
      scan.synced = true;
      scan.result = result.result;
      if (result.result === "duplicate") conflicts.push((result.first_gate || "") + " " + clock(result.first_scan_at));
    }
    save(KEY.scans, scans);
    if (conflicts.length) queueLine.dataset.conflicts = words.sync_conflict + " " + conflicts.join(", ");
  }

  let syncing = false;
  async function whenOnline() {
    showNet();
    if (!navigator.onLine || syncing) return;
    syncing = true;
    try {
      await sync();
      await refreshBundle();
    } catch (_) {
      /* the network went again: the next round retries */
    } finally {
      syncing = false;
      showQueue();
    }
  }

  function showNet() {
    netLine.hidden = false;
    netLine.textContent = navigator.onLine ? words.online : words.offline;
    netLine.className = "door-net " + (navigator.onLine ? "door-online" : "door-offline");
    root.dataset.online = navigator.onLine ? "yes" : "no";
  }

  function showQueue() {
    const waiting = scans.filter((s) => !s.synced).length;
    const parts = [];
    if (waiting) parts.push(waiting + " " + words.waiting);
    else if (scans.length) parts.push(words.synced + ": " + scans.length);
    if (bundle && bundle.generated_at) parts.push(words.bundle_at + " " + clock(bundle.generated_at));
    else parts.push(words.no_bundle);
    if (queueLine.dataset.conflicts) parts.push(queueLine.dataset.conflicts);
    queueLine.textContent = parts.join(" · ");
    queueLine.hidden = false;
    root.dataset.waiting = String(waiting);
    root.dataset.bundle = bundle ? "yes" : "no";
  }

  window.addEventListener("online", whenOnline);
  window.addEventListener("offline", showNet);
  setInterval(whenOnline, 10000);
  showQueue();
  whenOnline();

  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});

  // ---- The camera ----------------------------------------------------------------------------
  const cameraBox = document.getElementById("door-camera");
  const video = document.getElementById("door-video");
  const toggle = document.getElementById("door-camera-toggle");
  const note = document.getElementById("door-camera-note");
  const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  const decoder = typeof window.jsQR === "function" ? window.jsQR : null;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || (!decoder && !detector)) return;
  cameraBox.hidden = false;
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let last = { code: "", at: 0 };

  async function read() {
    if (!video.videoWidth) return null;
    if (decoder) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = decoder(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return found ? found.data : null;
    }
    const found = await detector.detect(video);
    return found.length ? found[0].rawValue : null;
  }

  async function loop() {
    if (!stream) return;
    try {
      const code = await read();
      // The same code held in front of the camera is read once, not at every frame.
      if (code && !busy && (code !== last.code || Date.now() - last.at > 4000)) {
        last = { code, at: Date.now() };
        await check(code);
      }
    } catch (_) { /* a frame not ready */ }
    setTimeout(loop, 150);
  }

  async function start() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      note.hidden = false;
      root.dataset.camera = "refused: " + (error && error.name);
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    toggle.textContent = words.camera_stop;
    root.dataset.camera = "on";
    loop();
  }

  function stop() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    toggle.textContent = words.camera_start;
    root.dataset.camera = "off";
  }

  toggle.addEventListener("click", () => (stream ? stop() : start()));
})();
