//! The write path: appending object versions and withdrawals to a collection's log.
//!
//! One call is one SQLite transaction that validates nothing (the caller hands in
//! [`stix::Validated`] objects), canonicalises, appends the entries, integrates
//! them into the tree, writes the changed tiles and signs a checkpoint. There is
//! no *pending* state visible to anyone: an entry is either integrated under a
//! signed checkpoint or was never written.

use std::collections::HashMap;

use rusqlite::{TransactionBehavior, params};
use stix::{Object, Validated};

use crate::entry::{Entry, MAX_ENTRY_BYTES};
use crate::error::{Result, StoreError};
use crate::time::Micros;
use crate::{Store, collection};
use tlog::TileWriter;

/// What happened to each object of a batch, and the checkpoint that covers them.
#[derive(Debug)]
pub struct AppendOutcome {
    /// One result per object, in input order.
    pub results: Vec<ObjectOutcome>,
    /// The log size after the batch.
    pub size: u64,
    /// The signed checkpoint (a C2SP signed note) covering the whole batch.
    pub checkpoint: String,
}

/// The result for one object of a batch.
#[derive(Debug)]
pub struct ObjectOutcome {
    /// The object's id.
    pub id: String,
    /// Its version: `modified`, else `created`, else (SCOs) its `date_added`.
    pub version: String,
    /// What happened.
    pub status: Outcome,
}

/// What happened to one object.
#[derive(Debug)]
pub enum Outcome {
    /// A new entry was appended.
    Added {
        /// Its log index.
        index: u64,
        /// When it was added.
        date_added: Micros,
    },
    /// An identical version was already stored; nothing was appended.
    Unchanged {
        /// The log index of the stored entry.
        index: u64,
        /// When it was first added.
        date_added: Micros,
    },
    /// The object was refused; the others of the batch are unaffected.
    Rejected(StoreError),
}

impl Outcome {
    /// Whether the object is in the log after the batch.
    pub fn is_success(&self) -> bool {
        !matches!(self, Outcome::Rejected(_))
    }
}

/// A version of an object already in the log.
#[derive(Debug, Clone)]
struct StoredVersion {
    version: String,
    index: u64,
    date_added: Micros,
    withdrawn: Option<u64>,
}

/// A version appended earlier in the same batch, with its canonical bytes.
struct BatchVersion<'a> {
    stored: StoredVersion,
    versioned: bool,
    canonical: &'a [u8],
}

impl BatchVersion<'_> {
    /// The stored version this object would duplicate, and whether its content is the same.
    fn matches(&self, version: Option<&str>, canonical: &[u8]) -> Option<(StoredVersion, bool)> {
        let same = self.canonical == canonical;
        match version {
            Some(v) if self.versioned && self.stored.version == v => {
                Some((self.stored.clone(), same))
            }
            None if !self.versioned && same => Some((self.stored.clone(), true)),
            _ => None,
        }
    }
}

/// Finds the stored version an object would duplicate: the one with the same
/// version key (same content or not), or for an unversioned SCO the one with
/// identical content. Content is compared on the stored entry's bytes, so only
/// objects whose id is already known pay for it.
fn find_stored(
    tx: &rusqlite::Transaction<'_>,
    coll: &collection::Collection,
    rows: Vec<StoredVersion>,
    version: Option<&str>,
    canonical: &[u8],
) -> Result<Option<(StoredVersion, bool)>> {
    for row in rows {
        if version.is_some_and(|v| v != row.version) {
            continue;
        }
        let bytes = crate::read::entry_bytes(tx, coll, row.index)?;
        let same = match Entry::from_bytes(&bytes) {
            Ok(Entry::Add { object, .. }) => {
                stix::canonical::to_vec(&object).is_ok_and(|c| c == canonical)
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "entry {} of {} is not the add entry the index says; run `entente audit`",
                    row.index, coll.id
                )));
            }
        };
        if version.is_some() || same {
            return Ok(Some((row, same)));
        }
    }
    Ok(None)
}

/// The version key of an object: `modified`, else `created`; `None` for SCOs,
/// which are not versioned and get their `date_added` as version (TAXII leaves
/// the choice to the server). The same rule as [`crate::entry::version_of`],
/// which mirrors and proofs read entries with.
fn version_of(object: &Object) -> Option<&str> {
    object.modified().or_else(|| object.created())
}

