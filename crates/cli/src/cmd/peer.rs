//! `entente peer add|list|status|remove`: partners in `entente.toml`, and
//! what syncing from them has done.

use std::io::BufRead as _;

use anyhow::{Context, Result, bail};
use node::config::{self, Config, PeerConfig};
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{Global, PeerAddArgs, PeerRemoveArgs, PeerStatusArgs};
use crate::input::{data_dir, open_store};
use crate::output;

fn load(global: &Global) -> Result<(std::path::PathBuf, Config)> {
    let dir = data_dir(global)?;
    let config =
        Config::load(&dir).with_context(|| format!("cannot read {}", config::CONFIG_FILE))?;
    Ok((dir, config))
}

pub fn add(global: &Global, args: PeerAddArgs) -> Result<Verdict> {
    let (dir, mut config) = load(global)?;
    // The store must exist: a peer is only useful to a node.
    let store = open_store(global)?;
    config::check_user_name(&args.name).map_err(anyhow::Error::msg)?;
    config::check_peer_url(&args.url).map_err(anyhow::Error::msg)?;
    if config.peer(&args.name).is_some() {
        bail!(
            "peer {:?} already exists; `entente peer remove {}` first to replace it",
            args.name,
            args.name
        );
    }
    if let Some(key) = &args.key {
        let verifier = tlog::Verifier::parse(key)
            .with_context(|| format!("--key {key:?} is not a verifier key (name+hash+base64)"))?;
        if verifier == store.node().verifier() {
            bail!("--key is this node's own key; give the partner's");
        }
    }
    for witness in &args.witnesses {
        tlog::Verifier::parse(witness)
            .with_context(|| format!("--witness {witness:?} is not a verifier key"))?;
    }
    if args.min_witnesses > args.witnesses.len() {
        bail!(
            "--min-witnesses {} needs at least that many --witness keys (got {})",
            args.min_witnesses,
            args.witnesses.len()
        );
    }
    let password = match &args.username {
        None => None,
        Some(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            Some(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    };
    let peer = PeerConfig {
        name: args.name.clone(),
        url: args.url.clone(),
        key: args.key.clone(),
        token: args.token.clone(),
        username: args.username.clone(),
        password,
        witnesses: args.witnesses.clone(),
        min_witnesses: args.min_witnesses,
        collections: args.collections.clone(),
    };
    config.peers.push(peer);
    config.save(&dir)?;
    if global.json {
        output::json(&json!({ "added": args.name, "verified": args.key.is_some() }))?;
    } else {
        println!(
            "added peer {} at {} ({})",
            args.name,
            args.url,
            if args.key.is_some() {
                "its logs are verified with its key"
            } else {
                "a plain TAXII feed: mirrored unverified"
            }
        );
        if !global.quiet {
            eprintln!(
                "note: `entente sync` pulls from it now; `entente serve` syncs every {} s",
                config.sync.interval().as_secs()
            );
        }
    }
    Ok(Verdict::Ok)
}

pub fn list(global: &Global) -> Result<Verdict> {
    // Peers belong to a node: without one, say how to make it (exit 3), not an empty list.
    drop(open_store(global)?);
    let (_, config) = load(global)?;
    if global.json {
        let peers: Vec<Value> = config
            .peers
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "url": p.url,
                    "key": p.key,
                    "verified": p.is_verified(),
                    "witnesses": p.witnesses,
                    "min_witnesses": p.min_witnesses,
                    "collections": p.collections,
                })
            })
            .collect();
        output::json(&json!({ "peers": peers }))?;
        return Ok(Verdict::Ok);
    }
    if config.peers.is_empty() {
        println!("no peers; add one with `entente peer add NAME URL --key VKEY --token TOKEN`");
    }
    for p in &config.peers {
        let kind = match &p.key {
            Some(key) => format!("key {key}"),
            None => "plain TAXII, unverified".into(),
        };
        let witnesses = if p.min_witnesses > 0 {
            format!(
                ", needs {} of {} witness cosignatures",
                p.min_witnesses,
                p.witnesses.len()
            )
        } else {
            String::new()
        };
        println!("{}\t{}\t{kind}{witnesses}", p.name, p.url);
    }
    Ok(Verdict::Ok)
}

