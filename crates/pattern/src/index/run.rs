//! A run of events through the index: candidates, confirmation, and the
//! state of patterns that span several events.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value as Json;

use super::atoms::Class;
use super::event::{Event, Micros};
use super::keys::json_fact;
use super::{Compiled, Index};
use crate::eval::observed::Observations;
use crate::eval::path::{self, Val};

/// An indicator that matched one event (or one line of observed data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The indicator, numbered as [`Index::id`] takes it.
    pub indicator: u32,
    /// The object that led to it: an index into [`Event::objects`], or into
    /// the observed objects given to [`Matcher::observed`].
    pub object: u32,
}

/// A pattern over several observations that matched in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamMatch {
    /// The indicator.
    pub indicator: u32,
    /// How many events satisfied one of its `[...]`.
    pub events: u64,
    /// The earliest of their times.
    pub first: Micros,
    /// The latest of their times.
    pub last: Micros,
    /// Whether more than [`STREAM_KEEP`] such events came before a match,
    /// so that the verdict is over the first of them only.
    pub truncated: bool,
}

/// What is left at the end of a run: the patterns over several observations
/// that matched, and those given up on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finished {
    /// Patterns over several observations that matched, by indicator.
    pub matches: Vec<StreamMatch>,
    /// Indicators whose patterns needed more than [`STREAM_STEPS`] steps of
    /// search over the events kept for them: neither matched nor ruled out.
    pub too_complex: Vec<u32>,
}

/// The search one evaluation of a pattern over several observations may
/// take (see [`crate::matches_within`]): a fraction of a second. `REPEATS`
/// and `FOLLOWEDBY` over many events can need exponentially many steps,
/// and indicators come from other parties.
pub const STREAM_STEPS: u64 = 250_000;

/// Events kept per pattern over several observations before it matches.
/// Past it the pattern is judged on what it kept: evaluation grows with
/// the combinations of kept events, and memory with their number.
pub const STREAM_KEEP: usize = 10_000;

#[derive(Default)]
struct StreamState {
    kept: Vec<Json>,
    kept_events: usize,
    events: u64,
    first: Micros,
    last: Micros,
    matched: bool,
    truncated: bool,
    too_complex: bool,
}

/// Per-thread state of a run over an [`Index`].
pub struct Matcher<'i> {
    index: &'i Index,
    candidates: Vec<(u32, u32)>,
    hits: Vec<Hit>,
    /// This record's events taken by patterns over several observations.
    parts: Vec<Hit>,
    streams: HashMap<u32, StreamState>,
    /// Numbers events kept for stream patterns, to keep their ids apart.
    kept_seq: u64,
}

impl<'i> Matcher<'i> {
    pub(super) fn new(index: &'i Index) -> Matcher<'i> {
        Matcher {
            index,
            candidates: Vec::new(),
            hits: Vec::new(),
            parts: Vec::new(),
            streams: HashMap::new(),
            kept_seq: 0,
        }
    }

    /// The indicators that match `event` alone. Patterns over several
    /// observations are reported by [`Matcher::finish`].
    pub fn event(&mut self, event: &Event<'_>) -> &[Hit] {
        self.hits.clear();
        self.parts.clear();
        self.candidates.clear();
        let index = self.index;
        let candidates = &mut self.candidates;
        event.facts(|key, value, object| {
            if let (Some(true), Some(table)) = (index.asked.get(key), index.keys.get(key)) {
                let object = object as u32;
                table.find(value, |i| candidates.push((i, object)));
            }
        });
        for (at, object) in event.objects.iter().enumerate() {
            for &i in &index.scan_event_types[object.type_index()] {
                candidates.push((i, at as u32));
            }
        }
        if self.candidates.is_empty() {
            return &self.hits;
        }
        self.decide(event.time, || Cow::Owned(event.to_observed()));
        &self.hits
    }

    /// The indicators that match one line of observed STIX objects
    /// (`observed-data` and the objects they reference) at `time`.
    pub fn observed(&mut self, time: Micros, objects: &[Json]) -> &[Hit] {
        self.hits.clear();
        self.parts.clear();
        self.candidates.clear();
        let index = self.index;
        // Malformed observed data matches nothing, as under the evaluator.
        let Ok(observations) = Observations::read(objects) else {
            return &self.hits;
        };
        for obs in &observations.list {
            for root in &obs.roots {
                let object = objects
                    .iter()
                    .position(|o| std::ptr::eq(o, *root))
                    .unwrap_or(0) as u32;
                let Some(ty) = root.get("type").and_then(Json::as_str) else {
                    continue;
                };
                for &key in index.keys_by_type.get(ty).into_iter().flatten() {
                    let Ok(values) = path::select(&index.key_paths[key], root, obs) else {
                        continue;
                    };
                    for v in &values {
                        if let Val::Json(j) = v {
                            if let Some(fact) = json_fact(j) {
                                index.keys[key].find(fact, |i| self.candidates.push((i, object)));
                            }
                        }
                    }
                }
                for &i in index.scanned_for(ty) {
                    self.candidates.push((i, object));
                }
            }
        }
        if self.candidates.is_empty() {
            return &self.hits;
        }
        self.decide(time, || Cow::Borrowed(objects));
        &self.hits
    }

    /// The patterns over several observations that the last record (event or
    /// line of observed data) satisfied a part of, with the object that led
    /// there: the evidence to show if [`Matcher::finish`] reports them.
    pub fn parts(&self) -> &[Hit] {
        &self.parts
    }

    /// Turns this record's candidates into hits and stream offers.
    /// `observed` gives the record as STIX objects, called only when a
    /// candidate needs the evaluator, and at most once.
    fn decide<'o>(&mut self, time: Micros, observed: impl FnOnce() -> Cow<'o, [Json]>) {
        let index = self.index;
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.sort_unstable();
        candidates.dedup_by_key(|c| c.0);
        let mut observed = Some(observed);
        let mut plain: Option<Cow<'o, [Json]>> = None;
        for &(indicator, object) in &candidates {
            let n = indicator as usize;
            let (from, until) = index.valid[n];
            if time < from || time >= until {
                continue;
            }
            match (index.class[n], &index.compiled[n]) {
                (Class::Direct, _) => self.hits.push(Hit { indicator, object }),
                (Class::Single, Some(c)) => {
                    if crate::matches(&c.pattern, once(&mut plain, &mut observed)) == Ok(true) {
                        self.hits.push(Hit { indicator, object });
                    }
                }
                (Class::Stream, Some(c)) => {
                    let objects = once(&mut plain, &mut observed);
                    // An event the pattern cannot be evaluated on (an error in
                    // any part) takes no part, rather than failing the run.
                    let parts: Result<Vec<bool>, _> =
                        c.parts.iter().map(|p| crate::matches(p, objects)).collect();
                    if !parts.is_ok_and(|v| v.contains(&true)) {
                        continue;
                    }
                    self.parts.push(Hit { indicator, object });
                    let state = self.streams.entry(indicator).or_default();
                    let seq = &mut self.kept_seq;
                    offer(state, c, time, || {
                        *seq += 1;
                        renamed(objects, *seq)
                    });
                }
                // A non-direct class always has its compiled pattern.
                (_, None) => {}
            }
        }
        self.candidates = candidates;
    }