impl Store {
    /// Appends `objects` to the collection's log in one SQLite transaction.
    ///
    /// When this returns `Ok`, every entry it reports as added, and the
    /// checkpoint covering it, MUST survive `kill -9` at any later instant: the
    /// commit runs with `synchronous = FULL`. Callers MUST NOT acknowledge a
    /// write before it returns. Identical versions already stored are reported
    /// as [`Outcome::Unchanged`]; objects the log cannot take (too large, a
    /// conflicting version) are reported as [`Outcome::Rejected`] and the rest
    /// of the batch goes ahead. `now` stamps `date_added`, kept strictly
    /// increasing within the collection.
    pub fn append(
        &mut self,
        collection: &str,
        objects: &[Validated<Object>],
        now: Micros,
    ) -> Result<AppendOutcome> {
        self.append_recording(collection, objects, now, |_| Vec::new())
    }

    /// [`Store::append`], also storing the status resources `record` makes
    /// from the outcome in the same transaction, so a
    /// status never reports a write that did not commit, and a committed
    /// write always has its status.
    pub fn append_recording(
        &mut self,
        collection: &str,
        objects: &[Validated<Object>],
        now: Micros,
        record: impl FnOnce(&AppendOutcome) -> Vec<crate::Status>,
    ) -> Result<AppendOutcome> {
        self.append_inner(collection, objects, now, record, None)
    }

    /// Appends what a plain TAXII feed gave to its (unverified) mirror, asking
    /// `hold` about each object: a reason quarantines that version.
    pub fn append_to_mirror(
        &mut self,
        mirror: &crate::Mirror,
        objects: &[Validated<Object>],
        now: Micros,
        hold: crate::HoldCheck<'_>,
    ) -> Result<AppendOutcome> {
        if mirror.verified {
            return Err(StoreError::ReadOnlyMirror {
                collection: mirror.collection.id.clone(),
                peer: mirror.peer.clone(),
            });
        }
        self.append_inner(
            &mirror.collection.id,
            objects,
            now,
            |_| Vec::new(),
            Some(hold),
        )
    }

