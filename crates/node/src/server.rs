//! Running the node: binds nothing itself (the caller hands in a bound
//! listener, so it can print the address first), serves until `shutdown`
//! resolves, then drains: requests in flight finish, and their writes commit
//! before the sequencer stops.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::sequencer::Sequencer;
use crate::state::{AppState, Settings};

/// The certificate chain and key files for HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Why the node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The configuration file is unusable.
    #[error("{0}")]
    Config(String),
    /// The TLS certificate or key could not be loaded.
    #[error("cannot load the TLS certificate {cert} and key {key}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// How long requests in flight get to finish after shutdown is asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// How often the configuration file is checked for changed users.
const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// Status resources are kept this long (the TAXII interop profile asks for 24 hours).
const STATUS_RETENTION_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

/// The HTTPS configuration, loaded from its files; `entente serve` loads it
/// before it says it is listening, so a bad certificate stops it first.
pub type TlsConfig = axum_server::tls_rustls::RustlsConfig;

/// Loads the certificate chain and key for HTTPS.
pub async fn load_tls(files: &TlsFiles) -> Result<TlsConfig, ServeError> {
    // One process-wide provider; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    TlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .map_err(|source| ServeError::Tls {
            cert: files.cert.clone(),
            key: files.key.clone(),
            source,
        })
}

/// Serves the node on `listener` until `shutdown` resolves.
pub async fn run(
    data_dir: &Path,
    listener: TcpListener,
    tls: Option<TlsConfig>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let metrics = Metrics::new();
    let (sequencer, writer) = Sequencer::start(data_dir, metrics.clone())?;
    let state = AppState::new(data_dir, settings, sequencer, metrics)?;
    match state.reload_users() {
        Ok(Some(0)) => tracing::warn!(
            "no users are configured: every request will be refused; add one with `entente user add`"
        ),
        Ok(Some(n)) => tracing::info!(users = n, "users loaded"),
        Ok(None) => {}
        Err(e) => return Err(ServeError::Config(e)),
    }
    let reloader = tokio::spawn(reload_users(state.clone()));
    let syncing = tokio::spawn(sync_forever(data_dir.to_owned(), state.metrics().clone()));
    let (stop_housekeeping, housekeeper) = start_housekeeper(data_dir)?;
    let app = app(state.clone());

    let handle = axum_server::Handle::new();
    let trigger = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        trigger.graceful_shutdown(Some(DRAIN));
    });
    let served = match tls {
        None => {
            let mut server = axum_server::from_tcp(listener)?;
            limit_header_time(server.http_builder());
            server.handle(handle).serve(app.into_make_service()).await
        }
        Some(config) => {
            let mut server = axum_server::tls_rustls::from_tcp_rustls(listener, config)?;
            limit_header_time(server.http_builder());
            server.handle(handle).serve(app.into_make_service()).await
        }
    };
    reloader.abort();
    let _ = reloader.await;
    // A round cut here leaves nothing half-applied: each commit is whole.
    syncing.abort();
    let _ = syncing.await;
    drop(stop_housekeeping);
    let _ = tokio::task::spawn_blocking(move || housekeeper.join()).await;
    // The last handle to the sequencer goes with the state: the writer thread
    // finishes the jobs it was sent, then ends.
    drop(state);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|e| ServeError::Config(format!("the writer thread failed: {e}")))?
        .map_err(|_| ServeError::Config("the writer thread panicked".into()))?;
    tracing::info!("stopped");
    served.map_err(ServeError::from)
}

/// Syncs every peer and pushes this node's checkpoints to their witnesses,
/// once per configured interval, for as long as the node runs. The
/// configuration is read again each round, so peers added meanwhile count.
async fn sync_forever(data_dir: PathBuf, metrics: Metrics) {
    let mut witnesses = crate::sync::push::Witnesses::default();
    let mut syncer: Option<(Option<std::time::SystemTime>, crate::sync::Syncer)> = None;
    loop {
        let config = match crate::config::Config::load(&data_dir) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the configuration; not syncing");
                tokio::time::sleep(Duration::from_secs(30)).await;
                continue;
            }
        };
        let interval = config.sync.interval();
        if !config.peers.is_empty() {
            // The warninglists are compiled again only when the file changed.
            let modified = std::fs::metadata(crate::config::Config::path(&data_dir))
                .and_then(|m| m.modified())
                .ok();
            if syncer.as_ref().is_none_or(|(m, _)| *m != modified) {
                match crate::sync::Syncer::new(&data_dir, &config, Some(metrics.clone())) {
                    Ok(s) => syncer = Some((modified, s)),
                    Err(e) => tracing::error!(error = %e, "cannot sync"),
                }
            }
            if let Some((_, s)) = &syncer {
                if let Err(e) = crate::sync::push::push(s, &config, &mut witnesses).await {
                    tracing::warn!(error = %e, "witness push failed");
                }
                s.round(&config, None).await;
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// A client gets this long to send a request's headers; a connection that
/// trickles them (or never finishes) is closed instead of held open.
const HEADER_TIME: Duration = Duration::from_secs(10);

fn limit_header_time(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder.http1().header_read_timeout(HEADER_TIME);
}

/// The router with its layers: metrics and request logs, and a panic in a
/// handler turned into a TAXII 500 instead of a dropped connection.
pub fn app(state: AppState) -> Router {
    crate::routes::router(state.clone())
        .layer(middleware::from_fn_with_state(state, track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::internal("the server hit a bug handling this request; nothing was stored by it unless its status says so").into_response()
            },
        ))
}

async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics()
        .record_request(&route, method.as_str(), status.as_u16(), seconds);
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), ms = seconds * 1e3, "request failed");
    } else {
        tracing::debug!(%method, %path, status = status.as_u16(), ms = seconds * 1e3, "request");
    }
    response
}

/// How often the WAL is copied into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Forgets status resources past their retention.
fn prune_statuses(store: &mut store::Store) {
    let cutoff = store::Micros(store::Micros::now().0 - STATUS_RETENTION_MICROS);
    match store.prune_statuses(cutoff) {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "forgot status resources older than 7 days"),
        Err(e) => tracing::warn!(error = %e, "pruning status resources failed; will retry"),
    }
}

/// How often old status resources are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Starts the housekeeping thread: it checkpoints the WAL (the writer does
/// not) and prunes old status resources, at start and hourly. It stops when
/// the returned sender is dropped.
fn start_housekeeper(
    data_dir: &Path,
) -> Result<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>), ServeError> {
    let mut store = store::Store::open(data_dir)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("entente-housekeeper".into())
        .spawn(move || {
            let mut pruned_at = Instant::now();
            prune_statuses(&mut store);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                if let Err(e) = store.checkpoint_wal() {
                    tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
                }
                if pruned_at.elapsed() >= PRUNE_EVERY {
                    prune_statuses(&mut store);
                    pruned_at = Instant::now();
                }
            }
            // A last one, so a stopped node leaves a short WAL behind.
            let _ = store.checkpoint_wal();
        })?;
    Ok((stop, handle))
}

async fn reload_users(state: AppState) {
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    loop {
        tick.tick().await;
        let state = state.clone();
        match tokio::task::spawn_blocking(move || state.reload_users()).await {
            Ok(Ok(Some(n))) => tracing::info!(users = n, "configuration changed; users reloaded"),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "configuration unusable; keeping the previous users")
            }
            Err(e) => tracing::error!(error = %e, "reloading users failed"),
        }
    }
}
