//! Errors: the configuration's, and the one HTTP error type whose single
//! `IntoResponse` picks every status code and TAXII error body.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::media::TAXII;

/// The configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// It could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// It is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// It parsed but says something impossible.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A password could not be hashed.
    #[error("cannot hash the password: {0}")]
    Password(String),
}

/// An HTTP error, answered as a TAXII error resource (never HTML).
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    description: String,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> ApiError {
        ApiError {
            status,
            title,
            description: description.into(),
        }
    }

    /// 400: a query parameter or the body is malformed.
    pub fn bad_request(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    /// 401: no credentials, or wrong ones.
    pub fn unauthorized(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            description,
        )
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden", description)
    }

    /// 404: no such API root, collection, object, status or tile.
    pub fn not_found(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", description)
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            description,
        )
    }

    /// 406: `Accept` offers no media type this server speaks.
    pub fn not_acceptable(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable", description)
    }

    /// 408: the client was too slow to send its request.
    pub fn timeout(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "Request timeout", description)
    }

    /// 413: the body is larger than the API root's `max_content_length`.
    pub fn too_large(max: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!(
                "the body is larger than this API root's max_content_length of {max} bytes; split the envelope into smaller ones"
            ),
        )
    }

    /// 415: the body's `Content-Type` is not the TAXII media type.
    pub fn unsupported_media_type(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            description,
        )
    }

    /// 422: well-formed JSON that cannot be processed as a whole.
    pub fn unprocessable(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable envelope",
            description,
        )
    }

    /// 500: the server failed; the description says whether anything was stored.
    pub fn internal(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            description,
        )
    }

    /// 503: shutting down or overloaded.
    pub fn unavailable(description: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            description,
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            // Never the known names: a caller must not learn what else exists.
            store::StoreError::UnknownCollection { name, .. } => {
                ApiError::not_found(format!("no collection {name:?} on this API root"))
            }
            store::StoreError::UnknownObject { .. } => ApiError::not_found(e.to_string()),
            store::StoreError::ReadOnlyMirror { .. } => ApiError::forbidden(e.to_string()),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal(format!("the store failed: {other}"))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_str(),
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"entente\", charset=\"UTF-8\""),
            );
        }
        response
    }
}
