//! Collections: each one is exactly one append-only log.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};

/// A TAXII collection and the log behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Internal row id; stable for the life of the database.
    pub(crate) cid: i64,
    /// The TAXII collection id (a UUID).
    pub id: String,
    /// A short local name (`default` for the one `init` creates).
    pub alias: Option<String>,
    /// Human-readable title.
    pub title: String,
    /// Human-readable description.
    pub description: String,
    /// The parties that may read it.
    pub audience: Vec<String>,
    /// The parties that may write to it.
    pub writers: Vec<String>,
    /// Entries in its log (the size of its latest checkpoint).
    pub size: u64,
    /// The `date_added` of its latest entry.
    pub(crate) last_added: crate::time::Micros,
    /// The partner whose collection this one mirrors; `None` for the node's own.
    /// A mirror is read-only: only syncing adds to it.
    pub peer: Option<String>,
    /// Whether SHOULD findings are refused too, not only MUST violations.
    pub strict: bool,
}

/// What a new collection looks like.
#[derive(Debug, Clone, Default)]
pub struct NewCollection {
    /// The TAXII id (a UUID); chosen at random when `None`.
    pub id: Option<String>,
    /// Local alias.
    pub alias: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Readers.
    pub audience: Vec<String>,
    /// Writers.
    pub writers: Vec<String>,
    /// The partner it mirrors (see [`Collection::peer`]).
    pub peer: Option<String>,
    /// Refuse SHOULD findings too (see [`Collection::strict`]).
    pub strict: bool,
}

macro_rules! select_collections {
    ($rest:literal) => {
        concat!(
            "SELECT cid, id, alias, title, description, audience, writers, size, last_added, peer, strict FROM collections ",
            $rest
        )
    };
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Collection> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = row.get(i)?;
        serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(Collection {
        cid: row.get(0)?,
        id: row.get(1)?,
        alias: row.get(2)?,
        title: row.get(3)?,
        description: row.get(4)?,
        audience: list(5)?,
        writers: list(6)?,
        size: row.get::<_, i64>(7)? as u64,
        last_added: crate::time::Micros(row.get(8)?),
        peer: row.get(9)?,
        strict: row.get(10)?,
    })
}

/// Finds a collection by id or alias.
pub(crate) fn find(conn: &Connection, id_or_alias: &str) -> Result<Collection> {
    // Cached: every read and write starts here.
    conn.prepare_cached(select_collections!("WHERE id = ?1 OR alias = ?1"))?
        .query_row([id_or_alias], from_row)
        .optional()?
        .ok_or_else(|| StoreError::UnknownCollection {
            name: id_or_alias.to_owned(),
            // Only on a miss: the names there are, so the message can say them.
            known: list(conn)
                .map(|all| all.into_iter().map(|c| c.alias.unwrap_or(c.id)).collect())
                .unwrap_or_default(),
        })
}

/// Every collection, in creation order.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Collection>> {
    let mut stmt = conn.prepare(select_collections!("ORDER BY cid"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts the collection row (its empty log's checkpoint is the caller's job).
pub(crate) fn insert(conn: &Connection, new: &NewCollection) -> Result<Collection> {
    if let Some(alias) = new.alias.as_ref().filter(|a| find(conn, a).is_ok()) {
        return Err(StoreError::DuplicateAlias(alias.clone()));
    }
    let id = new
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT INTO collections (id, alias, title, description, audience, writers, peer, strict)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            new.alias,
            new.title,
            new.description,
            json(&new.audience),
            json(&new.writers),
            new.peer,
            new.strict
        ],
    )?;
    find(conn, &id)
}

impl Collection {
    /// A collection value with no database behind it, for other crates' tests.
    #[doc(hidden)]
    pub fn for_tests(id: &str) -> Collection {
        Collection {
            cid: 0,
            id: id.to_owned(),
            alias: None,
            title: String::new(),
            description: String::new(),
            audience: Vec::new(),
            writers: Vec::new(),
            size: 0,
            last_added: crate::time::Micros(0),
            peer: None,
            strict: false,
        }
    }
}

/// Sets whether a collection refuses SHOULD findings; false when there is no such collection.
pub(crate) fn set_strict(conn: &Connection, id: &str, strict: bool) -> Result<bool> {
    let n = conn.execute(
        "UPDATE collections SET strict = ?2 WHERE id = ?1",
        rusqlite::params![id, strict],
    )?;
    Ok(n == 1)
}
