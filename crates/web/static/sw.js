// Keeps the tickets a buyer has opened, so that they open again at a gate without signal: the
// wallet pages (the link mailed with an order), the ticket pages and the list of tickets, with
// the stylesheet and script they use. Network first, always: online, a page is never stale;
// offline, the copy kept when it was last opened is shown. Logging out clears what is kept
// (the answer carries Clear-Site-Data). The door of a session (`/organizer/{org}/door/{id}`)
// and its scripts are kept the same way, so that the door opens at a gate with no network.
"use strict";

const KEPT = "tickets-v1";
const ASSETS = ["/static/app.css", "/static/app.js", "/static/icon.svg"];
const PAGES = [/^\/wallet\/[^/]+\/[^/]+$/, /^\/tickets$/, /^\/tickets\/[^/]+$/,
  /^\/organizer\/[^/]+\/door\/[^/]+$/];
// Kept when a door page loads them, not fetched for every visitor at install.
const DOOR_ASSETS = ["/static/door.js", "/static/jsqr.js", "/door.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(KEPT).then((cache) => cache.addAll(ASSETS)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== KEPT).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function kept(url) {
  return url.origin === self.location.origin &&
    (ASSETS.includes(url.pathname) || DOOR_ASSETS.includes(url.pathname) || PAGES.some((page) => page.test(url.pathname)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || !kept(url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Only a page as its holder sees it: not a login form, an error or a redirect.
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          event.waitUntil(caches.open(KEPT).then((cache) => cache.put(request, copy)));
        } else if (response.status === 404 || response.status === 410) {
          // A revoked link or a ticket passed on: not kept any longer.
          event.waitUntil(caches.open(KEPT).then((cache) => cache.delete(request)));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Response.error())),
  );
});