    fn append_inner(
        &mut self,
        collection: &str,
        objects: &[Validated<Object>],
        now: Micros,
        record: impl FnOnce(&AppendOutcome) -> Vec<crate::Status>,
        mut hold: Option<crate::HoldCheck<'_>>,
    ) -> Result<AppendOutcome> {
        let Store {
            conn, node, edges, ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let coll = collection::find(&tx, collection)?;
        // Only syncing adds to a mirror.
        if let (Some(peer), None) = (&coll.peer, &hold) {
            return Err(StoreError::ReadOnlyMirror {
                collection: coll.id.clone(),
                peer: peer.clone(),
            });
        }
        let mut edge = edges.edge(&tx, node, &coll)?;
        let mut last_added = coll.last_added;

        let mut results = Vec::with_capacity(objects.len());
        let mut leaves = Vec::with_capacity(objects.len());
        // Versions added earlier in this same batch, so a repeated object is unchanged too.
        let mut in_batch: HashMap<String, Vec<BatchVersion>> = HashMap::new();
        {
            let mut lookup = tx.prepare_cached(
                "SELECT version, idx, date_added, withdrawn, latest, vkey FROM versions WHERE cid = ?1 AND id = ?2",
            )?;
            let mut insert_entry =
                tx.prepare_cached("INSERT INTO entries (cid, idx, data) VALUES (?1, ?2, ?3)")?;
            let mut insert_version = tx.prepare_cached(
                "INSERT INTO versions (cid, id, version, date_added, idx, vkey, latest, held) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut quarantine = tx.prepare_cached(
                "INSERT OR REPLACE INTO quarantine (cid, id, version, reason, state) VALUES (?1, ?2, ?3, ?4, 'held')",
            )?;
            let mut clear_latest = tx.prepare_cached(
                "UPDATE versions SET latest = 0 WHERE cid = ?1 AND id = ?2 AND latest = 1",
            )?;
            let mut next_index = coll.size;
            for object in objects {
                let id = object.id().to_owned();
                if !coll.audience.is_empty() && stix::effective_tlp(object) == Some(stix::Tlp::Red)
                {
                    let version = version_of(object).unwrap_or_default().to_owned();
                    let err = StoreError::MarkingForbidden {
                        id: id.clone(),
                        collection: coll.alias.clone().unwrap_or_else(|| coll.id.clone()),
                        audience: coll.audience.clone(),
                    };
                    results.push(ObjectOutcome {
                        id,
                        version,
                        status: Outcome::Rejected(err),
                    });
                    continue;
                }
                let canonical = object
                    .canonical_bytes()
                    .map_err(|e| StoreError::Corrupt(format!("{id}: cannot canonicalise: {e}")))?;
                let date_added = Micros(now.0.max(last_added.0 + 1));
                let versioned = version_of(object);

                let stored = match in_batch.get(&id) {
                    Some(earlier) => earlier.iter().find_map(|v| v.matches(versioned, canonical)),
                    None => None,
                };
                // The newest live version's key, from the same lookup (which sees
                // this batch's earlier rows: they are in the transaction already).
                let mut newest: Option<String> = None;
                let stored = match stored {
                    Some(s) => Some(s),
                    None => {
                        let mut rows = Vec::new();
                        for row in lookup.query_map(params![coll.cid, id], |r| {
                            Ok((
                                StoredVersion {
                                    version: r.get(0)?,
                                    index: r.get::<_, i64>(1)? as u64,
                                    date_added: Micros(r.get(2)?),
                                    withdrawn: r.get::<_, Option<i64>>(3)?.map(|w| w as u64),
                                },
                                r.get::<_, bool>(4)?,
                                r.get::<_, String>(5)?,
                            ))
                        })? {
                            let (row, latest, vkey) = row?;
                            if latest {
                                newest = Some(vkey);
                            }
                            rows.push(row);
                        }
                        find_stored(&tx, &coll, rows, versioned, canonical)?
                    }
                };
                if let Some((stored, same_content)) = stored {
                    let status = if !same_content {
                        Outcome::Rejected(StoreError::VersionConflict {
                            id: id.clone(),
                            version: stored.version.clone(),
                        })
                    } else if let Some(w) = stored.withdrawn {
                        Outcome::Rejected(StoreError::WithdrawnVersion {
                            id: id.clone(),
                            version: stored.version.clone(),
                            index: w,
                        })
                    } else {
                        Outcome::Unchanged {
                            index: stored.index,
                            date_added: stored.date_added,
                        }
                    };
                    results.push(ObjectOutcome {
                        id,
                        version: stored.version,
                        status,
                    });
                    continue;
                }
                let version = match versioned {
                    Some(v) => v.to_owned(),
                    None => date_added.to_string(),
                };

                let bytes = Entry::add_bytes(date_added, canonical);
                if bytes.len() > MAX_ENTRY_BYTES {
                    let err = StoreError::EntryTooLarge {
                        id: id.clone(),
                        size: bytes.len(),
                        max: MAX_ENTRY_BYTES,
                    };
                    results.push(ObjectOutcome {
                        id,
                        version,
                        status: Outcome::Rejected(err),
                    });
                    continue;
                }
                let index = next_index;
                let vkey = crate::read::vkey(&version);
                let held = match hold.as_mut() {
                    Some(check) => check(&crate::ObjectFacts::of(object.as_value())),
                    None => None,
                };
                // The newest live, released version carries the `latest` mark.
                let latest = match newest {
                    _ if held.is_some() => false,
                    Some(current) if current >= vkey => false,
                    Some(_) => {
                        clear_latest.execute(params![coll.cid, id])?;
                        true
                    }
                    None => true,
                };
                insert_entry.execute(params![coll.cid, index as i64, bytes])?;
                insert_version.execute(params![
                    coll.cid,
                    id,
                    version,
                    date_added.0,
                    index as i64,
                    vkey,
                    latest,
                    held.is_some()
                ])?;
                if let Some(reason) = held {
                    quarantine.execute(params![coll.cid, id, version, reason])?;
                }
                leaves.push(tlog::leaf_hash(&bytes));
                in_batch.entry(id.clone()).or_default().push(BatchVersion {
                    stored: StoredVersion {
                        version: version.clone(),
                        index,
                        date_added,
                        withdrawn: None,
                    },
                    versioned: versioned.is_some(),
                    canonical,
                });
                last_added = date_added;
                next_index += 1;
                results.push(ObjectOutcome {
                    id,
                    version,
                    status: Outcome::Added { index, date_added },
                });
            }
        }

        if leaves.is_empty() {
            // Nothing new: no checkpoint to sign, only statuses to commit.
            let outcome = AppendOutcome {
                results,
                size: coll.size,
                checkpoint: crate::read::latest_checkpoint(&tx, &coll)?,
            };
            let statuses = record(&outcome);
            if !statuses.is_empty() {
                insert_statuses(&tx, now, &statuses)?;
                tx.commit()?;
            }
            return Ok(outcome);
        }
        let checkpoint = integrate(&tx, node, &coll, &mut edge, &leaves, last_added)?;
        let outcome = AppendOutcome {
            results,
            size: edge.size(),
            checkpoint,
        };
        insert_statuses(&tx, now, &record(&outcome))?;
        // Crash here: nothing is committed; the batch was never acknowledged and
        // the reopened store is exactly as before the call.
        tx.commit()?;
        // Crash here: the batch and its checkpoint are durable; the caller may not
        // have printed its acknowledgement yet, which errs on the safe side.
        edges.put(coll.cid, edge);
        Ok(outcome)
    }

    /// Withdraws every version of an object by appending a withdrawal entry.
    ///
    /// Nothing is removed from the log: the versions stay provable, and the
    /// withdrawal itself is an entry under the next checkpoint. Same durability
    /// contract as [`Store::append`]. Returns the withdrawal's log index and
    /// the new checkpoint.
    pub fn withdraw(&mut self, collection: &str, id: &str, now: Micros) -> Result<(u64, String)> {
        let Store {
            conn, node, edges, ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let coll = collection::find(&tx, collection)?;
        if let Some(peer) = &coll.peer {
            return Err(StoreError::ReadOnlyMirror {
                collection: coll.id.clone(),
                peer: peer.clone(),
            });
        }
        let (live, total): (i64, i64) = tx.query_row(
            "SELECT COUNT(*) FILTER (WHERE withdrawn IS NULL), COUNT(*) FROM versions WHERE cid = ?1 AND id = ?2",
            params![coll.cid, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if total == 0 {
            return Err(StoreError::UnknownObject {
                id: id.into(),
                version: None,
            });
        }
        if live == 0 {
            return Err(StoreError::AlreadyWithdrawn { id: id.into() });
        }
        let mut edge = edges.edge(&tx, node, &coll)?;
        let date_added = Micros(now.0.max(coll.last_added.0 + 1));
        let bytes = Entry::Withdraw {
            date_added,
            id: id.to_owned(),
        }
        .to_bytes()
        .map_err(|e| StoreError::Corrupt(format!("cannot canonicalise a withdrawal: {e}")))?;
        let index = coll.size;
        tx.execute(
            "INSERT INTO entries (cid, idx, data) VALUES (?1, ?2, ?3)",
            params![coll.cid, index as i64, bytes],
        )?;
        tx.execute(
            "UPDATE versions SET withdrawn = ?3, latest = 0 WHERE cid = ?1 AND id = ?2 AND withdrawn IS NULL",
            params![coll.cid, id, index as i64],
        )?;
        let checkpoint = integrate(
            &tx,
            node,
            &coll,
            &mut edge,
            &[tlog::leaf_hash(&bytes)],
            date_added,
        )?;
        tx.commit()?;
        edges.put(coll.cid, edge);
        Ok((index, checkpoint))
    }
}

fn insert_statuses(
    tx: &rusqlite::Transaction<'_>,
    now: Micros,
    statuses: &[crate::Status],
) -> Result<()> {
    for status in statuses {
        crate::serve::insert_status(tx, status, now)?;
    }
    Ok(())
}

/// Integrates new leaves into the tree inside the caller's transaction:
/// writes the changed tiles, signs and stores the checkpoint, and moves the
/// collection's size. Returns the signed checkpoint.
fn integrate(
    tx: &rusqlite::Transaction<'_>,
    node: &crate::Node,
    coll: &collection::Collection,
    edge: &mut TileWriter,
    leaves: &[tlog::Hash],
    last_added: Micros,
) -> Result<String> {
    let batch = edge.append_batch(leaves)?;
    {
        // One row per tile: the widest copy, since a partial tile is a prefix of it.
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO tiles (cid, level, idx, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (id, data) in &batch.tiles {
            put.execute(params![coll.cid, id.level(), id.index() as i64, data])?;
        }
    }
    // The tree state is in the transaction before the checkpoint is signed, so
    // a signed checkpoint never exists without the tiles that prove it.
    let note = node.sign_checkpoint(&coll.id, batch.size, &batch.root)?;
    tx.execute(
        "INSERT INTO checkpoints (cid, size, note) VALUES (?1, ?2, ?3)",
        params![coll.cid, batch.size as i64, note],
    )?;
    tx.execute(
        "UPDATE collections SET size = ?2, last_added = ?3 WHERE cid = ?1",
        params![coll.cid, batch.size as i64, last_added.0],
    )?;
    Ok(note)
}
