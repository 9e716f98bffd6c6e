//! The bulk index against the full evaluator: for any indicators and any
//! events, the index's verdicts are `pattern::matches`'s.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::IpAddr;

use pattern::index::{
    Event, File, HttpRequest, Index, Indicator, Micros, Observable, Traffic, micros_to_rfc3339,
};
use proptest::prelude::*;
use serde_json::Value as Json;

const IPS: &[&str] = &[
    "198.51.100.7",
    "198.51.100.200",
    "203.0.113.9",
    "10.1.2.3",
    "2001:db8::1",
    "2001:db8:0:1::5",
];
const DOMAINS: &[&str] = &[
    "ballots.example",
    "www.ballots.example",
    "evil.example",
    "a.b.evil.example",
    "notevil.example",
    "results.gov.example",
];
const URLS: &[&str] = &[
    "http://evil.example/drop/x.exe",
    "http://evil.example/",
    "http://ballots.example/login?u=1",
    "https://results.gov.example/api/v1",
    "http://evil.example/dropper",
];
const HASHES: &[&str] = &[
    "d41d8cd98f00b204e9800998ecf8427e",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "5d41402abc4b2a76b9719d911017c592",
];

/// Comparisons over the values above, in the shapes the index has
/// structures for and some it has not.
fn comparison() -> impl Strategy<Value = String> {
    let ip = prop::sample::select(IPS);
    let domain = prop::sample::select(DOMAINS);
    let url = prop::sample::select(URLS);
    let hash = prop::sample::select(HASHES);
    prop_oneof![
        ip.clone().prop_map(|v| format!("{}:value = '{v}'", if v.contains(':') { "ipv6-addr" } else { "ipv4-addr" })),
        prop::sample::select(&["198.51.100.0/24", "198.51.100.128/25", "203.0.113.9/32", "10.0.0.0/8", "0.0.0.0/0", "198.51.100.7"][..])
            .prop_map(|b| format!("ipv4-addr:value ISSUBSET '{b}'")),
        prop::sample::select(&["2001:db8::/32", "2001:db8:0:1::/64"][..]).prop_map(|b| format!("ipv6-addr:value ISSUBSET '{b}'")),
        ip.clone().prop_map(|v| format!("network-traffic:dst_ref.value = '{v}'")),
        prop::sample::select(&["198.51.100.0/24", "10.0.0.0/8"][..]).prop_map(|b| format!("network-traffic:src_ref.value ISSUBSET '{b}'")),
        domain.prop_map(|v| format!("domain-name:value = '{v}'")),
        prop::sample::select(&["%.evil.example", "%.example", "%evil.example", "evil%", "%.b.evil.example", "ballots.example", "_vil.example"][..])
            .prop_map(|v| format!("domain-name:value LIKE '{v}'")),
        url.prop_map(|v| format!("url:value = '{v}'")),
        prop::sample::select(&["http://evil.example/%", "http://evil.example/drop%", "http:%", "%/api/%", "https://results.gov.example/api/v1"][..])
            .prop_map(|v| format!("url:value LIKE '{v}'")),
        prop::sample::select(&["evil\\\\.example/d", "^https?://ballots", "(?i)DROPPER", "x\\\\.exe$", "[0-9]+$"][..])
            .prop_map(|v| format!("url:value MATCHES '{v}'")),
        hash.prop_map(|v| if v.len() == 32 { format!("file:hashes.MD5 = '{v}'") } else { format!("file:hashes.'SHA-256' = '{v}'") }),
        prop::sample::select(&[53u16, 80, 443, 8080][..]).prop_map(|p| format!("network-traffic:dst_port = {p}")),
        Just("network-traffic:dst_port IN (80, 443)".to_owned()),
        Just("network-traffic:protocols[*] = 'dns'".to_owned()),
        Just("network-traffic:protocols[0] = 'udp'".to_owned()),
        Just("network-traffic:extensions.'http-request-ext'.request_method = 'POST'".to_owned()),
        Just("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE '%curl%'".to_owned()),
        ip.prop_map(|v| format!("ipv4-addr:value != '{v}'")),
        Just("network-traffic:dst_port > 1024".to_owned()),
        Just("file:size >= 100".to_owned()),
        Just("file:name NOT LIKE '%.exe'".to_owned()),
        Just("EXISTS file:mime_type".to_owned()),
        Just("network-traffic:dst_port NOT = 53".to_owned()),
    ]
}

