//! The log endpoints under each collection, so that anyone who may read a
//! collection can verify it: the latest signed checkpoint with its
//! cosignatures, the C2SP tlog-tiles resources, and inclusion proofs.

use axum::extract::{RawQuery, State};

use crate::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::read_collection;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::state::AppState;

fn with_type(body: impl IntoResponse, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET …/log/checkpoint`: the latest signed checkpoint (a C2SP signed note).
pub async fn checkpoint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let note = read_collection(&state, &caller, key, |store, coll| {
        Ok(store.checkpoint(&coll.id)?)
    })
    .await?;
    Ok(with_type(note, "text/plain; charset=utf-8", "no-cache"))
}

/// `GET …/log/tile/<L>/<N>[.p/<W>]` and `…/log/tile/entries/<N>[.p/<W>]`.
pub async fn tile(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let parsed = tlog::TilePath::parse(&format!("tile/{path}")).map_err(|e| {
        ApiError::not_found(format!("tile/{path} is not a tlog-tiles resource: {e}"))
    })?;
    let full = match parsed {
        tlog::TilePath::Hash(id) => id.is_full(),
        tlog::TilePath::Entries(id) => id.is_full(),
    };
    let data = read_collection(&state, &caller, key, move |store, coll| {
        Ok(store.tile(&coll.id, parsed)?)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("the log has no tile/{path} (yet)")))?;
    // A full tile never changes; a partial one is replaced by wider ones.
    let cache = if full {
        "private, max-age=31536000, immutable"
    } else {
        "private, max-age=60"
    };
    Ok(with_type(data, "application/octet-stream", cache))
}

/// `GET …/log/proof/{object-id}/[?version=V]`: a self-contained proof bundle
/// (`entente-proof/v1`) of the object's latest (or given) version, up to the
/// latest signed checkpoint; `entente log verify-proof` checks it offline.
pub async fn proof(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let version = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "version")
        .map(|(_, v)| v.into_owned());
    let bundle = read_collection(&state, &caller, key, move |store, coll| {
        Ok(store.prove(&coll.id, &object, version.as_deref())?)
    })
    .await?;
    let body = serde_json::to_string_pretty(&bundle)
        .map_err(|e| ApiError::internal(format!("cannot encode the proof: {e}")))?;
    Ok(with_type(
        (StatusCode::OK, body),
        "application/json",
        "no-cache",
    ))
}
