//! Table tests: one valid object per type, then one defect per line.

use serde_json::{Value, json};

use super::*;

const ID: &str = "identity--5d218fc4-f7e8-4fad-8205-e9d4d02834ae";
const TLP_GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";

fn indicator() -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3",
        "created_by_ref": ID,
        "created": "2024-10-01T09:15:00.000Z", "modified": "2024-10-01T09:15:00.000Z",
        "name": "Phishing domain", "description": "Look-alike of the voter portal",
        "indicator_types": ["malicious-activity"],
        "pattern": "[domain-name:value = 'voter-registration-check.example']",
        "pattern_type": "stix", "pattern_version": "2.1",
        "valid_from": "2024-10-01T09:15:00Z", "valid_until": "2025-01-31T00:00:00Z",
        "confidence": 80, "labels": ["election"], "lang": "en",
        "external_references": [{"source_name": "northland-csirt", "external_id": "NL-2024-17"}],
        "object_marking_refs": [TLP_GREEN],
        "granular_markings": [{"selectors": ["description"], "marking_ref": TLP_GREEN}],
        "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]
    })
}

fn ipv4() -> Value {
    json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4", "value": "198.51.100.3"})
}

fn sighting() -> Value {
    json!({
        "type": "sighting", "spec_version": "2.1",
        "id": "sighting--994fbe45-5a10-4716-bccc-8655c2d03647",
        "created": "2024-10-03T16:40:12.345Z", "modified": "2024-10-03T16:40:12.345Z",
        "sighting_of_ref": "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3",
        "where_sighted_refs": [ID], "first_seen": "2024-10-02T07:58:00Z", "last_seen": "2024-10-03T15:02:00Z",
        "count": 14
    })
}

fn with(mut v: Value, key: &str, new: Value) -> Value {
    v[key] = new;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().shift_remove(key);
    v
}

macro_rules! accepts {
    ($name:ident, $v:expr) => {
        #[test]
        fn $name() {
            if let Err(e) = validate($v) {
                panic!("{e}");
            }
        }
    };
}

/// `$path` is the path of the first error; `$contains` a piece of its text.
macro_rules! rejects {
    ($name:ident, $v:expr, $path:expr, $contains:expr) => {
        #[test]
        fn $name() {
            let e = validate($v).expect_err("should be invalid");
            assert!(
                e.errors()
                    .iter()
                    .any(|x| x.path() == $path && x.to_string().contains($contains)),
                "no error at {} containing {:?} in\n{e}",
                $path,
                $contains
            );
        }
    };
}

accepts!(indicator_ok, indicator());
accepts!(ipv4_ok, ipv4());
accepts!(sighting_ok, sighting());
accepts!(ipv4_without_spec_version, without(ipv4(), "spec_version"));
accepts!(
    confidence_as_float,
    with(indicator(), "confidence", json!(80.0))
);

