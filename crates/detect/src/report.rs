//! The author's report on its indicators: the sightings found in the node's
//! own collections and in its mirrors of partners' collections, summed per
//! indicator of the node's own, with who saw each and whose mirror it came
//! from.
//!
//! Objects are taken one at a time, as a store streams them, and only
//! indicators, sightings and identities are kept.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value as Json;
use stix::Timestamp;

/// STIX caps `count` at 999,999,999: a partner's larger figure counts as that,
/// so that one sighting cannot swamp the sum.
const STIX_COUNT_MAX: u64 = 999_999_999;

/// A collection objects are read from, as [`Gather::source`] numbered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source(usize);

/// The indicators, sightings and identities of a node's collections, read
/// one object at a time; [`Gather::report`] sums them up.
#[derive(Default)]
pub struct Gather {
    sources: Vec<Read>,
    /// The node's indicators by id, the latest version of each.
    indicators: HashMap<String, Versioned<Indicator>>,
    /// Sightings by id, the latest version of each.
    sightings: HashMap<String, Sighting>,
}

/// What one collection gave.
struct Read {
    /// The partner it mirrors; `None` for one of the node's own.
    peer: Option<String>,
    /// Names of the identities it holds, by id. Kept per collection so that a
    /// partner's identity objects name only the sightings that partner sent:
    /// it cannot rename the parties of another partner's sightings.
    identities: HashMap<String, Versioned<String>>,
}

struct Versioned<T> {
    modified: Option<Timestamp>,
    value: T,
}

struct Indicator {
    name: Option<String>,
    pattern: String,
}

struct Sighting {
    modified: Option<Timestamp>,
    of: String,
    count: u64,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    /// `created_by_ref`, then `where_sighted_refs`.
    parties: Vec<String>,
    revoked: bool,
    /// The collections this version was found in.
    sources: Vec<Source>,
}

/// How often and where one of the node's indicators was sighted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorSightings {
    /// The indicator's id.
    pub id: String,
    /// Its `name`, if it has one.
    pub name: Option<String>,
    /// Its `pattern`.
    pub pattern: String,
    /// The sightings' `count`s summed (a sighting without one counts 1).
    pub count: u64,
    /// Sighting objects.
    pub sightings: u64,
    /// The earliest `first_seen`.
    pub first_seen: Option<String>,
    /// The latest `last_seen`.
    pub last_seen: Option<String>,
    /// The sighting parties (`where_sighted_refs` and `created_by_ref`), by
    /// identity name where the sighting's collection names them, else by id;
    /// sorted.
    pub by: Vec<String>,
    /// The partners whose mirrors the sightings came from, sorted; sightings
    /// in the node's own collections add none.
    pub from: Vec<String>,
}

/// The report: the node's sighted indicators, most sighted first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Per indicator.
    pub indicators: Vec<IndicatorSightings>,
    /// Sightings of indicators that are not the node's.
    pub ignored: u64,
}

/// [`Gather::report`] was asked about an indicator the node does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not one of this node's indicators (none of its own collections holds it)")]
pub struct NotOurs(pub String);

impl Gather {
    /// Nothing read yet.
    pub fn new() -> Gather {
        Gather::default()
    }

    /// Starts a collection: `peer` is the partner it mirrors, `None` for one
    /// of the node's own. Give its objects to [`Gather::add`] with the
    /// source returned.
    pub fn source(&mut self, peer: Option<&str>) -> Source {
        self.sources.push(Read {
            peer: peer.map(str::to_owned),
            identities: HashMap::new(),
        });
        Source(self.sources.len() - 1)
    }

