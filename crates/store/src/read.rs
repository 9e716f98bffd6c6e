//! The read side: checkpoints, object versions, entries and inclusion proofs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::collection::{self, Collection};
use crate::entry::Entry;
use crate::error::{Result, StoreError};
use crate::time::Micros;
use crate::{Store, log};

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The object id.
    pub id: String,
    /// Its version (`modified`, `created`, or the `date_added` of an SCO).
    pub version: String,
    /// When it was added to this collection.
    pub date_added: Micros,
    /// Its log index.
    pub index: u64,
    /// The log index of the withdrawal entry, if withdrawn.
    pub withdrawn: Option<u64>,
}

/// A self-contained, offline-verifiable proof that an object version is in a
/// collection's log: the entry, its index, the inclusion proof and the signed
/// checkpoint it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    /// Always `entente-proof/v1`.
    pub format: String,
    /// The collection id.
    pub collection: String,
    /// The object id the entry is about.
    pub object_id: String,
    /// The object version.
    pub version: String,
    /// The entry's log index.
    pub index: u64,
    /// The entry's bytes, base64 (RFC 4648, padded).
    pub entry: String,
    /// The inclusion proof, leaf's sibling first, base64 hashes.
    pub proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note) the proof leads to.
    pub checkpoint: String,
}

/// The format tag of a [`ProofBundle`].
pub const PROOF_FORMAT: &str = "entente-proof/v1";

/// What a verified [`ProofBundle`] establishes.
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    /// The log's origin line.
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// The entry's index.
    pub index: u64,
    /// The entry, decoded.
    pub entry: Entry,
}

/// Why a [`ProofBundle`] was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The bundle is not well formed.
    #[error("malformed proof bundle: {0}")]
    Malformed(String),
    /// The checkpoint's signature does not verify under the given key.
    #[error("checkpoint: {0}")]
    Checkpoint(tlog::Error),
    /// The checkpoint's origin is not this collection's.
    #[error("the checkpoint is for log {found:?}, not {expected:?}")]
    WrongOrigin {
        /// The origin line in the checkpoint.
        found: String,
        /// `<node name>/<collection>`.
        expected: String,
    },
    /// The inclusion proof does not lead to the checkpoint's root.
    #[error("inclusion proof of index {index} in size {size} does not verify: {source}")]
    Inclusion {
        /// The entry index.
        index: u64,
        /// The checkpoint size.
        size: u64,
        /// What failed.
        source: tlog::VerifyError,
    },
    /// The entry is not the object version the bundle claims.
    #[error("the entry is not {claimed}: {reason}")]
    WrongEntry {
        /// `id@version` claimed.
        claimed: String,
        /// What the entry holds instead.
        reason: String,
    },
}

