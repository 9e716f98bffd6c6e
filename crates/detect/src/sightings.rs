//! Hits gathered into STIX sightings: one per indicator per run, with how
//! often and when it was seen, and the objects that showed it.

use std::collections::{HashMap, HashSet};

use pattern::index::{Event, Hit, Index, Micros, Observable, StreamMatch, micros_to_rfc3339};
use serde_json::{Map, Value as Json, json};

/// The most objects one sighting's observed data lists: enough to act on,
/// few enough that a hot indicator does not make a huge object.
pub const EVIDENCE_PER_SIGHTING: usize = 16;

/// STIX caps `count` and `number_observed` at 999,999,999.
const STIX_COUNT_MAX: u64 = 999_999_999;

#[derive(Default)]
struct Seen {
    count: u64,
    first: Micros,
    last: Micros,
    /// Objects that showed the hit, each id once, in the order first seen.
    evidence: Vec<Json>,
}

impl Seen {
    /// Keeps the object `sco` builds as evidence, building it only while
    /// there is room.
    fn keep_evidence(&mut self, sco: impl FnOnce() -> Option<Json>) {
        if self.evidence.len() >= EVIDENCE_PER_SIGHTING {
            return;
        }
        if let Some(sco) = sco() {
            if !self.evidence.iter().any(|e| e.get("id") == sco.get("id")) {
                self.evidence.push(sco);
            }
        }
    }
}

/// The hits of a run, per indicator.
#[derive(Default)]
pub struct Sightings {
    seen: HashMap<u32, Seen>,
    hits: u64,
}

/// One line of the summary: an indicator and how often it was hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The indicator's id.
    pub indicator: String,
    /// Events (or observations) that matched it.
    pub count: u64,
}

impl Sightings {
    /// No hits yet.
    pub fn new() -> Sightings {
        Sightings::default()
    }

    fn seen(&mut self, indicator: u32, time: Micros, count: u64) -> &mut Seen {
        self.hits += count;
        let s = self.seen.entry(indicator).or_default();
        // Evidence may have come first (parts of a pattern over several
        // events), with no count and no times yet.
        if s.count == 0 {
            s.first = time;
            s.last = time;
        }
        s.count += count;
        s.first = s.first.min(time);
        s.last = s.last.max(time);
        s
    }

    /// Takes a hit on `event`.
    pub fn event_hit(&mut self, hit: &Hit, event: &Event<'_>) {
        self.seen(hit.indicator, event.time, 1)
            .keep_evidence(|| evidence_of_event(event, hit.object as usize));
    }

    /// Takes a hit on a line of observed STIX objects.
    pub fn observed_hit(&mut self, hit: &Hit, time: Micros, objects: &[Json]) {
        self.seen(hit.indicator, time, 1)
            .keep_evidence(|| objects.get(hit.object as usize).and_then(evidence_of_json));
    }

    /// Keeps the objects of an event that satisfied a part of a pattern over
    /// several events ([`pattern::index::Matcher::parts`]), to show as
    /// evidence if the pattern matches by the end of the run. Counts nothing.
    pub fn event_part(&mut self, hit: &Hit, event: &Event<'_>) {
        self.seen
            .entry(hit.indicator)
            .or_default()
            .keep_evidence(|| evidence_of_event(event, hit.object as usize));
    }

    /// [`Sightings::event_part`] for a line of observed STIX objects.
    pub fn observed_part(&mut self, hit: &Hit, objects: &[Json]) {
        self.seen
            .entry(hit.indicator)
            .or_default()
            .keep_evidence(|| objects.get(hit.object as usize).and_then(evidence_of_json));
    }

    /// Takes a pattern over several events that matched.
    pub fn stream_match(&mut self, m: &StreamMatch) {
        let s = self.seen(m.indicator, m.first, m.events);
        s.last = s.last.max(m.last);
    }

    /// Indicators hit.
    pub fn indicators(&self) -> usize {
        self.sighted().count()
    }

    /// The indicators with at least one hit (evidence alone is not a hit).
    fn sighted(&self) -> impl Iterator<Item = (&u32, &Seen)> {
        self.seen.iter().filter(|(_, s)| s.count > 0)
    }

