//! `entente match`: the active indicators, compiled into one index, run over
//! telemetry; the hits become STIX sightings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use detect::formats::{self, Format, Reader, Record};
use detect::sightings::Sightings;
use pattern::index::{Index, Indicator, Micros};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{Global, MatchArgs};
use crate::input::{self, open_store};
use crate::output;

/// Malformed lines reported one by one; past this, only counted.
const MALFORMED_SHOWN: u64 = 10;

/// An indicator as stored: the fields the index needs, borrowed.
#[derive(Deserialize)]
struct IndicatorFields<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow, rename = "type")]
    type_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    modified: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pattern: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pattern_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    valid_from: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    valid_until: Option<Cow<'a, str>>,
    #[serde(default)]
    revoked: bool,
}

impl IndicatorFields<'_> {
    /// The one rule of what an indicator is (type and id).
    fn is_indicator(&self) -> bool {
        stix::names_indicator(self.type_name.as_deref().unwrap_or(""), &self.id)
    }
}

/// What is kept of an indicator until the index is built: a million of
/// them must fit comfortably.
struct Kept {
    modified: Option<Micros>,
    pattern: Box<str>,
    valid_from: Option<Micros>,
    valid_until: Option<Micros>,
    revoked: bool,
}

/// Indicators by id, the latest version of each.
#[derive(Default)]
struct Loaded {
    by_id: HashMap<Box<str>, Kept>,
    /// Indicators whose patterns are not STIX patterns.
    other_languages: usize,
    /// Stored objects that could not be used, one line each: where, and why.
    unusable: Vec<String>,
}

impl Loaded {
    /// Takes `object` if it is an indicator this run can use; otherwise
    /// says why it was skipped. One object's content never stops a run.
    fn offer(&mut self, source: &str, object: &Value) {
        let id = object.get("id").and_then(Value::as_str).unwrap_or("?");
        if !stix::is_indicator(object) {
            let ty = object.get("type").and_then(Value::as_str).unwrap_or("?");
            self.unusable.push(format!(
                "skipped {id} in {source}: its type is {ty:?}, not an indicator with an indicator id"
            ));
            return;
        }
        match IndicatorFields::deserialize(object) {
            Ok(fields) if fields.is_indicator() => self.add(fields),
            Ok(_) => self.unusable.push(format!(
                "skipped {id} in {source}: not an indicator with an indicator id"
            )),
            Err(e) => {
                let why = explain(object).unwrap_or_else(|| e.to_string());
                self.unusable
                    .push(format!("skipped indicator {id} in {source}: {why}"));
            }
        }
    }

    fn add(&mut self, f: IndicatorFields<'_>) {
        if f.pattern_type.as_deref().is_some_and(|t| t != "stix") {
            self.other_languages += 1;
            return;
        }
        let modified = micros(f.modified.as_deref());
        if self
            .by_id
            .get(&*f.id)
            .is_some_and(|old| old.modified >= modified)
        {
            return;
        }
        self.by_id.insert(
            f.id.into(),
            Kept {
                modified,
                pattern: f.pattern.as_deref().unwrap_or("").into(),
                valid_from: micros(f.valid_from.as_deref()),
                valid_until: micros(f.valid_until.as_deref()),
                revoked: f.revoked,
            },
        );
    }
}

