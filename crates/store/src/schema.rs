//! The SQLite schema and its version check.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Result, StoreError};

/// The schema this build reads and writes. Bump it with every incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Tables, in one place so the whole layout can be read at a glance.
///
/// * `entries` holds each log leaf's exact bytes; the leaf hash is over them.
/// * `versions` is an index of `entries` (object id and version to log index);
///   it can be rebuilt from the entries and the audit checks it against them.
/// * `tiles` holds the latest (widest) copy of every hash tile; a partial tile
///   of width w is the first w hashes of any wider copy of the same tile.
/// * `checkpoints` keeps every signed checkpoint ever issued, so that any
///   earlier one can be re-verified and proven consistent with the latest.
const DDL: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE collections (
    cid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    alias       TEXT UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    audience    TEXT NOT NULL DEFAULT '[]',
    writers     TEXT NOT NULL DEFAULT '[]',
    size        INTEGER NOT NULL DEFAULT 0,
    last_added  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE entries (
    cid  INTEGER NOT NULL REFERENCES collections (cid),
    idx  INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cid, idx)
) WITHOUT ROWID;

CREATE TABLE versions (
    cid         INTEGER NOT NULL REFERENCES collections (cid),
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    object_hash BLOB NOT NULL,
    date_added  INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    withdrawn   INTEGER,
    PRIMARY KEY (cid, id, version)
) WITHOUT ROWID;
CREATE INDEX versions_by_date_added ON versions (cid, date_added);
CREATE INDEX versions_by_idx ON versions (cid, idx);

CREATE TABLE tiles (
    cid   INTEGER NOT NULL REFERENCES collections (cid),
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    data  BLOB NOT NULL,
    PRIMARY KEY (cid, level, idx)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    cid  INTEGER NOT NULL REFERENCES collections (cid),
    size INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (cid, size)
) WITHOUT ROWID;

CREATE TABLE cosignatures (
    cid  INTEGER NOT NULL REFERENCES collections (cid),
    size INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (cid, size, line)
) WITHOUT ROWID;
";

/// Sets the connection up for durability: once a transaction commits, it is on disk.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    // WAL with synchronous = FULL fsyncs the log at every commit: an acknowledged
    // batch survives kill -9 and power loss.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(())
}

/// Creates the tables in a new database.
pub(crate) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(DDL)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// Refuses a database written by another schema version, saying how to proceed.
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<()> {
    let found: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap_or(None);
    match found {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
        other => Err(StoreError::SchemaVersion {
            path: path.to_owned(),
            found: other.unwrap_or_else(|| "none".into()),
            expected: SCHEMA_VERSION,
        }),
    }
}