pub fn remove(global: &Global, args: PeerRemoveArgs) -> Result<Verdict> {
    let (dir, mut config) = load(global)?;
    let before = config.peers.len();
    config.peers.retain(|p| p.name != args.name);
    if config.peers.len() == before {
        bail!("no peer {:?}", args.name);
    }
    config.save(&dir)?;
    if global.json {
        output::json(&json!({ "removed": args.name }))?;
    } else {
        println!(
            "removed peer {}; its mirrors and any evidence stay in the data directory",
            args.name
        );
    }
    Ok(Verdict::Ok)
}

pub fn status(global: &Global, args: PeerStatusArgs) -> Result<Verdict> {
    let (_, config) = load(global)?;
    let store = open_store(global)?;
    if let Some(name) = &args.name
        && config.peer(name).is_none()
        && store.mirrors(Some(name))?.is_empty()
    {
        bail!("no peer {name:?}");
    }
    let held = store.quarantine(false)?;
    let mut misbehaved = false;
    let mut peers = Vec::new();
    let names: Vec<String> = match &args.name {
        Some(n) => vec![n.clone()],
        None => {
            let mut names: Vec<String> = config.peers.iter().map(|p| p.name.clone()).collect();
            for m in store.mirrors(None)? {
                if !names.contains(&m.peer) {
                    names.push(m.peer);
                }
            }
            names
        }
    };
    for name in names {
        let peer = config.peer(&name);
        let mut mirrors = Vec::new();
        for m in store.mirrors(Some(&name))? {
            misbehaved |= m.halted.is_some();
            let held_here = held
                .iter()
                .filter(|h| h.collection == m.collection.id)
                .count();
            mirrors.push(json!({
                "collection": m.remote_id,
                "mirror": m.collection.alias.clone().unwrap_or_else(|| m.collection.id.clone()),
                "verified": m.verified,
                "size": m.collection.size,
                "synced": m.synced.map(|t| t.to_string()),
                "error": m.error,
                "misbehaviour": m.halted,
                "quarantined": held_here,
                "invalid_entries": m.invalid_entries,
                "invalid_objects": m.invalid_objects,
            }));
        }
        peers.push(json!({
            "name": name,
            "url": peer.map(|p| p.url.clone()),
            "configured": peer.is_some(),
            "verified": peer.map(PeerConfig::is_verified),
            "mirrors": mirrors,
        }));
    }
    if global.json {
        output::json(&json!({ "peers": peers, "misbehaviour": misbehaved }))?;
    } else {
        for p in &peers {
            print_peer(p);
        }
        if peers.is_empty() {
            println!("no peers");
        }
    }
    Ok(if misbehaved { Verdict::No } else { Verdict::Ok })
}

fn print_peer(p: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let url = p["url"].as_str().unwrap_or("(no longer configured)");
    println!("{} {url}", s(&p["name"]));
    let mirrors = p["mirrors"].as_array().cloned().unwrap_or_default();
    if mirrors.is_empty() {
        println!("  not synced yet");
    }
    for m in mirrors {
        let verified = if m["verified"].as_bool() == Some(true) {
            "verified"
        } else {
            "UNVERIFIED"
        };
        let synced = m["synced"]
            .as_str()
            .map_or("never synced".to_owned(), |t| format!("synced {t}"));
        println!(
            "  {} → {}: {} entries, {verified}, {synced}, {} quarantined",
            s(&m["collection"]),
            s(&m["mirror"]),
            m["size"],
            m["quarantined"]
        );
        let (entries, objects) = (
            m["invalid_entries"].as_u64().unwrap_or(0),
            m["invalid_objects"].as_u64().unwrap_or(0),
        );
        if entries > 0 || objects > 0 {
            println!(
                "    {entries} invalid entries (not a valid envelope; kept, never served), {objects} invalid objects (not valid STIX 2.1; quarantined)"
            );
        }
        if let Some(e) = m["error"].as_str() {
            println!("    last error: {e}");
        }
        if let Some(reason) = m["misbehaviour"].as_str() {
            println!("    MISBEHAVIOUR, no longer applied: {reason}");
        }
    }
}
