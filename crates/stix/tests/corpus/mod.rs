//! A deterministic generator of STIX 2.1 test objects, valid and invalid, for the
//! conformance test against stix2-validator and for the validation benchmark
//! (`examples/gen_corpus.rs` dumps it as JSON lines).
//!
//! Each base object is valid under `stix2_validator --strict --version 2.1`;
//! mutations then break one thing at a time (drop a property, change a JSON
//! type, spoil a timestamp, push a number out of range, …). The generator does
//! not decide what is valid: the conformance test asks both validators.
//!
//! Mutations that hit a documented, deliberate difference (e.g. `spec_version`
//! "2.0", which the validator accepts on a lone object) are not generated here;
//! those live in `tests/data/invalid-cases.jsonl` with their reason.

#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// splitmix64: small, fast, good enough, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn uuid4(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let hex = format!("{a:016x}{b:016x}");
        let variant = ['8', '9', 'a', 'b'][(b >> 60) as usize & 3];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            variant,
            &hex[17..20],
            &hex[20..32]
        )
    }

    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    /// A timestamp between 2023 and 2025 with `digits` fractional digits.
    pub fn time(&mut self, digits: usize) -> String {
        let secs = 1_672_531_200 + (self.next_u64() % (3 * 365 * 86_400)) as i128;
        let nanos = secs * 1_000_000_000 + (self.next_u64() % 1_000_000_000) as i128;
        stix::Timestamp::from_unix_nanos(nanos, digits as u8)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }
}

/// Adds `secs` seconds (or more) to a timestamp, keeping its digits.
fn later(t: &str, secs: i128) -> String {
    let ts = stix::Timestamp::parse(t).expect("generator timestamps parse");
    let d = ts.fraction_digits();
    stix::Timestamp::from_unix_nanos(ts.unix_nanos() + secs * 1_000_000_000, d)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

const TLP1: [&str; 4] = [
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
];

const IDENTITIES: [&str; 2] = [
    "identity--5d218fc4-f7e8-4fad-8205-e9d4d02834ae",
    "identity--0a3e4c2f-6b1d-4e8a-9c7f-2d5b8e1f3a6c",
];

struct Gen<'a> {
    r: &'a mut Rng,
}

