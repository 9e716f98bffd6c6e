//! The store's side of a log: its right edge, kept across batches, and proofs
//! computed from the stored tiles.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use tlog::{TileId, TileSet, TileWriter};

use crate::collection::Collection;
use crate::error::Result;

/// Right edges of logs, by collection; a writer for a log is cloned out for a
/// batch and put back only after the batch committed.
#[derive(Debug, Default)]
pub(crate) struct EdgeCache {
    writers: HashMap<i64, TileWriter>,
}

impl EdgeCache {
    /// A writer positioned at the collection's current size: the cached one if
    /// it is still at that size, else one restored from the stored edge tiles
    /// (another process appended, or this handle never wrote here).
    pub(crate) fn edge(&self, conn: &Connection, coll: &Collection) -> Result<TileWriter> {
        if let Some(w) = self
            .writers
            .get(&coll.cid)
            .filter(|w| w.size() == coll.size)
        {
            return Ok(w.clone());
        }
        let tiles = read_tiles(conn, coll, tlog::edge_tiles(coll.size))?;
        Ok(TileWriter::restore(coll.size, &tiles)?)
    }

    /// Keeps a writer whose batch has committed.
    pub(crate) fn put(&mut self, cid: i64, writer: TileWriter) {
        self.writers.insert(cid, writer);
    }
}

/// Reads the stored copies of `ids` (each may be wider than asked; a prefix is used).
fn read_tiles(
    conn: &Connection,
    coll: &Collection,
    ids: impl IntoIterator<Item = TileId>,
) -> Result<TileSet> {
    let mut stmt =
        conn.prepare_cached("SELECT data FROM tiles WHERE cid = ?1 AND level = ?2 AND idx = ?3")?;
    let mut set = TileSet::new();
    for id in ids {
        let mut rows = stmt.query(params![coll.cid, id.level(), id.index() as i64])?;
        if let Some(row) = rows.next()? {
            set.insert(id, row.get(0)?);
        }
    }
    Ok(set)
}

/// The inclusion proof of entry `index` in the collection's tree of `size`.
pub(crate) fn inclusion_proof(
    conn: &Connection,
    coll: &Collection,
    index: u64,
    size: u64,
) -> Result<Vec<tlog::Hash>> {
    let tiles = read_tiles(conn, coll, tlog::inclusion_tiles(index, size)?)?;
    Ok(tlog::prove_inclusion(index, size, &tiles)?)
}

/// The consistency proof from the collection's tree of `old` to its tree of `new`.
pub(crate) fn consistency_proof(
    conn: &Connection,
    coll: &Collection,
    old: u64,
    new: u64,
) -> Result<Vec<tlog::Hash>> {
    let tiles = read_tiles(conn, coll, tlog::consistency_tiles(old, new)?)?;
    Ok(tlog::prove_consistency(old, new, &tiles)?)
}
