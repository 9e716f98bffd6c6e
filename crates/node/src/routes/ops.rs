//! Operations: health and metrics.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::extract::Caller;
use crate::state::AppState;

/// `GET /healthz`: the process is up and the store answers.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state
        .read(|store| store.collections().map_err(Into::into))
        .await
    {
        Ok(_) => "ok\n".into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /metrics`: Prometheus text format, for any authenticated user.
pub async fn metrics(State(state): State<AppState>, _caller: Caller) -> Response {
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
