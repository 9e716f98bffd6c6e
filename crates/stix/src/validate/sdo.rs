//! STIX Domain Objects, Relationship Objects and meta objects: their properties
//! and cross-property rules.

use serde_json::{Map, Value};

use super::TypeSpec;
use super::common::order;
use super::ctx::{Ctx, Path};
use super::rules::{Refs, Rule, opt, req};
use crate::error::ErrorKind;
use crate::error::Severity;
use crate::id::split_id;
use crate::object::Kind;
use crate::vocab::{self, *};

const TS: Rule = Rule::Timestamp;
const STR: Rule = Rule::Str;
const LIST: Rule = Rule::StrList;
const KCP: Rule = Rule::KillChainPhases;
const ANY_REFS: Rule = Rule::RefList(Refs::Any);
const COUNT: Rule = Rule::Int(0, 999_999_999);
/// What an SRO may not point at.
const NOT_SRO_TARGETS: &[&str] = &[
    "relationship",
    "sighting",
    "bundle",
    "marking-definition",
    "language-content",
];

macro_rules! spec {
    ($name:literal, $kind:expr, [$($prop:expr),* $(,)?], $check:expr) => {
        TypeSpec { name: $name, kind: $kind, props: &[$($prop),*], check: $check }
    };
}

pub(crate) static ATTACK_PATTERN: TypeSpec = spec!(
    "attack-pattern",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt("aliases", LIST),
        opt("kill_chain_phases", KCP)
    ],
    None
);

pub(crate) static CAMPAIGN: TypeSpec = spec!(
    "campaign",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt("aliases", LIST),
        opt("first_seen", TS),
        opt("last_seen", TS),
        opt("objective", STR),
    ],
    Some(seen_order)
);

pub(crate) static COURSE_OF_ACTION: TypeSpec = spec!(
    "course-of-action",
    Kind::Sdo,
    [req("name", STR), opt("description", STR)],
    None
);

pub(crate) static GROUPING: TypeSpec = spec!(
    "grouping",
    Kind::Sdo,
    [
        opt("name", STR),
        opt("description", STR),
        req(
            "context",
            Rule::Vocab("grouping-context-ov", GROUPING_CONTEXT)
        ),
        req("object_refs", ANY_REFS),
    ],
    None
);

pub(crate) static IDENTITY: TypeSpec = spec!(
    "identity",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt("roles", LIST),
        opt(
            "identity_class",
            Rule::Vocab("identity-class-ov", IDENTITY_CLASS)
        ),
        opt(
            "sectors",
            Rule::VocabList("industry-sector-ov", INDUSTRY_SECTOR)
        ),
        opt("contact_information", STR),
    ],
    None
);

pub(crate) static INCIDENT: TypeSpec = spec!(
    "incident",
    Kind::Sdo,
    [req("name", STR), opt("description", STR)],
    None
);

pub(crate) static INDICATOR: TypeSpec = spec!(
    "indicator",
    Kind::Sdo,
    [
        opt("name", STR),
        opt("description", STR),
        opt(
            "indicator_types",
            Rule::VocabList("indicator-type-ov", INDICATOR_TYPE)
        ),
        req("pattern", STR),
        req("pattern_type", Rule::Vocab("pattern-type-ov", PATTERN_TYPE)),
        opt("pattern_version", STR),
        req("valid_from", TS),
        opt("valid_until", TS),
        opt("kill_chain_phases", KCP),
    ],
    Some(indicator)
);

pub(crate) static INFRASTRUCTURE: TypeSpec = spec!(
    "infrastructure",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt(
            "infrastructure_types",
            Rule::VocabList("infrastructure-type-ov", INFRASTRUCTURE_TYPE)
        ),
        opt("aliases", LIST),
        opt("kill_chain_phases", KCP),
        opt("first_seen", TS),
        opt("last_seen", TS),
    ],
    Some(seen_order)
);

pub(crate) static INTRUSION_SET: TypeSpec = spec!(
    "intrusion-set",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt("aliases", LIST),
        opt("first_seen", TS),
        opt("last_seen", TS),
        opt("goals", LIST),
        opt(
            "resource_level",
            Rule::Vocab("attack-resource-level-ov", ATTACK_RESOURCE_LEVEL)
        ),
        opt(
            "primary_motivation",
            Rule::Vocab("attack-motivation-ov", ATTACK_MOTIVATION)
        ),
        opt(
            "secondary_motivations",
            Rule::VocabList("attack-motivation-ov", ATTACK_MOTIVATION)
        ),
    ],
    Some(seen_order)
);

