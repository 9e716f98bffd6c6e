//! The state every handler shares: a cheap-clone handle.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use store::Store;

use crate::auth::Users;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::sequencer::Sequencer;

/// What the server was started with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest POST body in bytes (the API root's `max_content_length`).
    pub max_content_length: usize,
    /// The discovery and API root title.
    pub title: String,
    /// Whether the server speaks HTTPS (for the URLs discovery gives).
    pub https: bool,
}

/// The shared state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    settings: Settings,
    readers: Readers,
    sequencer: Sequencer,
    metrics: Metrics,
    /// The users, swapped whole when the configuration file changes. A std
    /// lock: held only to clone or replace the `Arc`, never across an await.
    users: RwLock<Arc<Users>>,
    /// The configuration file's modification time when `users` was built
    /// (`Some(None)`: built when there was no file; `None`: never built).
    /// A std lock, for the same reason.
    users_loaded: Mutex<Option<Option<SystemTime>>>,
    node_name: String,
    /// The node's C2SP verifier key, for discovery.
    verifier_key: String,
    /// The verifier keys of configured peers: the logs this node witnesses.
    /// Reloaded with the users.
    peer_keys: RwLock<Arc<Vec<tlog::Verifier>>>,
}

impl AppState {
    /// Builds the state; the store must already be initialised.
    pub fn new(
        data_dir: &Path,
        settings: Settings,
        sequencer: Sequencer,
        metrics: Metrics,
    ) -> Result<AppState, store::StoreError> {
        let probe = Store::open(data_dir)?;
        let node_name = probe.node().name().to_owned();
        let verifier_key = probe.node().verifier_key();
        for coll in probe.collections()? {
            metrics.set_size(&coll.id, coll.size);
        }
        let state = AppState {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_owned(),
                settings,
                readers: Readers {
                    dir: data_dir.to_owned(),
                    idle: Mutex::new(vec![probe]),
                },
                sequencer,
                metrics,
                users: RwLock::new(Arc::new(Users::default())),
                users_loaded: Mutex::new(None),
                node_name,
                verifier_key,
                peer_keys: RwLock::new(Arc::new(Vec::new())),
            }),
        };
        Ok(state)
    }

    /// The server's settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The writer.
    pub fn sequencer(&self) -> &Sequencer {
        &self.inner.sequencer
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The node's name.
    pub fn node_name(&self) -> &str {
        &self.inner.node_name
    }

    /// The node's C2SP verifier key (`name+hash+base64`).
    pub fn verifier_key(&self) -> &str {
        &self.inner.verifier_key
    }

    /// The current users.
    pub fn users(&self) -> Arc<Users> {
        match self.inner.users.read() {
            Ok(users) => users.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs a blocking read on a store handle of the pool.
    /// The verifier keys of the configured peers.
    pub fn peer_keys(&self) -> Arc<Vec<tlog::Verifier>> {
        match self.inner.peer_keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs a small write outside the sequencer (the witness state, which
    /// is no collection's log) on a pooled store handle.
    pub async fn write_aside<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        tokio::task::block_in_place(|| {
            let mut store = self.inner.readers.take()?;
            let result = f(&mut store);
            self.inner.readers.give_back(store);
            result
        })
    }

    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        // A read takes well under a millisecond: it runs on this worker
        // thread, which block_in_place lets the runtime replace meanwhile,
        // rather than being shipped to another thread and back.
        tokio::task::block_in_place(|| {
            let store = self.inner.readers.take()?;
            let result = f(&store);
            self.inner.readers.give_back(store);
            result
        })
    }

    /// Reloads the users if the configuration file changed since the last
    /// load (or was never loaded). Returns how many users there are now.
    pub fn reload_users(&self) -> Result<Option<usize>, String> {
        let path = Config::path(&self.inner.data_dir);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        {
            let loaded = self
                .inner
                .users_loaded
                .lock()
                .map_err(|_| "users lock poisoned".to_owned())?;
            if *loaded == Some(modified) {
                return Ok(None);
            }
        }
        let config = Config::load(&self.inner.data_dir).map_err(|e| e.to_string())?;
        let store = self.inner.readers.take().map_err(|e| format!("{e:?}"))?;
        let collections = store.collections().map_err(|e| e.to_string());
        self.inner.readers.give_back(store);
        let collections = collections?;
        let users = Users::new(&config, |name| {
            collections
                .iter()
                .find(|c| c.id == name || c.alias.as_deref() == Some(name))
                .map(|c| c.id.clone())
        });
        let count = users.len();
        if let Ok(mut slot) = self.inner.users.write() {
            *slot = Arc::new(users);
        }
        let keys: Vec<tlog::Verifier> = config
            .peers
            .iter()
            .filter_map(|p| p.key.as_deref())
            .filter_map(|k| tlog::Verifier::parse(k).ok())
            .collect();
        if let Ok(mut slot) = self.inner.peer_keys.write() {
            *slot = Arc::new(keys);
        }
        if let Ok(mut loaded) = self.inner.users_loaded.lock() {
            *loaded = Some(modified);
        }
        Ok(Some(count))
    }
}

/// Read-only store handles, one per concurrent blocking read (SQLite in WAL
/// mode serves readers in parallel with the writer).
struct Readers {
    dir: PathBuf,
    /// A std mutex: held to pop or push a handle, never across an await.
    idle: Mutex<Vec<Store>>,
}

/// Idle handles kept; more are opened under load and closed after.
const IDLE_READERS: usize = 16;

impl Readers {
    fn take(&self) -> Result<Store, ApiError> {
        if let Some(store) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(store);
        }
        Store::open(&self.dir).map_err(ApiError::from)
    }

    fn give_back(&self, store: Store) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_READERS
        {
            idle.push(store);
        }
    }
}
