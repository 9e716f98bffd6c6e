//! Persistence for an Entente node: collections, their append-only logs, and
//! everything needed to prove what is in them.
//!
//! A [`Store`] is one data directory: the node's Ed25519 key and an SQLite
//! database (the embedded default; no server to run). Each collection is
//! exactly one transparency log in the C2SP tlog-tiles layout: its entries are
//! the canonical bytes of [`entry::Entry`] envelopes, its hash tiles and
//! signed checkpoints are stored beside them, and nothing is ever removed.
//!
//! # Promises
//!
//! * A batch is one transaction: entries, version index, tiles and the signed
//!   checkpoint that covers them commit together, with `synchronous = FULL`.
//!   When [`Store::append`] returns, the batch survives `kill -9`.
//! * After any crash the store reopens to a log whose latest checkpoint
//!   verifies, because a checkpoint is only ever written in the transaction
//!   that writes the tree it commits to.
//! * A checkpoint is consistent with every earlier one of the same log: the
//!   tree only grows, from the right edge this handle checked against the
//!   database inside the write transaction.
//! * [`Store::audit`] recomputes every leaf, tile and checkpoint root from the
//!   entries and reports the first disagreement; a byte changed behind the
//!   store's back is found.
//!
//! # Layout
//!
//! * `node` — the data directory, the key file and the node's identity.
//! * `schema` — the tables and the schema-version check.
//! * `collection` — collections and their lookup by id or alias.
//! * `entry` — the log entry envelope (pure).
//! * `log` — the right edge of a log and tile reads, over the `tlog` crate.
//! * `write` — [`Store::append`] and [`Store::withdraw`].
//! * `read` — checkpoints, objects, proofs, entries.
//! * `audit` — re-verification from the database or from an exported tile tree.
//! * `export` — writing a tile tree to a directory.
//! * `query` — TAXII's filtered, paged views of the live objects.
//! * `serve` — tile resources and status resources for the node's endpoints.
//! * `share` — collection audiences and writers, checked against markings.
//! * `mirror` — read-only copies of partners' logs, applied only up to a
//!   checkpoint their entries lead to.
//! * `quarantine` — partner objects held back from every view.
//! * `witness` — the witness state: the largest checkpoint verified per log.
//!
//! All calls are blocking SQLite calls; a server runs them on a blocking pool.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod audit;
mod collection;
pub mod entry;
mod error;
mod export;
mod log;
mod mirror;
mod node;
mod quarantine;
mod query;
mod read;
mod schema;
mod serve;
mod share;
mod time;
mod witness;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

// The public interface is:
pub use audit::{AuditReport, Mismatch, audit_tile_dir};
pub use collection::{Collection, NewCollection};
pub use error::{Result, StoreError};
pub use export::ExportSummary;
pub use mirror::{
    Applied, HoldCheck, Judge, Mirror, MirrorError, ObjectFacts, PeerCheckpoint, Prepared, Verdict,
    peer_origin,
};
pub use node::{DB_FILE, KEY_FILE, Node};
pub use quarantine::{Held, HoldState};
pub use query::{Page, Query, Record, Skipped, VersionFilter, object_bytes};
pub use read::{ObjectVersion, PROOF_FORMAT, ProofBundle, ProofError, VerifiedProof, vkey};
pub use schema::SCHEMA_VERSION;
pub use serve::Status;
pub use share::Access;
pub use time::Micros;
pub use witness::Witnessed;
pub use write::{AppendOutcome, ObjectOutcome, Outcome};

/// The alias of the collection `init` creates.
pub const DEFAULT_COLLECTION: &str = "default";

/// An open data directory.
pub struct Store {
    /// The one connection; a `Store` is not shared between threads (`&mut self` writes).
    conn: Connection,
    dir: PathBuf,
    node: Node,
    /// Right edges of logs this handle appended to. Owned by this handle and
    /// re-checked against `collections.size` inside every write transaction,
    /// because another process may have appended in between.
    edges: log::EdgeCache,
    /// Expanded upper-level tiles for proofs; owned by this handle.
    expanded: log::ExpandedCache,
}

