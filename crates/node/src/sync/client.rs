//! The HTTP side of syncing: what this node asks a peer, and nothing else.
//! Every answer is untrusted; the callers verify it.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::SyncError;
use crate::config::PeerConfig;
use crate::media::TAXII;

/// A collection the peer lists.
#[derive(Debug, Clone)]
pub struct RemoteCollection {
    /// Its id at the peer.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Whether the peer lets this node read it.
    pub can_read: bool,
}

/// What a witness answered to `add-checkpoint`.
#[derive(Debug)]
pub enum WitnessAnswer {
    /// 200: its cosignature lines.
    Cosigned(String),
    /// 409: the size of the latest checkpoint it holds for the log.
    Conflict(u64),
    /// Any other status, with the body's first line.
    Refused(u16, String),
}

/// Talks to one peer.
#[derive(Clone)]
pub struct PeerClient {
    /// The peer's name.
    pub name: String,
    /// The server root (Entente) or API root (plain TAXII).
    base: Url,
    http: reqwest::Client,
    token: Option<String>,
    basic: Option<(String, String)>,
}

/// The largest response body read into memory (a page of objects, a tile).
const MAX_BODY: usize = 64 * 1024 * 1024;

impl PeerClient {
    /// A client for `peer`.
    pub fn new(peer: &PeerConfig) -> Result<PeerClient, SyncError> {
        let mut url = peer.url.clone();
        if !url.ends_with('/') {
            url.push('/');
        }
        let base = Url::parse(&url).map_err(|e| SyncError::Config {
            peer: peer.name.clone(),
            message: format!("url {url:?}: {e}"),
        })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("entente/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Config {
                peer: peer.name.clone(),
                message: format!("cannot build an HTTP client: {e}"),
            })?;
        Ok(PeerClient {
            name: peer.name.clone(),
            base,
            http,
            token: peer.token.clone(),
            basic: peer.username.clone().zip(peer.password.clone()),
        })
    }

    /// The URL of `path` under the base.
    pub fn url(&self, path: &str) -> Result<Url, SyncError> {
        self.base.join(path).map_err(|e| SyncError::Config {
            peer: self.name.clone(),
            message: format!("cannot form a URL for {path:?}: {e}"),
        })
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.token, &self.basic) {
            (Some(token), _) => request.bearer_auth(token),
            (None, Some((user, password))) => request.basic_auth(user, Some(password)),
            (None, None) => request,
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<reqwest::Response, SyncError> {
        self.authorised(request)
            .send()
            .await
            .map_err(|e| SyncError::Network {
                peer: self.name.clone(),
                url: url.to_string(),
                message: error_chain(&e),
            })
    }

    async fn body(&self, response: reqwest::Response, url: &Url) -> Result<Vec<u8>, SyncError> {
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(self.refused(url, response.status(), "the answer is too large"));
        }
        let bytes = response.bytes().await.map_err(|e| SyncError::Network {
            peer: self.name.clone(),
            url: url.to_string(),
            message: error_chain(&e),
        })?;
        if bytes.len() > MAX_BODY {
            return Err(self.refused(url, StatusCode::OK, "the answer is too large"));
        }
        Ok(bytes.to_vec())
    }

    fn refused(&self, url: &Url, status: StatusCode, message: &str) -> SyncError {
        SyncError::Http {
            peer: self.name.clone(),
            url: url.to_string(),
            status: status.as_u16(),
            message: message.to_owned(),
        }
    }

    /// GETs `path`; a status other than 200 is an error, 404 is `None`.
    async fn get(&self, path: &str, accept: &str) -> Result<Option<Vec<u8>>, SyncError> {
        let url = self.url(path)?;
        let response = self
            .send(
                self.http
                    .get(url.clone())
                    .header(reqwest::header::ACCEPT, accept),
                &url,
            )
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status != StatusCode::OK {
            let body = self.body(response, &url).await.unwrap_or_default();
            return Err(self.refused(&url, status, &first_line(&body)));
        }
        self.body(response, &url).await.map(Some)
    }

    async fn get_found(&self, path: &str, accept: &str) -> Result<Vec<u8>, SyncError> {
        self.get(path, accept).await?.ok_or_else(|| {
            let url = self
                .base
                .join(path)
                .map(|u| u.to_string())
                .unwrap_or_default();
            SyncError::Http {
                peer: self.name.clone(),
                url,
                status: 404,
                message: "not found".into(),
            }
        })
    }

    /// The collections of the API root at `api_root` (relative to the base).
    pub async fn collections(&self, api_root: &str) -> Result<Vec<RemoteCollection>, SyncError> {
        let path = format!("{api_root}collections/");
        let body = self.get_found(&path, TAXII).await?;
        let doc: Value = serde_json::from_slice(&body).map_err(|e| SyncError::Protocol {
            peer: self.name.clone(),
            message: format!("{path}: not JSON: {e}"),
        })?;
        let list = doc
            .get("collections")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|c| {
                Some(RemoteCollection {
                    id: c.get("id")?.as_str()?.to_owned(),
                    title: c
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    can_read: c.get("can_read").and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect())
    }

    /// A collection's latest signed checkpoint.
    pub async fn checkpoint(&self, remote_id: &str) -> Result<String, SyncError> {
        let body = self
            .get_found(
                &format!("api/collections/{remote_id}/log/checkpoint"),
                "text/plain",
            )
            .await?;
        String::from_utf8(body).map_err(|_| SyncError::Protocol {
            peer: self.name.clone(),
            message: format!("the checkpoint of {remote_id} is not UTF-8"),
        })
    }

    /// A tile or entry bundle (`path` as tlog-tiles names it, `tile/...`).
    pub async fn tile(&self, remote_id: &str, path: &str) -> Result<Vec<u8>, SyncError> {
        self.get_found(
            &format!("api/collections/{remote_id}/log/{path}"),
            "application/octet-stream",
        )
        .await
    }

    /// The checkpoint of `origin` the peer's witness holds, if any.
    pub async fn witnessed(&self, origin: &str) -> Result<Option<String>, SyncError> {
        use sha2::Digest as _;
        let path = format!(
            "witness/{}/checkpoint",
            hex::encode(sha2::Sha256::digest(origin.as_bytes()))
        );
        match self.get(&path, "text/plain").await? {
            None => Ok(None),
            Some(body) => String::from_utf8(body)
                .map(Some)
                .map_err(|_| SyncError::Protocol {
                    peer: self.name.clone(),
                    message: format!("its witness checkpoint of {origin} is not UTF-8"),
                }),
        }
    }

    /// Sends a checkpoint to the peer's witness.
    pub async fn add_checkpoint(&self, body: Vec<u8>) -> Result<WitnessAnswer, SyncError> {
        let url = self.url("witness/add-checkpoint")?;
        let response = self
            .send(self.http.post(url.clone()).body(body), &url)
            .await?;
        let status = response.status();
        let body = self.body(response, &url).await?;
        let text = String::from_utf8_lossy(&body).into_owned();
        Ok(match status {
            StatusCode::OK => WitnessAnswer::Cosigned(text),
            StatusCode::CONFLICT => match tlog::parse_tlog_size(&body) {
                Ok(size) => WitnessAnswer::Conflict(size),
                Err(_) => WitnessAnswer::Refused(409, first_line(&body)),
            },
            other => WitnessAnswer::Refused(other.as_u16(), first_line(&body)),
        })
    }

    /// One page of a plain TAXII collection's objects; returns the envelope
    /// and the `X-TAXII-Date-Added-Last` header.
    pub async fn objects_page(
        &self,
        remote_id: &str,
        added_after: Option<&str>,
        next: Option<&str>,
    ) -> Result<(Value, Option<String>), SyncError> {
        let mut url = self.url(&format!("collections/{remote_id}/objects/"))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", "1000");
            if let Some(after) = added_after {
                query.append_pair("added_after", after);
            }
            if let Some(next) = next {
                query.append_pair("next", next);
            }
        }
        let response = self
            .send(
                self.http
                    .get(url.clone())
                    .header(reqwest::header::ACCEPT, TAXII),
                &url,
            )
            .await?;
        let status = response.status();
        let last = response
            .headers()
            .get("x-taxii-date-added-last")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.body(response, &url).await?;
        if status != StatusCode::OK {
            return Err(self.refused(&url, status, &first_line(&body)));
        }
        let envelope = serde_json::from_slice(&body).map_err(|e| SyncError::Protocol {
            peer: self.name.clone(),
            message: format!("{url}: not a TAXII envelope: {e}"),
        })?;
        Ok((envelope, last))
    }
}

/// The first line of a body, for error messages (TAXII errors carry a title).
fn first_line(body: &[u8]) -> String {
    if let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(body) {
        let title = doc.get("title").and_then(Value::as_str).unwrap_or("");
        let description = doc.get("description").and_then(Value::as_str).unwrap_or("");
        return format!("{title}: {description}");
    }
    let text = String::from_utf8_lossy(body);
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// An error with its causes, which reqwest keeps in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
