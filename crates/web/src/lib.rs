//! The web face of bilheteria: the axum router with its layers, the JSON API (`api/`: handlers,
//! problem+json, the OpenAPI document) over the application layer, and the server loop.

pub mod api;
pub mod conditional;
pub mod connections;
pub mod cookies;
pub mod field_words;
pub mod pages;
pub mod report_words;

use api::error::{ApiError, ProblemCode};
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use connections::{Activity, ConnectionLimits, Watched};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

/// The process-wide Prometheus recorder (a process has one, however many apps it runs). The
/// `OnceLock` runs the installation once even when several apps start at the same moment.
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .map_err(|e| e.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .clone()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))
}

/// Every route with its layers. Installs the process's metrics recorder first, so that what the
/// application records from then on is kept.
pub fn router(state: App) -> anyhow::Result<Router> {
    metrics_handle()?;
    let x_request_id = HeaderName::from_static("x-request-id");
    let timeout = state.settings.request_timeout;
    let hsts = (state.settings.hsts_max_age_secs > 0).then(|| {
        HeaderValue::from_str(&format!(
            "max-age={}; includeSubDomains",
            state.settings.hsts_max_age_secs
        ))
        .unwrap_or(HeaderValue::from_static("max-age=31536000"))
    });
    Ok(api::routes()
        .merge(pages::routes(state.clone()))
        .fallback(
            |axum::extract::State(app): axum::extract::State<App>, req: Request| async move {
                pages::not_found_page(&app, req)
                    .await
                    .unwrap_or_else(|| ApiError::not_found("route").into_response())
            },
        )
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ProblemCode::MethodNotAllowed,
                "this method is not allowed here",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(
            state.settings.body_limit_bytes,
        ))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            deadline(timeout, req, next)
        }))
        .layer(middleware::from_fn(record_metrics))
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ProblemCode::Internal,
                "an unexpected error occurred",
            )
            .into_response()
        }))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(middleware::from_fn(api::error::in_request_language))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            security_headers(hsts.clone(), req, next)
        }))
        // gzip for clients that ask (every browser): a section's seat map page is ~440 KB of
        // SVG, ~10 times less gzipped, which is what a phone on mobile data waits for. The
        // fastest level: most of the gain for a fraction of the processor. Event streams,
        // images and tiny answers are left alone (tower-http's default predicate).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
        ]))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state))
}

/// Answers `request_timeout` when a request runs longer than the limit.
async fn deadline(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::RequestTimeout,
            "the request took too long",
        )
        .into_response(),
    }
}

/// Turns an error answered by a layer or an extractor outside our handlers (a body over the
/// limit, say) into a problem document, so that every client mistake reads the same way.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    // A problem document already, or a page's friendly error page.
    let is_answer = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if is_answer || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            ProblemCode::PayloadTooLarge,
            "the request body is too large",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ProblemCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        StatusCode::NOT_FOUND => (ProblemCode::NotFound, "resource not found"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ProblemCode::MethodNotAllowed,
            "this method is not allowed here",
        ),
        status if status.is_server_error() => {
            (ProblemCode::Internal, "an unexpected error occurred")
        }
        _ => (
            ProblemCode::BadRequest,
            "the request could not be understood",
        ),
    };
    let mut problem = ApiError::new(status, code, detail).into_response();
    // Keep what the original answer said about the connection or retrying.
    for name in [header::RETRY_AFTER, header::ALLOW, header::CONNECTION] {
        if let Some(value) = response.headers().get(&name) {
            problem.headers_mut().insert(name, value.clone());
        }
    }
    problem
}

/// The HTML pages may be shown only by this site, in no frame, with scripts and styles of its
/// own and nothing inline.
const HTML_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Swagger UI (`/docs`) sets inline styles, never inline scripts.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every answer carries: no content sniffing, no referrer to other sites, personal
/// answers kept out of caches, HTML locked down, and HSTS when the site is served over HTTPS.
async fn security_headers(hsts: Option<HeaderValue>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/docs");
    let personal = req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(header::COOKIE)
        || req.uri().path().starts_with("/api/v1/auth/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page whose address is a secret (the wallet) sets a stricter one.
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    if personal && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if docs { DOCS_CSP } else { HTML_CSP }),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    response
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Serves the app on `listener` (and `/metrics` on `metrics_listener` when it has an address of
/// its own) until Ctrl-C or SIGTERM, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: App,
) -> anyhow::Result<()> {
    let limits = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.login_limits.forget_idle();
            limits.purchase_limits.forget_idle();
            limits.offer_limits.forget_idle();
        }
    });
    bilheteria_app::workers::spawn(&state);
    let router = router(state.clone())?;
    let limits = ConnectionLimits::from(state.settings.as_ref());
    if let Some(listener) = metrics_listener {
        let router = api::ops::metrics_router(metrics_handle()?, state.settings.clone());
        tokio::spawn(serve_router(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
    }
    serve_router(listener, router, limits, shutdown_signal()).await?;
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` completes, then gives open requests up to 30 s
/// to finish. This is `axum::serve` with two differences: hyper drops a malformed header line
/// (a control byte in a value, say) instead of answering a bare 400 before any of our code runs,
/// so the request goes on without that header and its answer is a problem document; and
/// connections are bounded by `limits` (how many, how slow a head, how long idle).
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .ignore_invalid_headers(true)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.permits()));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A connection past the cap waits in the backlog until one closes.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(axum::body::Body::new)
            });
        let activity = Activity::new();
        let stream = Watched::new(stream, activity.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let mut connection = std::pin::pin!(connection);
            loop {
                tokio::select! {
                    ended = connection.as_mut() => {
                        if let Err(error) = ended {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        return;
                    }
                    () = tokio::time::sleep_until(activity.idle_at(idle)) => {
                        if activity.idle_at(idle) <= tokio::time::Instant::now() {
                            // Dropping the connection closes its socket.
                            tracing::debug!(?idle, "closing an idle connection");
                            return;
                        }
                    }
                }
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("open requests did not finish within 30 s");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
