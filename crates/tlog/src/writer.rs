//! The tile writer: appends leaf hashes to a tree kept as tlog-tiles and reports
//! every hash tile that changes.

use crate::error::{ApiMisuse, Error, TileError};
use crate::hash::{CompactRange, Hash, fold_roots};
use crate::prove::{TileSource, hashes_iter, tile_bytes};
use crate::tile::{TILE_WIDTH, TileId, edge_tiles, level_hashes};

/// One tile level's right edge: the hashes of its partial tile and a compact
/// range over them, whose single root becomes a hash of the level above when
/// the tile fills.
#[derive(Debug, Clone, Default)]
struct Level {
    // Invariant: hashes.len() < 256 between calls, and range covers exactly hashes.
    hashes: Vec<Hash>,
    range: CompactRange,
}

/// Appends leaf hashes to a tiled Merkle tree and emits the hash tiles.
///
/// **State.** The writer holds only the tree's right edge: for each level, the
/// hashes of its partial tile (fewer than 256), i.e. at most 8 × 255 hashes. That
/// is exactly the set of partial tiles a log stores for its latest size, so a
/// writer is restored from storage with [`restore`](Self::restore) from the tiles
/// named by [`crate::edge_tiles`]`(size)`.
///
/// **Output.** [`append`](Self::append) calls a sink once for every tile that
/// becomes full, at any level, in tree order per level. After a batch,
/// [`partial_tiles`](Self::partial_tiles) gives the partial tiles of the new
/// size. Full tiles emitted plus those partial tiles are every hash tile that
/// changed, which a store persists in the same transaction as the entries.
/// [`append_batch`](Self::append_batch) does both and collects the result.
///
/// **Cost.** About one node hash per leaf (the compact range carry), plus one per
/// 256 leaves per level above; the root costs at most 63 more. Memory is bounded
/// whatever the batch size, so an audit can stream a whole log through one writer
/// chunk by chunk and compare every tile.
///
/// ```
/// use tlog::{leaf_hash, TileWriter};
/// let mut w = TileWriter::new();
/// let leaves: Vec<_> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
/// let batch = w.append_batch(&leaves)?;
/// assert_eq!(batch.size, 300);
/// let paths: Vec<String> = batch.tiles.iter().map(|(id, _)| id.path()).collect();
/// assert_eq!(paths, ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"]);
/// # Ok::<(), tlog::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TileWriter {
    size: u64,
    levels: Vec<Level>,
}

/// The result of [`TileWriter::append_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileBatch {
    /// Tree size after the batch.
    pub size: u64,
    /// Tree root after the batch.
    pub root: Hash,
    /// Every hash tile created or changed by the batch with its bytes: the full
    /// tiles in the order they filled, then the partial tiles of the new size whose
    /// width changed, level 0 first.
    pub tiles: Vec<(TileId, Vec<u8>)>,
}

