// The web box office walked through in Chromium, as buyers would, against a server with the
// demo box office in it (started by crates/bilheteria/tests/it/browser.rs). Every page visited
// is checked with axe-core (no serious or critical violation) and screenshotted on a phone and
// a desktop viewport into $SHOTS. Any failed check ends the walk with a non-zero exit.
import { chromium } from "playwright-core";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** A poster made for the walk: 320 × 180, two bands of the brand's colours (PNG). */
const POSTER_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAUAAAAC0CAIAAABqhmJGAAACVklEQVR42u3TsREAEBBFQbkSBBJdCFSiaQ1RhOCG2Zlt4Dsv5dmBRyVPAAIGBAwIGAQMCBgQMCBgEDAgYEDAIGBAwICAAQGDgAEBAwIGBAwCBgQMCBgEDAgYEDAgYBAwIGBAwICAQcCAgAEBg4ABAQMCBgQMAgYEDAgYBOwVQMCAgAEBg4ABAQMCBgQMAgYEDAgYBAwIGBAwIGAQMCBgQMCAgEHAgIABAYOAAQEDAgYEDAIGBAwIGBAwCBgQMCBgEDAgYEDAgIBBwICAAQGDgAEBAwIGBAwCBgQMCBgQMAgYEDAgYBAwIGBAwICAQcCAgAEBAwIGAQMCBgQMAgYEDAgYEDAIGBAwIGBAwCBgQMCAgEHAgIABAQMCBgEDAgauA95rhCi1hbDX3p/2CtheewXswPbaK2AHttdeATuwvQJ2YHvtFbAD22uvgB3YXnsF7EPbK2AHttdeATuwvfYK2IHtFbAD22uvgB3YXnsF7MD22itgB7ZXwA5sr70CdmB77RWwA9trr4DttVfADmyvvQJ2YHvtFbAD2ytgB7bXXgE7sL32CtiB7bVXwD60vQJ2YHvtFbAD22uvgB3YXnsFbK+9AnZge+0VsAPba6+AHdheATuwvfYK2IHttVfADmyvvQL2oe0VsAPba6+AHdheewXswPYK2IHttVfADmyvvQJ2YHvtFbAD2ytgB7bXXgE7sL32CtiB7bVXwPbaK2AHttdeATuwvfYK2IHtFbAD22uvgB3YXnsF7MD22itgB7ZXwA5sr70CdmB77RWwA9trr4DttfeLvQdR5KnnPhetwwAAAABJRU5ErkJggg==";

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;
// Where the server's side of the walk leaves, per address, the last confirmation link mailed.
const mailbox = process.env.MAILBOX;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const stamp = Date.now();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const problems = [];
let shot = 0;

function assert(condition, message) {
  if (!condition) throw new Error("assertion failed: " + message);
}

function step(name) {
  console.log("· " + name);
}

/** Screenshots on this viewport and the other one, after an accessibility check. */
async function check(page, name, { axe = true } = {}) {
  if (axe) await audit(page, name);
  const viewport = page.viewportSize();
  const label = (v) => (v.width < 600 ? "phone" : "desktop");
  const other = viewport.width < 600 ? DESKTOP : PHONE;
  const number = String(++shot).padStart(2, "0");
  await page.screenshot({ path: `${shots}/${number}-${name}-${label(viewport)}.png`, fullPage: true });
  await page.setViewportSize(other);
  await page.screenshot({ path: `${shots}/${number}-${name}-${label(other)}.png`, fullPage: true });
  await page.setViewportSize(viewport);
}

async function audit(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of serious) {
    problems.push(`${name}: ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  }
}

async function newBuyer(browser, { viewport, locale, javaScriptEnabled = true }) {
  const context = await browser.newContext({ viewport, locale, javaScriptEnabled });
  const page = await context.newPage();
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !text.startsWith("Failed to load resource")) {
      problems.push(`console error on ${page.url()}: ${text}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`script error on ${page.url()}: ${error.message}`));
  return page;
}

