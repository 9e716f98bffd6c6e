//! The witness state: for each log this node witnesses, the largest
//! checkpoint it verified and the cosignature it gave.
//!
//! A witness must never cosign two checkpoints of one log that are not
//! consistent, so the check against the stored state and the update are one
//! step ([`Store::swap_witnessed`]), durable before the cosignature leaves.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::Store;
use crate::error::Result;

/// The latest checkpoint this node verified for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    /// The log's origin line.
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// The signed checkpoint, as the log signed it.
    pub note: String,
    /// This node's cosignature line on it (without the final newline).
    pub cosignature: String,
}

impl Store {
    /// The witness state for `origin`.
    pub fn witnessed(&self, origin: &str) -> Result<Option<Witnessed>> {
        Ok(self
            .conn
            .query_row(
                "SELECT origin, size, note, cosignature FROM witnessed WHERE origin = ?1",
                [origin],
                |r| {
                    Ok(Witnessed {
                        origin: r.get(0)?,
                        size: r.get::<_, i64>(1)? as u64,
                        note: r.get(2)?,
                        cosignature: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every log's witness state.
    pub fn witnessed_all(&self) -> Result<Vec<Witnessed>> {
        let mut stmt = self
            .conn
            .prepare("SELECT origin, size, note, cosignature FROM witnessed ORDER BY origin")?;
        let rows = stmt.query_map([], |r| {
            Ok(Witnessed {
                origin: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                note: r.get(2)?,
                cosignature: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the state of `new.origin` if it is still at `expected` size
    /// (`None`: no state yet); returns whether it did. The caller has checked
    /// that `new` is consistent with the state at `expected`.
    pub fn swap_witnessed(&mut self, expected: Option<u64>, new: &Witnessed) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<i64> = tx
            .query_row(
                "SELECT size FROM witnessed WHERE origin = ?1",
                [&new.origin],
                |r| r.get(0),
            )
            .optional()?;
        if current.map(|s| s as u64) != expected {
            return Ok(false);
        }
        tx.execute(
            "INSERT OR REPLACE INTO witnessed (origin, size, note, cosignature) VALUES (?1, ?2, ?3, ?4)",
            params![new.origin, new.size as i64, new.note, new.cosignature],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Keeps a witness's cosignature of the collection's checkpoint at
    /// `size`, served with it from then on. A newer line from the same
    /// witness (same name) replaces the older one.
    pub fn add_cosignature(
        &mut self,
        collection: &str,
        size: u64,
        witness: &str,
        line: &str,
    ) -> Result<()> {
        let coll = crate::collection::find(&self.conn, collection)?;
        let line = line.trim_end();
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM cosignatures WHERE cid = ?1 AND size = ?2 AND substr(line, 1, ?4) = ?3",
            params![
                coll.cid,
                size as i64,
                format!("\u{2014} {witness} "),
                (witness.chars().count() + 3) as i64
            ],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO cosignatures (cid, size, line) VALUES (?1, ?2, ?3)",
            params![coll.cid, size as i64, line],
        )?;
        tx.commit()?;
        Ok(())
    }
}
