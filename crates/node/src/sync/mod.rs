//! Syncing from peers: mirroring their logs instead of trusting their answers.
//!
//! A round visits every configured peer. For an Entente peer, every
//! collection it lets this node read is mirrored as a log ([`log`]): its
//! signed checkpoint is verified with the peer's key (and, if configured,
//! k of n witnesses' cosignatures), the new entries are fetched from its
//! tiles, and they are applied only if they lead from the mirror's tree to
//! the checkpoint's root. The mirror's size is the cursor, so a round cut
//! short or repeated loses and duplicates nothing. A checkpoint that cannot
//! be consistent with one accepted before is misbehaviour: the mirror stops
//! for good, keeps what it has, and the two signed checkpoints with the
//! hashes that show the conflict go to an evidence file ([`evidence`]).
//! Other peers' witnesses are asked what they saw of the same log, so a peer
//! that shows two partners two histories is caught too.
//!
//! A plain TAXII feed (a peer without a key) is paged with `added_after`
//! ([`feed`]); its mirror is marked unverified.
//!
//! Partner indicators that hit a warninglist are quarantined as they arrive.

mod client;
pub mod evidence;
mod feed;
mod log;
pub mod push;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use client::{PeerClient, RemoteCollection, WitnessAnswer};

use crate::config::{Config, PeerConfig};
use crate::metrics::Metrics;

/// Why a round, or part of one, failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The peer's configuration is unusable.
    #[error("peer {peer}: {message}")]
    Config {
        /// The peer.
        peer: String,
        /// What is wrong.
        message: String,
    },
    /// The peer could not be reached.
    #[error("peer {peer}: {url}: {message}")]
    Network {
        /// The peer.
        peer: String,
        /// The URL asked.
        url: String,
        /// What failed.
        message: String,
    },
    /// The peer answered with an error status.
    #[error("peer {peer}: {url} answered {status}: {message}")]
    Http {
        /// The peer.
        peer: String,
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The body's gist.
        message: String,
    },
    /// The peer's answer is not what the protocol says.
    #[error("peer {peer}: {message}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A blocking task failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What became of one mirrored collection in a round.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Nothing new.
    UpToDate,
    /// New entries were verified and applied.
    Applied(store::Applied),
    /// Objects pulled from a plain TAXII feed (unverified).
    Pulled {
        /// Objects added.
        added: u64,
        /// Of which quarantined.
        held: u64,
    },
    /// The mirror was stopped in an earlier round.
    Halted(String),
    /// The peer was caught misbehaving in this round.
    Misbehaviour {
        /// What it did.
        what: String,
        /// The evidence file.
        evidence: PathBuf,
    },
    /// The peer served an older checkpoint than one already accepted, of the
    /// same history: no proof of anything, but nothing to apply either.
    RolledBack {
        /// The size it served.
        served: u64,
        /// The size accepted before.
        accepted: u64,
    },
    /// The round failed for this collection; the next one tries again.
    Failed(String),
}

/// One collection's line of a round's report.
#[derive(Debug, Clone)]
pub struct CollectionReport {
    /// The peer.
    pub peer: String,
    /// The collection's id at the peer.
    pub remote_id: String,
    /// The local mirror's alias.
    pub local: String,
    /// Its size afterwards.
    pub size: u64,
    /// What happened.
    pub outcome: Outcome,
}

/// What a round did.
#[derive(Debug, Clone, Default)]
pub struct RoundReport {
    /// Per mirrored collection.
    pub collections: Vec<CollectionReport>,
    /// Peers that could not be synced at all, with why.
    pub failed_peers: Vec<(String, String)>,
}

impl RoundReport {
    /// Whether any peer was caught misbehaving (this round or before).
    pub fn misbehaviour(&self) -> bool {
        self.collections.iter().any(|c| {
            matches!(
                c.outcome,
                Outcome::Misbehaviour { .. } | Outcome::Halted(_) | Outcome::RolledBack { .. }
            )
        })
    }

    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        !self.failed_peers.is_empty()
            || self
                .collections
                .iter()
                .any(|c| matches!(c.outcome, Outcome::Failed(_)))
    }
}

/// The page cache of the syncing connection: a first round of a large log
/// is one transaction whose index pages are changed many times over.
const SYNC_CACHE_MIB: u32 = 512;

