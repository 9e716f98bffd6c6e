//! Re-verification of a log from its entries: every leaf, tile and checkpoint.
//!
//! The audit trusts nothing it does not recompute. It reads every entry,
//! hashes it, rebuilds the tiles with the same [`tlog::TileWriter`] the write
//! path uses, and compares every stored tile and every signed checkpoint's
//! root with the recomputed ones. It stops at the first disagreement and names
//! the log index it concerns.
//!
//! * `entries` — reading and hashing entries on all cores, in log order.
//! * `recompute` — the rebuilt tree and its tile-by-tile comparison.

mod derived;
mod entries;
mod recompute;

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use self::entries::{DbEntries, DirEntries, Summary, hash_log};
use self::recompute::{DbTiles, DirTiles, Recompute};
use crate::error::{Result, StoreError};
use crate::{Store, collection};

/// Entry readers: one per core, capped (SQLite and SHA-256 scale to a few).
fn readers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4)
}

/// What an audit found.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// The log's origin line.
    pub origin: String,
    /// Entries recomputed.
    pub entries: u64,
    /// Hash tiles compared.
    pub tiles: u64,
    /// Signed checkpoints verified.
    pub checkpoints: u64,
    /// The recomputed root (base64) at the last entry read.
    pub root: String,
    /// The first disagreement, if any.
    pub mismatch: Option<Mismatch>,
}

/// The first disagreement between what is stored and what was recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The first log index concerned, when one can be named.
    pub index: Option<u64>,
    /// What disagrees.
    pub what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "at index {i}: {}", self.what),
            None => f.write_str(&self.what),
        }
    }
}

