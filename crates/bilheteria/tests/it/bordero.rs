//! The borderô and the exports over real HTTP on both backends: the sheet checked against
//! known sales (inteira and meia, card in installments and Pix, a refund, a resale with a fee)
//! and against the integrity report, its JSON against a snapshot, the PDF; the CSV exports in
//! both dialects read back with the csv crate (BOM, separator, decimal comma, the venue's
//! zone), a large export coming out whole, every export audited; who may, by role.

use crate::organizer_pages::{assert_forbidden, assert_not_found, browser_of};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    the_bordero_counts_known_sales_and_agrees_with_the_integrity_report,
    exports_read_back_in_both_dialects_and_are_audited,
    a_large_export_streams_out_whole,
    finance_and_managers_may_door_and_viewers_may_not_outsiders_find_nothing,
    the_consoles_bordero_page_links_the_pdf_and_exports_by_role,
);

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("id")
}

async fn hold(app: &TestApp, sale: &OnSale, buyer: &Account, body: Value) -> Value {
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    held
}

async fn paid(app: &TestApp, buyer: &Account, key: &str, body: Value) -> Value {
    let (status, order) = app.order(&buyer.token, key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "paid");
    order
}

/// The sales of the sheet: Ana a full seat and a product in 3 installments, then resold to
/// Eva (10 % fee); Bia a student's half-price seat; Carla a seat by Pix; Dani a seat,
/// refunded. Answers Bia's order (her ticket is scanned at the door by some tests).
async fn known_sales(app: &TestApp, sale: &OnSale) -> Value {
    let [ana, bia, carla, dani, eva] = [
        "ana@example.com",
        "bia@example.com",
        "carla@example.com",
        "dani@example.com",
        "eva@example.com",
    ]
    .map(|email| async move { app.account(email, &[]).await });
    let (ana, bia, carla, dani, eva) = (ana.await, bia.await, carla.await, dani.await, eva.await);
    let seat = |i: usize| json!([sale.seat_ids[i]]);

    let held = hold(app, sale, &ana, json!({"seat_ids": seat(0)})).await;
    let ana_order = paid(
        app,
        &ana,
        "bordero-ana-0001",
        json!({"hold_id": held["id"], "products": [{"product_id": sale.product_id, "quantity": 1}],
               "payment": {"method": "card", "token": "tok_visa", "installments": 3}}),
    )
    .await;
    assert_eq!(ana_order["total_cents"], 13_500);

    let held = hold(
        app,
        sale,
        &bia,
        json!({"seat_ids": seat(1), "half_price_seat_ids": seat(1), "eligibility": "student"}),
    )
    .await;
    let bia_order = paid(
        app,
        &bia,
        "bordero-bia-0001",
        json!({"hold_id": held["id"], "payment": {"method": "card", "token": "tok_visa"}}),
    )
    .await;
    assert_eq!(bia_order["total_cents"], 6_000);

    let held = hold(app, sale, &carla, json!({"seat_ids": seat(2)})).await;
    let (status, waiting) = app
        .order(
            &carla.token,
            "bordero-carla-01",
            &json!({"hold_id": held["id"], "payment": {"method": "pix"}}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    let (status, pix_paid) = app
        .call(
            Method::POST,
            &format!("/orders/{}/pix/pay", waiting["order_id"].as_str().unwrap()),
            Some(&carla.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pix_paid}");

    let held = hold(app, sale, &dani, json!({"seat_ids": seat(3)})).await;
    let dani_order = paid(
        app,
        &dani,
        "bordero-dani-0001",
        json!({"hold_id": held["id"], "payment": {"method": "card", "token": "tok_visa"}}),
    )
    .await;
    let (status, refunded) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", id(&dani_order)),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");

    let ticket = ana_order["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["seat"].is_object())
        .unwrap()
        .clone();
    let (status, listing) = app
        .post(
            &format!("/tickets/{}/resale", id(&ticket)),
            Some(&ana.token),
            json!({"price_cents": 12_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    paid(
        app,
        &eva,
        "bordero-eva-0001",
        json!({"listing_id": listing["id"], "payment": {"method": "card", "token": "tok_visa"}}),
    )
    .await;
    bia_order
}

async fn bordero(app: &TestApp, sale: &OnSale, token: &str) -> (StatusCode, Value) {
    app.get(
        &format!("/sessions/{}/bordero", sale.session_id),
        Some(token),
    )
    .await
}

/// `value` with the ids of this run replaced, for the snapshot.
fn without_ids(mut value: Value, sale: &OnSale) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if key.ends_with("_id") && item.is_string() {
                        *item = json!("[id]");
                    } else {
                        walk(item);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    assert_eq!(value["session_id"], sale.session_id.as_str());
    walk(&mut value);
    value
}

fn matches_snapshot(name: &str, value: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    let now = format!("{}\n", serde_json::to_string_pretty(value).unwrap());
    if std::env::var_os("BILHETERIA_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &now).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        kept,
        now,
        "{} differs from its snapshot (BILHETERIA_BLESS=1 to accept)",
        path.display()
    );
}

async fn the_bordero_counts_known_sales_and_agrees_with_the_integrity_report(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(
        &app,
        10,
        10,
        10,
        json!({"transfers": {"resale_fee_percent": 10}}),
    )
    .await;
    known_sales(&app, &sale).await;
    let (status, sheet) = bordero(&app, &sale, &sale.organizer.token).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");

    // Charged: 135 + 60 + 120 (Pix) + 120 (refunded) + 120 (resale) = R$ 555,00; given back:
    // Dani's 120 and Ana's payout of 108 (the resale price less the 10 % fee).
    assert_eq!(
        (
            &sheet["gross_cents"],
            &sheet["refunded_cents"],
            &sheet["net_cents"]
        ),
        (&json!(55_500), &json!(22_800), &json!(32_700)),
        "{sheet}"
    );
    assert_eq!(
        sheet["refunds"],
        json!({"orders_cents": 12_000, "resale_payouts_cents": 10_800})
    );
    assert_eq!(
        (
            &sheet["tickets"]["sold"],
            &sheet["tickets"]["full"],
            &sheet["tickets"]["half"]
        ),
        (&json!(3), &json!(2), &json!(1)),
        "the refunded ticket is not counted; the resold one once"
    );
    assert_eq!(sheet["tickets"]["by_eligibility"]["student"], 1);
    assert_eq!(sheet["products"], json!({"sold": 1, "gross_cents": 1_500}));
    assert_eq!(
        (&sheet["resales"], &sheet["resale_fees_cents"]),
        (&json!(1), &json!(1_200))
    );
    assert_eq!(
        sheet["half_price"],
        json!({"quota": 8, "sold": 1, "in_quota": 1, "remaining": 7, "quota_percent": 40})
    );
    let methods: Vec<(Value, Value, Value, Value, Value)> = sheet["by_payment_method"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["method"].clone(),
                m["installments"].clone(),
                m["orders"].clone(),
                m["gross_cents"].clone(),
                m["refunded_cents"].clone(),
            )
        })
        .collect();
    assert_eq!(
        methods,
        [
            (
                json!("card"),
                json!(1),
                json!(3),
                json!(30_000),
                json!(12_000)
            ),
            (
                json!("card"),
                json!(3),
                json!(1),
                json!(13_500),
                json!(10_800)
            ),
            (json!("pix"), json!(null), json!(1), json!(12_000), json!(0)),
        ]
    );
    let plateia = &sheet["by_category"][0];
    assert_eq!(
        (&plateia["name"], &plateia["sold"], &plateia["half"]),
        (&json!("Plateia"), &json!(3), &json!(1))
    );
    assert_eq!(sheet["by_category"][1]["sold"], 0, "Pista sold nothing");

    // The same figures as the integrity report's.
    let (status, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(sheet["gross_cents"], report["charged_cents"]);
    assert_eq!(
        sheet["refunds"]["orders_cents"], report["refunded_cents"],
        "{report}"
    );
    assert_eq!(
        sheet["refunds"]["resale_payouts_cents"],
        report["paid_out_cents"]
    );
    assert_eq!(sheet["half_price"]["quota"], report["half_price_quota"]);
    assert_eq!(sheet["half_price"]["sold"], report["half_price_sold"]);
    let net = sheet["net_cents"].as_i64().unwrap();
    assert_eq!(
        net,
        report["paid_order_total_cents"].as_i64().unwrap()
            - report["resale_adjustment_cents"].as_i64().unwrap(),
        "what was kept is what paid orders owe: {report}"
    );
    let by_method: i64 = sheet["by_payment_method"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["net_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(by_method, net);

    matches_snapshot("bordero.json", &without_ids(sheet, &sale));

    // The PDF, in both languages.
    for lang in ["pt-BR", "en"] {
        let response = app
            .request(
                Method::GET,
                &format!("/sessions/{}/bordero.pdf?lang={lang}", sale.session_id),
                Some(&sale.organizer.token),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let pdf = response.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile2"), "the font is embedded");
        assert!(text.contains(lang), "the document's language is {lang}");
    }
}

/// An export's body: status, content type and bytes.
async fn export(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

/// The records of a CSV body, the BOM checked and taken off for the Brazilian dialect.
fn records(body: &[u8], excel: bool) -> Vec<Vec<String>> {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    let text = if excel {
        assert!(body.starts_with(BOM), "a BOM for Excel");
        &body[BOM.len()..]
    } else {
        assert!(!body.starts_with(BOM));
        body
    };
    csv::ReaderBuilder::new()
        .delimiter(if excel { b';' } else { b',' })
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn exports_read_back_in_both_dialects_and_are_audited(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(
        &app,
        10,
        10,
        10,
        json!({"transfers": {"resale_fee_percent": 10}}),
    )
    .await;
    let bia_order = known_sales(&app, &sale).await;
    let (status, scanned) = app
        .post(
            "/checkin",
            Some(&sale.organizer.token),
            json!({"code": bia_order["tickets"][0]["code"], "gate": "Portão 1", "nonce": "bordero-scan-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    let base = format!("/sessions/{}/exports", sale.session_id);
    let token = &sale.organizer.token;

    // Orders, Brazilian Excel: `;`, decimal comma, Brasília's time, words in Portuguese.
    let (status, kind, body) = export(&app, &format!("{base}/orders.csv"), token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let rows = records(&body, true);
    assert_eq!(rows[0][0], "Pedido");
    assert_eq!(rows[0][9], "Total");
    assert_eq!(rows.len(), 1 + 5, "five orders");
    let ana = rows.iter().find(|r| r[3] == "ana@example.com").unwrap();
    assert_eq!((ana[6].as_str(), ana[9].as_str()), ("3", "135,00"));
    let dani = rows.iter().find(|r| r[3] == "dani@example.com").unwrap();
    assert_eq!(
        (dani[4].as_str(), dani[10].as_str()),
        ("reembolsado", "120,00")
    );

    // The same in RFC 4180, in English; its ISO 8601 time (UTC) is the Brazilian one's instant
    // in the venue's zone (America/Sao_Paulo: UTC−3).
    let (status, _, body) = export(
        &app,
        &format!("{base}/orders.csv?dialect=rfc4180&lang=en"),
        token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rfc_rows = records(&body, false);
    assert_eq!(rfc_rows[0][0], "Order");
    let ana_rfc = rfc_rows.iter().find(|r| r[3] == "ana@example.com").unwrap();
    assert_eq!(
        (ana_rfc[4].as_str(), ana_rfc[9].as_str()),
        ("paid", "135.00")
    );
    let instant =
        time::OffsetDateTime::parse(&ana_rfc[1], &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!(ana_rfc[1].ends_with('Z'), "{}", ana_rfc[1]);
    let local = instant.to_offset(time::macros::offset!(-3));
    assert_eq!(
        ana[1],
        format!(
            "{:02}/{:02}/{:04} {:02}:{:02}",
            local.day(),
            u8::from(local.month()),
            local.year(),
            local.hour(),
            local.minute()
        )
    );

    // The door list: inteira and meia with the ground and the document, places, status.
    let (status, _, body) = export(&app, &format!("{base}/attendees.csv"), token).await;
    assert_eq!(status, StatusCode::OK);
    let rows = records(&body, true);
    assert_eq!(rows[0][2], "Titular");
    assert_eq!(
        rows.len(),
        1 + 4,
        "four tickets, the refunded one cancelled"
    );
    let bia = rows.iter().find(|r| r[3] == "bia@example.com").unwrap();
    assert_eq!(
        (
            bia[4].as_str(),
            bia[5].as_str(),
            bia[8].as_str(),
            bia[9].as_str()
        ),
        ("Cadeiras", "R0", "meia-entrada", "estudante")
    );
    assert!(bia[10].contains("CIE"), "{}", bia[10]);
    assert_eq!((bia[11].as_str(), bia[12].as_str()), ("utilizado", "60,00"));
    let eva = rows.iter().find(|r| r[3] == "eva@example.com").unwrap();
    assert_eq!((eva[8].as_str(), eva[11].as_str()), ("inteira", "válido"));
    let dani = rows.iter().find(|r| r[3] == "dani@example.com").unwrap();
    assert_eq!(dani[11], "cancelado");

    // Check-ins.
    let (status, _, body) = export(&app, &format!("{base}/checkins.csv?lang=en"), token).await;
    assert_eq!(status, StatusCode::OK);
    let rows = records(&body, true);
    assert_eq!(
        rows[0],
        ["Time", "Ticket", "Holder", "Gate", "Result", "Staff"]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1][3].as_str(), rows[1][4].as_str()),
        ("Portão 1", "admitted")
    );

    // A made-up dialect or language is refused, naming the field.
    let refused = app
        .get(&format!("{base}/orders.csv?dialect=excel"), Some(token))
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["dialect"]);
    let refused = app
        .get(&format!("{base}/attendees.csv?lang=fr"), Some(token))
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["lang"]);

    // Every export is in the audit log, with who and what.
    let admin = app
        .account(
            "admin@example.com",
            &[bilheteria_domain::account::Role::Admin],
        )
        .await;
    let (status, audit) = app
        .get(
            &format!("/admin/audit?target={}", sale.session_id),
            Some(&admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let exports: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("export."))
        .collect();
    assert_eq!(
        exports,
        [
            "export.checkins",
            "export.attendees",
            "export.orders",
            "export.orders"
        ],
        "the refused ones are not: {audit}"
    );
    let (status, verified) = app.get("/admin/audit/verify", Some(&admin.token)).await;
    assert_eq!((status, &verified["ok"]), (StatusCode::OK, &json!(true)));
}

async fn a_large_export_streams_out_whole(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    // 2,500 tickets, two pages and a half of the door list (1,000 rows a page): 30 buyers of
    // 50 full-price places (the open 60 %) and 20 of 50 half-price ones (the reserve).
    let sale = on_sale(&app, 10, 2_600, 10, json!({"max_tickets_per_user": 50})).await;
    let buyers = app.buyers(50).await;
    for (i, buyer) in buyers.iter().enumerate() {
        let mut body = json!({"section_id": sale.standing_section, "quantity": 50});
        if i >= 30 {
            body["half_price_quantity"] = json!(50);
            body["eligibility"] = json!("youth_low_income");
        }
        let held = hold(&app, &sale, buyer, body).await;
        paid(
            &app,
            buyer,
            &format!("bulk-order-{i:05}"),
            json!({"hold_id": held["id"], "payment": {"method": "card", "token": "tok_visa"}}),
        )
        .await;
    }
    let (status, _, body) = export(
        &app,
        &format!(
            "/sessions/{}/exports/attendees.csv?dialect=rfc4180&lang=en",
            sale.session_id
        ),
        &sale.organizer.token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = records(&body, false);
    assert_eq!(rows.len(), 1 + 2_500, "every ticket");
    let mut ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2_500, "no ticket twice across pages");
    let half = rows[1..].iter().filter(|r| r[8] == "half price").count();
    assert_eq!(half, 1_000);
    let (_, sheet) = bordero(&app, &sale, &sale.organizer.token).await;
    assert_eq!(
        (
            &sheet["tickets"]["sold"],
            &sheet["tickets"]["by_eligibility"]["youth_low_income"]
        ),
        (&json!(2_500), &json!(1_000))
    );
}

async fn finance_and_managers_may_door_and_viewers_may_not_outsiders_find_nothing(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let owner = &sale.organizer;
    let (_, mine) = app.get("/organizations", Some(&owner.token)).await;
    let organization = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let mut members = Vec::new();
    for role in ["manager", "finance", "checkin", "viewer"] {
        let account = app.account(&format!("{role}@example.com"), &[]).await;
        let (status, added) = app
            .post(
                &format!("/organizations/{organization}/members"),
                Some(&owner.token),
                json!({"email": account.email, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        members.push((role, account));
    }
    // A finance member limited to another event may not.
    let (_, other) = app
        .post(
            "/events",
            Some(&owner.token),
            json!({"title": "Outro", "category": "music", "venue_id": sale.venue["id"], "status": "draft"}),
        )
        .await;
    let limited = app.account("limited@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/organizations/{organization}/members"),
            Some(&owner.token),
            json!({"email": limited.email, "role": "finance", "event_ids": [other["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let outsider = app.organizer("outsider@example.com").await;
    let paths: Vec<String> = [
        "bordero",
        "bordero.pdf",
        "exports/orders.csv",
        "exports/attendees.csv",
        "exports/checkins.csv",
    ]
    .iter()
    .map(|p| format!("/sessions/{}/{p}", sale.session_id))
    .collect();
    for path in &paths {
        for (role, account) in &members {
            let (status, _, body) = export(&app, path, &account.token).await;
            let expected = match *role {
                "manager" | "finance" => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(status, expected, "{role} on {path}");
            if expected == StatusCode::FORBIDDEN {
                let problem: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(problem["code"], "forbidden", "{role} on {path}");
            }
        }
        assert_eq!(
            export(&app, path, &owner.token).await.0,
            StatusCode::OK,
            "owner on {path}"
        );
        assert_problem(
            &app.get(path, Some(&limited.token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(
            &app.get(path, Some(&outsider.token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_problem(
            &app.get(path, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    let unknown = "/sessions/3fa85f64-5717-4562-b3fc-2c963f66afa6/bordero";
    assert_problem(
        &app.get(unknown, Some(&owner.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn the_consoles_bordero_page_links_the_pdf_and_exports_by_role(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(
        &app,
        10,
        10,
        10,
        json!({"transfers": {"resale_fee_percent": 10}}),
    )
    .await;
    known_sales(&app, &sale).await;
    let owner = &sale.organizer;
    let (_, mine) = app.get("/organizations", Some(&owner.token)).await;
    let org = mine["items"][0]["id"].as_str().unwrap().to_owned();
    for role in ["finance", "checkin", "viewer"] {
        app.account(&format!("{role}@example.com"), &[]).await;
        let (status, _) = app
            .post(
                &format!("/organizations/{org}/members"),
                Some(&owner.token),
                json!({"email": format!("{role}@example.com"), "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.organizer("outsider@example.com").await;
    let page = format!("/organizer/{org}/sessions/{}/bordero", sale.session_id);

    let finance = browser_of(&app, "finance@example.com").await;
    let sheet = finance.get(&page).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    for words in [
        "Borderô",
        "R$ 555,00",
        "R$ 327,00",
        "Meia-entrada (Lei 12.933/2013",
        "estudante",
        "Cartão, 3×",
        "Pix",
        "Lista da portaria",
    ] {
        assert!(sheet.body.contains(words), "{words}");
    }
    let pdf = format!(
        "/api/v1/sessions/{}/bordero.pdf?lang=pt-BR",
        sale.session_id
    );
    assert!(sheet.body.contains(&pdf));
    let export = format!(
        "/api/v1/sessions/{}/exports/attendees.csv?dialect=excel-br&#38;lang=pt-BR",
        sale.session_id
    );
    assert!(sheet.body.contains(&export), "{}", sheet.body);
    // The link works with the console's cookie.
    let csv = finance.get(&export.replace("&#38;", "&")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'), "the BOM");
    assert!(csv.body.contains("Titular;E-mail;Setor"));
    assert_eq!(finance.get(&pdf).await.status, StatusCode::OK);
    // In English.
    finance.get("/language/en?back=/").await;
    let english = finance.get(&page).await;
    assert_eq!(english.status, StatusCode::OK);
    for words in [
        "Box office statement",
        "R$555.00",
        "Half price",
        "Card, 3 installments",
    ] {
        assert!(english.body.contains(words), "{words}");
    }

    for role in ["checkin", "viewer"] {
        let member = browser_of(&app, &format!("{role}@example.com")).await;
        assert_forbidden(&member.get(&page).await, role);
    }
    let outsider = browser_of(&app, "outsider@example.com").await;
    assert_not_found(&outsider.get(&page).await, "outsider");

    // The session's page links its reports for its owner.
    let owner = browser_of(&app, &owner.email).await;
    let session = owner
        .get(&format!("/organizer/{org}/sessions/{}", sale.session_id))
        .await;
    assert_eq!(session.status, StatusCode::OK);
    assert!(session.body.contains(&format!("href=\"{page}\"")));
    assert!(
        session
            .body
            .contains("exports/checkins.csv?dialect=rfc4180")
    );
}