impl ProofBundle {
    /// Verifies the bundle offline against the node's verifier key.
    ///
    /// Checks, in order: the checkpoint's signature, that its origin is the
    /// bundle's collection under the key's name, the inclusion proof of the
    /// entry's leaf hash up to the checkpoint's root, and that the entry
    /// holds the claimed object version.
    pub fn verify(&self, key: &tlog::Verifier) -> std::result::Result<VerifiedProof, ProofError> {
        if self.format != PROOF_FORMAT {
            return Err(ProofError::Malformed(format!(
                "format {:?}, expected {PROOF_FORMAT:?}",
                self.format
            )));
        }
        let checkpoint = crate::verify_checkpoint(self.checkpoint.as_bytes(), None, key)
            .map_err(ProofError::Checkpoint)?;
        let expected = format!("{}/{}", key.name(), self.collection);
        if checkpoint.origin != expected {
            return Err(ProofError::WrongOrigin {
                found: checkpoint.origin,
                expected,
            });
        }
        let bytes = B64
            .decode(&self.entry)
            .map_err(|e| ProofError::Malformed(format!("entry is not base64: {e}")))?;
        let proof = self
            .proof
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let raw = B64
                    .decode(h)
                    .map_err(|e| ProofError::Malformed(format!("proof[{i}] is not base64: {e}")))?;
                <tlog::Hash>::try_from(raw.as_slice()).map_err(|_| {
                    ProofError::Malformed(format!("proof[{i}] is {} bytes, not 32", raw.len()))
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let size = checkpoint.size;
        tlog::verify_inclusion(
            &tlog::leaf_hash(&bytes),
            self.index,
            size,
            &proof,
            &checkpoint.root,
        )
        .map_err(|source| ProofError::Inclusion {
            index: self.index,
            size,
            source,
        })?;
        let claimed = format!("{}@{}", self.object_id, self.version);
        let entry = Entry::from_bytes(&bytes).map_err(|e| ProofError::WrongEntry {
            claimed: claimed.clone(),
            reason: e.to_string(),
        })?;
        let holds = entry.object_id() == Some(self.object_id.as_str())
            && entry.version().as_deref() == Some(self.version.as_str());
        if !holds {
            let reason = match &entry {
                Entry::Add { object, .. } => format!(
                    "it adds {}",
                    object.get("id").and_then(|v| v.as_str()).unwrap_or("?")
                ),
                Entry::Withdraw { id, .. } => format!("it withdraws {id}"),
            };
            return Err(ProofError::WrongEntry { claimed, reason });
        }
        Ok(VerifiedProof {
            origin: checkpoint.origin,
            size,
            index: self.index,
            entry,
        })
    }
}

/// A version as text whose byte order is its time order, whatever the
/// precision it was written with: `YYYY-MM-DDTHH:MM:SS.` and the fraction
/// without trailing zeros, padded to at least nine digits.
/// `…00.5Z`, `…00.500Z` and `…00.500000000Z` all give `…00.500000000`.
pub fn vkey(version: &str) -> String {
    let trimmed = version.trim_end_matches('Z');
    let (secs, frac) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let frac = frac.trim_end_matches('0');
    format!("{secs}.{frac:0<9}")
}

/// The latest signed checkpoint of a collection, with any cosignature lines appended.
pub(crate) fn latest_checkpoint(conn: &Connection, coll: &Collection) -> Result<String> {
    checkpoint_at(conn, coll, coll.size)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "collection {} has no checkpoint at its size {}",
            coll.id, coll.size
        ))
    })
}

fn checkpoint_at(conn: &Connection, coll: &Collection, size: u64) -> Result<Option<String>> {
    let note: Option<String> = conn
        .query_row(
            "SELECT note FROM checkpoints WHERE cid = ?1 AND size = ?2",
            params![coll.cid, size as i64],
            |r| r.get(0),
        )
        .optional()?;
    let Some(mut note) = note else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT line FROM cosignatures WHERE cid = ?1 AND size = ?2 ORDER BY line",
    )?;
    for line in stmt.query_map(params![coll.cid, size as i64], |r| r.get::<_, String>(0))? {
        note.push_str(&line?);
        note.push('\n');
    }
    Ok(Some(note))
}

impl Store {
    /// The latest signed checkpoint of a collection.
    pub fn checkpoint(&self, collection: &str) -> Result<String> {
        let coll = collection::find(&self.conn, collection)?;
        latest_checkpoint(&self.conn, &coll)
    }

