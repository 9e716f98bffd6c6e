//! The deep audit of what the version index derives rather than copies: each
//! row's sortable version key, and the mark on each object's latest live
//! version, which TAXII's default view serves. Wrong ones would not change a
//! served byte, but would serve the wrong version as the latest.

use rusqlite::Connection;

use super::Mismatch;
use crate::collection::Collection;
use crate::error::Result;
use crate::read::vkey;

struct Row {
    id: String,
    version: String,
    vkey: String,
    latest: bool,
    live: bool,
    index: u64,
}

/// The first row whose version key or latest mark is not what its versions imply.
pub(super) fn check(conn: &Connection, coll: &Collection) -> Result<Option<Mismatch>> {
    let mut stmt = conn.prepare(
        "SELECT id, version, vkey, latest, withdrawn IS NULL AND held = 0, idx FROM versions WHERE cid = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([coll.cid])?;
    let mut group: Vec<Row> = Vec::new();
    while let Some(r) = rows.next()? {
        let row = Row {
            id: r.get(0)?,
            version: r.get(1)?,
            vkey: r.get(2)?,
            latest: r.get(3)?,
            live: r.get(4)?,
            index: r.get::<_, i64>(5)? as u64,
        };
        if row.vkey != vkey(&row.version) {
            return Ok(Some(Mismatch {
                index: Some(row.index),
                what: format!(
                    "the version index's sort key of {}@{} is {:?}, not {:?}",
                    row.id,
                    row.version,
                    row.vkey,
                    vkey(&row.version)
                ),
            }));
        }
        if group.first().is_some_and(|g| g.id != row.id) {
            if let Some(m) = check_object(&group) {
                return Ok(Some(m));
            }
            group.clear();
        }
        group.push(row);
    }
    Ok(check_object(&group))
}

/// Exactly one live version with the greatest key carries the mark (two
/// spellings of one instant tie; either may hold it), or none when every
/// version is withdrawn. A version held in quarantine is not live.
fn check_object(versions: &[Row]) -> Option<Mismatch> {
    let newest = versions.iter().filter(|v| v.live).map(|v| &v.vkey).max();
    let mut marked = versions.iter().filter(|v| v.latest);
    let first = marked.next();
    let wrong = match (first, newest) {
        (None, None) => None,
        (Some(v), Some(max)) if v.live && &v.vkey == max && marked.next().is_none() => None,
        (Some(v), _) => Some(v),
        (None, Some(_)) => versions.iter().find(|v| v.live),
    }?;
    let latest = versions
        .iter()
        .filter(|v| v.live && Some(&v.vkey) == newest)
        .map(|v| v.version.as_str())
        .next();
    Some(Mismatch {
        index: Some(wrong.index),
        what: format!(
            "the latest-version mark of {} is wrong at {}@{} (marked: {}); the latest live version is {}",
            wrong.id,
            wrong.id,
            wrong.version,
            wrong.latest,
            latest.unwrap_or("none: every version is withdrawn")
        ),
    })
}