    /// The patterns over several observations that matched in the run, and
    /// those too complex to decide.
    pub fn finish(self) -> Finished {
        let mut out = Finished::default();
        for (indicator, mut state) in self.streams {
            if !state.matched && !state.too_complex && !state.kept.is_empty() {
                if let Some(c) = &self.index.compiled[indicator as usize] {
                    judge(&mut state, c);
                }
            }
            if state.too_complex {
                out.too_complex.push(indicator);
            } else if state.matched {
                out.matches.push(StreamMatch {
                    indicator,
                    events: state.events,
                    first: state.first,
                    last: state.last,
                    truncated: state.truncated,
                });
            }
        }
        out.matches.sort_by_key(|m| m.indicator);
        out.too_complex.sort_unstable();
        out
    }
}

/// Takes one event that satisfies a part of a stream pattern. The pattern
/// is evaluated when its kept events double, so that a match is found
/// early and keeping stops there.
fn offer(state: &mut StreamState, c: &Compiled, time: Micros, keep: impl FnOnce() -> Vec<Json>) {
    if state.events == 0 {
        state.first = time;
        state.last = time;
    }
    state.events += 1;
    state.first = state.first.min(time);
    state.last = state.last.max(time);
    if state.matched || state.too_complex {
        return;
    }
    if state.kept_events >= STREAM_KEEP {
        state.truncated = true;
        return;
    }
    state.kept.extend(keep());
    state.kept_events += 1;
    if state.kept_events.is_power_of_two() {
        judge(state, c);
    }
}

/// Evaluates a stream pattern over the events kept for it, within bounds;
/// once decided (or given up on), nothing more is kept.
fn judge(state: &mut StreamState, c: &Compiled) {
    match crate::matches_within(&c.pattern, &state.kept, STREAM_STEPS) {
        Ok(true) => state.matched = true,
        Ok(false) => return,
        Err(crate::EvalError::TooComplex) => state.too_complex = true,
        // Kept events are ones the pattern evaluates on; an error over
        // them together is a mismatch, as under the full evaluator.
        Err(_) => return,
    }
    state.kept = Vec::new();
}

/// The record's objects, made by `make` the first time they are needed.
fn once<'p, 'o>(
    plain: &'p mut Option<Cow<'o, [Json]>>,
    make: &mut Option<impl FnOnce() -> Cow<'o, [Json]>>,
) -> &'p [Json] {
    plain.get_or_insert_with(|| make.take().map_or(Cow::Borrowed(&[]), |f| f()))
}

/// Objects with every id, and every `_ref`/`_refs` to them, suffixed with
/// `seq`, so that objects of different events never share an id.
fn renamed(objects: &[Json], seq: u64) -> Vec<Json> {
    fn walk(v: &mut Json, seq: u64, is_ref: bool) {
        match v {
            Json::String(s) if is_ref => s.push_str(&format!("-{seq}")),
            Json::Array(items) => items.iter_mut().for_each(|i| walk(i, seq, is_ref)),
            Json::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let r = k == "id" || k.ends_with("_ref") || k.ends_with("_refs");
                    walk(v, seq, r);
                }
            }
            _ => {}
        }
    }
    objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            walk(&mut o, seq, false);
            o
        })
        .collect()
}
