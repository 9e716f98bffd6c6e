//! Discovery, the API root and status resources.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::{API_ROOT, taxii, taxii_json};
use crate::error::ApiError;
use crate::extract::TaxiiCaller;
use crate::media::TAXII;
use crate::state::AppState;

/// `GET /taxii2/`: API root URLs are absolute, on the host the client asked for.
pub async fn discovery(
    State(state): State<AppState>,
    _caller: TaxiiCaller,
    headers: HeaderMap,
) -> Response {
    let settings = state.settings();
    let scheme = if settings.https { "https" } else { "http" };
    let root = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .map_or_else(
            || API_ROOT.to_owned(),
            |host| format!("{scheme}://{host}{API_ROOT}"),
        );
    taxii_json(
        StatusCode::OK,
        &json!({
            "title": settings.title,
            "description": format!("Entente node {}: verifiable threat-intelligence exchange", state.node_name()),
            "default": root,
            "api_roots": [root],
        }),
    )
}

/// `GET /api/`
pub async fn api_root(State(state): State<AppState>, _caller: TaxiiCaller) -> Response {
    let settings = state.settings();
    taxii_json(
        StatusCode::OK,
        &json!({
            "title": settings.title,
            "description": "Every collection is an append-only Merkle log; see log/ under each collection",
            "versions": [TAXII],
            "max_content_length": settings.max_content_length,
        }),
    )
}

/// `GET /api/status/{id}/`: status ids are random UUIDs, so knowing one is the capability to read it.
pub async fn status(
    State(state): State<AppState>,
    _caller: TaxiiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lookup = id.clone();
    let body = state
        .read(move |store| store.status(&lookup).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no status {id:?} on this API root")))?;
    Ok(taxii(StatusCode::OK, body))
}
