//! The TAXII views of a collection: filters, version selection, keyset
//! paging; audiences checked against markings; status resources; and the
//! upgrade of a schema-1 database.

use serde_json::json;
use stix::{Object, Validated};
use store::{Access, Micros, Outcome, Page, Query, Record, Store, StoreError, VersionFilter};

fn new_store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::init(&tmp.path().join("node"), "views.example", [5; 32]).unwrap();
    (tmp, store)
}

fn indicator(n: u64, modified: &str, markings: &[&str]) -> Validated<Object> {
    let mut object = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": format!("indicator {n}"),
        "description": "A test indicator.",
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", n % 256),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    if !markings.is_empty() {
        object["object_marking_refs"] = json!(markings);
    }
    stix::validate(object).unwrap()
}

fn malware(n: u64) -> Validated<Object> {
    stix::validate(json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": format!("malware--00000000-0000-4000-8000-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("malware {n}"),
        "is_family": false
    }))
    .unwrap()
}

const TLP_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const TLP_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

fn ids(page: &Page<Record>) -> Vec<(String, String)> {
    page.items
        .iter()
        .map(|r| (r.id.clone(), r.version.clone()))
        .collect()
}

fn id(n: u64) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012x}")
}

/// Three indicators, the first with three versions (one at `.5` precision), and a malware.
fn populated() -> (tempfile::TempDir, Store) {
    let (tmp, mut store) = new_store();
    let batch = [
        indicator(1, "2026-01-01T00:00:00.000Z", &[]),
        indicator(2, "2026-01-01T00:00:00.000Z", &[]),
        indicator(1, "2026-01-02T00:00:00.5000Z", &[]),
        malware(9),
        indicator(3, "2026-01-01T00:00:00.000Z", &[]),
        indicator(1, "2026-01-03T00:00:00.000Z", &[]),
    ];
    store.append("default", &batch, Micros(1_000)).unwrap();
    (tmp, store)
}

#[test]
fn version_selectors() {
    let (_tmp, store) = populated();
    let mut q = Query::new(100);
    let last = store.manifest("default", &q).unwrap();
    assert_eq!(
        ids(&last),
        [
            (id(2), "2026-01-01T00:00:00.000Z".into()),
            (
                "malware--00000000-0000-4000-8000-000000000009".into(),
                "2026-01-01T00:00:00.000Z".into()
            ),
            (id(3), "2026-01-01T00:00:00.000Z".into()),
            (id(1), "2026-01-03T00:00:00.000Z".into()),
        ]
    );
    q.versions = VersionFilter {
        first: true,
        last: false,
        all: false,
        exact: vec![],
    };
    q.ids = vec![id(1)];
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-01-01T00:00:00.000Z".into())]
    );
    // An exact version at another precision is the same instant.
    q.versions = VersionFilter {
        first: false,
        last: false,
        all: false,
        exact: vec!["2026-01-02T00:00:00.5Z".into()],
    };
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-01-02T00:00:00.5000Z".into())]
    );
    q.versions = VersionFilter {
        first: true,
        last: true,
        all: false,
        exact: vec![],
    };
    assert_eq!(store.manifest("default", &q).unwrap().items.len(), 2);
    q.versions.all = true;
    assert_eq!(store.manifest("default", &q).unwrap().items.len(), 3);
}

#[test]
fn an_older_version_arriving_late_does_not_become_the_latest() {
    let (_tmp, mut store) = populated();
    store
        .append(
            "default",
            &[indicator(1, "2026-01-01T12:00:00.000Z", &[])],
            Micros(9_000),
        )
        .unwrap();
    let mut q = Query::new(100);
    q.ids = vec![id(1)];
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-01-03T00:00:00.000Z".into())]
    );
    q.versions = VersionFilter {
        first: true,
        last: false,
        all: false,
        exact: vec![],
    };
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-01-01T00:00:00.000Z".into())]
    );
    // Withdrawn, then published again with a new version: that one is the latest.
    store.withdraw("default", &id(1), Micros(10_000)).unwrap();
    store
        .append(
            "default",
            &[indicator(1, "2026-02-01T00:00:00.000Z", &[])],
            Micros(11_000),
        )
        .unwrap();
    q.versions = VersionFilter::default();
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-02-01T00:00:00.000Z".into())]
    );
}

