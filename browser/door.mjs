// The door on a phone, in Chromium (started by crates/bilheteria/tests/it/door_browser.rs): a
// `checkin` member on a phone-sized window whose camera plays $CLIP (a ticket's QR code) admits
// that ticket by camera, is refused it the second time, goes offline, admits a second ticket
// typed in ($SECOND_CODE, checked on the phone), comes back online and syncs. The door page is
// checked with axe-core and screenshotted into $SHOTS. Any failed check exits non-zero.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const problems = [];
let shot = 0;

function assert(condition, message) {
  if (!condition) throw new Error("assertion failed: " + message);
}

function step(name) {
  console.log("· door: " + name);
}

async function snap(page, name) {
  const number = String(++shot).padStart(2, "0");
  await page.screenshot({ path: `${shots}/${number}-${name}-phone.png`, fullPage: true });
}

async function audit(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
    problems.push(`${name}: ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  }
}

async function verdict(page, outcome, what) {
  await page.waitForSelector(`#door-result.door-${outcome}`, { timeout: 20000 }).catch(async () => {
    const shown = await page.locator("#door-result").textContent();
    const state = await page.evaluate(() => {
      const video = document.getElementById("door-video");
      return JSON.stringify({ ...document.getElementById("door").dataset, video: [video.videoWidth, video.videoHeight, video.readyState], jsqr: typeof window.jsQR });
    });
    await snap(page, "door-failed");
    throw new Error(`${what}: expected ${outcome}, the door shows "${shown}" (${state})`);
  });
  return (await page.locator("#door-result").textContent()).trim();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-video-capture=${process.env.CLIP}`,
  ],
});
try {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "pt-BR",
  });
  await context.grantPermissions(["camera"], { origin: base });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`script error on ${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // Offline, the scripts' network calls fail by design; anything else is a fault.
    if (message.type() === "error" && !text.startsWith("Failed to load resource") && !text.includes("ERR_INTERNET_DISCONNECTED")) {
      problems.push(`console error on ${page.url()}: ${text}`);
    }
  });

  step("log in as the gate worker");
  await page.goto(base + "/login");
  await page.fill('input[name="email"]', process.env.EMAIL);
  await page.fill('input[name="password"]', process.env.PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);

  step("the door lists the session; open it");
  await page.goto(base + process.env.DOOR.replace(/\/[^/]+$/, ""));
  await audit(page, "door-sessions");
  await snap(page, "door-sessions");
  await Promise.all([page.waitForNavigation(), page.click("a.button.primary")]);
  assert(page.url().endsWith(process.env.DOOR), "the session's door opens: " + page.url());
  await page.waitForSelector('#door[data-bundle="yes"]', { timeout: 20000 });
  await page.fill('input[name="gate"]', "Portão Norte");
  await page.dispatchEvent('input[name="gate"]', "change");
  await audit(page, "door");
  await snap(page, "door-ready");

  step("the camera reads the ticket: admitted");
  await page.click("#door-camera-toggle");
  const first = await verdict(page, "admitted", "the first scan");
  assert(first.includes("ENTRADA LIBERADA"), first);
  await snap(page, "door-admitted");

  step("the same ticket again: already used, when and where");
  const second = await verdict(page, "ticket_used", "the second scan");
  assert(second.includes("JÁ ENTROU") && second.includes("Portão Norte"), second);
  await snap(page, "door-used");
  await page.click("#door-camera-toggle");

  step("offline, a typed ticket is checked on the phone");
  // The service worker keeps the page: it opens again with no network.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('#door[data-bundle="yes"]');
  await context.setOffline(true);
  await page.waitForSelector('#door[data-online="no"]');
  await page.reload();
  assert((await page.locator("h1").textContent()).length > 0, "the door opens offline");
  await page.waitForSelector('#door[data-bundle="yes"]');
  await page.fill('input[name="code"]', process.env.SECOND_CODE);
  await page.click("button.door-check");
  const offline = await verdict(page, "admitted", "the offline scan");
  assert(offline.includes("ENTRADA LIBERADA"), offline);
  await page.waitForSelector('#door[data-waiting="1"]');
  await snap(page, "door-offline-admitted");
  step("offline, the same ticket again is caught on the phone");
  await page.fill('input[name="code"]', process.env.SECOND_CODE);
  await page.click("button.door-check");
  const twice = await verdict(page, "ticket_used", "the offline second scan");
  assert(twice.includes("JÁ ENTROU"), twice);
  await snap(page, "door-offline-used");

  step("back online: the scans are sent");
  await context.setOffline(false);
  await page.waitForSelector('#door[data-waiting="0"]', { timeout: 30000 });
  await page.reload();
  const counts = await page.locator(".door-counts").textContent();
  assert(counts.includes("Portão Norte") && counts.includes("2"), counts);
  await audit(page, "door-counts");
  await snap(page, "door-synced");
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("door walk done");