impl Store {
    /// Audits a collection: recomputes its tree from every entry, compares every
    /// stored tile, verifies every signed checkpoint against the node's key and
    /// the recomputed root at its size. With `deep`, also decodes every entry
    /// and checks the object index against the log. `progress` is told how
    /// many entries are done.
    pub fn audit(
        &self,
        collection: &str,
        deep: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<AuditReport> {
        // One snapshot for the bookkeeping; the entry readers use their own
        // connections, but entries below the snapshot's size never change.
        let tx = self.conn.unchecked_transaction()?;
        let coll = collection::find(&tx, collection)?;
        let (origin, verifier) = crate::mirror::log_identity(self, &coll)?;
        // Read as bytes: a note changed behind our back need not even be UTF-8.
        let checkpoints: Vec<(u64, Vec<u8>)> = {
            let mut stmt = tx.prepare(
                "SELECT size, CAST(note AS BLOB) FROM checkpoints WHERE cid = ?1 ORDER BY size",
            )?;
            stmt.query_map([coll.cid], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        // A mirror holds the peer's log as it is: entries marked invalid and
        // repeated versions are kept there but not indexed.
        let mut leeway = Leeway {
            mirror: coll.peer.is_some(),
            invalid: if deep && coll.peer.is_some() {
                crate::mirror::invalid_entries(&tx, coll.cid)?
                    .into_iter()
                    .map(|(idx, _)| idx)
                    .collect()
            } else {
                Default::default()
            },
            seen: Default::default(),
        };
        let mut index_rows = if deep {
            let mut stmt = tx.prepare(
                "SELECT idx, id, date_added FROM versions WHERE cid = ?1 ORDER BY date_added",
            )?;
            let rows = stmt
                .query_map([coll.cid], |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Some(rows.into_iter().peekable())
        } else {
            None
        };
        let tiles = DbTiles {
            conn: &tx,
            cid: coll.cid,
        };
        let mut recompute = Recompute::new(tiles);
        let mut report = AuditReport {
            origin: origin.clone(),
            entries: 0,
            tiles: 0,
            checkpoints: 0,
            root: String::new(),
            mismatch: None,
        };

        // Verifies the checkpoint stored for `size`, if any, against the recomputed root.
        let mut checkpoint_iter = checkpoints.iter().peekable();
        let mut check_checkpoint = |size: u64,
                                    root: &tlog::Hash,
                                    report: &mut AuditReport|
         -> Option<Mismatch> {
            while let Some((cp_size, note)) = checkpoint_iter.next_if(|(s, _)| *s <= size) {
                report.checkpoints += 1;
                let found = match crate::verify_checkpoint(note, Some(&origin), &verifier) {
                    Err(e) => Some(format!(
                        "the signed checkpoint at size {cp_size} does not verify: {e}"
                    )),
                    Ok(cp) if cp.size != *cp_size => Some(format!(
                        "the checkpoint stored for size {cp_size} says size {}",
                        cp.size
                    )),
                    Ok(cp) if cp.root != *root => Some(format!(
                        "the signed checkpoint at size {cp_size} has root {}, the entries give {}",
                        B64.encode(cp.root),
                        B64.encode(root)
                    )),
                    Ok(_) => None,
                };
                if let Some(what) = found {
                    return Some(Mismatch {
                        index: Some(cp_size.saturating_sub(1)),
                        what,
                    });
                }
            }
            None
        };
        let mut mismatch = check_checkpoint(0, &tlog::EMPTY_ROOT, &mut report);

        if mismatch.is_none() {
            let path = crate::node::db_path(&self.dir);
            let sources = (0..readers())
                .map(|_| DbEntries::open(&path, coll.cid))
                .collect::<Result<Vec<_>>>()?;
            let sizes: Vec<u64> = checkpoints.iter().map(|(s, _)| *s).collect();
            mismatch = hash_log(sources, deep, |first, leaves, summaries| {
                if let Some(rows) = index_rows.as_mut() {
                    for (i, summary) in summaries.iter().enumerate() {
                        if let Some(m) = check_index(first + i as u64, summary, rows, &mut leeway) {
                            return Ok(Some(m));
                        }
                    }
                }
                // Feed the leaves up to each checkpoint size in the chunk, and check there.
                let mut at = 0usize;
                while at < leaves.len() {
                    let size = recompute.writer.size();
                    let end = sizes
                        .iter()
                        .find(|&&s| s > size && s <= first + leaves.len() as u64)
                        .map_or(leaves.len(), |&s| (s - first) as usize);
                    if let Some(m) = recompute.append(&leaves[at..end])? {
                        return Ok(Some(m));
                    }
                    at = end;
                    if let Some(m) = check_checkpoint(
                        recompute.writer.size(),
                        &recompute.writer.root(),
                        &mut report,
                    ) {
                        return Ok(Some(m));
                    }
                }
                progress(recompute.writer.size());
                Ok(None)
            })?;
        }
        if mismatch.is_none() {
            mismatch = recompute.finish()?;
        }
        report.entries = recompute.writer.size();
        report.tiles = recompute.tiles;
        report.root = B64.encode(recompute.writer.root());
        if mismatch.is_none() {
            mismatch = check_sizes(
                &tx,
                &coll,
                report.entries,
                &checkpoints,
                recompute.tiles,
                index_rows.as_mut(),
            )?;
        }
        if mismatch.is_none() && deep {
            mismatch = derived::check(&tx, &coll)?;
        }
        report.mismatch = mismatch;
        Ok(report)
    }
}

/// The bookkeeping that must agree with the recomputed tree.
fn check_sizes(
    conn: &rusqlite::Connection,
    coll: &collection::Collection,
    entries: u64,
    checkpoints: &[(u64, Vec<u8>)],
    tiles: u64,
    index_rows: Option<&mut IndexRows>,
) -> Result<Option<Mismatch>> {
    let latest = checkpoints.last().map(|(s, _)| *s).unwrap_or(0);
    let what = if entries != coll.size {
        Some(format!(
            "the log has {entries} entries but the collection records size {}",
            coll.size
        ))
    } else if latest != coll.size {
        Some(format!(
            "the latest signed checkpoint has size {latest}, the log {}",
            coll.size
        ))
    } else if let Some((size, _)) = checkpoints.iter().find(|(s, _)| *s > entries) {
        Some(format!(
            "a checkpoint claims size {size}, beyond the {entries} entries stored"
        ))
    } else {
        let stored: i64 = conn.query_row(
            "SELECT COUNT(*) FROM tiles WHERE cid = ?1",
            [coll.cid],
            |r| r.get(0),
        )?;
        (stored as u64 != tiles)
            .then(|| format!("{stored} hash tiles are stored, the tree has {tiles}"))
    };
    if let Some(what) = what {
        return Ok(Some(Mismatch { index: None, what }));
    }
    if let Some((idx, id, _)) = index_rows.and_then(|rows| rows.next()) {
        return Ok(Some(Mismatch {
            index: Some(idx),
            what: format!("the object index points {id} at entry {idx}, past the log"),
        }));
    }
    Ok(None)
}

/// The object index, `(log index, object id, date_added)` in log order.
type IndexRows = std::iter::Peekable<std::vec::IntoIter<(u64, String, i64)>>;

/// What a mirror's faithful copy of a peer's log may hold that a node's own log may not.
struct Leeway {
    /// The collection is a mirror.
    mirror: bool,
    /// Entries marked as not a valid envelope (`invalid_entries`).
    invalid: std::collections::HashSet<u64>,
    /// Ids indexed so far: a later add of one may repeat a version.
    seen: std::collections::HashSet<String>,
}

/// Deep check of one entry: it decodes, and the object index agrees with it.
fn check_index(
    index: u64,
    summary: &Summary,
    rows: &mut IndexRows,
    leeway: &mut Leeway,
) -> Option<Mismatch> {
    let indexed = rows.next_if(|(idx, _, _)| *idx == index);
    let marked = leeway.invalid.contains(&index);
    let what = match (summary, indexed) {
        (Summary::Invalid(_), None) if marked => return None,
        (Summary::Invalid(_), Some((_, id, _))) if marked => {
            format!("entry {index} is marked invalid, yet the object index says it adds {id}")
        }
        (Summary::Invalid(reason), _) => reason.clone(),
        (_, _) if marked => format!("entry {index} is a valid envelope, yet marked invalid"),
        (Summary::Add { id, date_added }, Some((_, indexed_id, indexed_added))) => {
            // A mirror's dates are kept increasing whatever the peer wrote.
            let date_ok =
                *date_added == indexed_added || (leeway.mirror && indexed_added >= *date_added);
            if *id == indexed_id && date_ok {
                if leeway.mirror {
                    leeway.seen.insert(indexed_id);
                }
                return None;
            }
            format!("the object index says entry {index} adds {indexed_id}, the entry adds {id}")
        }
        (Summary::Add { id, .. }, None) if leeway.seen.contains(id) => return None,
        (Summary::Add { id, .. }, None) => {
            format!("entry {index} adds {id}, which the object index does not list")
        }
        (Summary::Withdraw, Some((_, id, _))) => {
            format!("the object index says entry {index} adds {id}, but it is a withdrawal")
        }
        (Summary::Withdraw, None) => return None,
    };
    Some(Mismatch {
        index: Some(index),
        what,
    })
}

/// Audits an exported C2SP tile tree offline: verifies `DIR/checkpoint`
/// against `key`, reads every entry bundle, recomputes every hash tile and
/// the root, and compares them with the files.
pub fn audit_tile_dir(
    dir: &Path,
    key: &tlog::Verifier,
    progress: &mut dyn FnMut(u64),
) -> Result<AuditReport> {
    let path = dir.join("checkpoint");
    let note = std::fs::read(&path).map_err(|source| StoreError::Io { path, source })?;
    let mut report = AuditReport {
        origin: String::new(),
        entries: 0,
        tiles: 0,
        checkpoints: 0,
        root: String::new(),
        mismatch: None,
    };
    let checkpoint = match crate::verify_checkpoint(&note, None, key) {
        Ok(c) => c,
        Err(e) => {
            report.mismatch = Some(Mismatch {
                index: None,
                what: format!("the checkpoint does not verify: {e}"),
            });
            return Ok(report);
        }
    };
    report.origin = checkpoint.origin.clone();
    report.checkpoints = 1;
    let size = checkpoint.size;
    let mut recompute = Recompute::new(DirTiles { dir });
    let sources = (0..readers())
        .map(|_| DirEntries {
            dir: dir.to_owned(),
            size,
        })
        .collect();
    report.mismatch = hash_log(sources, false, |_, leaves, _| {
        let m = recompute.append(leaves)?;
        progress(recompute.writer.size());
        Ok(m)
    })?;
    if report.mismatch.is_none() {
        report.mismatch = recompute.finish()?;
    }
    report.entries = recompute.writer.size();
    report.tiles = recompute.tiles;
    report.root = B64.encode(recompute.writer.root());
    if report.mismatch.is_none() && report.entries != size {
        report.mismatch = Some(Mismatch {
            index: Some(report.entries),
            what: format!(
                "the checkpoint has size {size}, the entry bundles hold {}",
                report.entries
            ),
        });
    }
    if report.mismatch.is_none() && recompute.writer.root() != checkpoint.root {
        report.mismatch = Some(Mismatch {
            index: size.checked_sub(1),
            what: format!(
                "the signed checkpoint has root {}, the entries give {}",
                B64.encode(checkpoint.root),
                report.root
            ),
        });
    }
    Ok(report)
}