pub(crate) static LOCATION: TypeSpec = spec!(
    "location",
    Kind::Sdo,
    [
        opt("name", STR),
        opt("description", STR),
        opt("latitude", Rule::Num(-90.0, 90.0)),
        opt("longitude", Rule::Num(-180.0, 180.0)),
        opt("precision", Rule::Num(0.0, f64::MAX)),
        opt("region", Rule::Vocab("region-ov", REGION)),
        opt("country", Rule::With(country)),
        opt("administrative_area", STR),
        opt("city", STR),
        opt("street_address", STR),
        opt("postal_code", STR),
    ],
    Some(location)
);

pub(crate) static MALWARE: TypeSpec = spec!(
    "malware",
    Kind::Sdo,
    [
        opt("name", STR),
        opt("description", STR),
        opt(
            "malware_types",
            Rule::VocabList("malware-type-ov", MALWARE_TYPE)
        ),
        req("is_family", Rule::Bool),
        opt("aliases", LIST),
        opt("kill_chain_phases", KCP),
        opt("first_seen", TS),
        opt("last_seen", TS),
        opt(
            "operating_system_refs",
            Rule::RefList(Refs::To(&["software"]))
        ),
        opt(
            "architecture_execution_envs",
            Rule::VocabList("processor-architecture-ov", PROCESSOR_ARCHITECTURE)
        ),
        opt(
            "implementation_languages",
            Rule::VocabList("implementation-language-ov", IMPLEMENTATION_LANGUAGE)
        ),
        opt(
            "capabilities",
            Rule::VocabList("malware-capabilities-ov", MALWARE_CAPABILITIES)
        ),
        opt(
            "sample_refs",
            Rule::RefList(Refs::To(&["file", "artifact"]))
        ),
    ],
    Some(malware)
);

pub(crate) static MALWARE_ANALYSIS: TypeSpec = spec!(
    "malware-analysis",
    Kind::Sdo,
    [
        req("product", STR),
        opt("version", STR),
        opt("host_vm_ref", Rule::Ref(Refs::To(&["software"]))),
        opt("operating_system_ref", Rule::Ref(Refs::To(&["software"]))),
        opt(
            "installed_software_refs",
            Rule::RefList(Refs::To(&["software"]))
        ),
        opt("configuration_version", STR),
        opt("modules", LIST),
        opt("analysis_engine_version", STR),
        opt("analysis_definition_version", STR),
        opt("submitted", TS),
        opt("analysis_started", TS),
        opt("analysis_ended", TS),
        opt("result_name", STR),
        opt("result", Rule::Vocab("malware-result-ov", MALWARE_RESULT)),
        opt("analysis_sco_refs", Rule::RefList(Refs::ScoOrSro)),
        opt(
            "sample_ref",
            Rule::Ref(Refs::To(&["file", "network-traffic", "artifact"]))
        ),
    ],
    Some(malware_analysis)
);

pub(crate) static NOTE: TypeSpec = spec!(
    "note",
    Kind::Sdo,
    [
        opt("abstract", STR),
        req("content", STR),
        opt("authors", LIST),
        req("object_refs", ANY_REFS)
    ],
    None
);

pub(crate) static OBSERVED_DATA: TypeSpec = spec!(
    "observed-data",
    Kind::Sdo,
    [
        req("first_observed", TS),
        req("last_observed", TS),
        req("number_observed", Rule::Int(1, 999_999_999)),
        opt("objects", Rule::With(deprecated_objects)),
        opt("object_refs", Rule::RefList(Refs::ScoOrSro)),
    ],
    Some(observed_data)
);

pub(crate) static OPINION: TypeSpec = spec!(
    "opinion",
    Kind::Sdo,
    [
        opt("explanation", STR),
        opt("authors", LIST),
        req("opinion", Rule::With(opinion_value)),
        req("object_refs", ANY_REFS),
    ],
    None
);

pub(crate) static REPORT: TypeSpec = spec!(
    "report",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt(
            "report_types",
            Rule::VocabList("report-type-ov", REPORT_TYPE)
        ),
        req("published", TS),
        req("object_refs", ANY_REFS),
    ],
    None
);

pub(crate) static THREAT_ACTOR: TypeSpec = spec!(
    "threat-actor",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt(
            "threat_actor_types",
            Rule::VocabList("threat-actor-type-ov", THREAT_ACTOR_TYPE)
        ),
        opt("aliases", LIST),
        opt("first_seen", TS),
        opt("last_seen", TS),
        opt(
            "roles",
            Rule::VocabList("threat-actor-role-ov", THREAT_ACTOR_ROLE)
        ),
        opt("goals", LIST),
        opt(
            "sophistication",
            Rule::Vocab(
                "threat-actor-sophistication-ov",
                THREAT_ACTOR_SOPHISTICATION
            )
        ),
        opt(
            "resource_level",
            Rule::Vocab("attack-resource-level-ov", ATTACK_RESOURCE_LEVEL)
        ),
        opt(
            "primary_motivation",
            Rule::Vocab("attack-motivation-ov", ATTACK_MOTIVATION)
        ),
        opt(
            "secondary_motivations",
            Rule::VocabList("attack-motivation-ov", ATTACK_MOTIVATION)
        ),
        opt(
            "personal_motivations",
            Rule::VocabList("attack-motivation-ov", ATTACK_MOTIVATION)
        ),
    ],
    Some(seen_order)
);

