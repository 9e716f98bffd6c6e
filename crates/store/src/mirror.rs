//! Mirrors of partners' collections.
//!
//! A *verified* mirror is a copy of a peer's log: the peer's entries byte for
//! byte at the same indices, the tiles recomputed here, and the peer's signed
//! checkpoints. Its objects are therefore provable with the peer's key, and
//! the tree can only grow by entries that lead to a checkpoint the peer
//! signed: [`Store::apply_mirror`] recomputes the root before it commits.
//! An *unverified* mirror holds what a plain TAXII server (with no log) gave,
//! appended to a log this node signs, so at least its own record of what it
//! received cannot change.
//!
//! The mirror's size is its sync cursor: a round asks the peer for the
//! entries from there on, and the entries, their index, the tiles and the
//! checkpoint covering them commit in one transaction. A round cut short
//! leaves nothing behind; a round repeated adds nothing.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use crate::collection::{self, Collection, NewCollection};
use crate::entry::{Entry, MAX_ENTRY_BYTES, VerifiedEntry};
use crate::error::{Result, StoreError};
use crate::time::Micros;
use crate::{Store, read};

/// A mirror of one collection of one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The local, read-only collection that holds the copy.
    pub collection: Collection,
    /// The peer's name (as in the configuration).
    pub peer: String,
    /// The collection's id at the peer.
    pub remote_id: String,
    /// Whether it mirrors the peer's log (true) or a plain TAXII feed.
    pub verified: bool,
    /// The verifier key the peer's checkpoints were checked with.
    pub key: Option<String>,
    /// An unverified mirror's TAXII `added_after` cursor.
    pub cursor: Option<String>,
    /// Why this log is no longer applied, once the peer was caught misbehaving.
    pub halted: Option<String>,
    /// When the last round succeeded.
    pub synced: Option<Micros>,
    /// What went wrong in the last round, if it failed.
    pub error: Option<String>,
    /// Entries of the peer's log that are not a valid envelope: kept, never indexed.
    pub invalid_entries: u64,
    /// Versions held because they violate a MUST of STIX 2.1.
    pub invalid_objects: u64,
}

/// What one round of [`Store::apply_mirror`] added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Log entries added.
    pub entries: u64,
    /// Object versions indexed.
    pub objects: u64,
    /// Withdrawals applied.
    pub withdrawals: u64,
    /// Versions quarantined by the judge (warninglist hits and MUST violations).
    pub held: u64,
    /// Of those, versions that violate a MUST of STIX 2.1.
    pub invalid_objects: u64,
    /// Entries kept in the log but not a valid envelope: marked, never indexed.
    pub invalid_entries: u64,
    /// Entries kept in the log but not indexed because they are a second
    /// copy of a version already indexed.
    pub unindexed: u64,
    /// The mirror's size afterwards.
    pub size: u64,
}

/// A checkpoint the caller has verified with the peer's key.
#[derive(Debug, Clone)]
pub struct PeerCheckpoint {
    /// The signed note, as received (with any cosignatures).
    pub note: String,
    /// Its tree size.
    pub size: u64,
    /// Its root hash.
    pub root: tlog::Hash,
}

/// Why entries could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The entries do not lead to the checkpoint: either the peer served
    /// entries that are not its log's, or its log is not an extension of the
    /// mirror. The caller tells which with the peer's hash tiles.
    #[error(
        "the peer's entries {from}..{to} give root {got}, not the root {want} of its signed checkpoint"
    )]
    RootMismatch {
        /// The mirror's size before.
        from: u64,
        /// The checkpoint's size.
        to: u64,
        /// The root recomputed here (base64).
        got: String,
        /// The signed root (base64).
        want: String,
    },
    /// The peer sent something that is not part of a log.
    #[error("the peer sent an unusable entry: {0}")]
    Entry(String),
    /// The source of entries failed (network, decoding).
    #[error("{0}")]
    Source(String),
}

impl From<rusqlite::Error> for MirrorError {
    fn from(e: rusqlite::Error) -> Self {
        MirrorError::Store(e.into())
    }
}