/// What the validator says of an indicator that does not read: it names the
/// property (serde's message does not). Only run on failure, so a million
/// good indicators load without it.
fn explain(object: &Value) -> Option<String> {
    let options = stix::ValidateOptions::new()
        .strict(false)
        .with_pattern_checker(&pattern::check);
    let invalid = stix::validate_with(object.clone(), &options).err()?;
    Some(
        invalid
            .errors()
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn micros(t: Option<&str>) -> Option<Micros> {
    let t = stix::Timestamp::parse(t?).ok()?;
    i64::try_from(t.unix_nanos().div_euclid(1000)).ok()
}

pub fn run(global: &Global, args: MatchArgs) -> Result<Verdict> {
    let forced: Option<Format> = match &args.format {
        Some(f) => Some(f.parse().map_err(|e| anyhow::anyhow!("--format: {e}"))?),
        None => None,
    };
    // A missing file is said before a minute goes into loading indicators.
    for path in args.files.iter().filter(|p| p.as_path() != Path::new("-")) {
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    }
    // So is a --publish collection that cannot take the sightings: they
    // would be lost after the whole run.
    if let Some(collection) = &args.publish {
        let coll = open_store(global)?.collection(collection)?;
        if let Some(peer) = coll.peer {
            return Err(store::StoreError::ReadOnlyMirror {
                collection: coll.id,
                peer,
            })
            .context("--publish");
        }
    }
    let started = Instant::now();
    // The store, opened once: for the collections' indicators, this party's
    // name and --publish. Matching a file of indicators needs no data
    // directory; without one, the party is unnamed.
    let (mut loaded, mut store) = match &args.indicators {
        Some(file) => (load_file(file)?, open_store(global).ok()),
        None => {
            let store = open_store(global)?;
            (load_store(&store, &args.collections)?, Some(store))
        }
    };
    let load_seconds = started.elapsed().as_secs_f64();

    let built = Instant::now();
    let indicators = loaded.by_id.iter().map(|(id, k)| Indicator {
        id,
        pattern: &k.pattern,
        valid_from: k.valid_from,
        valid_until: k.valid_until,
        revoked: k.revoked,
    });
    let (index, skipped) = Index::build(indicators);
    let build_seconds = built.elapsed().as_secs_f64();
    // The index holds what it needs; the indicators' text can go.
    let other_languages = loaded.other_languages;
    let unusable = std::mem::take(&mut loaded.unusable);
    drop(loaded);
    if !global.quiet {
        report_index(&index, &skipped, other_languages, build_seconds);
    }
    // Said even with --quiet: an indicator left out is a gap in detection.
    for line in &unusable {
        eprintln!("entente: {line}");
    }
    if index.is_empty() && !global.quiet {
        eprintln!("entente: no active STIX indicators to match; every event will pass");
    }

    let run_start = Instant::now();
    let now: Micros = store::Micros::now().0;
    let mut matcher = index.matcher();
    let mut sightings = Sightings::new();
    let mut tally = Tally::default();
    let total_bytes: Option<u64> = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).ok().map(|m| m.len()))
        .sum();
    let bar = output::progress(global, total_bytes, "matching", true);
    for path in &args.files {
        let counted = scan_file(
            path,
            forced,
            now,
            &mut |record| match record {
                Record::Event(event) => {
                    for hit in matcher.event(&event) {
                        sightings.event_hit(hit, &event);
                    }
                    for part in matcher.parts() {
                        sightings.event_part(part, &event);
                    }
                }
                Record::Observed { time, objects } => {
                    for hit in matcher.observed(time, &objects) {
                        sightings.observed_hit(hit, time, &objects);
                    }
                    for part in matcher.parts() {
                        sightings.observed_part(part, &objects);
                    }
                }
            },
            &bar,
            &mut tally,
            global.quiet,
        )?;
        tally.files += usize::from(counted);
    }
    let finished = matcher.finish();
    for &i in &finished.too_complex {
        if !global.quiet {
            eprintln!(
                "entente: {}: too complex to decide over the events that matter to it (more than {} steps of search); no sighting",
                index.id(i),
                pattern::index::STREAM_STEPS
            );
        }
    }
    for m in &finished.matches {
        if m.truncated && !global.quiet {
            eprintln!(
                "entente: {}: judged on its first {} matching events only",
                index.id(m.indicator),
                pattern::index::STREAM_KEEP
            );
        }
        sightings.stream_match(m);
    }
    bar.finish_and_clear();
    let seconds = run_start.elapsed().as_secs_f64();

    // The sightings, as this party's.
    let party = party(store.as_ref());
    let stamp = stix::Timestamp::from_unix_nanos(i128::from(now) * 1000, 3)
        .map(|t| t.to_string())
        .context("the clock is outside years 0001-9999")?;
    let objects = sightings.to_stix(&index, &party, &stamp, |ty| {
        format!("{ty}--{}", uuid::Uuid::new_v4())
    });
    match &args.publish {
        Some(collection) => {
            let mut opened;
            let store = match store.as_mut() {
                Some(store) => store,
                // Says there is no data directory, and how to make one.
                None => {
                    opened = open_store(global)?;
                    &mut opened
                }
            };
            publish(global, store, collection, objects)?
        }
        None => print_bundle(&objects)?,
    }

    if !global.quiet {
        report_run(&index, &sightings, &tally, seconds);
    }
    if let Some(path) = &args.stats {
        let events_per_second = if seconds > 0.0 {
            tally.events as f64 / seconds
        } else {
            0.0
        };
        let stats = json!({
            "indicators": index.len(),
            "skipped": skipped.len(),
            "load_seconds": load_seconds,
            "index_build_seconds": build_seconds,
            "index_bytes": index.heap_bytes(),
            "files": tally.files,
            "events": tally.events,
            "malformed": tally.malformed,
            "seconds": seconds,
            "events_per_second": events_per_second,
            "sightings": sightings.indicators(),
            "hits": sightings.hits(),
        });
        std::fs::write(path, format!("{stats}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Verdict::Ok)
}

#[derive(Default)]
struct Tally {
    files: usize,
    events: u64,
    malformed: u64,
}

/// Reads one file line by line through its format's reader. Returns whether
/// it was read (an empty file is not counted).
fn scan_file(
    path: &Path,
    forced: Option<Format>,
    now: Micros,
    each: &mut dyn FnMut(Record<'_>),
    bar: &indicatif::ProgressBar,
    tally: &mut Tally,
    quiet: bool,
) -> Result<bool> {
    let (source, _) = input::open(path)?;
    let shown = path.display().to_string();
    let name = (path != Path::new("-"))
        .then(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .flatten();
    let mut reader: Option<Reader> = None;
    let lines = input::for_each_line(
        source,
        // The reader takes off a `\r` before the `\n`; detection trims.
        |line_no, bytes| {
            let line = match std::str::from_utf8(bytes) {
                Ok(line) => line,
                Err(e) => {
                    let reason = format!("not UTF-8 (byte {})", e.valid_up_to());
                    malformed(tally, &shown, line_no, &reason, quiet);
                    return Ok(());
                }
            };
            let reader = match &mut reader {
                Some(r) => r,
                None => {
                    if line.trim().is_empty() {
                        return Ok(());
                    }
                    let Some(format) = forced.or_else(|| formats::detect(name.as_deref(), line))
                    else {
                        bail!(
                            "{shown}: cannot tell the format; give it with --format (zeek, eve, access, stix or list)"
                        );
                    };
                    reader.insert(Reader::new(format, name.as_deref(), now))
                }
            };
            match reader.read(line) {
                Ok(Some(record)) => {
                    tally.events += 1;
                    each(record);
                }
                Ok(None) => {}
                Err(e) => malformed(tally, &shown, line_no, &e.reason, quiet),
            }
            Ok(())
        },
        |n| bar.inc(n),
    )
    .with_context(|| format!("cannot read {shown}"))?;
    lines?;
    Ok(reader.is_some())
}

fn malformed(tally: &mut Tally, file: &str, line: u64, reason: &str, quiet: bool) {
    tally.malformed += 1;
    if !quiet && tally.malformed <= MALFORMED_SHOWN {
        eprintln!("entente: {file}:{line}: skipped a malformed line: {reason}");
    }
}

fn load_store(store: &store::Store, collections: &[String]) -> Result<Loaded> {
    let names: Vec<String> = if collections.is_empty() {
        store.collections()?.into_iter().map(|c| c.id).collect()
    } else {
        collections.to_vec()
    };
    let mut loaded = Loaded::default();
    for name in &names {
        let coll = store.collection(name)?;
        let mut query = store::Query::new(1000);
        query.types = vec!["indicator".into()];
        let source = format!("collection {}", coll.alias.as_deref().unwrap_or(&coll.id));
        loop {
            let page = store.objects_into(&coll.id, &query, |r, bytes| {
                // The fast path reads the fields straight from the bytes; only an
                // object it cannot take is parsed whole, to say why.
                match serde_json::from_slice::<IndicatorFields<'_>>(bytes) {
                    Ok(f) if f.is_indicator() => loaded.add(f),
                    _ => match serde_json::from_slice::<Value>(bytes) {
                        Ok(object) => loaded.offer(&source, &object),
                        Err(e) => loaded
                            .unusable
                            .push(format!("skipped {} in {source}: {e}", r.id)),
                    },
                }
            })?;
            for s in &page.skipped {
                loaded
                    .unusable
                    .push(format!("skipped {} in {source}: {}", s.id, s.reason));
            }
            match page.items.last() {
                Some(last) if page.more => query.added_after = Some(last.date_added),
                _ => break,
            }
        }
    }
    Ok(loaded)
}

fn load_file(path: &Path) -> Result<Loaded> {
    let (source, _) = input::open(path)?;
    let mut loaded = Loaded::default();
    let shown = path.display().to_string();
    input::stream_objects(input::buffered(source), &mut |object: Value| {
        // Other objects (identities, relationships) travel with indicators in a bundle.
        if object.get("type").and_then(Value::as_str) == Some("indicator")
            || object
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.starts_with("indicator--"))
        {
            loaded.offer(&shown, &object);
        }
        Ok(())
    })
    .with_context(|| format!("cannot read indicators from {}", path.display()))?;
    Ok(loaded)
}

/// This party, as the `identity` sightings are made by: named after the
/// node, with an id and timestamps that depend on the name alone, so that
/// every run names the same object.
fn party(store: Option<&store::Store>) -> Value {
    let name = store.map_or("entente.local", |s| s.node().name());
    // STIX wants UUIDv4 for SDOs: the name's UUIDv5 bits, stamped as version 4.
    let digest = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("entente:node:{name}").as_bytes(),
    );
    let id = uuid::Builder::from_random_bytes(digest.into_bytes()).into_uuid();
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": format!("identity--{id}"),
        "created": "1970-01-01T00:00:00.000Z",
        "modified": "1970-01-01T00:00:00.000Z",
        "name": name,
        "identity_class": "organization",
    })
}