    /// Every stored version of an object, oldest first.
    pub fn versions(&self, collection: &str, id: &str) -> Result<Vec<ObjectVersion>> {
        let coll = collection::find(&self.conn, collection)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, date_added, idx, withdrawn FROM versions WHERE cid = ?1 AND id = ?2",
        )?;
        let mut versions = stmt
            .query_map(params![coll.cid, id], |r| {
                Ok(ObjectVersion {
                    id: id.to_owned(),
                    version: r.get(0)?,
                    date_added: Micros(r.get(1)?),
                    index: r.get::<_, i64>(2)? as u64,
                    withdrawn: r.get::<_, Option<i64>>(3)?.map(|w| w as u64),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        versions.sort_by_key(|v| vkey(&v.version));
        Ok(versions)
    }

    /// The entry at `index`.
    pub fn entry(&self, collection: &str, index: u64) -> Result<Vec<u8>> {
        let coll = collection::find(&self.conn, collection)?;
        entry_bytes(&self.conn, &coll, index)
    }

    /// A self-contained proof that a version of `id` (the latest when
    /// `version` is `None`) is in the collection's log, up to its latest
    /// signed checkpoint. Withdrawn versions stay provable.
    pub fn prove(&self, collection: &str, id: &str, version: Option<&str>) -> Result<ProofBundle> {
        let coll = collection::find(&self.conn, collection)?;
        let versions = self.versions(&coll.id, id)?;
        let chosen = match version {
            None => versions.last(),
            Some(v) => versions.iter().find(|x| vkey(&x.version) == vkey(v)),
        }
        .ok_or_else(|| StoreError::UnknownObject {
            id: id.into(),
            version: version.map(str::to_owned),
        })?;
        let bytes = entry_bytes(&self.conn, &coll, chosen.index)?;
        let proof =
            log::inclusion_proof(&self.conn, &self.expanded, &coll, chosen.index, coll.size)?;
        // A verified mirror proves with its peer's log, which names the collection by the peer's id.
        let (origin, _) = crate::mirror::log_identity(self, &coll)?;
        let logged_id = origin
            .split_once('/')
            .map_or(coll.id.as_str(), |(_, id)| id)
            .to_owned();
        Ok(ProofBundle {
            format: PROOF_FORMAT.into(),
            collection: logged_id,
            object_id: id.to_owned(),
            version: chosen.version.clone(),
            index: chosen.index,
            entry: B64.encode(&bytes),
            proof: proof.iter().map(|h| B64.encode(h)).collect(),
            checkpoint: latest_checkpoint(&self.conn, &coll)?,
        })
    }

    /// The inclusion proof of entry `index` in the collection's tree at `size`.
    pub fn inclusion_proof(
        &self,
        collection: &str,
        index: u64,
        size: u64,
    ) -> Result<Vec<tlog::Hash>> {
        let coll = collection::find(&self.conn, collection)?;
        log::inclusion_proof(&self.conn, &self.expanded, &coll, index, size)
    }

    /// A consistency proof from the collection's tree at `old` to its tree at
    /// `new` (both sizes of checkpoints it signed, or any sizes up to its size).
    pub fn consistency_proof(
        &self,
        collection: &str,
        old: u64,
        new: u64,
    ) -> Result<Vec<tlog::Hash>> {
        let coll = collection::find(&self.conn, collection)?;
        log::consistency_proof(&self.conn, &self.expanded, &coll, old, new)
    }

    /// The signed checkpoint of the collection at `size`, if one was issued.
    pub fn checkpoint_at(&self, collection: &str, size: u64) -> Result<Option<String>> {
        let coll = collection::find(&self.conn, collection)?;
        checkpoint_at(&self.conn, &coll, size)
    }

    /// Every live (not withdrawn, not quarantined) version of every object, in `date_added` order.
    ///
    /// A version whose entry is not the add entry the index says is left out
    /// and returned, for the caller to report: it must not stop an export.
    pub fn for_each_live_object<E: From<StoreError>>(
        &self,
        collection: &str,
        mut each: impl FnMut(serde_json::Value) -> std::result::Result<(), E>,
    ) -> std::result::Result<Vec<crate::Skipped>, E> {
        let coll = collection::find(&self.conn, collection)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.id, v.version, e.data, v.idx FROM versions v JOIN entries e ON e.cid = v.cid AND e.idx = v.idx
                 WHERE v.cid = ?1 AND v.withdrawn IS NULL AND v.held = 0 ORDER BY v.date_added",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt.query(params![coll.cid]).map_err(StoreError::from)?;
        let mut skipped = Vec::new();
        // Every version is kept (a bundle may carry several versions of an object).
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let bytes: Vec<u8> = row.get(2).map_err(StoreError::from)?;
            match Entry::from_bytes(&bytes) {
                Ok(Entry::Add { object, .. }) => each(object)?,
                Ok(Entry::Withdraw { .. }) | Err(_) => skipped.push(crate::Skipped {
                    id: row.get(0).map_err(StoreError::from)?,
                    index: row.get::<_, i64>(3).map_err(StoreError::from)? as u64,
                    reason: format!(
                        "entry is not the add entry the index says (`entente audit --deep {}` checks the index)",
                        coll.id
                    ),
                }),
            }
        }
        Ok(skipped)
    }
}

pub(crate) fn entry_bytes(conn: &Connection, coll: &Collection, index: u64) -> Result<Vec<u8>> {
    conn.query_row(
        "SELECT data FROM entries WHERE cid = ?1 AND idx = ?2",
        params![coll.cid, index as i64],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::Corrupt(format!("entry {index} of {} is missing", coll.id)))
}
