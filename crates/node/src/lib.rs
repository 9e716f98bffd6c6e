//! The Entente node: a TAXII 2.1 server whose every collection is a
//! verifiable log.
//!
//! * `config` — `entente.toml`: how the server listens, users and their grants.
//! * `auth` — credentials, and who may read or write which collection.
//! * `media` — TAXII media types and content negotiation.
//! * `params` — TAXII filters and the stateless paging cursor.
//! * `routes` — one file per endpoint family: discovery and API root,
//!   collections, objects, log endpoints, operations.
//! * `sequencer` — the one thread that writes, with group commit.
//! * `state` — the handle every handler shares; blocking SQLite reads run on
//!   Tokio's blocking pool, one store handle each.
//! * `server` — [`run`]: serve until shutdown, then drain.
//! * `sync` — mirroring peers' logs (and plain TAXII feeds), evidence of
//!   misbehaviour, and pushing checkpoints to partners' witnesses.
//! * `warninglists` — the configured lists and the quarantine check.
//! * `metrics`, `error`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
mod error;
mod extract;
pub mod media;
pub mod metrics;
pub mod params;
mod routes;
mod sequencer;
mod server;
mod state;
pub mod sync;
pub mod warninglists;

pub use error::{ApiError, ConfigError};
pub use routes::API_ROOT;
pub use server::{ServeError, TlsConfig, TlsFiles, app, load_tls, run};
pub use state::Settings;
