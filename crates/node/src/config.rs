//! The node's configuration file, `entente.toml` in the data directory: how
//! the server listens and who may use it.
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:9440"
//! # tls_cert = "/etc/entente/cert.pem"
//! # tls_key = "/etc/entente/key.pem"
//! # allow_plain_http = false   # plain HTTP on a non-loopback address
//! # max_content_length = 10485760
//! # log_format = "json"
//!
//! [[user]]
//! name = "alice"
//! kind = "user"                # "user" (this party) or "peer" (a partner node)
//! password = "$argon2id$v=19$..."
//! tokens = ["sha256:..."]
//! read = ["default"]
//! write = ["default"]
//! ```
//!
//! Partners this node syncs from, and its warninglists:
//!
//! ```toml
//! [sync]
//! interval_seconds = 30        # how often `entente serve` syncs and pushes checkpoints
//!
//! [[peer]]
//! name = "bravo"               # the party; also its user name here, and its name in audiences
//! url = "https://bravo.example:9440/"
//! key = "bravo+1a2b3c4d+AU..." # its verifier key; without one the peer is a plain TAXII feed
//! token = "ent_..."            # the API token bravo issued to this node
//! # witnesses = ["charlie+..."] and min_witnesses = 1: require cosignatures
//! # collections = ["<remote collection id>"]: mirror only these
//!
//! [warninglists]
//! domains = ["elections.example.gov"]
//! networks = ["192.0.2.0/24"]
//! misp = ["/etc/entente/warninglists/google.json"]
//! # reserved = true, critical = true: the built-in lists
//! ```
//!
//! Only hashes of users' secrets are stored: argon2id for passwords, SHA-256
//! for API tokens (which are 256-bit random values, so a fast hash is enough).
//! A peer's token is the credential this node presents, so it is kept as is;
//! the file is readable by its owner only.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ConfigError;

/// The file name of the configuration inside the data directory.
pub const CONFIG_FILE: &str = "entente.toml";

/// The address `entente serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9440";

/// The largest POST body the API root accepts by default (10 MiB).
pub const DEFAULT_MAX_CONTENT_LENGTH: usize = 10 * 1024 * 1024;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How the server listens.
    #[serde(default)]
    pub server: ServerConfig,
    /// Local users and peers.
    #[serde(default, rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserConfig>,
    /// How syncing runs.
    #[serde(default, skip_serializing_if = "SyncConfig::is_default")]
    pub sync: SyncConfig,
    /// Partners this node syncs from.
    #[serde(default, rename = "peer", skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<PeerConfig>,
    /// What partner indicators must not hit.
    #[serde(default, skip_serializing_if = "WarninglistConfig::is_default")]
    pub warninglists: WarninglistConfig,
}

/// The `[sync]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Seconds between rounds in `entente serve` (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
}

impl SyncConfig {
    fn is_default(&self) -> bool {
        *self == SyncConfig::default()
    }

    /// The interval between rounds.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.interval_seconds.unwrap_or(30).max(1))
    }
}

/// One `[[peer]]`: a partner node, or a plain TAXII 2.1 feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The partner's name: its user name on this node and in audiences.
    pub name: String,
    /// An Entente node's server root, or a plain TAXII server's API root.
    pub url: String,
    /// The verifier key its checkpoints are signed with; `None` for a plain
    /// TAXII feed, whose objects are mirrored unverified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The API token it issued to this node (sent as a bearer token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// HTTP Basic user and password, for feeds that take those instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// See `username`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Witnesses (verifier keys) whose cosignatures count towards `min_witnesses`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
    /// How many of `witnesses` must have cosigned a checkpoint before it is accepted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_witnesses: usize,
    /// Only these of its collections (ids); all it lets us read when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PeerConfig {
    /// Whether it is an Entente node whose logs are verified.
    pub fn is_verified(&self) -> bool {
        self.key.is_some()
    }
}

/// The `[warninglists]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarninglistConfig {
    /// The party's own domains (and their subdomains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// The party's own address ranges (CIDR or single addresses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// Files in the MISP warninglist JSON format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misp: Vec<PathBuf>,
    /// The built-in reserved and private ranges and names.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub reserved: bool,
    /// The built-in list of critical public services.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub critical: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl Default for WarninglistConfig {
    fn default() -> Self {
        WarninglistConfig {
            domains: Vec::new(),
            networks: Vec::new(),
            misp: Vec::new(),
            reserved: true,
            critical: true,
        }
    }
}

impl WarninglistConfig {
    fn is_default(&self) -> bool {
        *self == WarninglistConfig::default()
    }
}

/// The `[server]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port, e.g. `127.0.0.1:9440`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// PEM certificate chain; with `tls_key`, the server speaks HTTPS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on an address other than loopback.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_plain_http: bool,
    /// The largest POST body, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_content_length: Option<usize>,
    /// `text` (default) or `json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
}

/// Who a user is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// Someone of this party.
    #[default]
    User,
    /// A partner node: another party, checked against collection audiences.
    Peer,
}

impl UserKind {
    /// `user` or `peer`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::User => "user",
            UserKind::Peer => "peer",
        }
    }
}

/// One `[[user]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name (HTTP Basic user; a peer's party name).
    pub name: String,
    /// User or peer.
    #[serde(default)]
    pub kind: UserKind,
    /// argon2id PHC string of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `sha256:<hex>` of each API token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<String>,
    /// Collections (id or alias) the user may read.
    #[serde(default)]
    pub read: Vec<String>,
    /// Collections (id or alias) the user may write.
    #[serde(default)]
    pub write: Vec<String>,
}

