//! Re-verification of a log from its entries: every leaf, tile and checkpoint.
//!
//! The audit trusts nothing it does not recompute. It streams the entries in
//! index order, hashes each one, rebuilds the tiles with the same
//! [`tlog::TileWriter`] the write path uses, and compares every stored tile
//! and every signed checkpoint's root with the recomputed ones. It stops at
//! the first disagreement and names the log index it concerns.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, mpsc};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rusqlite::{OptionalExtension, params};

use crate::entry::Entry;
use crate::error::{Result, StoreError};
use crate::{Store, collection};

/// Leaves hashed between two tile comparisons; bounds memory.
const CHUNK: usize = 4096;

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

/// Where stored tiles come from.
trait TileSource {
    /// The stored copy of the tile, or `None` if there is none.
    fn tile(&mut self, id: tlog::TileId) -> Result<Option<Vec<u8>>>;
}

/// Recomputes a tree leaf by leaf and checks it against stored tiles.
struct Recompute<S> {
    writer: tlog::TileWriter,
    source: S,
    tiles: u64,
}

impl<S: TileSource> Recompute<S> {
    fn new(source: S) -> Self {
        Recompute {
            writer: tlog::TileWriter::new(),
            source,
            tiles: 0,
        }
    }

    /// Hashes in `leaves`; compares every tile that became full.
    fn append(&mut self, leaves: &[tlog::Hash]) -> Result<Option<Mismatch>> {
        let mut full = Vec::new();
        self.writer
            .append(leaves, |id, bytes| full.push((id, bytes.to_vec())))?;
        for (id, bytes) in &full {
            if let Some(m) = self.compare(*id, bytes)? {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    /// Compares the partial tiles of the finished tree.
    fn finish(&mut self) -> Result<Option<Mismatch>> {
        let partial: Vec<(tlog::TileId, Vec<u8>)> = self
            .writer
            .partial_tiles()
            .map(|(id, bytes)| (id, bytes.to_vec()))
            .collect();
        for (id, bytes) in &partial {
            if let Some(m) = self.compare(*id, bytes)? {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    fn compare(&mut self, id: tlog::TileId, computed: &[u8]) -> Result<Option<Mismatch>> {
        self.tiles += 1;
        let (level, index) = (id.level(), id.index());
        let name = id.path();
        let Some(stored) = self.source.tile(id)? else {
            let first = first_entry(level, index, 0);
            return Ok(Some(Mismatch {
                index: Some(first),
                what: format!("hash tile {name} is missing"),
            }));
        };
        if stored == computed {
            return Ok(None);
        }
        let Some(k) = stored
            .chunks(32)
            .zip(computed.chunks(32))
            .position(|(a, b)| a != b)
        else {
            let what = format!(
                "hash tile {name} holds {} bytes, the tree needs {}",
                stored.len(),
                computed.len()
            );
            return Ok(Some(Mismatch {
                index: Some(first_entry(level, index, 0)),
                what,
            }));
        };
        let first = first_entry(level, index, k as u64);
        let what = if level == 0 {
            format!(
                "entry {first} hashes to {}, but hash tile {name} holds {} for it",
                hex32(&computed[k * 32..]),
                hex32(&stored[k * 32..])
            )
        } else {
            format!(
                "hash {k} of tile {name} (covering entries from {first}) differs from the recomputed subtree root"
            )
        };
        Ok(Some(Mismatch {
            index: Some(first),
            what,
        }))
    }
}

/// The first entry covered by hash `k` of tile (level, index).
fn first_entry(level: u8, index: u64, k: u64) -> u64 {
    (index * 256 + k).saturating_mul(256u64.saturating_pow(level as u32))
}

fn hex32(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}

/// Tiles stored in the database: the latest (widest) copy of each.
struct DbTiles<'a> {
    stmt: rusqlite::CachedStatement<'a>,
    cid: i64,
}

impl TileSource for DbTiles<'_> {
    fn tile(&mut self, id: tlog::TileId) -> Result<Option<Vec<u8>>> {
        let data: Option<Vec<u8>> = self
            .stmt
            .query_row(params![self.cid, id.level(), id.index() as i64], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(data)
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
        let coll = collection::find(&self.conn, collection)?;
        let origin = self.node.origin(&coll.id);
        let verifier = self.node.verifier();
        // Read as bytes: a note changed behind our back need not even be UTF-8.
        let checkpoints: Vec<(u64, Vec<u8>)> = {
            let mut stmt = self.conn.prepare(
                "SELECT size, CAST(note AS BLOB) FROM checkpoints WHERE cid = ?1 ORDER BY size",
            )?;
            stmt.query_map([coll.cid], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let tiles = DbTiles {
            stmt: self.conn.prepare_cached(
                "SELECT data FROM tiles WHERE cid = ?1 AND level = ?2 AND idx = ?3",
            )?,
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
        let mut index_rows = if deep {
            let mut stmt = self.conn.prepare(
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

        let mut checkpoint_iter = checkpoints.iter().peekable();
        let mut mismatch = None;

        // Verifies every checkpoint whose size the recomputed tree has reached.
        let mut check_checkpoints =
            |size: u64, root: &tlog::Hash, report: &mut AuditReport| -> Option<Mismatch> {
                while let Some((cp_size, note)) = checkpoint_iter.next_if(|(s, _)| *s == size) {
                    report.checkpoints += 1;
                    let found = match crate::verify_checkpoint(note, Some(&origin), &verifier) {
                        Err(e) => Some(format!(
                            "the signed checkpoint at size {size} does not verify: {e}"
                        )),
                        Ok(cp) if cp.size != *cp_size => Some(format!(
                            "the checkpoint stored for size {size} says size {}",
                            cp.size
                        )),
                        Ok(cp) if cp.root != *root => Some(format!(
                            "the signed checkpoint at size {size} has root {}, the entries give {}",
                            B64.encode(cp.root),
                            B64.encode(root)
                        )),
                        Ok(_) => None,
                    };
                    if let Some(what) = found {
                        return Some(Mismatch {
                            index: Some(size.saturating_sub(1)),
                            what,
                        });
                    }
                }
                None
            };
        if let Some(m) = check_checkpoints(0, &tlog::EMPTY_ROOT, &mut report) {
            mismatch = Some(m);
        }

        // Reading: chunks of entries in log order, each ending at the latest
        // checkpoint size it reaches, so roots can be compared there.
        let sizes: Vec<u64> = checkpoints.iter().map(|(s, _)| *s).collect();
        let mut stmt = self
            .conn
            .prepare("SELECT idx, data FROM entries WHERE cid = ?1 ORDER BY idx")?;
        let mut rows = stmt.query([coll.cid])?;
        let mut read = 0u64;
        let mut gap: Option<Mismatch> = None;
        let next_chunk = || -> Result<Option<Vec<Vec<u8>>>> {
            if gap.is_some() {
                return Ok(None);
            }
            let boundary = sizes
                .iter()
                .copied()
                .find(|&s| s > read)
                .unwrap_or(u64::MAX);
            let want = (boundary - read).min(CHUNK as u64) as usize;
            let mut chunk = Vec::with_capacity(want);
            while chunk.len() < want {
                let Some(row) = rows.next()? else { break };
                let index = row.get::<_, i64>(0)? as u64;
                if index != read {
                    gap = Some(Mismatch {
                        index: Some(read),
                        what: format!("entry {read} is missing"),
                    });
                    break;
                }
                chunk.push(row.get(1)?);
                read += 1;
            }
            Ok((!chunk.is_empty()).then_some(chunk))
        };

        // Checking: each chunk with its leaf hashes, in order.
        let mut done = 0u64;
        let check_chunk =
            |entries: &[Vec<u8>], leaves: &[tlog::Hash]| -> Result<Option<Mismatch>> {
                if let Some(rows) = index_rows.as_mut() {
                    for (i, bytes) in entries.iter().enumerate() {
                        if let Some(m) = check_entry(done + i as u64, bytes, rows) {
                            return Ok(Some(m));
                        }
                    }
                }
                if let Some(m) = recompute.append(leaves)? {
                    return Ok(Some(m));
                }
                done += leaves.len() as u64;
                progress(done);
                Ok(check_checkpoints(
                    done,
                    &recompute.writer.root(),
                    &mut report,
                ))
            };
        if mismatch.is_none() {
            mismatch = hash_pipelined(next_chunk, check_chunk)?;
        }
        // A missing entry stops reading; whatever was read before it was checked first.
        mismatch = mismatch.or(gap);
        if mismatch.is_none() {
            mismatch = recompute.finish()?;
        }
        report.entries = recompute.writer.size();
        report.tiles = recompute.tiles;
        report.root = B64.encode(recompute.writer.root());
        if mismatch.is_none() {
            mismatch = self.check_sizes(
                &coll,
                report.entries,
                &checkpoints,
                recompute.tiles,
                index_rows.as_mut(),
            )?;
        }
        report.mismatch = mismatch;
        Ok(report)
    }

    /// The bookkeeping that must agree with the recomputed tree.
    fn check_sizes(
        &self,
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
            let stored: i64 = self.conn.query_row(
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
            {
                return Ok(Some(Mismatch {
                    index: Some(idx),
                    what: format!("the object index points {id} at entry {idx}, past the log"),
                }));
            }
        }
        Ok(None)
    }
}

/// The object index, `(log index, object id, date_added)` in log order.
type IndexRows = std::iter::Peekable<std::vec::IntoIter<(u64, String, i64)>>;

/// Hashes chunks of entries on two worker threads while the calling thread
/// reads the next chunk, then hands each chunk and its leaf hashes to `check`,
/// in order, until it reports a mismatch. Reading (SQLite or files) and
/// SHA-256 are an audit's two costs; this overlaps them and splits the hashing
/// over both cores of a small machine.
fn hash_pipelined(
    mut next_chunk: impl FnMut() -> Result<Option<Vec<Vec<u8>>>>,
    mut check: impl FnMut(&[Vec<u8>], &[tlog::Hash]) -> Result<Option<Mismatch>>,
) -> Result<Option<Mismatch>> {
    type Work = (Arc<Vec<Vec<u8>>>, std::ops::Range<usize>);
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for _ in 0..2 {
            let (work_tx, work_rx) = mpsc::sync_channel::<Work>(1);
            let (done_tx, done_rx) = mpsc::sync_channel::<Vec<tlog::Hash>>(1);
            scope.spawn(move || {
                for (chunk, range) in work_rx {
                    let hashes = chunk[range].iter().map(|e| tlog::leaf_hash(e)).collect();
                    if done_tx.send(hashes).is_err() {
                        break;
                    }
                }
            });
            workers.push((work_tx, done_rx));
        }
        let mut pending: Option<Arc<Vec<Vec<u8>>>> = None;
        loop {
            // Read the next chunk while the workers hash the pending one.
            let next = next_chunk()?;
            if let Some(chunk) = pending.take() {
                let mut leaves = Vec::with_capacity(chunk.len());
                for (_, done_rx) in &workers {
                    let part = done_rx
                        .recv()
                        .map_err(|_| StoreError::Unreachable("an audit hashing thread stopped"))?;
                    leaves.extend(part);
                }
                if let Some(m) = check(&chunk, &leaves)? {
                    return Ok(Some(m));
                }
            }
            let Some(chunk) = next else { return Ok(None) };
            let chunk = Arc::new(chunk);
            let mid = chunk.len() / 2;
            for ((work_tx, _), range) in workers.iter().zip([0..mid, mid..chunk.len()]) {
                work_tx
                    .send((Arc::clone(&chunk), range))
                    .map_err(|_| StoreError::Unreachable("an audit hashing thread stopped"))?;
            }
            pending = Some(chunk);
        }
    })
}

/// Deep check of one entry: it decodes, and the object index agrees with it.
fn check_entry(index: u64, bytes: &[u8], rows: &mut IndexRows) -> Option<Mismatch> {
    let entry = match Entry::from_bytes(bytes) {
        Ok(e) => e,
        Err(e) => {
            return Some(Mismatch {
                index: Some(index),
                what: e.to_string(),
            });
        }
    };
    let indexed = rows.next_if(|(idx, _, _)| *idx == index);
    match (&entry, indexed) {
        (Entry::Add { .. }, Some((_, id, added))) => {
            if Some(id.as_str()) != entry.object_id() || added != entry.date_added().0 {
                return Some(Mismatch {
                    index: Some(index),
                    what: format!(
                        "the object index says entry {index} adds {id}, the entry says {:?}",
                        entry.object_id()
                    ),
                });
            }
            None
        }
        (Entry::Add { .. }, None) => Some(Mismatch {
            index: Some(index),
            what: format!(
                "entry {index} adds {:?}, which the object index does not list",
                entry.object_id()
            ),
        }),
        (Entry::Withdraw { .. }, Some((_, id, _))) => Some(Mismatch {
            index: Some(index),
            what: format!("the object index says entry {index} adds {id}, but it is a withdrawal"),
        }),
        (Entry::Withdraw { .. }, None) => None,
    }
}

/// Tiles of an exported tile tree.
struct DirTiles<'a> {
    dir: &'a Path,
}

impl TileSource for DirTiles<'_> {
    fn tile(&mut self, id: tlog::TileId) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join(id.path());
        match std::fs::read(&path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }
}

/// Audits an exported C2SP tile tree offline: verifies `DIR/checkpoint`
/// against `key`, reads every entry bundle, recomputes every hash tile and
/// the root, and compares them with the files.
pub fn audit_tile_dir(
    dir: &Path,
    key: &tlog::Verifier,
    progress: &mut dyn FnMut(u64),
) -> Result<AuditReport> {
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).map_err(|source| StoreError::Io { path, source })
    };
    let note = read(dir.join("checkpoint"))?;
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
    let mut leaves = Vec::with_capacity(256);
    let mut n = 0u64;
    while n < size && report.mismatch.is_none() {
        let bundle_index = n / 256;
        let width = (size - n).min(256) as u16;
        let path = dir.join(tlog::BundleId::new(bundle_index, width)?.path());
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                report.mismatch = Some(Mismatch {
                    index: Some(n),
                    what: format!("entry bundle {}: {e}", path.display()),
                });
                break;
            }
        };
        let entries = match tlog::decode_bundle(&bytes, width) {
            Ok(entries) => entries,
            Err(e) => {
                report.mismatch = Some(Mismatch {
                    index: Some(n),
                    what: format!("entry bundle {}: {e}", path.display()),
                });
                break;
            }
        };
        leaves.clear();
        leaves.extend(entries.iter().map(|e| tlog::leaf_hash(e)));
        report.mismatch = recompute.append(&leaves)?;
        n += width as u64;
        progress(n);
    }
    if report.mismatch.is_none() {
        report.mismatch = recompute.finish()?;
    }
    report.entries = n;
    report.tiles = recompute.tiles;
    report.root = B64.encode(recompute.writer.root());
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
