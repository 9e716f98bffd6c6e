//! `entente collection create|set|list`.

use anyhow::{Context, Result};
use serde_json::json;

use crate::Verdict;
use crate::cli::{CollectionCreateArgs, CollectionSetArgs, Global};
use crate::input::open_store;
use crate::output;

pub fn create(global: &Global, args: CollectionCreateArgs) -> Result<Verdict> {
    let mut store = open_store(global)?;
    if let Some(id) = &args.id {
        uuid::Uuid::parse_str(id).with_context(|| format!("--id {id:?} is not a UUID"))?;
    }
    let coll = store
        .create_collection(&store::NewCollection {
            id: args.id.clone(),
            alias: Some(args.alias.clone()),
            title: args.title.clone().unwrap_or_else(|| args.alias.clone()),
            description: args.description.clone(),
            strict: args.strict,
            ..store::NewCollection::default()
        })
        .with_context(|| format!("cannot create collection {:?}", args.alias))?;
    if global.json {
        output::json(&collection_json(&coll))?;
    } else {
        if !global.quiet {
            eprintln!(
                "Created collection {:?}; grant access with `entente user add NAME --read {}`",
                args.alias, args.alias
            );
        }
        println!("{}", coll.id);
    }
    Ok(Verdict::Ok)
}

pub fn set(global: &Global, args: CollectionSetArgs) -> Result<Verdict> {
    let mut store = open_store(global)?;
    let mut coll = store.collection(&args.collection)?;
    if let Some(strict) = args.strict {
        coll = store.set_strict(&coll.id, strict)?;
    }
    if global.json {
        output::json(&collection_json(&coll))?;
    } else if !global.quiet {
        eprintln!(
            "Collection {}: {}",
            coll.alias.as_deref().unwrap_or(&coll.id),
            strictness(&coll)
        );
    }
    Ok(Verdict::Ok)
}

fn strictness(c: &store::Collection) -> &'static str {
    if c.strict {
        "strict (refuses SHOULD findings too)"
    } else {
        "refuses only MUST violations; SHOULD findings are warnings"
    }
}

fn collection_json(c: &store::Collection) -> serde_json::Value {
    json!({
        "id": c.id,
        "alias": c.alias,
        "title": c.title,
        "description": c.description,
        "size": c.size,
        "audience": c.audience,
        "writers": c.writers,
        "strict": c.strict,
    })
}

pub fn list(global: &Global) -> Result<Verdict> {
    let store = open_store(global)?;
    let collections = store.collections()?;
    if global.json {
        output::json(&collections.iter().map(collection_json).collect::<Vec<_>>())?;
        return Ok(Verdict::Ok);
    }
    println!(
        "{:<36}  {:<16}  {:>10}  {:<7}  {:<20}  writers",
        "id", "alias", "entries", "checks", "audience"
    );
    for c in &collections {
        let list = |l: &[String]| {
            if l.is_empty() {
                "-".to_owned()
            } else {
                l.join(",")
            }
        };
        println!(
            "{:<36}  {:<16}  {:>10}  {:<7}  {:<20}  {}",
            c.id,
            c.alias.as_deref().unwrap_or("-"),
            c.size,
            if c.strict { "strict" } else { "must" },
            list(&c.audience),
            list(&c.writers)
        );
    }
    Ok(Verdict::Ok)
}
