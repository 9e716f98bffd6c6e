//! A hostile partner: a correctly signed, internally consistent log whose
//! entries are built to harm. Every defence here has to come from parsing
//! and validation, not from signatures: the peer below signs each of its
//! checkpoints with its own Ed25519 key (the `tlog` crate), and its log is
//! consistent. It is a small HTTP server on 127.0.0.1 that serves exactly
//! what `entente sync` asks a peer for: the collections, the log's
//! checkpoint and its entry bundles.
//!
//! The victim is a real node (`entente sync`, `entente serve`), checked the
//! way its users see it: TAXII pages and object GETs, `export`, `match`,
//! `audit --deep`, `peer status`, `quarantine`.
//!
//! See: issue 11, part 4 ("a hostile partner's log must neither poison nor
//! break the node").

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::peers::{Net, Party, id_of, ioc};
use crate::util::*;

const SALT: u64 = 0x11;
/// The collection id the hostile peer serves.
const REMOTE_ID: &str = "6f1d0c1e-4b8e-4a57-9a0e-1d0c1e4b8e4a";
/// The victim's own domain: on its warninglist.
const OWN_DOMAIN: &str = "elections.victim-land.org";

// ---------------------------------------------------------------------------
// The hostile peer

/// A signed log of arbitrary entries, served over plain HTTP on 127.0.0.1.
struct HostilePeer {
    port: u16,
    key: String,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl HostilePeer {
    /// Serves `entries` as the whole log of collection [`REMOTE_ID`], with a
    /// checkpoint signed by the key named `name`.
    fn start(name: &str, entries: Vec<Vec<u8>>) -> HostilePeer {
        let signer = tlog::Signer::new(name, &[0x5a; 32]).expect("a signer");
        let key = signer.verifier().to_string();
        let leaves: Vec<tlog::Hash> = entries.iter().map(|e| tlog::leaf_hash(e)).collect();
        let checkpoint = tlog::Checkpoint::new(
            format!("{name}/{REMOTE_ID}"),
            entries.len() as u64,
            tlog::root_from_leaves(&leaves),
        );
        let note = signer
            .sign_checkpoint(&checkpoint)
            .expect("the checkpoint signs");
        let listener = TcpListener::bind("127.0.0.1:0").expect("the hostile peer binds");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new((entries, note));
        let accept = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let log = Arc::clone(&log);
                            thread::spawn(move || answer(stream, &log.0, &log.1));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => return,
                    }
                }
            })
        };
        HostilePeer {
            port,
            key,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request (one per connection) from the log.
fn answer(mut stream: TcpStream, entries: &[Vec<u8>], note: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let log = format!("/api/collections/{REMOTE_ID}/log/");
    let (status, kind, body): (&str, &str, Vec<u8>) = if path == "/api/collections/" {
        let body = json!({"collections": [{
            "id": REMOTE_ID, "title": "Hostile intel", "can_read": true, "can_write": false,
            "media_types": ["application/stix+json;version=2.1"]
        }]});
        (
            "200 OK",
            "application/taxii+json;version=2.1",
            body.to_string().into_bytes(),
        )
    } else if path == format!("{log}checkpoint") {
        (
            "200 OK",
            "text/plain; charset=utf-8",
            note.as_bytes().to_vec(),
        )
    } else if let Some(Ok(tlog::TilePath::Entries(bundle))) =
        path.strip_prefix(&log).map(tlog::TilePath::parse)
    {
        let first = bundle.first_entry() as usize;
        let end = first + usize::from(bundle.width());
        match entries.get(first..end) {
            Some(slice) => (
                "200 OK",
                "application/octet-stream",
                tlog::encode_bundle(slice).expect("entries fit a bundle"),
            ),
            None => ("404 Not Found", "text/plain", b"no such bundle".to_vec()),
        }
    } else {
        ("404 Not Found", "text/plain", b"not found".to_vec())
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

// ---------------------------------------------------------------------------
// The hostile entries

/// What the victim must make of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// A valid object: indexed and served.
    Served(String),
    /// A valid envelope around an object that violates a MUST of STIX 2.1:
    /// quarantined as invalid, answered like an unknown id.
    Quarantined(String),
    /// Not a valid envelope: kept, marked invalid, never indexed.
    InvalidEntry,
    /// A valid withdrawal.
    Withdrawal,
}

/// `date_added` of entry `i`, in the form a node writes it.
fn stamp(i: usize) -> String {
    format!("2026-10-01T09:00:00.{:06}Z", i + 1)
}

fn add(i: usize, object: &Value) -> Vec<u8> {
    let envelope = json!({"date_added": stamp(i), "object": object, "op": "add"});
    stix::canonical::to_vec(&envelope).expect("canonical JSON")
}

fn withdraw(i: usize, id: &str) -> Vec<u8> {
    let envelope = json!({"date_added": stamp(i), "id": id, "op": "withdraw"});
    stix::canonical::to_vec(&envelope).expect("canonical JSON")
}

fn canonical(value: &Value) -> String {
    String::from_utf8(stix::canonical::to_vec(value).unwrap()).unwrap()
}

fn domain_ioc(n: u64, domain: &str) -> Value {
    ioc(
        n,
        SALT,
        "Hostile partner's indicator",
        &format!("[domain-name:value = '{domain}']"),
    )
}

/// Nested arrays `depth` deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!([]), |inner, _| json!([inner]))
}

/// The hostile log: each entry with what it is and what must become of it,
/// and the domain it would match if it were used.
struct Case {
    what: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
    domain: Option<String>,
}

fn hostile_log() -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut push = |what: &'static str,
                    make: &dyn Fn(usize) -> (Vec<u8>, Expect, Option<String>)| {
        let (bytes, expect, domain) = make(cases.len());
        cases.push(Case {
            what,
            bytes,
            expect,
            domain,
        });
    };
    // An object with one defect, in a valid envelope: quarantined.
    let quarantined = |n: u64, domain: &str, edit: &dyn Fn(&mut Value)| {
        let mut o = domain_ioc(n, domain);
        edit(&mut o);
        let domain = domain.to_owned();
        move |i: usize| {
            let id = o["id"].as_str().unwrap_or("").to_owned();
            (add(i, &o), Expect::Quarantined(id), Some(domain.clone()))
        }
    };

    push("a valid indicator", &|i| {
        let o = domain_ioc(1, "good-phish-portal.net");
        (
            add(i, &o),
            Expect::Served(id_of(&o)),
            Some("good-phish-portal.net".into()),
        )
    });
    push(
        "an unparsable pattern",
        &quarantined(2, "unparsable-portal.net", &|o| {
            o["pattern"] = json!("[domain-name:value = 'unparsable-portal.net'");
        }),
    );
    push(
        "a stix pattern that is not a pattern at all",
        &quarantined(3, "not-a-pattern-portal.net", &|o| {
            o["pattern"] = json!("domain not-a-pattern-portal.net");
        }),
    );
    push(
        "an invalid id",
        &quarantined(4, "bad-id-portal.net", &|o| {
            o["id"] = json!("indicator--not-a-uuid");
        }),
    );
    push(
        "modified before created",
        &quarantined(5, "time-travel-portal.net", &|o| {
            o["modified"] = json!("2020-01-01T00:00:00.000Z");
        }),
    );
    push(
        "confidence 500",
        &quarantined(6, "overconfident-portal.net", &|o| {
            o["confidence"] = json!(500);
        }),
    );
    push(
        "a string where labels needs a list",
        &quarantined(7, "labelled-portal.net", &|o| {
            o["labels"] = json!("phishing");
        }),
    );
    push(
        "a skeleton with only an id and a pattern",
        &quarantined(8, "skeleton-portal.net", &|o| {
            let (id, pattern) = (o["id"].clone(), o["pattern"].clone());
            *o = json!({"id": id, "pattern": pattern});
        }),
    );
    push(
        "type malware with an indicator id",
        &quarantined(9, "malware-typed-portal.net", &|o| {
            o["type"] = json!("malware");
            o["is_family"] = json!(false);
        }),
    );
    push(
        "type x-threat-indicator with an indicator id, for the victim's own domain",
        &quarantined(10, OWN_DOMAIN, &|o| {
            o["type"] = json!("x-threat-indicator");
        }),
    );
    push(
        "revoked \"no\"",
        &quarantined(11, "revoked-no-portal.net", &|o| {
            o["revoked"] = json!("no");
        }),
    );
    push(
        "a relationship whose ids are valid but of the wrong types",
        &|i| {
            let o = json!({
                "type": "relationship", "spec_version": "2.1",
                "id": format!("relationship--{}", uuid_from(12, SALT)),
                "created": "2026-10-01T08:00:00.000Z", "modified": "2026-10-01T08:00:00.000Z",
                "relationship_type": "indicates",
                "source_ref": format!("marking-definition--{}", uuid_from(13, SALT)),
                "target_ref": format!("bundle--{}", uuid_from(14, SALT)),
            });
            (add(i, &o), Expect::Quarantined(id_of(&o)), None)
        },
    );
    push("a custom property (a SHOULD finding only)", &|i| {
        let mut o = domain_ioc(15, "custom-prop-portal.net");
        o["x_partner_score"] = json!({"deep": nested(60)});
        (
            add(i, &o),
            Expect::Served(id_of(&o)),
            Some("custom-prop-portal.net".into()),
        )
    });
    push("a withdrawal of an id never added", &|i| {
        let id = format!("indicator--{}", uuid_from(16, SALT));
        (withdraw(i, &id), Expect::Withdrawal, None)
    });

    // Not valid envelopes: kept for the proofs, never indexed.
    let invalid =
        |bytes: Vec<u8>, domain: &str| (bytes, Expect::InvalidEntry, Some(domain.to_owned()));
    push("not JSON at all", &|_| {
        invalid(b"GET /etc/passwd HTTP/1.0".to_vec(), "not-json-portal.net")
    });
    push("an extra key in the envelope", &|i| {
        let o = domain_ioc(17, "extra-key-portal.net");
        let e = json!({"date_added": stamp(i), "object": o, "op": "add", "x": 1});
        invalid(canonical(&e).into_bytes(), "extra-key-portal.net")
    });
    push("another key order", &|i| {
        let o = domain_ioc(18, "key-order-portal.net");
        let text = format!(
            r#"{{"op":"add","date_added":"{}","object":{}}}"#,
            stamp(i),
            canonical(&o)
        );
        invalid(text.into_bytes(), "key-order-portal.net")
    });
    push("an array where the object belongs", &|i| {
        let o = domain_ioc(19, "array-object-portal.net");
        let e = json!({"date_added": stamp(i), "object": [o], "op": "add"});
        invalid(canonical(&e).into_bytes(), "array-object-portal.net")
    });
    push("duplicate keys", &|i| {
        let o = domain_ioc(20, "duplicate-key-portal.net");
        let text = format!(
            r#"{{"date_added":"{0}","date_added":"{0}","object":{1},"op":"add"}}"#,
            stamp(i),
            canonical(&o)
        );
        invalid(text.into_bytes(), "duplicate-key-portal.net")
    });
    push("a huge nesting depth", &|i| {
        // Past what a JSON parser should follow: written by hand (in key
        // order: `x_deep` sorts after every property of the indicator).
        let object = canonical(&domain_ioc(21, "deep-portal.net"));
        let deep = format!(r#","x_deep":{}{}}}"#, "[".repeat(400), "]".repeat(400));
        let object = format!("{}{deep}", &object[..object.len() - 1]);
        let text = format!(
            r#"{{"date_added":"{}","object":{object},"op":"add"}}"#,
            stamp(i)
        );
        invalid(text.into_bytes(), "deep-portal.net")
    });
    push("an add without an object id", &|i| {
        let mut o = domain_ioc(22, "no-id-portal.net");
        o.as_object_mut().unwrap().remove("id");
        invalid(add(i, &o), "no-id-portal.net")
    });
    push("a withdrawal of something that is not an id", &|i| {
        (
            withdraw(i, "'; DROP TABLE versions; --"),
            Expect::InvalidEntry,
            None,
        )
    });
    push("a date_added in another form", &|i| {
        let o = domain_ioc(23, "other-date-portal.net");
        let e = json!({"date_added": format!("{}Z", &stamp(i)[..19]), "object": o, "op": "add"});
        invalid(canonical(&e).into_bytes(), "other-date-portal.net")
    });
    cases
}

// ---------------------------------------------------------------------------
// HTTP to the victim

/// `GET path` with a bearer token: status code and body.
fn get(authority: &str, token: &str, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(authority).expect("the victim answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\nAccept: application/taxii+json;version=2.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "this helper reads only sized bodies: {head}"
    );
    (status, response[split + 4..].to_vec())
}

/// The ids on every page of a collection's objects, following `next`.
fn served_ids(authority: &str, token: &str, collection: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let path = match &next {
            None => format!("/api/collections/{collection}/objects/?limit=3"),
            Some(n) => format!("/api/collections/{collection}/objects/?limit=3&next={n}"),
        };
        let (status, body) = get(authority, token, &path);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        let page: Value = serde_json::from_slice(&body).expect("a TAXII envelope");
        for o in page["objects"].as_array().into_iter().flatten() {
            ids.insert(id_of(o));
        }
        if page["more"] != true {
            return ids;
        }
        next = page["next"].as_str().map(str::to_owned);
        assert!(next.is_some(), "more without next: {page}");
    }
    panic!("more than 100 pages of a small collection");
}

