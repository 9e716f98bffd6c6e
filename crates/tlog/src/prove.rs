//! Proofs and roots from stored hash tiles, without I/O.
//!
//! A store answers a proof request in two steps:
//!
//! 1. ask which tiles are needed: [`inclusion_tiles`], [`consistency_tiles`] or
//!    [`root_tiles`] (a handful: at most two per tile level the proof touches,
//!    so at most 3–6 for a 10⁷-entry log);
//! 2. read them (in one query if it likes), put them in a [`TileSet`] or any
//!    other [`TileSource`], and call [`prove_inclusion`], [`prove_consistency`]
//!    or [`tree_root`].
//!
//! Hash work: a node of height `8L + r` is the root of `2^r` hashes of a level-`L`
//! tile, so a proof costs up to about 250 node hashes per tile level it crosses.
//! A store that answers many proofs can cut that to almost nothing for the upper
//! levels by keeping [`ExpandedTile`]s (every interior node of a tile, computed
//! once) for level ≥ 1 tiles and handing them out through
//! [`TileSource::expanded`].
//!
//! Widths: the tile ids asked for carry the width the tile has at the proof's tree
//! size. A source may answer with any wider version of the same (level, index),
//! such as the full tile, because tiles only grow by appending; only the needed
//! prefix is read.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::error::{ApiMisuse, Error, TileError};
use crate::hash::{Hash, fold_roots, node_hash, root_of_iter};
use crate::proof::{NodeRef, consistency_nodes, inclusion_nodes, range_nodes};
use crate::tile::{FULL_TILE_BYTES, TILE_WIDTH, TileId, level_hashes};

/// Where proof generation reads tiles from. Implemented for [`TileSet`], and for
/// `HashMap<TileId, Vec<u8>>` and `BTreeMap<TileId, Vec<u8>>` (which look up the
/// exact id first, then the full tile).
pub trait TileSource {
    /// The hashes of tile (`id.level()`, `id.index()`), at least `id.width()` of
    /// them, concatenated; `None` if unavailable.
    fn tile(&self, id: TileId) -> Option<&[u8]>;

    /// The same tile with its interior nodes precomputed, if the source keeps one.
    /// Optional; proofs are then cheaper.
    fn expanded(&self, _id: TileId) -> Option<&ExpandedTile> {
        None
    }
}

impl TileSource for HashMap<TileId, Vec<u8>> {
    fn tile(&self, id: TileId) -> Option<&[u8]> {
        self.get(&id)
            .or_else(|| self.get(&id.to_full()))
            .map(Vec::as_slice)
    }
}

impl TileSource for BTreeMap<TileId, Vec<u8>> {
    fn tile(&self, id: TileId) -> Option<&[u8]> {
        self.get(&id)
            .or_else(|| self.get(&id.to_full()))
            .map(Vec::as_slice)
    }
}

/// A small map of tiles for one proof, keyed by (level, index); the width of the
/// inserted tile is whatever the bytes hold.
#[derive(Debug, Clone, Default)]
pub struct TileSet {
    hashes: HashMap<(u8, u64), Vec<u8>>,
    expanded: HashMap<(u8, u64), Arc<ExpandedTile>>,
}

impl TileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the bytes of tile `id`. A later insert for the same (level, index)
    /// replaces an earlier one.
    pub fn insert(&mut self, id: TileId, bytes: Vec<u8>) {
        self.hashes.insert((id.level(), id.index()), bytes);
    }

    /// Adds a tile with its interior nodes; it is used in preference to raw bytes.
    pub fn insert_expanded(&mut self, tile: Arc<ExpandedTile>) {
        let id = tile.id();
        self.expanded.insert((id.level(), id.index()), tile);
    }
}

impl TileSource for TileSet {
    fn tile(&self, id: TileId) -> Option<&[u8]> {
        self.hashes
            .get(&(id.level(), id.index()))
            .map(Vec::as_slice)
    }

    fn expanded(&self, id: TileId) -> Option<&ExpandedTile> {
        self.expanded
            .get(&(id.level(), id.index()))
            .map(Arc::as_ref)
    }
}