    /// Hits in all.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Indicators by hits, most first (ties by id).
    pub fn tally(&self, index: &Index) -> Vec<Tally> {
        let mut out: Vec<Tally> = self
            .sighted()
            .map(|(&i, s)| Tally {
                indicator: index.id(i).to_owned(),
                count: s.count,
            })
            .collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.indicator.cmp(&b.indicator))
        });
        out
    }

    /// The sightings as STIX objects: `party` (the identity that saw them)
    /// first, then per indicator the objects that showed it, an
    /// `observed-data` over them and the `sighting`. `now` stamps `created`
    /// and `modified`; `new_id(type)` gives each new SDO its id.
    pub fn to_stix(
        &self,
        index: &Index,
        party: &Json,
        now: &str,
        mut new_id: impl FnMut(&str) -> String,
    ) -> Vec<Json> {
        let party_id = party.get("id").cloned().unwrap_or(Json::Null);
        let mut out = vec![party.clone()];
        let mut written_scos: HashSet<&str> = HashSet::new();
        let mut order: Vec<(&u32, &Seen)> = self.sighted().collect();
        order.sort_by_key(|(i, _)| index.id(**i));
        for (&indicator, s) in order {
            let count = s.count.min(STIX_COUNT_MAX);
            let mut sighting = json!({
                "type": "sighting",
                "spec_version": "2.1",
                "id": new_id("sighting"),
                "created": now,
                "modified": now,
                "created_by_ref": party_id,
                "sighting_of_ref": index.id(indicator),
                "count": count,
                "first_seen": micros_to_rfc3339(s.first),
                "last_seen": micros_to_rfc3339(s.last),
                "where_sighted_refs": [party_id],
            });
            if !s.evidence.is_empty() {
                let refs: Vec<&Json> = s.evidence.iter().filter_map(|e| e.get("id")).collect();
                for sco in &s.evidence {
                    // An object shown for several indicators is written once.
                    if written_scos.insert(sco.get("id").and_then(Json::as_str).unwrap_or_default())
                    {
                        out.push(sco.clone());
                    }
                }
                let observed_id = new_id("observed-data");
                out.push(json!({
                    "type": "observed-data",
                    "spec_version": "2.1",
                    "id": observed_id,
                    "created": now,
                    "modified": now,
                    "created_by_ref": party_id,
                    "first_observed": micros_to_rfc3339(s.first),
                    "last_observed": micros_to_rfc3339(s.last),
                    "number_observed": count.max(1),
                    "object_refs": refs,
                }));
                sighting["observed_data_refs"] = json!([observed_id]);
            }
            out.push(sighting);
        }
        out
    }
}

/// A cyber-observable with its deterministic id (STIX 2.1 section 2.9), so
/// that every party names the same address or domain the same way; `None`
/// when telemetry holds a value STIX does not accept as that object (a DNS
/// name with an `_dmarc` label is not a host name), which is then not shown
/// as evidence rather than make the bundle invalid.
fn sco(mut object: Map<String, Json>) -> Option<Json> {
    object.insert("spec_version".into(), "2.1".into());
    let value = Json::Object(object);
    let id = stix::deterministic_id(&value)?;
    let Json::Object(mut object) = value else {
        return None;
    };
    object.insert("id".into(), id.into());
    let object = Json::Object(object);
    stix::validate(object.clone()).is_ok().then_some(object)
}

fn valued(ty: &str, value: &str) -> Option<Json> {
    let mut o = Map::new();
    o.insert("type".into(), ty.into());
    o.insert("value".into(), value.into());
    sco(o)
}

fn hashed(ty: &str, pairs: &[(&str, Option<&str>)]) -> Option<Json> {
    let hashes: Map<String, Json> = pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), Json::from(v))))
        .collect();
    if hashes.is_empty() {
        return None;
    }
    let mut o = Map::new();
    o.insert("type".into(), ty.into());
    o.insert("hashes".into(), hashes.into());
    sco(o)
}

/// The object that shows a hit on `event`: the observable the index found,
/// or for a connection or message (whose objects would need their whole
/// context to stand alone) the address it reached or came from.
fn evidence_of_event(event: &Event<'_>, at: usize) -> Option<Json> {
    match event.objects.get(at)? {
        Observable::Ip(ip) => valued(
            if ip.is_ipv4() {
                "ipv4-addr"
            } else {
                "ipv6-addr"
            },
            &ip.to_string(),
        ),
        Observable::Domain(v) => valued("domain-name", v),
        Observable::Url(v) => valued("url", v),
        Observable::EmailAddr(v) => valued("email-addr", v),
        Observable::File(f) => hashed(
            "file",
            &[
                ("MD5", f.md5.as_deref()),
                ("SHA-1", f.sha1.as_deref()),
                ("SHA-256", f.sha256.as_deref()),
            ],
        ),
        Observable::Certificate(c) => hashed(
            "x509-certificate",
            &[
                ("SHA-1", c.sha1.as_deref()),
                ("SHA-256", c.sha256.as_deref()),
            ],
        ),
        Observable::Traffic(t) => {
            let other = t.dst.or(t.src)?;
            match event.objects.get(other)? {
                Observable::Traffic(_) => None,
                _ => evidence_of_event(event, other),
            }
        }
        Observable::EmailMessage(m) => {
            let from = m.from?;
            match event.objects.get(from)? {
                Observable::EmailMessage(_) => None,
                _ => evidence_of_event(event, from),
            }
        }
    }
}