impl Gen<'_> {
    fn id(&mut self, ty: &str) -> String {
        format!("{ty}--{}", self.r.uuid4())
    }

    fn sdo(&mut self, ty: &str) -> Map<String, Value> {
        let created = self.r.time(3);
        let modified = if self.r.chance(30) {
            later(&created, 3600)
        } else {
            created.clone()
        };
        let mut m = Map::new();
        m.insert("type".into(), ty.into());
        m.insert("spec_version".into(), "2.1".into());
        m.insert("id".into(), self.id(ty).into());
        m.insert("created".into(), created.into());
        m.insert("modified".into(), modified.into());
        if self.r.chance(60) {
            m.insert("created_by_ref".into(), (*self.r.pick(&IDENTITIES)).into());
        }
        if self.r.chance(50) {
            m.insert("object_marking_refs".into(), json!([*self.r.pick(&TLP1)]));
        }
        if self.r.chance(25) {
            m.insert("confidence".into(), (self.r.below(101) as u64).into());
        }
        if self.r.chance(20) {
            m.insert(
                "labels".into(),
                json!(["election", "northland"][..1 + self.r.below(2)]),
            );
        }
        if self.r.chance(15) {
            m.insert(
                "lang".into(),
                (*self.r.pick(&["en", "fr", "de-DE", "en-GB"])).into(),
            );
        }
        if self.r.chance(15) {
            let n = self.r.below(9000) + 1000;
            m.insert(
                "external_references".into(),
                json!([{"source_name": "northland-csirt", "external_id": format!("NL-{n}")}]),
            );
        }
        if self.r.chance(10) {
            m.insert("revoked".into(), false.into());
        }
        m
    }

    fn sco(&mut self, ty: &str, props: Value) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), ty.into());
        if self.r.chance(70) {
            m.insert("spec_version".into(), "2.1".into());
        }
        if let Value::Object(p) = props {
            m.extend(p);
        }
        let id = stix::deterministic_id(&Value::Object(m.clone()))
            .unwrap_or_else(|| format!("{ty}--{}", self.r.uuid4()));
        m.insert("id".into(), id.into());
        if self.r.chance(20) {
            m.insert("object_marking_refs".into(), json!([*self.r.pick(&TLP1)]));
        }
        if self.r.chance(10) {
            m.insert("defanged".into(), false.into());
        }
        Value::Object(m)
    }

    fn ipv4_value(&mut self) -> String {
        let net = *self.r.pick(&["192.0.2", "198.51.100", "203.0.113"]);
        if self.r.chance(15) {
            format!("{net}.0/24")
        } else {
            format!("{net}.{}", self.r.below(255) + 1)
        }
    }

    fn domain(&mut self) -> String {
        let a = *self.r.pick(&[
            "voter",
            "ballot",
            "election",
            "polling",
            "registration",
            "results",
            "count",
        ]);
        let b = *self
            .r
            .pick(&["check", "portal", "update", "secure", "verify", "login"]);
        let tld = *self
            .r
            .pick(&["example", "example.com", "example.net", "test", "invalid"]);
        format!("{a}-{b}{}.{tld}", self.r.below(100))
    }

    fn pattern(&mut self) -> String {
        let one = |g: &mut Gen<'_>| match g.r.below(5) {
            0 => format!("[ipv4-addr:value = '{}']", g.ipv4_value()),
            1 => format!("[domain-name:value = '{}']", g.domain()),
            2 => format!("[file:hashes.'SHA-256' = '{}']", g.r.hex(64)),
            3 => format!("[url:value = 'https://{}/login']", g.domain()),
            _ => format!("[email-addr:value = 'returns@{}']", g.domain()),
        };
        let first = one(self);
        if self.r.chance(30) {
            format!("{first} OR {}", one(self))
        } else {
            first
        }
    }

    fn kill_chain(&mut self) -> Value {
        json!([{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": *self.r.pick(&["reconnaissance", "delivery", "exploitation", "installation"])}])
    }

    fn seen(&mut self, m: &mut Map<String, Value>, first: &str, last: &str) {
        if self.r.chance(60) {
            let d = self.r.below(4);
            let t = self.r.time(d);
            let t2 = later(&t, (self.r.below(1_000_000) + 1) as i128);
            m.insert(first.into(), t.into());
            if self.r.chance(70) {
                m.insert(last.into(), t2.into());
            }
        }
    }

    fn object(&mut self, ty: &str) -> Value {
        let r = &mut *self.r;
        let _ = r;
        match ty {
            "indicator" => {
                let mut m = self.sdo(ty);
                m.insert(
                    "name".into(),
                    format!("Phishing domain #{}", self.r.below(1000)).into(),
                );
                m.insert(
                    "description".into(),
                    "Look-alike of an election authority site".into(),
                );
                m.insert("pattern".into(), self.pattern().into());
                m.insert("pattern_type".into(), "stix".into());
                if self.r.chance(50) {
                    m.insert("pattern_version".into(), "2.1".into());
                }
                let d = self.r.below(4);
                let from = self.r.time(d);
                if self.r.chance(50) {
                    m.insert("valid_until".into(), later(&from, 86_400 * 90).into());
                }
                m.insert("valid_from".into(), from.into());
                if self.r.chance(70) {
                    m.insert(
                        "indicator_types".into(),
                        json!([*self.r.pick(&[
                            "malicious-activity",
                            "anomalous-activity",
                            "attribution",
                            "compromised"
                        ])]),
                    );
                }
                if self.r.chance(30) {
                    m.insert("kill_chain_phases".into(), self.kill_chain());
                }
                Value::Object(m)
            }
            "observed-data" => {
                let mut m = self.sdo(ty);
                let t = self.r.time(3);
                m.insert("first_observed".into(), t.clone().into());
                m.insert("last_observed".into(), later(&t, 600).into());
                m.insert(
                    "number_observed".into(),
                    (self.r.below(500) as u64 + 1).into(),
                );
                let ip = json!({"type": "ipv4-addr", "value": self.ipv4_value()});
                m.insert("object_refs".into(), json!([stix::deterministic_id(&ip)]));
                Value::Object(m)
            }
            "sighting" => {
                let mut m = self.sdo(ty);
                m.insert("sighting_of_ref".into(), self.id("indicator").into());
                m.insert(
                    "where_sighted_refs".into(),
                    json!([*self.r.pick(&IDENTITIES)]),
                );
                if self.r.chance(40) {
                    m.insert(
                        "observed_data_refs".into(),
                        json!([self.id("observed-data")]),
                    );
                }
                self.seen(&mut m, "first_seen", "last_seen");
                if self.r.chance(60) {
                    m.insert("count".into(), (self.r.below(100) as u64).into());
                }
                if self.r.chance(20) {
                    m.insert("summary".into(), false.into());
                }
                Value::Object(m)
            }
            "identity" => {
                let mut m = self.sdo(ty);
                m.insert(
                    "name".into(),
                    (*self.r.pick(&[
                        "Northland Election Authority CSIRT",
                        "Southland Electoral Commission CERT",
                    ]))
                    .into(),
                );
                if self.r.chance(70) {
                    m.insert(
                        "identity_class".into(),
                        (*self.r.pick(&["organization", "group", "individual"])).into(),
                    );
                }
                if self.r.chance(60) {
                    m.insert(
                        "sectors".into(),
                        json!([*self.r.pick(&[
                            "government-national",
                            "government-regional",
                            "government"
                        ])]),
                    );
                }
                if self.r.chance(40) {
                    m.insert(
                        "contact_information".into(),
                        "csirt@election-authority.example".into(),
                    );
                }
                if self.r.chance(20) {
                    m.insert("roles".into(), json!(["incident-response"]));
                }
                Value::Object(m)
            }
            "marking-definition" => match self.r.below(3) {
                0 => {
                    let i = self.r.below(4);
                    let colour = ["white", "green", "amber", "red"][i];
                    json!({"type": "marking-definition", "spec_version": "2.1", "id": TLP1[i], "created": "2017-01-20T00:00:00.000Z",
                           "name": format!("TLP:{}", colour.to_uppercase()), "definition_type": "tlp", "definition": {"tlp": colour}})
                }
                1 => stix::Tlp::ALL[self.r.below(5)].v2_marking(),
                _ => {
                    json!({"type": "marking-definition", "spec_version": "2.1", "id": self.id("marking-definition"),
                            "created": self.r.time(3), "definition_type": "statement",
                            "definition": {"statement": "Copyright Northland Election Authority"}})
                }
            },
            "relationship" => {
                let mut m = self.sdo(ty);
                let (s, rel, t) = *self.r.pick(&[
                    ("indicator", "indicates", "malware"),
                    ("indicator", "indicates", "campaign"),
                    ("indicator", "based-on", "observed-data"),
                    ("campaign", "attributed-to", "threat-actor"),
                    ("threat-actor", "uses", "malware"),
                    ("campaign", "targets", "identity"),
                    ("malware", "uses", "attack-pattern"),
                    ("infrastructure", "hosts", "malware"),
                    ("campaign", "uses", "infrastructure"),
                    ("indicator", "related-to", "domain-name"),
                ]);
                m.insert("relationship_type".into(), rel.into());
                m.insert("source_ref".into(), self.id(s).into());
                m.insert("target_ref".into(), self.id(t).into());
                if self.r.chance(20) {
                    let t0 = self.r.time(3);
                    m.insert("stop_time".into(), later(&t0, 3600).into());
                    m.insert("start_time".into(), t0.into());
                }
                Value::Object(m)
            }
            "report" => {
                let mut m = self.sdo(ty);
                m.insert(
                    "name".into(),
                    "Phishing against county election staff".into(),
                );
                m.insert("published".into(), self.r.time(3).into());
                m.insert(
                    "object_refs".into(),
                    json!([self.id("indicator"), self.id("campaign")]),
                );
                if self.r.chance(60) {
                    m.insert(
                        "report_types".into(),
                        json!([*self.r.pick(&["threat-report", "campaign", "indicator"])]),
                    );
                }
                Value::Object(m)
            }
            "malware" => {
                let mut m = self.sdo(ty);
                let family = self.r.chance(60);
                m.insert("is_family".into(), family.into());
                if family || self.r.chance(50) {
                    m.insert("name".into(), "BallotStuffer".into());
                }
                if self.r.chance(60) {
                    m.insert(
                        "malware_types".into(),
                        json!([*self.r.pick(&["trojan", "dropper", "spyware"])]),
                    );
                }
                if self.r.chance(30) {
                    m.insert(
                        "capabilities".into(),
                        json!(["steals-authentication-credentials"]),
                    );
                }
                if self.r.chance(20) {
                    m.insert("implementation_languages".into(), json!(["python"]));
                }
                if self.r.chance(20) {
                    m.insert("architecture_execution_envs".into(), json!(["x86-64"]));
                }
                self.seen(&mut m, "first_seen", "last_seen");
                Value::Object(m)
            }
            "threat-actor" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "Grey Ballot".into());
                if self.r.chance(60) {
                    m.insert("threat_actor_types".into(), json!(["nation-state"]));
                }
                if self.r.chance(30) {
                    m.insert("roles".into(), json!(["agent"]));
                }
                if self.r.chance(30) {
                    m.insert("sophistication".into(), "advanced".into());
                }
                if self.r.chance(30) {
                    m.insert("resource_level".into(), "government".into());
                }
                if self.r.chance(30) {
                    m.insert("primary_motivation".into(), "ideology".into());
                }
                if self.r.chance(20) {
                    m.insert("aliases".into(), json!(["GB-1"]));
                }
                if self.r.chance(20) {
                    m.insert("goals".into(), json!(["undermine trust in the count"]));
                }
                self.seen(&mut m, "first_seen", "last_seen");
                Value::Object(m)
            }
            "campaign" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "Operation Recount".into());
                if self.r.chance(40) {
                    m.insert(
                        "objective".into(),
                        "Harvest election staff credentials".into(),
                    );
                }
                if self.r.chance(20) {
                    m.insert("aliases".into(), json!(["Recount"]));
                }
                self.seen(&mut m, "first_seen", "last_seen");
                Value::Object(m)
            }
            "attack-pattern" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "Spearphishing Link".into());
                if self.r.chance(50) {
                    m.insert(
                        "external_references".into(),
                        json!([{"source_name": "capec", "external_id": "CAPEC-163"}]),
                    );
                }
                if self.r.chance(40) {
                    m.insert("kill_chain_phases".into(), self.kill_chain());
                }
                Value::Object(m)
            }
            "infrastructure" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "Phishing kit hosting".into());
                if self.r.chance(60) {
                    m.insert("infrastructure_types".into(), json!(["phishing"]));
                }
                self.seen(&mut m, "first_seen", "last_seen");
                Value::Object(m)
            }
            "note" => {
                let mut m = self.sdo(ty);
                m.insert(
                    "content".into(),
                    "Seen again after the polling-station change notice.".into(),
                );
                m.insert("object_refs".into(), json!([self.id("indicator")]));
                if self.r.chance(40) {
                    m.insert("authors".into(), json!(["Southland CERT"]));
                }
                if self.r.chance(30) {
                    m.insert("abstract".into(), "Recurrence".into());
                }
                Value::Object(m)
            }
            "grouping" => {
                let mut m = self.sdo(ty);
                m.insert(
                    "context".into(),
                    (*self.r.pick(&["suspicious-activity", "unspecified"])).into(),
                );
                m.insert("object_refs".into(), json!([self.id("indicator")]));
                if self.r.chance(50) {
                    m.insert("name".into(), "Weekend activity".into());
                }
                Value::Object(m)
            }
            "tool" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "Evilginx".into());
                if self.r.chance(50) {
                    m.insert("tool_types".into(), json!(["credential-exploitation"]));
                }
                if self.r.chance(30) {
                    m.insert("tool_version".into(), "3.2".into());
                }
                Value::Object(m)
            }
            "vulnerability" => {
                let mut m = self.sdo(ty);
                m.insert("name".into(), "CVE-2024-3400".into());
                if self.r.chance(60) {
                    m.insert(
                        "external_references".into(),
                        json!([{"source_name": "cve", "external_id": "CVE-2024-3400"}]),
                    );
                }
                Value::Object(m)
            }
            "location" => {
                let mut m = self.sdo(ty);
                match self.r.below(3) {
                    0 => {
                        m.insert("region".into(), "northern-europe".into());
                    }
                    1 => {
                        m.insert(
                            "country".into(),
                            (*self.r.pick(&["FI", "SE", "NO", "EE"])).into(),
                        );
                    }
                    _ => {
                        m.insert("latitude".into(), json!(60.17));
                        m.insert("longitude".into(), json!(24.94));
                        if self.r.chance(50) {
                            m.insert("precision".into(), json!(1000.0));
                        }
                    }
                }
                if self.r.chance(50) {
                    m.insert("name".into(), "Northland capital".into());
                }
                Value::Object(m)
            }
            "ipv4-addr" => {
                let v = self.ipv4_value();
                self.sco(ty, json!({"value": v}))
            }
            "ipv6-addr" => {
                let v = if self.r.chance(20) {
                    "2001:db8::/32".to_string()
                } else {
                    format!(
                        "2001:db8:{:x}::{:x}",
                        self.r.below(65535),
                        self.r.below(65535) + 1
                    )
                };
                self.sco(ty, json!({"value": v}))
            }
            "domain-name" => {
                let v = self.domain();
                self.sco(ty, json!({"value": v}))
            }
            "url" => {
                let v = format!(
                    "https://{}/{}",
                    self.domain(),
                    *self.r.pick(&["login", "verify?id=42", "ballot/status", ""])
                );
                self.sco(ty, json!({"value": v}))
            }
            "email-addr" => {
                let v = format!(
                    "{}@{}",
                    *self
                        .r
                        .pick(&["returns", "helpdesk", "no-reply", "elections.office"]),
                    self.domain()
                );
                let mut p = json!({"value": v});
                if self.r.chance(30) {
                    p["display_name"] = "Election Office".into();
                }
                self.sco(ty, p)
            }
            "email-message" => {
                let from = stix::deterministic_id(
                    &json!({"type": "email-addr", "value": "returns@ballot-check1.example"}),
                );
                let mut p = json!({"is_multipart": false, "subject": "Your polling station has changed", "from_ref": from});
                if self.r.chance(50) {
                    p["body"] = "Click the link to confirm.".into();
                }
                if self.r.chance(40) {
                    p["date"] = self.r.time(0).into();
                }
                self.sco(ty, p)
            }
            "file" => {
                let mut hashes = Map::new();
                hashes.insert("SHA-256".into(), self.r.hex(64).into());
                if self.r.chance(40) {
                    hashes.insert("MD5".into(), self.r.hex(32).into());
                }
                let mut p = json!({"hashes": hashes});
                if self.r.chance(60) {
                    p["name"] = (*self.r.pick(&["ballot.exe", "results.xlsm", "update.js"])).into();
                }
                if self.r.chance(30) {
                    p["size"] = (self.r.below(1 << 20) as u64).into();
                }
                self.sco(ty, p)
            }
            "network-traffic" => {
                let src = stix::deterministic_id(
                    &json!({"type": "ipv4-addr", "value": self.ipv4_value()}),
                );
                let dst =
                    stix::deterministic_id(&json!({"type": "ipv4-addr", "value": "198.51.100.7"}));
                let mut p = json!({"src_ref": src, "dst_ref": dst, "src_port": self.r.below(60000) as u64 + 1024,
                                   "dst_port": *self.r.pick(&[80u64, 443, 25]), "protocols": ["ipv4", "tcp"]});
                if self.r.chance(30) {
                    let t = self.r.time(3);
                    p["end"] = later(&t, 30).into();
                    p["start"] = t.into();
                }
                self.sco(ty, p)
            }
            "x509-certificate" => {
                let mut p = json!({"serial_number": format!("{}", self.r.below(1_000_000)), "issuer": "CN=Fake Election CA"});
                if self.r.chance(40) {
                    p["hashes"] = json!({"SHA-256": self.r.hex(64)});
                }
                if self.r.chance(30) {
                    let t = self.r.time(0);
                    p["validity_not_after"] = later(&t, 86_400 * 365).into();
                    p["validity_not_before"] = t.into();
                }
                self.sco(ty, p)
            }
            "autonomous-system" => {
                let p =
                    json!({"number": 64496 + self.r.below(15) as u64, "name": "Documentation AS"});
                self.sco(ty, p)
            }
            "mac-addr" => {
                let v = (0..6).map(|_| self.r.hex(2)).collect::<Vec<_>>().join(":");
                self.sco(ty, json!({"value": v}))
            }
            "user-account" => {
                let p = json!({"user_id": format!("{}", 1000 + self.r.below(9000)), "account_login": "pollworker",
                               "account_type": *self.r.pick(&["unix", "windows-domain", "ldap"])});
                self.sco(ty, p)
            }
            _ => json!({}),
        }
    }
}