rejects!(
    bad_valid_from,
    with(indicator(), "valid_from", json!("2024-13-01T00:00:00Z")),
    "$.valid_from",
    "month out of range"
);
rejects!(
    created_without_millis,
    with(indicator(), "created", json!("2024-10-01T09:15:00Z")),
    "$.created",
    "millisecond"
);
rejects!(
    modified_before_created,
    with(indicator(), "modified", json!("2024-09-01T09:15:00.000Z")),
    "$.modified",
    "later than or equal to created"
);
rejects!(
    valid_until_not_after,
    with(indicator(), "valid_until", json!("2024-10-01T09:15:00Z")),
    "$.valid_until",
    "later than valid_from"
);
rejects!(
    no_pattern_type,
    without(indicator(), "pattern_type"),
    "$.pattern_type",
    "missing"
);
rejects!(
    no_spec_version,
    without(indicator(), "spec_version"),
    "$.spec_version",
    "missing"
);
rejects!(
    spec_version_20,
    with(indicator(), "spec_version", json!("2.0")),
    "$.spec_version",
    "\"2.1\""
);
rejects!(
    confidence_101,
    with(indicator(), "confidence", json!(101)),
    "$.confidence",
    "between 0 and 100"
);
rejects!(
    confidence_string,
    with(indicator(), "confidence", json!("80")),
    "$.confidence",
    "integer"
);
rejects!(
    empty_labels,
    with(indicator(), "labels", json!([])),
    "$.labels",
    "non-empty"
);
rejects!(
    revoked_string,
    with(indicator(), "revoked", json!("true")),
    "$.revoked",
    "boolean"
);
rejects!(
    bad_lang,
    with(indicator(), "lang", json!("en_US")),
    "$.lang",
    "RFC 5646"
);
rejects!(
    reserved_name,
    with(indicator(), "severity", json!("high")),
    "$.severity",
    "reserved"
);
rejects!(
    upper_property,
    with(indicator(), "X_Custom", json!("x")),
    "$.X_Custom",
    "property names"
);
rejects!(
    custom_property_strict,
    with(indicator(), "x_northland_score", json!(3)),
    "$.x_northland_score",
    "toplevel-property-extension"
);
rejects!(
    null_value,
    with(indicator(), "name", Value::Null),
    "$.name",
    "null"
);
rejects!(
    upper_type_in_id,
    with(
        indicator(),
        "id",
        json!("Indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3")
    ),
    "$.id",
    "identifier"
);
rejects!(
    wrong_id_prefix,
    with(
        indicator(),
        "id",
        json!("malware--9a676219-ef05-46fe-a603-ebebd9e5f2b3")
    ),
    "$.id",
    "indicator--"
);
rejects!(
    not_uuid,
    with(indicator(), "id", json!("indicator--1234")),
    "$.id",
    "identifier"
);
rejects!(
    created_by_not_identity,
    with(
        indicator(),
        "created_by_ref",
        json!("indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3")
    ),
    "$.created_by_ref",
    "identity"
);
rejects!(
    marking_ref_not_marking,
    with(indicator(), "object_marking_refs", json!([ID])),
    "$.object_marking_refs[0]",
    "marking-definition"
);
rejects!(
    extref_source_only,
    with(
        indicator(),
        "external_references",
        json!([{"source_name": "x"}])
    ),
    "$.external_references[0]",
    "description, url or external_id"
);
rejects!(
    extref_cve_without_id,
    with(
        indicator(),
        "external_references",
        json!([{"source_name": "cve", "description": "d"}])
    ),
    "$.external_references[0].external_id",
    "cve and capec"
);
rejects!(
    extref_url_not_uri,
    with(
        indicator(),
        "external_references",
        json!([{"source_name": "x", "url": "not a url", "hashes": {"SHA-256": "aa".repeat(32)}}])
    ),
    "$.external_references[0].url",
    "URI"
);
rejects!(
    extref_url_without_hashes,
    with(
        indicator(),
        "external_references",
        json!([{"source_name": "x", "url": "https://example.com/r"}])
    ),
    "$.external_references[0].hashes",
    "hashes"
);
rejects!(
    bad_selector,
    with(
        indicator(),
        "granular_markings",
        json!([{"selectors": ["nope"], "marking_ref": TLP_GREEN}])
    ),
    "$.granular_markings[0].selectors[0]",
    "present in this object"
);
rejects!(
    unknown_indicator_type,
    with(indicator(), "indicator_types", json!(["evil"])),
    "$.indicator_types[0]",
    "indicator-type-ov"
);
rejects!(
    kill_chain_upper,
    with(
        indicator(),
        "kill_chain_phases",
        json!([{"kill_chain_name": "Kill", "phase_name": "x"}])
    ),
    "$.kill_chain_phases[0].kill_chain_name",
    "lower case"
);
rejects!(
    indicator_without_description,
    without(indicator(), "description"),
    "$.description",
    "description"
);
rejects!(
    ipv4_bad_value,
    with(ipv4(), "value", json!("198.51.100.300")),
    "$.value",
    "IPv4"
);
rejects!(
    ipv4_with_labels,
    with(ipv4(), "labels", json!(["x"])),
    "$.labels",
    "not a property of ipv4-addr"
);
rejects!(
    ipv4_v4_id,
    with(
        ipv4(),
        "id",
        json!("ipv4-addr--9a676219-ef05-46fe-a603-ebebd9e5f2b3")
    ),
    "$.id",
    "UUIDv5"
);
rejects!(
    sighting_count_too_big,
    with(sighting(), "count", json!(1_000_000_000)),
    "$.count",
    "999999999"
);
rejects!(
    sighting_where_not_identity,
    with(
        sighting(),
        "where_sighted_refs",
        json!(["indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3"])
    ),
    "$.where_sighted_refs[0]",
    "identity or location"
);
rejects!(
    sighting_of_sco,
    with(
        sighting(),
        "sighting_of_ref",
        json!("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")
    ),
    "$.sighting_of_ref",
    "SDO"
);
rejects!(not_an_object, json!([1]), "$", "JSON object");
rejects!(no_type, without(ipv4(), "type"), "$.type", "missing");

