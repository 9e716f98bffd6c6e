//! Reading and hashing a log's entries in parallel, handing them over in order.
//!
//! An audit's cost is reading entries and hashing them (SHA-256 over every
//! byte). Each worker thread owns its own [`EntrySource`] (its own SQLite
//! connection, or the exported directory) and takes every n-th chunk of the
//! log, so reading and hashing both spread over all cores and no entry is
//! copied between threads. The calling thread receives the chunks in log order
//! and does the cheap, order-dependent part: the tree, tiles and checkpoints.

use std::path::PathBuf;
use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags, params};

use super::Mismatch;
use crate::entry::Entry;
use crate::error::{Result, StoreError};

/// Entries per chunk; a multiple of 256 so that chunks align with entry bundles.
const CHUNK: u64 = 16 * 256;

/// Where a worker reads entries from.
pub(super) trait EntrySource: Send {
    /// Calls `each` with the bytes of entries `first..first + count` in order.
    /// Returns how many there were (fewer at the end of the log), or the
    /// mismatch that stopped the read (a gap, an unreadable bundle).
    fn read(
        &mut self,
        first: u64,
        count: u64,
        each: &mut dyn FnMut(&[u8]),
    ) -> Result<Result<u64, Mismatch>>;
}

/// What one entry says, for the deep audit's index check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Summary {
    /// Adds a version of `id`, stamped `date_added` (microseconds).
    Add { id: String, date_added: i64 },
    /// Withdraws an object.
    Withdraw,
    /// Does not decode.
    Invalid(String),
}

/// One chunk of the log, hashed by a worker.
struct HashedChunk {
    first: u64,
    leaves: Vec<tlog::Hash>,
    /// With `deep`, what each entry says.
    summaries: Vec<Summary>,
    end: End,
}

/// How a chunk ends.
enum End {
    /// More may follow.
    More,
    /// The log ends within (or right after) this chunk.
    Log,
    /// Reading stopped at a mismatch right after this chunk's entries.
    Mismatch(Mismatch),
}

fn summarise(bytes: &[u8]) -> Summary {
    match Entry::from_bytes(bytes) {
        Ok(Entry::Add { object, date_added }) => match object.get("id").and_then(|v| v.as_str()) {
            Some(id) => Summary::Add {
                id: id.to_owned(),
                date_added: date_added.0,
            },
            None => Summary::Invalid("the added object has no id".into()),
        },
        Ok(Entry::Withdraw { .. }) => Summary::Withdraw,
        Err(e) => Summary::Invalid(e.to_string()),
    }
}

/// Reads and hashes the whole log with one worker per source, calling
/// `check(first index, leaf hashes, summaries)` with every chunk in log order
/// until it returns a mismatch or the log ends. Summaries are only made when
/// `deep` is set. A gap or unreadable bundle is reported after the entries
/// before it were checked, so the first mismatch in log order wins.
pub(super) fn hash_log<S: EntrySource>(
    sources: Vec<S>,
    deep: bool,
    mut check: impl FnMut(u64, &[tlog::Hash], &[Summary]) -> Result<Option<Mismatch>>,
) -> Result<Option<Mismatch>> {
    if sources.is_empty() {
        return Err(StoreError::Unreachable(
            "an audit needs at least one entry reader",
        ));
    }
    let workers = sources.len() as u64;
    std::thread::scope(|scope| {
        let mut results = Vec::new();
        for (w, mut source) in sources.into_iter().enumerate() {
            // Two chunks of read-ahead per worker bound the memory in flight.
            let (tx, rx) = mpsc::sync_channel::<Result<HashedChunk>>(2);
            results.push(rx);
            scope.spawn(move || {
                let mut first = w as u64 * CHUNK;
                loop {
                    let mut leaves = Vec::with_capacity(CHUNK as usize);
                    let mut summaries = Vec::new();
                    let read = source.read(first, CHUNK, &mut |bytes| {
                        leaves.push(tlog::leaf_hash(bytes));
                        if deep {
                            summaries.push(summarise(bytes));
                        }
                    });
                    let chunk = read.map(|outcome| {
                        let end = match outcome {
                            Ok(n) if n < CHUNK => End::Log,
                            Ok(_) => End::More,
                            Err(m) => End::Mismatch(m),
                        };
                        HashedChunk {
                            first,
                            leaves,
                            summaries,
                            end,
                        }
                    });
                    let last = !matches!(chunk, Ok(HashedChunk { end: End::More, .. }));
                    // The receiver is gone once the audit found its answer.
                    if tx.send(chunk).is_err() || last {
                        return;
                    }
                    first += workers * CHUNK;
                }
            });
        }
        for rx in results.iter().cycle() {
            let chunk = rx
                .recv()
                .map_err(|_| StoreError::Unreachable("an audit reading thread stopped"))??;
            if let Some(m) = check(chunk.first, &chunk.leaves, &chunk.summaries)? {
                return Ok(Some(m));
            }
            match chunk.end {
                End::More => {}
                End::Log => return Ok(None),
                End::Mismatch(m) => return Ok(Some(m)),
            }
        }
        Err(StoreError::Unreachable("an audit has no entry reader"))
    })
}

/// Entries in the database, through a read-only connection of the worker's own.
pub(super) struct DbEntries {
    conn: Connection,
    cid: i64,
}

impl DbEntries {
    pub(super) fn open(path: &PathBuf, cid: i64) -> Result<DbEntries> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "mmap_size", 1i64 << 31)?;
        Ok(DbEntries { conn, cid })
    }
}

impl EntrySource for DbEntries {
    fn read(
        &mut self,
        first: u64,
        count: u64,
        each: &mut dyn FnMut(&[u8]),
    ) -> Result<Result<u64, Mismatch>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT idx, data FROM entries WHERE cid = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
        )?;
        let mut rows = stmt.query(params![self.cid, first as i64, (first + count) as i64])?;
        let mut next = first;
        while let Some(row) = rows.next()? {
            if row.get::<_, i64>(0)? as u64 != next {
                return Ok(Err(Mismatch {
                    index: Some(next),
                    what: format!("entry {next} is missing"),
                }));
            }
            each(row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?);
            next += 1;
        }
        Ok(Ok(next - first))
    }
}

/// Entry bundles of an exported tile tree, up to the checkpoint's size.
pub(super) struct DirEntries {
    pub(super) dir: PathBuf,
    pub(super) size: u64,
}

impl EntrySource for DirEntries {
    fn read(
        &mut self,
        first: u64,
        count: u64,
        each: &mut dyn FnMut(&[u8]),
    ) -> Result<Result<u64, Mismatch>> {
        let mut n = first;
        while n < (first + count).min(self.size) {
            let width = (self.size - n).min(256) as u16;
            let path = self.dir.join(tlog::BundleId::new(n / 256, width)?.path());
            let unreadable = |e: &dyn std::fmt::Display| Mismatch {
                index: Some(n),
                what: format!("entry bundle {}: {e}", path.display()),
            };
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => return Ok(Err(unreadable(&e))),
            };
            match tlog::decode_bundle(&bytes, width) {
                Ok(entries) => entries.into_iter().for_each(&mut *each),
                Err(e) => return Ok(Err(unreadable(&e))),
            }
            n += u64::from(width);
        }
        Ok(Ok(n - first))
    }
}
