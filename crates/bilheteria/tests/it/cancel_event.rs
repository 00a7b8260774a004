//! Cancelling an event over real HTTP on both backends: who may (owner, manager), who gets 403
//! (finance, checkin, viewer) and who 404 (outside the organization); a bad reason; selling stops
//! at once (410 `event_cancelled`); in the background every paid order, by card or by Pix, is
//! refunded through the provider exactly once, its tickets revoked at the gate and its buyer
//! mailed once; a payment that comes for a pending order afterwards is given back; and a process
//! that dies half way through the refunds leaves them to the next one, each order still refunded
//! once, with the money reconciled.

use async_trait::async_trait;
use bilheteria_app::Settings;
use bilheteria_app::sales;
use bilheteria_app::workers::deliver_outbox;
use bilheteria_domain::account::Role;
use bilheteria_payments::simulator::SimulatedGateway;
use bilheteria_payments::{
    Cancelled, Charge, ChargeRequest, ChargeResult, GatewayError, PaymentGateway,
};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

on_both_backends!(
    an_event_is_cancelled_by_its_owners_and_managers_only,
    a_cancelled_events_orders_are_refunded_once_revoked_and_mailed,
    refunds_cut_short_by_a_crash_are_finished_once_by_the_next_process,
);

async fn cancel(app: &TestApp, event: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/events/{event}/cancel"), Some(token), body)
        .await
}

