//! Mirroring an Entente peer's logs, one collection at a time.

use futures_util::StreamExt as _;
use store::{Mirror, MirrorError, PeerCheckpoint, Store};
use tlog::{CheckpointVerifier, Evidence, TileSet, Verifier};

use super::client::{PeerClient, RemoteCollection};
use super::{CollectionReport, Outcome, RoundReport, SyncError, Syncer, evidence};
use crate::config::{Config, PeerConfig};

/// Entry bundles fetched at once: keeps the link busy while entries are applied.
const FETCH_AHEAD: usize = 8;

/// Syncs every collection `peer` lets this node read.
pub(super) async fn sync_peer(
    syncer: &Syncer,
    peer: &PeerConfig,
    config: &Config,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    let key_text = peer.key.clone().unwrap_or_default();
    let key = Verifier::parse(&key_text).map_err(|e| SyncError::Config {
        peer: peer.name.clone(),
        message: format!("key {key_text:?}: {e}"),
    })?;
    let client = PeerClient::new(peer)?;
    // Other partners' witnesses, asked what they saw of the same logs.
    let others: Vec<PeerClient> = config
        .peers
        .iter()
        .filter(|p| p.name != peer.name && p.is_verified())
        .filter_map(|p| match PeerClient::new(p) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::warn!(witness = %p.name, error = %e, "cannot ask this partner's witness");
                None
            }
        })
        .collect();
    let remote = client
        .collections(crate::API_ROOT.trim_start_matches('/'))
        .await?;
    for coll in remote
        .iter()
        .filter(|c| c.can_read && (peer.collections.is_empty() || peer.collections.contains(&c.id)))
    {
        let line = sync_collection(syncer, &client, peer, &key, coll, &others).await;
        report.collections.push(line);
    }
    Ok(())
}

/// Everything one collection's sync needs to know.
struct Log<'a> {
    syncer: &'a Syncer,
    client: &'a PeerClient,
    key: &'a Verifier,
    verifier: CheckpointVerifier,
    origin: String,
    remote_id: String,
}

async fn sync_collection(
    syncer: &Syncer,
    client: &PeerClient,
    peer: &PeerConfig,
    key: &Verifier,
    coll: &RemoteCollection,
    others: &[PeerClient],
) -> CollectionReport {
    let origin = store::peer_origin(key, &coll.id);
    let log = Log {
        syncer,
        client,
        key,
        verifier: CheckpointVerifier::new(origin.clone(), key.clone()),
        origin,
        remote_id: coll.id.clone(),
    };
    let mut line = CollectionReport {
        peer: peer.name.clone(),
        remote_id: coll.id.clone(),
        local: String::new(),
        size: 0,
        outcome: Outcome::UpToDate,
    };
    let mirror = {
        let (name, id, title) = (peer.name.clone(), coll.id.clone(), coll.title.clone());
        let key_text = key.to_string();
        syncer
            .with_store(move |s| s.mirror(&name, &id, &title, true, Some(&key_text)))
            .await
    };
    let mirror = match mirror.and_then(|found| found.map_err(SyncError::from)) {
        Ok(m) => m,
        Err(e) => {
            line.outcome = Outcome::Failed(e.to_string());
            return line;
        }
    };
    line.local = mirror
        .collection
        .alias
        .clone()
        .unwrap_or_else(|| mirror.collection.id.clone());
    line.size = mirror.collection.size;
    if let Some(reason) = &mirror.halted {
        line.outcome = Outcome::Halted(reason.clone());
        return line;
    }
    if mirror.key.as_deref() != Some(key.to_string().as_str()) {
        line.outcome = Outcome::Failed(format!(
            "the peer's key changed from {} to {key}; its old mirror {} is kept, remove the peer and add it again to start a new one",
            mirror.key.as_deref().unwrap_or("none"),
            line.local
        ));
        return line;
    }
    line.outcome = match log.once(peer, &mirror).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed(e.to_string()),
    };
    if !matches!(
        line.outcome,
        Outcome::Failed(_) | Outcome::Misbehaviour { .. }
    ) {
        match log.gossip(&mirror, others).await {
            Ok(Some(caught)) => line.outcome = caught,
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "cannot compare with other witnesses"),
        }
    }
    let error = match &line.outcome {
        Outcome::Failed(e) => Some(e.clone()),
        _ => None,
    };
    let (now, m) = (store::Micros::now(), mirror.clone());
    let after = syncer
        .with_store(move |s| {
            s.record_sync(&m, error.as_deref(), now)?;
            s.collection(&m.collection.id)
        })
        .await;
    match after {
        Ok(Ok(coll)) => line.size = coll.size,
        Ok(Err(e)) => tracing::warn!(peer = %line.peer, error = %e, "cannot record the round"),
        Err(e) => tracing::warn!(peer = %line.peer, error = %e, "cannot record the round"),
    }
    line
}