pub(crate) static TOOL: TypeSpec = spec!(
    "tool",
    Kind::Sdo,
    [
        req("name", STR),
        opt("description", STR),
        opt("tool_types", Rule::VocabList("tool-type-ov", TOOL_TYPE)),
        opt("aliases", LIST),
        opt("kill_chain_phases", KCP),
        opt("tool_version", STR),
    ],
    None
);

pub(crate) static VULNERABILITY: TypeSpec = spec!(
    "vulnerability",
    Kind::Sdo,
    [req("name", STR), opt("description", STR)],
    None
);

pub(crate) static RELATIONSHIP: TypeSpec = spec!(
    "relationship",
    Kind::Sro,
    [
        req("relationship_type", Rule::With(relationship_type)),
        opt("description", STR),
        req("source_ref", Rule::Ref(Refs::NotTo(NOT_SRO_TARGETS))),
        req("target_ref", Rule::Ref(Refs::NotTo(NOT_SRO_TARGETS))),
        opt("start_time", TS),
        opt("stop_time", TS),
    ],
    Some(relationship)
);

pub(crate) static SIGHTING: TypeSpec = spec!(
    "sighting",
    Kind::Sro,
    [
        opt("description", STR),
        opt("first_seen", TS),
        opt("last_seen", TS),
        opt("count", COUNT),
        req("sighting_of_ref", Rule::Ref(Refs::Sdo)),
        opt(
            "observed_data_refs",
            Rule::RefList(Refs::To(&["observed-data"]))
        ),
        opt(
            "where_sighted_refs",
            Rule::RefList(Refs::To(&["identity", "location"]))
        ),
        opt("summary", Rule::Bool),
    ],
    Some(seen_order)
);

pub(crate) static LANGUAGE_CONTENT: TypeSpec = spec!(
    "language-content",
    Kind::Meta,
    [
        req("object_ref", Rule::Ref(Refs::Any)),
        opt("object_modified", TS),
        req("contents", Rule::Dict)
    ],
    None
);

pub(crate) static EXTENSION_DEFINITION: TypeSpec = spec!(
    "extension-definition",
    Kind::Meta,
    [
        req("name", STR),
        opt("description", STR),
        req("schema", STR),
        req("version", STR),
        req("extension_types", Rule::With(extension_types)),
        opt("extension_properties", LIST),
    ],
    Some(extension_definition)
);

/// `extension_properties` names the properties a `toplevel-property-extension`
/// adds, and MUST NOT be used by any other kind (STIX 2.1 section 7.3).
fn extension_definition(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let toplevel = m
        .get("extension_types")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types
                .iter()
                .any(|t| t.as_str() == Some("toplevel-property-extension"))
        });
    if m.contains_key("extension_properties") && !toplevel {
        ctx.not_allowed(
            &Path::ROOT.key("extension_properties"),
            "only a toplevel-property-extension has extension_properties; add it to extension_types or drop extension_properties",
        );
    }
}

fn seen_order(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    order(ctx, m, "last_seen", "first_seen", false);
}

fn indicator(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    order(ctx, m, "valid_until", "valid_from", true);
    let root = Path::ROOT;
    // The reference validator's SHOULD (indicator-properties).
    for name in ["name", "description"] {
        if !m.contains_key(name) {
            ctx.should_missing(
                "indicator-properties",
                &root.key(name),
                "a name and a description (an indicator should have both)",
            );
        }
    }
    if m.get("pattern_type").and_then(Value::as_str) == Some("stix")
        && let (Some(checker), Some(pattern)) = (
            ctx.pattern_checker,
            m.get("pattern").and_then(Value::as_str),
        )
        && let Err(message) = checker(pattern)
    {
        ctx.report(
            Severity::Must,
            &root.key("pattern"),
            ErrorKind::Pattern { message },
        );
    }
}

fn location(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let root = Path::ROOT;
    let (lat, lon) = (m.contains_key("latitude"), m.contains_key("longitude"));
    if lat != lon {
        let missing = if lat { "longitude" } else { "latitude" };
        ctx.missing(&root.key(missing), "latitude and longitude together");
    }
    if !(m.contains_key("region") || m.contains_key("country") || (lat && lon)) {
        ctx.missing(&root, "region, country, or latitude and longitude");
    }
    if m.contains_key("precision") && !(lat && lon) {
        ctx.not_allowed(
            &root.key("precision"),
            "precision needs latitude and longitude",
        );
    }
}