/// Adds `email` to the sale's organization as `role`, by its owner.
async fn member(app: &TestApp, sale: &OnSale, email: &str, role: &str) -> Account {
    let account = app.account(email, &[]).await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap();
    let (status, added) = app
        .post(
            &format!("/organizations/{organization}/members"),
            Some(&sale.organizer.token),
            json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    account
}

async fn hold(app: &TestApp, sale: &OnSale, token: &str, seat: usize) -> (StatusCode, Value) {
    app.post(
        &format!("/sessions/{}/holds", sale.session_id),
        Some(token),
        json!({"seat_ids": [sale.seat_ids[seat]]}),
    )
    .await
}

async fn an_event_is_cancelled_by_its_owners_and_managers_only(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({})).await;
    let event = sale.event_id.as_str();
    let manager = member(&app, &sale, "gerente@example.com", "manager").await;
    let reason = json!({"reason": "Chuva forte"});
    for role in ["finance", "checkin", "viewer"] {
        let them = member(&app, &sale, &format!("{role}@example.com"), role).await;
        assert_problem(
            &cancel(&app, event, &them.token, reason.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let outsider = app.account("de-fora@example.com", &[Role::Organizer]).await;
    let buyer = app.account("buyer@example.com", &[]).await;
    for token in [&outsider.token, &buyer.token] {
        assert_problem(
            &cancel(&app, event, token, reason.clone()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // A bad reason, or a body that is not one, changes nothing.
    let long = cancel(
        &app,
        event,
        &manager.token,
        json!({"reason": "x".repeat(501)}),
    )
    .await;
    assert_problem(&long, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error_fields(&long.1), ["reason"]);
    assert_problem(
        &cancel(&app, event, &manager.token, json!({"why": "no"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // Nor may a body ask for the status.
    let (status, refused) = app
        .patch(
            &format!("/events/{event}"),
            Some(&manager.token),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(error_fields(&refused), ["status"]);
    let (status, held) = hold(&app, &sale, &buyer.token, 0).await;
    assert_eq!(status, StatusCode::CREATED, "still selling: {held}");

    let (status, cancelled) = cancel(&app, event, &manager.token, reason.clone()).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "Chuva forte");
    assert!(cancelled["cancelled_at"].is_string());
    // Selling stops at once, and nothing of the event changes any more.
    assert_problem(
        &hold(&app, &sale, &buyer.token, 1).await,
        StatusCode::GONE,
        "event_cancelled",
    );
    assert_problem(
        &app.patch(
            &format!("/sessions/{}", sale.session_id),
            Some(&manager.token),
            json!({"sales_paused": false}),
        )
        .await,
        StatusCode::GONE,
        "event_cancelled",
    );
    assert_problem(
        &app.patch(
            &format!("/events/{event}"),
            Some(&manager.token),
            json!({"title": "Outro"}),
        )
        .await,
        StatusCode::GONE,
        "event_cancelled",
    );
    // Its page still says it, to everyone; the public listing no longer offers it.
    let (status, public) = app.get(&format!("/events/{event}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["status"], "cancelled");
    let (_, listing) = app.get("/events", None).await;
    assert!(
        listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != event),
        "{listing}"
    );
    let organization = public["organization_id"].as_str().unwrap();
    for (status, found) in [("cancelled", 1), ("published", 0)] {
        let (_, mine) = app
            .get(
                &format!("/organizations/{organization}/events?status={status}"),
                Some(&manager.token),
            )
            .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), found, "{mine}");
    }

    // Cancelling again answers the event as it is: the first reason kept, audited once.
    let (status, again) = cancel(&app, event, &sale.organizer.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cancel_reason"], "Chuva forte");
    assert_eq!(again["cancelled_at"], cancelled["cancelled_at"]);
    // An empty body is no reason.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/events/{event}/cancel"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (_, audit) = app
        .get(
            &format!("/admin/audit?target={event}&action=event.cancelled"),
            Some(&admin.token),
        )
        .await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor_id"], manager.id.as_str());
}

/// A simulated Pix order of `buyer` for `seat`, waiting for the bank: its id.
async fn pix_order(
    app: &TestApp,
    sale: &OnSale,
    buyer: &Account,
    seat: usize,
    key: &str,
) -> String {
    let (status, held) = hold(app, sale, &buyer.token, seat).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, waiting) = app
        .order(
            &buyer.token,
            key,
            &json!({"hold_id": held["id"], "payment": {"method": "pix"}}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    waiting["order_id"].as_str().unwrap().to_owned()
}

async fn pay_pix(app: &TestApp, buyer: &Account, order: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/orders/{order}/pix/pay"),
        Some(&buyer.token),
        None,
    )
    .await
}

async fn order_of(app: &TestApp, buyer: &Account, order: &str) -> Value {
    let (status, found) = app
        .get(&format!("/orders/{order}"), Some(&buyer.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found
}

/// The provider's refunds of an order's payment: how many, and how much in all.
fn refunds_at_provider(provider: &SimulatedGateway, order: &Value) -> (i64, i64) {
    let intent = provider
        .provider
        .intent(order["payment_reference"].as_str().unwrap())
        .unwrap();
    (intent.refunds, intent.refunded)
}

/// The mails each address got about the event's cancellation.
fn cancellation_mails(app: &TestApp, to: &str) -> usize {
    app.mails()
        .iter()
        .filter(|mail| mail.to == to && mail.subject.contains("cancelado"))
        .count()
}

async fn integrity(app: &TestApp, sale: &OnSale) -> Value {
    let (status, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn a_cancelled_events_orders_are_refunded_once_revoked_and_mailed(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyers = app.buyers(4).await;
    let (card, paid_pix, late_pix, unpaid_pix) = (&buyers[0], &buyers[1], &buyers[2], &buyers[3]);
    let card_order = app.buy_seat(&sale, &card.token, 0, "cancel-card-01").await;
    let card_order = card_order["id"].as_str().unwrap().to_owned();
    let paid_order = pix_order(&app, &sale, paid_pix, 1, "cancel-pix-001").await;
    let (status, paid) = pay_pix(&app, paid_pix, &paid_order).await;
    assert_eq!((status, &paid["status"]), (StatusCode::OK, &json!("paid")));
    let late_order = pix_order(&app, &sale, late_pix, 2, "cancel-pix-002").await;
    let unpaid_order = pix_order(&app, &sale, unpaid_pix, 3, "cancel-pix-003").await;
    let staff = app.account("porteiro@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
            json!({"email": "porteiro@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut codes = Vec::new();
    for (buyer, order) in [(card, &card_order), (paid_pix, &paid_order)] {
        codes.push(order_of(&app, buyer, order).await["tickets"][0]["code"].clone());
    }

    let (status, cancelled) = cancel(
        &app,
        &sale.event_id,
        &sale.organizer.token,
        json!({"reason": "Chuva forte"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_problem(
        &hold(&app, &sale, &buyers[0].token, 5).await,
        StatusCode::GONE,
        "event_cancelled",
    );
    // The bank pays a Pix after the cancellation: the order does not become paid, and the
    // payment is given back.
    let (status, late) = pay_pix(&app, late_pix, &late_order).await;
    assert_eq!(status, StatusCode::OK, "{late}");
    assert_eq!(late["status"], "failed", "{late}");
    assert_eq!(late["failure_code"], "event_cancelled");
    assert!(late["tickets"].as_array().unwrap().is_empty());
    assert_eq!(
        refunds_at_provider(&app.payments, &late),
        (1, late["total_cents"].as_i64().unwrap())
    );

    // In the background: every paid order refunded, the Pix still waiting cancelled.
    sales::reconcile(&app.state).await.unwrap();
    for (buyer, order) in [(card, &card_order), (paid_pix, &paid_order)] {
        let refunded = order_of(&app, buyer, order).await;
        assert_eq!(refunded["status"], "refunded", "{refunded}");
        let total = refunded["total_cents"].as_i64().unwrap();
        assert_eq!(refunds_at_provider(&app.payments, &refunded), (1, total));
    }
    let unpaid = order_of(&app, unpaid_pix, &unpaid_order).await;
    assert_eq!(unpaid["status"], "failed", "{unpaid}");
    assert_eq!(unpaid["failure_code"], "event_cancelled");
    assert_problem(
        &pay_pix(&app, unpaid_pix, &unpaid_order).await,
        StatusCode::CONFLICT,
        "pix_not_pending",
    );
    // Their tickets no longer open the gate.
    for (i, code) in codes.iter().enumerate() {
        assert_problem(
            &app.post(
                "/checkin",
                Some(&staff.token),
                json!({"code": code, "gate": "A", "nonce": format!("cancel-scan-{i}")}),
            )
            .await,
            StatusCode::GONE,
            "ticket_revoked",
        );
    }
    // Asked again, nothing is refunded or mailed twice.
    app.clock.advance(time::Duration::minutes(10));
    sales::reconcile(&app.state).await.unwrap();
    deliver_outbox(&app.state).await.unwrap();
    deliver_outbox(&app.state).await.unwrap();
    for (buyer, order) in [
        (card, &card_order),
        (paid_pix, &paid_order),
        (late_pix, &late_order),
    ] {
        let found = order_of(&app, buyer, order).await;
        assert_eq!(refunds_at_provider(&app.payments, &found).0, 1, "{found}");
        assert_eq!(cancellation_mails(&app, &buyer.email), 1, "{}", buyer.email);
    }
    assert_eq!(
        cancellation_mails(&app, &unpaid_pix.email),
        0,
        "nothing was paid"
    );
    let mail = app
        .mails()
        .into_iter()
        .find(|mail| mail.to == card.email && mail.subject.contains("cancelado"))
        .unwrap();
    assert!(mail.body.contains("Chuva forte"), "{}", mail.body);
    assert!(mail.body.contains(&card_order), "{}", mail.body);
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(report["paid_orders"], 0, "{report}");
    assert_eq!(
        report["charged_cents"], report["refunded_cents"],
        "{report}"
    );
}

/// A provider through which a process dies half way: the first `refunds_before` refunds are
/// made and answered; the next one is made at the provider but its answer never comes back
/// (the process died before recording it); after that the dead process asks nothing more.
struct DyingGateway {
    inner: Arc<SimulatedGateway>,
    refunds_before: usize,
    refunds: AtomicUsize,
}

#[async_trait]
impl PaymentGateway for DyingGateway {
    fn name(&self) -> &'static str {
        "dying"
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeResult, GatewayError> {
        self.inner.charge(request).await
    }

    async fn succeeded_charge(&self, reference: &str) -> Result<Option<Charge>, GatewayError> {
        self.inner.succeeded_charge(reference).await
    }

    async fn cancel(&self, reference: &str) -> Result<Cancelled, GatewayError> {
        self.inner.cancel(reference).await
    }

    async fn refund(
        &self,
        reference: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<String, GatewayError> {
        let n = self.refunds.fetch_add(1, Ordering::SeqCst);
        if n < self.refunds_before {
            return self
                .inner
                .refund(reference, amount_cents, idempotency_key)
                .await;
        }
        if n == self.refunds_before {
            self.inner
                .refund(reference, amount_cents, idempotency_key)
                .await?;
        }
        Err(GatewayError::Unknown("the process died".into()))
    }
}

async fn refunds_cut_short_by_a_crash_are_finished_once_by_the_next_process(db: TestDatabase) {
    let provider = Arc::new(SimulatedGateway::default());
    let dying = DyingGateway {
        inner: provider.clone(),
        refunds_before: 1,
        refunds: AtomicUsize::new(0),
    };
    let first = TestApp::spawn_with_gateway(db, Settings::default(), Some(Arc::new(dying))).await;
    let sale = on_sale(&first, 10, 10, 10, json!({})).await;
    let buyers = first.buyers(4).await;
    let mut orders = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let order = first
            .buy_seat(&sale, &buyer.token, i, &format!("crash-order-{i:02}"))
            .await;
        orders.push(order["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = cancel(&first, &sale.event_id, &sale.organizer.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    sales::reconcile(&first.state).await.unwrap();
    let mut statuses = Vec::new();
    for (buyer, order) in buyers.iter().zip(&orders) {
        statuses.push(order_of(&first, buyer, order).await["status"].clone());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == "refunded").count(),
        1,
        "one refund recorded before the crash: {statuses:?}"
    );
    let made: i64 = provider
        .provider
        .intents()
        .iter()
        .map(|intent| intent.refunds)
        .sum();
    assert_eq!(
        made, 2,
        "a second refund made at the provider, never recorded"
    );

    // The process dies; a new one starts on the same database, with the same provider.
    let TestApp { db, .. } = first;
    let second = TestApp::spawn_with_gateway(db, Settings::default(), Some(provider.clone())).await;
    // Past the leases the dead process held.
    second.clock.advance(time::Duration::minutes(10));
    sales::reconcile(&second.state).await.unwrap();
    sales::reconcile(&second.state).await.unwrap();
    for (buyer, order) in buyers.iter().zip(&orders) {
        let refunded = order_of(&second, buyer, order).await;
        assert_eq!(refunded["status"], "refunded", "{refunded}");
        let total = refunded["total_cents"].as_i64().unwrap();
        assert_eq!(
            refunds_at_provider(&provider, &refunded),
            (1, total),
            "refunded exactly once: {refunded}"
        );
    }
    deliver_outbox(&second.state).await.unwrap();
    for buyer in &buyers {
        assert_eq!(
            cancellation_mails(&second, &buyer.email),
            1,
            "{}",
            buyer.email
        );
    }
    let report = integrity(&second, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(
        report["charged_cents"], report["refunded_cents"],
        "{report}"
    );
}