/** The confirmation link last mailed to `email`, once it has arrived. */
async function mailedLink(email) {
  for (let tries = 0; tries < 100; tries++) {
    const file = `${mailbox}/${email}`;
    if (existsSync(file)) return readFileSync(file, "utf8");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no confirmation link mailed to ${email}`);
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent()).trim();
}

async function register(page, name, email) {
  await page.goto(base + "/register");
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', "uma senha bem longa");
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
  assert((await text(page, ".who")) === name, `${name} is logged in`);
}

async function login(page, email) {
  await page.goto(base + "/login");
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', "uma senha bem longa");
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
}

async function openEvent(page, title) {
  await page.goto(base + "/");
  await Promise.all([page.waitForNavigation(), page.click(`.card a:has-text("${title}")`)]);
}

/** Picks the first section of the session's overview and lands on its seats. */
async function firstSection(page) {
  await Promise.all([page.waitForNavigation(), page.locator("svg.overview-map a").first().click()]);
}

async function hold(page) {
  await Promise.all([page.waitForURL(/\/checkout\//), page.click("form.hold button[type=submit]")]);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
try {
  // ---- Ana, on a phone, in Portuguese ----------------------------------------------------
  const ana = await newBuyer(browser, { viewport: PHONE, locale: "pt-BR" });
  const anaEmail = `ana-${stamp}@example.com`;
  step("the home page lists the demo's events, and searches");
  await ana.goto(base + "/");
  assert((await text(ana, "h1")) === "Próximos eventos", "home in Portuguese");
  assert((await ana.locator(".card").count()) === 4, "four events");
  await check(ana, "home");
  await ana.fill('input[name="q"]', "orquestra");
  await Promise.all([ana.waitForNavigation(), ana.click("form.search button")]);
  assert((await ana.locator(".card").count()) === 1, "one event found");
  assert((await text(ana, ".card h2")).includes("Orquestra"), "the orchestra found");
  await ana.goto(base + "/?city=recife");
  assert((await ana.locator(".card").count()) === 2, "two events in Recife");

  step("Ana signs up");
  await ana.goto(base + "/register");
  await check(ana, "register");
  await register(ana, "Ana Souza", anaEmail);

  step("Ana waits in the waiting room and is let in");
  await openEvent(ana, "Festival Verão Nordeste");
  await check(ana, "event");
  await Promise.all([ana.waitForNavigation(), ana.click('a.button:has-text("fila")')]);
  await check(ana, "queue");
  await Promise.all([ana.waitForNavigation(), ana.click("section.queue button")]);
  await ana.waitForURL(/\/sessions\/[0-9a-f-]+$/, { timeout: 30000 });

  step("Ana picks two seats on the map, one with the mouse, one with the keyboard");
  await check(ana, "session");
  const festival = ana.url();
  await firstSection(ana);
  const seats = ana.locator("rect.seat.avail");
  // On a phone the section is seen whole at first: a tap there zooms in, the next one picks.
  await seats.first().click();
  assert((await ana.locator("rect.seat.picked").count()) === 0, "the first tap only zooms in");
  await seats.first().click();
  await ana.keyboard.press("ArrowRight");
  await ana.keyboard.press("Space");
  assert((await ana.locator("rect.seat.picked").count()) === 2, "two seats picked");
  assert((await text(ana, ".picked-count")).endsWith("2"), "the count says two");
  assert((await ana.locator("input[name=seat_ids]:checked").count()) === 2, "the form has them");
  await check(ana, "section");
  await hold(ana);
  await check(ana, "checkout");
  assert((await ana.locator(".items tbody tr").count()) === 2, "two places held");

  step("Ana pays by card in three installments");
  await ana.selectOption('select[name="installments"]', "3");
  await Promise.all([ana.waitForURL(/\/orders\//), ana.click("form.pay button[type=submit]")]);
  assert((await text(ana, "h1")) === "Compra confirmada", "paid");
  assert((await ana.locator(".ticket-links a").count()) === 2, "two tickets");
  await check(ana, "order-paid");

  step("the PDF downloads and is a PDF");
  const [download] = await Promise.all([ana.waitForEvent("download"), ana.click("a[download]")]);
  const pdf = readFileSync(await download.path());
  assert(pdf.subarray(0, 5).toString() === "%PDF-", "a PDF");

  step("a ticket shows its QR");
  const orderUrl = ana.url();
  await Promise.all([ana.waitForNavigation(), ana.locator(".ticket-links a").first().click()]);
  const ticketUrl = ana.url();
  assert((await ana.locator(".ticket-qr svg").count()) === 1, "the QR drawn in the page");
  await check(ana, "ticket");

  step("the mailed wallet link shows both tickets without logging in, and offline once opened");
  const walletPath = await mailedLink(`${anaEmail}.wallet`);
  const gate = await newBuyer(browser, { viewport: PHONE, locale: "pt-BR" });
  await gate.goto(base + walletPath);
  assert((await gate.locator(".wallet .ticket").count()) === 2, "two tickets");
  assert((await gate.locator(".wallet .qr svg").count()) === 2, "a QR each");
  assert((await gate.locator(".who").count()) === 0, "nobody logged in");
  await gate.evaluate(() => navigator.serviceWorker.ready);
  await gate.reload();
  await gate.context().setOffline(true);
  await gate.reload();
  assert((await gate.locator(".wallet .qr svg").count()) === 2, "the QR codes offline");
  assert(await gate.locator(".offline-note").isVisible(), "the page says it is offline");
  await check(gate, "wallet-offline");
  await gate.context().setOffline(false);

  step("Ana makes a new wallet link on the order's page: the mailed one stops working");
  await ana.goto(orderUrl);
  const oldWallet = await ana.inputValue("#wallet-url");
  assert(oldWallet.endsWith(walletPath), "the order's page shows the mailed link");
  await Promise.all([ana.waitForNavigation(), ana.click(".wallet-link button[type=submit]")]);
  assert((await ana.locator(".notice").count()) === 1, "said it is renewed");
  assert((await ana.inputValue("#wallet-url")) !== oldWallet, "a new link");
  await check(ana, "order-wallet-renewed");
  const revoked = await gate.goto(base + walletPath);
  assert(revoked.status() === 404, "the mailed link is revoked");
  await gate.context().close();

  step("a 2,000-seat stadium section on a phone: whole with its stage, then zoomed and panned");
  await ana.goto(festival);
  await Promise.all([ana.waitForNavigation(), ana.click('table.section-list a:has-text("Arquibancada Norte")')]);
  assert((await ana.locator("svg.seats rect.seat").count()) === 2000, "two thousand seats");
  assert(await ana.locator("svg.seats .stage-label").isVisible(), "the stage is shown");
  const whole = await ana.locator("svg.seats").boundingBox();
  assert(whole.width <= PHONE.width, `the whole section fits the phone (${whole.width}px)`);
  assert((await ana.locator(".seatmap.numbers").count()) === 0, "no numbers while too small to read");
  await check(ana, "stadium-whole");
  await ana.click('[data-zoom="in"]');
  await ana.click('[data-zoom="in"]');
  assert((await ana.locator(".seatmap.numbers").count()) === 1, "numbers once zoomed");
  assert(await ana.locator(".pan-hint").isVisible(), "the map says it pans");
  const seat = ana.locator("svg.seats rect.seat[data-n]").nth(1234);
  await seat.scrollIntoViewIfNeeded();
  const number = await seat.getAttribute("data-n");
  assert((await ana.locator(`svg.seats text.seat-n:text-is("${number}")`).count()) > 0, "seat numbers drawn");
  await ana.waitForTimeout(100);
  const mapBox = await ana.locator(".seatmap").boundingBox();
  const rowName = await ana.locator("svg.seats text.row-name").nth(24).boundingBox();
  assert(rowName.x >= mapBox.x && rowName.x < mapBox.x + 40, `the row's name stays at the left (${rowName.x})`);
  const stageBox = await ana.locator("svg.seats .stage-label").boundingBox();
  assert(stageBox.y >= mapBox.y && stageBox.y < mapBox.y + 40, `the stage stays at the top (${stageBox.y})`);
  assert(stageBox.x >= mapBox.x && stageBox.x + stageBox.width <= mapBox.x + mapBox.width, `the stage's name in view (${stageBox.x})`);
  await check(ana, "stadium-zoomed");

  step("a 1,000-seat theatre section on a phone: seats picked far apart stay in sight");
  await openEvent(ana, "Orquestra");
  await Promise.all([ana.waitForNavigation(), ana.locator('a.button:has-text("Escolher lugares")').first().click()]);
  await firstSection(ana);
  await ana.click('[data-zoom="in"]');
  const theatreSeats = ana.locator("rect.seat.avail");
  await theatreSeats.nth(2).click();
  await theatreSeats.nth(47).click();
  assert((await ana.locator(".picked-list li").count()) === 2, "both picked seats listed");
  const bar = await ana.locator(".picked-bar").boundingBox();
  assert(bar && bar.y + bar.height <= PHONE.height + 1, "the picked seats are on screen");
  await check(ana, "theatre-picked");
  await ana.locator(".picked-list button").first().click();
  assert((await ana.locator("rect.seat.picked").count()) === 1, "a seat unpicked from the list");

  // ---- Bruno, on a desktop, in English ---------------------------------------------------
  const bruno = await newBuyer(browser, { viewport: DESKTOP, locale: "en-US" });
  const brunoEmail = `bruno-${stamp}@example.com`;
  step("Bruno signs up in English");
  await register(bruno, "Bruno Lima", brunoEmail);
  assert((await bruno.getAttribute("html", "lang")) === "en", "pages in English");

  step("Ana transfers a ticket to Bruno, who accepts it in his browser");
  await ana.goto(ticketUrl);
  await ana.fill('input[name="to_email"]', brunoEmail);
  await Promise.all([ana.waitForURL(/\/transfers/), ana.click('.move form[action$="/transfer"] button')]);
  assert((await text(ana, ".notice")).includes("Transferência oferecida"), "offered");
  await check(ana, "transfers");
  await bruno.goto(base + "/transfers");
  await check(bruno, "transfers-incoming");
  await Promise.all([bruno.waitForNavigation(), bruno.click('button:has-text("Accept")')]);
  assert((await bruno.locator('form[action="/account/verify-email"]').count()) === 1, "an unconfirmed address is offered the resend");
  await check(bruno, "transfer-needs-confirmed-address");

  step("Bruno confirms his address through the mailed link, then accepts");
  await bruno.goto(base + (await mailedLink(brunoEmail)));
  await check(bruno, "verify-email");
  await Promise.all([bruno.waitForNavigation(), bruno.click('main button[type="submit"]')]);
  assert((await text(bruno, "h1")) === "Email confirmed", "the address is confirmed");
  await check(bruno, "email-confirmed");
  await bruno.goto(base + "/transfers");
  await Promise.all([bruno.waitForURL(/\/tickets\//), bruno.click('button:has-text("Accept")')]);
  assert((await text(bruno, ".state")) === "Valid", "the ticket is Bruno's");

  step("Bruno buys a half-price seat with Pix, and the bank pays it");
  await openEvent(bruno, "Stand-up");
  await Promise.all([bruno.waitForNavigation(), bruno.click('a.button:has-text("Choose places")')]);
  await firstSection(bruno);
  await bruno.locator("rect.seat.avail").nth(3).click();
  await bruno.fill('input[name="half_quantity"]', "1");
  await bruno.selectOption('select[name="eligibility"]', "student");
  await hold(bruno);
  assert((await text(bruno, ".document")).includes("student"), "the document to show is named");
  await bruno.check('input[name="method"][value="pix"]');
  await Promise.all([bruno.waitForURL(/\/orders\//), bruno.click("form.pay button[type=submit]")]);
  assert((await text(bruno, "h1")) === "Awaiting payment", "a Pix to pay");
  assert((await bruno.locator(".pix .qr svg").count()) === 1, "its QR");
  assert((await bruno.inputValue("#pix-code")).startsWith("000201"), "its BR Code");
  await check(bruno, "order-pix");
  await Promise.all([bruno.waitForNavigation(), bruno.click('.pix button[type="submit"]')]);
  await bruno.waitForFunction(() => document.querySelector("h1").textContent.includes("Purchase confirmed"), null, { timeout: 15000 });

  step("a declined card keeps the hold and says so");
  await openEvent(bruno, "Stand-up");
  await Promise.all([bruno.waitForNavigation(), bruno.click('a.button:has-text("Choose places")')]);
  await firstSection(bruno);
  await bruno.locator("rect.seat.avail").nth(5).click();
  await hold(bruno);
  await bruno.selectOption('select[name="token"]', "tok_chargeDeclined");
  await Promise.all([bruno.waitForURL(/declined=card/), bruno.click("form.pay button[type=submit]")]);
  assert((await text(bruno, ".notice")).includes("declined"), "the decline explained");
  await check(bruno, "checkout-declined");
  await Promise.all([bruno.waitForURL(/\/sessions\//), bruno.click("form.release button")]);

  step("orders, tickets and the account");
  await bruno.goto(base + "/orders");
  assert((await bruno.locator(".list li").count()) >= 2, "Bruno's orders");
  await check(bruno, "orders");
  await bruno.goto(base + "/tickets");
  assert((await bruno.locator(".list li").count()) === 2, "the transferred ticket and the Pix one");
  await check(bruno, "tickets");
  await bruno.goto(base + "/account");
  await check(bruno, "account");
  await bruno.fill('input[name="current_password"]', "not the password");
  await bruno.fill('input[name="new_password"]', "a brand new secret");
  await Promise.all([bruno.waitForNavigation(), bruno.click('form[action="/account/password"] button')]);
  assert((await bruno.locator("#current_password-problem").count()) === 1, "the wrong password is said beside its field");
  await check(bruno, "password-change-refused");

  step("a forged form without its CSRF proof is refused");
  const forged = await bruno.evaluate(async () => {
    const response = await fetch("/account/language", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "language=pt-BR",
    });
    return response.status;
  });
  assert(forged === 403, `the forged form is refused (${forged})`);
  const api = await bruno.evaluate(async () => {
    const patch = (headers) =>
      fetch("/api/v1/me", { method: "PATCH", headers: { "content-type": "application/json", ...headers }, body: '{"language":"en"}' });
    const without = await patch({});
    const body = await without.json();
    const withProof = await patch({ "x-csrf-token": window.bilheteria.csrfToken() });
    return [without.status, body.code, withProof.status];
  });
  assert(api[0] === 403 && api[1] === "csrf_failed" && api[2] === 200, `the API asks the cookie's proof too (${api})`);
  const forging = bruno.evaluate(() => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = "/account/language";
    const input = document.createElement("input");
    input.name = "language";
    input.value = "pt-BR";
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  });
  await Promise.all([bruno.waitForNavigation(), forging]);
  assert((await text(bruno, "h1")) === "Form expired", "the forged form is refused with a page");
  await check(bruno, "csrf-refused");

  step("one session per user: Ana logs in on another device, and the phone is told");
  const anaLaptop = await newBuyer(browser, { viewport: DESKTOP, locale: "pt-BR" });
  await login(anaLaptop, anaEmail);
  assert((await text(anaLaptop, ".who")) === "Ana Souza", "Ana on her laptop");
  await ana.goto(base + "/tickets");
  assert(ana.url().includes("/login"), "the phone must log in again");
  assert((await text(ana, ".notice")).includes("outro aparelho"), "and is told why");
  await check(ana, "session-replaced");

  step("Ana lists her other ticket for resale, and it shows on the session's resale page");
  await anaLaptop.goto(base + "/tickets");
  await Promise.all([anaLaptop.waitForNavigation(), anaLaptop.locator(".list a").first().click()]);
  await Promise.all([anaLaptop.waitForURL(/listed=1/), anaLaptop.click('.move form[action$="/resale"] button')]);
  await openEvent(anaLaptop, "Festival Verão Nordeste");
  const queueLink = await anaLaptop.getAttribute('a.button:has-text("fila")', "href");
  await anaLaptop.goto(base + queueLink.replace("/queue", "/resale"));
  assert((await anaLaptop.locator("table.items tbody tr").count()) === 1, "one ticket on resale");
  await check(anaLaptop, "resale");
  await Promise.all([anaLaptop.waitForNavigation(), anaLaptop.click("table.items a.button")]);
  await check(anaLaptop, "listing");

  step("a forgotten password: the link asked for, and a link that no longer works");
  await ana.goto(base + "/login");
  await Promise.all([ana.waitForNavigation(), ana.click('a[href="/password-reset"]')]);
  await check(ana, "password-reset-ask");
  await ana.fill('input[name="email"]', anaEmail);
  await Promise.all([ana.waitForNavigation(), ana.click('main button[type="submit"]')]);
  assert((await text(ana, ".notice")).includes("enviamos"), "the same answer whatever the address");
  await ana.goto(base + "/password-reset/not-a-token");
  await ana.fill('input[name="new_password"]', "curta");
  await Promise.all([ana.waitForNavigation(), ana.click('main button[type="submit"]')]);
  assert((await ana.locator("#new_password-problem").count()) === 1, "a weak password is said beside its field");
  await check(ana, "password-reset-weak");
  await ana.fill('input[name="new_password"]', "uma senha nova e longa");
  await Promise.all([ana.waitForNavigation(), ana.click('main button[type="submit"]')]);
  assert((await ana.locator('a[href="/password-reset"]').count()) >= 1, "an unknown link offers to ask again");
  await check(ana, "password-reset-gone");

  step("a page that does not exist is a friendly page");
  await ana.goto(base + "/events/not-an-event");
  assert((await text(ana, "h1")) === "Página não encontrada", "not found, in Portuguese");
  await check(ana, "not-found");

  step("the language switch");
  await ana.goto(base + "/");
  await Promise.all([ana.waitForNavigation(), ana.click("a.lang")]);
  assert((await ana.getAttribute("html", "lang")) === "en", "switched to English");

  step("without JavaScript the seats are picked from the list");
  const plain = await newBuyer(browser, { viewport: PHONE, locale: "pt-BR", javaScriptEnabled: false });
  await register(plain, "Caio Lima", `caio-${stamp}@example.com`);
  await openEvent(plain, "Stand-up");
  await Promise.all([plain.waitForNavigation(), plain.click('a.button:has-text("Escolher lugares")')]);
  await Promise.all([plain.waitForNavigation(), plain.locator("table.section-list a").first().click()]);
  await plain.locator("input[name=seat_ids]").nth(10).check();
  // axe-core is a script: this page was checked with it above.
  await check(plain, "section-without-js", { axe: false });
  await Promise.all([plain.waitForURL(/\/checkout\//), plain.click("form.hold button[type=submit]")]);
  assert((await plain.locator(".items tbody tr").count()) === 1, "one place held without JavaScript");
  await Promise.all([plain.waitForURL(/\/orders\//), plain.click("form.pay button[type=submit]")]);
  assert((await text(plain, "h1")) === "Compra confirmada", "bought without JavaScript");

  // ---- The demo's organizer, on a phone, in Portuguese; Dora, on a desktop, in English -----
  const doraEmail = `dora-${stamp}@example.com`;
  const dora = await newBuyer(browser, { viewport: DESKTOP, locale: "en-US" });
  step("Dora signs up: she will join the organizer's team");
  await register(dora, "Dora Reis", doraEmail);
  assert((await dora.locator('header a[href="/organizer"]').count()) === 0, "no console for a buyer yet");

  step("the organizer logs in and opens the console from the header");
  const org = await newBuyer(browser, { viewport: PHONE, locale: "pt-BR" });
  await org.goto(base + "/organizer");
  assert(org.url().includes("/login?next=%2Forganizer"), "the console asks to log in first");
  await org.fill('input[name="email"]', process.env.ORGANIZER_EMAIL);
  await org.fill('input[name="password"]', process.env.ORGANIZER_PASSWORD);
  await Promise.all([org.waitForNavigation(), org.click('main button[type="submit"]')]);
  assert(org.url().endsWith("/organizer"), "and comes back to it");
  await org.goto(base + "/");
  await Promise.all([org.waitForNavigation(), org.click('header a:has-text("Painel do produtor")')]);
  assert((await text(org, "h1")) === "Painel do produtor", "the console in Portuguese");
  assert((await org.locator(".organizations .card").count()) === 1, "the demo's organization");
  await check(org, "console");

  step("the organizer founds an organization: a wrong CNPJ is said beside its field first");
  await org.fill('input[name="name"]', "Produtora Sol e Lua");
  await org.fill('input[name="document"]', "11.222.333/0001-80");
  await org.fill('input[name="contact_email"]', "contato@sol.example");
  await Promise.all([org.waitForNavigation(), org.click('form[action="/organizer"] button[type="submit"]')]);
  assert((await org.locator("#document-problem").count()) === 1, "the CNPJ's mistake beside it");
  assert((await org.inputValue('input[name="name"]')) === "Produtora Sol e Lua", "what was typed kept");
  await check(org, "console-found-refused");
  await org.fill('input[name="document"]', "11.222.333/0001-81");
  await Promise.all([org.waitForNavigation(), org.click('form[action="/organizer"] button[type="submit"]')]);
  assert((await text(org, "h1")) === "Produtora Sol e Lua", "the new organization's page");
  assert((await text(org, ".notice")).includes("Organização criada"), "said it is made");
  const solUrl = org.url().split("?")[0];
  await check(org, "organizer-new-organization");

  step("the organizer adds Dora to the team as a manager");
  await Promise.all([org.waitForNavigation(), org.click('nav.tabs a:has-text("Equipe")')]);
  await org.fill('form.console-form input[name="email"]', doraEmail);
  await org.selectOption('form.console-form select[name="role"]', "manager");
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await org.locator(".member").count()) === 2, "two members");
  assert((await text(org, ".notice")).includes("Equipe atualizada"), "said it is done");
  await check(org, "organizer-team");

  step("in the demo's organization the organizer creates an event, and publishes it");
  await org.goto(base + "/organizer");
  await Promise.all([org.waitForNavigation(), org.locator(".organizations .card a").first().click()]);
  assert((await org.locator(".console-items .console-item").count()) === 4, "the demo's four events");
  await check(org, "organizer-events");
  const demoUrl = org.url().split("?")[0];
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Novo evento")')]);
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await org.locator("#title-problem").count()) === 1, "an empty title is said beside it");
  await org.fill('input[name="title"]', "Sarau de Poesia");
  await org.selectOption('select[name="category"]', "talks");
  await org.fill('textarea[name="description"]', "Poetas da cidade, microfone aberto.");
  await org.fill('input[name="tags"]', "poesia, sarau");
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await text(org, ".notice")).includes("rascunho"), "made as a draft");
  await check(org, "organizer-event-draft");
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/publish"] button')]);
  assert((await text(org, ".notice")).includes("publicado"), "published");
  await check(org, "organizer-event-published");
  const eventUrl = org.url().split("?")[0];

  step("the organizer gives the event a poster; a file that is no picture is said beside the field");
  const upload = async (file) => {
    await org.setInputFiles('input[name="poster"]', file);
    await Promise.all([org.waitForNavigation(), org.click('form[action$="/poster"] button[type="submit"]')]);
  };
  await upload({ name: "notas.txt", mimeType: "text/plain", buffer: Buffer.from("só palavras") });
  assert((await org.locator("#poster-problem").count()) === 1, "said beside the file's field");
  await check(org, "organizer-poster-refused");
  await upload({ name: "cartaz.png", mimeType: "image/png", buffer: Buffer.from(POSTER_PNG, "base64") });
  assert((await text(org, ".notice")).includes("Cartaz salvo"), "the poster saved");
  assert((await org.locator("img.preview").count()) === 1, "and shown");
  await check(org, "organizer-event-poster");
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Ver a página pública")')]);
  assert((await text(org, "h1")) === "Sarau de Poesia", "the public sees it");
  assert((await org.locator('img.poster[alt="Sarau de Poesia"]').count()) === 1, "with its poster");

  await org.goto(eventUrl);

  step("the organizer plans a session: a price that is no amount is said beside it, then it sells");
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Nova sessão")')]);
  const day = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  await org.fill('input[name="starts_at"]', day + "T20:00");
  await org.fill('input[name="max_tickets_per_user"]', "4");
  const prices = org.locator('input[name^="price_"]');
  const sections = await prices.count();
  assert(sections > 0, "a price for each section of the venue");
  await prices.first().fill("vinte reais");
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await org.locator("#price_0-problem").count()) === 1, "a price that is no amount is said beside it");
  assert((await org.inputValue('input[name="price_0"]')) === "vinte reais", "what was typed is kept");
  assert((await org.inputValue('input[name="starts_at"]')) === day + "T20:00", "and the time too");
  await check(org, "organizer-session-refused");
  for (let i = 0; i < sections; i++) await prices.nth(i).fill(i === 0 ? "80,00" : "40");
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await text(org, ".notice")).includes("Sessão criada"), "the session is made");
  await check(org, "organizer-session");
  const sessionUrl = org.url().split("?")[0];

  step("the organizer pauses its sales: the public page says so at once; then resumes them");
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/pause"] button')]);
  assert((await text(org, ".notice")).includes("Vendas pausadas"), "paused");
  await org.goto(eventUrl);
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Ver a página pública")')]);
  assert((await text(org, "h1")) === "Sarau de Poesia", "the public sees it");
  assert((await text(org, "main")).includes("Vendas pausadas pelo organizador"), "and that its sales are paused");
  await check(org, "event-paused");
  await org.goto(sessionUrl);
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/resume"] button')]);
  assert((await text(org, ".notice")).includes("Vendas retomadas"), "resumed");

  step("Caio buys a seat of it, without JavaScript, at the organizer's price");
  await openEvent(plain, "Sarau de Poesia");
  await Promise.all([plain.waitForNavigation(), plain.click('a.button:has-text("Escolher lugares")')]);
  await Promise.all([plain.waitForNavigation(), plain.locator("table.section-list a").first().click()]);
  await plain.locator("input[name=seat_ids]").first().check();
  await plain.locator("input[name=seat_ids]").nth(1).check();
  await Promise.all([plain.waitForURL(/\/checkout\//), plain.click("form.hold button[type=submit]")]);
  await Promise.all([plain.waitForURL(/\/orders\//), plain.click("form.pay button[type=submit]")]);
  assert((await text(plain, "h1")) === "Compra confirmada", "bought");
  assert((await text(plain, "main")).includes("80,00"), "at the price the organizer set");
  const caioOrder = plain.url();

  step("the organizer finds Caio's order by his email and refunds one of its two tickets");
  await org.goto(sessionUrl);
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Ver os pedidos desta sessão")')]);
  await org.fill('input[name="q"]', `CAIO-${stamp}`);
  await Promise.all([org.waitForNavigation(), org.click('form.search button[type="submit"]')]);
  assert((await org.locator(".console-item").count()) === 1, "his order, found by his email");
  await check(org, "organizer-orders");
  await Promise.all([org.waitForNavigation(), org.click(".console-item a")]);
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/refund"] button[type="submit"]')]);
  assert((await org.locator("#tickets-problem").count()) === 1, "a refund of nothing is said beside the tickets");
  await check(org, "organizer-order-refused");
  await org.locator('input[name="ticket"]').first().check();
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/refund"] button[type="submit"]')]);
  assert((await text(org, ".notice")).includes("Reembolso feito"), "one ticket refunded");
  assert((await org.locator('input[name="ticket"]').count()) === 1, "the other is still his, and refundable");
  assert((await text(org, "main")).includes("R$ 80,00"), "what that ticket was paid came back");
  await check(org, "organizer-order");
  step("the organizer opens the session's borderô (Caio's seat in it) and downloads the door list for Excel");
  await org.goto(sessionUrl);
  await Promise.all([org.waitForNavigation(), org.click(".session-reports a.button")]);
  assert((await text(org, "h1")).startsWith("Borderô"), "the borderô");
  assert((await text(org, "main")).includes("80,00"), "with Caio's seat");
  await check(org, "organizer-bordero");
  const [doorList] = await Promise.all([
    org.waitForEvent("download"),
    org.click('.export-links a[href*="attendees.csv?dialect=excel-br"]'),
  ]);
  const door = readFileSync(await doorList.path(), "utf8");
  assert(door.startsWith("\ufeffIngresso;Pedido;Titular"), "UTF-8 with a BOM, `;`, headings in Portuguese");
  assert(door.includes(";80,00"), "money with a decimal comma");

  step("the organizer makes a product offered with the event, its price with a decimal comma");
  await org.goto(demoUrl + "/products");
  await org.fill('input[name="name"]', "Livro de poemas");
  await org.fill('input[name="price"]', "-5");
  await org.fill('input[name="stock"]', "40");
  await org.check('label.check:has-text("Sarau de Poesia") input');
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  assert((await org.locator("#price-problem").count()) === 1, "a negative price is said beside it");
  await check(org, "organizer-product-refused");
  await org.fill('input[name="price"]', "34,90");
  await Promise.all([org.waitForNavigation(), org.click('form.console-form button[type="submit"]')]);
  const row = org.locator('.console-item:has-text("Livro de poemas")');
  assert((await row.count()) === 1, "the product listed");
  assert((await row.textContent()).includes("R$ 34,90"), "at R$ 34,90");
  await check(org, "organizer-products");

  step("the organizer builds a venue: a row of 0 seats said beside it, then aisles and accessible seats in the preview");
  await org.goto(demoUrl + "/venues");
  assert((await org.locator(".console-items .console-item").count()) === 2, "the demo's two venues");
  await check(org, "organizer-venues");
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Novo local")')]);
  await org.fill('input[name="name"]', "Cine Teatro");
  await org.fill('input[name="city"]', "Olinda");
  await org.fill('input[name="s0.name"]', "Plateia");
  await org.fill('input[name="s0.r0.label"]', "A");
  await org.fill('input[name="s0.r0.seats"]', "0");
  await Promise.all([org.waitForNavigation(), org.click('button[value="save"]')]);
  assert((await org.locator('[id="s0.r0.seats-problem"]').count()) === 1, "0 seats is said beside the field");
  assert((await org.inputValue('input[name="name"]')) === "Cine Teatro", "what was typed is kept");
  await check(org, "organizer-venue-refused");
  await org.fill('input[name="s0.r0.seats"]', "12");
  await org.fill('input[name="s0.r0.gaps"]', "6");
  await org.fill('input[name="s0.r0.accessible"]', "1");
  await org.fill('input[name="s0.r0.companion"]', "2");
  await org.fill('input[name="s0.r1.label"]', "B");
  await org.fill('input[name="s0.r1.seats"]', "12");
  await org.selectOption('select[name="s0.r1.direction"]', "right_to_left");
  await Promise.all([org.waitForNavigation(), org.click('button[value="preview"]')]);
  assert((await org.locator(".venue-preview svg.seats rect.seat.wheelchair").count()) === 1, "the preview marks the wheelchair place");
  await check(org, "organizer-venue-preview");
  await Promise.all([org.waitForNavigation(), org.click('button[value="save"]')]);
  assert((await text(org, ".notice")).includes("Local criado"), "the venue is made");
  await check(org, "organizer-venue");
  await org.goto(demoUrl + "/venues/generate");
  await check(org, "organizer-venue-generate");

  step("the organizer cancels the event, after a confirmation with the reason");
  await org.goto(demoUrl);
  await Promise.all([org.waitForNavigation(), org.click('.console-item a:has-text("Sarau de Poesia")')]);
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Cancelar o evento")')]);
  assert((await text(org, ".notice.warning")).includes("para sempre"), "what cancelling does is said first");
  await check(org, "organizer-event-cancel");
  await org.fill('textarea[name="reason"]', "O teatro fechou para reforma.");
  await Promise.all([org.waitForNavigation(), org.click('form[action$="/cancel"] button[type="submit"]')]);
  assert((await text(org, ".notice")).includes("Evento cancelado"), "cancelled");
  assert((await text(org, ".refund-progress")).includes("de 1"), "with its refunds so far");
  assert((await org.locator('form[action$="/publish"], form[action$="/unpublish"]').count()) === 0, "and nothing more to publish");
  await check(org, "organizer-event-cancelled");
  await Promise.all([org.waitForNavigation(), org.click('a:has-text("Ver a página pública")')]);
  assert((await text(org, ".cancelled-notice")).includes("reforma"), "the public is told, with the reason");
  await check(org, "event-cancelled");

  step("in the background Caio's order is refunded, and his order page says so");
  let refunded = false;
  for (let i = 0; i < 40 && !refunded; i++) {
    await plain.goto(caioOrder);
    refunded = (await text(plain, "main")).includes("reembolsado");
    if (!refunded) await plain.waitForTimeout(250);
  }
  assert(refunded, "the cancelled event's order is refunded");
  await org.goto(demoUrl + "?status=cancelled");
  await Promise.all([org.waitForNavigation(), org.click('.console-item a:has-text("Sarau de Poesia")')]);
  assert((await text(org, ".refund-progress")).includes("1 de 1"), "the console counts it refunded");

  step("Dora, in English, finds the console and the organization she manages, but not its team");
  await dora.goto(base + "/");
  await Promise.all([dora.waitForNavigation(), dora.click('header a:has-text("Organizer console")')]);
  assert((await dora.locator(".organizations .card").count()) === 1, "her organization");
  await check(dora, "console-en");
  await dora.goto(solUrl);
  assert((await dora.locator('a:has-text("New event")').count()) === 1, "a manager may make events");
  assert((await dora.locator('nav.tabs a:has-text("Team")').count()) === 0, "but not change the team");
  await check(dora, "organizer-events-en");
  const teamPage = await dora.goto(solUrl + "/team");
  assert(teamPage.status() === 403, "the team's page is the owners'");
  assert((await text(dora, "h1")) === "Not allowed", "said in a friendly page");
  await check(dora, "organizer-team-forbidden-en");
  await dora.goto(solUrl + "/events/new");
  assert((await dora.locator(".notice").count()) === 1, "a new organization has no venue yet, and says so");
  assert((await dora.locator("form.console-form").count()) === 0, "and offers no form that cannot succeed");
  await check(dora, "organizer-new-event-en");
} catch (error) {
  problems.push(String(error && error.stack ? error.stack : error));
} finally {
  await browser.close();
}

if (problems.length) {
  console.error("the walk found problems:\n- " + problems.join("\n- "));
  process.exit(1);
}
console.log(`the walk passed; screenshots in ${shots}`);