fn object_type(cmp: &str) -> &str {
    let start = cmp.strip_prefix("EXISTS ").unwrap_or(cmp);
    &start[..start.find(':').unwrap_or(0)]
}

/// One `[...]`: a comparison, or two joined by AND (same type) or OR.
fn bracket() -> impl Strategy<Value = String> {
    (comparison(), comparison(), 0..3u8).prop_map(|(a, b, how)| match how {
        1 if object_type(&a) == object_type(&b) => format!("[{a} AND {b}]"),
        2 => format!("[{a} OR {b}]"),
        _ => format!("[{a}]"),
    })
}

fn pattern() -> impl Strategy<Value = String> {
    (bracket(), bracket(), 0..8u8).prop_map(|(a, b, how)| match how {
        0 => format!("{a} OR {b}"),
        1 => format!("{a} AND {b}"),
        2 => format!("{a} FOLLOWEDBY {b}"),
        3 => format!("{a} REPEATS 2 TIMES"),
        4 => format!("({a} AND {b}) WITHIN 30 SECONDS"),
        5 => format!("{a} START t'2026-03-01T00:00:10Z' STOP t'2026-03-01T00:00:40Z'"),
        6 => format!("{a} WITHIN 5 SECONDS"),
        _ => a,
    })
}

/// An event that mixes values of the pools, so that patterns hit often.
fn event(time: Micros) -> impl Strategy<Value = Event<'static>> {
    (
        prop::sample::select(IPS),
        prop::sample::select(IPS),
        prop::option::of(prop::sample::select(DOMAINS)),
        prop::option::of(prop::sample::select(URLS)),
        prop::option::of((prop::sample::select(HASHES), 0u64..200)),
        prop::sample::select(&[53u16, 80, 443, 8080][..]),
        prop::sample::select(&["udp", "tcp"][..]),
        prop::option::of((
            prop::sample::select(&["GET", "POST"][..]),
            prop::sample::select(&["curl/8.0", "Mozilla/5.0"][..]),
        )),
    )
        .prop_map(move |(src, dst, domain, url, file, port, proto, http)| {
            let ip = |s: &str| Observable::Ip(s.parse::<IpAddr>().unwrap());
            let mut objects = vec![
                ip(src),
                ip(dst),
                Observable::Traffic(Traffic {
                    src: Some(0),
                    dst: Some(1),
                    src_port: Some(40000),
                    dst_port: Some(port),
                    protocols: vec![
                        Cow::Borrowed(proto),
                        Cow::Borrowed(if port == 53 { "dns" } else { "http" }),
                    ],
                    http: http.map(|(m, ua)| {
                        Box::new(HttpRequest {
                            method: Some(m.into()),
                            value: Some("/".into()),
                            host: domain.map(Cow::Borrowed),
                            user_agent: Some(ua.into()),
                        })
                    }),
                }),
            ];
            if let Some(d) = domain {
                objects.push(Observable::Domain(d.into()));
            }
            if let Some(u) = url {
                objects.push(Observable::Url(u.into()));
            }
            if let Some((h, size)) = file {
                let (md5, sha256) = if h.len() == 32 {
                    (Some(h.into()), None)
                } else {
                    (None, Some(h.into()))
                };
                objects.push(Observable::File(Box::new(File {
                    md5,
                    sha256,
                    size: Some(size),
                    name: Some(
                        if size % 2 == 0 {
                            "ballot.exe"
                        } else {
                            "ballot.pdf"
                        }
                        .into(),
                    ),
                    ..File::default()
                })));
            }
            Event { time, objects }
        })
}

fn events() -> impl Strategy<Value = Vec<Event<'static>>> {
    // One event every 7 seconds from 2026-03-01T00:00:00Z.
    (1..14usize).prop_flat_map(|n| {
        (0..n)
            .map(|i| event(1_772_323_200_000_000 + i as i64 * 7_000_000))
            .collect::<Vec<_>>()
    })
}

/// Whether `pattern` spans several observations (its verdict is the run's,
/// not any one event's).
fn over_several(p: &str) -> bool {
    p.contains("] AND [")
        || p.contains(") AND [")
        || p.contains("FOLLOWEDBY")
        || p.contains("REPEATS")
}

