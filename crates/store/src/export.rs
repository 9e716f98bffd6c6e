//! Writing a collection's log as a C2SP tile tree, as a static server would serve it.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::params;

use crate::error::{Result, StoreError};
use crate::{Store, collection, read};

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// The tree size of the exported checkpoint.
    pub size: u64,
    /// Hash tiles written.
    pub tiles: u64,
    /// Entry bundles written.
    pub bundles: u64,
}

fn write(path: PathBuf, data: &[u8]) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    fs::write(&path, data).map_err(io(&path))
}

impl Store {
    /// Writes the collection's tile tree into `dir`: hash tiles and entry
    /// bundles under `tile/`, then the signed `checkpoint` at the root, last,
    /// so a reader never sees a checkpoint whose tiles are not there yet.
    /// Entries and tiles are read in one transaction, so they match the
    /// checkpoint even while another process appends.
    pub fn export_tiles(
        &self,
        collection: &str,
        dir: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ExportSummary> {
        // A read transaction: one consistent snapshot of the log.
        let tx = self.conn.unchecked_transaction()?;
        let coll = collection::find(&tx, collection)?;
        let checkpoint = read::latest_checkpoint(&tx, &coll)?;
        let mut summary = ExportSummary {
            size: coll.size,
            tiles: 0,
            bundles: 0,
        };
        {
            let mut stmt = tx
                .prepare("SELECT level, idx, data FROM tiles WHERE cid = ?1 ORDER BY level, idx")?;
            let mut rows = stmt.query([coll.cid])?;
            while let Some(row) = rows.next()? {
                let level: u8 = row.get(0)?;
                let index = row.get::<_, i64>(1)? as u64;
                let data: Vec<u8> = row.get(2)?;
                let width = (data.len() / 32) as u16;
                write(
                    dir.join(tlog::TileId::new(level, index, width)?.path()),
                    &data,
                )?;
                summary.tiles += 1;
            }
        }
        {
            let mut stmt = tx.prepare(
                "SELECT idx, data FROM entries WHERE cid = ?1 AND idx < ?2 ORDER BY idx",
            )?;
            let mut rows = stmt.query(params![coll.cid, coll.size as i64])?;
            let mut bundle: Vec<Vec<u8>> = Vec::with_capacity(256);
            let mut count = 0u64;
            let mut flush = |bundle: &mut Vec<Vec<u8>>, count: u64| -> Result<()> {
                let index = (count - 1) / 256;
                let id = tlog::BundleId::new(index, bundle.len() as u16)?;
                write(dir.join(id.path()), &tlog::encode_bundle(bundle)?)?;
                bundle.clear();
                summary.bundles += 1;
                progress(count);
                Ok(())
            };
            while let Some(row) = rows.next()? {
                bundle.push(row.get(1)?);
                count += 1;
                if count.is_multiple_of(256) {
                    flush(&mut bundle, count)?;
                }
            }
            if !count.is_multiple_of(256) {
                flush(&mut bundle, count)?;
            }
        }
        write(dir.join("checkpoint"), checkpoint.as_bytes())?;
        Ok(summary)
    }
}
