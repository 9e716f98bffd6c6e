//! What a collection serves: TAXII's filtered, paged views of the object
//! versions that are live (added and not withdrawn).
//!
//! Paging is keyset paging on `date_added`, which is strictly increasing
//! within a collection, so a page boundary is one instant: a cursor needs no
//! server-side state, survives restarts, and never skips or repeats a row.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};

use crate::collection::{self, Collection};
use crate::error::Result;
use crate::time::Micros;
use crate::{Store, read};

/// Which versions of each object a query returns (TAXII `match[version]`).
/// The selectors are ORed: `first,last` returns both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFilter {
    /// The earliest live version of each object.
    pub first: bool,
    /// The latest live version of each object.
    pub last: bool,
    /// Every live version.
    pub all: bool,
    /// Versions at exactly these instants (any precision; compared as instants).
    pub exact: Vec<String>,
}

impl Default for VersionFilter {
    /// TAXII's default: the latest version.
    fn default() -> Self {
        VersionFilter {
            first: false,
            last: true,
            all: false,
            exact: Vec::new(),
        }
    }
}

/// A TAXII query over one collection.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only rows added strictly after this instant (`added_after`, or a cursor).
    pub added_after: Option<Micros>,
    /// Only these object ids (`match[id]`); all when empty.
    pub ids: Vec<String>,
    /// Only these object types (`match[type]`); all when empty.
    pub types: Vec<String>,
    /// Which versions.
    pub versions: VersionFilter,
    /// Whether the spec versions asked for (`match[spec_version]`) include
    /// the one every stored object has, 2.1. `false` selects nothing.
    pub spec_version_matches: bool,
    /// Page size; at least 1.
    pub limit: usize,
}

impl Query {
    /// Every live version's latest, in pages of `limit`.
    pub fn new(limit: usize) -> Query {
        Query {
            spec_version_matches: true,
            limit,
            ..Query::default()
        }
    }
}

/// One served object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The object id.
    pub id: String,
    /// Its version (`modified`, `created`, or an SCO's `date_added`).
    pub version: String,
    /// When it was added.
    pub date_added: Micros,
    /// Its log index.
    pub index: u64,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in `date_added` order.
    pub items: Vec<T>,
    /// Whether more items follow the last one.
    pub more: bool,
    /// Versions the index selected but whose entry cannot be served: left
    /// out of `items`, for the caller to report. One bad entry (a mirror
    /// filled before partner entries were checked) must not fail the page.
    pub skipped: Vec<Skipped>,
}

/// A version left out of a [`Page`], and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The object id.
    pub id: String,
    /// Its entry's log index.
    pub index: u64,
    /// Why it cannot be used.
    pub reason: String,
}

impl<T> Page<T> {
    fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            more: false,
            skipped: Vec::new(),
        }
    }
}

