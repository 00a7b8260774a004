//! The web box office over real HTTP on both backends, as a browser without JavaScript sends
//! it: the setup link, the CSRF proof, friendly pages for bad input, a checkout form sent many
//! times at once buying once, and seat maps served from snapshots with ETags.

use bilheteria_app::Settings;
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, on_sale};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_backends!(
    the_setup_link_makes_the_first_admin_once,
    forms_need_their_csrf_proof_and_bad_input_gets_a_friendly_page,
    a_checkout_form_sent_many_times_at_once_buys_once,
    at_capacity_the_hold_form_answers_a_friendly_page_and_holds_nothing,
    pages_and_seat_maps_travel_gzipped_to_browsers_that_ask,
    seat_maps_are_shared_snapshots_with_etags,
    a_seat_map_read_every_time_changes_its_etag_with_the_seats,
    a_ticket_on_resale_is_bought_through_the_pages,
    installments_add_up_and_a_declined_card_keeps_the_choice,
    redirects_taken_from_input_stay_on_this_site,
    a_login_page_past_its_limit_says_when_to_come_back,
);

/// A browser without JavaScript: keeps its cookies, follows no redirect by itself.
#[derive(Clone)]
pub(crate) struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The CSRF proof the page's forms carry.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf-token\" content=\"")
            .expect("csrf meta")
            + 27;
        self.body[at..at + self.body[at..].find('"').unwrap()].to_owned()
    }

    /// The idempotency key a checkout's form carries.
    fn form_key(&self) -> String {
        let at = self.body.find("name=\"key\" value=\"").expect("key field") + 19;
        self.body[at..at + self.body[at..].find('"').unwrap()].to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn is_friendly_page(&self) -> bool {
        self.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
            && self.body.contains("<h1>")
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Arc::default(),
        }
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Answer {
        let mut request = self.request(method, path);
        if let Some(form) = form {
            request = request.form(form);
        }
        self.answer(request).await
    }

    /// A JSON request to the API as a page's script sends it: the login cookie, and the page's
    /// CSRF proof when given. The status and the JSON answer.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        csrf: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = self
            .request(method, path)
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let answer = self.answer(request).await;
        (
            answer.status,
            serde_json::from_str(&answer.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A request as this browser sends it: its cookies, HTML asked for, in Portuguese.
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let cookie_line = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_LANGUAGE, "pt-BR")
            .header(header::COOKIE, cookie_line)
    }

    /// Sends `request`, keeping the cookies its answer sets.
    async fn answer(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer {
            status: response.status(),
            headers,
            body: response.text().await.unwrap(),
        }
    }

    /// Posts a `multipart/form-data` form, as a browser sends a form with a file: `fields`
    /// first, then the file `(field, file name, bytes)`.
    pub(crate) async fn post_file(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        (field, file_name, bytes): (&str, &str, &[u8]),
    ) -> Answer {
        let boundary = "----bilheteria-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .request(Method::POST, path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.answer(request).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(Method::POST, path, Some(form)).await
    }

    /// Signs up (and so logs in) through the pages.
    pub(crate) async fn sign_up(&self, email: &str) {
        let page = self.get("/register").await;
        let answer = self
            .post(
                "/register",
                &[
                    ("csrf", &page.csrf()),
                    ("name", "Comprador"),
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert!(
            self.cookies
                .lock()
                .unwrap()
                .contains_key("bilheteria_login")
        );
    }
}

async fn the_setup_link_makes_the_first_admin_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let token = bilheteria_app::setup::prepare(&app.state)
        .await
        .unwrap()
        .expect("an empty box office has a setup link");
    let path = format!("/setup/{token}");
    let browser = Browser::new(&app);
    assert_eq!(
        browser.get("/setup/not-the-token").await.status,
        StatusCode::NOT_FOUND
    );
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let form = |password: &'static str| {
        vec![
            ("name", "Dona da Casa"),
            ("email", "admin@example.com"),
            ("password", password),
        ]
    };
    let refused = browser.post(&path, &form(PASSWORD)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF proof");
    assert!(refused.is_friendly_page());
    let mut short = form("short");
    short.push(("csrf", &csrf));
    let shown_again = browser.post(&path, &short).await;
    assert_eq!(shown_again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        shown_again.body.contains("admin@example.com"),
        "the form keeps what was typed"
    );
    let mut good = form(PASSWORD);
    good.push(("csrf", &csrf));
    let made = browser.post(&path, &good).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.location(), "/account");
    let account = browser.get("/account").await;
    assert!(
        account.body.contains("Dona da Casa"),
        "logged in as the admin"
    );
    let admin = app
        .store
        .find_credentials("admin@example.com")
        .await
        .unwrap()
        .unwrap()
        .user;
    assert!(admin.roles.contains(&Role::Admin));
    // Spent: a second visit, or a second box office start, offers nothing.
    let again = Browser::new(&app);
    assert_eq!(again.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(
        bilheteria_app::setup::prepare(&app.state)
            .await
            .unwrap()
            .is_none()
    );
}

/// `back` and `next` are read as a browser reads them (tabs and newlines dropped, `\\` for `/`):
/// anything that would leave the site goes home, and a control character is never a 500.
async fn redirects_taken_from_input_stay_on_this_site(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let browser = Browser::new(&app);
    for (back, to) in [
        ("/%09/evil.example/phish", "/"),
        ("/%5C/evil.example", "/"),
        ("%0A//evil.example", "/"),
        ("/events%0D%0ASet-Cookie:%20x=1", "/eventsSet-Cookie: x=1"),
        ("/events?page=2", "/events?page=2"),
    ] {
        let answer = browser.get(&format!("/language/en?back={back}")).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{back}: {}",
            answer.body
        );
        assert_eq!(answer.location(), to, "{back}");
    }
    let page = browser.get("/register").await;
    let made = browser
        .post(
            "/register",
            &[
                ("csrf", &page.csrf()),
                ("name", "Comprador"),
                ("email", "redirect@example.com"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.location(), "/");
    let other = Browser::new(&app);
    let page = other.get("/login?next=%0D%0A").await;
    assert_eq!(page.status, StatusCode::OK);
    let logged_in = other
        .post(
            "/login",
            &[
                ("csrf", &page.csrf()),
                ("email", "redirect@example.com"),
                ("password", PASSWORD),
                ("next", "/account\r\nLocation: //evil.example"),
            ],
        )
        .await;
    assert_eq!(
        logged_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        logged_in.body
    );
    assert_eq!(logged_in.location(), "/accountLocation: //evil.example");
}

async fn a_login_page_past_its_limit_says_when_to_come_back(db: TestDatabase) {
    let settings = Settings {
        login_attempts_per_account_per_minute: 2,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    app.register("ana@example.com").await;
    let browser = Browser::new(&app);
    let csrf = browser.get("/login").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("email", "ana@example.com"),
        ("password", "wrong password!"),
        ("next", "/"),
    ];
    let attempt = || browser.post("/login", &form);
    for _ in 0..2 {
        assert_eq!(attempt().await.status, StatusCode::UNAUTHORIZED);
    }
    let limited = attempt().await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.body
    );
    assert!(limited.is_friendly_page());
    let retry_after: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
}

async fn forms_need_their_csrf_proof_and_bad_input_gets_a_friendly_page(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let buyer = Browser::new(&app);
    buyer.sign_up("comprador@example.com").await;
    let session = format!("/sessions/{}", sale.session_id);
    let page = buyer.get(&session).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let hold = format!("{session}/hold");

    // Another site's form has no proof, nor a proof of another browser.
    let stranger = Browser::new(&app);
    let strangers_csrf = stranger.get("/").await.csrf();
    for proof in ["", "forged", strangers_csrf.as_str()] {
        let answer = buyer
            .post(&hold, &[("csrf", proof), ("seat_ids", &sale.seat_ids[0])])
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "proof {proof:?}");
        assert!(answer.body.contains("Formulário expirado"));
    }
    // The API with the login cookie asks for the proof too.
    let login = buyer.cookies.lock().unwrap()["bilheteria_login"].clone();
    let patch = |proof: Option<&str>| {
        let mut request = app
            .client
            .patch(app.url("/me"))
            .header(header::COOKIE, format!("bilheteria_login={login}"))
            .json(&json!({"language": "en"}));
        if let Some(proof) = proof {
            request = request.header("x-csrf-token", proof);
        }
        request.send()
    };
    let refused = patch(None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["code"],
        "csrf_failed"
    );
    assert_eq!(patch(Some(&csrf)).await.unwrap().status(), StatusCode::OK);
    let reads = app
        .client
        .get(app.url("/me"))
        .header(header::COOKIE, format!("bilheteria_login={login}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reads.status(), StatusCode::OK, "a read needs no proof");

    // Bad input: a friendly page with the problem, never a 500, and nothing held.
    let csrf = buyer.get(&session).await.csrf();
    let cases: Vec<(Vec<(&str, &str)>, StatusCode)> = vec![
        (vec![], StatusCode::UNPROCESSABLE_ENTITY),
        (
            vec![("seat_ids", "not-a-seat")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("section_id", &sale.standing_section), ("quantity", "abc")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![
                ("section_id", &sale.standing_section),
                ("quantity", "99999"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![
                ("seat_ids", &sale.seat_ids[0]),
                ("half_quantity", "1"),
                ("eligibility", "alien"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("seat_ids", &sale.seat_ids[0]), ("half_quantity", "1")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (fields, status) in cases {
        let mut form = fields.clone();
        form.push(("csrf", &csrf));
        let answer = buyer.post(&hold, &form).await;
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.body);
        assert!(answer.is_friendly_page(), "{fields:?}");
    }
    for path in [
        "/sessions/not-a-session",
        "/checkout/not-a-hold",
        "/orders/01a24280-c719-70de-97db-b3a922bdbdb1",
        "/tickets/nope",
        "/no/such/page",
    ] {
        let answer = buyer.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        // In the buyer's own language: English, which they chose above through the API.
        assert!(
            answer.body.contains("Page not found"),
            "{path}: {}",
            answer.body
        );
    }
    // An API client is still answered a problem document.
    let (status, problem) = app.get("/no/such/page", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
    // Pages that need a login send there, and back.
    let anonymous = Browser::new(&app);
    let sent = anonymous.get("/tickets").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), "/login?next=%2Ftickets");
    let (_, integrity) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(integrity["seats_sold_twice"], 0);
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    assert!(
        map["sections"][0]["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "available"),
        "no bad form held anything"
    );
}

async fn at_capacity_the_hold_form_answers_a_friendly_page_and_holds_nothing(db: TestDatabase) {
    let app = TestApp::spawn_with(
        db,
        Settings {
            max_purchase_work_in_flight: 1,
            ..Settings::default()
        },
    )
    .await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let buyer = Browser::new(&app);
    buyer.sign_up("lotado@example.com").await;
    let session = format!("/sessions/{}", sale.session_id);
    let csrf = buyer.get(&session).await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("seat_ids", sale.seat_ids[0].as_str()),
    ];
    let busy = app.state.load.work();
    let refused = buyer.post(&format!("{session}/hold"), &form).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers[header::RETRY_AFTER], "1");
    assert!(refused.is_friendly_page(), "{}", refused.body);
    assert!(
        refused.body.contains("Muita procura agora"),
        "{}",
        refused.body
    );
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    assert_eq!(map["sections"][0]["seats"][0]["status"], "available");
    drop(busy);
    let held = buyer.post(&format!("{session}/hold"), &form).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    assert!(
        held.location().starts_with("/checkout/"),
        "{}",
        held.location()
    );
}

async fn pages_and_seat_maps_travel_gzipped_to_browsers_that_ask(db: TestDatabase) {
    use std::io::Read;
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 200, 50, 10, json!({})).await;
    let section = format!(
        "/sessions/{}?section={}",
        sale.session_id,
        sale.venue["sections"][0]["id"].as_str().unwrap()
    );
    let seats = format!("/api/v1/sessions/{}/seats", sale.session_id);
    for path in [section, seats.clone()] {
        let get = |encoding: Option<&'static str>| {
            // A returning visitor, so that the page is the same each time.
            let mut request = app
                .client
                .get(format!("{}{path}", app.base))
                .header(header::COOKIE, "bilheteria_device=gzip-test-visitor-0001");
            if let Some(encoding) = encoding {
                request = request.header(header::ACCEPT_ENCODING, encoding);
            }
            request.send()
        };
        let plain = get(None).await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        let plain = plain.bytes().await.unwrap();
        let zipped = get(Some("gzip, br")).await.unwrap();
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip", "{path}");
        assert!(
            zipped.headers()[header::VARY]
                .to_str()
                .unwrap()
                .contains("accept-encoding"),
            "{path}: caches keep both"
        );
        let zipped = zipped.bytes().await.unwrap();
        assert!(
            zipped.len() * 4 < plain.len(),
            "{path}: {} of {} bytes",
            zipped.len(),
            plain.len()
        );
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{path}");
    }
    // The seat map's two representations have ETags of their own, and a revalidation is
    // answered for the representation asked for.
    let seat_map = |encoding: &'static str, tag: Option<String>| {
        let mut request = app
            .client
            .get(format!("{}{seats}", app.base))
            .header(header::ACCEPT_ENCODING, encoding);
        if let Some(tag) = tag {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        request.send()
    };
    let etag = |response: &reqwest::Response| {
        response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let plain_tag = etag(&seat_map("identity", None).await.unwrap());
    let gzip_tag = etag(&seat_map("gzip", None).await.unwrap());
    assert_ne!(plain_tag, gzip_tag);
    let again = seat_map("gzip", Some(gzip_tag.clone())).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&again), gzip_tag);
    let other = seat_map("identity", Some(gzip_tag)).await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "the plain map is not the gzipped one"
    );
    assert_eq!(etag(&other), plain_tag);
    // So do the static assets, which the compression layer gzips.
    let script = app.client.get(format!("{}/static/app.js", app.base));
    let zipped = script
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
    let zipped_tag = etag(&zipped);
    assert!(zipped_tag.ends_with("-gzip\""), "{zipped_tag}");
    let again = app
        .client
        .get(format!("{}/static/app.js", app.base))
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &zipped_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

/// A new buyer `email`, signed up in a browser, at the checkout of the sale's first two seats:
/// the browser, the checkout's path and its page.
async fn at_checkout_of_two_seats(
    app: &TestApp,
    sale: &bilheteria_testkit::OnSale,
    email: &str,
) -> (Browser, String, Answer) {
    let buyer = Browser::new(app);
    buyer.sign_up(email).await;
    let session = format!("/sessions/{}", sale.session_id);
    let csrf = buyer.get(&session).await.csrf();
    let held = buyer
        .post(
            &format!("{session}/hold"),
            &[
                ("csrf", &csrf),
                ("seat_ids", &sale.seat_ids[0]),
                ("seat_ids", &sale.seat_ids[1]),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let checkout_path = held.location().to_owned();
    let checkout = buyer.get(&checkout_path).await;
    (buyer, checkout_path, checkout)
}

async fn a_checkout_form_sent_many_times_at_once_buys_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let (buyer, checkout_path, checkout) =
        at_checkout_of_two_seats(&app, &sale, "pressa@example.com").await;
    assert_eq!(checkout.status, StatusCode::OK);
    let key = checkout.form_key();
    // A double click, a reload that sends the form again, a flaky phone: 8 at once.
    let mut sends = Vec::new();
    for _ in 0..8 {
        let (buyer, path, csrf, key) = (
            buyer.clone(),
            checkout_path.clone(),
            checkout.csrf(),
            key.clone(),
        );
        sends.push(tokio::spawn(async move {
            buyer
                .post(
                    &path,
                    &[
                        ("csrf", &csrf),
                        ("key", &key),
                        ("method", "card"),
                        ("token", "tok_visa"),
                        ("installments", "2"),
                    ],
                )
                .await
        }));
    }
    let mut orders = std::collections::HashSet::new();
    for send in sends {
        let answer = send.await.unwrap();
        match answer.status {
            StatusCode::SEE_OTHER => {
                orders.insert(answer.location().to_owned());
            }
            // A twin still running: the page says so, and nothing else happens.
            StatusCode::CONFLICT => {
                assert!(answer.body.contains("<h1>"));
            }
            other => panic!("{other}: {}", answer.body),
        }
    }
    assert_eq!(orders.len(), 1, "one order: {orders:?}");
    let order_page = buyer.get(orders.iter().next().unwrap()).await;
    assert!(
        order_page.body.contains("Compra confirmada"),
        "{}",
        order_page.body
    );
    let (_, listed) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(listed["paid_orders"], 1);
    assert_eq!(listed["double_charges"], 0);
    assert_eq!(listed["tickets_valid"], 2);
}

async fn seat_maps_are_shared_snapshots_with_etags(db: TestDatabase) {
    let settings = Settings {
        seat_map_max_age: Duration::from_secs(3600),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let path = app.url(&format!("/sessions/{}/seats", sale.session_id));
    let first = app.client.get(&path).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10);
    let unchanged = app
        .client
        .get(&path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()[header::ETAG].to_str().unwrap(), etag);
    // A hold changes the database, not the snapshot viewers share until it is rebuilt.
    let buyer = app.account("snap@example.com", &[Role::Customer]).await;
    let (status, _) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let shared = app
        .client
        .get(&path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        shared.status(),
        StatusCode::NOT_MODIFIED,
        "the snapshot is shared"
    );
    // But the store decides holds: the seat the snapshot shows free is refused.
    let other = app.account("late@example.com", &[Role::Customer]).await;
    let (status, problem) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&other.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "seat_unavailable");
}

async fn a_seat_map_read_every_time_changes_its_etag_with_the_seats(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let path = app.url(&format!("/sessions/{}/seats", sale.session_id));
    let etag = |response: &reqwest::Response| {
        response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let before = etag(&app.client.get(&path).send().await.unwrap());
    let buyer = app.account("etag@example.com", &[Role::Customer]).await;
    app.post(
        &format!("/sessions/{}/holds", sale.session_id),
        Some(&buyer.token),
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let after = app
        .client
        .get(&path)
        .header(header::IF_NONE_MATCH, &before)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK, "the map changed");
    assert_ne!(etag(&after), before);
}

async fn a_ticket_on_resale_is_bought_through_the_pages(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let seller = app.account("vende@example.com", &[Role::Customer]).await;
    let bought = app
        .buy_seat(&sale, &seller.token, 3, "resale-page-0001")
        .await;
    let ticket = bought["tickets"][0]["id"].as_str().unwrap();
    let (status, listing) = app
        .post(
            &format!("/tickets/{ticket}/resale"),
            Some(&seller.token),
            json!({"price_cents": 9_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    let listing_id = listing["id"].as_str().unwrap();

    let buyer = Browser::new(&app);
    buyer.sign_up("compra-revenda@example.com").await;
    let session = format!("/sessions/{}", sale.session_id);
    assert!(
        buyer
            .get(&session)
            .await
            .body
            .contains(&format!("{session}/resale"))
    );
    let listed = buyer.get(&format!("{session}/resale")).await;
    assert!(
        listed.body.contains(&format!("/listings/{listing_id}")),
        "{}",
        listed.body
    );
    assert!(listed.body.contains("R$ 90,00"));
    let page = buyer.get(&format!("/listings/{listing_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let key_at = page.body.find("name=\"key\" value=\"").unwrap() + 19;
    let key = page.body[key_at..key_at + page.body[key_at..].find('"').unwrap()].to_owned();
    let paid = buyer
        .post(
            &format!("/listings/{listing_id}"),
            &[
                ("csrf", &page.csrf()),
                ("key", &key),
                ("method", "card"),
                ("token", "tok_visa"),
                ("installments", "1"),
            ],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    assert!(paid.location().starts_with("/orders/"));
    assert!(
        buyer
            .get(paid.location())
            .await
            .body
            .contains("Compra confirmada")
    );
    // Sold: no longer offered, and a second buyer is told so on a page.
    let late = Browser::new(&app);
    late.sign_up("tarde@example.com").await;
    let gone = late.get(&format!("/listings/{listing_id}")).await;
    assert_eq!(gone.status, StatusCode::CONFLICT);
    assert!(gone.is_friendly_page());
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(report["listings_mismatched"], 0, "{report}");
    assert_eq!(report["paid_orders"], 2, "{report}");
}

/// Two seats of R$ 120,00 in 7 installments: the parcels add up to R$ 240,00 (the first carries
/// the centavos left over), and after a declined card the checkout keeps 7 selected.
async fn installments_add_up_and_a_declined_card_keeps_the_choice(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let (buyer, checkout_path, checkout) =
        at_checkout_of_two_seats(&app, &sale, "parcelas@example.com").await;
    let seven = "<option value=\"7\">7x sem juros: 1x de R$ 34,32 + 6x de R$ 34,28</option>";
    assert!(checkout.body.contains(seven), "{}", checkout.body);
    assert!(checkout.body.contains("<option value=\"1\" selected>"));

    let key = checkout.form_key();
    let declined = buyer
        .post(
            &checkout_path,
            &[
                ("csrf", &checkout.csrf()),
                ("key", &key),
                ("method", "card"),
                ("token", "tok_chargeDeclined"),
                ("installments", "7"),
            ],
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.body);
    let again = buyer.get(declined.location()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again
            .body
            .contains("<option value=\"7\" selected>7x sem juros"),
        "{}",
        again.body
    );
    assert!(!again.body.contains("<option value=\"1\" selected>"));
}
