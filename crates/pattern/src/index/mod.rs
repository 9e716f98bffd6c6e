//! Many indicators compiled into one index, so that an event is checked
//! against all of them at once.
//!
//! Each indicator's pattern is taken apart into *atoms*: comparisons a
//! structure can answer for a whole value at once (exact values by hashing,
//! `ISSUBSET` blocks by a table per prefix length, `LIKE '%.domain'` by label
//! suffixes, `LIKE 'http://host/path%'` by anchored prefixes, literals inside
//! `LIKE` and `MATCHES` by one multi-pattern search). An event's values are
//! looked up once each, and only the indicators hit are considered further:
//!
//! * a pattern that is an OR of such comparisons matches on a hit;
//! * a pattern decided by one observation (`AND` inside one `[...]`,
//!   qualifiers that filter single observations) is evaluated in full,
//!   with [`crate::matches`], against that event;
//! * a pattern over several observations (`AND`, `FOLLOWEDBY`, `REPEATS`
//!   between observations) keeps the events that satisfy one of its
//!   `[...]`, and is evaluated in full over them.
//!
//! Tests the structures cannot answer (`!=`, ordering, `EXISTS`, `NOT`,
//! bytes) make their pattern a candidate for every event holding an object
//! of their type, so nothing is missed: the verdicts are the full
//! evaluator's, which the tests and the benchmark check.

mod atoms;
mod event;
mod keys;
mod run;
mod tables;

use std::collections::HashMap;

use ahash::AHashMap;

pub use self::atoms::CompileError;
pub use self::event::{
    Certificate, EmailMessage, Event, File, HttpRequest, Micros, Observable, Traffic,
    micros_to_rfc3339,
};
pub use self::run::{Finished, Hit, Matcher, STREAM_KEEP, STREAM_STEPS, StreamMatch};

use self::atoms::{Class, Plan};
use self::keys::{EVENT_TYPES, KeyPath};
use self::tables::KeyTable;
use crate::ast::{ObjectPath, ObservationExpr, ObservationKind, Pattern};

/// An indicator to compile.
#[derive(Clone, Copy, Debug)]
pub struct Indicator<'a> {
    /// Its STIX id, reported back in hits.
    pub id: &'a str,
    /// Its pattern (`pattern_type` `stix`).
    pub pattern: &'a str,
    /// `valid_from`: events before it do not match.
    pub valid_from: Option<Micros>,
    /// `valid_until`: events at or after it do not match.
    pub valid_until: Option<Micros>,
    /// `revoked`: a revoked indicator is left out.
    pub revoked: bool,
}

/// An indicator the index left out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The indicator's id.
    pub id: String,
    /// Why: revoked, an invalid pattern, a block or expression that cannot
    /// be compiled.
    pub reason: String,
}

/// How the index's indicators are decided, for a summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Indicators in the index.
    pub indicators: usize,
    /// Decided by lookups alone.
    pub direct: usize,
    /// Found by lookups, confirmed by the evaluator on one event.
    pub single: usize,
    /// Evaluated over several events.
    pub stream: usize,
    /// Evaluated for every event with an object of some type, because a
    /// test has no structure to look it up.
    pub scanned: usize,
    /// Distinct object paths indexed.
    pub keys: usize,
}

/// A pattern the evaluator is needed for.
pub(crate) struct Compiled {
    pub pattern: Pattern,
    /// For a pattern over several observations, each `[...]` as a pattern
    /// of its own: an event that satisfies none of them takes no part.
    pub parts: Vec<Pattern>,
}

/// The compiled indicators. Build it with [`Index::build`], match with a
/// [`Matcher`] (one per thread; the index is shared read-only).
pub struct Index {
    keys: Vec<KeyTable>,
    /// Per key: whether its table holds anything, so that the many facts
    /// no indicator asks about cost one test.
    asked: Vec<bool>,
    key_ids: AHashMap<KeyPath, usize>,
    key_paths: Vec<ObjectPath>,
    /// For observed STIX objects: the keys rooted at each type.
    keys_by_type: HashMap<String, Vec<usize>>,
    /// Per [`EVENT_TYPES`] entry: indicators to evaluate for any such object.
    scan_event_types: [Vec<u32>; EVENT_TYPES.len()],
    scan_types: HashMap<String, Vec<u32>>,
    ids: String,
    id_ends: Vec<u32>,
    valid: Vec<(Micros, Micros)>,
    class: Vec<Class>,
    compiled: Vec<Option<Box<Compiled>>>,
    stats: IndexStats,
}