/// All events as one observed-data list, ids kept apart.
fn all_observed(events: &[&Event<'_>]) -> Vec<Json> {
    let mut out = Vec::new();
    for (n, e) in events.iter().enumerate() {
        for mut o in e.to_observed() {
            let text = o.to_string().replace("--", &format!("--{n}-"));
            o = serde_json::from_str(&text).unwrap();
            out.push(o);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn the_index_agrees_with_the_evaluator(
        patterns in prop::collection::vec((pattern(), 0..4u8), 1..8),
        events in events(),
    ) {
        let ids: Vec<String> = (0..patterns.len()).map(|i| format!("indicator--{i}")).collect();
        let t0 = events[0].time;
        // Some indicators are valid for a part of the run only, one is revoked.
        let window = |w: u8| match w {
            1 => (Some(t0 + 20_000_000), None),
            2 => (None, Some(t0 + 40_000_000)),
            _ => (None, None),
        };
        let indicators: Vec<Indicator<'_>> = patterns.iter().zip(&ids).map(|((p, w), id)| {
            let (valid_from, valid_until) = window(*w);
            Indicator { id, pattern: p, valid_from, valid_until, revoked: *w == 3 && p.len() % 5 == 0 }
        }).collect();
        let (index, skipped) = Index::build(indicators.iter().copied());
        let mut matcher = index.matcher();
        let mut hits_per_event: Vec<BTreeSet<String>> = Vec::new();
        for e in &events {
            hits_per_event.push(matcher.event(e).iter().map(|h| index.id(h.indicator).to_owned()).collect());
        }
        let stream: BTreeSet<String> = matcher.finish().matches.iter().map(|m| index.id(m.indicator).to_owned()).collect();

        // The same events as STIX objects, as NDJSON input gives them: the
        // facts are found by following paths instead of read off the event.
        let mut as_json = index.matcher();
        for (e, hits) in events.iter().zip(&hits_per_event) {
            let got: BTreeSet<String> = as_json.observed(e.time, &e.to_observed()).iter().map(|h| index.id(h.indicator).to_owned()).collect();
            prop_assert_eq!(&got, hits, "observed STIX of {:#?}", e);
        }
        let stream_json: BTreeSet<String> = as_json.finish().matches.iter().map(|m| index.id(m.indicator).to_owned()).collect();
        prop_assert_eq!(&stream_json, &stream);

        for ind in &indicators {
            let parsed = pattern::parse(ind.pattern).unwrap();
            if ind.revoked {
                prop_assert!(skipped.iter().any(|s| s.id == ind.id), "{} is revoked", ind.id);
                continue;
            }
            let live = |e: &Event<'_>| ind.valid_from.is_none_or(|f| e.time >= f) && ind.valid_until.is_none_or(|u| e.time < u);
            let live_events: Vec<&Event<'_>> = events.iter().filter(|e| live(e)).collect();
            if over_several(ind.pattern) {
                // Over a run, an event the pattern cannot be evaluated on (the
                // evaluator errs on it alone) takes no part rather than failing
                // the whole run, as the index documents.
                let usable: Vec<&Event<'_>> = live_events
                    .into_iter()
                    .filter(|e| pattern::matches(&parsed, &e.to_observed()).is_ok())
                    .collect();
                let want = pattern::matches(&parsed, &all_observed(&usable)) == Ok(true);
                let got = stream.contains(ind.id) || hits_per_event.iter().any(|h| h.contains(ind.id));
                prop_assert_eq!(got, want, "{} over the run, events {:#?}", ind.pattern, events);
            } else {
                for (e, hits) in events.iter().zip(&hits_per_event) {
                    let want = live(e) && pattern::matches(&parsed, &e.to_observed()) == Ok(true);
                    prop_assert_eq!(hits.contains(ind.id), want, "{} on {:#?}", ind.pattern, e);
                }
            }
        }
    }
}

#[test]
fn each_structure_finds_its_indicators() {
    let indicators = [
        ("indicator--exact", "[ipv4-addr:value = '198.51.100.7']"),
        (
            "indicator--cidr",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        ),
        (
            "indicator--suffix",
            "[domain-name:value LIKE '%.evil.example']",
        ),
        (
            "indicator--prefix",
            "[url:value LIKE 'http://evil.example/drop/%']",
        ),
        ("indicator--regex", "[url:value MATCHES 'x\\\\.exe$']"),
        (
            "indicator--and",
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
        ),
        (
            "indicator--miss",
            "[domain-name:value = 'elsewhere.example']",
        ),
    ];
    let (index, skipped) = Index::build(indicators.iter().map(|(id, p)| Indicator {
        id,
        pattern: p,
        valid_from: None,
        valid_until: None,
        revoked: false,
    }));
    assert!(skipped.is_empty(), "{skipped:?}");
    let event = Event {
        time: 0,
        objects: vec![
            Observable::Ip("192.0.2.1".parse().unwrap()),
            Observable::Ip("198.51.100.7".parse().unwrap()),
            Observable::Traffic(Traffic {
                src: Some(0),
                dst: Some(1),
                dst_port: Some(443),
                ..Traffic::default()
            }),
            Observable::Domain("a.evil.example".into()),
            Observable::Url("http://evil.example/drop/x.exe".into()),
        ],
    };
    let mut m = index.matcher();
    let hits: BTreeSet<(&str, u32)> = m
        .event(&event)
        .iter()
        .map(|h| (index.id(h.indicator), h.object))
        .collect();
    let want: BTreeSet<(&str, u32)> = [
        ("indicator--exact", 1),
        ("indicator--cidr", 1),
        ("indicator--suffix", 3),
        ("indicator--prefix", 4),
        ("indicator--regex", 4),
        ("indicator--and", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(hits, want);
    assert_eq!(micros_to_rfc3339(event.time), "1970-01-01T00:00:00.000000Z");
}

#[test]
fn indicators_that_cannot_match_are_skipped_with_a_reason() {
    let (index, skipped) = Index::build([
        Indicator {
            id: "indicator--bad",
            pattern: "[ipv4-addr:value = ",
            valid_from: None,
            valid_until: None,
            revoked: false,
        },
        Indicator {
            id: "indicator--cidr",
            pattern: "[ipv4-addr:value ISSUBSET '10.0.0.0/40']",
            valid_from: None,
            valid_until: None,
            revoked: false,
        },
        Indicator {
            id: "indicator--revoked",
            pattern: "[ipv4-addr:value = '10.0.0.1']",
            valid_from: None,
            valid_until: None,
            revoked: true,
        },
        Indicator {
            id: "indicator--good",
            pattern: "[ipv4-addr:value = '10.0.0.1']",
            valid_from: None,
            valid_until: None,
            revoked: false,
        },
    ]);
    assert_eq!(index.len(), 1);
    let reasons: Vec<(&str, &str)> = skipped
        .iter()
        .map(|s| (s.id.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].1.contains("column"), "{reasons:?}");
    assert!(reasons[1].1.contains("10.0.0.0/40"), "{reasons:?}");
    assert_eq!(reasons[2], ("indicator--revoked", "revoked"));
}

/// A partner's pattern whose search grows exponentially with the events is
/// given up on within its bound, and said so, instead of stalling the run.
#[test]
fn a_pattern_too_complex_to_decide_is_reported_not_run_forever() {
    let heavy = "([domain-name:value = 'x.example'] FOLLOWEDBY [domain-name:value = 'x.example']) REPEATS 40 TIMES";
    let (index, skipped) = Index::build([
        Indicator {
            id: "indicator--heavy",
            pattern: heavy,
            valid_from: None,
            valid_until: None,
            revoked: false,
        },
        Indicator {
            id: "indicator--light",
            pattern: "[domain-name:value = 'x.example'] REPEATS 3 TIMES",
            valid_from: None,
            valid_until: None,
            revoked: false,
        },
    ]);
    assert!(skipped.is_empty());
    let mut m = index.matcher();
    for i in 0..79 {
        m.event(&Event {
            time: i * 1_000_000,
            objects: vec![Observable::Domain("x.example".into())],
        });
    }
    let finished = m.finish();
    let ids = |v: &[u32]| {
        v.iter()
            .map(|&i| index.id(i).to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&finished.too_complex),
        vec!["indicator--heavy".to_owned()]
    );
    let matched: Vec<u32> = finished.matches.iter().map(|s| s.indicator).collect();
    assert_eq!(ids(&matched), vec!["indicator--light".to_owned()]);
    assert_eq!(finished.matches[0].events, 79);
}
