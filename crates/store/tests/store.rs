//! The store through its public API: versions, withdrawals, proofs, reopening.

use serde_json::{Value, json};
use stix::{Object, Validated};
use store::{Micros, Outcome, Store, StoreError};

fn new_store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::init(&tmp.path().join("node"), "store-test.example", [3; 32]).unwrap();
    (tmp, store)
}

fn indicator(n: u64, modified: &str, name: &str) -> Validated<Object> {
    stix::validate(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": name,
        "description": "A test indicator.",
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", n % 256),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    }))
    .unwrap()
}

fn ipv4(value: &str, extra: Option<(&str, Value)>) -> Validated<Object> {
    let mut object = json!({"type": "ipv4-addr", "spec_version": "2.1", "value": value});
    object["id"] = json!(stix::deterministic_id(&object).unwrap());
    if let Some((k, v)) = extra {
        object[k] = v;
    }
    stix::validate(object).unwrap()
}

fn statuses(outcome: &store::AppendOutcome) -> Vec<&'static str> {
    outcome
        .results
        .iter()
        .map(|r| match &r.status {
            Outcome::Added { .. } => "added",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Rejected(StoreError::VersionConflict { .. }) => "conflict",
            Outcome::Rejected(StoreError::WithdrawnVersion { .. }) => "withdrawn",
            Outcome::Rejected(_) => "rejected",
        })
        .collect()
}

const T0: &str = "2026-01-01T00:00:00.000Z";
const T1: &str = "2026-02-01T00:00:00.000Z";

#[test]
fn identical_versions_add_nothing_and_changed_ones_need_a_new_modified() {
    let (_tmp, mut store) = new_store();
    let batch = [
        indicator(1, T0, "a"),
        indicator(1, T0, "a"),
        indicator(2, T0, "b"),
    ];
    let out = store.append("default", &batch, Micros(10)).unwrap();
    assert_eq!(statuses(&out), ["added", "unchanged", "added"]);
    assert_eq!(out.size, 2);

    let out = store
        .append(
            "default",
            &[
                indicator(1, T0, "a"),
                indicator(1, T0, "changed"),
                indicator(1, T1, "changed"),
            ],
            Micros(20),
        )
        .unwrap();
    assert_eq!(statuses(&out), ["unchanged", "conflict", "added"]);
    assert_eq!(out.size, 3);
    let versions = store
        .versions("default", "indicator--00000000-0000-4000-8000-000000000001")
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>(),
        [T0, T1]
    );
}

#[test]
fn unversioned_scos_are_deduplicated_by_content() {
    let (_tmp, mut store) = new_store();
    let out = store
        .append(
            "default",
            &[ipv4("203.0.113.7", None), ipv4("203.0.113.7", None)],
            Micros(10),
        )
        .unwrap();
    assert_eq!(statuses(&out), ["added", "unchanged"]);
    let out = store
        .append("default", &[ipv4("203.0.113.7", None)], Micros(20))
        .unwrap();
    assert_eq!(statuses(&out), ["unchanged"]);
    // Same id, other content: a second version, stamped with its date_added.
    let out = store
        .append(
            "default",
            &[ipv4("203.0.113.7", Some(("defanged", json!(true))))],
            Micros(30),
        )
        .unwrap();
    assert_eq!(statuses(&out), ["added"]);
    assert_eq!(out.size, 2);
}

#[test]
fn date_added_is_strictly_increasing_even_when_the_clock_is_not() {
    let (_tmp, mut store) = new_store();
    store
        .append("default", &[indicator(1, T0, "a")], Micros(1_000))
        .unwrap();
    // The clock went backwards: the next entry still gets a later date_added.
    let out = store
        .append(
            "default",
            &[indicator(2, T0, "b"), indicator(3, T0, "c")],
            Micros(5),
        )
        .unwrap();
    let dates: Vec<i64> = out
        .results
        .iter()
        .map(|r| match r.status {
            Outcome::Added { date_added, .. } => date_added.0,
            _ => panic!("{r:?}"),
        })
        .collect();
    assert_eq!(dates, [1_001, 1_002]);
}

#[test]
fn withdrawal_appends_and_keeps_versions_provable() {
    let (_tmp, mut store) = new_store();
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    store
        .append("default", &[indicator(1, T0, "a")], Micros(10))
        .unwrap();
    let (index, _) = store.withdraw("default", id, Micros(20)).unwrap();
    assert_eq!(index, 1);
    assert!(matches!(
        store.withdraw("default", id, Micros(30)),
        Err(StoreError::AlreadyWithdrawn { .. })
    ));
    assert!(matches!(
        store.withdraw("default", "indicator--nope", Micros(30)),
        Err(StoreError::UnknownObject { .. })
    ));
    let out = store
        .append("default", &[indicator(1, T0, "a")], Micros(40))
        .unwrap();
    assert_eq!(statuses(&out), ["withdrawn"]);
    let out = store
        .append("default", &[indicator(1, T1, "a again")], Micros(50))
        .unwrap();
    assert_eq!(statuses(&out), ["added"]);

    let key = store.node().verifier();
    let proof = store.prove("default", id, Some(T0)).unwrap();
    assert_eq!(proof.index, 0);
    proof.verify(&key).unwrap();
}

