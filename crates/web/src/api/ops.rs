//! Operations: liveness, readiness and Prometheus metrics.

use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bilheteria_app::{App, Settings};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub storage: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the process is up", body = Health)))]
pub async fn healthz(State(state): State<App>) -> Json<Health> {
    Json(Health {
        status: "ok",
        storage: state.store.backend().as_str(),
    })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "the database answers", body = Health), (status = 503, body = Problem)))]
pub async fn readyz(State(state): State<App>) -> ApiResult<Json<Health>> {
    state.store.ping().await.map_err(|error| {
        tracing::warn!(%error, "not ready");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::NotReady,
            "the database does not answer",
        )
    })?;
    Ok(Json(Health {
        status: "ready",
        storage: state.store.backend().as_str(),
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    params(("Authorization" = Option<String>, Header, description = "`Bearer <token>` when the server has a metrics token")),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, description = "`unauthenticated`: the metrics token is missing or wrong", body = Problem),
        (status = 404, description = "metrics are served on an address of their own, or the server has no metrics token", body = Problem),
    ))]
pub async fn metrics(State(state): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    // With the API, the metrics are public only behind a token: without one they are served on
    // an address of their own (`--metrics-addr`), or not at all.
    if !state.settings.metrics_with_api || state.settings.metrics_token.is_none() {
        return Err(ApiError::not_found("route"));
    }
    let handle = crate::metrics_handle().map_err(ApiError::internal)?;
    render_metrics(&handle, &state.settings, &headers)
}

/// The Prometheus text, for a caller that shows the metrics token when one is set.
fn render_metrics(
    handle: &PrometheusHandle,
    settings: &Settings,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = settings.metrics_token.as_deref() {
        let shown = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared as digests, so the time taken says nothing about the token.
        if Sha256::digest(shown.as_bytes()) != Sha256::digest(token.as_bytes()) {
            return Err(ApiError::unauthenticated(
                "send `Authorization: Bearer <metrics token>`",
            ));
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response())
}

/// `/metrics` alone, for an address of its own (`--metrics-addr`).
pub fn metrics_router(handle: PrometheusHandle, settings: Arc<Settings>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move |headers: HeaderMap| async move {
                render_metrics(&handle, &settings, &headers)
            }),
        )
        .fallback(|| async { ApiError::not_found("route") })
}