/// A tile together with the roots of all its complete power-of-two-aligned
/// sub-ranges: 2·width − popcount-ish hashes, computed once with `width − 1`
/// node hashes. Immutable for a full tile, so a store can cache it indefinitely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedTile {
    id: TileId,
    // rows[r][k] = root of tile hashes [k·2^r, (k+1)·2^r), for r = 0..=8.
    rows: Vec<Vec<Hash>>,
}

impl ExpandedTile {
    /// Expands tile `id` from its bytes; only the first `id.width()` hashes are
    /// used, so a wider version of the tile is fine.
    pub fn new(id: TileId, bytes: &[u8]) -> Result<Self, TileError> {
        let bytes = tile_bytes(id, bytes, id.width() as usize)?;
        let mut rows = vec![hashes_of(&bytes[..id.byte_len()])];
        while let Some(prev) = rows.last() {
            if prev.len() < 2 {
                break;
            }
            let next: Vec<Hash> = prev
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            rows.push(next);
        }
        Ok(ExpandedTile { id, rows })
    }

    /// The tile this was expanded from.
    pub fn id(&self) -> TileId {
        self.id
    }

    /// The tile's own hashes.
    pub fn hashes(&self) -> &[Hash] {
        self.rows.first().map(Vec::as_slice).unwrap_or(&[])
    }

    fn node(&self, r: u32, k: usize) -> Option<&Hash> {
        self.rows.get(r as usize)?.get(k)
    }
}

/// Checks that `bytes` can be a tile with at least `need` hashes.
pub(crate) fn tile_bytes(id: TileId, bytes: &[u8], need: usize) -> Result<&[u8], TileError> {
    if bytes.len() % 32 != 0 || bytes.len() > FULL_TILE_BYTES {
        return Err(TileError::BadLength {
            tile: id,
            len: bytes.len(),
        });
    }
    if bytes.len() / 32 < need {
        return Err(TileError::TooNarrow {
            tile: id,
            hashes: bytes.len() / 32,
        });
    }
    Ok(bytes)
}

/// Splits bytes whose length is a multiple of 32 into hashes.
pub(crate) fn hashes_iter(bytes: &[u8]) -> impl Iterator<Item = Hash> + '_ {
    bytes.chunks_exact(32).map(|c| {
        let mut h = [0u8; 32];
        h.copy_from_slice(c); // chunks_exact(32) yields exactly 32 bytes
        h
    })
}

pub(crate) fn hashes_of(bytes: &[u8]) -> Vec<Hash> {
    hashes_iter(bytes).collect()
}

/// Where a perfect node's hash lives: tile, and which of its hashes to combine.
struct Location {
    tile: TileId,
    r: u32,
    // Offset of the first hash inside the tile.
    offset: usize,
}

fn locate(height: u32, index: u64, size: u64) -> Result<Location, Error> {
    let level = height / 8;
    let r = height % 8;
    let first = index << r; // position among the level's hashes
    let tile_index = first >> 8;
    let offset = (first & 0xff) as usize;
    let hashes = level_hashes(level, size);
    let available = hashes.saturating_sub(tile_index.saturating_mul(256));
    let width = available.min(TILE_WIDTH as u64) as u16;
    if width == 0 || offset + (1usize << r) > width as usize {
        return Err(Error::Unreachable("proof node outside the tree"));
    }
    Ok(Location {
        tile: TileId::internal(level, tile_index, width),
        r,
        offset,
    })
}

fn perfect_hash(
    height: u32,
    index: u64,
    size: u64,
    src: &(impl TileSource + ?Sized),
) -> Result<Hash, Error> {
    let loc = locate(height, index, size)?;
    let count = 1usize << loc.r;
    if let Some(x) = src.expanded(loc.tile) {
        if let Some(h) = x.node(loc.r, loc.offset >> loc.r) {
            return Ok(*h);
        }
    }
    let bytes = src.tile(loc.tile).ok_or(TileError::Missing(loc.tile))?;
    let bytes = tile_bytes(loc.tile, bytes, loc.offset + count)?;
    Ok(root_of_iter(hashes_iter(
        &bytes[loc.offset * 32..(loc.offset + count) * 32],
    )))
}

