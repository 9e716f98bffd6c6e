//! Reads for the node's public endpoints: tlog-tiles resources and TAXII
//! status resources.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;

/// A TAXII status resource and who may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The status id (a UUID).
    pub id: String,
    /// The user whose request it reports.
    pub owner: String,
    /// The status resource, JSON.
    pub body: String,
}

pub(crate) fn insert_status(
    conn: &rusqlite::Connection,
    status: &Status,
    created: Micros,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO statuses (id, owner, created, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![status.id, status.owner, created.0, status.body])?;
    Ok(())
}
use crate::time::Micros;
use crate::{Store, collection, log};

impl Store {
    /// A tlog-tiles resource of a collection's log (`tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`), or `None` when the tree does not (yet) have
    /// it at that width. A partial tile is served only at the width it has
    /// had at some size of the tree, i.e. as a prefix of the stored widest copy.
    pub fn tile(&self, collection: &str, path: tlog::TilePath) -> Result<Option<Vec<u8>>> {
        let coll = collection::find(&self.conn, collection)?;
        match path {
            tlog::TilePath::Hash(id) => {
                let Some(data) = log::stored_tile(&self.conn, coll.cid, id)? else {
                    return Ok(None);
                };
                let want = id.byte_len();
                Ok((data.len() >= want).then(|| {
                    let mut data = data;
                    data.truncate(want);
                    data
                }))
            }
            tlog::TilePath::Entries(bundle) => {
                let first = bundle.first_entry();
                let end = first + u64::from(bundle.width());
                if end > coll.size {
                    return Ok(None);
                }
                let mut stmt = self.conn.prepare_cached(
                    "SELECT data FROM entries WHERE cid = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
                )?;
                let entries = stmt
                    .query_map(params![coll.cid, first as i64, end as i64], |r| {
                        r.get::<_, Vec<u8>>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                if entries.len() as u64 != end - first {
                    return Err(crate::StoreError::Corrupt(format!(
                        "entries {first}..{end} of {} are incomplete; run `entente audit`",
                        coll.id
                    )));
                }
                Ok(Some(tlog::encode_bundle(&entries)?))
            }
        }
    }

    /// Stores a TAXII status resource.
    pub fn put_status(&mut self, status: &Status, created: Micros) -> Result<()> {
        insert_status(&self.conn, status, created)
    }

    /// A stored status resource.
    pub fn status(&self, id: &str) -> Result<Option<Status>> {
        Ok(self
            .conn
            .prepare_cached("SELECT owner, body FROM statuses WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(Status {
                    id: id.to_owned(),
                    owner: r.get(0)?,
                    body: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// Forgets status resources created before `before`; returns how many.
    pub fn prune_statuses(&mut self, before: Micros) -> Result<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM statuses WHERE created < ?1", [before.0])?)
    }
}