/// What a hold check sees of an object.
#[derive(Debug, Clone, Copy)]
pub struct ObjectFacts<'a> {
    /// Its STIX type.
    pub object_type: &'a str,
    /// Its id.
    pub id: &'a str,
    /// An indicator's pattern.
    pub pattern: Option<&'a str>,
    /// An indicator's pattern language (`stix` when absent).
    pub pattern_type: Option<&'a str>,
}

impl<'a> ObjectFacts<'a> {
    /// The facts of a parsed object.
    pub fn of(object: &'a Value) -> ObjectFacts<'a> {
        let text = |k: &str| object.get(k).and_then(Value::as_str);
        ObjectFacts {
            object_type: text("type").unwrap_or(""),
            id: text("id").unwrap_or(""),
            pattern: text("pattern"),
            pattern_type: text("pattern_type"),
        }
    }

    /// Whether it is an indicator (see [`stix::names_indicator`]).
    pub fn is_indicator(&self) -> bool {
        stix::names_indicator(self.object_type, self.id)
    }
}

/// A hold check: the reason to quarantine an object, or `None`.
pub type HoldCheck<'a> = &'a mut dyn FnMut(&ObjectFacts<'_>) -> Option<String>;

/// What the node decides about a partner's object before it is indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Indexed and served.
    Use,
    /// Held for an analyst: it hit a warninglist (the hit).
    Hold(String),
    /// Held for good: it violates a MUST of STIX 2.1 (the validator's messages).
    Invalid(String),
}

/// The judge of a mirror's objects: validation and warninglists, which live
/// above the store. It takes the object (validation consumes it); the index
/// keeps only the entry's bytes.
pub type Judge<'a> = &'a mut dyn FnMut(Value) -> Verdict;

/// One entry of a peer's log, hashed and read before it is applied, so that
/// the work can run beside the thread that writes (see [`Store::apply_mirror`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    bytes: Vec<u8>,
    leaf: tlog::Hash,
    says: Says,
}

/// What an entry says, as far as the index is concerned.
#[derive(Debug, Clone)]
enum Says {
    /// Only a [`VerifiedEntry`] can say this: unparsed bytes are never indexed.
    Add {
        id: String,
        version: String,
        stamp: Micros,
        held: Option<Held>,
    },
    Withdraw {
        id: String,
        stamp: Micros,
    },
    /// Not a valid envelope: kept in the log, marked, not indexed.
    Invalid(String),
}

/// Why a version is held, and whether it may ever be released.
#[derive(Debug, Clone)]
struct Held {
    reason: String,
    invalid: bool,
}

impl Prepared {
    /// Hashes an entry, parses it strictly and asks `judge` about an added object.
    pub fn new(bytes: Vec<u8>, judge: Judge<'_>) -> Prepared {
        let leaf = tlog::leaf_hash(&bytes);
        let says = match VerifiedEntry::parse(&bytes) {
            Ok(entry) => Prepared::read(entry, judge),
            Err(e) => Says::Invalid(e.to_string()),
        };
        Prepared { bytes, leaf, says }
    }

    fn read(entry: VerifiedEntry, judge: Judge<'_>) -> Says {
        match entry.into_entry() {
            Entry::Withdraw { date_added, id } => Says::Withdraw {
                id,
                stamp: date_added,
            },
            Entry::Add { date_added, object } => {
                // The strict parse guarantees a string id.
                let id = object
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let version = crate::entry::version_of(&object, date_added);
                let held = match judge(object) {
                    Verdict::Use => None,
                    Verdict::Hold(reason) => Some(Held {
                        reason,
                        invalid: false,
                    }),
                    Verdict::Invalid(reason) => Some(Held {
                        reason,
                        invalid: true,
                    }),
                };
                Says::Add {
                    id,
                    version,
                    stamp: date_added,
                    held,
                }
            }
        }
    }
}

