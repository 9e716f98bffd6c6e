//! Request extractors: who is calling, checked before anything else.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::media::check_accept;
use crate::state::AppState;

/// Path parameters; a segment that is not valid (e.g. not UTF-8 once
/// percent-decoded) gets a TAXII 404 rather than axum's plain-text 400.
pub struct Path<T>(pub T);

impl<T> FromRequestParts<AppState> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(ApiError::not_found(format!(
                "no such resource: {}",
                e.body_text()
            ))),
        }
    }
}

/// An authenticated caller (log and operations endpoints).
pub struct Caller(pub Arc<Principal>);

/// An authenticated caller whose `Accept` allows a TAXII 2.1 response.
pub struct TaxiiCaller(pub Arc<Principal>);

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Arc<Principal>, ApiError> {
    let users = state.users();
    if let Some(principal) = users.authenticate_fast(&parts.headers)? {
        return Ok(principal);
    }
    let headers = parts.headers.clone();
    tokio::task::spawn_blocking(move || users.authenticate(&headers))
        .await
        .map_err(|e| ApiError::internal(format!("authentication failed: {e}")))?
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Caller(authenticate(parts, state).await?))
    }
}

impl FromRequestParts<AppState> for TaxiiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state).await?;
        check_accept(&parts.headers)?;
        Ok(TaxiiCaller(principal))
    }
}
