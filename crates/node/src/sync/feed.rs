//! Pulling a plain TAXII 2.1 feed (a MISP or OpenCTI server, say), which has
//! no log to verify: its objects are paged with `added_after` and appended
//! to a mirror marked unverified, signed by this node as a record of what
//! the feed gave.

use serde_json::Value;

use super::client::PeerClient;
use super::{CollectionReport, Outcome, RoundReport, SyncError, Syncer};
use crate::config::PeerConfig;

/// Pages per collection per round at most: a huge feed catches up over rounds.
const MAX_PAGES: usize = 1000;

/// Pulls every collection of the feed this node may read.
pub(super) async fn sync_feed(
    syncer: &Syncer,
    peer: &PeerConfig,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    let client = PeerClient::new(peer)?;
    let remote = client.collections("").await?;
    for coll in remote
        .iter()
        .filter(|c| c.can_read && (peer.collections.is_empty() || peer.collections.contains(&c.id)))
    {
        let (name, id, title) = (peer.name.clone(), coll.id.clone(), coll.title.clone());
        let mirror = syncer
            .with_store(move |s| s.mirror(&name, &id, &title, false, None))
            .await??;
        let mut line = CollectionReport {
            peer: peer.name.clone(),
            remote_id: coll.id.clone(),
            local: mirror
                .collection
                .alias
                .clone()
                .unwrap_or_else(|| mirror.collection.id.clone()),
            size: mirror.collection.size,
            outcome: Outcome::UpToDate,
        };
        line.outcome = match pull(syncer, &client, &mirror).await {
            Ok((0, _)) => Outcome::UpToDate,
            Ok((added, held)) => Outcome::Pulled { added, held },
            Err(e) => Outcome::Failed(e.to_string()),
        };
        let error = match &line.outcome {
            Outcome::Failed(e) => Some(e.clone()),
            _ => None,
        };
        let (m, now) = (mirror.clone(), store::Micros::now());
        if let Ok(Ok(coll)) = syncer
            .with_store(move |s| {
                s.record_sync(&m, error.as_deref(), now)?;
                s.collection(&m.collection.id)
            })
            .await
        {
            line.size = coll.size;
        }
        report.collections.push(line);
    }
    Ok(())
}

/// Pages from the mirror's cursor on; each page is stored with the cursor
/// that follows it, so a round cut short resumes where it stopped.
async fn pull(
    syncer: &Syncer,
    client: &PeerClient,
    mirror: &store::Mirror,
) -> Result<(u64, u64), SyncError> {
    let (mut added, mut held) = (0u64, 0u64);
    let mut cursor = mirror.cursor.clone();
    // While the server hands out `next` tokens, the query keeps the
    // `added_after` it started with; without them, it moves the cursor on.
    let mut query_after = cursor.clone();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (envelope, last) = client
            .objects_page(&mirror.remote_id, query_after.as_deref(), next.as_deref())
            .await?;
        let objects: Vec<Value> = envelope
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let more = envelope
            .get("more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        next = envelope
            .get("next")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // Objects that violate a MUST (patterns included) are left out, as a
        // TAXII POST would refuse them: this store holds valid STIX only.
        // SHOULD findings (custom properties, open vocabularies) are kept.
        let valid: Vec<_> = {
            let options = stix::ValidateOptions::new()
                .strict(false)
                .with_pattern_checker(&pattern::check);
            objects
                .into_iter()
                .filter_map(|o| stix::validate_with(o, &options).ok())
                .collect()
        };
        let new_cursor = last.or_else(|| cursor.clone());
        let (m, warninglists) = (mirror.clone(), std::sync::Arc::clone(&syncer.warninglists));
        let page_cursor = new_cursor.clone();
        let (page_added, page_held) = syncer
            .with_store(move |s| -> Result<(u64, u64), store::StoreError> {
                let mut held = 0u64;
                let mut hold = |o: &store::ObjectFacts<'_>| {
                    let reason = crate::warninglists::hold(&warninglists, o);
                    held += u64::from(reason.is_some());
                    reason
                };
                let outcome = s.append_to_mirror(&m, &valid, store::Micros::now(), &mut hold)?;
                if let Some(c) = &page_cursor {
                    s.set_mirror_cursor(&m, c)?;
                }
                let added = outcome
                    .results
                    .iter()
                    .filter(|r| matches!(r.status, store::Outcome::Added { .. }))
                    .count() as u64;
                Ok((added, held))
            })
            .await??;
        added += page_added;
        held += page_held;
        cursor = new_cursor;
        if !more {
            break;
        }
        if next.is_none() {
            if cursor == query_after {
                // No token and no progress: asking again would loop.
                break;
            }
            query_after = cursor.clone();
        }
    }
    Ok((added, held))
}
