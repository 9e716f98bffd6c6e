//! Who a collection is shared with: the parties in its audience (readers) and
//! its writers. The audience is what markings are checked against, on every
//! append and whenever a party is added to it.

use rusqlite::{TransactionBehavior, params};

use crate::Store;
use crate::collection::{self, Collection};
use crate::entry::Entry;
use crate::error::{Result, StoreError};

/// What a party may do with a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read its objects and its log.
    Read,
    /// Add objects to it.
    Write,
}

impl Store {
    /// Adds another party to the collection's audience or writers.
    ///
    /// Adding a reader is refused while the collection holds a TLP:RED object
    /// (live or withdrawn: the log serves every entry). Idempotent.
    pub fn share(&mut self, collection: &str, party: &str, access: Access) -> Result<Collection> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let coll = collection::find(&tx, collection)?;
        let mut list = parties(&coll, access);
        if list.iter().any(|p| p == party) {
            return Ok(coll);
        }
        if access == Access::Read
            && let Some((index, object_id)) = first_red_entry(&tx, &coll)?
        {
            return Err(StoreError::AudienceConflict {
                party: party.to_owned(),
                collection: collection.to_owned(),
                object_id,
                index,
            });
        }
        list.push(party.to_owned());
        set_list(&tx, &coll, access, &list)?;
        tx.commit()?;
        collection::find(&self.conn, &coll.id)
    }

    /// Removes a party from the collection's audience or writers. Idempotent.
    pub fn unshare(&mut self, collection: &str, party: &str, access: Access) -> Result<Collection> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let coll = collection::find(&tx, collection)?;
        let mut list = parties(&coll, access);
        list.retain(|p| p != party);
        set_list(&tx, &coll, access, &list)?;
        tx.commit()?;
        collection::find(&self.conn, &coll.id)
    }
}

/// The parties with `access` to the collection.
fn parties(coll: &Collection, access: Access) -> Vec<String> {
    match access {
        Access::Read => coll.audience.clone(),
        Access::Write => coll.writers.clone(),
    }
}

fn set_list(
    tx: &rusqlite::Transaction<'_>,
    coll: &Collection,
    access: Access,
    list: &[String],
) -> Result<()> {
    let json = serde_json::to_string(list)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode a party list: {e}")))?;
    let sql = match access {
        Access::Read => "UPDATE collections SET audience = ?2 WHERE cid = ?1",
        Access::Write => "UPDATE collections SET writers = ?2 WHERE cid = ?1",
    };
    tx.execute(sql, params![coll.cid, json])?;
    Ok(())
}

/// The first entry adding a TLP:RED object, with the object's id.
fn first_red_entry(
    tx: &rusqlite::Transaction<'_>,
    coll: &Collection,
) -> Result<Option<(u64, String)>> {
    let mut stmt = tx.prepare("SELECT idx, data FROM entries WHERE cid = ?1 ORDER BY idx")?;
    let mut rows = stmt.query([coll.cid])?;
    while let Some(row) = rows.next()? {
        let data: Vec<u8> = row.get(1)?;
        // Only entries that mention a marking need parsing.
        if !data.windows(19).any(|w| w == b"object_marking_refs") {
            continue;
        }
        let index = row.get::<_, i64>(0)? as u64;
        let Ok(Entry::Add { object, .. }) = Entry::from_bytes(&data) else {
            continue;
        };
        let red = object
            .get("object_marking_refs")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str())
            .any(|r| stix::Tlp::from_marking_ref(r) == Some(stix::Tlp::Red));
        if red {
            let id = object.get("id").and_then(|v| v.as_str()).unwrap_or("?");
            return Ok(Some((index, id.to_owned())));
        }
    }
    Ok(None)
}
