//! Who is asking, and what they may do with a collection.
//!
//! A request carries `Authorization: Bearer <token>` or HTTP Basic, whose
//! password may be the user's password or one of its tokens (so clients that
//! only speak Basic, like taxii2-client, can use tokens).
//!
//! Access to a collection needs a grant in the configuration; a peer (another
//! party) must also be in the collection's audience (to read) or writers (to
//! write), which the store keeps and checks against markings. A grant added
//! to the file by hand cannot open a collection to a party its markings forbid.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::config::{Config, UserKind, parse_token_hash, verify_password};
use crate::error::ApiError;

/// An authenticated user.
#[derive(Debug)]
pub struct Principal {
    /// The user's name (a peer's party name).
    pub name: String,
    /// User or peer.
    pub kind: UserKind,
    /// Collection ids the configuration lets it read.
    read: HashSet<String>,
    /// Collection ids the configuration lets it write.
    write: HashSet<String>,
}

impl Principal {
    /// Whether it may read the collection's objects and log.
    pub fn can_read(&self, coll: &store::Collection) -> bool {
        self.read.contains(&coll.id)
            && (self.kind == UserKind::User || coll.audience.iter().any(|p| p == &self.name))
    }

    /// Whether it may add objects to the collection and withdraw them.
    pub fn can_write(&self, coll: &store::Collection) -> bool {
        // A mirror holds a partner's log: only syncing adds to it.
        coll.peer.is_none()
            && self.write.contains(&coll.id)
            && (self.kind == UserKind::User || coll.writers.iter().any(|p| p == &self.name))
    }

    /// Whether the collection exists for it at all (otherwise: 404).
    pub fn can_see(&self, coll: &store::Collection) -> bool {
        self.can_read(coll) || self.can_write(coll)
    }
}

/// The users of the configuration, ready to authenticate requests.
#[derive(Debug, Default)]
pub struct Users {
    principals: HashMap<String, Arc<Principal>>,
    passwords: HashMap<String, String>,
    tokens: HashMap<[u8; 32], String>,
    /// SHA-256 of `name:password` for Basic logins that passed argon2, so a
    /// client sending its password on every request pays for argon2 once.
    /// A std mutex: held for a lookup or an insert, never across an await.
    verified: Mutex<HashSet<[u8; 32]>>,
}

/// How many verified Basic logins are remembered before the memory is cleared.
const VERIFIED_CAP: usize = 4096;

impl Users {
    /// Builds the registry from the configuration, resolving collection
    /// aliases with `resolve` (alias or id to id). Grants naming unknown
    /// collections are dropped with a warning.
    pub fn new(config: &Config, resolve: impl Fn(&str) -> Option<String>) -> Users {
        let mut users = Users::default();
        for user in &config.users {
            let grants = |names: &[String], what: &str| -> HashSet<String> {
                names
                    .iter()
                    .filter_map(|n| {
                        let id = resolve(n);
                        if id.is_none() {
                            tracing::warn!(user = %user.name, collection = %n, "{what} grant names no collection; ignored");
                        }
                        id
                    })
                    .collect()
            };
            let principal = Principal {
                name: user.name.clone(),
                kind: user.kind,
                read: grants(&user.read, "read"),
                write: grants(&user.write, "write"),
            };
            users
                .principals
                .insert(user.name.clone(), Arc::new(principal));
            if let Some(hash) = &user.password {
                users.passwords.insert(user.name.clone(), hash.clone());
            }
            for token in &user.tokens {
                if let Some(digest) = parse_token_hash(token) {
                    users.tokens.insert(digest, user.name.clone());
                }
            }
        }
        users
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.principals.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.principals.is_empty()
    }

