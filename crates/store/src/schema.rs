//! The SQLite schema and its version check.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Result, StoreError};

/// The schema this build reads and writes. Bump it with every incompatible change.
pub const SCHEMA_VERSION: u32 = 4;

/// Tables, in one place so the whole layout can be read at a glance.
///
/// * `entries` holds each log leaf's exact bytes; the leaf hash is over them.
/// * `versions` is an index of `entries` (object id and version to log index);
///   it can be rebuilt from the entries and the audit checks it against them.
/// * `tiles` holds the latest (widest) copy of every hash tile; a partial tile
///   of width w is the first w hashes of any wider copy of the same tile.
/// * `date_added` grows with the log index within a collection, so the one
///   `versions_by_date_added` index also gives log order.
/// * `entries` and `tiles` are rowid tables on purpose: their rows are large
///   (up to 64 KiB and 8 KiB), and a `WITHOUT ROWID` table spills every row
///   over about 1 KB into overflow pages, tripling the file.
/// * `checkpoints` keeps every signed checkpoint ever issued, so that any
///   earlier one can be re-verified and proven consistent with the latest.
/// * `versions.vkey` is the version as a sortable text (see `read::vkey`):
///   timestamps of any precision compare as instants, which TAXII's
///   `match[version]=first` and exact versions need inside SQL.
/// * `versions.latest` is 1 on the newest live version of each object, kept
///   by every append and withdrawal, so TAXII's default view (latest
///   versions in `date_added` order) is one scan of `versions_by_date_added`,
///   which covers it: no lookup per row in the table itself.
/// * `statuses` keeps the TAXII status resource of every write request, and
///   the user who made it (only they may read it); they
///   are not part of any log.
/// * `collections.peer` names the partner a collection mirrors (NULL for the
///   node's own); `mirrors` holds the rest of a mirror's state. A verified
///   mirror's entries, tiles and checkpoints are the peer's, byte for byte,
///   so its objects are provable with the peer's key.
/// * `versions.held` is 1 on a partner's version that hit a warninglist:
///   stored and provable, but left out of every view until an analyst
///   releases it; `quarantine` says why and what was decided.
/// * `collections.strict` is 1 on a collection that refuses SHOULD findings
///   too (an authoring gate); others refuse only MUST violations.
/// * `invalid_entries` marks a mirror's entries that are not a valid
///   envelope (kept byte for byte, since the peer's proofs need them, but
///   never indexed or served), with the reason.
/// * `quarantine.invalid` is 1 on a partner's version held because it
///   violates a MUST of STIX 2.1; such a version cannot be released.
/// * `witnessed` is the witness state: per log origin, the largest
///   checkpoint this node verified (by syncing or by cosigning) and the
///   cosignature it gave; every later one must be consistent with it.
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
    last_added  INTEGER NOT NULL DEFAULT 0,
    peer        TEXT,
    strict      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE entries (
    cid  INTEGER NOT NULL REFERENCES collections (cid),
    idx  INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cid, idx)
);

CREATE TABLE versions (
    cid         INTEGER NOT NULL REFERENCES collections (cid),
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    date_added  INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    withdrawn   INTEGER,
    vkey        TEXT NOT NULL,
    latest      INTEGER NOT NULL DEFAULT 0,
    held        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cid, id, version)
) WITHOUT ROWID;
CREATE INDEX versions_by_date_added ON versions (cid, date_added, idx, withdrawn, latest, held);

CREATE TABLE tiles (
    cid   INTEGER NOT NULL REFERENCES collections (cid),
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    data  BLOB NOT NULL,
    PRIMARY KEY (cid, level, idx)
);

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

/// The status table, new in schema 2: created by both `DDL` and the upgrade.
const STATUSES: &str = "
CREATE TABLE statuses (
    id      TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    created INTEGER NOT NULL,
    body    TEXT NOT NULL
) WITHOUT ROWID;
";

/// The tables of peers' state, new in schema 3: created by both `DDL` and the upgrade.
const PEERS: &str = "
CREATE TABLE mirrors (
    cid       INTEGER PRIMARY KEY REFERENCES collections (cid),
    peer      TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    verified  INTEGER NOT NULL,
    vkey      TEXT,
    cursor    TEXT,
    halted    TEXT,
    synced    INTEGER,
    error     TEXT,
    UNIQUE (peer, remote_id)
);

CREATE TABLE quarantine (
    cid     INTEGER NOT NULL REFERENCES collections (cid),
    id      TEXT NOT NULL,
    version TEXT NOT NULL,
    reason  TEXT NOT NULL,
    state   TEXT NOT NULL DEFAULT 'held',
    decided INTEGER,
    PRIMARY KEY (cid, id, version)
) WITHOUT ROWID;

CREATE TABLE witnessed (
    origin      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    note        TEXT NOT NULL,
    cosignature TEXT NOT NULL
) WITHOUT ROWID;
";

