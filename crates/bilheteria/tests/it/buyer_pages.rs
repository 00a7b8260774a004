//! The buyer's pages as a browser without JavaScript goes through them, on both backends: the
//! way back from logging in with the picks kept, forms shown again with their problem and what
//! was typed, what a paid hold, a refunded order and a ticket passed on say, orders named by
//! their event, and the seller's side of resale.

use crate::pages::{Answer, Browser};
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{OnSale, PASSWORD, TestApp, on_sale};
use reqwest::{Method, StatusCode, Url};
use serde_json::json;

on_both_backends!(
    a_visitor_sent_to_log_in_from_the_seat_map_comes_back_to_the_picks,
    a_refused_form_is_shown_again_with_its_problem_what_was_typed_and_the_buyers_header,
    a_paid_hold_a_refunded_order_and_a_passed_on_ticket_say_what_became_of_them,
    the_seller_sees_the_listing_withdraws_it_and_hears_of_the_sale_and_payout,
);

/// A sale on now (a cap of 2), and a buyer signed up in a browser, named "Comprador".
async fn signed_up_at_a_sale(app: &TestApp, email: &str) -> (OnSale, Browser) {
    let sale = on_sale(app, 20, 50, 10, json!({})).await;
    let buyer = Browser::new(app);
    buyer.sign_up(email).await;
    (sale, buyer)
}

/// The seated section of a sale.
fn seated(sale: &OnSale) -> &str {
    sale.venue["sections"][0]["id"].as_str().unwrap()
}

/// What a page's form carries in `name="key"`.
fn form_key(page: &Answer) -> String {
    let at = page.body.find("name=\"key\" value=\"").unwrap() + 19;
    page.body[at..at + page.body[at..].find('"').unwrap()].to_owned()
}

/// Holds `extra` (seats, half price) through the session's page: the answer to the hold form.
async fn hold(browser: &Browser, sale: &OnSale, extra: &[(&str, &str)]) -> Answer {
    let session = format!("/sessions/{}", sale.session_id);
    let page = browser
        .get(&format!("{session}?section={}", seated(sale)))
        .await;
    let csrf = page.csrf();
    let mut form = vec![("csrf", csrf.as_str()), ("section_id", seated(sale))];
    form.extend_from_slice(extra);
    browser.post(&format!("{session}/hold"), &form).await
}