fn print_bundle(objects: &[Value]) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid::Uuid::new_v4()
    )?;
    for (i, o) in objects.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, o)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    Ok(())
}

fn publish(
    global: &Global,
    store: &mut store::Store,
    collection: &str,
    objects: Vec<Value>,
) -> Result<()> {
    let coll = store.collection(collection)?;
    let mut valid = Vec::with_capacity(objects.len());
    for (i, o) in objects.into_iter().enumerate() {
        match crate::cmd::validate::check("sightings", i, o, true) {
            Ok(v) => valid.push(v),
            Err(problems) => {
                let lines: Vec<String> = problems.iter().map(|p| p.line()).collect();
                bail!(
                    "a sighting object is invalid (a defect; please report it):\n{}",
                    lines.join("\n")
                );
            }
        }
    }
    let outcome = store
        .append(&coll.id, &valid, store::Micros::now())
        .with_context(|| format!("cannot append the sightings to collection {}", coll.id))?;
    let refused: Vec<String> = outcome
        .results
        .iter()
        .filter(|r| !r.status.is_success())
        .map(|r| crate::cmd::publish::result_json(r).to_string())
        .collect();
    if !refused.is_empty() {
        bail!(
            "collection {} refused sightings:\n{}",
            coll.id,
            refused.join("\n")
        );
    }
    if global.json {
        output::json(
            &json!({ "collection": coll.id, "published": outcome.results.len(), "checkpoint": outcome.checkpoint }),
        )?;
    } else {
        println!("published {} objects to {}", outcome.results.len(), coll.id);
        print!("{}", outcome.checkpoint);
    }
    Ok(())
}

