//! An order's lines keep what they bought as facts and are worded for each reader, on both
//! backends: by the API in the request's language, on the order's page in the visitor's; lines
//! written before the facts were kept get them back from the venue, or keep their old words.

use crate::account_pages::log_in;
use crate::pages::Browser;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{Backend, on_both_backends};
use bilheteria_testkit::{Account, OnSale, PASSWORD, TestApp, on_sale, order_body, read};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    an_orders_lines_are_worded_in_the_readers_language,
    lines_written_before_are_worded_from_the_facts_found_again,
);

fn described(order: &Value) -> Vec<String> {
    order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            item["description"]
                .as_str()
                .expect("description")
                .to_owned()
        })
        .collect()
}

/// The lines of order `id` as the API words them for a request with `accept_language`.
async fn lines(app: &TestApp, token: &str, id: &str, accept_language: &str) -> Vec<String> {
    let request = app
        .request(Method::GET, &format!("/orders/{id}"), Some(token))
        .header("accept-language", accept_language);
    let (status, order) = read(request.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    described(&order)
}

/// Ana's order of the first seat at full price, the second at half price (a student) and two
/// cups; her order of a standing place; and Bia's order of Ana's first seat on resale. The
/// orders, in that order.
async fn three_orders(app: &TestApp, sale: &OnSale, ana: &Account, bia: &Account) -> [Value; 3] {
    let holds = format!("/sessions/{}/holds", sale.session_id);
    let (status, seats) = app
        .post(
            &holds,
            Some(&ana.token),
            json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]],
                   "half_price_seat_ids": [sale.seat_ids[1]], "eligibility": "student"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{seats}");
    let mut body = order_body(&seats["id"], "tok_visa");
    body["products"] = json!([{"product_id": sale.product_id, "quantity": 2}]);
    let (status, seated) = app.order(&ana.token, "lines-key-0001", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{seated}");
    let (status, standing) = app
        .post(
            &holds,
            Some(&ana.token),
            json!({"section_id": sale.standing_section, "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{standing}");
    let (status, standing) = app
        .order(
            &ana.token,
            "lines-key-0002",
            &order_body(&standing["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{standing}");
    let full = seated["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ticket| ticket["ticket_type"] == "full")
        .unwrap();
    let (status, listing) = app
        .post(
            &format!("/tickets/{}/resale", full["id"].as_str().unwrap()),
            Some(&ana.token),
            json!({"price_cents": 12_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    let (status, resold) = app
        .order(
            &bia.token,
            "lines-key-0003",
            &json!({"listing_id": listing["id"], "payment": {"method": "card", "token": "tok_visa"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resold}");
    [seated, standing, resold]
}

fn id(order: &Value) -> &str {
    order["id"].as_str().expect("id")
}

async fn an_orders_lines_are_worded_in_the_readers_language(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 4})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let [seated, standing, resold] = three_orders(&app, &sale, &ana, &bia).await;

    // Answered in Portuguese unless the request asks for English.
    assert_eq!(
        described(&seated),
        [
            "Cadeiras, fila R0, assento 1",
            "Cadeiras, fila R0, assento 2 (meia-entrada)",
            "Copo"
        ]
    );
    assert_eq!(described(&standing), ["Pista (em pé)"]);
    assert_eq!(
        described(&resold),
        ["Revenda: Cadeiras, fila R0, assento 1"]
    );
    let english = "en-GB,en;q=0.9";
    assert_eq!(
        lines(&app, &ana.token, id(&seated), english).await,
        [
            "Cadeiras, row R0, seat 1",
            "Cadeiras, row R0, seat 2 (half price)",
            "Copo"
        ]
    );
    assert_eq!(
        lines(&app, &ana.token, id(&standing), english).await,
        ["Pista (standing)"]
    );
    assert_eq!(
        lines(&app, &bia.token, id(&resold), english).await,
        ["Resale: Cadeiras, row R0, seat 1"]
    );
    assert_eq!(
        lines(&app, &ana.token, id(&seated), "pt-BR").await,
        described(&seated)
    );
    let (_, listed) = read(
        app.request(Method::GET, "/orders", Some(&ana.token))
            .header("accept-language", english)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let in_list = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|order| order["id"] == seated["id"])
        .unwrap();
    assert_eq!(
        described(in_list),
        lines(&app, &ana.token, id(&seated), english).await,
        "the list of orders is worded alike"
    );

    // The order's page, in the visitor's language.
    let browser = Browser::new(&app);
    log_in(&browser, "ana@example.com", PASSWORD).await;
    let path = format!("/orders/{}", id(&seated));
    let page = browser.get(&path).await;
    assert!(
        page.body
            .contains("Cadeiras, fila R0, assento 2 (meia-entrada) · estudante"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2 × Copo"), "{}", page.body);
    browser.get(&format!("/language/en?back={path}")).await;
    let page = browser.get(&path).await;
    assert!(
        page.body
            .contains("Cadeiras, row R0, seat 2 (half price) · student"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("fila R0"), "{}", page.body);
}

/// The statements of the migration that gives lines written before their facts.
fn backfill(backend: Backend) -> &'static str {
    let migration = match backend {
        Backend::Sqlite => {
            include_str!("../../../store/migrations/sqlite/0021_order_line_facts.sql")
        }
        Backend::Postgres => {
            include_str!("../../../store/migrations/postgres/0021_order_line_facts.sql")
        }
    };
    let at = migration
        .find("-- Lines written before")
        .expect("the backfill's comment");
    &migration[at..]
}

async fn run_sql(db: &TestDatabase, statements: &'static str) {
    use sqlx::Connection;
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::raw_sql(statements).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::raw_sql(statements).execute(&mut conn).await.unwrap();
        }
    }
}

async fn lines_written_before_are_worded_from_the_facts_found_again(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 4})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let [seated, standing, resold] = three_orders(&app, &sale, &ana, &bia).await;

    // The lines as they were written before: English words and no facts; the standing place's
    // line names a section that is no longer found.
    run_sql(
        &app.db,
        "UPDATE order_items SET section_name = NULL, row_label = NULL, seat_number = NULL, \
         resale = (1 = 0), description = 'Old words' WHERE kind <> 'product'",
    )
    .await;
    run_sql(
        &app.db,
        "UPDATE order_items SET reference_id = '0190a0a0-0000-7000-8000-00000000dead', \
         description = 'Camarote, row Z, seat 9' WHERE kind = 'standing'",
    )
    .await;
    assert_eq!(
        lines(&app, &ana.token, id(&seated), "pt-BR").await,
        ["Old words", "Old words", "Copo"],
        "what the test made of them"
    );

    run_sql(&app.db, backfill(app.db.backend)).await;
    assert_eq!(
        lines(&app, &ana.token, id(&seated), "pt-BR").await,
        [
            "Cadeiras, fila R0, assento 1",
            "Cadeiras, fila R0, assento 2 (meia-entrada)",
            "Copo"
        ]
    );
    assert_eq!(
        lines(&app, &bia.token, id(&resold), "en").await,
        ["Resale: Cadeiras, row R0, seat 1"]
    );
    for language in ["pt-BR", "en"] {
        assert_eq!(
            lines(&app, &ana.token, id(&standing), language).await,
            ["Camarote, row Z, seat 9"],
            "a line whose place is gone keeps its words"
        );
    }
}