impl Store {
    /// The mirror of `peer`'s collection `remote_id`, created (empty, with a
    /// fresh local id) if there is none.
    pub fn mirror(
        &mut self,
        peer: &str,
        remote_id: &str,
        title: &str,
        verified: bool,
        key: Option<&str>,
    ) -> Result<Mirror> {
        if let Some(found) = self.find_mirror(peer, remote_id)? {
            return Ok(found);
        }
        let tx = self.conn.transaction()?;
        // The local id is derived, so that re-adding a peer finds the same
        // mirror, and a peer cannot choose it to collide with ours.
        let local_id =
            uuid::Uuid::new_v5(&MIRROR_NAMESPACE, format!("{peer}\n{remote_id}").as_bytes())
                .to_string();
        let short: String = remote_id.chars().take(8).collect();
        let coll = collection::insert(
            &tx,
            &NewCollection {
                id: Some(local_id),
                alias: Some(format!("{peer}.{short}")),
                title: format!("{title} (from {peer})"),
                description: format!(
                    "A read-only mirror of collection {remote_id} of {peer}{}",
                    if verified {
                        ", verified against its signed log"
                    } else {
                        ", pulled over plain TAXII and not verified"
                    }
                ),
                peer: Some(peer.to_owned()),
                ..NewCollection::default()
            },
        )?;
        tx.execute(
            "INSERT INTO mirrors (cid, peer, remote_id, verified, vkey) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![coll.cid, peer, remote_id, verified, key],
        )?;
        if !verified {
            // Its log is this node's record of what the feed gave.
            let note = self.node.sign_checkpoint(&coll.id, 0, &tlog::EMPTY_ROOT)?;
            tx.execute(
                "INSERT INTO checkpoints (cid, size, note) VALUES (?1, 0, ?2)",
                params![coll.cid, note],
            )?;
        }
        tx.commit()?;
        self.find_mirror(peer, remote_id)?
            .ok_or(StoreError::Unreachable("a mirror just created is missing"))
    }

    fn find_mirror(&self, peer: &str, remote_id: &str) -> Result<Option<Mirror>> {
        let cid: Option<i64> = self
            .conn
            .query_row(
                "SELECT cid FROM mirrors WHERE peer = ?1 AND remote_id = ?2",
                params![peer, remote_id],
                |r| r.get(0),
            )
            .optional()?;
        cid.map(|cid| self.mirror_by_cid(cid)).transpose()
    }