#[test]
fn type_and_spec_version_filters() {
    let (_tmp, store) = populated();
    let mut q = Query::new(100);
    q.types = vec!["malware".into()];
    assert_eq!(store.manifest("default", &q).unwrap().items.len(), 1);
    q.types = vec!["malware".into(), "indicator".into()];
    assert_eq!(store.manifest("default", &q).unwrap().items.len(), 4);
    // A type that is a prefix of another matches only itself.
    q.types = vec!["indic".into()];
    assert!(store.manifest("default", &q).unwrap().items.is_empty());
    q.types.clear();
    q.spec_version_matches = false;
    assert!(store.manifest("default", &q).unwrap().items.is_empty());
}

#[test]
fn keyset_pages_neither_skip_nor_repeat_while_the_log_grows() {
    let (_tmp, mut store) = new_store();
    let first: Vec<_> = (0..50)
        .map(|n| indicator(n, "2026-01-01T00:00:00.000Z", &[]))
        .collect();
    store.append("default", &first, Micros(1_000)).unwrap();
    let mut q = Query::new(7);
    q.versions.all = true;
    let mut seen = Vec::new();
    let mut rounds = 0;
    loop {
        let page = store.objects("default", &q).unwrap();
        for (record, object) in &page.items {
            let parsed: serde_json::Value = serde_json::from_slice(object).unwrap();
            assert_eq!(parsed["id"], json!(record.id));
            seen.push(record.date_added);
        }
        if rounds == 2 {
            // Objects added mid-walk are found later in the same walk.
            let more: Vec<_> = (50..60)
                .map(|n| indicator(n, "2026-01-01T00:00:00.000Z", &[]))
                .collect();
            store.append("default", &more, Micros(2_000)).unwrap();
        }
        rounds += 1;
        assert!(rounds < 100, "paging does not end");
        if !page.more {
            break;
        }
        q.added_after = page.items.last().map(|(r, _)| r.date_added);
    }
    assert_eq!(seen.len(), 60);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "date_added strictly increases"
    );
}

#[test]
fn withdrawn_objects_leave_every_view() {
    let (_tmp, mut store) = populated();
    store.withdraw("default", &id(1), Micros(5_000)).unwrap();
    let mut q = Query::new(100);
    q.versions.all = true;
    let page = store.manifest("default", &q).unwrap();
    assert!(page.items.iter().all(|r| r.id != id(1)));
    assert!(!store.is_live("default", &id(1)).unwrap());
    assert!(store.is_live("default", &id(2)).unwrap());
}

#[test]
fn red_objects_stay_out_of_shared_collections() {
    let (_tmp, mut store) = new_store();
    store.share("default", "bravo", Access::Read).unwrap();
    let out = store
        .append(
            "default",
            &[
                indicator(1, "2026-01-01T00:00:00.000Z", &[TLP_RED]),
                indicator(2, "2026-01-01T00:00:00.000Z", &[TLP_AMBER]),
            ],
            Micros(1),
        )
        .unwrap();
    match &out.results[0].status {
        Outcome::Rejected(e @ StoreError::MarkingForbidden { .. }) => {
            assert!(
                e.to_string().contains("TLP:RED") && e.to_string().contains("bravo"),
                "{e}"
            );
        }
        other => panic!("a TLP:RED object entered a shared collection: {other:?}"),
    }
    assert!(
        out.results[1].status.is_success(),
        "TLP:AMBER may be shared"
    );

    // A collection that holds a RED object cannot be opened to another party.
    let internal = store
        .create_collection(&store::NewCollection {
            alias: Some("internal".into()),
            title: "internal".into(),
            ..Default::default()
        })
        .unwrap();
    let out = store
        .append(
            "internal",
            &[indicator(3, "2026-01-01T00:00:00.000Z", &[TLP_RED])],
            Micros(2),
        )
        .unwrap();
    assert!(out.results[0].status.is_success());
    match store.share("internal", "bravo", Access::Read) {
        Err(StoreError::AudienceConflict {
            object_id, index, ..
        }) => {
            assert_eq!((object_id, index), (id(3), 0));
        }
        other => panic!("expected an audience conflict, got {other:?}"),
    }
    assert!(store.collection(&internal.id).unwrap().audience.is_empty());
    // Writers are not readers: a peer may write sightings into it.
    let coll = store.share("internal", "bravo", Access::Write).unwrap();
    assert_eq!(coll.writers, ["bravo"]);
    let coll = store.unshare("default", "bravo", Access::Read).unwrap();
    assert!(coll.audience.is_empty());
}