/// The object types the corpus covers.
pub const TYPES: &[&str] = &[
    "indicator",
    "observed-data",
    "sighting",
    "identity",
    "marking-definition",
    "relationship",
    "report",
    "malware",
    "threat-actor",
    "campaign",
    "attack-pattern",
    "infrastructure",
    "note",
    "grouping",
    "tool",
    "vulnerability",
    "location",
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "email-message",
    "file",
    "network-traffic",
    "x509-certificate",
    "autonomous-system",
    "mac-addr",
    "user-account",
];

/// One corpus entry: a name saying how it was made, and the JSON document.
pub struct Case {
    pub name: String,
    pub document: Value,
}

/// A valid object of type `ty`.
pub fn valid_object(r: &mut Rng, ty: &str) -> Value {
    Gen { r }.object(ty)
}

/// Generates `per_type` base objects per type and `mutations` mutated copies of
/// each.
pub fn generate(seed: u64, per_type: usize, mutations: usize) -> Vec<Case> {
    let mut r = Rng::new(seed);
    let mut out = Vec::new();
    for ty in TYPES {
        for i in 0..per_type {
            let base = valid_object(&mut r, ty);
            for j in 0..mutations {
                let (what, doc) = mutate(&mut r, &base);
                out.push(Case {
                    name: format!("{ty}#{i}/{j}:{what}"),
                    document: doc,
                });
            }
            out.push(Case {
                name: format!("{ty}#{i}:base"),
                document: base,
            });
        }
    }
    out
}

