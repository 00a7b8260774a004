//! Posters and products' images over real HTTP on both backends: who may set them (the API and
//! the console), what is refused (not a picture, too heavy, another format, a decompression
//! bomb), the sizes made and how they are served (content-addressed, cached for good, with an
//! ETag), where they are shown (the home page, the event page, the PDF ticket, the product
//! offer), and products' stock as it stands on the buyer's pages and in the console.

use crate::organizer_pages::{
    assert_forbidden, assert_not_found, browser_of, organization_with_team,
};
use crate::pages::{Answer, Browser};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{OnSale, TestApp, assert_problem, on_sale, order_body};
use image::{DynamicImage, ImageFormat};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

on_both_backends!(
    posters_and_images_are_set_by_those_who_edit_the_catalog,
    what_is_no_picture_taken_is_refused_with_its_reason,
    a_poster_is_sized_served_for_good_and_shown_everywhere,
    products_show_their_image_and_stock_as_it_stands,
    the_console_uploads_with_its_csrf_proof_and_says_a_refusal_beside_the_field,
);

/// A picture made here, encoded as `format`: a gradient with a transparent band on its left.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let rgba = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            120,
            if x < 8 { 0 } else { 255 },
        ])
    });
    let picture = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
    } else {
        DynamicImage::ImageRgba8(rgba)
    };
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Png)
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Jpeg)
}

/// CRC-32 (ISO 3309) of a PNG chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header says `width` × `height` and that has a few bytes of pixels: what a
/// decompression bomb looks like to a server that reads the header first.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(width.to_be_bytes());
    chunk.extend(height.to_be_bytes());
    chunk.extend([8, 0, 0, 0, 0]);
    png.extend(13u32.to_be_bytes());
    png.extend(&chunk);
    png.extend(crc32(&chunk).to_be_bytes());
    // The start of a zlib stream: enough to be read as pixel data to come.
    let mut data = b"IDAT".to_vec();
    data.extend([0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00]);
    png.extend(8u32.to_be_bytes());
    png.extend(&data);
    png.extend(crc32(&data).to_be_bytes());
    png.extend(0u32.to_be_bytes());
    png.extend(b"IEND");
    png.extend(crc32(b"IEND").to_be_bytes());
    png
}

