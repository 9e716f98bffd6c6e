//! Discovery, the API root and status resources.

use axum::extract::State;

use crate::extract::Path;
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
    uri: axum::http::Uri,
) -> Response {
    let settings = state.settings();
    let scheme = if settings.https { "https" } else { "http" };
    // HTTP/1.1 names the host in Host, HTTP/2 in the request's authority.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()));
    let root = host
        .as_deref()
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
            // Custom properties (TAXII 2.1 allows them; clients skip what they
            // do not know): the key partners verify this node's logs with.
            "x_entente_node": state.node_name(),
            "x_entente_verifier_key": state.verifier_key(),
            "x_entente_verifier_key_note": "compare this key with the node's operator out of band before trusting it: whoever can change this answer can change the key",
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

/// `GET /api/status/{id}/`: only the user whose request it reports may read
/// it (it names objects and log indexes); to anyone else it does not exist.
pub async fn status(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lookup = id.clone();
    let status = state
        .read(move |store| store.status(&lookup).map_err(ApiError::from))
        .await?
        .filter(|s| s.owner == caller.name)
        .ok_or_else(|| ApiError::not_found(format!("no status {id:?} on this API root")))?;
    Ok(taxii(StatusCode::OK, status.body))
}
