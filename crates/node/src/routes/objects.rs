//! Objects, one object, its versions, and the manifest (TAXII 2.1 section 5).

use std::io::Write as _;

use axum::body::Body;
use axum::extract::{RawQuery, State};

use crate::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use store::{ObjectOutcome, Outcome, Page, Record};

use super::{date_added_headers, read_collection, taxii, visible_collection};
use crate::error::ApiError;
use crate::extract::TaxiiCaller;
use crate::media::{STIX, check_content_type};
use crate::params::{self, Allowed, encode_cursor};
use crate::sequencer::StatusFn;
use crate::state::AppState;

/// Sets `X-TAXII-Date-Added-*` from a page's records.
fn page_headers<T>(response: &mut Response, page: &Page<T>, record: impl Fn(&T) -> &Record) {
    let first = page.items.first().map(|i| record(i).date_added.to_string());
    let last = page.items.last().map(|i| record(i).date_added.to_string());
    date_added_headers(response.headers_mut(), first, last);
}

/// `{"more":…,"next":…` — the members every paged resource has.
fn page_head<T>(page: &Page<T>, record: impl Fn(&T) -> &Record) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(out, "{{\"more\":{}", page.more);
    if page.more
        && let Some(last) = page.items.last()
    {
        let _ = write!(
            out,
            ",\"next\":\"{}\"",
            encode_cursor(record(last).date_added)
        );
    }
    out
}

/// The envelope of a page, written straight from the stored bytes (no
/// re-serialising, no intermediate copies): the objects first, since JSON
/// member order is free, then `more` and `next` once the page is known.
fn read_envelope(
    store: &store::Store,
    coll: &store::Collection,
    query: &store::Query,
) -> Result<(Vec<u8>, Page<Record>), ApiError> {
    const OPEN: &[u8] = b"{\"objects\":[";
    let mut body = Vec::with_capacity(query.limit.min(100) * 1536 + 128);
    body.extend_from_slice(OPEN);
    let page = store.objects_into(&coll.id, query, |_, object| {
        if body.len() > OPEN.len() {
            body.push(b',');
        }
        body.extend_from_slice(object);
    })?;
    // Left out, not a failed page: one bad entry must not take the collection down.
    for skipped in &page.skipped {
        tracing::warn!(collection = %coll.id, object = %skipped.id, index = skipped.index, reason = %skipped.reason, "left an unusable stored object out of a TAXII page");
    }
    if page.items.is_empty() {
        body.clear();
        body.push(b'{');
    } else {
        body.extend_from_slice(b"],");
    }
    body.extend_from_slice(&page_head(&page, |r| r)[1..]);
    body.push(b'}');
    Ok((body, page))
}

fn envelope((body, page): (Vec<u8>, Page<Record>)) -> Response {
    let mut response = taxii(StatusCode::OK, body);
    page_headers(&mut response, &page, |r| r);
    response
}

fn listing(page: Page<Record>, key: &str, item: impl Fn(&Record) -> Value) -> Response {
    let mut body = page_head(&page, |r| r);
    if !page.items.is_empty() {
        let items: Vec<Value> = page.items.iter().map(item).collect();
        let _ = write!(body, ",\"{key}\":{}", Value::Array(items));
    }
    body.push(b'}');
    let mut response = taxii(StatusCode::OK, Vec::new());
    page_headers(&mut response, &page, |r| r);
    *response.body_mut() = Body::from(body);
    response
}

fn manifest_record(r: &Record) -> Value {
    json!({
        "id": r.id,
        "date_added": r.date_added.to_string(),
        "version": r.version,
        "media_type": STIX,
    })
}

/// `GET …/objects/`
pub async fn get_objects(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::parse(raw.as_deref(), Allowed::LIST)?;
    let page = read_collection(&state, &caller, key, move |store, coll| {
        read_envelope(store, coll, &query)
    })
    .await?;
    Ok(envelope(page))
}

/// `GET …/manifest/`
pub async fn manifest(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::parse(raw.as_deref(), Allowed::LIST)?;
    let page = read_collection(&state, &caller, key, move |store, coll| {
        Ok(store.manifest(&coll.id, &query)?)
    })
    .await?;
    Ok(listing(page, "objects", manifest_record))
}

fn unknown_object(id: &str) -> ApiError {
    ApiError::not_found(format!("no object {id:?} in this collection"))
}

/// An empty page about one object is a 404 unless the object exists (its
/// versions were only filtered out).
fn require_object(
    store: &store::Store,
    coll: &store::Collection,
    object: &str,
    page_is_empty: bool,
) -> Result<(), ApiError> {
    if page_is_empty && !store.is_live(&coll.id, object)? {
        return Err(unknown_object(object));
    }
    Ok(())
}