    /// Authenticates a request from its headers. Argon2 runs on the calling
    /// thread: call this from a blocking context.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Principal>, ApiError> {
        self.authenticate_with(headers, true)?
            .ok_or_else(|| ApiError::internal("authentication did not finish"))
    }

    /// Authenticates without running argon2: `Ok(None)` when only a password
    /// check (slow on purpose) can decide, which the caller runs off the
    /// async threads with [`Users::authenticate`].
    pub fn authenticate_fast(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Arc<Principal>>, ApiError> {
        self.authenticate_with(headers, false)
    }

    fn authenticate_with(
        &self,
        headers: &HeaderMap,
        slow: bool,
    ) -> Result<Option<Arc<Principal>>, ApiError> {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "this request needs credentials: HTTP Basic (user and password or token) or Authorization: Bearer <token>",
            ));
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not ASCII"))?;
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        let bad = || ApiError::unauthorized("the credentials are not valid");
        if scheme.eq_ignore_ascii_case("bearer") {
            let digest: [u8; 32] = Sha256::digest(rest.as_bytes()).into();
            let name = self.tokens.get(&digest).ok_or_else(bad)?;
            return self.principals.get(name).cloned().ok_or_else(bad).map(Some);
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            // Nothing of the header is echoed: a token sent without its scheme
            // would otherwise come back in the error, and in logs.
            return Err(ApiError::unauthorized(
                "the Authorization header is neither Basic nor Bearer: send `Authorization: Bearer <token>` or HTTP Basic credentials",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| ApiError::unauthorized("the Basic credentials are not valid base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| ApiError::unauthorized("the Basic credentials are not UTF-8"))?;
        let (name, password) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("the Basic credentials have no ':'"))?;
        let principal = self.principals.get(name).ok_or_else(bad)?;
        let token_digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        if self.tokens.get(&token_digest).is_some_and(|n| n == name) {
            return Ok(Some(principal.clone()));
        }
        let login: [u8; 32] = Sha256::digest(decoded.as_bytes()).into();
        if self.remembered(&login) {
            return Ok(Some(principal.clone()));
        }
        let stored = self.passwords.get(name).ok_or_else(bad)?;
        if !slow {
            return Ok(None);
        }
        if !verify_password(password, stored) {
            return Err(bad());
        }
        self.remember(login);
        Ok(Some(principal.clone()))
    }

    fn remembered(&self, login: &[u8; 32]) -> bool {
        self.verified
            .lock()
            .map(|set| set.contains(login))
            .unwrap_or(false)
    }

    fn remember(&self, login: [u8; 32]) {
        if let Ok(mut set) = self.verified.lock() {
            if set.len() >= VERIFIED_CAP {
                set.clear();
            }
            set.insert(login);
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::{UserConfig, hash_password, token_hash};

    fn users() -> Users {
        let config = Config {
            users: vec![
                UserConfig {
                    name: "alice".into(),
                    kind: UserKind::User,
                    password: Some(hash_password("s3cret").unwrap()),
                    tokens: vec![token_hash("tok-a")],
                    read: vec!["default".into(), "missing".into()],
                    write: vec!["default".into()],
                },
                UserConfig {
                    name: "bravo".into(),
                    kind: UserKind::Peer,
                    password: None,
                    tokens: vec![token_hash("tok-b")],
                    read: vec!["default".into()],
                    write: vec![],
                },
            ],
            ..Config::default()
        };
        Users::new(&config, |n| (n == "default").then(|| "c1".to_owned()))
    }

    fn auth(users: &Users, value: &str) -> Result<String, u16> {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        users
            .authenticate(&h)
            .map(|p| p.name.clone())
            .map_err(|e| e.status().as_u16())
    }

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn each_credential_opens_only_its_own_user() {
        let u = users();
        assert_eq!(auth(&u, "Bearer tok-a"), Ok("alice".into()));
        assert_eq!(auth(&u, "bearer tok-b"), Ok("bravo".into()));
        assert_eq!(auth(&u, &basic("alice", "s3cret")), Ok("alice".into()));
        assert_eq!(auth(&u, &basic("alice", "s3cret")), Ok("alice".into()));
        assert_eq!(auth(&u, &basic("alice", "tok-a")), Ok("alice".into()));
        assert_eq!(auth(&u, &basic("bravo", "tok-b")), Ok("bravo".into()));
        for wrong in [
            "Bearer tok-c".to_owned(),
            "Bearer ".to_owned(),
            basic("alice", "tok-b"),
            basic("bravo", "tok-a"),
            basic("alice", "S3cret"),
            basic("carol", "s3cret"),
            "Basic !!!".into(),
            "Digest abc".into(),
        ] {
            assert_eq!(auth(&u, &wrong), Err(401), "{wrong}");
        }
        assert_eq!(u.authenticate(&HeaderMap::new()).unwrap_err().status(), 401);
    }

    #[test]
    fn peers_also_need_the_collection_audience() {
        let u = users();
        let mut coll = store::Collection::for_tests("c1");
        let alice = u.principals["alice"].clone();
        let bravo = u.principals["bravo"].clone();
        assert!(alice.can_read(&coll) && alice.can_write(&coll));
        assert!(!bravo.can_read(&coll) && !bravo.can_see(&coll));
        coll.audience.push("bravo".into());
        assert!(bravo.can_read(&coll) && !bravo.can_write(&coll));
        coll.writers.push("bravo".into());
        assert!(
            !bravo.can_write(&coll),
            "no write grant in the configuration"
        );
        let other = store::Collection::for_tests("c2");
        assert!(!alice.can_see(&other));
    }
}
