//! Store kernels: durable appends, audit, and inclusion proofs from a large log.
//!
//! `cargo bench -p entente-store` runs them. The 10^7-entry log for the proof
//! benchmark is built once (a few minutes) and kept under
//! `target/bench-data/proof-1e7` for later runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use stix::{Object, Validated};
use store::{Micros, Store};

/// An indicator of about 1 KB, unique for `n`.
fn indicator(n: u64) -> Validated<Object> {
    let value = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{:08x}-{:04x}-4000-8000-{:012x}", n >> 16, n & 0xffff, n),
        "created": "2026-10-01T09:15:00.000Z",
        "modified": "2026-10-01T09:15:00.000Z",
        "name": format!("Look-alike voter-registration domain {n}"),
        "description": "Credential-phishing domain imitating a national election authority's voter-registration portal; observed in e-mails to county election staff. ".repeat(3),
        "indicator_types": ["malicious-activity"],
        "pattern": format!("[domain-name:value = 'voter-registration-{n}.example'] OR [ipv4-addr:value = '203.0.113.{}']", n % 256),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": "2026-10-01T09:15:00Z",
        "confidence": 80,
        "labels": ["election-infrastructure"],
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    });
    stix::validate(value).expect("the benchmark's indicator is valid")
}

fn new_store(dir: &Path) -> Store {
    Store::init(dir, "bench.entente.example", [7; 32]).expect("a new store")
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_durable_1KB_indicators");
    group
        .measurement_time(Duration::from_secs(10))
        .sample_size(20);
    for batch in [1usize, 64, 1024] {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = new_store(&tmp.path().join("node"));
        let mut next = 0u64;
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
            // Objects are made, and the outcome dropped, outside the timed region.
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let objects: Vec<_> = (next..next + batch as u64).map(indicator).collect();
                    next += batch as u64;
                    let start = Instant::now();
                    let outcome = store.append("default", &objects, Micros::now()).unwrap();
                    timed += start.elapsed();
                    drop((outcome, objects));
                }
                timed
            })
        });
    }
    group.finish();
}

/// Validation and canonicalisation included: what `publish` and a TAXII POST pay per object.
fn appends_from_json(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate_and_append_1024");
    group
        .measurement_time(Duration::from_secs(10))
        .sample_size(20);
    let tmp = tempfile::tempdir().unwrap();
    let mut store = new_store(&tmp.path().join("node"));
    let mut next = 1u64 << 40;
    group.throughput(Throughput::Elements(1024));
    group.bench_function("1024", |b| {
        b.iter_batched(
            || {
                let values: Vec<Value> = (next..next + 1024)
                    .map(|n| indicator(n).into_inner().into_value())
                    .collect();
                next += 1024;
                values
            },
            |values| {
                let objects: Vec<_> = values
                    .into_iter()
                    .map(|v| stix::validate(v).unwrap())
                    .collect();
                store.append("default", &objects, Micros::now()).unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn audit(c: &mut Criterion) {
    const N: u64 = 200_000;
    // Built on first use, so that filtering to another benchmark skips it.
    let mut log: Option<(tempfile::TempDir, Store)> = None;
    let mut group = c.benchmark_group("audit");
    group.sample_size(10).throughput(Throughput::Elements(N));
    group.bench_function("200k_1KB_entries", |b| {
        let (_, store) = log.get_or_insert_with(|| {
            let tmp = tempfile::tempdir().unwrap();
            let mut store = new_store(&tmp.path().join("node"));
            for start in (0..N).step_by(4096) {
                let objects: Vec<_> = (start..(start + 4096).min(N)).map(indicator).collect();
                store.append("default", &objects, Micros::now()).unwrap();
            }
            (tmp, store)
        });
        b.iter(|| {
            let report = store.audit("default", false, &mut |_| {}).unwrap();
            assert!(report.mismatch.is_none());
        })
    });
    group.finish();
}

/// A log of 10^7 small entries, built once and reused.
fn big_store() -> Store {
    let dir: PathBuf = std::env::var_os("ENTENTE_BENCH_BIG_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data/proof-1e7")
        });
    const N: u64 = 10_000_000;
    if let Ok(store) = Store::open(&dir) {
        if store.collection("default").is_ok_and(|c| c.size == N) {
            return store;
        }
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!("building a 10^7-entry log in {} (once)…", dir.display());
    let mut store = new_store(&dir);
    for start in (0..N).step_by(65_536) {
        let objects: Vec<_> = (start..(start + 65_536).min(N))
            .map(|n| {
                let ip = format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
                let mut value = json!({"type": "ipv4-addr", "spec_version": "2.1", "value": format!("{ip}/32")});
                value["id"] = json!(stix::deterministic_id(&value).unwrap());
                stix::validate(value).unwrap()
            })
            .collect();
        store.append("default", &objects, Micros::now()).unwrap();
    }
    store
}

fn proofs(c: &mut Criterion) {
    let mut store: Option<Store> = None;
    let mut group = c.benchmark_group("inclusion_proof");
    let mut n = 0u64;
    group.bench_function("from_store_at_1e7", |b| {
        let store = store.get_or_insert_with(big_store);
        b.iter(|| {
            n = (n + 7_654_321) % 10_000_000;
            store.inclusion_proof("default", n, 10_000_000).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, appends, appends_from_json, audit, proofs);
criterion_main!(benches);
