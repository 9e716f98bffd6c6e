//! `entente info`: what this node is, in one screen.

use anyhow::Result;
use node::config::{self, Config};
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::Global;
use crate::input::{data_dir, open_store};
use crate::output;

pub fn run(global: &Global) -> Result<Verdict> {
    let store = open_store(global)?;
    let dir = data_dir(global)?;
    let config = Config::load(&dir)?;
    let node = store.node();
    let listen = config
        .server
        .listen
        .clone()
        .unwrap_or_else(|| config::DEFAULT_LISTEN.to_owned());
    let scheme = if config.server.tls_cert.is_some() && config.server.tls_key.is_some() {
        "https"
    } else {
        "http"
    };
    let own = store.collections()?;
    let collections: Vec<Value> = own
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "alias": c.alias, "entries": c.size,
                "strict": c.strict, "mirror_of": c.peer,
            })
        })
        .collect();
    let peers: Vec<Value> = config
        .peers
        .iter()
        .map(|p| json!({ "name": p.name, "url": p.url, "verified": p.is_verified() }))
        .collect();
    let info = json!({
        "name": node.name(),
        "verifier_key": node.verifier_key(),
        "data": dir,
        "listen": format!("{scheme}://{listen}/"),
        "version": env!("CARGO_PKG_VERSION"),
        "collections": collections,
        "peers": peers,
    });
    if global.json {
        output::json(&info)?;
        return Ok(Verdict::Ok);
    }
    println!("node          {}", node.name());
    println!("verifier key  {}", node.verifier_key());
    println!("              (partners: compare it with the operator out of band)");
    println!("data          {}", dir.display());
    println!("listens on    {scheme}://{listen}/ (entente serve; --listen overrides)");
    println!("version       {}", env!("CARGO_PKG_VERSION"));
    println!("collections   {}", collections.len());
    for c in &own {
        let what = match &c.peer {
            Some(peer) => format!("mirror of {peer}"),
            None if c.strict => "strict".to_owned(),
            None => "own".to_owned(),
        };
        println!(
            "  {:<36}  {:<20}  {:>9} entries  {what}",
            c.id,
            c.alias.as_deref().unwrap_or("-"),
            c.size
        );
    }
    println!("peers         {}", config.peers.len());
    for p in &config.peers {
        let kind = if p.is_verified() {
            "verified log"
        } else {
            "plain TAXII feed"
        };
        println!("  {:<20}  {}  ({kind})", p.name, p.url);
    }
    Ok(Verdict::Ok)
}
