//! The bulk index: build time and memory for 10^6 indicators, events per
//! second for pre-parsed events (target: 2,000,000/s on one core), and the
//! index's verdicts against the full evaluator on a sample.
//!
//! The indicator mix is the issue's: 60% exact values, 20% CIDR blocks, 10%
//! domain suffixes, 5% URL prefixes, 5% patterns with AND/OR/qualifiers.
//! One event in a hundred carries an indicator's value. `INDICATORS` sets
//! the count (default 1,000,000).

use std::borrow::Cow;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pattern::index::{Event, File, HttpRequest, Index, Indicator, Observable, Traffic};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Indicator values live in 100.64.0.0/10 and under `.bad.example`;
/// background traffic never uses them, so hits are the planted ones.
struct Generated {
    patterns: Vec<String>,
    /// Values that hit: (kind, value).
    plants: Vec<(u8, String)>,
}

fn indicator_ip(rng: &mut StdRng) -> Ipv4Addr {
    Ipv4Addr::from(0x6440_0000 | rng.gen_range(0..0x003f_ffff))
}

fn hex(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

fn generate(n: usize, rng: &mut StdRng) -> Generated {
    let mut patterns = Vec::with_capacity(n);
    let mut plants = Vec::new();
    for i in 0..n {
        let roll = i % 100;
        let (p, plant) = if roll < 60 {
            match i % 6 {
                0 => {
                    let ip = indicator_ip(rng);
                    (format!("[ipv4-addr:value = '{ip}']"), (0, ip.to_string()))
                }
                1 => {
                    let d = format!("h{i}.bad.example");
                    (format!("[domain-name:value = '{d}']"), (1, d))
                }
                2 => {
                    let u = format!("http://u{i}.bad.example/p/{i}");
                    (format!("[url:value = '{u}']"), (2, u))
                }
                3 => {
                    let h = hex(rng, 64);
                    (format!("[file:hashes.'SHA-256' = '{h}']"), (3, h))
                }
                4 => {
                    let h = hex(rng, 32);
                    (format!("[file:hashes.MD5 = '{h}']"), (4, h))
                }
                _ => {
                    let e = format!("m{i}@bad.example");
                    (format!("[email-addr:value = '{e}']"), (5, e))
                }
            }
        } else if roll < 80 {
            let len = rng.gen_range(16..=30u32);
            let net = u32::from(indicator_ip(rng)) & (u32::MAX << (32 - len));
            let inside = Ipv4Addr::from(net | rng.gen_range(0..(1u32 << (32 - len))));
            (
                format!("[ipv4-addr:value ISSUBSET '{}/{len}']", Ipv4Addr::from(net)),
                (0, inside.to_string()),
            )
        } else if roll < 90 {
            (
                format!("[domain-name:value LIKE '%.s{i}.bad.example']"),
                (1, format!("www.s{i}.bad.example")),
            )
        } else if roll < 95 {
            (
                format!("[url:value LIKE 'http://p{i}.bad.example/kit/%']"),
                (2, format!("http://p{i}.bad.example/kit/a.exe")),
            )
        } else {
            let ip = indicator_ip(rng);
            match i % 4 {
                0 => (
                    format!(
                        "[network-traffic:dst_ref.value = '{ip}' AND network-traffic:dst_port = 443]"
                    ),
                    (6, ip.to_string()),
                ),
                1 => (
                    format!(
                        "[domain-name:value = 'a{i}.bad.example' OR domain-name:value = 'b{i}.bad.example']"
                    ),
                    (1, format!("b{i}.bad.example")),
                ),
                2 => (
                    format!(
                        "[ipv4-addr:value = '{ip}'] AND [domain-name:value = 'c{i}.bad.example']"
                    ),
                    (0, ip.to_string()),
                ),
                _ => (
                    format!(
                        "[domain-name:value = 'r{i}.bad.example'] REPEATS 2 TIMES WITHIN 600 SECONDS"
                    ),
                    (1, format!("r{i}.bad.example")),
                ),
            }
        };
        patterns.push(p);
        plants.push(plant);
    }
    Generated { patterns, plants }
}

/// A DNS, HTTP or connection event; with `plant`, one value is an indicator's.
fn event(rng: &mut StdRng, t: i64, plant: Option<&(u8, String)>) -> Event<'static> {
    let bg_ip =
        |rng: &mut StdRng| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | rng.gen_range(0..0x00ff_ffff)));
    let mut src = bg_ip(rng);
    let mut dst = bg_ip(rng);
    let mut domain = format!("host{}.corp.example", rng.gen_range(0..50_000));
    let mut url = None;
    let mut file = None;
    match plant {
        Some((0, v)) => src = v.parse().unwrap_or(src),
        Some((6, v)) => dst = v.parse().unwrap_or(dst),
        Some((1, v)) => domain = v.clone(),
        Some((2, v)) => url = Some(v.clone()),
        Some((3, v)) => file = Some((None, Some(v.clone()))),
        Some((4, v)) => file = Some((Some(v.clone()), None)),
        _ => {}
    }
    let kind = rng.gen_range(0..10);
    let mut objects = vec![Observable::Ip(src), Observable::Ip(dst)];
    let mut traffic = Traffic {
        src: Some(0),
        dst: Some(1),
        src_port: Some(rng.gen_range(1024..65535)),
        dst_port: Some(if kind < 4 { 53 } else { 443 }),
        protocols: vec![Cow::Borrowed("udp")],
        http: None,
    };
    if (4..7).contains(&kind) || url.is_some() {
        let path = format!("/index/{}", rng.gen_range(0..1000));
        traffic.http = Some(Box::new(HttpRequest {
            method: Some("GET".into()),
            value: Some(path.clone().into()),
            host: Some(domain.clone().into()),
            user_agent: Some("Mozilla/5.0".into()),
        }));
        objects.push(Observable::Url(
            url.unwrap_or(format!("http://{domain}{path}")).into(),
        ));
    }
    objects.push(Observable::Traffic(traffic));
    if kind < 7 {
        objects.push(Observable::Domain(domain.into()));
    }
    if let Some((md5, sha256)) = file {
        objects.push(Observable::File(Box::new(File {
            md5: md5.map(Cow::Owned),
            sha256: sha256.map(Cow::Owned),
            ..File::default()
        })));
    }
    Event { time: t, objects }
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("INDICATORS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = StdRng::seed_from_u64(1);
    let generated = generate(n, &mut rng);
    let ids: Vec<String> = (0..n)
        .map(|i| format!("indicator--{i:08}-0000-4000-8000-000000000000"))
        .collect();
    let indicators = generated
        .patterns
        .iter()
        .zip(&ids)
        .map(|(p, id)| Indicator {
            id,
            pattern: p,
            valid_from: None,
            valid_until: None,
            revoked: false,
        });
    let started = Instant::now();
    let (index, skipped) = Index::build(indicators);
    let built = started.elapsed();
    assert!(
        skipped.is_empty(),
        "skipped: {:?}",
        &skipped[..skipped.len().min(3)]
    );
    let bytes = index.heap_bytes();
    println!(
        "index: {} indicators built in {:.2} s; {:.1} MiB of lookup structures, {:.0} bytes per indicator; {:?}",
        index.len(),
        built.as_secs_f64(),
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / index.len() as f64,
        index.stats()
    );

    // 100,000 events, 1% of them carrying a planted value.
    let t0 = 1_772_323_200_000_000;
    let events: Vec<Event<'static>> = (0..100_000)
        .map(|i| {
            let plant = (i % 100 == 0).then(|| &generated.plants[rng.gen_range(0..n)]);
            event(&mut rng, t0 + i as i64 * 1000, plant)
        })
        .collect();

    // The index's verdicts against the evaluator's, on a sample: every
    // indicator a sampled event hits, and 200 it does not, per event.
    let mut matcher = index.matcher();
    let (mut agree, mut checked) = (0usize, 0usize);
    for e in events.iter().step_by(97).take(300) {
        let observed = e.to_observed();
        let hits: Vec<u32> = matcher.event(e).iter().map(|h| h.indicator).collect();
        let sample = (0..200)
            .map(|_| rng.gen_range(0..n as u32))
            .chain(hits.iter().copied());
        for i in sample {
            let p = &generated.patterns[i as usize];
            if p.contains("] AND [") || p.contains("REPEATS") {
                continue; // decided over the run, not per event
            }
            let want =
                pattern::matches(&pattern::parse(p).expect("generated"), &observed) == Ok(true);
            checked += 1;
            agree += usize::from(hits.contains(&i) == want);
        }
    }
    println!(
        "verdicts: {agree} of {checked} sampled (event, indicator) pairs agree with the full evaluator"
    );
    assert_eq!(agree, checked, "the index disagrees with the evaluator");

    let mut g = c.benchmark_group("index");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(10);
    g.bench_function(format!("{n} indicators, pre-parsed events"), |b| {
        let mut m = index.matcher();
        b.iter(|| {
            let mut hits = 0usize;
            for e in &events {
                hits += m.event(black_box(e)).len();
            }
            hits
        })
    });
    // What a reader hands over: an event just parsed, in cache. A thousand
    // events in turn keep the working set at that size.
    let hot = &events[..1000];
    g.throughput(Throughput::Elements(hot.len() as u64));
    g.bench_function(format!("{n} indicators, pre-parsed events in cache"), |b| {
        let mut m = index.matcher();
        b.iter(|| {
            let mut hits = 0usize;
            for e in hot {
                hits += m.event(black_box(e)).len();
            }
            hits
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