/// The SQL and its parameters for a query; `with_data` also fetches each entry.
fn build(coll: &Collection, query: &Query, with_data: bool) -> (String, Vec<SqlValue>) {
    let mut sql = String::from("SELECT v.id, v.version, v.date_added, v.idx");
    if with_data {
        sql.push_str(", e.data FROM versions v JOIN entries e ON e.cid = v.cid AND e.idx = v.idx");
    } else {
        sql.push_str(" FROM versions v");
    }
    // With ids, the primary key finds the few rows and a sort orders them;
    // the unary `+` keeps SQLite from scanning the whole date_added index instead.
    let by_date = if query.ids.is_empty() {
        "v.date_added"
    } else {
        "+v.date_added"
    };
    sql.push_str(" WHERE v.cid = ? AND v.withdrawn IS NULL AND v.held = 0 AND ");
    sql.push_str(by_date);
    sql.push_str(" > ?");
    let mut args: Vec<SqlValue> = vec![
        coll.cid.into(),
        query.added_after.map_or(i64::MIN, |m| m.0).into(),
    ];
    if !query.ids.is_empty() {
        sql.push_str(" AND v.id IN (");
        push_placeholders(&mut sql, query.ids.len());
        sql.push(')');
        args.extend(query.ids.iter().map(|id| SqlValue::from(id.clone())));
    }
    if !query.types.is_empty() {
        // `type--` prefixes as ranges, so the (cid, id) key can serve them.
        sql.push_str(" AND (");
        for (i, t) in query.types.iter().enumerate() {
            if i > 0 {
                sql.push_str(" OR ");
            }
            sql.push_str("(v.id > ? AND v.id < ?)");
            args.push(format!("{t}--").into());
            args.push(format!("{t}-.").into());
        }
        sql.push(')');
    }
    let v = &query.versions;
    if !v.all {
        let newer = "EXISTS (SELECT 1 FROM versions w WHERE w.cid = v.cid AND w.id = v.id AND w.withdrawn IS NULL AND w.held = 0 AND w.vkey";
        let mut any = Vec::new();
        if v.last {
            any.push("v.latest = 1".to_owned());
        }
        if v.first {
            any.push(format!("NOT {newer} < v.vkey)"));
        }
        if !v.exact.is_empty() {
            let mut clause = String::from("v.vkey IN (");
            push_placeholders(&mut clause, v.exact.len());
            clause.push(')');
            any.push(clause);
            args.extend(v.exact.iter().map(|e| SqlValue::from(read::vkey(e))));
        }
        if any.is_empty() {
            any.push("0".into());
        }
        sql.push_str(" AND (");
        sql.push_str(&any.join(" OR "));
        sql.push(')');
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(by_date);
    sql.push_str(" LIMIT ?");
    args.push(((query.limit.max(1) + 1) as i64).into());
    (sql, args)
}

fn push_placeholders(sql: &mut String, n: usize) {
    for i in 0..n {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
    }
}

fn run<T>(
    conn: &Connection,
    coll: &Collection,
    query: &Query,
    with_data: bool,
    mut make: impl FnMut(Record, Option<&[u8]>) -> std::result::Result<T, Skipped>,
) -> Result<Page<T>> {
    if !query.spec_version_matches {
        return Ok(Page::empty());
    }
    let (sql, args) = build(coll, query, with_data);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut page = Page::empty();
    while let Some(row) = rows.next()? {
        if page.items.len() == query.limit.max(1) {
            page.more = true;
            break;
        }
        let record = Record {
            id: row.get(0)?,
            version: row.get(1)?,
            date_added: Micros(row.get(2)?),
            index: row.get::<_, i64>(3)? as u64,
        };
        // Borrowed from SQLite's row buffer: the entry is not copied here.
        let data = if with_data {
            Some(row.get_ref(4)?.as_blob().map_err(rusqlite::Error::from)?)
        } else {
            None
        };
        match make(record, data) {
            Ok(item) => page.items.push(item),
            Err(skipped) => page.skipped.push(skipped),
        }
    }
    Ok(page)
}

/// The object inside an `add` entry's bytes, without parsing it: the entry is
/// canonical JSON whose keys are `date_added`, `object`, `op` in that order.
pub fn object_bytes(entry: &[u8]) -> Option<&[u8]> {
    const HEAD: &[u8] = b"{\"date_added\":\"";
    const TAIL: &[u8] = b",\"op\":\"add\"}";
    let rest = entry.strip_prefix(HEAD)?;
    let close = rest.iter().position(|&b| b == b'"')?;
    let rest = rest[close + 1..].strip_prefix(b",\"object\":")?;
    let object = rest.strip_suffix(TAIL)?;
    (object.first() == Some(&b'{')).then_some(object)
}

impl Store {
    /// A page of a collection's manifest: the versions `query` selects.
    pub fn manifest(&self, collection: &str, query: &Query) -> Result<Page<Record>> {
        let coll = collection::find(&self.conn, collection)?;
        run(&self.conn, &coll, query, false, |r, _| Ok(r))
    }

    /// A page of a collection's objects: each selected version with the
    /// object's canonical JSON bytes, exactly as they are in the log.
    pub fn objects(&self, collection: &str, query: &Query) -> Result<Page<(Record, Vec<u8>)>> {
        let mut objects = Vec::new();
        let page = self.objects_into(collection, query, |_, object| {
            objects.push(object.to_vec());
        })?;
        Ok(Page {
            items: page.items.into_iter().zip(objects).collect(),
            more: page.more,
            skipped: page.skipped,
        })
    }

    /// [`Store::objects`] without copies: `each` sees every selected object's
    /// bytes, in order, straight from the database page, to write them
    /// wherever they go (a response body).
    pub fn objects_into(
        &self,
        collection: &str,
        query: &Query,
        mut each: impl FnMut(&Record, &[u8]),
    ) -> Result<Page<Record>> {
        let coll = collection::find(&self.conn, collection)?;
        run(&self.conn, &coll, query, true, |r, data| {
            let Some(object) = data.and_then(object_bytes) else {
                return Err(Skipped {
                    reason: format!(
                        "entry {} of {} is not the add entry the index says (`entente audit --deep` checks the index)",
                        r.index, coll.id
                    ),
                    id: r.id,
                    index: r.index,
                });
            };
            each(&r, object);
            Ok(r)
        })
    }

    /// Whether the collection holds `id` with a version that is still live
    /// and not held in quarantine: a held object answers as an unknown one.
    pub fn is_live(&self, collection: &str, id: &str) -> Result<bool> {
        let coll = collection::find(&self.conn, collection)?;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM versions WHERE cid = ?1 AND id = ?2 AND withdrawn IS NULL AND held = 0 LIMIT 1",
            )?
            .exists(rusqlite::params![coll.cid, id])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_bytes_cuts_the_envelope() {
        let entry = crate::entry::Entry::add_bytes(Micros(1), br#"{"id":"x","type":"y"}"#);
        assert_eq!(object_bytes(&entry), Some(&br#"{"id":"x","type":"y"}"#[..]));
        assert_eq!(
            object_bytes(br#"{"date_added":"x","id":"a","op":"withdraw"}"#),
            None
        );
        assert_eq!(object_bytes(b"{}"), None);
    }

    #[test]
    fn version_keys_order_instants() {
        use crate::read::vkey;
        assert_eq!(
            vkey("2020-01-01T00:00:00.5Z"),
            vkey("2020-01-01T00:00:00.500Z")
        );
        assert_eq!(
            vkey("2020-01-01T00:00:00Z"),
            vkey("2020-01-01T00:00:00.000Z")
        );
        assert!(vkey("2020-01-01T00:00:00Z") < vkey("2020-01-01T00:00:00.001Z"));
        assert!(vkey("2020-01-01T00:00:00.999Z") < vkey("2020-01-01T00:00:01Z"));
        assert!(vkey("2020-01-01T00:00:00.123456789Z") < vkey("2020-01-01T00:00:00.1234567891Z"));
    }
}
