//! Validation and canonicalisation of a ~1 KB indicator: the per-object cost the
//! store pays on every write (target: 50,000 objects/s all included).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

const INDICATOR: &str = r#"{
  "type": "indicator",
  "spec_version": "2.1",
  "id": "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3",
  "created_by_ref": "identity--5d218fc4-f7e8-4fad-8205-e9d4d02834ae",
  "created": "2024-10-01T09:15:00.000Z",
  "modified": "2024-10-01T09:15:00.000Z",
  "name": "Phishing domain imitating voter-registration portal",
  "description": "Look-alike domain used in credential-phishing emails sent to county election staff. Seen together with a lure about polling-station changes.",
  "indicator_types": ["malicious-activity", "attribution"],
  "pattern": "[domain-name:value = 'voter-registration-check.example'] OR [ipv4-addr:value = '203.0.113.7'] OR [url:value = 'https://voter-registration-check.example/login']",
  "pattern_type": "stix",
  "pattern_version": "2.1",
  "valid_from": "2024-10-01T09:15:00Z",
  "valid_until": "2025-01-31T00:00:00Z",
  "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}],
  "confidence": 80,
  "labels": ["election-infrastructure", "phishing"],
  "lang": "en",
  "external_references": [{"source_name": "northland-csirt", "external_id": "NL-2024-0917", "description": "Case file"}],
  "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
  "granular_markings": [{"selectors": ["description"], "marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]
}"#;

fn bench(c: &mut Criterion) {
    let value: Value = serde_json::from_str(INDICATOR).expect("bench input parses");
    let mut g = c.benchmark_group("indicator-1k");
    g.throughput(Throughput::Elements(1));
    g.bench_function("validate", |b| {
        b.iter_batched(
            || value.clone(),
            |v| stix::validate(v).is_ok(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("canonicalise", |b| {
        b.iter(|| stix::canonical::to_vec(&value).map(|v| v.len()))
    });
    g.bench_function("parse+validate+canonicalise", |b| {
        b.iter(|| {
            let doc = stix::parse(INDICATOR.as_bytes()).ok()?;
            let obj = doc.into_objects().pop()?;
            let ok = stix::validate(obj).ok()?;
            ok.canonical_bytes().ok().map(|v| v.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