fn country(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_str() {
        Some(s) => {
            let upper = s.to_ascii_uppercase();
            if !vocab::COUNTRY_CODES.contains(&upper.as_str()) {
                ctx.should_expected(
                    "country-code",
                    path,
                    "an ISO 3166-1 alpha-2 country code",
                    v,
                );
            }
        }
        None => ctx.expected(path, "a string", v),
    }
}

fn malware(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    seen_order(ctx, m);
    if m.get("is_family") == Some(&Value::Bool(true)) && !m.contains_key("name") {
        let root = Path::ROOT;
        ctx.missing(
            &root.key("name"),
            "a name (required when is_family is true)",
        );
    }
}

fn malware_analysis(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    if !(m.contains_key("result") || m.contains_key("analysis_sco_refs")) {
        ctx.missing(&Path::ROOT, "result or analysis_sco_refs");
    }
}

fn deprecated_objects(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_object() {
        Some(m) if !m.is_empty() => {
            for (k, o) in m {
                if o.get("type").and_then(Value::as_str).is_none() {
                    ctx.missing(
                        &path.key(k).key("type"),
                        "a type for each observable object",
                    );
                }
            }
        }
        _ => ctx.expected(path, "a non-empty dictionary of observable objects", v),
    }
    ctx.should_not(
        "deprecated-property",
        path,
        "objects is deprecated in STIX 2.1; use object_refs",
    );
}

fn observed_data(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    order(ctx, m, "last_observed", "first_observed", false);
    let root = Path::ROOT;
    match (m.contains_key("objects"), m.contains_key("object_refs")) {
        (true, true) => ctx.not_allowed(
            &root.key("objects"),
            "objects and object_refs exclude each other",
        ),
        (false, false) => ctx.missing(
            &root.key("object_refs"),
            "a non-empty list of SCO/SRO identifiers",
        ),
        _ => {}
    }
}

const OPINIONS: &[&str] = &[
    "strongly-disagree",
    "disagree",
    "neutral",
    "agree",
    "strongly-agree",
];

fn opinion_value(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(|s| OPINIONS.contains(&s)) {
        ctx.expected(
            path,
            "one of strongly-disagree, disagree, neutral, agree, strongly-agree",
            v,
        );
    }
}

fn relationship_type(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_str() {
        Some(s)
            if !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') => {}
        _ => ctx.expected(
            path,
            "a relationship type of a-z, 0-9 and hyphens (e.g. indicates)",
            v,
        ),
    }
}

fn relationship(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    order(ctx, m, "stop_time", "start_time", true);
    let (Some(rel), Some(src), Some(dst)) = (
        m.get("relationship_type").and_then(Value::as_str),
        m.get("source_ref")
            .and_then(Value::as_str)
            .and_then(split_id),
        m.get("target_ref")
            .and_then(Value::as_str)
            .and_then(split_id),
    ) else {
        return;
    };
    let (src, dst) = (src.0, dst.0);
    let generic = |t: &str| {
        matches!(
            t,
            "bundle"
                | "language-content"
                | "marking-definition"
                | "sighting"
                | "relationship"
                | "extension-definition"
        )
    };
    if vocab::COMMON_RELATIONSHIPS.contains(&rel) || generic(src) || generic(dst) {
        return;
    }
    // The reference validator's SHOULD (relationship-types): only relationships
    // the spec defines between STIX types (custom types included, as there).
    if !vocab::is_relationship_source(src) {
        let msg = format!(
            "STIX 2.1 defines no relationship from {src} other than derived-from, duplicate-of and related-to"
        );
        ctx.should_not("relationship-types", &Path::ROOT.key("source_ref"), msg);
        return;
    }
    let root = Path::ROOT;
    if !vocab::has_relationship(src, rel) {
        ctx.should_not(
            "relationship-types",
            &root.key("relationship_type"),
            format!("STIX 2.1 defines no {rel} relationship from {src}"),
        );
    } else if !vocab::is_suggested_relationship(src, rel, dst) {
        ctx.should_not(
            "relationship-types",
            &root.key("target_ref"),
            format!("STIX 2.1 defines no {src} {rel} {dst} relationship"),
        );
    }
}

const EXTENSION_TYPE_VALUES: &[&str] = &[
    "new-sdo",
    "new-sco",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
];

fn extension_types(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_array().filter(|a| !a.is_empty()) {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                if !item
                    .as_str()
                    .is_some_and(|s| EXTENSION_TYPE_VALUES.contains(&s))
                {
                    ctx.expected(&path.index(i), "an extension type (new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension)", item);
                }
            }
        }
        None => ctx.expected(path, "a non-empty list of extension types", v),
    }
}
