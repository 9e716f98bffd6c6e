//! A node's data directory: its signing key and its database.
//!
//! ```text
//! DIR/
//!   node.key     the Ed25519 signing key (mode 0600), C2SP private-key string
//!   entente.db   SQLite: collections, entries, tiles, checkpoints
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// File name of the signing key inside a data directory.
pub const KEY_FILE: &str = "node.key";
/// File name of the database inside a data directory.
pub const DB_FILE: &str = "entente.db";

/// The node's identity: the name its checkpoints are signed under, and its key.
pub struct Node {
    pub(crate) name: String,
    pub(crate) signer: tlog::Signer,
    /// The same key as a tlog-cosignature/v1 witness key: the node cosigns
    /// its peers' checkpoints under its own name, and partners already hold
    /// its verifier key. The cosignature's own message prefix keeps the two
    /// uses apart.
    cosigner: tlog::Cosigner,
}

impl Node {
    /// The node's name, which is also its signing key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's public key as a C2SP verifier key string (`name+hash+base64`).
    pub fn verifier_key(&self) -> String {
        self.signer.verifier().to_string()
    }

    /// The node's verifier.
    pub fn verifier(&self) -> tlog::Verifier {
        self.signer.verifier()
    }

    /// Cosigns a checkpoint this node has verified (as a witness), at
    /// `timestamp` (POSIX seconds).
    pub fn cosign(
        &self,
        checkpoint: &tlog::VerifiedCheckpoint,
        timestamp: u64,
    ) -> std::result::Result<tlog::SignatureLine, tlog::ApiMisuse> {
        self.cosigner.cosign(checkpoint, timestamp)
    }

    fn new(signer: tlog::Signer) -> Result<Node> {
        use base64::Engine as _;
        // The seed is the fifth field of `PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)`;
        // the base64 may itself contain '+', the fields before it cannot.
        let private = signer.to_private_key();
        let raw = private
            .splitn(5, '+')
            .nth(4)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|raw| raw.len() == 33)
            .ok_or(StoreError::Unreachable(
                "a signing key without a 32-byte seed",
            ))?;
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&raw[1..]);
        let cosigner = tlog::Cosigner::new(signer.name(), &seed)?;
        Ok(Node {
            name: signer.name().to_owned(),
            signer,
            cosigner,
        })
    }
}

/// Checks that `name` can name a signed-note key and prefix an origin line.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("it contains white space or control characters")
    } else if name.contains('+') {
        Some("it contains '+'")
    } else {
        None
    };
    match reason {
        Some(r) => Err(StoreError::InvalidName {
            name: name.into(),
            reason: r.into(),
        }),
        None => Ok(()),
    }
}

/// Creates the directory (mode 0700) and writes a new key file (mode 0600),
/// refusing to overwrite anything that exists.
pub(crate) fn create_key(dir: &Path, name: &str, seed: [u8; 32]) -> Result<Node> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    for file in [KEY_FILE, DB_FILE] {
        if dir.join(file).exists() {
            return Err(StoreError::AlreadyInitialised {
                path: dir.to_owned(),
            });
        }
    }
    create_private_dir(dir).map_err(io(dir))?;
    let signer = tlog::Signer::new(name, &seed)?;
    let key_path = dir.join(KEY_FILE);
    let mut file = open_private(&key_path).map_err(io(&key_path))?;
    file.write_all(format!("{}\n", signer.to_private_key()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io(&key_path))?;
    Node::new(signer)
}

/// Reads the key file of an initialised directory.
pub(crate) fn load_key(dir: &Path) -> Result<Node> {
    let key_path = dir.join(KEY_FILE);
    let text = fs::read_to_string(&key_path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => StoreError::NotInitialised {
            path: dir.to_owned(),
        },
        _ => StoreError::Io {
            path: key_path.clone(),
            source,
        },
    })?;
    let signer = tlog::Signer::parse_private_key(text.trim_end()).map_err(|e| {
        StoreError::Corrupt(format!("{}: not a signing key: {e}", key_path.display()))
    })?;
    Node::new(signer)
}

/// The database path of a data directory.
pub(crate) fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}