fn is_timestamp_like(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') && s.ends_with('Z'))
}

/// One mutation of `base`; returns what was done and the result.
pub fn mutate(r: &mut Rng, base: &Value) -> (String, Value) {
    let mut v = base.clone();
    let Some(m) = v.as_object_mut() else {
        return ("none".into(), v);
    };
    let keys: Vec<String> = m.keys().filter(|k| *k != "type").cloned().collect();
    let key = r.pick(&keys).clone();
    let what = match r.below(20) {
        0 | 1 => {
            m.shift_remove(&key);
            format!("drop {key}")
        }
        2 | 3 => {
            let new = match &m[&key] {
                Value::String(_) => json!(42),
                Value::Number(_) => json!("42"),
                Value::Bool(b) => json!(b.to_string()),
                Value::Array(_) => json!("x"),
                Value::Object(_) => json!(["x"]),
                Value::Null => json!(1),
            };
            m.insert(key.clone(), new);
            format!("retype {key}")
        }
        4 => {
            m.insert(key.clone(), Value::Null);
            format!("null {key}")
        }
        5 => {
            let ts: Vec<String> = m
                .iter()
                .filter(|(_, v)| is_timestamp_like(v))
                .map(|(k, _)| k.clone())
                .collect();
            if ts.is_empty() {
                m.insert("severity".into(), "high".into());
                "reserved severity".into()
            } else {
                let k = r.pick(&ts).clone();
                let s = m[&k].as_str().unwrap_or_default().to_string();
                let bad = match r.below(8) {
                    0 => format!("{}13{}", &s[..5], &s[7..]),
                    1 => format!("{}-02-30{}", &s[..4], &s[10..]),
                    2 => format!("{}23:59:60Z", &s[..11]),
                    3 => s.replacen('Z', "+00:00", 1),
                    4 => s.to_lowercase(),
                    5 => s[..10].to_string(),
                    6 => format!("{}:00Z", &s[..16]),
                    _ => format!("{}T24{}", &s[..10], &s[13..]),
                };
                m.insert(k.clone(), bad.into());
                format!("timestamp {k}")
            }
        }
        6 => {
            let k = *r.pick(&[
                "confidence",
                "count",
                "number_observed",
                "src_port",
                "latitude",
                "size",
            ]);
            let bad = r
                .pick(&[
                    json!(-1),
                    json!(1_000_000_000),
                    json!(101),
                    json!(70_000),
                    json!(91.5),
                    json!(2.5),
                ])
                .clone();
            m.insert(k.into(), bad);
            format!("number {k}")
        }
        7 => {
            m.insert("labels".into(), json!([]));
            "empty labels".into()
        }
        8 => {
            let id = m
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("x--y")
                .to_string();
            let bad = match r.below(5) {
                0 => id.to_uppercase(),
                1 => id.replacen("--", "-", 1),
                2 => id[..id.len() - 1].to_string(),
                3 => format!("x-other--{}", id.rsplit("--").next().unwrap_or("")),
                _ => {
                    let (t, u) = id.rsplit_once("--").unwrap_or(("x", "y"));
                    let mut u = u.to_string();
                    if u.len() > 14 {
                        u.replace_range(14..15, "1");
                    }
                    format!("{t}--{u}")
                }
            };
            m.insert("id".into(), bad.into());
            "spoil id".into()
        }
        9 => {
            m.insert("x_northland_score".into(), json!(5));
            "custom property".into()
        }
        10 => {
            m.insert("Custom".into(), json!(5));
            "bad property name".into()
        }
        11 => {
            // swap two timestamps, breaking an order when there is one
            let ts: Vec<String> = m
                .iter()
                .filter(|(_, v)| is_timestamp_like(v))
                .map(|(k, _)| k.clone())
                .collect();
            if ts.len() >= 2 {
                let a = m[&ts[0]].clone();
                let b = m[&ts[ts.len() - 1]].clone();
                m.insert(ts[0].clone(), b);
                m.insert(ts[ts.len() - 1].clone(), a);
                format!("swap {} {}", ts[0], ts[ts.len() - 1])
            } else {
                m.insert("spec_version".into(), "3.0".into());
                "spec_version 3.0".into()
            }
        }
        12 => {
            let vocab: &[(&str, Value)] = &[
                ("indicator_types", json!(["evil"])),
                ("identity_class", json!("clan")),
                ("sectors", json!(["elections"])),
                ("malware_types", json!(["nasty"])),
                ("threat_actor_types", json!(["troll"])),
                ("infrastructure_types", json!(["bulletproof"])),
                ("tool_types", json!(["phishing-kit"])),
                ("report_types", json!(["bulletin"])),
                ("context", json!("hunch")),
                ("region", json!("atlantis")),
                ("account_type", json!("mastodon")),
                ("pattern_type", json!("regex")),
            ];
            let (k, val) = r.pick(vocab);
            if m.contains_key(*k) {
                m.insert((*k).into(), val.clone());
                format!("vocab {k}")
            } else {
                m.insert("lang".into(), "english language".into());
                "bad lang".into()
            }
        }
        13 => {
            let value_of = |ty: &str, r: &mut Rng| -> Value {
                match ty {
                    "ipv4-addr" => json!(*r.pick(&[
                        "198.51.100.256",
                        "198.51.100",
                        "01.2.3.4",
                        "198.51.100.0/33",
                        "2001:db8::1"
                    ])),
                    "ipv6-addr" => json!(*r.pick(&[
                        "2001:db8:::1",
                        "198.51.100.3",
                        "2001:db8::/129",
                        "fe80::zz"
                    ])),
                    "domain-name" => json!(*r.pick(&[
                        "bad_name.example",
                        "-lead.example",
                        "a..example",
                        "has space.example"
                    ])),
                    "url" => {
                        json!(*r.pick(&["not a url", "example.com/login", "https://exa mple.com/"]))
                    }
                    "email-addr" => {
                        json!(*r.pick(&["returns.example.com", "a@b", "a b@example.com"]))
                    }
                    "mac-addr" => json!(*r.pick(&[
                        "00:1B:63:84:45:E6",
                        "00-1b-63-84-45-e6",
                        "00:1b:63:84:45"
                    ])),
                    _ => json!(""),
                }
            };
            let ty = m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if m.contains_key("value") {
                let bad = value_of(&ty, r);
                m.insert("value".into(), bad);
                "bad value".into()
            } else if m.contains_key("hashes") {
                m.insert("hashes".into(), json!({"SHA-256": r.hex(63)}));
                "short hash".into()
            } else {
                m.insert("created_by_ref".into(), "identity--not-a-uuid".into());
                "bad created_by_ref".into()
            }
        }
        14 => {
            m.insert(
                "object_marking_refs".into(),
                json!(["marking-definition--x"]),
            );
            "bad marking ref".into()
        }
        15 => {
            m.insert(
                "external_references".into(),
                json!([{"source_name": *r.pick(&["cve", "capec", "northland"])}]),
            );
            "bare external reference".into()
        }
        16 => {
            m.insert("granular_markings".into(), json!([{"selectors": [*r.pick(&["description", "nope", "name", "Bad"])], "marking_ref": TLP1[1]}]));
            "granular marking".into()
        }
        17 => {
            // Only references both validators type-check the same way: created_by_ref,
            // object_marking_refs and SCO references are stricter here (see
            // invalid-cases.jsonl), and so is observed-data's object_refs.
            let ty = m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let refs: Vec<String> = m
                .keys()
                .filter(|k| {
                    matches!(
                        k.as_str(),
                        "sighting_of_ref"
                            | "where_sighted_refs"
                            | "observed_data_refs"
                            | "source_ref"
                            | "target_ref"
                    ) || (k.as_str() == "object_refs" && ty != "observed-data")
                })
                .cloned()
                .collect();
            if refs.is_empty() {
                m.insert(
                    "kill_chain_phases".into(),
                    json!([{"kill_chain_name": "Kill Chain", "phase_name": "x"}]),
                );
                "kill chain".into()
            } else {
                let k = r.pick(&refs).clone();
                let target = *r.pick(&[
                    "relationship--6ba6d9a6-3f4b-4c1b-8a47-0a0f2c3e4d5f",
                    "bundle--6611af14-fa12-4fbf-b3f3-1d04f3122421",
                    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                    "identity--5d218fc4-f7e8-4fad-8205-e9d4d02834ae",
                ]);
                let val = if k.ends_with("_refs") {
                    json!([target])
                } else {
                    json!(target)
                };
                m.insert(k.clone(), val);
                format!("retarget {k}")
            }
        }
        18 if m.get("type").and_then(Value::as_str) != Some("marking-definition") => {
            m.insert("extensions".into(), json!({"extension-definition--0c3a0b5e-0b8e-4e8a-8f1e-3b7c2d1e0f9a": {"extension_type": "toplevel-property-extension"}}));
            m.insert("x_acme_rank".into(), json!(3));
            "toplevel extension".into()
        }
        _ => {
            // valid noise: reorder by reinserting, or a harmless optional property
            if let Some(v) = m.shift_remove(&key) {
                m.insert(key.clone(), v);
            }
            format!("reorder {key}")
        }
    };
    (what, v)
}