/// Sends `bytes` as the picture of `path` (`PUT`), as `content_type` says.
async fn put_picture(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .request(Method::PUT, path, Some(token))
        .header(header::CONTENT_TYPE, content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    bilheteria_testkit::read(response).await
}

/// A fresh API token of `email` (a new login on a new device).
async fn token_of(app: &TestApp, email: &str) -> String {
    app.login_on(email, &app.next_device()).await
}

async fn posters_and_images_are_set_by_those_who_edit_the_catalog(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, _, event) = organization_with_team(&app).await;
    let owner = token_of(&app, "owner@example.com").await;
    let (status, product) = app
        .post(
            "/products",
            Some(&owner),
            json!({"organization_id": org, "name": "Camiseta", "price_cents": 5000, "stock": 5, "event_ids": [event]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    assert_eq!(product["image"], Value::Null, "no image yet");
    let poster = format!("/events/{event}/poster");
    let image = format!("/products/{}/image", product["id"].as_str().unwrap());
    for (email, expected) in [
        ("owner@example.com", StatusCode::OK),
        ("manager@example.com", StatusCode::OK),
        ("finance@example.com", StatusCode::FORBIDDEN),
        ("checkin@example.com", StatusCode::FORBIDDEN),
        ("viewer@example.com", StatusCode::FORBIDDEN),
        ("outsider@example.com", StatusCode::NOT_FOUND),
    ] {
        let token = token_of(&app, email).await;
        for path in [&poster, &image] {
            let set = put_picture(&app, path, &token, "image/png", png(300, 200)).await;
            assert_eq!(set.0, expected, "{email} sets {path}: {}", set.1);
            let removed = app.call(Method::DELETE, path, Some(&token), None).await;
            assert_eq!(removed.0, expected, "{email} removes {path}: {}", removed.1);
            match expected {
                StatusCode::FORBIDDEN => assert_problem(&set, expected, "forbidden"),
                StatusCode::NOT_FOUND => assert_problem(&set, expected, "not_found"),
                _ => {}
            }
        }
    }
    // Anonymous: not even looked at.
    let anonymous = app
        .request(Method::PUT, &poster, None)
        .body(png(300, 200))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Each change is in the audit log.
    let admin = app
        .account(
            "auditor@example.com",
            &[bilheteria_domain::account::Role::Admin],
        )
        .await;
    let (_, log) = app.get("/admin/audit?limit=200", Some(&admin.token)).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "event.poster_set",
        "event.poster_removed",
        "product.image_set",
        "product.image_removed",
    ] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

async fn what_is_no_picture_taken_is_refused_with_its_reason(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (_, _, event) = organization_with_team(&app).await;
    let owner = token_of(&app, "owner@example.com").await;
    let poster = format!("/events/{event}/poster");
    let refused = put_picture(
        &app,
        &poster,
        &owner,
        "image/png",
        b"not a picture".to_vec(),
    )
    .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "not_an_image");
    let empty = put_picture(&app, &poster, &owner, "image/png", Vec::new()).await;
    assert_problem(&empty, StatusCode::UNPROCESSABLE_ENTITY, "not_an_image");
    // Judged by its content, not its name: a JPEG's bytes declared as text are a JPEG, and a
    // text declared as a PNG is none.
    let truncated = put_picture(
        &app,
        &poster,
        &owner,
        "image/png",
        png(300, 200)[..60].to_vec(),
    )
    .await;
    assert_problem(&truncated, StatusCode::UNPROCESSABLE_ENTITY, "not_an_image");
    let named_wrong = put_picture(&app, &poster, &owner, "text/plain", jpeg(300, 200)).await;
    assert_eq!(named_wrong.0, StatusCode::OK, "{}", named_wrong.1);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let other_format = put_picture(&app, &poster, &owner, "image/gif", gif).await;
    assert_problem(
        &other_format,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "image_format_unsupported",
    );
    assert_eq!(other_format.1["found"], "gif");
    let heavy = put_picture(
        &app,
        &poster,
        &owner,
        "image/png",
        vec![0; 5 * 1024 * 1024 + 1],
    )
    .await;
    assert_problem(&heavy, StatusCode::PAYLOAD_TOO_LARGE, "image_too_large");
    assert_eq!(heavy.1["max_bytes"], 5 * 1024 * 1024);
    // A header that promises 8000 × 8000 pixels: refused from the header, never decoded.
    let bomb = put_picture(
        &app,
        &poster,
        &owner,
        "image/png",
        png_header_only(8000, 8000),
    )
    .await;
    assert_problem(
        &bomb,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_dimensions_out_of_range",
    );
    assert_eq!(
        (bomb.1["width"].as_u64(), bomb.1["height"].as_u64()),
        (Some(8000), Some(8000))
    );
    let tiny = put_picture(&app, &poster, &owner, "image/png", png(10, 10)).await;
    assert_problem(
        &tiny,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_dimensions_out_of_range",
    );
    // The refusals left the poster that was set.
    let (_, after) = app.get(&format!("/events/{event}"), Some(&owner)).await;
    assert!(after["poster"]["page"].is_string(), "{after}");
}

/// A size of a picture as served: its status, headers and bytes.
async fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    request.send().await.unwrap()
}

/// The PDF of `order` for `token`, as bytes.
async fn order_pdf(app: &TestApp, order: &Value, token: &str) -> Vec<u8> {
    let response = app
        .request(
            Method::GET,
            &format!("/orders/{}/pdf", order["id"].as_str().unwrap()),
            Some(token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

async fn a_poster_is_sized_served_for_good_and_shown_everywhere(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let organizer = &sale.organizer.token;
    let poster = format!("/events/{}/poster", sale.event_id);
    let buyer = app.account("ana@example.com", &[]).await;
    let (_, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[0]], "section_id": null}),
        )
        .await;
    let (status, order) = app
        .order(
            &buyer.token,
            "poster-key-01",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let plain_pdf = order_pdf(&app, &order, &buyer.token).await;
    assert!(!String::from_utf8_lossy(&plain_pdf).contains("/Subtype/Image"));
    let home = reqwest::get(format!("{}/", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Grande Show") && !home.contains("card-poster"),
        "no poster, no picture"
    );

    let (status, event) =
        put_picture(&app, &poster, organizer, "image/jpeg", jpeg(1600, 900)).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let urls = event["poster"].clone();
    for (variant, size) in [
        ("card", (640, 360)),
        ("page", (1200, 675)),
        ("print", (900, 506)),
    ] {
        let path = urls[variant].as_str().unwrap().to_owned();
        assert!(
            path.starts_with("/images/") && path.ends_with(&format!("/{variant}.jpg")),
            "{path}"
        );
        let response = fetch(&app, &path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let etag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), size, "{variant}");
        let again = fetch(&app, &path, Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let card = urls["card"].as_str().unwrap();
    let page = urls["page"].as_str().unwrap();
    // Shown on the home page's card and on the event's page, its name as its text.
    let home = reqwest::get(format!("{}/", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(&format!("src=\"{card}\" alt=\"Grande Show\"")),
        "the card shows the poster: {home}"
    );
    let event_page = reqwest::get(format!("{}/events/{}", app.base, sale.event_id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(event_page.contains(&format!(
        "<img class=\"poster\" src=\"{page}\" alt=\"Grande Show\">"
    )));
    // And printed on the ticket: one image, embedded as JPEG.
    let printed = order_pdf(&app, &order, &buyer.token).await;
    let text = String::from_utf8_lossy(&printed);
    assert_eq!(
        text.matches("/Subtype/Image").count(),
        1,
        "one image object"
    );
    assert!(text.contains("/DCTDecode"));
    assert!(
        printed.len() > plain_pdf.len() + 1_000,
        "the PDF grew by the poster"
    );

    // Another poster: other URLs, and the old ones are gone.
    let (status, replaced) =
        put_picture(&app, &poster, organizer, "image/png", png(800, 1200)).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_ne!(replaced["poster"]["card"], urls["card"]);
    assert_eq!(
        fetch(&app, card, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let tall = fetch(&app, replaced["poster"]["page"].as_str().unwrap(), None).await;
    let decoded = image::load_from_memory(&tall.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (800, 1200),
        "never made larger"
    );
    // The same picture again is the same URL.
    let (_, same) = put_picture(&app, &poster, organizer, "image/png", png(800, 1200)).await;
    assert_eq!(same["poster"], replaced["poster"]);

    // Taken away: the pages look as they did before.
    let (status, removed) = app
        .call(Method::DELETE, &poster, Some(organizer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["poster"], Value::Null);
    let (_, read) = app.get(&format!("/events/{}", sale.event_id), None).await;
    assert_eq!(read["poster"], Value::Null);
    assert_eq!(
        fetch(&app, replaced["poster"]["page"].as_str().unwrap(), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let home = reqwest::get(format!("{}/", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("card-poster"));
    // Paths that name no picture.
    for path in [
        "/images/nothing/card.jpg",
        "/images/0123456789abcdef0123456789abcdef/card.jpg",
        "/images/0123456789abcdef0123456789abcdef/huge.jpg",
    ] {
        assert_eq!(
            fetch(&app, path, None).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn products_show_their_image_and_stock_as_it_stands(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 3, json!({})).await;
    let organizer = &sale.organizer.token;
    let (status, product) = put_picture(
        &app,
        &format!("/products/{}/image", sale.product_id),
        organizer,
        "image/webp",
        picture(500, 300, ImageFormat::WebP),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{product}");
    let thumb = product["image"]["thumb"].as_str().unwrap().to_owned();
    let served = fetch(&app, &thumb, None).await;
    assert_eq!(served.status(), StatusCode::OK);
    let decoded = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (240, 240));
    let event_page = |lang: &'static str| {
        let url = format!("{}/events/{}", app.base, sale.event_id);
        async move {
            reqwest::Client::new()
                .get(url)
                .header(header::ACCEPT_LANGUAGE, lang)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let page = event_page("pt-BR").await;
    assert!(
        page.contains(&format!("src=\"{thumb}\" alt=\"Copo\"")),
        "{page}"
    );
    assert!(page.contains("3 restantes"), "{page}");
    assert!(event_page("en").await.contains("3 left"));

    // Two bought: the next page says so at once.
    let buyer = app.account("bia@example.com", &[]).await;
    buy_with_products(&app, &sale, &buyer.token, 0, 2).await;
    assert!(event_page("pt-BR").await.contains("1 restante<"));
    // The console's list says what is left and what sold.
    let (_, mine) = app.get("/organizations", Some(organizer)).await;
    let org = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let browser = browser_of(&app, &sale.organizer.email).await;
    let listed = browser.get(&format!("/organizer/{org}/products")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(
        listed.body.contains("Estoque: 1 · Vendidos: 2"),
        "{}",
        listed.body
    );

    // The last one: sold out, on the event's page and at the checkout, which offers none.
    buy_with_products(&app, &sale, &buyer.token, 1, 1).await;
    let page = event_page("pt-BR").await;
    assert!(page.contains("Esgotado"), "{page}");
    let listed = browser.get(&format!("/organizer/{org}/products")).await;
    assert!(
        listed.body.contains("Estoque: 0 · Vendidos: 3"),
        "{}",
        listed.body
    );
    let shopper = Browser::new(&app);
    shopper.sign_up("carla@example.com").await;
    let seated = sale.venue["sections"][0]["id"].as_str().unwrap();
    let session = shopper
        .get(&format!("/sessions/{}?section={seated}", sale.session_id))
        .await;
    let hold = shopper
        .post(
            &format!("/sessions/{}/hold", sale.session_id),
            &[
                ("csrf", &session.csrf()),
                ("section_id", seated),
                ("seat_ids", &sale.seat_ids[2]),
            ],
        )
        .await;
    assert_eq!(hold.status, StatusCode::SEE_OTHER, "{}", hold.body);
    let checkout = shopper.get(hold.location()).await;
    assert_eq!(checkout.status, StatusCode::OK, "{}", checkout.body);
    assert!(checkout.body.contains("Esgotado"), "{}", checkout.body);
    assert!(
        !checkout
            .body
            .contains(&format!("name=\"product:{}\"", sale.product_id)),
        "a sold-out product cannot be asked for"
    );
}

/// Buys seat `seat` of `sale` and `quantity` of its product for the buyer of `token`.
async fn buy_with_products(app: &TestApp, sale: &OnSale, token: &str, seat: usize, quantity: i64) {
    let (_, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(token),
            json!({"seat_ids": [sale.seat_ids[seat]], "section_id": null}),
        )
        .await;
    let mut body = order_body(&held["id"], "tok_visa");
    body["products"] = json!([{"product_id": sale.product_id, "quantity": quantity}]);
    let (status, order) = app.order(token, &format!("stock-key-{seat}"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
}

async fn the_console_uploads_with_its_csrf_proof_and_says_a_refusal_beside_the_field(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let (org, _, event) = organization_with_team(&app).await;
    let owner_token = token_of(&app, "owner@example.com").await;
    let (_, product) = app
        .post(
            "/products",
            Some(&owner_token),
            json!({"organization_id": org, "name": "Camiseta", "price_cents": 5000, "stock": 5, "event_ids": [event]}),
        )
        .await;
    let product = product["id"].as_str().unwrap().to_owned();
    let event_path = format!("/organizer/{org}/events/{event}");
    let product_path = format!("/organizer/{org}/products/{product}");
    let owner = browser_of(&app, "owner@example.com").await;
    let page = owner.get(&event_path).await;
    assert!(
        page.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.body
    );
    assert!(page.body.contains(PT_NO_POSTER));
    let csrf = page.csrf();

    let poster = format!("{event_path}/poster");
    let image = format!("{product_path}/image");

    // Without the proof: refused like any form.
    let forged = send_file(&owner, &poster, "", &png(300, 200)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    // Not a picture, too heavy: the page again, the reason beside the file's field.
    let refused = send_file(&owner, &poster, &csrf, b"just words").await;
    assert_said(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "poster",
        "Não é uma imagem.",
    );
    assert!(
        refused
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"poster-problem poster-hint\""),
        "{}",
        refused.body
    );
    let heavy = send_file(&owner, &poster, &csrf, &vec![7; 5 * 1024 * 1024 + 10]).await;
    assert_said(
        &heavy,
        StatusCode::PAYLOAD_TOO_LARGE,
        "poster",
        "Imagem grande demais.",
    );
    // A real one: saved, and shown on the form.
    let saved = send_file(&owner, &poster, &csrf, &jpeg(1000, 700)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("{event_path}?done=poster"));
    let page = owner.get(saved.location()).await;
    assert!(page.body.contains("Cartaz salvo."));
    assert!(
        page.body.contains("class=\"preview\" src=\"/images/"),
        "{}",
        page.body
    );
    let removed = owner
        .post(&format!("{poster}/remove"), &[("csrf", &csrf)])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(owner.get(&event_path).await.body.contains(PT_NO_POSTER));

    // A product's image, from its page.
    let page = owner.get(&product_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Estoque: 5 · Vendidos: 0"),
        "{}",
        page.body
    );
    let gif = send_file(
        &owner,
        &image,
        &csrf,
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    )
    .await;
    assert_said(
        &gif,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "image",
        "Formato de imagem não aceito.",
    );
    let saved = send_file(&owner, &image, &csrf, &png(400, 400)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let listed = owner.get(&format!("/organizer/{org}/products")).await;
    assert!(
        listed.body.contains("class=\"thumb\" src=\"/images/"),
        "{}",
        listed.body
    );

    // Who may: a manager; not a viewer or finance (403), not an outsider (404).
    let manager = browser_of(&app, "manager@example.com").await;
    let csrf = manager.get(&event_path).await.csrf();
    let by_manager = send_file(&manager, &poster, &csrf, &png(300, 300)).await;
    assert_eq!(
        by_manager.status,
        StatusCode::SEE_OTHER,
        "{}",
        by_manager.body
    );
    for (email, check) in [
        ("viewer@example.com", assert_forbidden as fn(&Answer, &str)),
        ("finance@example.com", assert_forbidden),
        ("outsider@example.com", assert_not_found),
    ] {
        let browser = browser_of(&app, email).await;
        let csrf = browser.get("/organizer").await.csrf();
        check(&browser.get(&product_path).await, email);
        check(
            &send_file(&browser, &poster, &csrf, &png(300, 300)).await,
            email,
        );
        check(
            &send_file(&browser, &image, &csrf, &png(300, 300)).await,
            email,
        );
        let remove = format!("{image}/remove");
        check(&browser.post(&remove, &[("csrf", &csrf)]).await, email);
    }
}

/// Sends `bytes` with the console's form to `path` (`…/poster` or `…/image`, also the file's
/// field), with the CSRF proof `csrf` (none when empty).
async fn send_file(browser: &Browser, path: &str, csrf: &str, bytes: &[u8]) -> Answer {
    let field = path.rsplit('/').next().unwrap();
    let fields: &[(&str, &str)] = if csrf.is_empty() {
        &[]
    } else {
        &[("csrf", csrf)]
    };
    browser
        .post_file(path, fields, (field, "picture.png", bytes))
        .await
}

/// A refused upload: the form's page again with `status`, `words` beside the file's `field`.
fn assert_said(answer: &Answer, status: StatusCode, field: &str, words: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer
            .body
            .contains(&format!("id=\"{field}-problem\">{words}")),
        "{}",
        answer.body
    );
}

const PT_NO_POSTER: &str = "Este evento ainda não tem cartaz.";