impl Log<'_> {
    /// Verifies the peer's latest checkpoint and applies what it adds.
    async fn once(&self, peer: &PeerConfig, mirror: &Mirror) -> Result<Outcome, SyncError> {
        let note = self.client.checkpoint(&self.remote_id).await?;
        let verified = self
            .verifier
            .verify(note.as_bytes())
            .map_err(|e| SyncError::Protocol {
                peer: peer.name.clone(),
                message: format!(
                    "the checkpoint of {} does not verify with its key: {e}",
                    self.remote_id
                ),
            })?;
        if peer.min_witnesses > 0 {
            let witnesses: Vec<Verifier> = peer
                .witnesses
                .iter()
                .filter_map(|w| match Verifier::parse(w) {
                    Ok(key) => Some(key),
                    // Counted as missing: a key that does not parse cosigns nothing.
                    Err(e) => {
                        tracing::warn!(peer = %peer.name, witness = %w, error = %e, "a witness key does not parse");
                        None
                    }
                })
                .collect();
            let cosigned = tlog::verify_cosignatures(&verified, &witnesses).map_err(|e| {
                SyncError::Protocol {
                    peer: peer.name.clone(),
                    message: format!("a witness cosignature on its checkpoint fails: {e}"),
                }
            })?;
            if cosigned < peer.min_witnesses {
                return Ok(Outcome::Failed(format!(
                    "its checkpoint at size {} has {cosigned} of the {} witness cosignatures required; waiting for its witnesses",
                    verified.checkpoint().size,
                    peer.min_witnesses
                )));
            }
        }
        let checkpoint = PeerCheckpoint {
            size: verified.checkpoint().size,
            root: verified.checkpoint().root,
            note,
        };
        let have = mirror.collection.size;
        if checkpoint.size <= have {
            if let Some(caught) = self.compare(mirror, &checkpoint.note).await? {
                return Ok(caught);
            }
            if checkpoint.size < have {
                return Ok(Outcome::RolledBack {
                    served: checkpoint.size,
                    accepted: have,
                });
            }
            // The same tree, perhaps with more cosignatures now.
            let (m, note) = (mirror.clone(), checkpoint.note.clone());
            self.syncer
                .with_store(move |s| s.refresh_mirror_checkpoint(&m, &note))
                .await??;
            return Ok(Outcome::UpToDate);
        }
        match self.apply(mirror, &checkpoint).await? {
            Ok(applied) => Ok(Outcome::Applied(applied)),
            Err(MirrorError::RootMismatch { .. }) if have > 0 => {
                self.explain_mismatch(mirror, &checkpoint).await
            }
            Err(e) => Ok(Outcome::Failed(e.to_string())),
        }
    }

    /// Fetches the entry bundles from the mirror's size to the checkpoint's
    /// while the store applies them.
    async fn apply(
        &self,
        mirror: &Mirror,
        checkpoint: &PeerCheckpoint,
    ) -> Result<Result<store::Applied, MirrorError>, SyncError> {
        let have = mirror.collection.size;
        let size = checkpoint.size;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<store::Prepared>, String>>(64);
        let client = self.client.clone();
        let remote_id = self.remote_id.clone();
        let warninglists = std::sync::Arc::clone(&self.syncer.warninglists);
        // Fetching runs here; hashing, parsing, validating and the warninglist
        // checks of each bundle run on the blocking pool, several bundles at
        // once, beside the one thread that writes. `buffered` keeps log order.
        let fetch = tokio::spawn(async move {
            let bundles = (have / 256..size.div_ceil(256)).map(|index| {
                let client = client.clone();
                let remote_id = remote_id.clone();
                let warninglists = std::sync::Arc::clone(&warninglists);
                async move {
                    let id =
                        tlog::BundleId::for_entry(index * 256, size).map_err(|e| e.to_string())?;
                    let bytes = client
                        .tile(&remote_id, &id.path())
                        .await
                        .map_err(|e| e.to_string())?;
                    // The first bundle may start before the mirror's size.
                    let skip = have.saturating_sub(index * 256) as usize;
                    tokio::task::spawn_blocking(move || {
                        let entries = tlog::decode_bundle(&bytes, id.width())
                            .map_err(|e| format!("entry bundle {}: {e}", id.path()))?;
                        let mut judge =
                            |o: serde_json::Value| crate::warninglists::judge(&warninglists, o);
                        Ok::<_, String>(
                            entries
                                .into_iter()
                                .skip(skip)
                                .map(|entry| store::Prepared::new(entry.to_vec(), &mut judge))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .await
                    .map_err(|e| format!("preparing entry bundle {}: {e}", id.path()))?
                }
            });
            let mut stream = futures_util::stream::iter(bundles).buffered(FETCH_AHEAD);
            while let Some(chunk) = stream.next().await {
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        let (m, cp) = (mirror.clone(), checkpoint.clone());
        let applied = self
            .syncer
            .with_store(move |s| {
                let mut chunks = std::iter::from_fn(|| rx.blocking_recv());
                s.apply_mirror(&m, &cp, &mut chunks)
            })
            .await;
        fetch.abort();
        applied
    }

    /// The entries did not lead to the signed root: either the peer served
    /// entries that are not its log's (an error, retried next round) or its
    /// log does not extend what was accepted (misbehaviour). Its hash tiles,
    /// which must lead to the root it signed, tell which.
    async fn explain_mismatch(
        &self,
        mirror: &Mirror,
        checkpoint: &PeerCheckpoint,
    ) -> Result<Outcome, SyncError> {
        let have = mirror.collection.size;
        // One fetch per tile, of its widest form in the new tree: a narrower
        // copy (the old size's) is a prefix of it.
        let mut widest: std::collections::BTreeMap<(u8, u64), tlog::TileId> = Default::default();
        let ids = tlog::consistency_tiles(have, checkpoint.size)
            .map_err(|e| SyncError::Internal(e.to_string()))?
            .into_iter()
            .chain(tlog::root_tiles(have));
        for id in ids {
            let slot = widest.entry((id.level(), id.index())).or_insert(id);
            if id.width() > slot.width() {
                *slot = id;
            }
        }
        let mut tiles = TileSet::new();
        for id in widest.into_values() {
            tiles.insert(id, self.client.tile(&self.remote_id, &id.path()).await?);
        }
        let m = mirror.clone();
        let accepted = self
            .syncer
            .with_store(move |s| s.checkpoint_at(&m.collection.id, have))
            .await??
            .ok_or(store::StoreError::Unreachable(
                "a mirror without the checkpoint of its size",
            ))?;
        match Evidence::new(self.key, &accepted, &checkpoint.note, &tiles) {
            Ok(evidence) => self.caught(mirror, evidence).await,
            Err(e) => Ok(Outcome::Failed(format!(
                "its entries {have}..{} do not lead to the root it signed, and its tiles show no conflict with what was accepted ({e}); nothing was applied",
                checkpoint.size
            ))),
        }
    }

    /// Whether `other` (a checkpoint of this log from anywhere) conflicts
    /// with what the mirror accepted; only checkpoints up to the mirror's
    /// size can be checked from its own tiles.
    async fn compare(&self, mirror: &Mirror, other: &str) -> Result<Option<Outcome>, SyncError> {
        let Ok(theirs) = self.verifier.verify(other.as_bytes()) else {
            return Ok(None);
        };
        let (m, key, other_note) = (mirror.clone(), self.key.clone(), other.to_owned());
        let (size, root) = (theirs.checkpoint().size, theirs.checkpoint().root);
        let evidence = self
            .syncer
            .with_store(move |s| conflict(s, &m, &key, &other_note, size, root))
            .await??;
        match evidence {
            Some(evidence) => self.caught(mirror, evidence).await.map(Some),
            None => Ok(None),
        }
    }

    /// Asks this node's own witness state and the other partners' witnesses
    /// what they saw of this log, and compares it with what was accepted.
    async fn gossip(
        &self,
        mirror: &Mirror,
        others: &[PeerClient],
    ) -> Result<Option<Outcome>, SyncError> {
        // The mirror as this round left it (its size may have grown).
        let id = mirror.collection.id.clone();
        let mirror = self
            .syncer
            .with_store(move |s| s.mirror_of(&id))
            .await??
            .ok_or(store::StoreError::Unreachable("a mirror that went away"))?;
        let origin = self.origin.clone();
        let ours = self
            .syncer
            .with_store(move |s| s.witnessed(&origin))
            .await??;
        if let Some(witnessed) = &ours
            && let Some(caught) = self.compare(&mirror, &witnessed.note).await?
        {
            return Ok(Some(caught));
        }
        for other in others {
            match other.witnessed(&self.origin).await {
                Ok(Some(note)) => {
                    if let Some(caught) = self.compare(&mirror, &note).await? {
                        return Ok(Some(caught));
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(witness = %other.name, error = %e, "no witness view"),
            }
        }
        self.witness_accepted(&mirror, ours.map(|w| w.size)).await?;
        Ok(None)
    }

    /// Records the mirror's checkpoint as this node's witness state for the
    /// log, cosigned, so that other partners can compare with it.
    async fn witness_accepted(
        &self,
        mirror: &Mirror,
        current: Option<u64>,
    ) -> Result<(), SyncError> {
        let size = mirror.collection.size;
        if size == 0 || current.is_some_and(|c| c >= size) {
            return Ok(());
        }
        let (m, verifier, origin) = (mirror.clone(), self.verifier.clone(), self.origin.clone());
        self.syncer
            .with_store(move |s| -> Result<(), SyncError> {
                let Some(note) = s.checkpoint_at(&m.collection.id, size)? else {
                    return Ok(());
                };
                let verified = verifier
                    .verify(note.as_bytes())
                    .map_err(|e| SyncError::Internal(e.to_string()))?;
                let line = s
                    .node()
                    .cosign(&verified, store::Micros::now().unix_seconds())
                    .map_err(|e| SyncError::Internal(e.to_string()))?;
                let state = store::Witnessed {
                    origin,
                    size,
                    note,
                    cosignature: line.to_string().trim_end().to_owned(),
                };
                // Lost to a concurrent add-checkpoint: that one is at least as new.
                s.swap_witnessed(current, &state)?;
                Ok(())
            })
            .await?
    }

    /// Writes the evidence, stops the mirror, and says what the peer did.
    async fn caught(&self, mirror: &Mirror, evidence: Evidence) -> Result<Outcome, SyncError> {
        let what = evidence
            .verify(self.key)
            .map(|m| m.to_string())
            .map_err(|e| SyncError::Internal(format!("evidence that does not verify: {e}")))?;
        let path = evidence::write(
            self.syncer.data_dir(),
            &mirror.peer,
            &self.remote_id,
            &evidence,
        )
        .map_err(|e| SyncError::Internal(e.to_string()))?;
        let reason = format!("{what}; evidence in {}", path.display());
        let m = mirror.clone();
        self.syncer
            .with_store(move |s| s.halt_mirror(&m, &reason))
            .await??;
        Ok(Outcome::Misbehaviour {
            what,
            evidence: path,
        })
    }
}

/// Evidence that the checkpoint (`size`, `root`) cannot be consistent with
/// the mirror's accepted tree, or `None` if it is or cannot be checked yet.
fn conflict(
    store: &Store,
    mirror: &Mirror,
    key: &Verifier,
    other: &str,
    size: u64,
    root: tlog::Hash,
) -> Result<Option<Evidence>, SyncError> {
    let have = store.collection(&mirror.collection.id)?.size;
    if size > have || have == 0 {
        return Ok(None);
    }
    if store.mirror_root_at(mirror, size)? == root {
        return Ok(None);
    }
    let accepted =
        store
            .checkpoint_at(&mirror.collection.id, have)?
            .ok_or(store::StoreError::Unreachable(
                "a mirror without the checkpoint of its size",
            ))?;
    let evidence = if size == have {
        Evidence::new(key, &accepted, other, &TileSet::new())
    } else {
        Evidence::new(key, other, &accepted, &store.mirror_tiles(mirror, size)?)
    };
    evidence
        .map(Some)
        .map_err(|e| SyncError::Internal(format!("cannot write down the conflict: {e}")))
}
