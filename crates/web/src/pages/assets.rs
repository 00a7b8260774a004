//! The stylesheet, script and icon of the pages, compiled into the binary and served with an
//! ETag so that a browser asks again cheaply (304) and never runs a stale script.

use crate::conditional;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 7] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/app.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../../static/icon.svg"),
    },
    Asset {
        name: "sw.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/sw.js"),
    },
    Asset {
        name: "door.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/door.js"),
    },
    // The door's QR decoder, from the npm registry at build time (`build.rs`).
    Asset {
        name: "jsqr.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!(concat!(env!("OUT_DIR"), "/jsQR.js")),
    },
    Asset {
        name: "door.webmanifest",
        content_type: "application/manifest+json",
        body: include_str!("../../static/door.webmanifest"),
    },
];

fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let digest = Sha256::digest(asset.body.as_bytes());
                let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    asset(&file, &headers)
}

/// `GET /sw.js`: the service worker, served from the root so that it may keep pages there.
pub async fn service_worker(headers: HeaderMap) -> Response {
    let mut response = asset("sw.js", &headers);
    // A browser checks for a new worker at every navigation; never an old one for minutes.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /door.webmanifest`: the door installed as an app on a phone's home screen.
pub async fn door_manifest(headers: HeaderMap) -> Response {
    asset("door.webmanifest", &headers)
}

fn asset(file: &str, headers: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == file) else {
        return super::not_found().into_response();
    };
    let asset = &ASSETS[index];
    // The compression layer gzips the answer for a browser that asks: another representation.
    let etag = conditional::etag(&etags()[index], conditional::accepts_gzip(headers));
    let mut response = if conditional::not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
