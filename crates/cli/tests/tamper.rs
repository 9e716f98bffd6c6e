//! Tamper evidence: any single byte changed behind the store's back, in an
//! entry, a hash tile or a signed checkpoint, is reported by the audit.

use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};

use crate::util::*;

const MUTATIONS: usize = 300;

#[test]
fn every_single_byte_change_is_reported_by_the_audit() {
    let (tmp, data, _) = new_node();
    // Several batches, so there are many checkpoints and tiles on two levels.
    for (i, count) in [300u64, 1, 200, 17].into_iter().enumerate() {
        let path = tmp.path().join(format!("b{i}.json"));
        std::fs::write(
            &path,
            serde_json::to_vec(&bundle(count, 100 + i as u64)).unwrap(),
        )
        .unwrap();
        run_expect(&data, &["import", path.to_str().unwrap()], 0);
    }
    run_expect(&data, &["audit"], 0);

    let db = data.join(store::DB_FILE);
    let seed = rand::random::<u64>();
    eprintln!("tamper test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let conn = Connection::open(&db).unwrap();
    let tables = [
        ("entries", "data", "idx"),
        ("tiles", "data", "level * 1000000 + idx"),
        ("checkpoints", "note", "size"),
    ];
    let mut found = [0usize; 3];
    for m in 0..MUTATIONS {
        let t = m % tables.len();
        let (table, column, key) = tables[t];
        let rows: Vec<(i64, Vec<u8>)> = conn
            .prepare(&format!(
                "SELECT {key}, CAST({column} AS BLOB) FROM {table}"
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let (row_key, original) = &rows[rng.gen_range(0..rows.len())];
        let mut changed = original.clone();
        let at = rng.gen_range(0..changed.len());
        changed[at] ^= rng.gen_range(1..=255u8);
        let write = |bytes: &[u8]| {
            let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key} = ?2");
            match std::str::from_utf8(bytes) {
                // Notes are TEXT; a change that breaks UTF-8 is stored byte for byte as a blob.
                Ok(text) if column == "note" => conn.execute(&sql, params![text, row_key]).unwrap(),
                _ => conn.execute(&sql, params![bytes, row_key]).unwrap(),
            };
        };
        write(&changed);
        let store = store::Store::open(&data).unwrap();
        let report = store.audit("default", false, &mut |_| {}).unwrap();
        drop(store);
        write(original);
        assert!(
            report.mismatch.is_some(),
            "mutation {m}: byte {at} of {table} row {row_key} changed {:#04x} -> {:#04x}, and the audit saw nothing",
            original[at],
            changed[at]
        );
        found[t] += 1;
    }
    run_expect(&data, &["audit"], 0);
    eprintln!(
        "mutations found: entries {}, tiles {}, checkpoints {}",
        found[0], found[1], found[2]
    );
}
