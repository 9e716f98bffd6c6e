//! `entente user add|list|remove|token`: the users and peers in `entente.toml`.

use std::io::BufRead as _;

use anyhow::{Context, Result, bail};
use node::config::{self, Config, UserConfig, UserKind};
use serde_json::json;

use crate::Verdict;
use crate::cli::{Global, UserAddArgs, UserRemoveArgs, UserTokenArgs};
use crate::input::{data_dir, open_store};
use crate::output;

pub fn add(global: &Global, args: UserAddArgs) -> Result<Verdict> {
    let dir = data_dir(global)?;
    let mut store = open_store(global)?;
    let mut config =
        Config::load(&dir).with_context(|| format!("cannot read {}", config::CONFIG_FILE))?;
    config::check_user_name(&args.name).map_err(anyhow::Error::msg)?;
    if config.user(&args.name).is_some() {
        bail!(
            "user {:?} already exists; `entente user remove {}` first to replace it",
            args.name,
            args.name
        );
    }
    let kind = if args.kind == "peer" {
        UserKind::Peer
    } else {
        UserKind::User
    };
    // Every collection named must exist; a typo would silently grant nothing.
    for name in args.read.iter().chain(&args.write) {
        store
            .collection(name)
            .with_context(|| format!("cannot grant access to {name:?}"))?;
    }
    let (password, token) = if args.token {
        (None, Some(config::new_token()))
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']);
        if password.len() < 8 {
            bail!("the password is shorter than 8 characters");
        }
        (Some(config::hash_password(password)?), None)
    };
    if kind == UserKind::Peer {
        // The store checks markings: a peer cannot join the audience of a
        // collection holding TLP:RED objects.
        let mut shared: Vec<(&str, store::Access)> = Vec::new();
        let grants = args
            .read
            .iter()
            .map(|c| (c.as_str(), store::Access::Read))
            .chain(
                args.write
                    .iter()
                    .map(|c| (c.as_str(), store::Access::Write)),
            );
        for (name, access) in grants {
            let was = store.collection(name)?;
            let already = match access {
                store::Access::Read => was.audience.contains(&args.name),
                store::Access::Write => was.writers.contains(&args.name),
            };
            match store.share(name, &args.name, access) {
                Ok(_) if already => {}
                Ok(_) => shared.push((name, access)),
                Err(e) => {
                    // All or nothing: undo the grants made so far.
                    for (name, access) in shared {
                        store.unshare(name, &args.name, access)?;
                    }
                    eprintln!("entente: {e}");
                    return Ok(Verdict::No);
                }
            }
        }
    }
    config.users.push(UserConfig {
        name: args.name.clone(),
        kind,
        password,
        tokens: token.iter().map(|t| config::token_hash(t)).collect(),
        read: args.read.clone(),
        write: args.write.clone(),
    });
    config
        .save(&dir)
        .with_context(|| format!("cannot write {}", config::CONFIG_FILE))?;
    if global.json {
        output::json(&json!({
            "name": args.name, "kind": kind.as_str(), "read": args.read, "write": args.write, "token": token,
        }))?;
    } else {
        if !global.quiet {
            eprintln!(
                "Added {} {:?} (read: {}; write: {}); a running node picks it up within a second.",
                kind.as_str(),
                args.name,
                joined(&args.read),
                joined(&args.write)
            );
        }
        if let Some(token) = token {
            if !global.quiet {
                eprintln!("API token (shown once; use it as Bearer token or Basic password):");
            }
            println!("{token}");
        }
    }
    Ok(Verdict::Ok)
}

fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(",")
    }
}

pub fn list(global: &Global) -> Result<Verdict> {
    // Users belong to a node: without one, say how to make it (exit 3), not an empty list.
    drop(crate::input::open_store(global)?);
    let dir = data_dir(global)?;
    let config = Config::load(&dir)?;
    if global.json {
        let users: Vec<_> = config
            .users
            .iter()
            .map(|u| {
                json!({
                    "name": u.name, "kind": u.kind.as_str(), "password": u.password.is_some(),
                    "tokens": u.tokens.len(), "read": u.read, "write": u.write,
                })
            })
            .collect();
        output::json(&users)?;
        return Ok(Verdict::Ok);
    }
    println!(
        "{:<20}  {:<4}  {:<14}  {:<24}  write",
        "name", "kind", "credentials", "read"
    );
    for u in &config.users {
        let mut creds = Vec::new();
        if u.password.is_some() {
            creds.push("password".to_owned());
        }
        if !u.tokens.is_empty() {
            creds.push(format!("{} token(s)", u.tokens.len()));
        }
        println!(
            "{:<20}  {:<4}  {:<14}  {:<24}  {}",
            u.name,
            u.kind.as_str(),
            creds.join(", "),
            joined(&u.read),
            joined(&u.write)
        );
    }
    Ok(Verdict::Ok)
}

pub fn remove(global: &Global, args: UserRemoveArgs) -> Result<Verdict> {
    let dir = data_dir(global)?;
    let mut config = Config::load(&dir)?;
    let Some(at) = config.users.iter().position(|u| u.name == args.name) else {
        eprintln!("entente: no user {:?}", args.name);
        return Ok(Verdict::No);
    };
    let user = config.users.remove(at);
    if user.kind == UserKind::Peer {
        let mut store = open_store(global)?;
        for coll in store.collections()? {
            store.unshare(&coll.id, &user.name, store::Access::Read)?;
            store.unshare(&coll.id, &user.name, store::Access::Write)?;
        }
    }
    config.save(&dir)?;
    if !global.quiet {
        eprintln!("Removed {} {:?}", user.kind.as_str(), user.name);
    }
    Ok(Verdict::Ok)
}

pub fn token(global: &Global, args: UserTokenArgs) -> Result<Verdict> {
    // Users belong to a node: without one, say how to make it (exit 3).
    drop(open_store(global)?);
    let dir = data_dir(global)?;
    let mut config =
        Config::load(&dir).with_context(|| format!("cannot read {}", config::CONFIG_FILE))?;
    let Some(user) = config.users.iter_mut().find(|u| u.name == args.name) else {
        eprintln!(
            "entente: no user {:?}; `entente user list` shows who there is",
            args.name
        );
        return Ok(Verdict::No);
    };
    let token = config::new_token();
    let revoked = if args.rotate {
        std::mem::take(&mut user.tokens).len()
    } else {
        0
    };
    user.tokens.push(config::token_hash(&token));
    config
        .save(&dir)
        .with_context(|| format!("cannot write {}", config::CONFIG_FILE))?;
    if global.json {
        output::json(&json!({ "name": args.name, "token": token, "revoked": revoked }))?;
        return Ok(Verdict::Ok);
    }
    if !global.quiet {
        if args.rotate {
            eprintln!(
                "Revoked {revoked} earlier token{} of {:?}; a running node stops taking {} within a second.",
                if revoked == 1 { "" } else { "s" },
                args.name,
                if revoked == 1 { "it" } else { "them" }
            );
        }
        eprintln!(
            "API token for {:?} (shown once; use it as Bearer token or Basic password):",
            args.name
        );
    }
    println!("{token}");
    Ok(Verdict::Ok)
}