impl Store {
    /// Creates a node in `dir`: a fresh key from `seed` (mode 0600), the
    /// database, and the `default` collection with its signed empty checkpoint.
    /// Refuses to touch a directory that already holds a node.
    pub fn init(dir: &Path, name: &str, seed: [u8; 32]) -> Result<Store> {
        node::check_name(name)?;
        let node = node::create_key(dir, name, seed)?;
        let path = node::db_path(dir);
        let mut conn = Connection::open(&path)?;
        schema::configure(&conn)?;
        let tx = conn.transaction()?;
        schema::create(&tx)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('node_name', ?1)",
            [name],
        )?;
        tx.commit()?;
        let mut store = Store {
            conn,
            dir: dir.to_owned(),
            node,
            edges: log::EdgeCache::default(),
            expanded: log::ExpandedCache::default(),
        };
        store.create_collection(&NewCollection {
            alias: Some(DEFAULT_COLLECTION.into()),
            title: "Default collection".into(),
            description: format!("Objects published by {name}"),
            ..NewCollection::default()
        })?;
        Ok(store)
    }

    /// Opens an initialised data directory.
    pub fn open(dir: &Path) -> Result<Store> {
        let path = node::db_path(dir);
        if !path.exists() {
            return Err(StoreError::NotInitialised {
                path: dir.to_owned(),
            });
        }
        let node = node::load_key(dir)?;
        let mut conn = Connection::open(&path)?;
        schema::configure(&conn)?;
        schema::check(&mut conn, &path)?;
        Ok(Store {
            conn,
            dir: dir.to_owned(),
            node,
            edges: log::EdgeCache::default(),
            expanded: log::ExpandedCache::default(),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The node's identity.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Creates a collection and signs the checkpoint of its empty log.
    pub fn create_collection(&mut self, new: &NewCollection) -> Result<Collection> {
        let tx = self.conn.transaction()?;
        let coll = collection::insert(&tx, new)?;
        let note = self.node.sign_checkpoint(&coll.id, 0, &tlog::EMPTY_ROOT)?;
        tx.execute(
            "INSERT INTO checkpoints (cid, size, note) VALUES (?1, 0, ?2)",
            rusqlite::params![coll.cid, note],
        )?;
        tx.commit()?;
        Ok(coll)
    }

    /// Leaves WAL checkpoints to another connection calling
    /// [`Store::checkpoint_wal`] often, instead of running them inside this
    /// one's commits: a server's single writer then spends its commits
    /// appending. This connection still checkpoints, as a safety net, once
    /// the WAL reaches `max_pages` pages.
    pub fn defer_wal_checkpoints(&self, max_pages: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", max_pages)?;
        Ok(())
    }

    /// Gives this connection a page cache of `mib` MiB: a round that mirrors
    /// a large log in one transaction then rewrites its index pages in
    /// memory instead of spilling each change to the WAL.
    pub fn set_cache_mib(&self, mib: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
        Ok(())
    }

    /// Copies what it can of the WAL into the database without waiting for
    /// readers or writers (a PASSIVE checkpoint); returns the WAL frames
    /// still to copy.
    pub fn checkpoint_wal(&self) -> Result<u64> {
        let (_busy, frames, copied): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok((frames - copied).max(0) as u64)
    }

    /// Finds a collection by id or alias.
    pub fn collection(&self, id_or_alias: &str) -> Result<Collection> {
        collection::find(&self.conn, id_or_alias)
    }

    /// Every collection, in creation order.
    pub fn collections(&self) -> Result<Vec<Collection>> {
        collection::list(&self.conn)
    }

    /// Makes a collection refuse SHOULD findings too (`true`), or only MUST
    /// violations (`false`). A mirror's objects are the peer's: it has no such gate.
    pub fn set_strict(&mut self, id_or_alias: &str, strict: bool) -> Result<Collection> {
        let coll = self.collection(id_or_alias)?;
        if let Some(peer) = coll.peer {
            return Err(StoreError::ReadOnlyMirror {
                collection: coll.id,
                peer,
            });
        }
        collection::set_strict(&self.conn, &coll.id, strict)?;
        self.collection(&coll.id)
    }
}

impl Node {
    /// The origin line of a collection's log: `<node name>/<collection id>`.
    pub fn origin(&self, collection_id: &str) -> String {
        format!("{}/{}", self.name, collection_id)
    }

    /// Signs the checkpoint of a collection's log at `size` with root `root`.
    pub(crate) fn sign_checkpoint(
        &self,
        collection_id: &str,
        size: u64,
        root: &tlog::Hash,
    ) -> Result<String> {
        let checkpoint = tlog::Checkpoint::new(self.origin(collection_id), size, *root);
        Ok(self.signer.sign_checkpoint(&checkpoint)?)
    }

    /// Verifies a checkpoint note of one of this node's collections.
    pub fn verify_checkpoint(
        &self,
        collection_id: &str,
        note: &[u8],
    ) -> std::result::Result<tlog::Checkpoint, tlog::Error> {
        verify_checkpoint(note, Some(&self.origin(collection_id)), &self.verifier())
    }
}

/// Verifies a checkpoint note signed by `key`, for the log `origin` (or for
/// whatever log the note names, when `None`), returning its body.
pub fn verify_checkpoint(
    note: &[u8],
    origin: Option<&str>,
    key: &tlog::Verifier,
) -> std::result::Result<tlog::Checkpoint, tlog::Error> {
    let origin = match origin {
        Some(o) => o.to_owned(),
        None => tlog::Checkpoint::parse(tlog::Note::parse(note)?.text())?.origin,
    };
    let verified = tlog::CheckpointVerifier::new(origin, key.clone()).verify(note)?;
    Ok(verified.into_checkpoint())
}