impl Index {
    /// Compiles `indicators`. Returns the index and the indicators left out.
    pub fn build<'a>(indicators: impl IntoIterator<Item = Indicator<'a>>) -> (Index, Vec<Skipped>) {
        let known = keys::known_paths();
        let mut index = Index {
            keys: known.iter().map(|_| KeyTable::default()).collect(),
            asked: Vec::new(),
            key_ids: known
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect(),
            key_paths: known.iter().map(KeyPath::to_object_path).collect(),
            keys_by_type: HashMap::new(),
            scan_event_types: Default::default(),
            scan_types: HashMap::new(),
            ids: String::new(),
            id_ends: Vec::new(),
            valid: Vec::new(),
            class: Vec::new(),
            compiled: Vec::new(),
            stats: IndexStats::default(),
        };
        for (i, k) in known.iter().enumerate() {
            index
                .keys_by_type
                .entry(k.object_type.clone())
                .or_default()
                .push(i);
        }
        let mut skipped = Vec::new();
        for ind in indicators {
            if let Err(reason) = index.add(ind) {
                skipped.push(Skipped {
                    id: ind.id.to_owned(),
                    reason,
                });
            }
        }
        for t in &mut index.keys {
            if let Err(e) = t.finish() {
                // Only the automaton's size limit can fail; its indicators
                // would never be found, so say so rather than miss quietly.
                skipped.push(Skipped {
                    id: "(several)".into(),
                    reason: format!("the literal search could not be built: {e}"),
                });
            }
        }
        index.stats.indicators = index.class.len();
        index.asked = index.keys.iter().map(|t| !t.is_empty()).collect();
        index.stats.keys = index.asked.iter().filter(|a| **a).count();
        (index, skipped)
    }

    fn add(&mut self, ind: Indicator<'_>) -> Result<(), String> {
        if ind.revoked {
            return Err("revoked".into());
        }
        let pattern = crate::parse(ind.pattern).map_err(|e| e.message(ind.pattern))?;
        let Plan { mut class, need } = atoms::plan(&pattern).map_err(|e| e.to_string())?;
        let from = ind.valid_from.unwrap_or(Micros::MIN);
        let until = ind.valid_until.unwrap_or(Micros::MAX);
        if until <= from {
            return Err("valid_until is not after valid_from".into());
        }
        let n = u32::try_from(self.class.len())
            .ok()
            .filter(|n| n & (1 << 31) == 0)
            .ok_or("the index is full (2^31 indicators)")?;
        let mut scanned = !need.types.is_empty();
        for atom in &need.atoms {
            let id = match self.key_ids.get(&atom.key) {
                Some(&id) => id,
                None => {
                    let id = self.keys.len();
                    self.keys.push(KeyTable::default());
                    self.key_ids.insert(atom.key.clone(), id);
                    self.key_paths.push(atom.key.to_object_path());
                    self.keys_by_type
                        .entry(atom.key.object_type.clone())
                        .or_default()
                        .push(id);
                    id
                }
            };
            // A key of an event type that events carry no facts for can
            // still hold values (the object has more properties than the
            // facts name): such atoms are scanned instead.
            let event_type = EVENT_TYPES.iter().position(|t| *t == atom.key.object_type);
            if id >= keys::known::COUNT && event_type.is_some() {
                self.scan(&atom.key.object_type, n);
                scanned = true;
                if class == Class::Direct {
                    class = Class::Single;
                }
                continue;
            }
            self.keys[id].insert(atom, n);
        }
        for ty in &need.types {
            self.scan(ty, n);
        }
        self.stats.scanned += usize::from(scanned);
        match class {
            Class::Direct => self.stats.direct += 1,
            Class::Single => self.stats.single += 1,
            Class::Stream => self.stats.stream += 1,
        }
        let compiled = (class != Class::Direct).then(|| {
            let mut parts = Vec::new();
            if class == Class::Stream {
                simple_parts(&pattern.observation, &mut parts);
            }
            Box::new(Compiled { pattern, parts })
        });
        self.ids.push_str(ind.id);
        self.id_ends
            .push(u32::try_from(self.ids.len()).map_err(|_| "indicator ids exceed 4 GiB")?);
        self.valid.push((from, until));
        self.class.push(class);
        self.compiled.push(compiled);
        Ok(())
    }

    fn scan(&mut self, ty: &str, n: u32) {
        let list = match EVENT_TYPES.iter().position(|t| *t == ty) {
            Some(at) => &mut self.scan_event_types[at],
            None => self.scan_types.entry(ty.to_owned()).or_default(),
        };
        if list.last() != Some(&n) {
            list.push(n);
        }
    }

    /// The indicators to evaluate for any object of type `ty`.
    fn scanned_for(&self, ty: &str) -> &[u32] {
        match EVENT_TYPES.iter().position(|t| *t == ty) {
            Some(at) => &self.scan_event_types[at],
            None => self.scan_types.get(ty).map_or(&[], Vec::as_slice),
        }
    }

    /// The number of indicators in the index.
    pub fn len(&self) -> usize {
        self.class.len()
    }

    /// Whether the index holds no indicator.
    pub fn is_empty(&self) -> bool {
        self.class.is_empty()
    }

    /// The STIX id of indicator `n` (as numbered in [`Hit::indicator`]).
    pub fn id(&self, n: u32) -> &str {
        let n = n as usize;
        let start = if n == 0 {
            0
        } else {
            self.id_ends[n - 1] as usize
        };
        &self.ids[start..self.id_ends[n] as usize]
    }

    /// How the indicators are decided.
    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// Heap bytes held by the lookup structures and per-indicator data,
    /// roughly (map capacities and owned text; the allocator's own overhead
    /// is not counted).
    pub fn heap_bytes(&self) -> usize {
        self.keys.iter().map(KeyTable::heap_bytes).sum::<usize>()
            + self.ids.capacity()
            + self.id_ends.capacity() * 4
            + self.valid.capacity() * 16
            + self.class.capacity()
            + self.compiled.capacity() * 8
            + self.compiled.iter().flatten().count() * std::mem::size_of::<Compiled>()
            + self
                .scan_event_types
                .iter()
                .map(|v| v.capacity() * 4)
                .sum::<usize>()
    }

    /// A matcher over this index: per-thread state for a run.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher::new(self)
    }
}

fn simple_parts(e: &ObservationExpr, out: &mut Vec<Pattern>) {
    match &e.kind {
        ObservationKind::Simple(_) => out.push(Pattern {
            observation: e.clone(),
        }),
        ObservationKind::And(items)
        | ObservationKind::Or(items)
        | ObservationKind::FollowedBy(items) => {
            items.iter().for_each(|i| simple_parts(i, out));
        }
        ObservationKind::Qualified { inner, .. } => simple_parts(inner, out),
    }
}
