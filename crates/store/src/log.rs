//! The store's side of a log: its right edge, kept across batches, and proofs
//! computed from the stored tiles.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use tlog::{ExpandedTile, TileId, TileSet, TileWriter};

use crate::Node;
use crate::collection::Collection;
use crate::error::{Result, StoreError};

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
    ///
    /// A restored edge must lead to the root of the latest signed checkpoint:
    /// extending tiles that were changed behind the store's back would sign a
    /// checkpoint inconsistent with the earlier ones, which a log must never do.
    pub(crate) fn edge(
        &self,
        conn: &Connection,
        node: &Node,
        coll: &Collection,
    ) -> Result<TileWriter> {
        self.edge_verified(conn, coll, &|note| node.verify_checkpoint(&coll.id, note))
    }

    /// [`EdgeCache::edge`] for a log whose checkpoints `verify` checks (a
    /// mirror's are signed by its peer).
    pub(crate) fn edge_verified(
        &self,
        conn: &Connection,
        coll: &Collection,
        verify: &dyn Fn(&[u8]) -> std::result::Result<tlog::Checkpoint, tlog::Error>,
    ) -> Result<TileWriter> {
        if let Some(w) = self
            .writers
            .get(&coll.cid)
            .filter(|w| w.size() == coll.size)
        {
            return Ok(w.clone());
        }
        if coll.size == 0 {
            // The empty tree: nothing to restore (a new mirror has no checkpoint yet).
            return Ok(TileWriter::new());
        }
        let tiles = read_tiles(conn, coll, tlog::edge_tiles(coll.size))?;
        let writer = TileWriter::restore(coll.size, &tiles)?;
        let note = crate::read::latest_checkpoint(conn, coll)?;
        let signed = verify(note.as_bytes()).map_err(|e| {
            StoreError::Corrupt(format!(
                "the latest checkpoint of {} does not verify: {e}; run `entente audit`",
                coll.id
            ))
        })?;
        if signed.size != coll.size || signed.root != writer.root() {
            return Err(StoreError::Corrupt(format!(
                "the stored tiles of {} do not lead to its latest signed checkpoint; refusing to extend the log (run `entente audit`)",
                coll.id
            )));
        }
        Ok(writer)
    }

    /// Keeps a writer whose batch has committed.
    pub(crate) fn put(&mut self, cid: i64, writer: TileWriter) {
        self.writers.insert(cid, writer);
    }
}

/// The stored copy of tile `id` of collection `cid`: its widest version, of
/// which any narrower one is a prefix.
pub(crate) fn stored_tile(conn: &Connection, cid: i64, id: TileId) -> Result<Option<Vec<u8>>> {
    let data = conn
        .prepare_cached("SELECT data FROM tiles WHERE cid = ?1 AND level = ?2 AND idx = ?3")?
        .query_row(params![cid, id.level(), id.index() as i64], |r| r.get(0))
        .optional()?;
    Ok(data)
}

/// Reads the stored copies of `ids` (each may be wider than asked; a prefix is used).
pub(crate) fn read_tiles(
    conn: &Connection,
    coll: &Collection,
    ids: impl IntoIterator<Item = TileId>,
) -> Result<TileSet> {
    let mut set = TileSet::new();
    for id in ids {
        if let Some(data) = stored_tile(conn, coll.cid, id)? {
            set.insert(id, data);
        }
    }
    Ok(set)
}

/// Hash tiles above level 0, and partial ones, with their interior nodes computed, by
/// (collection, level, index, width). A tile of a given width never changes
/// (tiles only grow, and a wider one is a new key), so entries never go stale;
/// the cache is only bounded. A proof then hashes little more than the inside
/// of one level-0 tile.
#[derive(Debug, Default)]
pub(crate) struct ExpandedCache {
    // RefCell: a `Store` is used from one thread at a time (`rusqlite::Connection` is not `Sync`).
    tiles: RefCell<HashMap<TileKey, Arc<ExpandedTile>>>,
}

/// (collection, level, index, width).
type TileKey = (i64, u8, u64, u16);

/// Upper-level tiles kept expanded, about 16 KiB each: a 10^8-entry log has 1,526.
const EXPANDED_CACHE_TILES: usize = 4096;

impl ExpandedCache {
    fn get(&self, key: TileKey) -> Option<Arc<ExpandedTile>> {
        self.tiles.borrow().get(&key).cloned()
    }

    fn put(&self, key: TileKey, tile: Arc<ExpandedTile>) {
        let mut tiles = self.tiles.borrow_mut();
        if tiles.len() >= EXPANDED_CACHE_TILES {
            tiles.clear();
        }
        tiles.insert(key, tile);
    }
}

/// Reads the tiles a proof needs, using and filling the expanded-tile cache
/// for tiles above level 0 and for partial tiles.
fn proof_tiles(
    conn: &Connection,
    cache: &ExpandedCache,
    coll: &Collection,
    ids: impl IntoIterator<Item = TileId>,
) -> Result<TileSet> {
    let mut set = TileSet::new();
    for id in ids {
        let key = (coll.cid, id.level(), id.index(), id.width());
        // Level-0 tiles are too many to keep, except the partial one at the right
        // edge, which every proof at this size crosses.
        let cacheable = id.level() > 0 || !id.is_full();
        if let Some(tile) = cacheable.then(|| cache.get(key)).flatten() {
            set.insert_expanded(tile);
            continue;
        }
        let Some(data) = stored_tile(conn, coll.cid, id)? else {
            continue;
        };
        if cacheable && data.len() >= id.byte_len() {
            let tile =
                Arc::new(ExpandedTile::new(id, &data[..id.byte_len()]).map_err(tlog::Error::from)?);
            cache.put(key, Arc::clone(&tile));
            set.insert_expanded(tile);
        } else {
            set.insert(id, data);
        }
    }
    Ok(set)
}

/// The inclusion proof of entry `index` in the collection's tree of `size`.
pub(crate) fn inclusion_proof(
    conn: &Connection,
    cache: &ExpandedCache,
    coll: &Collection,
    index: u64,
    size: u64,
) -> Result<Vec<tlog::Hash>> {
    let tiles = proof_tiles(conn, cache, coll, tlog::inclusion_tiles(index, size)?)?;
    Ok(tlog::prove_inclusion(index, size, &tiles)?)
}

/// The consistency proof from the collection's tree of `old` to its tree of `new`.
pub(crate) fn consistency_proof(
    conn: &Connection,
    cache: &ExpandedCache,
    coll: &Collection,
    old: u64,
    new: u64,
) -> Result<Vec<tlog::Hash>> {
    let tiles = proof_tiles(conn, cache, coll, tlog::consistency_tiles(old, new)?)?;
    Ok(tlog::prove_consistency(old, new, &tiles)?)
}