/// Runs rounds: owns a store handle (its own connection) and the compiled warninglists.
#[derive(Clone)]
pub struct Syncer {
    store: Arc<Mutex<store::Store>>,
    data_dir: PathBuf,
    warninglists: Arc<warninglist::Warninglists>,
    metrics: Option<Metrics>,
}

impl Syncer {
    /// Opens the data directory and compiles the configured warninglists.
    pub fn new(
        data_dir: &Path,
        config: &Config,
        metrics: Option<Metrics>,
    ) -> Result<Syncer, SyncError> {
        let store = store::Store::open(data_dir)?;
        store.set_cache_mib(SYNC_CACHE_MIB)?;
        // As the sequencer does: copying the WAL into the database is the
        // housekeeper's job in `serve` (and the last connection's on close),
        // not every page's commit.
        store.defer_wal_checkpoints(8192)?;
        let warninglists = crate::warninglists::build(&config.warninglists).map_err(|message| {
            SyncError::Config {
                peer: "(warninglists)".into(),
                message,
            }
        })?;
        Ok(Syncer {
            store: Arc::new(Mutex::new(store)),
            data_dir: data_dir.to_owned(),
            warninglists: Arc::new(warninglists),
            metrics,
        })
    }

    /// Runs `f` on the store on the blocking pool.
    async fn with_store<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut store::Store) -> R + Send + 'static,
    ) -> Result<R, SyncError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut guard = store
                .lock()
                .map_err(|_| SyncError::Internal("the store lock is poisoned".into()))?;
            Ok(f(&mut guard))
        })
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
    }

    /// One round over `peers` (every configured peer when empty).
    pub async fn round(&self, config: &Config, only: Option<&str>) -> RoundReport {
        let mut report = RoundReport::default();
        let peers: Vec<&PeerConfig> = config
            .peers
            .iter()
            .filter(|p| only.is_none_or(|name| p.name == name))
            .collect();
        for peer in &peers {
            let result = if peer.is_verified() {
                log::sync_peer(self, peer, config, &mut report).await
            } else {
                feed::sync_feed(self, peer, &mut report).await
            };
            if let Err(e) = result {
                tracing::warn!(peer = %peer.name, error = %e, "sync failed");
                report.failed_peers.push((peer.name.clone(), e.to_string()));
            }
        }
        for line in &report.collections {
            match &line.outcome {
                Outcome::Misbehaviour { what, evidence } => {
                    tracing::error!(
                        peer = %line.peer,
                        collection = %line.remote_id,
                        evidence = %evidence.display(),
                        "MISBEHAVIOUR: {what}; this log is no longer applied"
                    );
                    if let Some(m) = &self.metrics {
                        m.record_misbehaviour(&line.peer);
                    }
                }
                Outcome::RolledBack { served, accepted } => tracing::error!(
                    peer = %line.peer,
                    collection = %line.remote_id,
                    "the peer served a checkpoint of size {served} after one of size {accepted}"
                ),
                Outcome::Failed(e) => tracing::warn!(
                    peer = %line.peer,
                    collection = %line.remote_id,
                    error = %e,
                    "sync failed"
                ),
                Outcome::Applied(a) => {
                    tracing::info!(
                        peer = %line.peer,
                        collection = %line.remote_id,
                        entries = a.entries,
                        held = a.held,
                        size = a.size,
                        "mirrored"
                    );
                    if a.invalid_entries > 0 || a.invalid_objects > 0 {
                        tracing::warn!(
                            peer = %line.peer,
                            collection = %line.remote_id,
                            invalid_entries = a.invalid_entries,
                            invalid_objects = a.invalid_objects,
                            "the peer's log holds entries that are not valid envelopes or objects that are not valid STIX; kept, never served (`entente peer status`, `entente quarantine list`)"
                        );
                    }
                    if let Some(m) = &self.metrics {
                        m.record_mirrored(&line.peer, a.entries, a.held);
                        m.record_invalid(&line.peer, a.invalid_entries, a.invalid_objects);
                    }
                }
                Outcome::Pulled { added, held } => {
                    if let Some(m) = &self.metrics {
                        m.record_mirrored(&line.peer, *added, *held);
                    }
                }
                Outcome::UpToDate | Outcome::Halted(_) => {}
            }
        }
        report
    }

    /// The data directory (evidence files go under it).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}
