//! The store's error type, sorted by who is at fault.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    // --- The caller asked for something that does not exist or cannot be done. ---
    /// No data directory has been initialised at this path.
    #[error("no Entente data directory at {path}: run `entente init --data {path}` first")]
    NotInitialised {
        /// The directory that was opened.
        path: PathBuf,
    },
    /// `init` was asked to create a node where one already exists.
    #[error(
        "{path} already holds an Entente node; refusing to overwrite its key (use another --data directory)"
    )]
    AlreadyInitialised {
        /// The existing directory.
        path: PathBuf,
    },
    /// No collection has this id or alias.
    #[error("no collection with id or alias {name:?}; {}", known_list(known))]
    UnknownCollection {
        /// What was asked for.
        name: String,
        /// The aliases (or ids, for collections without one) there are.
        known: Vec<String>,
    },
    /// A write to a mirror, which only syncing adds to.
    #[error(
        "collection {collection} is a read-only mirror of {peer}'s; only `entente sync` adds to it"
    )]
    ReadOnlyMirror {
        /// The mirror's id.
        collection: String,
        /// The partner it mirrors.
        peer: String,
    },
    /// Nothing of this object is held in quarantine.
    #[error("no version of {id}{} is held in quarantine; `entente quarantine list` shows what is", version.as_deref().map(|v| format!(" with version {v}")).unwrap_or_default())]
    NotHeld {
        /// The object.
        id: String,
        /// The version asked for, if any.
        version: Option<String>,
    },
    /// A held version violates a MUST of STIX 2.1: nothing could use it.
    #[error(
        "{id} version {version} is held because it is not valid STIX 2.1 ({reason}); it cannot be released, only rejected (`entente quarantine reject {id}`)"
    )]
    Unreleasable {
        /// The object.
        id: String,
        /// The version.
        version: String,
        /// The validator's messages.
        reason: String,
    },
    /// An alias is taken.
    #[error("a collection with alias {0:?} already exists")]
    DuplicateAlias(String),
    /// No object (or no such version of it) is stored in the collection.
    #[error("no object {id}{} in this collection", version.as_deref().map(|v| format!(" with version {v}")).unwrap_or_default())]
    UnknownObject {
        /// The object id.
        id: String,
        /// The version asked for, if any.
        version: Option<String>,
    },
    /// The node name is not usable as a signed-note key name.
    #[error("invalid node name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },

    // --- One object of a batch was refused; the rest of the batch is unaffected. ---
    /// The object's log entry would exceed the entry-bundle limit.
    #[error(
        "{id}: its log entry is {size} bytes, over the {max}-byte limit of one tlog-tiles entry; split the object (e.g. move large text into an external reference)"
    )]
    EntryTooLarge {
        /// The object id.
        id: String,
        /// The entry's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A different object with the same id and version is already stored.
    #[error(
        "{id}: version {version} is already stored with different content; a changed object needs a later `modified`"
    )]
    VersionConflict {
        /// The object id.
        id: String,
        /// The version both share.
        version: String,
    },
    /// The object was withdrawn; an identical version cannot be re-added.
    #[error(
        "{id}: version {version} was withdrawn at log index {index}; publish a new version instead"
    )]
    WithdrawnVersion {
        /// The object id.
        id: String,
        /// The version.
        version: String,
        /// The log index of the withdrawal entry.
        index: u64,
    },
    /// The object's TLP marking forbids the collection's audience.
    #[error(
        "{id}: marked TLP:RED (named recipients only), but collection {collection} is read by other parties ({}); publish it to a collection only your own users read, or mark it for a wider audience",
        audience.join(", ")
    )]
    MarkingForbidden {
        /// The object id.
        id: String,
        /// The collection (alias or id).
        collection: String,
        /// The parties that read the collection.
        audience: Vec<String>,
    },
    /// A party cannot be given read access: the collection holds an object
    /// whose marking forbids it.
    #[error(
        "{party} cannot read collection {collection}: it holds {object_id}, marked TLP:RED (log index {index}); share a collection without TLP:RED objects instead"
    )]
    AudienceConflict {
        /// The party.
        party: String,
        /// The collection.
        collection: String,
        /// The first object that forbids it.
        object_id: String,
        /// Its log index.
        index: u64,
    },
    /// The object is already withdrawn.
    #[error("{id} is already withdrawn")]
    AlreadyWithdrawn {
        /// The object id.
        id: String,
    },

    // --- The stored data is not what the store wrote: tampering or a bug. ---
    /// Stored data failed to parse or contradicts itself.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// The database was written by another schema version.
    #[error(
        "the database at {path} has schema version {found}, this build of entente reads version {expected}; use the entente release that wrote it, or export and re-import"
    )]
    SchemaVersion {
        /// The database file.
        path: PathBuf,
        /// The version in the file.
        found: String,
        /// The version this build understands.
        expected: u32,
    },

    /// An internal invariant failed: a bug in this crate, please report it.
    #[error("internal error (please report a bug): {0}")]
    Unreachable(&'static str),

    // --- The environment failed. ---
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The transparency-log layer refused something.
    #[error(transparent)]
    Log(#[from] tlog::Error),
}

impl From<tlog::ApiMisuse> for StoreError {
    fn from(e: tlog::ApiMisuse) -> Self {
        StoreError::Log(e.into())
    }
}

impl From<tlog::ParseError> for StoreError {
    fn from(e: tlog::ParseError) -> Self {
        StoreError::Log(e.into())
    }
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `the collections are: default, sightings` (or that there are none).
fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "there are no collections".to_owned()
    } else {
        format!("the collections are: {}", known.join(", "))
    }
}