/// The answer to GET of one object, with its id replaced, to compare shapes.
fn object_answer(authority: &str, token: &str, collection: &str, id: &str) -> (u16, Value) {
    let (status, body) = get(
        authority,
        token,
        &format!("/api/collections/{collection}/objects/{id}/"),
    );
    let text = String::from_utf8_lossy(&body).replace(id, "ID");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// The sighted indicator ids of `entente match` over `telemetry`, and its stderr.
fn sightings(victim: &Party, telemetry: &std::path::Path) -> (BTreeSet<String>, String) {
    let out = victim.run(
        &["match", "--format", "list", &telemetry.to_string_lossy()],
        0,
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).expect("match prints a bundle");
    let ids = bundle["objects"]
        .as_array()
        .expect("a bundle")
        .iter()
        .filter(|o| o["type"] == "sighting")
        .map(|o| o["sighting_of_ref"].as_str().unwrap().to_owned())
        .collect();
    (ids, String::from_utf8_lossy(&out.stderr).into_owned())
}

// ---------------------------------------------------------------------------
// The test

#[test]
fn a_hostile_partner_neither_poisons_nor_breaks_the_node() {
    let cases = hostile_log();
    let peer = HostilePeer::start("hostile", cases.iter().map(|c| c.bytes.clone()).collect());
    let served: BTreeSet<String> = cases
        .iter()
        .filter_map(|c| match &c.expect {
            Expect::Served(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let quarantined: Vec<(&str, String)> = cases
        .iter()
        .filter_map(|c| match &c.expect {
            Expect::Quarantined(id) => Some((c.what, id.clone())),
            _ => None,
        })
        .collect();
    let invalid_entries = cases
        .iter()
        .filter(|c| c.expect == Expect::InvalidEntry)
        .count() as u64;

    let net = Net::new();
    let mut victim = net.party("victim");
    victim.configure(&format!("\n[warninglists]\ndomains = [\"{OWN_DOMAIN}\"]\n"));
    victim.create("own");
    let own = domain_ioc(100, "victim-own-ioc-portal.net");
    victim.publish("own", std::slice::from_ref(&own));
    victim.add_peer_at("hostile", &peer.url(), &peer.key, "a-token", &[]);

    // The sync succeeds: a partner's bad entries are its problem, not a failed round.
    let report = victim.sync(0);
    let line = crate::peers::line(&report, "hostile");
    assert_eq!(line["outcome"], "applied", "{report:#}");
    assert_eq!(line["invalid_entries"], invalid_entries, "{report:#}");
    assert_eq!(
        line["invalid_objects"],
        quarantined.len() as u64,
        "{report:#}"
    );
    let mirror = crate::peers::mirror_alias(&report, "hostile");
    let mirror_id = victim
        .collections()
        .iter()
        .find(|c| c["alias"] == mirror.as_str())
        .and_then(|c| c["id"].as_str())
        .expect("the mirror is listed")
        .to_owned();

    // Peer status reports both kinds, human and JSON.
    let status = victim.json(&["peer", "status"], 0);
    let m = &status["peers"][0]["mirrors"][0];
    assert_eq!(m["invalid_entries"], invalid_entries, "{status:#}");
    assert_eq!(m["invalid_objects"], quarantined.len() as u64, "{status:#}");
    let human = stdout(&victim.run(&["peer", "status"], 0));
    assert!(
        human.contains(&format!("{invalid_entries} invalid entries")),
        "{human}"
    );

    // Every MUST violation is quarantined with the validator's message, and cannot be released.
    let held = victim.json(&["quarantine", "list"], 0);
    let held = held["quarantine"]
        .as_array()
        .expect("a quarantine list")
        .clone();
    for (what, id) in &quarantined {
        let row = held
            .iter()
            .find(|h| h["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{what} is not in quarantine: {held:#?}"));
        assert_eq!(row["invalid"], true, "{what}: {row:#}");
        assert!(
            row["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("not valid STIX 2.1: ")),
            "{what}: {row:#}"
        );
    }
    let (_, revoked_id) = quarantined
        .iter()
        .find(|(w, _)| w.starts_with("revoked"))
        .unwrap()
        .clone();
    let refused = victim.run(&["quarantine", "release", &revoked_id], 1);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("cannot be released"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Export holds exactly the valid objects.
    let exported: BTreeSet<String> = victim.export_ids(&mirror).into_iter().collect();
    assert_eq!(exported, served, "{report:#}\n{held:#?}");

    // Matching: the valid partner indicator and the victim's own; nothing
    // hostile, not the victim's own domain, and exit 0.
    let telemetry = net.file("victim-dns.list");
    let mut lines: Vec<String> = cases.iter().filter_map(|c| c.domain.clone()).collect();
    lines.push("victim-own-ioc-portal.net".into());
    lines.push(OWN_DOMAIN.into());
    std::fs::write(&telemetry, lines.join("\n") + "\n").unwrap();
    let (sighted, _) = sightings(&victim, &telemetry);
    let mut want = served.clone();
    want.insert(id_of(&own));
    assert_eq!(sighted, want);

    // The deep audit accepts the faithful copy of the peer's log.
    victim.run(&["audit", "--deep", "-c", &mirror], 0);

    // TAXII: the pages serve the valid objects only; a quarantined id answers
    // exactly like an unknown one.
    victim.serve();
    let token = {
        let out = victim.run(&["user", "add", "analyst", "--read", &mirror, "--token"], 0);
        stdout(&out).lines().last().unwrap_or("").trim().to_owned()
    };
    victim.wait_for_token(&token);
    let authority = victim.listen.clone();
    assert_eq!(served_ids(&authority, &token, &mirror_id), served);
    let unknown = format!("indicator--{}", uuid_from(999, SALT));
    let absent = object_answer(&authority, &token, &mirror_id, &unknown);
    assert_eq!(absent.0, 404, "{absent:?}");
    for (what, id) in &quarantined {
        assert_eq!(
            object_answer(&authority, &token, &mirror_id, id),
            absent,
            "{what}: a quarantined object must answer like an unknown one"
        );
        let versions = get(
            &authority,
            &token,
            &format!("/api/collections/{mirror_id}/objects/{id}/versions/"),
        );
        assert_eq!(versions.0, 404, "{what}: versions of a quarantined object");
    }
    for id in &served {
        assert_eq!(
            object_answer(&authority, &token, &mirror_id, id).0,
            200,
            "{id}"
        );
    }
    victim.stop();

    // A store filled before partner objects were checked (here: made by
    // hand) holds an unusable indicator among the live ones and an index
    // row pointing at an entry that is not an add. Every read path skips
    // them, says so, and keeps working.
    let not_json = cases
        .iter()
        .position(|c| c.what == "not JSON at all")
        .unwrap();
    {
        let conn = rusqlite::Connection::open(victim.data.join(store::DB_FILE)).unwrap();
        let cid: i64 = conn
            .query_row(
                "SELECT cid FROM collections WHERE id = ?1",
                [&mirror_id],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "UPDATE versions SET held = 0, latest = 1 WHERE cid = ?1 AND id = ?2",
            rusqlite::params![cid, revoked_id],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO versions (cid, id, version, date_added, idx, vkey, latest, held)
             VALUES (?1, ?2, '2026-10-01T08:00:00.000Z', 9000000000000000, ?3, ?4, 1, 0)",
            rusqlite::params![
                cid,
                format!("indicator--{}", uuid_from(500, SALT)),
                not_json as i64,
                store::vkey("2026-10-01T08:00:00.000Z")
            ],
        )
        .unwrap();
    }
    let (sighted, stderr) = sightings(&victim, &telemetry);
    assert_eq!(sighted, want, "{stderr}");
    assert!(
        stderr.contains(&format!("skipped indicator {revoked_id}")) && stderr.contains("revoked"),
        "match must say which indicator it skipped and why:\n{stderr}"
    );
    let exported = victim.run(&["export", "-c", &mirror], 0);
    assert!(
        String::from_utf8_lossy(&exported.stderr).contains("skipped"),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    victim.serve();
    let mut after = served.clone();
    after.insert(revoked_id.clone());
    let authority = victim.listen.clone();
    assert_eq!(served_ids(&authority, &token, &mirror_id), after);
    victim.stop();
}
