//! `entente sightings`: how often and where the node's own indicators were
//! sighted, from the sightings in its collections and in its mirrors of
//! partners' collections.

use std::borrow::Cow;

use anyhow::{Context, Result};
use detect::report::{Gather, IndicatorSightings, Report};

use crate::Verdict;
use crate::cli::{Global, SightingsArgs};
use crate::input::open_store;
use crate::output;

pub fn run(global: &Global, args: SightingsArgs) -> Result<Verdict> {
    let store = open_store(global)?;
    let mut gather = Gather::new();
    let bar = output::progress(global, None, "reading sightings", false);
    for coll in store.collections()? {
        let source = gather.source(coll.peer.as_deref());
        let skipped = store
            .for_each_live_object(&coll.id, |object| {
                gather.add(source, &object);
                bar.inc(1);
                Ok::<_, anyhow::Error>(())
            })
            .with_context(|| format!("cannot read collection {}", coll.id))?;
        output::report_skipped(&skipped);
    }
    bar.finish_and_clear();
    let report = match gather.report(args.indicator.as_deref()) {
        Ok(report) => report,
        Err(not_ours) => {
            eprintln!("entente: {not_ours}");
            return Ok(Verdict::No);
        }
    };
    if global.json {
        output::json(&report)?;
    } else {
        for i in &report.indicators {
            println!("{}", line(i));
        }
        println!("{}", summary(&report));
    }
    Ok(Verdict::Ok)
}

/// `indicator--… "name" sighted 42 times (3 sightings) by bravo, charlie
/// (received from bravo, charlie); first …, last …`
fn line(i: &IndicatorSightings) -> String {
    let mut out = i.id.clone();
    if let Some(name) = &i.name {
        out += &format!(" \"{}\"", shown(name));
    }
    out += &format!(
        " sighted {} ({})",
        plural(i.count, "time"),
        plural(i.sightings, "sighting")
    );
    if !i.by.is_empty() {
        let by: Vec<Cow<'_, str>> = i.by.iter().map(|p| shown(p)).collect();
        out += &format!(" by {}", by.join(", "));
    }
    if !i.from.is_empty() {
        out += &format!(" (received from {})", i.from.join(", "));
    }
    let times: Vec<String> = [("first", &i.first_seen), ("last", &i.last_seen)]
        .into_iter()
        .filter_map(|(what, t)| t.as_ref().map(|t| format!("{what} {t}")))
        .collect();
    if !times.is_empty() {
        out += &format!("; {}", times.join(", "));
    }
    out
}

fn summary(r: &Report) -> String {
    let count = r
        .indicators
        .iter()
        .map(|i| i.count)
        .fold(0, u64::saturating_add);
    let sightings: u64 = r.indicators.iter().map(|i| i.sightings).sum();
    format!(
        "{} sighted {} ({}); {} of indicators not this node's ignored",
        plural(r.indicators.len() as u64, "indicator"),
        plural(count, "time"),
        plural(sightings, "sighting"),
        plural(r.ignored, "sighting"),
    )
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A name as it may go to a terminal: partners choose their identities'
/// names, and a control character in one must not drive the terminal.
fn shown(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_control) {
        Cow::Owned(
            name.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(name)
    }
}
