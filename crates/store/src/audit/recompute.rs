//! Rebuilding a tree from leaf hashes and comparing it, tile by tile, with
//! the stored one.

use std::path::Path;

use super::Mismatch;
use crate::error::{Result, StoreError};

/// Where stored tiles come from.
pub(super) trait TileSource {
    /// The stored copy of the tile, or `None` if there is none.
    fn tile(&mut self, id: tlog::TileId) -> Result<Option<Vec<u8>>>;
}

/// Recomputes a tree leaf by leaf and checks it against stored tiles.
pub(super) struct Recompute<S> {
    pub(super) writer: tlog::TileWriter,
    source: S,
    pub(super) tiles: u64,
}

impl<S: TileSource> Recompute<S> {
    pub(super) fn new(source: S) -> Self {
        Recompute {
            writer: tlog::TileWriter::new(),
            source,
            tiles: 0,
        }
    }

    /// Hashes in `leaves`; compares every tile that became full.
    pub(super) fn append(&mut self, leaves: &[tlog::Hash]) -> Result<Option<Mismatch>> {
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
    pub(super) fn finish(&mut self) -> Result<Option<Mismatch>> {
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
pub(super) struct DbTiles<'a> {
    pub(super) conn: &'a rusqlite::Connection,
    pub(super) cid: i64,
}

impl TileSource for DbTiles<'_> {
    fn tile(&mut self, id: tlog::TileId) -> Result<Option<Vec<u8>>> {
        crate::log::stored_tile(self.conn, self.cid, id)
    }
}

/// Tiles of an exported tile tree.
pub(super) struct DirTiles<'a> {
    pub(super) dir: &'a Path,
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