fn report_index(
    index: &Index,
    skipped: &[pattern::index::Skipped],
    other_languages: usize,
    seconds: f64,
) {
    let s = index.stats();
    eprintln!(
        "indexed {} indicators in {:.2} s, ~{:.1} MiB ({} by lookup alone, {} confirmed per event, {} over several events, {} scanned by type)",
        s.indicators,
        seconds,
        index.heap_bytes() as f64 / f64::from(1 << 20),
        s.direct,
        s.single,
        s.stream,
        s.scanned
    );
    if other_languages > 0 {
        eprintln!("left out {other_languages} indicators whose pattern_type is not stix");
    }
    for s in skipped.iter().take(5) {
        eprintln!("left out {}: {}", s.id, s.reason);
    }
    if skipped.len() > 5 {
        eprintln!("left out {} more indicators", skipped.len() - 5);
    }
}

fn report_run(index: &Index, sightings: &Sightings, tally: &Tally, seconds: f64) {
    let rate = if seconds > 0.0 {
        tally.events as f64 / seconds
    } else {
        0.0
    };
    eprintln!(
        "matched {} events from {} files in {:.2} s ({:.0} events/s); {} malformed lines skipped",
        tally.events, tally.files, seconds, rate, tally.malformed
    );
    let top = sightings.tally(index);
    eprintln!("{} hits on {} indicators", sightings.hits(), top.len());
    for t in top.iter().take(20) {
        eprintln!("{:>10}  {}", t.count, t.indicator);
    }
    if top.len() > 20 {
        eprintln!("{:>10}  … and {} more indicators", "", top.len() - 20);
    }
}