/// What schema 4 adds, run by both `create` and the upgrade: a mirror's
/// unusable entries, and which holds are MUST violations.
const INVALID_ENTRIES: &str = "
ALTER TABLE quarantine ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0;
CREATE TABLE invalid_entries (
    cid    INTEGER NOT NULL REFERENCES collections (cid),
    idx    INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (cid, idx)
) WITHOUT ROWID;
";

/// From schema 3: strict collections and a mirror's invalid entries.
const MIGRATE_3_TO_4: &str =
    "ALTER TABLE collections ADD COLUMN strict INTEGER NOT NULL DEFAULT 0;";

/// From schema 2: mirrors of peers' logs, quarantine and witness state.
const MIGRATE_2_TO_3: &str = "
ALTER TABLE collections ADD COLUMN peer TEXT;
ALTER TABLE versions ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
DROP INDEX versions_by_date_added;
CREATE INDEX versions_by_date_added ON versions (cid, date_added, idx, withdrawn, latest, held);";

/// From schema 1: sortable version keys and the status table.
const MIGRATE_1_TO_2: &str = "
ALTER TABLE versions ADD COLUMN vkey TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN latest INTEGER NOT NULL DEFAULT 0;
DROP INDEX versions_by_date_added;
CREATE INDEX versions_by_date_added ON versions (cid, date_added, idx, withdrawn, latest);";

/// Sets the connection up for durability: once a transaction commits, it is on disk.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    // Entries are ~1-2 KB: 16 KiB pages hold ten of them where 4 KiB pages
    // hold two and waste a third of the file. Only takes effect on a new database.
    conn.pragma_update(None, "page_size", 16384)?;
    // WAL with synchronous = FULL fsyncs the log at every commit: an acknowledged
    // batch survives kill -9 and power loss.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A batch of 1,024 entries dirties a few MB; a small page cache would spill
    // to the WAL mid-transaction.
    conn.pragma_update(None, "cache_size", -65536)?;
    // Reads (audits, exports, proofs) map the file instead of copying every page through pread.
    conn.pragma_update(None, "mmap_size", 1i64 << 31)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(())
}

/// Creates the tables in a new database.
pub(crate) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(DDL)?;
    conn.execute_batch(STATUSES)?;
    conn.execute_batch(PEERS)?;
    conn.execute_batch(INVALID_ENTRIES)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// Refuses a database written by another schema version, saying how to
/// proceed; upgrades one written by an earlier version in one transaction.
pub(crate) fn check(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap_or(None);
    let from = match found.as_deref().and_then(|v| v.parse::<u32>().ok()) {
        Some(v) if (1..=SCHEMA_VERSION).contains(&v) => v,
        _ => {
            return Err(StoreError::SchemaVersion {
                path: path.to_owned(),
                found: found.unwrap_or_else(|| "none".into()),
                expected: SCHEMA_VERSION,
            });
        }
    };
    for version in from..SCHEMA_VERSION {
        upgrade(conn, version)?;
    }
    Ok(())
}

/// Upgrades a database of schema `from` to `from + 1` in one IMMEDIATE
/// transaction; does nothing if another process already did.
fn upgrade(conn: &mut Connection, from: u32) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let current: String = tx.query_row(
        "SELECT value FROM meta WHERE key = 'schema_version'",
        [],
        |r| r.get(0),
    )?;
    if current != from.to_string() {
        return Ok(());
    }
    match from {
        1 => migrate_from_1(&tx)?,
        2 => {
            tx.execute_batch(MIGRATE_2_TO_3)?;
            tx.execute_batch(PEERS)?;
        }
        3 => {
            tx.execute_batch(MIGRATE_3_TO_4)?;
            tx.execute_batch(INVALID_ENTRIES)?;
        }
        _ => return Err(StoreError::Unreachable("an upgrade from an unknown schema")),
    }
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [(from + 1).to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

/// From schema 1: sortable version keys, the latest marks and the status table.
fn migrate_from_1(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    tx.execute_batch(MIGRATE_1_TO_2)?;
    tx.execute_batch(STATUSES)?;
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT cid, id, version FROM versions")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    {
        let mut set = tx
            .prepare("UPDATE versions SET vkey = ?4 WHERE cid = ?1 AND id = ?2 AND version = ?3")?;
        for (cid, id, version) in rows {
            let key = crate::read::vkey(&version);
            set.execute(rusqlite::params![cid, id, version, key])?;
        }
    }
    tx.execute_batch(
        "UPDATE versions SET latest = 1 WHERE withdrawn IS NULL AND NOT EXISTS (
             SELECT 1 FROM versions w
             WHERE w.cid = versions.cid AND w.id = versions.id
               AND w.withdrawn IS NULL AND w.vkey > versions.vkey)",
    )?;
    Ok(())
}