    /// Takes one object (any version of it) of a collection. Objects other
    /// than indicators, sightings and identities, and those without the
    /// properties the report needs, are passed over.
    pub fn add(&mut self, source: Source, object: &Json) {
        let text = |k: &str| object.get(k).and_then(Json::as_str);
        let (Some(ty), Some(id)) = (text("type"), text("id")) else {
            return;
        };
        let modified = text("modified").and_then(|t| Timestamp::parse(t).ok());
        match ty {
            // A mirror's indicators are the partner's, even one that copies ours.
            "indicator"
                if stix::names_indicator(ty, id) && self.sources[source.0].peer.is_none() =>
            {
                if self
                    .indicators
                    .get(id)
                    .is_some_and(|old| old.modified >= modified)
                {
                    return;
                }
                let value = Indicator {
                    name: text("name").map(str::to_owned),
                    pattern: text("pattern").unwrap_or_default().to_owned(),
                };
                self.indicators
                    .insert(id.to_owned(), Versioned { modified, value });
            }
            "identity" => {
                let Some(name) = text("name") else { return };
                let identities = &mut self.sources[source.0].identities;
                if identities
                    .get(id)
                    .is_some_and(|old| old.modified >= modified)
                {
                    return;
                }
                let value = name.to_owned();
                identities.insert(id.to_owned(), Versioned { modified, value });
            }
            "sighting" => {
                let Some(of) = text("sighting_of_ref") else {
                    return;
                };
                if let Some(old) = self.sightings.get_mut(id) {
                    // The same version in several collections is one sighting,
                    // found in each; an older version is superseded, not added.
                    if old.modified == modified {
                        if !old.sources.contains(&source) {
                            old.sources.push(source);
                        }
                        return;
                    }
                    if old.modified > modified {
                        return;
                    }
                }
                let time = |k: &str| text(k).and_then(|t| Timestamp::parse(t).ok());
                let refs = object.get("where_sighted_refs").and_then(Json::as_array);
                let parties = text("created_by_ref")
                    .into_iter()
                    .chain(refs.into_iter().flatten().filter_map(Json::as_str))
                    .map(str::to_owned)
                    .collect();
                let sighting = Sighting {
                    modified,
                    of: of.to_owned(),
                    // STIX: an absent count means once; a malformed one is
                    // a partner's error and adds nothing.
                    count: match object.get("count") {
                        None => 1,
                        Some(c) => c.as_u64().unwrap_or(0).min(STIX_COUNT_MAX),
                    },
                    first_seen: time("first_seen"),
                    last_seen: time("last_seen"),
                    parties,
                    revoked: object.get("revoked").and_then(Json::as_bool) == Some(true),
                    sources: vec![source],
                };
                self.sightings.insert(id.to_owned(), sighting);
            }
            _ => {}
        }
    }

    /// The report on the sighted indicators, most sighted first; with
    /// `only`, on that indicator alone, sighted or not. Revoked sightings
    /// count for nothing.
    pub fn report(&self, only: Option<&str>) -> Result<Report, NotOurs> {
        let mut tallies: HashMap<&str, Tally> = HashMap::new();
        if let Some(id) = only {
            if !self.indicators.contains_key(id) {
                return Err(NotOurs(id.to_owned()));
            }
            tallies.insert(id, Tally::default());
        }
        let mut ignored = 0;
        for s in self.sightings.values().filter(|s| !s.revoked) {
            let Some((id, _)) = self.indicators.get_key_value(&s.of) else {
                ignored += 1;
                continue;
            };
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let t = tallies.entry(id).or_default();
            t.count = t.count.saturating_add(s.count);
            t.sightings += 1;
            t.first_seen = min_some(t.first_seen, s.first_seen);
            t.last_seen = t.last_seen.max(s.last_seen);
            for party in &s.parties {
                t.by.insert(self.name(party, &s.sources));
            }
            for source in &s.sources {
                t.from.extend(self.sources[source.0].peer.clone());
            }
        }
        let mut indicators: Vec<IndicatorSightings> = tallies
            .into_iter()
            .map(|(id, t)| {
                let indicator = &self.indicators[id].value;
                IndicatorSightings {
                    id: id.to_owned(),
                    name: indicator.name.clone(),
                    pattern: indicator.pattern.clone(),
                    count: t.count,
                    sightings: t.sightings,
                    first_seen: t.first_seen.map(|t| t.to_string()),
                    last_seen: t.last_seen.map(|t| t.to_string()),
                    by: t.by.into_iter().collect(),
                    from: t.from.into_iter().collect(),
                }
            })
            .collect();
        indicators.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.sightings.cmp(&a.sightings))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(Report {
            indicators,
            ignored,
        })
    }

    /// The name of party `id` given by an identity in one of `sources`
    /// (the collections the sighting was found in), else the id itself.
    fn name(&self, id: &str, sources: &[Source]) -> String {
        sources
            .iter()
            .find_map(|s| self.sources[s.0].identities.get(id))
            .map_or(id, |named| &named.value)
            .to_owned()
    }
}

#[derive(Default)]
struct Tally {
    count: u64,
    sightings: u64,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    by: BTreeSet<String>,
    from: BTreeSet<String>,
}