    fn mirror_by_cid(&self, cid: i64) -> Result<Mirror> {
        let (peer, remote_id, verified, key, cursor, halted, synced, error, coll_id) =
            self.conn.query_row(
                "SELECT m.peer, m.remote_id, m.verified, m.vkey, m.cursor, m.halted, m.synced, m.error, c.id
                 FROM mirrors m JOIN collections c ON c.cid = m.cid WHERE m.cid = ?1",
                [cid],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                },
            )?;
        Ok(Mirror {
            collection: collection::find(&self.conn, &coll_id)?,
            peer,
            remote_id,
            verified,
            key,
            cursor,
            halted,
            synced: synced.map(Micros),
            error,
            invalid_entries: count(
                &self.conn,
                "SELECT COUNT(*) FROM invalid_entries WHERE cid = ?1",
                cid,
            )?,
            invalid_objects: count(
                &self.conn,
                "SELECT COUNT(*) FROM quarantine WHERE cid = ?1 AND invalid = 1",
                cid,
            )?,
        })
    }

    /// A mirror's entries that are not a valid envelope: index and reason, in log order.
    pub fn invalid_entries(&self, mirror: &Mirror) -> Result<Vec<(u64, String)>> {
        invalid_entries(&self.conn, mirror.collection.cid)
    }

    /// Every mirror, of every peer (or of `peer`), in creation order.
    pub fn mirrors(&self, peer: Option<&str>) -> Result<Vec<Mirror>> {
        let cids: Vec<i64> = self
            .conn
            .prepare("SELECT cid FROM mirrors WHERE ?1 IS NULL OR peer = ?1 ORDER BY cid")?
            .query_map([peer], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        cids.into_iter()
            .map(|cid| self.mirror_by_cid(cid))
            .collect()
    }

    /// The mirror kept in collection `collection` (id or alias), if it is one.
    pub fn mirror_of(&self, collection: &str) -> Result<Option<Mirror>> {
        let coll = collection::find(&self.conn, collection)?;
        if coll.peer.is_none() {
            return Ok(None);
        }
        self.mirror_by_cid(coll.cid).map(Some)
    }

    /// Records the outcome of a round: `error` is `None` when it succeeded.
    pub fn record_sync(&mut self, mirror: &Mirror, error: Option<&str>, now: Micros) -> Result<()> {
        if error.is_none() {
            self.conn.execute(
                "UPDATE mirrors SET synced = ?2, error = NULL WHERE cid = ?1",
                params![mirror.collection.cid, now.0],
            )?;
        } else {
            self.conn.execute(
                "UPDATE mirrors SET error = ?2 WHERE cid = ?1",
                params![mirror.collection.cid, error],
            )?;
        }
        Ok(())
    }

    /// Stops applying a mirror for good: the peer was caught misbehaving.
    /// What was applied stays.
    pub fn halt_mirror(&mut self, mirror: &Mirror, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE mirrors SET halted = ?2 WHERE cid = ?1 AND halted IS NULL",
            params![mirror.collection.cid, reason],
        )?;
        Ok(())
    }

    /// Saves an unverified mirror's TAXII cursor.
    pub fn set_mirror_cursor(&mut self, mirror: &Mirror, cursor: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE mirrors SET cursor = ?2 WHERE cid = ?1",
            params![mirror.collection.cid, cursor],
        )?;
        Ok(())
    }

    /// The root of the mirror's tree at `size` (at most its size), from its tiles.
    pub fn mirror_root_at(&self, mirror: &Mirror, size: u64) -> Result<tlog::Hash> {
        let coll = collection::find(&self.conn, &mirror.collection.id)?;
        let tiles = crate::log::read_tiles(&self.conn, &coll, tlog::root_tiles(size))?;
        Ok(tlog::tree_root(size, &tiles)?)
    }

    /// The tiles of the mirror's tree that prove consistency from `old` to its size.
    pub fn mirror_tiles(&self, mirror: &Mirror, old: u64) -> Result<tlog::TileSet> {
        let coll = collection::find(&self.conn, &mirror.collection.id)?;
        crate::log::read_tiles(
            &self.conn,
            &coll,
            tlog::consistency_tiles(old, coll.size)?
                .into_iter()
                .chain(tlog::root_tiles(old)),
        )
    }

    /// Applies the peer's entries from the mirror's size up to `checkpoint`
    /// (verified by the caller with the peer's key), in one transaction.
    ///
    /// `chunks` yields the entries in log order, [`Prepared`] (hashed, parsed
    /// strictly, judged), exactly from the mirror's size to the
    /// checkpoint's. Their leaf hashes must lead, from the mirror's tree, to
    /// the checkpoint's root; otherwise nothing is stored and
    /// [`MirrorError::RootMismatch`] says so.
    pub fn apply_mirror(
        &mut self,
        mirror: &Mirror,
        checkpoint: &PeerCheckpoint,
        chunks: &mut dyn Iterator<Item = std::result::Result<Vec<Prepared>, String>>,
    ) -> std::result::Result<Applied, MirrorError> {
        let key = mirror
            .key
            .as_deref()
            .ok_or(StoreError::Unreachable("a verified mirror without a key"))?;
        let key = tlog::Verifier::parse(key)
            .map_err(|e| StoreError::Corrupt(format!("the key of mirror {}: {e}", mirror.peer)))?;
        let Store { conn, edges, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let coll = collection::find(&tx, &mirror.collection.id)?;
        let from = coll.size;
        let origin = peer_origin(&key, &mirror.remote_id);
        let mut writer = edges.edge_verified(&tx, &coll, &|note| {
            crate::verify_checkpoint(note, Some(&origin), &key)
        })?;
        let mut applied = Applied::default();
        let mut leaves = Vec::new();
        let mut index = Indexer::new(&tx, coll.cid, coll.last_added, from == 0)?;
        for chunk in chunks {
            let chunk = chunk.map_err(MirrorError::Source)?;
            for entry in chunk {
                let at = from + leaves.len() as u64;
                if at >= checkpoint.size {
                    return Err(MirrorError::Entry(format!(
                        "more entries than the checkpoint's {}",
                        checkpoint.size
                    )));
                }
                if entry.bytes.len() > MAX_ENTRY_BYTES {
                    return Err(MirrorError::Entry(format!("entry {at} is too large")));
                }
                leaves.push(entry.leaf);
                index.entry(at, entry, &mut applied)?;
            }
        }
        let batch = writer
            .append_batch(&leaves)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if batch.size != checkpoint.size || batch.root != checkpoint.root {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            return Err(MirrorError::RootMismatch {
                from,
                to: checkpoint.size,
                got: format!("{} at size {}", b64.encode(batch.root), batch.size),
                want: b64.encode(checkpoint.root),
            });
        }
        let last_added = index.last_added;
        drop(index);
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO tiles (cid, level, idx, data) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, data) in &batch.tiles {
                put.execute(params![coll.cid, id.level(), id.index() as i64, data])?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO checkpoints (cid, size, note) VALUES (?1, ?2, ?3)",
            params![coll.cid, checkpoint.size as i64, checkpoint.note],
        )?;
        tx.execute(
            "UPDATE collections SET size = ?2, last_added = ?3 WHERE cid = ?1",
            params![coll.cid, checkpoint.size as i64, last_added.0],
        )?;
        tx.commit()?;
        edges.put(coll.cid, writer);
        applied.entries = leaves.len() as u64;
        applied.size = checkpoint.size;
        Ok(applied)
    }

    /// Stores a newer copy of the checkpoint the mirror is at (the same tree,
    /// with more cosignatures).
    pub fn refresh_mirror_checkpoint(&mut self, mirror: &Mirror, note: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE checkpoints SET note = ?3 WHERE cid = ?1 AND size = ?2",
            params![mirror.collection.cid, mirror.collection.size as i64, note],
        )?;
        Ok(())
    }
}

