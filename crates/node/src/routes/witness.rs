//! The witness endpoints (C2SP tlog-witness): partners submit their logs'
//! checkpoints to be cosigned, and anyone authenticated can read what this
//! node witnessed of a log, to compare it with what they were shown.
//!
//! The node witnesses the logs of its configured peers only, and cosigns a
//! checkpoint only after checking the log's signature and its consistency
//! with the checkpoint it holds; the check and the update of its state are
//! one step, durable before the cosignature is sent.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tlog::{AddCheckpoint, CheckpointVerifier};

use crate::config::UserKind;
use crate::error::ApiError;
use crate::extract::{Caller, Path};
use crate::state::AppState;

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `POST /witness/add-checkpoint`.
pub async fn add_checkpoint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    if caller.kind != UserKind::Peer {
        return Err(ApiError::forbidden(
            "only partner nodes (users of kind peer) submit checkpoints to this witness",
        ));
    }
    let request = match AddCheckpoint::parse(&body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(text(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                format!("not an add-checkpoint request: {e}\n"),
            ));
        }
    };
    let origin = request.origin().to_owned();
    // A node names its logs `<node name>/<collection>`, and its key after itself.
    let node = origin.split_once('/').map_or("", |(n, _)| n);
    let find = |state: &AppState| state.peer_keys().iter().find(|k| k.name() == node).cloned();
    let mut key = find(&state);
    if key.is_none() {
        // A peer added in the last second is not loaded yet: look again now.
        if let Err(e) = state.reload_users() {
            tracing::warn!(error = %e, "cannot reload the configuration");
        }
        key = find(&state);
    }
    let Some(key) = key else {
        return Ok(text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("this node does not witness {origin}: no peer with a key named {node:?}\n"),
        ));
    };
    let verifier = CheckpointVerifier::new(origin.clone(), key);
    state
        .write_aside(move |store| {
            let stored = match store.witnessed(&origin)? {
                None => None,
                Some(w) => {
                    let text = tlog::Note::parse(w.note.as_bytes())
                        .map_err(|e| ApiError::internal(format!("stored witness state: {e}")))?;
                    let cp = tlog::Checkpoint::parse(text.text())
                        .map_err(|e| ApiError::internal(format!("stored witness state: {e}")))?;
                    Some((cp.size, cp.root))
                }
            };
            let accepted = match request.check(&verifier, stored) {
                Ok(a) => a,
                Err(refusal) => {
                    let status =
                        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
                    let (content_type, body) = refusal.response_body();
                    return Ok(text(status, content_type, body));
                }
            };
            let now = store::Micros::now().unix_seconds();
            let line = store
                .node()
                .cosign(accepted.checkpoint(), now)
                .map_err(|e| ApiError::internal(format!("cannot cosign: {e}")))?;
            let size = accepted.checkpoint().checkpoint().size;
            let state = store::Witnessed {
                origin: origin.clone(),
                size,
                note: request.checkpoint.clone(),
                cosignature: line.to_string().trim_end().to_owned(),
            };
            if !store.swap_witnessed(stored.map(|(s, _)| s), &state)? {
                // Another submission moved the state meanwhile: the client retries from it.
                let current = store.witnessed(&origin)?.map_or(0, |w| w.size);
                return Ok(text(
                    StatusCode::CONFLICT,
                    tlog::TLOG_SIZE_CONTENT_TYPE,
                    format!("{current}\n"),
                ));
            }
            Ok(text(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                line.to_string(),
            ))
        })
        .await
}

/// `GET /witness/<hex SHA-256 of the origin>/checkpoint`: the latest
/// checkpoint this node verified of that log, with its cosignature.
pub async fn checkpoint(
    State(state): State<AppState>,
    Caller(_caller): Caller,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let found = state
        .read(move |store| {
            Ok(store
                .witnessed_all()?
                .into_iter()
                .find(|w| hex::encode(Sha256::digest(w.origin.as_bytes())) == hash))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("this node has witnessed no such log"))?;
    let mut note = found.note;
    note.push_str(&found.cosignature);
    note.push('\n');
    let mut response = text(StatusCode::OK, "text/plain; charset=utf-8", note);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