/// The earlier of two optional times, an absent one not being earlier.
fn min_some(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OURS: &str = "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
    const ALSO_OURS: &str = "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
    const THEIRS: &str = "indicator--cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    const BRAVO: &str = "identity--00000000-0000-4000-8000-00000000000b";
    const CHARLIE: &str = "identity--00000000-0000-4000-8000-00000000000c";
    const T0: &str = "2026-03-01T00:00:00.000Z";
    const T1: &str = "2026-03-02T00:00:00.000Z";

    fn indicator(id: &str, modified: &str, name: &str) -> Json {
        json!({"type": "indicator", "id": id, "modified": modified, "name": name,
               "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix"})
    }

    fn identity(id: &str, modified: &str, name: &str) -> Json {
        json!({"type": "identity", "id": id, "modified": modified, "name": name})
    }

    /// A sighting of `of` by `party`; `n` tells sightings apart.
    fn sighting(n: u32, modified: &str, of: &str, party: &str, count: Option<u64>) -> Json {
        let mut s = json!({
            "type": "sighting", "id": format!("sighting--00000000-0000-4000-8000-{n:012}"),
            "modified": modified, "created_by_ref": party, "sighting_of_ref": of,
            "first_seen": format!("2026-01-{:02}T00:00:00Z", n % 28 + 1),
            "last_seen": format!("2026-02-{:02}T00:00:00.5Z", n % 28 + 1),
            "where_sighted_refs": [party],
        });
        if let Some(c) = count {
            s["count"] = c.into();
        }
        s
    }

    /// The collections of a case: each with its peer and objects.
    type Collections = Vec<(Option<&'static str>, Vec<Json>)>;

    fn gather(collections: Collections) -> Gather {
        let mut g = Gather::new();
        for (peer, objects) in collections {
            let source = g.source(peer);
            for o in &objects {
                g.add(source, o);
            }
        }
        g
    }

    /// (indicator, count, sightings, by, from) of each line, in order.
    type Lines<'a> = Vec<(&'a str, u64, u64, Vec<&'a str>, Vec<&'a str>)>;

    fn lines(r: &Report) -> Lines<'_> {
        fn strs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        r.indicators
            .iter()
            .map(|i| {
                (
                    i.id.as_str(),
                    i.count,
                    i.sightings,
                    strs(&i.by),
                    strs(&i.from),
                )
            })
            .collect()
    }

    #[test]
    fn reports_per_indicator() {
        let own = || indicator(OURS, T0, "bad host");
        let bravo_id = || identity(BRAVO, T0, "bravo");
        let charlie_id = || identity(CHARLIE, T0, "charlie");
        let cases: Vec<(&str, Collections, Option<&str>, Lines<'static>, u64)> = vec![
            (
                "counts summed, a missing count is 1, parties named by their identities",
                vec![
                    (None, vec![own(), indicator(ALSO_OURS, T0, "other")]),
                    (
                        Some("bravo"),
                        vec![bravo_id(), sighting(1, T0, OURS, BRAVO, Some(40))],
                    ),
                    (
                        Some("charlie"),
                        vec![
                            charlie_id(),
                            sighting(2, T0, OURS, CHARLIE, None),
                            sighting(3, T0, OURS, CHARLIE, Some(1)),
                            sighting(4, T0, ALSO_OURS, CHARLIE, Some(5)),
                        ],
                    ),
                ],
                None,
                vec![
                    (
                        OURS,
                        42,
                        3,
                        vec!["bravo", "charlie"],
                        vec!["bravo", "charlie"],
                    ),
                    (ALSO_OURS, 5, 1, vec!["charlie"], vec!["charlie"]),
                ],
                0,
            ),
            (
                "the same version in two mirrors counts once, found in both",
                vec![
                    (None, vec![own()]),
                    (
                        Some("bravo"),
                        vec![bravo_id(), sighting(1, T0, OURS, BRAVO, Some(7))],
                    ),
                    (Some("charlie"), vec![sighting(1, T0, OURS, BRAVO, Some(7))]),
                ],
                None,
                vec![(OURS, 7, 1, vec!["bravo"], vec!["bravo", "charlie"])],
                0,
            ),
            (
                "a newer version supersedes the older, in whichever order they come",
                vec![
                    (None, vec![own()]),
                    (
                        Some("bravo"),
                        vec![
                            sighting(1, T1, OURS, BRAVO, Some(9)),
                            sighting(1, T0, OURS, BRAVO, Some(2)),
                        ],
                    ),
                ],
                None,
                vec![(OURS, 9, 1, vec![BRAVO], vec!["bravo"])],
                0,
            ),
            (
                "sightings of indicators not ours are ignored, even ones a mirror holds",
                vec![
                    (None, vec![own()]),
                    (
                        Some("bravo"),
                        vec![
                            indicator(THEIRS, T0, "theirs"),
                            sighting(1, T0, THEIRS, BRAVO, Some(3)),
                            sighting(2, T0, OURS, BRAVO, Some(1)),
                        ],
                    ),
                ],
                None,
                vec![(OURS, 1, 1, vec![BRAVO], vec!["bravo"])],
                1,
            ),
            (
                "our own sightings come from no partner",
                vec![(
                    None,
                    vec![own(), bravo_id(), sighting(1, T0, OURS, BRAVO, Some(4))],
                )],
                None,
                vec![(OURS, 4, 1, vec!["bravo"], vec![])],
                0,
            ),
            (
                "a partner's identity does not name another partner's sightings",
                vec![
                    (None, vec![own()]),
                    (
                        Some("bravo"),
                        vec![identity(CHARLIE, T1, "bravo in disguise")],
                    ),
                    (
                        Some("charlie"),
                        vec![charlie_id(), sighting(1, T0, OURS, CHARLIE, Some(1))],
                    ),
                ],
                None,
                vec![(OURS, 1, 1, vec!["charlie"], vec!["charlie"])],
                0,
            ),
            (
                "revoked sightings count for nothing",
                vec![
                    (None, vec![own()]),
                    (Some("bravo"), {
                        let mut s = sighting(1, T0, OURS, BRAVO, Some(5));
                        s["revoked"] = true.into();
                        vec![s]
                    }),
                ],
                None,
                vec![],
                0,
            ),
            (
                "--indicator lists that one only, sighted or not",
                vec![
                    (None, vec![own(), indicator(ALSO_OURS, T0, "other")]),
                    (Some("bravo"), vec![sighting(1, T0, OURS, BRAVO, Some(5))]),
                ],
                Some(ALSO_OURS),
                vec![(ALSO_OURS, 0, 0, vec![], vec![])],
                0,
            ),
            (
                "ties go to more sightings, then to the id",
                vec![
                    (None, vec![indicator(ALSO_OURS, T0, "b"), own()]),
                    (
                        Some("bravo"),
                        vec![
                            sighting(1, T0, ALSO_OURS, BRAVO, Some(2)),
                            sighting(2, T0, OURS, BRAVO, Some(1)),
                            sighting(3, T0, OURS, BRAVO, Some(1)),
                        ],
                    ),
                ],
                None,
                vec![
                    (OURS, 2, 2, vec![BRAVO], vec!["bravo"]),
                    (ALSO_OURS, 2, 1, vec![BRAVO], vec!["bravo"]),
                ],
                0,
            ),
        ];
        for (what, collections, only, want, ignored) in cases {
            let report = gather(collections).report(only).expect(what);
            assert_eq!(lines(&report), want, "{what}");
            assert_eq!(report.ignored, ignored, "{what}");
        }
    }

    #[test]
    fn times_names_and_patterns() {
        let g = gather(vec![
            (
                None,
                vec![
                    indicator(OURS, T0, "old name"),
                    indicator(OURS, T1, "new name"),
                    sighting(5, T0, OURS, BRAVO, None),
                ],
            ),
            (
                Some("bravo"),
                vec![
                    sighting(3, T0, OURS, BRAVO, None),
                    // Without times: neither earlier nor later than any.
                    json!({"type": "sighting", "id": "sighting--00000000-0000-4000-8000-000000000009",
                           "modified": T0, "sighting_of_ref": OURS}),
                ],
            ),
        ]);
        let r = g.report(None).unwrap();
        let i = &r.indicators[0];
        assert_eq!(i.name.as_deref(), Some("new name"));
        assert_eq!(i.pattern, "[ipv4-addr:value = '198.51.100.7']");
        assert_eq!(i.count, 3);
        assert_eq!(i.first_seen.as_deref(), Some("2026-01-04T00:00:00Z"));
        assert_eq!(i.last_seen.as_deref(), Some("2026-02-06T00:00:00.5Z"));
    }

    #[test]
    fn an_indicator_not_ours_is_refused() {
        let g = gather(vec![
            (None, vec![indicator(OURS, T0, "ours")]),
            (Some("bravo"), vec![indicator(THEIRS, T0, "theirs")]),
        ]);
        for id in [THEIRS, "indicator--nope"] {
            assert_eq!(g.report(Some(id)), Err(NotOurs(id.to_owned())));
        }
    }

    #[test]
    fn the_json_has_the_documented_shape() {
        let g = gather(vec![(None, vec![indicator(OURS, T0, "n")])]);
        let r = serde_json::to_value(g.report(Some(OURS)).unwrap()).unwrap();
        assert_eq!(
            r,
            json!({"indicators": [{"id": OURS, "name": "n",
                "pattern": "[ipv4-addr:value = '198.51.100.7']", "count": 0, "sightings": 0,
                "first_seen": null, "last_seen": null, "by": [], "from": []}],
                "ignored": 0})
        );
    }
}