fn range_hash(
    start: u64,
    end: u64,
    size: u64,
    src: &(impl TileSource + ?Sized),
) -> Result<Hash, Error> {
    let mut parts: Vec<Hash> = Vec::with_capacity(64);
    let mut failed = None;
    range_nodes(start, end, |h, i| {
        if failed.is_none() {
            match perfect_hash(h, i, size, src) {
                Ok(x) => parts.push(x),
                Err(e) => failed = Some(e),
            }
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(fold_roots(parts.iter())),
    }
}

fn node_value(n: &NodeRef, size: u64, src: &(impl TileSource + ?Sized)) -> Result<Hash, Error> {
    match *n {
        NodeRef::Perfect { height, index } => perfect_hash(height, index, size, src),
        NodeRef::Range { start, end } => range_hash(start, end, size, src),
    }
}

fn node_tiles(nodes: &[NodeRef], size: u64) -> Result<Vec<TileId>, Error> {
    let mut out: Vec<TileId> = Vec::new();
    let mut add = |h: u32, i: u64| -> Result<(), Error> {
        let t = locate(h, i, size)?.tile;
        if !out.contains(&t) {
            out.push(t);
        }
        Ok(())
    };
    for n in nodes {
        match *n {
            NodeRef::Perfect { height, index } => add(height, index)?,
            NodeRef::Range { start, end } => {
                let mut res = Ok(());
                range_nodes(start, end, |h, i| {
                    if res.is_ok() {
                        res = add(h, i);
                    }
                });
                res?;
            }
        }
    }
    Ok(out)
}

fn check_index(index: u64, size: u64) -> Result<(), ApiMisuse> {
    if index >= size {
        return Err(ApiMisuse::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_sizes(old: u64, new: u64) -> Result<(), ApiMisuse> {
    if old == 0 || old > new {
        return Err(ApiMisuse::BadSizes { old, new });
    }
    Ok(())
}

fn inclusion_plan(index: u64, size: u64) -> Result<Vec<NodeRef>, ApiMisuse> {
    check_index(index, size)?;
    let mut nodes = Vec::with_capacity(64);
    inclusion_nodes(0, index, size, &mut nodes);
    Ok(nodes)
}

fn consistency_plan(old: u64, new: u64) -> Result<Vec<NodeRef>, ApiMisuse> {
    check_sizes(old, new)?;
    let mut nodes = Vec::with_capacity(64);
    if old < new {
        consistency_nodes(old, new, &mut nodes);
    }
    Ok(nodes)
}

/// The tiles (at their widths for tree `size`) that [`prove_inclusion`] reads.
pub fn inclusion_tiles(index: u64, size: u64) -> Result<Vec<TileId>, Error> {
    node_tiles(&inclusion_plan(index, size)?, size)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, from tiles
/// of that tree. Hashes ordered leaf-side first, as [`crate::verify_inclusion`] takes them.
pub fn prove_inclusion(
    index: u64,
    size: u64,
    tiles: &(impl TileSource + ?Sized),
) -> Result<Vec<Hash>, Error> {
    inclusion_plan(index, size)?
        .iter()
        .map(|n| node_value(n, size, tiles))
        .collect()
}

/// The tiles (at their widths for tree `new_size`) that [`prove_consistency`]
/// reads. Only tiles of the new tree are needed.
pub fn consistency_tiles(old_size: u64, new_size: u64) -> Result<Vec<TileId>, Error> {
    node_tiles(&consistency_plan(old_size, new_size)?, new_size)
}

/// The consistency proof from tree size `old_size` to `new_size`
/// (`0 < old_size <= new_size`; empty when equal), from tiles of the new tree.
pub fn prove_consistency(
    old_size: u64,
    new_size: u64,
    tiles: &(impl TileSource + ?Sized),
) -> Result<Vec<Hash>, Error> {
    consistency_plan(old_size, new_size)?
        .iter()
        .map(|n| node_value(n, new_size, tiles))
        .collect()
}

/// The tiles [`tree_root`] reads for a tree of `size` leaves: at most one per level.
pub fn root_tiles(size: u64) -> Vec<TileId> {
    if size == 0 {
        return Vec::new();
    }
    // Perfect subtrees of [0, size) always lie in existing tiles.
    node_tiles(
        &[NodeRef::Range {
            start: 0,
            end: size,
        }],
        size,
    )
    .unwrap_or_default()
}

/// The root of the tree of `size` leaves, from its tiles (`EMPTY_ROOT` for 0).
pub fn tree_root(size: u64, tiles: &(impl TileSource + ?Sized)) -> Result<Hash, Error> {
    range_hash(0, size, size, tiles)
}