/// Sends `checkout`'s form, paying by card in 3 installments.
async fn pay(browser: &Browser, path: &str, checkout: &Answer) -> Answer {
    let form = [
        ("csrf", checkout.csrf()),
        ("key", form_key(checkout)),
        ("method", "card".to_owned()),
        ("token", "tok_visa".to_owned()),
        ("installments", "3".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &form).await
}

/// Buys `extra` through the pages with an approving card: the checkout's path and the order's.
async fn buy(browser: &Browser, sale: &OnSale, extra: &[(&str, &str)]) -> (String, String) {
    let held = hold(browser, sale, extra).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let checkout_path = held.location().to_owned();
    let checkout = browser.get(&checkout_path).await;
    let paid = pay(browser, &checkout_path, &checkout).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    assert!(
        paid.location().starts_with("/orders/"),
        "{}",
        paid.location()
    );
    (checkout_path, paid.location().to_owned())
}

/// The first ticket linked from an order's page.
async fn first_ticket(browser: &Browser, order_path: &str) -> String {
    let order = browser.get(order_path).await;
    let at = order.body.find("href=\"/tickets/").expect("a ticket link") + 15;
    order.body[at..at + order.body[at..].find('"').unwrap()].to_owned()
}

fn checked(seat: &str) -> String {
    format!("id=\"seat-{seat}\" checked")
}

async fn a_visitor_sent_to_log_in_from_the_seat_map_comes_back_to_the_picks(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 50, 10, json!({})).await;
    let session = format!("/sessions/{}", sale.session_id);
    let visitor = Browser::new(&app);
    let (first, second) = (&sale.seat_ids[3], &sale.seat_ids[4]);
    let sent = hold(
        &visitor,
        &sale,
        &[
            ("seat_ids", first),
            ("seat_ids", second),
            ("half_quantity", "1"),
            ("eligibility", "student"),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let login = Url::parse(&format!("http://box.office{}", sent.location())).unwrap();
    assert_eq!(login.path(), "/login");
    let next = login
        .query_pairs()
        .find(|(name, _)| name == "next")
        .map(|(_, value)| value.into_owned())
        .expect("the way back");
    assert!(next.starts_with(&format!("{session}?")), "{next}");
    assert!(next.contains(&format!("seat={first}")), "{next}");

    // A first purchase: the visitor signs up from the login page, which keeps the way back.
    let mut register = Url::parse("http://box.office/register").unwrap();
    register.query_pairs_mut().append_pair("next", &next);
    let register = visitor
        .get(&format!("/register?{}", register.query().unwrap()))
        .await;
    let signed_up = visitor
        .post(
            "/register",
            &[
                ("csrf", &register.csrf()),
                ("name", "Primeira Vez"),
                ("email", "primeira@example.com"),
                ("password", PASSWORD),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(
        signed_up.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_up.body
    );
    assert_eq!(signed_up.location(), next);
    let back = visitor.get(&next).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.body.contains(&checked(first)), "{}", back.body);
    assert!(back.body.contains(&checked(second)));
    assert!(back.body.contains("continuam marcados"));
    assert!(back.body.contains("value=\"student\" selected"));
    assert!(back.body.contains("Primeira Vez"), "logged in");
    // One press holds them.
    let held = visitor
        .post(
            &format!("{session}/hold"),
            &[
                ("csrf", &back.csrf()),
                ("section_id", seated(&sale)),
                ("seat_ids", first),
                ("seat_ids", second),
                ("half_quantity", "1"),
                ("eligibility", "student"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    assert!(held.location().starts_with("/checkout/"));
    // The hold form's address, reached by a reload or an old link, is the session's page.
    let reloaded = visitor.get(&format!("{session}/hold")).await;
    assert_eq!(reloaded.status, StatusCode::SEE_OTHER);
    assert_eq!(reloaded.location(), session);
}

async fn a_refused_form_is_shown_again_with_its_problem_what_was_typed_and_the_buyers_header(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let (sale, buyer) = signed_up_at_a_sale(&app, "erros@example.com").await;
    let seats = &sale.seat_ids;

    // Half price with no ground: the session again, the problem beside the form, the picks.
    let refused = hold(
        &buyer,
        &sale,
        &[("seat_ids", &seats[0]), ("half_quantity", "1")],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"hold-problems\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&checked(&seats[0])));
    assert!(
        refused
            .body
            .contains("name=\"half_quantity\" min=\"0\" max=\"2\" value=\"1\"")
    );
    assert!(refused.body.contains("Comprador"), "the buyer's own header");

    // A field's problem is said beside the form with the field's label, in the buyer's
    // language, never by the field's name in the request.
    let session = format!("/sessions/{}", sale.session_id);
    let too_many = |browser: Browser| {
        let (session, standing) = (session.clone(), sale.standing_section.clone());
        async move {
            let csrf = browser.get(&session).await.csrf();
            let form = [
                ("csrf", csrf.as_str()),
                ("section_id", standing.as_str()),
                ("quantity", "99"),
            ];
            let answer = browser.post(&format!("{session}/hold"), &form).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
            answer.body
        }
    };
    let in_portuguese = too_many(buyer.clone()).await;
    assert!(
        in_portuguese.contains("Quantidade: deve estar entre 1 e 50"),
        "{in_portuguese}"
    );
    assert!(!in_portuguese.contains("quantity:"), "{in_portuguese}");
    buyer.get(&format!("/language/en?back={session}")).await;
    let in_english = too_many(buyer.clone()).await;
    assert!(
        in_english.contains("Quantity: must be between 1 and 50"),
        "{in_english}"
    );
    buyer.get(&format!("/language/pt-BR?back={session}")).await;

    // Past the cap of 2: told so, counting what the buyer already has.
    let (_, order) = buy(
        &buyer,
        &sale,
        &[("seat_ids", &seats[0]), ("seat_ids", &seats[1])],
    )
    .await;
    let over = hold(&buyer, &sale, &[("seat_ids", &seats[2])]).await;
    assert!(over.status.is_client_error(), "{}", over.status);
    assert!(over.body.contains("id=\"hold-problems\""), "{}", over.body);
    assert!(over.body.contains(&checked(&seats[2])));
    assert!(
        over.body.contains("Você já tem 2 lugar(es) nesta sessão"),
        "{}",
        over.body
    );
    assert!(over.body.contains("data-cap=\"0\""));

    // A resale price above what was paid: the ticket again, with the price as typed.
    let ticket = first_ticket(&buyer, &order).await;
    let page = buyer.get(&format!("/tickets/{ticket}")).await;
    let shown_again = |form: &'static str, field: &'static str, typed: &'static str| {
        let (buyer, csrf, ticket) = (buyer.clone(), page.csrf(), ticket.clone());
        async move {
            let answer = buyer
                .post(
                    &format!("/tickets/{ticket}/{form}"),
                    &[("csrf", csrf.as_str()), (field, typed)],
                )
                .await;
            assert!(answer.status.is_client_error(), "{}", answer.status);
            assert!(
                answer.body.contains(&format!("value=\"{typed}\"")),
                "{}",
                answer.body
            );
            assert!(answer.body.contains("Comprador"));
            answer.body
        }
    };
    let too_high = shown_again("resale", "price", "999,00").await;
    assert!(too_high.contains("id=\"price-problems\""), "{too_high}");
    let typo = shown_again("transfer", "to_email", "amiga-sem-arroba").await;
    assert!(typo.contains("id=\"transfer-problems\""), "{typo}");

    // What is not there, in the buyer's own frame.
    for path in [
        "/tickets/nope",
        "/no/such/page",
        "/orders/01a24280-c719-70de-97db-b3a922bdbdb1",
    ] {
        let missing = buyer.get(path).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            missing.body.contains("Comprador"),
            "{path}: {}",
            missing.body
        );
        assert!(missing.body.contains("Página não encontrada"), "{path}");
    }

    // A hold that expired while the buyer paid: the session again, its places picked anew.
    let other = Browser::new(&app);
    other.sign_up("devagar@example.com").await;
    let held = hold(&other, &sale, &[("seat_ids", &seats[5])]).await;
    let checkout_path = held.location().to_owned();
    let checkout = other.get(&checkout_path).await;
    app.clock.advance(time::Duration::hours(2));
    let late = pay(&other, &checkout_path, &checkout).await;
    assert_eq!(late.status, StatusCode::GONE, "{}", late.body);
    assert!(late.body.contains("id=\"hold-problems\""), "{}", late.body);
    assert!(late.body.contains("foram liberados"));
    assert!(
        late.body
            .contains(&format!("name=\"section_id\" value=\"{}\"", seated(&sale)))
    );
    assert!(late.body.contains("Comprador"));
}

async fn a_paid_hold_a_refunded_order_and_a_passed_on_ticket_say_what_became_of_them(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let (sale, buyer) = signed_up_at_a_sale(&app, "depois@example.com").await;
    let seats = &sale.seat_ids;
    let (checkout, order) = buy(&buyer, &sale, &[("seat_ids", &seats[0])]).await;

    // Back to the checkout of the paid hold: it is paid, and where.
    let again = buyer.get(&checkout).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains("já foi paga"), "{}", again.body);
    assert!(again.body.contains(&format!("href=\"{order}\"")));
    assert!(!again.body.contains("liberados"));

    // The order says when and how it was paid; the list names the event and its date.
    let page = buyer.get(&order).await;
    assert!(page.body.contains("Comprado em"), "{}", page.body);
    assert!(page.body.contains("Cartão de crédito · 3x"));
    assert!(page.body.contains("/pdf"));
    assert!(
        !page.body.contains("(UTC"),
        "Brasília's own offset goes unsaid"
    );
    let orders = buyer.get("/orders").await;
    assert!(orders.body.contains("Grande Show · "), "{}", orders.body);
    assert!(
        !orders.body.contains("fila R0") && !orders.body.contains("row R0"),
        "not named by its first seat"
    );

    // Refunded: no PDF button that would answer JSON, and why.
    let order_id = order.trim_start_matches("/orders/");
    let (status, refunded) = app
        .call(
            Method::POST,
            &format!("/orders/{order_id}/refund"),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    let page = buyer.get(&order).await;
    assert!(!page.body.contains("/pdf"), "{}", page.body);
    assert!(page.body.contains("reembolsado"));

    // A half-price ticket warns that its recipient needs the document; once it is
    // transferred, its old page says so.
    let (_, order) = buy(
        &buyer,
        &sale,
        &[
            ("seat_ids", &seats[1]),
            ("half_quantity", "1"),
            ("eligibility", "student"),
        ],
    )
    .await;
    let ticket = first_ticket(&buyer, &order).await;
    let page = buyer.get(&format!("/tickets/{ticket}")).await;
    assert!(
        page.body
            .contains("quem o receber precisa ter direito à meia"),
        "{}",
        page.body
    );
    let session = buyer
        .get(&format!(
            "/sessions/{}?section={}",
            sale.session_id,
            seated(&sale)
        ))
        .await;
    assert!(
        session
            .body
            .contains("Você já tem 1 lugar(es) nesta sessão"),
        "{}",
        session.body
    );
    assert!(session.body.contains("data-cap=\"1\""));
    let offered = buyer
        .post(
            &format!("/tickets/{ticket}/transfer"),
            &[("csrf", &page.csrf()), ("to_email", "amiga@example.com")],
        )
        .await;
    assert_eq!(offered.status, StatusCode::SEE_OTHER, "{}", offered.body);
    let friend = app.account("amiga@example.com", &[Role::Customer]).await;
    let (_, listed) = app.get("/transfers", Some(&friend.token)).await;
    let transfer = listed["items"][0]["id"].as_str().unwrap();
    let (status, accepted) = app
        .call(
            Method::POST,
            &format!("/transfers/{transfer}/accept"),
            Some(&friend.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let old = buyer.get(&format!("/tickets/{ticket}")).await;
    assert_eq!(old.status, StatusCode::GONE, "{}", old.body);
    assert!(
        old.body
            .contains("Você transferiu este ingresso para amiga@example.com")
    );
    assert!(old.body.contains("href=\"/tickets\""));
}

async fn the_seller_sees_the_listing_withdraws_it_and_hears_of_the_sale_and_payout(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let (sale, seller) = signed_up_at_a_sale(&app, "vendedora@example.com").await;
    let (_, order) = buy(&seller, &sale, &[("seat_ids", &sale.seat_ids[0])]).await;
    let ticket = first_ticket(&seller, &order).await;
    let path = format!("/tickets/{ticket}");
    let list = |csrf: String| {
        let (seller, path) = (seller.clone(), path.clone());
        async move {
            let listed = seller
                .post(
                    &format!("{path}/resale"),
                    &[("csrf", &csrf), ("price", "60,00")],
                )
                .await;
            assert_eq!(listed.status, StatusCode::SEE_OTHER, "{}", listed.body);
            seller.get(&path).await
        }
    };
    let page = list(seller.get(&path).await.csrf()).await;
    assert!(
        page.body.contains("À venda na revenda por R$ 60,00"),
        "{}",
        page.body
    );
    assert!(page.body.contains("você recebe R$ 60,00"));
    assert!(page.body.contains(&format!("{path}/resale/withdraw")));
    assert!(
        !page.body.contains(&format!("{path}/transfer")),
        "listed, not to transfer"
    );

    let withdrawn = seller
        .post(
            &format!("{path}/resale/withdraw"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let page = seller.get(withdrawn.location()).await;
    assert!(page.body.contains("retirado da revenda"), "{}", page.body);
    assert!(!page.body.contains("À venda na revenda"));

    // Listed again and bought: the seller's page of it tells the sale and the payout.
    list(page.csrf()).await;
    let (_, listings) = app
        .get(&format!("/sessions/{}/resale", sale.session_id), None)
        .await;
    let listing = listings["items"][0]["id"].clone();
    let fan = app.account("fa@example.com", &[Role::Customer]).await;
    let (status, bought) = app
        .order(
            &fan.token,
            "resale-pages-0001",
            &json!({"listing_id": listing, "payment": {"method": "card", "token": "tok_visa"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    bilheteria_app::resale::pay_out(&app.state, None).await;
    let sold = seller.get(&path).await;
    assert_eq!(sold.status, StatusCode::GONE, "{}", sold.body);
    assert!(
        sold.body
            .contains("Você vendeu este ingresso na revenda por R$ 60,00"),
        "{}",
        sold.body
    );
    assert!(sold.body.contains("Você recebeu R$ 60,00"), "{}", sold.body);
    bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    let told = app
        .mails()
        .into_iter()
        .find(|mail| mail.to == "vendedora@example.com" && mail.body.contains("R$ 60,00"))
        .expect("the seller is mailed the sale");
    assert!(told.subject.contains("vendido"), "{}", told.subject);
}
