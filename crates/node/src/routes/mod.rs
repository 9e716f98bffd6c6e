//! The HTTP routes: one file per endpoint family.

mod collections;
mod discovery;
mod log;
mod objects;
mod ops;
mod witness;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::media::TAXII;
use crate::state::AppState;

/// The path of the one API root.
pub const API_ROOT: &str = "/api/";

/// Every route of the node.
pub fn router(state: AppState) -> Router {
    let taxii: [(&str, MethodRouter<AppState>); 10] = [
        ("/taxii2/", get(discovery::discovery)),
        ("/api/", get(discovery::api_root)),
        ("/api/status/{status_id}/", get(discovery::status)),
        ("/api/collections/", get(collections::list)),
        ("/api/collections/{collection}/", get(collections::one)),
        (
            "/api/collections/{collection}/objects/",
            get(objects::get_objects).post(objects::post_objects),
        ),
        (
            "/api/collections/{collection}/objects/{object}/",
            get(objects::get_object).delete(objects::delete_object),
        ),
        (
            "/api/collections/{collection}/objects/{object}/versions/",
            get(objects::versions),
        ),
        (
            "/api/collections/{collection}/manifest/",
            get(objects::manifest),
        ),
        (
            "/api/collections/{collection}/log/proof/{object}/",
            get(log::proof),
        ),
    ];
    let mut router = Router::new();
    for (path, method_router) in taxii {
        // TAXII paths end in '/'; clients that leave it out get the same resource.
        let bare = path.trim_end_matches('/');
        router = router
            .route(path, method_router.clone())
            .route(bare, method_router);
    }
    router
        .route(
            "/api/collections/{collection}/log/checkpoint",
            get(log::checkpoint),
        )
        .route(
            "/api/collections/{collection}/log/tile/{*path}",
            get(log::tile),
        )
        .route(
            "/witness/add-checkpoint",
            axum::routing::post(witness::add_checkpoint),
        )
        .route("/witness/{origin}/checkpoint", get(witness::checkpoint))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found(format!(
        "no such resource; discovery is at /taxii2/ and the API root at {API_ROOT}"
    ))
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed("this resource does not support that method")
}

/// A TAXII 2.1 JSON response.
pub(crate) fn taxii(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    response
}

/// A TAXII 2.1 JSON response from a value.
pub(crate) fn taxii_json(status: StatusCode, value: &serde_json::Value) -> Response {
    taxii(status, value.to_string())
}

fn unknown_collection(key: &str) -> ApiError {
    ApiError::not_found(format!("no collection {key:?} on this API root"))
}

fn find_collection(store: &store::Store, key: &str) -> Result<store::Collection, ApiError> {
    match store.collection(key) {
        Err(store::StoreError::UnknownCollection { .. }) => Err(unknown_collection(key)),
        other => Ok(other?),
    }
}

/// Checks that `caller` may see the collection (404 otherwise: it does not
/// exist for them) and, with `read`, may read it (403 otherwise).
fn check_access(
    caller: &Principal,
    coll: &store::Collection,
    key: &str,
    read: bool,
) -> Result<(), ApiError> {
    if !caller.can_see(coll) {
        // Word for word the answer for a collection that does not exist.
        return Err(unknown_collection(key));
    }
    if read && !caller.can_read(coll) {
        return Err(ApiError::forbidden(format!(
            "{} may not read collection {}; ask the node's operator for read access",
            caller.name, coll.id
        )));
    }
    Ok(())
}

/// The collection `key` (id or alias) if `caller` may see it.
pub(crate) async fn visible_collection(
    state: &AppState,
    caller: &Arc<Principal>,
    key: String,
) -> Result<store::Collection, ApiError> {
    let caller = caller.clone();
    state
        .read(move |store| {
            let coll = find_collection(store, &key)?;
            check_access(&caller, &coll, &key, false)?;
            Ok(coll)
        })
        .await
}

/// Runs `f` on the collection `key`, which `caller` must be allowed to read,
/// in one blocking read: the access check and the query see the same store.
pub(crate) async fn read_collection<R: Send + 'static>(
    state: &AppState,
    caller: &Arc<Principal>,
    key: String,
    f: impl FnOnce(&store::Store, &store::Collection) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let caller = caller.clone();
    state
        .read(move |store| {
            let coll = find_collection(store, &key)?;
            check_access(&caller, &coll, &key, true)?;
            f(store, &coll)
        })
        .await
}

/// Adds `X-TAXII-Date-Added-First`/`-Last` when the page has items.
pub(crate) fn date_added_headers(
    headers: &mut HeaderMap,
    first: Option<String>,
    last: Option<String>,
) {
    for (name, value) in [
        ("x-taxii-date-added-first", first),
        ("x-taxii-date-added-last", last),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
}
