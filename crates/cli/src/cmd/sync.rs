//! `entente sync`: one round — push this node's checkpoints to its partners'
//! witnesses, then mirror and verify every peer.

use anyhow::{Context, Result};
use node::config::{self, Config};
use node::sync::{Outcome, Syncer, push};
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{Global, SyncArgs};
use crate::input::data_dir;
use crate::output;

pub fn run(global: &Global, args: SyncArgs) -> Result<Verdict> {
    let dir = data_dir(global)?;
    let config =
        Config::load(&dir).with_context(|| format!("cannot read {}", config::CONFIG_FILE))?;
    if let Some(name) = &args.peer
        && config.peer(name).is_none()
    {
        anyhow::bail!("no peer {name:?}; `entente peer list` shows them");
    }
    if config.peers.is_empty() {
        anyhow::bail!("no peers to sync from; add one with `entente peer add`");
    }
    // Warnings (a witness that refused, a peer that failed) on stderr; the
    // report itself goes to stdout.
    let level = if global.quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ENTENTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let syncer = Syncer::new(&dir, &config, None)
        .with_context(|| format!("cannot sync the node in {}", dir.display()))?;
    let (cosigned, report) = runtime.block_on(async {
        let mut witnesses = push::Witnesses::default();
        let cosigned = match push::push(&syncer, &config, &mut witnesses).await {
            Ok(n) => n,
            Err(e) => {
                if !global.quiet {
                    eprintln!("entente: warning: witness push: {e}");
                }
                0
            }
        };
        (cosigned, syncer.round(&config, args.peer.as_deref()).await)
    });
    let lines: Vec<Value> = report.collections.iter().map(line_json).collect();
    if global.json {
        output::json(&json!({
            "collections": lines,
            "failed_peers": report.failed_peers.iter().map(|(p, e)| json!({"peer": p, "error": e})).collect::<Vec<_>>(),
            "cosigned": cosigned,
            "misbehaviour": report.misbehaviour(),
        }))?;
    } else {
        for line in &report.collections {
            println!("{}", line_text(line));
        }
        for (peer, error) in &report.failed_peers {
            println!("{peer}: FAILED: {error}");
        }
        if cosigned > 0 && !global.quiet {
            eprintln!("witnesses cosigned {cosigned} of this node's checkpoints");
        }
    }
    Ok(if report.misbehaviour() || report.failed() {
        Verdict::No
    } else {
        Verdict::Ok
    })
}

fn line_text(line: &node::sync::CollectionReport) -> String {
    let head = format!("{} {} → {}", line.peer, line.remote_id, line.local);
    match &line.outcome {
        Outcome::UpToDate => format!("{head}: up to date at {} entries", line.size),
        Outcome::Applied(a) => {
            // Said only when there are some: a partner's bad entries are news.
            let invalid = if a.invalid_objects > 0 || a.invalid_entries > 0 {
                format!(
                    "; {} objects not valid STIX (quarantined), {} invalid entries (kept, never served)",
                    a.invalid_objects, a.invalid_entries
                )
            } else {
                String::new()
            };
            format!(
                "{head}: +{} entries verified and applied ({} objects, {} withdrawals, {} quarantined{invalid}), {} entries",
                a.entries, a.objects, a.withdrawals, a.held, a.size
            )
        }
        Outcome::Pulled { added, held } => format!(
            "{head}: +{added} objects pulled UNVERIFIED ({held} quarantined), {} entries",
            line.size
        ),
        Outcome::Halted(reason) => format!("{head}: MISBEHAVIOUR (earlier), not applied: {reason}"),
        Outcome::Misbehaviour { what, evidence } => format!(
            "{head}: MISBEHAVIOUR: {what}; no longer applied; evidence {}",
            evidence.display()
        ),
        Outcome::RolledBack { served, accepted } => format!(
            "{head}: ROLLED BACK: the peer served a checkpoint of {served} entries after one of {accepted}; nothing applied"
        ),
        Outcome::Failed(e) => format!("{head}: FAILED: {e}"),
    }
}

fn line_json(line: &node::sync::CollectionReport) -> Value {
    let mut v = json!({
        "peer": line.peer,
        "collection": line.remote_id,
        "mirror": line.local,
        "size": line.size,
    });
    let (outcome, extra) = match &line.outcome {
        Outcome::UpToDate => ("up-to-date", json!({})),
        Outcome::Applied(a) => (
            "applied",
            json!({"entries": a.entries, "objects": a.objects, "withdrawals": a.withdrawals, "quarantined": a.held, "invalid_objects": a.invalid_objects, "invalid_entries": a.invalid_entries, "unindexed": a.unindexed}),
        ),
        Outcome::Pulled { added, held } => (
            "pulled-unverified",
            json!({"objects": added, "quarantined": held}),
        ),
        Outcome::Halted(reason) => ("halted", json!({"reason": reason})),
        Outcome::Misbehaviour { what, evidence } => {
            ("misbehaviour", json!({"what": what, "evidence": evidence}))
        }
        Outcome::RolledBack { served, accepted } => (
            "rolled-back",
            json!({"served": served, "accepted": accepted}),
        ),
        Outcome::Failed(e) => ("failed", json!({"error": e})),
    };
    v["outcome"] = json!(outcome);
    if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), extra) {
        obj.extend(extra);
    }
    v
}
