//! Asking partners to witness this node's logs: after signing checkpoints,
//! a node sends each to the tlog-witness `add-checkpoint` endpoint of every
//! peer in the collection's audience, with a consistency proof from the size
//! that witness last cosigned, and keeps the cosignatures it gets back to
//! serve with the checkpoint.

use std::collections::HashMap;

use tlog::{AddCheckpoint, CheckpointVerifier, Verifier};

use super::client::{PeerClient, WitnessAnswer};
use super::{SyncError, Syncer};
use crate::config::Config;

/// What each witness is known to hold, by (peer, collection id): the size it
/// last cosigned. Starts empty; a 409 tells the truth.
#[derive(Debug, Default)]
pub struct Witnesses {
    sizes: HashMap<(String, String), u64>,
}

/// One push: how many checkpoints got a new cosignature.
pub async fn push(
    syncer: &Syncer,
    config: &Config,
    witnesses: &mut Witnesses,
) -> Result<usize, SyncError> {
    let own: Vec<(store::Collection, String, tlog::Checkpoint)> = syncer
        .with_store(|s| -> Result<_, store::StoreError> {
            let mut out = Vec::new();
            for coll in s.collections()? {
                if coll.peer.is_some() || coll.size == 0 {
                    continue;
                }
                let note = s.checkpoint(&coll.id)?;
                if let Ok(cp) = s.node().verify_checkpoint(&coll.id, note.as_bytes()) {
                    out.push((coll, note, cp));
                }
            }
            Ok(out)
        })
        .await??;
    let mut cosigned = 0;
    for peer in config.peers.iter().filter(|p| p.is_verified()) {
        let Some(key) = peer.key.as_deref().and_then(|k| Verifier::parse(k).ok()) else {
            continue;
        };
        let client = PeerClient::new(peer)?;
        for (coll, note, cp) in &own {
            // Only partners who may read the collection learn of it.
            if !coll.audience.iter().any(|p| p == &peer.name) {
                continue;
            }
            let slot = (peer.name.clone(), coll.id.clone());
            if witnesses.sizes.get(&slot) == Some(&cp.size) {
                continue;
            }
            match push_one(
                syncer,
                &client,
                &key,
                coll,
                note,
                cp,
                witnesses.sizes.get(&slot).copied(),
            )
            .await
            {
                Ok(()) => {
                    cosigned += 1;
                    witnesses.sizes.insert(slot, cp.size);
                }
                Err(e) => {
                    tracing::warn!(witness = %peer.name, collection = %coll.id, error = %e, "witness push failed")
                }
            }
        }
    }
    Ok(cosigned)
}

/// Sends one checkpoint (retrying once from the size a 409 names) and keeps
/// the witness's cosignature.
async fn push_one(
    syncer: &Syncer,
    client: &PeerClient,
    witness: &Verifier,
    coll: &store::Collection,
    note: &str,
    cp: &tlog::Checkpoint,
    known: Option<u64>,
) -> Result<(), SyncError> {
    let mut old = known.unwrap_or(0);
    for _ in 0..2 {
        let proof = if old == 0 || old >= cp.size {
            Vec::new()
        } else {
            let (id, size) = (coll.id.clone(), cp.size);
            syncer
                .with_store(move |s| s.consistency_proof(&id, old, size))
                .await??
        };
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: note.to_owned(),
        }
        .encode();
        match client.add_checkpoint(body).await? {
            WitnessAnswer::Cosigned(lines) => {
                return store_cosignatures(syncer, client, witness, coll, note, cp, &lines).await;
            }
            // The witness holds another size (perhaps ours already, from syncing):
            // prove consistency from there.
            WitnessAnswer::Conflict(size) if size <= cp.size && size != old => old = size,
            WitnessAnswer::Conflict(size) if size > cp.size => {
                return Err(SyncError::Protocol {
                    peer: client.name.clone(),
                    message: format!(
                        "its witness holds a checkpoint of size {size} of {}, larger than this node's {}: was this node's store restored from a backup?",
                        coll.id, cp.size
                    ),
                });
            }
            WitnessAnswer::Conflict(size) => {
                return Err(SyncError::Protocol {
                    peer: client.name.clone(),
                    message: format!("its witness keeps answering that it holds size {size}"),
                });
            }
            WitnessAnswer::Refused(status, message) => {
                return Err(SyncError::Http {
                    peer: client.name.clone(),
                    url: "witness/add-checkpoint".into(),
                    status,
                    message,
                });
            }
        }
    }
    Err(SyncError::Protocol {
        peer: client.name.clone(),
        message: format!("its witness still holds another size than {old} after a retry"),
    })
}

/// Checks the witness's lines against its key before keeping them.
async fn store_cosignatures(
    syncer: &Syncer,
    client: &PeerClient,
    witness: &Verifier,
    coll: &store::Collection,
    note: &str,
    cp: &tlog::Checkpoint,
    lines: &str,
) -> Result<(), SyncError> {
    let bad = |message: String| SyncError::Protocol {
        peer: client.name.clone(),
        message,
    };
    let mut with_lines = note.to_owned();
    with_lines.push_str(lines);
    if !with_lines.ends_with('\n') {
        with_lines.push('\n');
    }
    let origin = cp.origin.clone();
    let own_key = syncer.with_store(|s| s.node().verifier()).await?;
    let verified = CheckpointVerifier::new(origin, own_key)
        .verify(with_lines.as_bytes())
        .map_err(|e| bad(format!("its cosignature does not fit the checkpoint: {e}")))?;
    let count = tlog::verify_cosignatures(&verified, std::slice::from_ref(witness))
        .map_err(|e| bad(format!("its cosignature does not verify: {e}")))?;
    if count == 0 {
        return Err(bad("it answered without a cosignature by its key".into()));
    }
    let witness_name = witness.name().to_owned();
    let own_lines: Vec<String> = lines
        .lines()
        .filter(|l| l.starts_with(&format!("\u{2014} {witness_name} ")))
        .map(str::to_owned)
        .collect();
    let (id, size) = (coll.id.clone(), cp.size);
    syncer
        .with_store(move |s| -> Result<(), store::StoreError> {
            for line in &own_lines {
                s.add_cosignature(&id, size, &witness_name, line)?;
            }
            Ok(())
        })
        .await??;
    Ok(())
}