impl Config {
    /// The path of the configuration file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE)
    }

    /// Reads the configuration of `data_dir`; a missing file is the default.
    pub fn load(data_dir: &Path) -> Result<Config, ConfigError> {
        let path = Config::path(data_dir);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => return Err(ConfigError::Io { path, source }),
        };
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.clone(),
            message: e.to_string(),
        })?;
        config
            .check()
            .map_err(|message| ConfigError::Invalid { path, message })?;
        Ok(config)
    }

    /// Writes the configuration atomically (temporary file, fsync, rename),
    /// readable by its owner only: it holds password hashes.
    pub fn save(&self, data_dir: &Path) -> Result<(), ConfigError> {
        let path = Config::path(data_dir);
        let io = |source| ConfigError::Io {
            path: path.clone(),
            source,
        };
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let tmp = data_dir.join(format!(".{CONFIG_FILE}.tmp"));
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(HEADER.as_bytes()).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The peer called `name`.
    pub fn peer(&self, name: &str) -> Option<&PeerConfig> {
        self.peers.iter().find(|p| p.name == name)
    }

    /// Structural checks a hand-edited file may fail.
    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            check_user_name(&user.name)?;
            if !seen.insert(user.name.as_str()) {
                return Err(format!("user {:?} is defined twice", user.name));
            }
            for token in &user.tokens {
                if parse_token_hash(token).is_none() {
                    return Err(format!(
                        "user {:?}: token hash {token:?} is not sha256:<64 hex digits>",
                        user.name
                    ));
                }
            }
        }
        let mut peers = std::collections::HashSet::new();
        for peer in &self.peers {
            check_user_name(&peer.name).map_err(|e| format!("peer: {e}"))?;
            if !peers.insert(peer.name.as_str()) {
                return Err(format!("peer {:?} is defined twice", peer.name));
            }
            check_peer_url(&peer.url).map_err(|e| format!("peer {:?}: {e}", peer.name))?;
            for key in peer.key.iter().chain(&peer.witnesses) {
                tlog::Verifier::parse(key).map_err(|e| {
                    format!("peer {:?}: {key:?} is not a verifier key: {e}", peer.name)
                })?;
            }
            if peer.min_witnesses > peer.witnesses.len() {
                return Err(format!(
                    "peer {:?}: min_witnesses is {} but only {} witnesses are listed",
                    peer.name,
                    peer.min_witnesses,
                    peer.witnesses.len()
                ));
            }
            if peer.username.is_some() != peer.password.is_some() {
                return Err(format!(
                    "peer {:?}: username and password go together",
                    peer.name
                ));
            }
        }
        if let Some(format) = &self.server.log_format
            && format != "text"
            && format != "json"
        {
            return Err(format!(
                "server.log_format is {format:?}; use \"text\" or \"json\""
            ));
        }
        if self.server.tls_cert.is_some() != self.server.tls_key.is_some() {
            return Err("server.tls_cert and server.tls_key go together".into());
        }
        Ok(())
    }
}

const HEADER: &str = "# Entente node configuration. `entente user add|remove` edits the users;\n# secrets are stored as hashes only.\n\n";

/// A user name: what HTTP Basic can carry and a log line can show.
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid user name {name:?}: use 1 to 64 letters, digits, '-', '_', '.' or '@'"
        ))
    }
}

/// A peer's URL: http or https, with a host.
pub fn check_peer_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

/// A fresh API token: 32 random bytes, URL-safe base64, with a recognisable prefix.
pub fn new_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!(
        "ent_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// How a token is stored: `sha256:<hex>`.
pub fn token_hash(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// The digest inside a stored token hash.
pub(crate) fn parse_token_hash(stored: &str) -> Option<[u8; 32]> {
    let hex_part = stored.strip_prefix("sha256:")?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).ok()?;
    Some(out)
}

/// The argon2id PHC string of a password, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, ConfigError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ConfigError::Password(e.to_string()))
}

/// Whether `password` matches the stored PHC string. Slow on purpose (argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.listen = Some("127.0.0.1:1".into());
        config.users.push(UserConfig {
            name: "bravo".into(),
            kind: UserKind::Peer,
            password: None,
            tokens: vec![token_hash("t")],
            read: vec!["default".into()],
            write: vec![],
        });
        config.save(dir.path()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), config);
    }

    #[test]
    fn a_missing_file_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), Config::default());
    }

    #[test]
    fn refuses_what_a_hand_edit_can_get_wrong() {
        let dir = tempfile::tempdir().unwrap();
        for (text, needle) in [
            ("[[user]]\nname = \"a\"\n[[user]]\nname = \"a\"\n", "twice"),
            ("[[user]]\nname = \"a b\"\n", "invalid user name"),
            ("[[user]]\nname = \"a\"\ntokens = [\"md5:00\"]\n", "sha256"),
            ("[server]\nlog_format = \"xml\"\n", "log_format"),
            ("[server]\nlisten = 1\n", "listen"),
            ("[srever]\n", "srever"),
        ] {
            fs::write(Config::path(dir.path()), text).unwrap();
            let err = Config::load(dir.path()).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn passwords_and_tokens_verify_only_themselves() {
        let stored = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("correct horse!", &stored));
        assert!(!verify_password("x", "not a phc string"));
        let token = new_token();
        assert_eq!(parse_token_hash(&token_hash(&token)).map(|_| ()), Some(()));
        assert_ne!(new_token(), token);
    }
}