impl TileWriter {
    /// A writer for the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores the writer for a tree of `size` leaves from its partial tiles (the
    /// tiles [`crate::edge_tiles`]`(size)` names; wider versions are fine, only the
    /// prefix is read).
    ///
    /// The tiles are not checked against a root: compare [`root`](Self::root) with
    /// the latest signed checkpoint before appending.
    pub fn restore(size: u64, tiles: &(impl TileSource + ?Sized)) -> Result<Self, Error> {
        let mut levels: Vec<Level> = Vec::new();
        let mut l = 0u32;
        while level_hashes(l, size) > 0 {
            levels.push(Level::default());
            l += 1;
        }
        for id in edge_tiles(size) {
            let bytes = tiles.tile(id).ok_or(TileError::Missing(id))?;
            let bytes = tile_bytes(id, bytes, id.width() as usize)?;
            let level = levels
                .get_mut(id.level() as usize)
                .ok_or(Error::Unreachable("edge tile above the top level"))?;
            for h in hashes_iter(&bytes[..id.byte_len()]) {
                level.hashes.push(h);
                level.range.append(h)?;
            }
        }
        Ok(TileWriter { size, levels })
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree (`EMPTY_ROOT` when empty).
    pub fn root(&self) -> Hash {
        // Higher levels cover the leftmost leaves, and within a level the compact
        // range is largest first, so top-down concatenation is the tree's compact range.
        fold_roots(
            self.levels
                .iter()
                .rev()
                .flat_map(|l| l.range.hashes().iter()),
        )
    }

    /// Appends leaf hashes, calling `full_tile(id, bytes)` for each tile that fills
    /// (8192 bytes each). Fails, changing nothing, only if the size would pass u64.
    pub fn append(
        &mut self,
        leaves: &[Hash],
        mut full_tile: impl FnMut(TileId, &[u8]),
    ) -> Result<(), ApiMisuse> {
        let new_size = u64::try_from(leaves.len())
            .ok()
            .and_then(|n| self.size.checked_add(n))
            .ok_or(ApiMisuse::SizeOverflow)?;
        for leaf in leaves {
            self.push(0, *leaf, &mut full_tile)?;
        }
        debug_assert_eq!(self.size, new_size);
        Ok(())
    }

    fn push(
        &mut self,
        level: usize,
        hash: Hash,
        full_tile: &mut impl FnMut(TileId, &[u8]),
    ) -> Result<(), ApiMisuse> {
        let mut level = level;
        let mut hash = hash;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Level::default());
            }
            let l = &mut self.levels[level];
            l.hashes.push(hash);
            l.range.append(hash)?;
            if level == 0 {
                self.size += 1;
            }
            if l.hashes.len() < TILE_WIDTH as usize {
                return Ok(());
            }
            // The tile is full: emit it, and carry its root one level up.
            let index = level_hashes(level as u32, self.size) / 256 - 1;
            full_tile(
                TileId::internal(level as u32, index, TILE_WIDTH),
                l.hashes.as_flattened(),
            );
            hash = l.range.root();
            l.hashes.clear();
            l.range = CompactRange::new();
            level += 1;
        }
    }

    /// The partial tiles of the current size with their bytes, level 0 first.
    pub fn partial_tiles(&self) -> impl Iterator<Item = (TileId, &[u8])> + '_ {
        self.levels.iter().enumerate().filter_map(|(l, level)| {
            if level.hashes.is_empty() {
                return None;
            }
            let index = level_hashes(l as u32, self.size) / 256;
            Some((
                TileId::internal(l as u32, index, level.hashes.len() as u16),
                level.hashes.as_flattened(),
            ))
        })
    }

    /// Appends a batch and collects every tile it created or changed, with the new
    /// size and root: what a store writes in one transaction.
    pub fn append_batch(&mut self, leaves: &[Hash]) -> Result<TileBatch, ApiMisuse> {
        let before: Vec<TileId> = self.partial_tiles().map(|(id, _)| id).collect();
        let mut tiles = Vec::new();
        self.append(leaves, |id, bytes| tiles.push((id, bytes.to_vec())))?;
        tiles.extend(
            self.partial_tiles()
                .filter(|(id, _)| !before.contains(id))
                .map(|(id, b)| (id, b.to_vec())),
        );
        Ok(TileBatch {
            size: self.size,
            root: self.root(),
            tiles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::proof::root_from_leaves;

    #[test]
    fn emits_tiles_in_order_and_roots_match() {
        let leaves: Vec<Hash> = (0u32..70_000)
            .map(|i| leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut w = TileWriter::new();
        let mut full = Vec::new();
        w.append(&leaves, |id, b| full.push((id, b.len()))).unwrap();
        // 273 level-0 tiles and 1 level-1 tile fill, as the spec's 70 000 example says.
        assert_eq!(full.iter().filter(|(id, _)| id.level() == 0).count(), 273);
        assert_eq!(full.iter().filter(|(id, _)| id.level() == 1).count(), 1);
        assert!(full.iter().all(|(_, len)| *len == 8192));
        let partial: Vec<String> = w.partial_tiles().map(|(id, _)| id.path()).collect();
        assert_eq!(
            partial,
            ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]
        );
        assert_eq!(w.root(), root_from_leaves(&leaves));
    }

    #[test]
    fn batch_reports_only_changed_partials() {
        let leaves: Vec<Hash> = (0u32..600).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut w = TileWriter::new();
        w.append_batch(&leaves[..513]).unwrap();
        // 513 -> 600: level-0 partial grows; the level-1 partial (width 2) is unchanged.
        let b = w.append_batch(&leaves[513..]).unwrap();
        let paths: Vec<String> = b.tiles.iter().map(|(id, _)| id.path()).collect();
        assert_eq!(paths, ["tile/0/002.p/88"]);
        assert_eq!(b.root, root_from_leaves(&leaves));
    }

    #[test]
    fn overflow_is_refused_without_change() {
        let mut w = TileWriter {
            size: u64::MAX,
            levels: Vec::new(),
        };
        assert_eq!(
            w.append(&[[0; 32]], |_, _| {}),
            Err(ApiMisuse::SizeOverflow)
        );
        assert_eq!(w.size(), u64::MAX);
    }
}