#[test]
fn every_problem_is_reported() {
    let v = with(
        with(
            with(indicator(), "confidence", json!(-1)),
            "lang",
            json!("??"),
        ),
        "valid_from",
        json!("x"),
    );
    let e = validate(v).unwrap_err();
    let paths: Vec<&str> = e.errors().iter().map(Error::path).collect();
    for want in ["$.confidence", "$.lang", "$.valid_from"] {
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }
    assert_eq!(
        e.id(),
        Some("indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3")
    );
}

#[test]
fn lenient_mode_keeps_should_findings_as_warnings() {
    let v = with(indicator(), "indicator_types", json!(["evil"]));
    let ok = validate_with(v, &ValidateOptions::new().strict(false)).unwrap();
    assert_eq!(ok.warnings().len(), 1);
    assert_eq!(ok.warnings()[0].severity(), crate::Severity::Should);
}

#[test]
fn pattern_checker_is_used_for_stix_patterns_only() {
    let checker = |p: &str| {
        if p.starts_with('[') {
            Ok(())
        } else {
            Err(format!("unexpected {p:?}"))
        }
    };
    let opts = ValidateOptions::new().with_pattern_checker(&checker);
    assert!(validate_with(indicator(), &opts).is_ok());
    let bad = with(indicator(), "pattern", json!("domain-name:value = 'x'"));
    let e = validate_with(bad.clone(), &opts).unwrap_err();
    assert!(
        e.to_string().contains("expected a valid STIX pattern"),
        "{e}"
    );
    assert!(
        validate(bad.clone()).is_ok(),
        "no checker, no pattern check"
    );
    let yara = with(
        with(bad, "pattern_type", json!("yara")),
        "pattern",
        json!("rule x { condition: true }"),
    );
    assert!(validate_with(yara, &opts).is_ok());
}

#[test]
fn deterministic_id_mismatch_is_only_advice() {
    let v = with(
        ipv4(),
        "id",
        json!("ipv4-addr--9ddd739e-87b1-587d-83f2-62ef1130af2f"),
    );
    let ok = validate(v).unwrap();
    assert_eq!(ok.warnings().len(), 1);
    assert_eq!(ok.warnings()[0].severity(), crate::Severity::Advice);
}

#[test]
fn tlp1_content_is_checked() {
    let good = json!({
        "type": "marking-definition", "spec_version": "2.1", "id": TLP_GREEN,
        "created": "2017-01-20T00:00:00.000Z", "name": "TLP:GREEN",
        "definition_type": "tlp", "definition": {"tlp": "green"}
    });
    assert!(validate(good.clone()).is_ok());
    let e = validate(with(good.clone(), "definition", json!({"tlp": "red"}))).unwrap_err();
    assert_eq!(e.errors()[0].path(), "$.definition");
    let e = validate(with(
        good,
        "id",
        json!("marking-definition--9a676219-ef05-46fe-a603-ebebd9e5f2b3"),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("predefined"), "{e}");
}

#[test]
fn document_bundle_rules() {
    let bundle = json!({
        "type": "bundle", "id": "bundle--6611af14-fa12-4fbf-b3f3-1d04f3122421", "spec_version": "2.1",
        "objects": [indicator(), indicator(), without(sighting(), "spec_version")]
    });
    let doc = crate::parse(bundle.to_string().as_bytes()).unwrap();
    let report = validate_document(doc, &ValidateOptions::default());
    assert!(!report.is_valid());
    let paths: Vec<&str> = report.bundle_errors.iter().map(Error::path).collect();
    assert_eq!(paths, ["$.spec_version", "$.objects[1]"]);
    assert!(report.objects[0].is_ok() && report.objects[1].is_ok());
    assert!(report.objects[2].is_err(), "member without spec_version");
}