#[test]
fn a_proof_bundle_fails_on_every_field_changed() {
    let (_tmp, mut store) = new_store();
    let batch: Vec<_> = (0..300).map(|n| indicator(n, T0, "x")).collect();
    store.append("default", &batch, Micros(10)).unwrap();
    let key = store.node().verifier();
    let id = "indicator--00000000-0000-4000-8000-00000000011f";
    let good = store.prove("default", id, None).unwrap();
    assert_eq!(good.index, 287);
    good.verify(&key).unwrap();

    let mut variants = Vec::new();
    let mut b = good.clone();
    b.index += 1;
    variants.push(("index", b));
    let mut b = good.clone();
    b.object_id = "indicator--00000000-0000-4000-8000-000000000001".into();
    variants.push(("object_id", b));
    let mut b = good.clone();
    b.version = T1.into();
    variants.push(("version", b));
    let mut b = good.clone();
    b.collection = "another".into();
    variants.push(("collection", b));
    let mut b = good.clone();
    b.proof.swap(0, 1);
    variants.push(("proof order", b));
    let mut b = good.clone();
    b.proof.pop();
    variants.push(("proof length", b));
    let mut b = good.clone();
    b.entry = store
        .prove(
            "default",
            "indicator--00000000-0000-4000-8000-000000000001",
            None,
        )
        .unwrap()
        .entry;
    variants.push(("entry", b));
    let mut b = good.clone();
    b.checkpoint = b.checkpoint.replacen("\n300\n", "\n301\n", 1);
    variants.push(("checkpoint size", b));
    for (what, bundle) in variants {
        assert!(
            bundle.verify(&key).is_err(),
            "a bundle with a changed {what} verified"
        );
    }
    let (_other_tmp, other) = new_store_named("someone-else.example");
    assert!(
        good.verify(&other.node().verifier()).is_err(),
        "verified under another node's key"
    );
}

fn new_store_named(name: &str) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::init(&tmp.path().join("node"), name, [4; 32]).unwrap();
    (tmp, store)
}

#[test]
fn reopened_stores_continue_the_same_log() {
    let (tmp, mut store) = new_store();
    let mut sizes = Vec::new();
    let mut n = 0;
    // Batches that cross tile boundaries, each in a freshly opened store.
    for batch in [1u64, 255, 1, 300, 65_000 / 256, 700] {
        let objects: Vec<_> = (n..n + batch).map(|i| indicator(i, T0, "x")).collect();
        n += batch;
        sizes.push(
            store
                .append("default", &objects, Micros(n as i64))
                .unwrap()
                .size,
        );
        drop(store);
        store = Store::open(&tmp.path().join("node")).unwrap();
    }
    let report = store.audit("default", true, &mut |_| {}).unwrap();
    assert!(report.mismatch.is_none(), "{:?}", report.mismatch);
    assert_eq!(report.entries, n);

    // Every checkpoint is consistent with every later one, and every entry is provable.
    let key = store.node().verifier();
    let coll = store.collection("default").unwrap();
    let origin = store.node().origin(&coll.id);
    let roots: Vec<_> = sizes
        .iter()
        .map(|&s| {
            let note = store.checkpoint_at("default", s).unwrap().unwrap();
            store::verify_checkpoint(note.as_bytes(), Some(&origin), &key)
                .unwrap()
                .root
        })
        .collect();
    for (i, &m) in sizes.iter().enumerate() {
        for (j, &n) in sizes.iter().enumerate().skip(i + 1) {
            let proof = store.consistency_proof("default", m, n).unwrap();
            tlog::verify_consistency(m, n, &proof, &roots[i], &roots[j]).unwrap();
        }
    }
    let last = *sizes.last().unwrap();
    for index in (0..last).step_by(97) {
        let proof = store.inclusion_proof("default", index, last).unwrap();
        let entry = store.entry("default", index).unwrap();
        tlog::verify_inclusion(
            &tlog::leaf_hash(&entry),
            index,
            last,
            &proof,
            roots.last().unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn an_entry_too_large_is_refused_alone() {
    let (_tmp, mut store) = new_store();
    let mut big = indicator(1, T0, "x").into_inner().into_value();
    big["description"] = json!("x".repeat(70_000));
    let big = stix::validate(big).unwrap();
    let out = store
        .append("default", &[big, indicator(2, T0, "y")], Micros(10))
        .unwrap();
    assert!(matches!(
        out.results[0].status,
        Outcome::Rejected(StoreError::EntryTooLarge { max: 65_535, .. })
    ));
    assert_eq!(statuses(&out)[1], "added");
}

#[test]
fn another_schema_version_is_refused_with_advice() {
    let (tmp, store) = new_store();
    drop(store);
    let db = tmp.path().join("node").join(store::DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE meta SET value = '999' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let Err(err) = Store::open(&tmp.path().join("node")) else {
        panic!("opened a future schema")
    };
    assert!(err.to_string().contains("schema version 999"), "{err}");
}

#[test]
fn a_log_whose_tiles_were_changed_is_not_extended() {
    let (tmp, mut store) = new_store();
    let batch: Vec<_> = (0..10).map(|n| indicator(n, T0, "x")).collect();
    store.append("default", &batch, Micros(10)).unwrap();
    drop(store);
    let db = tmp.path().join("node").join(store::DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE tiles SET data = zeroblob(length(data)) WHERE level = 0 AND idx = 0",
        [],
    )
    .unwrap();
    drop(conn);
    let mut store = Store::open(&tmp.path().join("node")).unwrap();
    let before = store.checkpoint("default").unwrap();
    let err = store
        .append("default", &[indicator(99, T0, "y")], Micros(20))
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("refusing to extend"), "{err}");
    assert_eq!(
        store.checkpoint("default").unwrap(),
        before,
        "nothing was signed"
    );
}