#[test]
fn statuses_commit_with_their_batch() {
    let (_tmp, mut store) = new_store();
    let out = store
        .append_recording(
            "default",
            &[indicator(1, "2026-01-01T00:00:00.000Z", &[])],
            Micros(10),
            |o| {
                vec![store::Status {
                    id: "s1".into(),
                    owner: "alice".into(),
                    body: format!("{{\"results\":{}}}", o.results.len()),
                }]
            },
        )
        .unwrap();
    assert_eq!(out.size, 1);
    let s1 = store.status("s1").unwrap().unwrap();
    assert_eq!(
        (s1.owner.as_str(), s1.body.as_str()),
        ("alice", "{\"results\":1}")
    );
    // A request with nothing to append still records its status.
    store
        .append_recording("default", &[], Micros(20), |_| {
            vec![store::Status {
                id: "s2".into(),
                owner: "bob".into(),
                body: "{}".into(),
            }]
        })
        .unwrap();
    assert_eq!(
        store.status("s2").unwrap().map(|s| s.body),
        Some("{}".into())
    );
    assert_eq!(store.prune_statuses(Micros(15)).unwrap(), 1);
    assert_eq!(store.status("s1").unwrap(), None);
    assert!(store.status("s2").unwrap().is_some());
}

#[test]
fn tiles_are_served_at_the_widths_the_tree_had() {
    let (_tmp, mut store) = new_store();
    let batch: Vec<_> = (0..300)
        .map(|n| indicator(n, "2026-01-01T00:00:00.000Z", &[]))
        .collect();
    store.append("default", &batch, Micros(1)).unwrap();
    let tile = |p: &str| {
        store
            .tile("default", tlog::TilePath::parse(p).unwrap())
            .unwrap()
    };
    assert_eq!(tile("tile/0/000").map(|t| t.len()), Some(256 * 32));
    assert_eq!(tile("tile/0/001.p/44").map(|t| t.len()), Some(44 * 32));
    assert_eq!(tile("tile/0/001.p/10").map(|t| t.len()), Some(10 * 32));
    assert_eq!(tile("tile/0/001.p/45"), None, "wider than the tree");
    assert_eq!(tile("tile/0/001"), None, "not full yet");
    let bundle = tile("tile/entries/001.p/44").unwrap();
    let entries = tlog::decode_bundle(&bundle, 44).unwrap();
    assert_eq!(entries[0], store.entry("default", 256).unwrap().as_slice());
    assert_eq!(tile("tile/entries/001.p/45"), None);
}

