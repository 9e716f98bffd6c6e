//! Collections: the list, and one collection, as the caller may use them.

use axum::extract::State;

use crate::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{taxii_json, visible_collection};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::TaxiiCaller;
use crate::media::STIX;
use crate::state::AppState;

fn resource(coll: &store::Collection, caller: &Principal) -> Value {
    let mut value = json!({
        "id": coll.id,
        "title": coll.title,
        "can_read": caller.can_read(coll),
        "can_write": caller.can_write(coll),
        "media_types": [STIX],
    });
    if !coll.description.is_empty() {
        value["description"] = json!(coll.description);
    }
    if let Some(alias) = &coll.alias {
        value["alias"] = json!(alias);
    }
    value
}

/// `GET /api/collections/`: the collections the caller can read or write.
pub async fn list(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
) -> Result<Response, ApiError> {
    let all = state
        .read(|store| store.collections().map_err(ApiError::from))
        .await?;
    let visible: Vec<Value> = all
        .iter()
        .filter(|c| caller.can_see(c))
        .map(|c| resource(c, &caller))
        .collect();
    let body = if visible.is_empty() {
        json!({})
    } else {
        json!({ "collections": visible })
    };
    Ok(taxii_json(StatusCode::OK, &body))
}

/// `GET /api/collections/{id}/`
pub async fn one(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let coll = visible_collection(&state, &caller, key).await?;
    Ok(taxii_json(StatusCode::OK, &resource(&coll, &caller)))
}
