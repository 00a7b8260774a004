//! Mail people can read, through a real SMTP server started by the test:
//! the app sends with lettre's SMTP transport to `testkit::smtp`, and the message received is
//! parsed as a mail client would (mail-parser): MIME, UTF-8 declared, a text and an HTML part
//! in the reader's language, and for a purchase the tickets' PDF attached and each QR inline.

use bilheteria_app::Settings;
use bilheteria_app::workers::{deliver_outbox, deliver_overdue_outbox};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, on_sale};
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    a_purchase_mail_is_mime_with_its_pdf_and_qr_codes,
    every_mail_is_text_and_html_in_the_readers_language,
    while_a_sale_runs_at_pace_mail_waits_up_to_its_deferral_then_goes,
);

async fn while_a_sale_runs_at_pace_mail_waits_up_to_its_deferral_then_goes(db: TestDatabase) {
    let app = TestApp::spawn_with(
        db,
        Settings {
            mail_defer_while_selling: std::time::Duration::from_secs(180),
            ..Settings::default()
        },
    )
    .await;
    let sale = on_sale(&app, 4, 4, 5, json!({})).await;
    let buyer = app.account("paciente@example.com", &[]).await;
    deliver_outbox(&app.state).await.unwrap();
    let held = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await
        .1;
    let (status, order) = app
        .order(
            &buyer.token,
            "deferred-mail",
            &bilheteria_testkit::order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let sent_before = app.smtp.messages().len();

    // At pace, the fresh purchase mail waits.
    app.clock.advance(time::Duration::seconds(179));
    assert_eq!(deliver_overdue_outbox(&app.state).await.unwrap(), 0);
    assert_eq!(app.smtp.messages().len(), sent_before);
    // Past its deferral it goes even while the sale goes on, once.
    app.clock.advance(time::Duration::seconds(2));
    assert_eq!(deliver_overdue_outbox(&app.state).await.unwrap(), 1);
    assert_eq!(deliver_outbox(&app.state).await.unwrap(), 0, "sent once");
    let received = app.smtp.messages();
    assert_eq!(received.len(), sent_before + 1);
    assert_eq!(received.last().unwrap().to, ["paciente@example.com"]);
}

async fn a_purchase_mail_is_mime_with_its_pdf_and_qr_codes(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 5, json!({})).await;
    let (status, event) = app
        .patch(
            &format!("/events/{}", sale.event_id),
            Some(&sale.organizer.token),
            json!({"title": "Música & Código <ao vivo>"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let buyer = app.account("leitora@example.com", &[]).await;
    let held = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
        )
        .await
        .1;
    let (status, order) = app
        .order(
            &buyer.token,
            "mail-order",
            &bilheteria_testkit::order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(deliver_outbox(&app.state).await.unwrap(), 1);

    // The last message over SMTP (the first confirmed the buyer's address at sign-up).
    let received = app.smtp.messages();
    let purchase = received.last().unwrap();
    assert_eq!(purchase.to, ["leitora@example.com"]);
    let raw = &purchase.data;
    let message = MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        message.subject(),
        Some("Seus ingressos para Música & Código <ao vivo>"),
        "the subject decodes with its accents"
    );
    assert_eq!(
        message.header_raw("Content-Language").map(str::trim),
        Some("pt-BR")
    );
    let top = message.content_type().unwrap();
    assert_eq!((top.ctype(), top.subtype()), ("multipart", Some("mixed")));
    let raw_text = String::from_utf8_lossy(raw);
    assert!(raw_text.contains("multipart/alternative"), "{raw_text}");
    assert!(raw_text.contains("multipart/related"), "{raw_text}");

    // A text and an HTML part, both declared UTF-8, in the buyer's language.
    let text_part = message.part(message.text_body[0]).unwrap();
    let html_part = message.part(message.html_body[0]).unwrap();
    for (part, subtype) in [(text_part, "plain"), (html_part, "html")] {
        let content_type = part.content_type().unwrap();
        assert_eq!(
            (content_type.ctype(), content_type.subtype()),
            ("text", Some(subtype))
        );
        assert_eq!(
            content_type.attribute("charset").map(str::to_lowercase),
            Some("utf-8".to_owned())
        );
    }
    let text = message.body_text(0).unwrap();
    assert!(text.contains("Música & Código <ao vivo>"), "{text}");
    assert!(text.contains("está pago"), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(
        html.contains("Música &#38; Código &#60;ao vivo&#62;"),
        "escaped: {html}"
    );
    assert!(html.contains("<html lang=\"pt-BR\">"));

    // Each ticket's QR is an inline PNG the HTML points at; the PDF is attached.
    let tickets = order["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    let mut images = 0;
    let mut pdfs = 0;
    for part in message.attachments() {
        let content_type = part.content_type().unwrap();
        match (content_type.ctype(), content_type.subtype()) {
            ("image", Some("png")) => {
                images += 1;
                assert!(part.contents().starts_with(b"\x89PNG\r\n\x1a\n"));
                let cid = part.content_id().unwrap();
                assert!(
                    html.contains(&format!("src=\"cid:{cid}\"")),
                    "{cid}: {html}"
                );
            }
            ("application", Some("pdf")) => {
                pdfs += 1;
                assert!(part.contents().starts_with(b"%PDF-"));
                let name = part.attachment_name().unwrap();
                assert!(
                    name.starts_with("pedido-") && name.ends_with(".pdf"),
                    "{name}"
                );
                assert!(
                    String::from_utf8_lossy(part.contents()).contains("/Count 2"),
                    "a page per ticket"
                );
            }
            other => panic!("unexpected part {other:?}"),
        }
    }
    assert_eq!((images, pdfs), (2, 1));
    for ticket in tickets {
        assert!(text.contains(ticket["code"].as_str().unwrap()));
    }
}

async fn every_mail_is_text_and_html_in_the_readers_language(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 5, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let (_, _) = app
        .patch("/me", Some(&ana.token), json!({"language": "en"}))
        .await;
    let order = app.buy_seat(&sale, &ana.token, 0, "offer-order").await;
    let ticket = &order["tickets"][0]["id"];
    let (status, offered) = app
        .post(
            &format!("/tickets/{}/transfers", ticket.as_str().unwrap()),
            Some(&ana.token),
            json!({"to_email": "sem-conta@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    deliver_outbox(&app.state).await.unwrap();
    let mails = app.mails();
    let offer = mails
        .iter()
        .find(|mail| mail.to == "sem-conta@example.com")
        .expect("the offer");
    let message = MessageParser::default().parse(&offer.raw).unwrap();
    let top = message.content_type().unwrap();
    assert_eq!(
        (top.ctype(), top.subtype()),
        ("multipart", Some("alternative"))
    );
    assert!(message.attachments().next().is_none(), "nothing attached");
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("quer passar para você")
    );
    assert!(
        message
            .body_html(0)
            .unwrap()
            .contains("<html lang=\"pt-BR\">")
    );
    let paid = mails
        .iter()
        .find(|mail| mail.to == "ana@example.com" && mail.subject.contains("Grande Show"))
        .expect("the purchase");
    let message = MessageParser::default().parse(&paid.raw).unwrap();
    assert_eq!(
        message.header_raw("Content-Language").map(str::trim),
        Some("en")
    );
    assert!(message.body_html(0).unwrap().contains("Your tickets"));
}