#[test]
fn a_schema_1_database_is_upgraded_on_open_through_schemas_2_3_and_4() {
    let (tmp, mut store) = populated();
    let dir = tmp.path().join("node");
    drop(store);
    {
        // Turn it back into what schema 1 wrote.
        let conn = rusqlite::Connection::open(dir.join(store::DB_FILE)).unwrap();
        conn.execute_batch(
            "DROP TABLE statuses;
             DROP TABLE mirrors;
             DROP TABLE quarantine;
             DROP TABLE witnessed;
             DROP TABLE invalid_entries;
             DROP INDEX versions_by_date_added;
             ALTER TABLE collections DROP COLUMN peer;
             ALTER TABLE collections DROP COLUMN strict;
             ALTER TABLE versions DROP COLUMN held;
             ALTER TABLE versions DROP COLUMN vkey;
             ALTER TABLE versions DROP COLUMN latest;
             CREATE INDEX versions_by_date_added ON versions (cid, date_added);
             UPDATE meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
    }
    store = Store::open(&dir).unwrap();
    assert_eq!(
        store
            .manifest("default", &Query::new(100))
            .unwrap()
            .items
            .len(),
        4
    );
    let mut q = Query::new(100);
    q.ids = vec![id(1)];
    assert_eq!(
        ids(&store.manifest("default", &q).unwrap()),
        [(id(1), "2026-01-03T00:00:00.000Z".into())]
    );
    let status = store::Status {
        id: "s".into(),
        owner: "a".into(),
        body: "{}".into(),
    };
    store.put_status(&status, Micros(1)).unwrap();
    assert_eq!(store.status("s").unwrap(), Some(status));
    assert_eq!(
        store.audit("default", true, &mut |_| {}).unwrap().mismatch,
        None
    );
    // Schema 4: collections are lenient until set strict.
    assert!(!store.collection("default").unwrap().strict);
    assert!(store.set_strict("default", true).unwrap().strict);
}

#[test]
fn the_deep_audit_checks_the_derived_version_columns() {
    let (tmp, mut store) = populated();
    store.withdraw("default", &id(2), Micros(20_000)).unwrap();
    assert_eq!(
        store.audit("default", true, &mut |_| {}).unwrap().mismatch,
        None
    );
    let db = tmp.path().join("node").join(store::DB_FILE);
    drop(store);
    for (tamper, undo, needle) in [
        (
            "UPDATE versions SET latest = 0 WHERE version = '2026-01-03T00:00:00.000Z'",
            "UPDATE versions SET latest = 1 WHERE version = '2026-01-03T00:00:00.000Z'",
            "latest-version mark",
        ),
        (
            "UPDATE versions SET latest = 1 WHERE version = '2026-01-01T00:00:00.000Z' AND id LIKE '%001'",
            "UPDATE versions SET latest = 0 WHERE version = '2026-01-01T00:00:00.000Z' AND id LIKE '%001'",
            "latest-version mark",
        ),
        (
            "UPDATE versions SET latest = 1 WHERE id LIKE '%002'",
            "UPDATE versions SET latest = 0 WHERE id LIKE '%002'",
            "every version is withdrawn",
        ),
        (
            "UPDATE versions SET vkey = '2099' WHERE id LIKE '%003'",
            "UPDATE versions SET vkey = '2026-01-01T00:00:00.000000000' WHERE id LIKE '%003'",
            "sort key",
        ),
    ] {
        let conn = rusqlite::Connection::open(&db).unwrap();
        assert_eq!(conn.execute(tamper, []).unwrap(), 1, "{tamper}");
        drop(conn);
        let store = Store::open(db.parent().unwrap()).unwrap();
        let report = store.audit("default", true, &mut |_| {}).unwrap();
        let what = report.mismatch.map(|m| m.what).unwrap_or_default();
        assert!(what.contains(needle), "{tamper}: {what:?}");
        // The shallow audit checks the log, which the tampering did not touch.
        assert_eq!(
            store.audit("default", false, &mut |_| {}).unwrap().mismatch,
            None
        );
        drop(store);
        let conn = rusqlite::Connection::open(&db).unwrap();
        assert_eq!(conn.execute(undo, []).unwrap(), 1, "{undo}");
    }
    let store = Store::open(db.parent().unwrap()).unwrap();
    assert_eq!(
        store.audit("default", true, &mut |_| {}).unwrap().mismatch,
        None
    );
}

#[test]
fn a_schema_3_database_is_upgraded_on_open() {
    let (tmp, store) = populated();
    let dir = tmp.path().join("node");
    drop(store);
    {
        // Turn it back into what schema 3 wrote.
        let conn = rusqlite::Connection::open(dir.join(store::DB_FILE)).unwrap();
        conn.execute_batch(
            "DROP TABLE invalid_entries;
             ALTER TABLE collections DROP COLUMN strict;
             ALTER TABLE quarantine DROP COLUMN invalid;
             UPDATE meta SET value = '3' WHERE key = 'schema_version';",
        )
        .unwrap();
    }
    let store = Store::open(&dir).unwrap();
    assert_eq!(
        store
            .manifest("default", &Query::new(100))
            .unwrap()
            .items
            .len(),
        4
    );
    assert!(store.quarantine(true).unwrap().is_empty());
    assert!(!store.collection("default").unwrap().strict);
    drop(store);
    // Opening again finds schema 4 and changes nothing.
    Store::open(&dir).unwrap();
}