/// `GET …/objects/{object-id}/`
pub async fn get_object(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path((key, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = params::parse(raw.as_deref(), Allowed::OBJECT)?;
    query.ids = vec![object.clone()];
    let page = read_collection(&state, &caller, key, move |store, coll| {
        let (body, page) = read_envelope(store, coll, &query)?;
        require_object(store, coll, &object, page.items.is_empty())?;
        Ok((body, page))
    })
    .await?;
    Ok(envelope(page))
}

/// `GET …/objects/{object-id}/versions/`
pub async fn versions(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path((key, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = params::parse(raw.as_deref(), Allowed::VERSIONS)?;
    query.ids = vec![object.clone()];
    query.versions.all = true;
    let page = read_collection(&state, &caller, key, move |store, coll| {
        let page = store.manifest(&coll.id, &query)?;
        require_object(store, coll, &object, page.items.is_empty())?;
        Ok(page)
    })
    .await?;
    Ok(listing(page, "versions", |r| json!(r.version)))
}

/// `DELETE …/objects/{object-id}/`: appends a withdrawal of every version.
pub async fn delete_object(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path((key, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let coll = visible_collection(&state, &caller, key).await?;
    if !caller.can_write(&coll) {
        return Err(ApiError::forbidden(format!(
            "{} may not delete from collection {}",
            caller.name, coll.id
        )));
    }
    let query = params::parse(raw.as_deref(), Allowed::DELETE)?;
    let asks_versions = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .any(|(k, _)| k == "match[version]");
    if asks_versions && !query.versions.all {
        return Err(ApiError::bad_request(
            "this node withdraws every version of an object at once; send DELETE without match[version] (or with match[version]=all)",
        ));
    }
    if !query.spec_version_matches {
        return Err(unknown_object(&object));
    }
    match state
        .sequencer()
        .withdraw(coll.id.clone(), object.clone())
        .await
    {
        Ok(index) => {
            tracing::info!(collection = %coll.id, %object, index, user = %caller.name, "withdrawn");
            Ok(taxii(StatusCode::OK, Vec::new()))
        }
        Err(
            store::StoreError::UnknownObject { .. } | store::StoreError::AlreadyWithdrawn { .. },
        ) => Err(unknown_object(&object)),
        Err(e) => Err(ApiError::from(e)),
    }
}

/// Where each object of an envelope ended up before the store saw it.
enum Slot {
    /// Refused by validation: `(id, version, message)`.
    Invalid(String, String, String),
    /// Handed to the store, at this position among the valid objects, with
    /// its warnings (SHOULD findings) for the status message; empty if none.
    Valid(String),
}

/// Findings as one line for a status message: `$.path: what [check]; …`.
fn findings_text(findings: &[stix::Error]) -> String {
    findings
        .iter()
        .map(|e| match e.check() {
            Some(check) => format!("{}: {} [{check}]", e.path(), e.kind()),
            None => format!("{}: {}", e.path(), e.kind()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn field(value: &Value, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn version_of(value: &Value) -> String {
    let modified = field(value, "modified");
    if modified.is_empty() {
        field(value, "created")
    } else {
        modified
    }
}

/// Parses and validates an envelope: the slots in order, and the valid objects.
/// Only MUST violations refuse an object, unless the collection is `strict`.
fn check_envelope(
    bytes: &[u8],
    strict: bool,
) -> Result<(Vec<Slot>, Vec<stix::Validated<stix::Object>>), ApiError> {
    let value = stix::parse_value(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut envelope) = value else {
        return Err(ApiError::unprocessable(
            "the body is JSON but not a TAXII envelope; send {\"objects\": [ ...STIX objects... ]}",
        ));
    };
    let objects = match envelope.remove("objects") {
        Some(Value::Array(objects)) => objects,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "the envelope's objects is not a list; send {\"objects\": [ ... ]}",
            ));
        }
        None => {
            return Err(ApiError::unprocessable(
                "the envelope has no objects list; send {\"objects\": [ ... ]}",
            ));
        }
    };
    let options = pattern::validate_options(strict);
    let mut slots = Vec::with_capacity(objects.len());
    let mut valid = Vec::with_capacity(objects.len());
    for (i, object) in objects.into_iter().enumerate() {
        if !object.is_object() {
            slots.push(Slot::Invalid(
                String::new(),
                String::new(),
                format!("objects[{i}] is not a JSON object"),
            ));
            continue;
        }
        let (id, version) = (field(&object, "id"), version_of(&object));
        match stix::validate_with(object, &options) {
            // Canonicalised here, on a worker thread, so the single writer does not have to.
            Ok(v) => match v.canonical_bytes() {
                Ok(_) => {
                    slots.push(Slot::Valid(findings_text(v.warnings())));
                    valid.push(v);
                }
                Err(e) => slots.push(Slot::Invalid(id, version, format!("$: {e}"))),
            },
            Err(invalid) => {
                // In a strict collection SHOULD findings refuse an object too; each names its check.
                let message = findings_text(invalid.errors());
                slots.push(Slot::Invalid(id, version, message));
            }
        }
    }
    Ok((slots, valid))
}

/// The status resource of a request, from its slots and the store's outcomes.
fn status_json(id: &str, requested: &str, slots: &[Slot], outcomes: &[ObjectOutcome]) -> String {
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    let mut outcomes = outcomes.iter();
    for slot in slots {
        match slot {
            Slot::Invalid(id, version, message) => {
                failures.push(json!({"id": id, "version": version, "message": message}));
            }
            Slot::Valid(warnings) => {
                let Some(o) = outcomes.next() else {
                    failures.push(json!({"id": "", "version": "", "message": "lost by the server; post it again"}));
                    continue;
                };
                match &o.status {
                    Outcome::Added { index, .. } => successes.push(json!({
                        "id": o.id, "version": o.version, "message": with_warnings(format!("added at log index {index}"), warnings),
                    })),
                    Outcome::Unchanged { index, .. } => successes.push(json!({
                        "id": o.id, "version": o.version, "message": with_warnings(format!("already stored at log index {index}"), warnings),
                    })),
                    Outcome::Rejected(e) => failures.push(json!({
                        "id": o.id, "version": o.version, "message": e.to_string(),
                    })),
                }
            }
        }
    }
    let mut status = json!({
        "id": id,
        "status": "complete",
        "request_timestamp": requested,
        "total_count": slots.len(),
        "success_count": successes.len(),
        "failure_count": failures.len(),
        "pending_count": 0,
    });
    if !successes.is_empty() {
        status["successes"] = Value::Array(successes);
    }
    if !failures.is_empty() {
        status["failures"] = Value::Array(failures);
    }
    status.to_string()
}

/// A success message, followed by the object's warnings if it has any.
fn with_warnings(message: String, warnings: &str) -> String {
    if warnings.is_empty() {
        message
    } else {
        format!("{message}; warnings: {warnings}")
    }
}

/// How long a client gets to send a POST body.
const BODY_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// Reads the body, refusing more than `max` bytes (413) whatever Content-Length says.
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::too_large(max));
    }
    let read = http_body_util::Limited::new(body, max).collect();
    match tokio::time::timeout(BODY_TIME, read).await {
        Err(_) => Err(ApiError::timeout(format!(
            "the body did not arrive within {} seconds",
            BODY_TIME.as_secs()
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::too_large(max)),
        Ok(Err(e)) => Err(ApiError::bad_request(format!(
            "could not read the body: {e}"
        ))),
    }
}

/// `POST …/objects/`: validates each object, appends the valid ones in one
/// batch, and answers 202 with the status resource once they are durable.
pub async fn post_objects(
    State(state): State<AppState>,
    TaxiiCaller(caller): TaxiiCaller,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let coll = visible_collection(&state, &caller, key).await?;
    check_content_type(&headers)?;
    if !caller.can_write(&coll) {
        return Err(ApiError::forbidden(format!(
            "{} may not add objects to collection {}",
            caller.name, coll.id
        )));
    }
    let requested = store::Micros::now().to_string();
    let bytes = read_body(&headers, body, state.settings().max_content_length).await?;
    let strict = coll.strict;
    let (slots, valid) = tokio::task::spawn_blocking(move || check_envelope(&bytes, strict))
        .await
        .map_err(|e| ApiError::internal(format!("validation failed: {e}")))??;
    let status_id = uuid::Uuid::new_v4().to_string();
    let make_status: StatusFn = {
        let (id, owner) = (status_id.clone(), caller.name.clone());
        Box::new(move |outcomes| store::Status {
            body: status_json(&id, &requested, &slots, outcomes),
            id,
            owner,
        })
    };
    let appended = state
        .sequencer()
        .append(coll.id.clone(), valid, make_status)
        .await
        .map_err(ApiError::internal)?;
    let added = appended
        .results
        .iter()
        .filter(|r| matches!(r.status, Outcome::Added { .. }))
        .count();
    tracing::info!(collection = %coll.id, user = %caller.name, status = %status_id, added, "objects posted");
    Ok(taxii(StatusCode::ACCEPTED, appended.status))
}