/// The origin line of a peer's log and the key its checkpoints verify with:
/// a node names its logs `<node name>/<collection id>`, and its key is named
/// after the node.
pub fn peer_origin(key: &tlog::Verifier, remote_id: &str) -> String {
    format!("{}/{remote_id}", key.name())
}

/// The origin and key a collection's checkpoints verify with: the node's own,
/// or for a verified mirror its peer's.
pub(crate) fn log_identity(store: &Store, coll: &Collection) -> Result<(String, tlog::Verifier)> {
    if coll.peer.is_some() {
        let mirror = store.mirror_by_cid(coll.cid)?;
        if let (true, Some(key)) = (mirror.verified, mirror.key.as_deref()) {
            let key = tlog::Verifier::parse(key).map_err(|e| {
                StoreError::Corrupt(format!("the key of mirror {}: {e}", mirror.peer))
            })?;
            return Ok((peer_origin(&key, &mirror.remote_id), key));
        }
    }
    Ok((store.node.origin(&coll.id), store.node.verifier()))
}

fn count(conn: &rusqlite::Connection, sql: &str, cid: i64) -> Result<u64> {
    Ok(conn.query_row(sql, [cid], |r| r.get::<_, i64>(0))? as u64)
}

/// The entries of collection `cid` marked as not a valid envelope, in log order.
pub(crate) fn invalid_entries(conn: &rusqlite::Connection, cid: i64) -> Result<Vec<(u64, String)>> {
    Ok(conn
        .prepare_cached("SELECT idx, reason FROM invalid_entries WHERE cid = ?1 ORDER BY idx")?
        .query_map([cid], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The namespace of mirrors' local collection ids (UUIDv5).
const MIRROR_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6d1c_3a52_8f0e_4b7a_9d61_2c4e_5f80_a1b3);

/// Indexes a peer's entries as they are applied: versions, withdrawals and holds.
struct Indexer<'t> {
    conn: &'t rusqlite::Connection,
    insert_entry: rusqlite::CachedStatement<'t>,
    insert_version: rusqlite::CachedStatement<'t>,
    latest: rusqlite::CachedStatement<'t>,
    clear_latest: rusqlite::CachedStatement<'t>,
    withdraw: rusqlite::CachedStatement<'t>,
    quarantine: rusqlite::CachedStatement<'t>,
    invalid: rusqlite::CachedStatement<'t>,
    cid: i64,
    last_added: Micros,
    /// On a mirror's first round, the ids indexed so far: an id not among
    /// them has no version yet, so its latest version need not be looked up.
    /// Hashed with ahash, randomised per process (the ids are the peer's).
    fresh: Option<std::collections::HashSet<String, ahash::RandomState>>,
}

impl<'t> Indexer<'t> {
    fn new(
        tx: &'t rusqlite::Transaction<'_>,
        cid: i64,
        last_added: Micros,
        empty: bool,
    ) -> Result<Self> {
        Ok(Indexer {
            conn: tx,
            insert_entry: tx
                .prepare_cached("INSERT INTO entries (cid, idx, data) VALUES (?1, ?2, ?3)")?,
            insert_version: tx.prepare_cached(
                "INSERT OR IGNORE INTO versions (cid, id, version, date_added, idx, vkey, latest, held)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            latest: tx.prepare_cached(
                "SELECT vkey FROM versions WHERE cid = ?1 AND id = ?2 AND latest = 1",
            )?,
            clear_latest: tx.prepare_cached(
                "UPDATE versions SET latest = 0 WHERE cid = ?1 AND id = ?2 AND latest = 1",
            )?,
            withdraw: tx.prepare_cached(
                "UPDATE versions SET withdrawn = ?3, latest = 0 WHERE cid = ?1 AND id = ?2 AND withdrawn IS NULL",
            )?,
            quarantine: tx.prepare_cached(
                "INSERT OR REPLACE INTO quarantine (cid, id, version, reason, state, invalid) VALUES (?1, ?2, ?3, ?4, 'held', ?5)",
            )?,
            invalid: tx.prepare_cached(
                "INSERT OR REPLACE INTO invalid_entries (cid, idx, reason) VALUES (?1, ?2, ?3)",
            )?,
            cid,
            last_added,
            fresh: empty.then(Default::default),
        })
    }

    /// Stores entry `at` and indexes what it says.
    fn entry(&mut self, at: u64, entry: Prepared, applied: &mut Applied) -> Result<()> {
        self.insert_entry
            .execute(params![self.cid, at as i64, entry.bytes])?;
        let stamp = match &entry.says {
            Says::Add { stamp, .. } | Says::Withdraw { stamp, .. } => *stamp,
            Says::Invalid(reason) => {
                self.invalid.execute(params![self.cid, at as i64, reason])?;
                applied.invalid_entries += 1;
                return Ok(());
            }
        };
        // Kept increasing whatever the peer wrote: the views page by it.
        let date_added = Micros(stamp.0.max(self.last_added.0 + 1));
        self.last_added = date_added;
        match entry.says {
            Says::Withdraw { id, .. } => {
                self.withdraw.execute(params![self.cid, id, at as i64])?;
                applied.withdrawals += 1;
            }
            Says::Add {
                id, version, held, ..
            } => {
                let vkey = read::vkey(&version);
                let unseen = match &mut self.fresh {
                    Some(seen) => seen.insert(id.clone()),
                    None => false,
                };
                let newest: Option<String> = if held.is_some() || unseen {
                    None
                } else {
                    self.latest
                        .query_row(params![self.cid, id], |r| r.get(0))
                        .optional()?
                };
                let latest = match &newest {
                    _ if held.is_some() => false,
                    Some(current) if *current >= vkey => false,
                    Some(_) => {
                        self.clear_latest.execute(params![self.cid, id])?;
                        true
                    }
                    None => true,
                };
                let inserted = self.insert_version.execute(params![
                    self.cid,
                    id,
                    version,
                    date_added.0,
                    at as i64,
                    vkey,
                    latest,
                    held.is_some()
                ])?;
                if inserted == 0 {
                    // The same version twice in the peer's log: the first stays indexed.
                    applied.unindexed += 1;
                    if latest {
                        self.clear_latest.execute(params![self.cid, id])?;
                        latest_again(self.conn, self.cid, &id)?;
                    }
                    return Ok(());
                }
                if let Some(held) = held {
                    self.quarantine.execute(params![
                        self.cid,
                        id,
                        version,
                        held.reason,
                        held.invalid
                    ])?;
                    applied.held += 1;
                    applied.invalid_objects += u64::from(held.invalid);
                }
                applied.objects += 1;
            }
            Says::Invalid(_) => {}
        }
        Ok(())
    }
}

/// Marks the newest live, released version of `id` as the latest.
pub(crate) fn latest_again(conn: &rusqlite::Connection, cid: i64, id: &str) -> Result<()> {
    conn.execute(
        "UPDATE versions SET latest = 1 WHERE cid = ?1 AND id = ?2 AND vkey = (
             SELECT MAX(vkey) FROM versions WHERE cid = ?1 AND id = ?2 AND withdrawn IS NULL AND held = 0)
           AND withdrawn IS NULL AND held = 0",
        params![cid, id],
    )?;
    Ok(())
}