/// The object that shows a hit on observed STIX objects, reduced to the
/// properties that name it.
fn evidence_of_json(object: &Json) -> Option<Json> {
    let ty = object.get("type")?.as_str()?;
    match ty {
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr" => {
            valued(ty, object.get("value")?.as_str()?)
        }
        "file" | "x509-certificate" | "artifact" => {
            let hashes = object.get("hashes")?.as_object()?;
            let pairs: Vec<(&str, Option<&str>)> = hashes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            hashed(ty, &pairs)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_objects_become_evidence() {
        assert!(valued("domain-name", "ab.example.org").is_some());
        assert!(valued("domain-name", "xn--bcher-kva.example").is_some());
        assert!(valued("domain-name", "_dmarc.example.org").is_none());
        assert!(valued("domain-name", "a_b.example.org").is_none());
        assert!(valued("url", "not a url").is_none());
        assert!(valued("email-addr", "clerk@ballots.example").is_some());
    }
    use pattern::index::{Indicator, Traffic};

    fn index() -> Index {
        let (index, skipped) = Index::build([
            Indicator {
                id: "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
                pattern: "[network-traffic:dst_ref.value = '198.51.100.7']",
                valid_from: None,
                valid_until: None,
                revoked: false,
            },
            Indicator {
                id: "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                pattern: "[domain-name:value LIKE '%.evil.example']",
                valid_from: None,
                valid_until: None,
                revoked: false,
            },
        ]);
        assert!(skipped.is_empty());
        index
    }

    fn event(time: Micros, domain: &str) -> Event<'static> {
        Event {
            time,
            objects: vec![
                Observable::Ip("192.0.2.1".parse().unwrap()),
                Observable::Ip("198.51.100.7".parse().unwrap()),
                Observable::Traffic(Traffic {
                    src: Some(0),
                    dst: Some(1),
                    ..Traffic::default()
                }),
                Observable::Domain(domain.to_owned().into()),
            ],
        }
    }

    #[test]
    fn one_sighting_per_indicator_with_count_and_times() {
        let index = index();
        let mut m = index.matcher();
        let mut s = Sightings::new();
        for (t, d) in [
            (3_000_000, "a.evil.example"),
            (1_000_000, "b.evil.example"),
            (2_000_000, "ok.example"),
        ] {
            let e = event(t, d);
            for h in m.event(&e).to_vec() {
                s.event_hit(&h, &e);
            }
        }
        assert_eq!(s.hits(), 5);
        assert_eq!(
            s.tally(&index),
            vec![
                Tally {
                    indicator: "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa".into(),
                    count: 3
                },
                Tally {
                    indicator: "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb".into(),
                    count: 2
                },
            ]
        );
        let party =
            json!({"type": "identity", "id": "identity--00000000-0000-4000-8000-000000000001"});
        let mut n = 0;
        let objects = s.to_stix(&index, &party, "2026-03-01T00:00:00.000Z", |ty| {
            n += 1;
            format!("{ty}--00000000-0000-4000-8000-{n:012}")
        });
        let sightings: Vec<&Json> = objects.iter().filter(|o| o["type"] == "sighting").collect();
        assert_eq!(sightings.len(), 2);
        let a = sightings
            .iter()
            .find(|o| o["sighting_of_ref"] == "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
            .unwrap();
        assert_eq!(a["count"], 3);
        assert_eq!(a["first_seen"], "1970-01-01T00:00:01.000000Z");
        assert_eq!(a["last_seen"], "1970-01-01T00:00:03.000000Z");
        assert_eq!(a["where_sighted_refs"][0], party["id"]);
        // The address the traffic reached is the evidence, named by its deterministic id.
        let od_id = a["observed_data_refs"][0].as_str().unwrap();
        let od = objects.iter().find(|o| o["id"] == od_id).unwrap();
        assert_eq!(od["number_observed"], 3);
        let ip_id = od["object_refs"][0].as_str().unwrap();
        let ip = objects.iter().find(|o| o["id"] == ip_id).unwrap();
        assert_eq!(ip["value"], "198.51.100.7");
        assert!(ip_id.starts_with("ipv4-addr--"));
        // Two domains showed indicator b.
        let b = sightings
            .iter()
            .find(|o| o["sighting_of_ref"] == "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
            .unwrap();
        let od_b = objects
            .iter()
            .find(|o| o["id"] == b["observed_data_refs"][0])
            .unwrap();
        assert_eq!(od_b["object_refs"].as_array().unwrap().len(), 2);
        // Every object passes the strict validator.
        for o in &objects[1..] {
            stix::validate(o.clone()).unwrap_or_else(|e| panic!("{o}: {e:?}"));
        }
    }
}
