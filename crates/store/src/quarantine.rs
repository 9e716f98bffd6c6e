//! Quarantine: partners' objects that hit a warninglist or violate a MUST of STIX 2.1.
//!
//! A held version is stored and stays provable (it is in the partner's log),
//! but every view leaves it out: TAXII (where it answers as an unknown
//! object would), exports, matching. An analyst releases it (it joins the
//! views) or rejects it (it stays out for good). A version held as invalid
//! cannot be released: no read path could use it, so it can only be rejected.

use rusqlite::params;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::time::Micros;

/// What became of a held version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    /// Waiting for an analyst.
    Held,
    /// Released into the views.
    Released,
    /// Rejected: never used.
    Rejected,
}

impl HoldState {
    /// `held`, `released` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldState::Held => "held",
            HoldState::Released => "released",
            HoldState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> HoldState {
        match s {
            "released" => HoldState::Released,
            "rejected" => HoldState::Rejected,
            _ => HoldState::Held,
        }
    }
}

/// One quarantined version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The mirror collection's id.
    pub collection: String,
    /// Its alias.
    pub alias: Option<String>,
    /// The partner it came from.
    pub peer: Option<String>,
    /// The object's id.
    pub id: String,
    /// The version held.
    pub version: String,
    /// Why (the warninglist hit, or the validator's messages).
    pub reason: String,
    /// Whether it violates a MUST of STIX 2.1 (and so cannot be released).
    pub invalid: bool,
    /// What was decided.
    pub state: HoldState,
    /// When it was decided.
    pub decided: Option<Micros>,
}

/// The columns of a [`Held`], read from `quarantine q JOIN collections c`.
const HELD_COLUMNS: &str =
    "c.id, c.alias, c.peer, q.id, q.version, q.reason, q.state, q.decided, q.cid, q.invalid";

fn held_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Held> {
    Ok(Held {
        collection: r.get(0)?,
        alias: r.get(1)?,
        peer: r.get(2)?,
        id: r.get(3)?,
        version: r.get(4)?,
        reason: r.get(5)?,
        state: HoldState::parse(&r.get::<_, String>(6)?),
        decided: r.get::<_, Option<i64>>(7)?.map(Micros),
        invalid: r.get(9)?,
    })
}

impl Store {
    /// Quarantined versions, oldest first; with `all`, also those decided.
    pub fn quarantine(&self, all: bool) -> Result<Vec<Held>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {HELD_COLUMNS}
             FROM quarantine q JOIN collections c ON c.cid = q.cid
             JOIN versions v ON v.cid = q.cid AND v.id = q.id AND v.version = q.version
             WHERE ?1 OR q.state = 'held' ORDER BY v.date_added"
        ))?;
        let rows = stmt.query_map([all], held_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Releases (`release = true`) or rejects the held versions of object
    /// `id` (only `version` when given), in every mirror; returns what was
    /// decided. Deciding nothing is an error naming the object.
    pub fn decide_quarantine(
        &mut self,
        id: &str,
        version: Option<&str>,
        release: bool,
        now: Micros,
    ) -> Result<Vec<Held>> {
        let tx = self.conn.transaction()?;
        let targets: Vec<(i64, Held)> = tx
            .prepare(&format!(
                "SELECT {HELD_COLUMNS} FROM quarantine q JOIN collections c ON c.cid = q.cid
                 WHERE q.id = ?1 AND q.state = 'held' AND (?2 IS NULL OR q.version = ?2)"
            ))?
            .query_map(params![id, version], |r| Ok((r.get(8)?, held_row(r)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if targets.is_empty() {
            return Err(StoreError::NotHeld {
                id: id.to_owned(),
                version: version.map(str::to_owned),
            });
        }
        if let Some((_, held)) = targets.iter().find(|(_, h)| release && h.invalid) {
            return Err(StoreError::Unreleasable {
                id: held.id.clone(),
                version: held.version.clone(),
                reason: held.reason.clone(),
            });
        }
        let state = if release {
            HoldState::Released
        } else {
            HoldState::Rejected
        };
        let mut decided = Vec::with_capacity(targets.len());
        for (cid, mut held) in targets {
            tx.execute(
                "UPDATE quarantine SET state = ?4, decided = ?5 WHERE cid = ?1 AND id = ?2 AND version = ?3",
                params![cid, id, held.version, state.as_str(), now.0],
            )?;
            if release {
                tx.execute(
                    "UPDATE versions SET held = 0 WHERE cid = ?1 AND id = ?2 AND version = ?3",
                    params![cid, id, held.version],
                )?;
                tx.execute(
                    "UPDATE versions SET latest = 0 WHERE cid = ?1 AND id = ?2",
                    params![cid, id],
                )?;
                crate::mirror::latest_again(&tx, cid, id)?;
            }
            held.state = state;
            held.decided = Some(now);
            decided.push(held);
        }
        tx.commit()?;
        Ok(decided)
    }
}
