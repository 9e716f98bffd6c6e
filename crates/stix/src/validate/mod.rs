//! Validation of STIX 2.1 objects.
//!
//! [`validate`] checks one object and, if every rule holds, returns it wrapped in
//! [`Validated`], which nothing else can construct. All problems are collected,
//! not just the first.
//!
//! # Strict and lenient
//!
//! Each finding has a [`Severity`]: MUST rules always fail validation; SHOULD
//! rules fail it in strict mode (the default, matching
//! `stix2_validator --strict --version 2.1`) and are reported as warnings in
//! lenient mode ([`ValidateOptions::strict`]); advice never fails it.
//!
//! # Patterns
//!
//! This crate does not parse STIX patterns (the `pattern` crate, which sits
//! above this one, does). [`validate`] therefore does not check `pattern` when
//! `pattern_type` is `stix`; pass a checker with
//! [`ValidateOptions::with_pattern_checker`] to [`validate_with`] to have it
//! checked.
//!

mod bundle;
mod common;
mod ctx;
mod formats;
mod marking;
mod rules;
mod sco;
mod sdo;

use std::ops::Deref;

use serde_json::{Map, Value};

use crate::error::{Error, Invalid};
use crate::object::{Kind, Object};
use crate::parse::Document;
use ctx::{Ctx, Path, PatternChecker};
use rules::{Prop, apply};

pub use bundle::DocumentReport;

/// A value that passed validation; only this module can build one.
///
/// It dereferences to the inner value and carries the warnings found (SHOULD
/// findings in lenient mode, and advice).
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<T> {
    inner: T,
    warnings: Vec<Error>,
}

impl<T> Validated<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Findings that did not fail validation.
    pub fn warnings(&self) -> &[Error] {
        &self.warnings
    }
}

impl<T> Deref for Validated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> AsRef<T> for Validated<T> {
    fn as_ref(&self) -> &T {
        &self.inner
    }
}

/// A checker of STIX pattern syntax: `Err` carries the message.
/// It may borrow from its caller (`'a`), e.g. to keep what it parsed.
pub type PatternCheck<'a> = dyn Fn(&str) -> Result<(), String> + 'a;

/// How to validate.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct ValidateOptions<'a> {
    /// SHOULD findings fail validation (default: true, as
    /// `stix2_validator --strict`).
    pub strict: bool,
    /// Checks `pattern` when `pattern_type` is `stix`; `Err` carries the message.
    pub pattern_checker: Option<&'a PatternCheck<'a>>,
}

impl Default for ValidateOptions<'_> {
    fn default() -> Self {
        ValidateOptions {
            strict: true,
            pattern_checker: None,
        }
    }
}

impl<'a> ValidateOptions<'a> {
    /// Strict, no pattern checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets the checker of `stix` patterns.
    pub fn with_pattern_checker(mut self, checker: &'a PatternCheck<'a>) -> Self {
        self.pattern_checker = Some(checker);
        self
    }
}

impl std::fmt::Debug for ValidateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateOptions")
            .field("strict", &self.strict)
            .field("pattern_checker", &self.pattern_checker.map(|_| "<fn>"))
            .finish()
    }
}

/// Validates one STIX object in strict mode, without checking `stix` patterns.
///
/// All problems are reported, in [`Invalid`]; SHOULD-level ones count as errors
/// (strict mode). Open vocabularies: a value outside the vocabulary is a SHOULD
/// finding, as in the reference validator, so strict mode refuses it and
/// lenient mode ([`validate_with`]) only warns.
///
/// # Where this differs from stix2-validator 3.3.2 (`--strict --version 2.1`)
///
/// Stricter (we reject, it accepts):
/// * `spec_version` other than `"2.1"` (it accepts `"2.0"` on a lone object);
///   an SDO/SRO without `spec_version` inside a bundle (it treats it as STIX 2.0).
/// * `created_by_ref` that is not an `identity` id; `object_marking_refs` entries
///   that are not `marking-definition` ids.
/// * `sighting_of_ref` to an SCO; `observed-data` `object_refs` to a
///   marking-definition, bundle or meta object; typed SCO references
///   (`from_ref` → email-addr, `src_ref` → address or domain, `resolves_to_refs`,
///   …) outside `observed-data` too; `malware.sample_refs` to anything but
///   file/artifact.
/// * `created` of a marking-definition without millisecond precision.
/// * A granular marking with both `marking_ref` and `lang`.
/// * A well-known TLP 2.0 id without the TLP 2.0 extension of its level.
/// * Negative byte/packet counts, AS numbers outside 0–2^32-1.
/// * Timestamps with more than 9 fractional digits.
///
/// Laxer (we accept, it rejects):
/// * `lang` values that are well-formed RFC 5646 tags but not in the validator's
///   fixed list of ~220 locale codes (e.g. `sr-Latn-RS`).
/// * A granular marking with `lang` and no `marking_ref` (the spec allows it).
/// * `protocols` and `mime_type` values that are spelled right but missing from
///   IANA's registries (the validator ships those registries; we do not).
/// * Non-ASCII domain names are checked approximately (see `formats.rs`).
///
/// SCO ids: a UUIDv5 that is not the deterministic id of the object is only
/// advice (a warning): the validator does not check it, and producers that
/// hash differently (e.g. several hashes) are common.
///
/// ```
/// let v = serde_json::json!({
///     "type": "ipv4-addr", "spec_version": "2.1",
///     "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
///     "value": "198.51.100.3"
/// });
/// let ip = stix::validate(v)?;
/// assert!(ip.is_sco());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate(value: Value) -> Result<Validated<Object>, Invalid> {
    validate_with(value, &ValidateOptions::default())
}

/// Validates one STIX object with the given options.
pub fn validate_with(
    value: Value,
    options: &ValidateOptions<'_>,
) -> Result<Validated<Object>, Invalid> {
    let map = match value {
        Value::Object(map) => map,
        other => {
            let mut ctx = new_ctx(None, options);
            ctx.expected(&Path::ROOT, "a STIX object (a JSON object)", &other);
            return Err(Invalid { errors: ctx.errors });
        }
    };
    let (kind, errors, warnings) = {
        let id = map.get("id").and_then(Value::as_str);
        let mut ctx = new_ctx(id, options);
        let kind = check_object(&mut ctx, &map);
        (kind, ctx.errors, ctx.warnings)
    };
    if errors.is_empty() {
        Ok(Validated {
            inner: Object::new(map, kind),
            warnings,
        })
    } else {
        Err(Invalid { errors })
    }
}

/// Validates every object of a parsed document, and the bundle itself when it is
/// one.
pub fn validate_document(document: Document, options: &ValidateOptions<'_>) -> DocumentReport {
    bundle::validate_document(document, options)
}

fn new_ctx<'o>(id: Option<&'o str>, options: &ValidateOptions<'o>) -> Ctx<'o> {
    let pattern_checker: Option<PatternChecker<'o>> = options.pattern_checker;
    Ctx {
        id,
        strict: options.strict,
        pattern_checker,
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

/// A rule involving several properties of one object.
pub(crate) type CrossCheck = fn(&mut Ctx<'_>, &Map<String, Value>);

/// The rules of one object type.
pub(crate) struct TypeSpec {
    #[allow(dead_code)]
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) props: &'static [Prop],
    pub(crate) check: Option<CrossCheck>,
}

pub(crate) fn spec_for(ty: &str) -> Option<&'static TypeSpec> {
    Some(match ty {
        "attack-pattern" => &sdo::ATTACK_PATTERN,
        "campaign" => &sdo::CAMPAIGN,
        "course-of-action" => &sdo::COURSE_OF_ACTION,
        "grouping" => &sdo::GROUPING,
        "identity" => &sdo::IDENTITY,
        "incident" => &sdo::INCIDENT,
        "indicator" => &sdo::INDICATOR,
        "infrastructure" => &sdo::INFRASTRUCTURE,
        "intrusion-set" => &sdo::INTRUSION_SET,
        "location" => &sdo::LOCATION,
        "malware" => &sdo::MALWARE,
        "malware-analysis" => &sdo::MALWARE_ANALYSIS,
        "note" => &sdo::NOTE,
        "observed-data" => &sdo::OBSERVED_DATA,
        "opinion" => &sdo::OPINION,
        "report" => &sdo::REPORT,
        "threat-actor" => &sdo::THREAT_ACTOR,
        "tool" => &sdo::TOOL,
        "vulnerability" => &sdo::VULNERABILITY,
        "relationship" => &sdo::RELATIONSHIP,
        "sighting" => &sdo::SIGHTING,
        "language-content" => &sdo::LANGUAGE_CONTENT,
        "extension-definition" => &sdo::EXTENSION_DEFINITION,
        "marking-definition" => &marking::MARKING_DEFINITION,
        "artifact" => &sco::ARTIFACT,
        "autonomous-system" => &sco::AUTONOMOUS_SYSTEM,
        "directory" => &sco::DIRECTORY,
        "domain-name" => &sco::DOMAIN_NAME,
        "email-addr" => &sco::EMAIL_ADDR,
        "email-message" => &sco::EMAIL_MESSAGE,
        "file" => &sco::FILE,
        "ipv4-addr" => &sco::IPV4_ADDR,
        "ipv6-addr" => &sco::IPV6_ADDR,
        "mac-addr" => &sco::MAC_ADDR,
        "mutex" => &sco::MUTEX,
        "network-traffic" => &sco::NETWORK_TRAFFIC,
        "process" => &sco::PROCESS,
        "software" => &sco::SOFTWARE,
        "url" => &sco::URL,
        "user-account" => &sco::USER_ACCOUNT,
        "windows-registry-key" => &sco::WINDOWS_REGISTRY_KEY,
        "x509-certificate" => &sco::X509_CERTIFICATE,
        _ => return None,
    })
}

/// The category of an object of type `ty`; custom types are SDOs when they have
/// `created`/`modified`, SCOs otherwise.
pub(crate) fn kind_of(ty: &str, has_created: bool) -> Kind {
    match spec_for(ty) {
        Some(spec) => spec.kind,
        None if has_created => Kind::Sdo,
        None => Kind::Sco,
    }
}

/// SCO types whose contributing properties are all optional: without any of
/// them the id must be a UUIDv4.
const V4_UNLESS_CONTRIBUTING: &[&str] = &[
    "artifact",
    "email-message",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// Dictionaries inside SCOs whose keys may have upper case.
const DICT_KEY_EXCEPTIONS: &[&str] = &[
    "hashes",
    "file_header_hashes",
    "request_header",
    "additional_header_fields",
    "document_info_dict",
    "exif_tags",
    "ipfix",
    "options",
    "environment_variables",
    "key",
    "startup_info",
];

fn check_object(ctx: &mut Ctx<'_>, map: &Map<String, Value>) -> Kind {
    let root = Path::ROOT;
    let ty = match map.get("type") {
        Some(Value::String(s)) => {
            if !formats::is_type_name(s) {
                ctx.expected(
                    &root.key("type"),
                    "a type name: 3-250 of a-z, 0-9 and single hyphens, starting with a letter",
                    &map["type"],
                );
            } else if s == "action" {
                ctx.not_allowed(&root.key("type"), "reserved object type");
            } else if s == "bundle" {
                ctx.not_allowed(
                    &root.key("type"),
                    "a bundle is not a STIX object: validate it with validate_document",
                );
            }
            s.as_str()
        }
        Some(other) => {
            ctx.expected(&root.key("type"), "a type name (string)", other);
            ""
        }
        None => {
            ctx.missing(&root.key("type"), "a type name");
            ""
        }
    };
    let spec = spec_for(ty);
    let has_created = map.contains_key("created") || map.contains_key("modified");
    let kind = kind_of(ty, has_created);
    let uuid = common::id(ctx, map, ty);
    common::spec_version(ctx, map, kind != Kind::Sco);
    let ext_use = common::extension_use(map);

    for (name, v) in map {
        let p = root.key(name);
        if !common::generic_property(ctx, &p, name, v) {
            continue;
        }
        match name.as_str() {
            "granular_markings" => {
                common::granular_markings(ctx, &p, v, map);
                continue;
            }
            "extensions" => {
                let predefined =
                    |c: &mut Ctx<'_>, p: &Path<'_>, n: &str, body: &Map<String, Value>| {
                        sco::predefined_extension(c, p, ty, n, body)
                    };
                let allow_ext_names = kind == Kind::Sco;
                let has_predefined =
                    matches!(ty, "file" | "network-traffic" | "process" | "user-account");
                common::extensions(
                    ctx,
                    &p,
                    v,
                    allow_ext_names,
                    &predefined,
                    ext_use.property,
                    has_predefined,
                );
                continue;
            }
            _ => {}
        }
        if let Some(rule) = common::common_rule(kind, name) {
            apply(ctx, &p, rule, v);
            continue;
        }
        if name == "lang" && kind == Kind::Sco {
            // Not an SCO property (a custom one, below), but its value must
            // still be a language tag: the reference validator refuses any other.
            common::lang(ctx, &p, v);
        }
        let Some(spec) = spec else { continue }; // custom object types own their properties
        match spec.props.iter().find(|x| x.name == name) {
            Some(prop) => apply(ctx, &p, prop.rule, v),
            None if ext_use.toplevel_property => {}
            None => ctx.should_not(
                "custom-property",
                &p,
                format!("not a property of {ty}; custom properties should be declared with a toplevel-property-extension"),
            ),
        }
    }

    if matches!(kind, Kind::Sdo | Kind::Sro | Kind::Meta | Kind::Marking)
        && !map.contains_key("created")
    {
        ctx.missing(
            &root.key("created"),
            "a STIX timestamp with millisecond precision",
        );
    }
    if matches!(kind, Kind::Sdo | Kind::Sro | Kind::Meta) && !map.contains_key("modified") {
        ctx.missing(
            &root.key("modified"),
            "a STIX timestamp with millisecond precision",
        );
    }
    if matches!(kind, Kind::Sdo | Kind::Sro | Kind::Meta) {
        common::order(ctx, map, "modified", "created", false);
    }
    if let Some(spec) = spec {
        for prop in spec.props.iter().filter(|p| p.required) {
            if !map.contains_key(prop.name) {
                ctx.missing(&root.key(prop.name), required_expected(prop));
            }
        }
        if let Some(check) = spec.check {
            check(ctx, map);
        }
    } else if !ty.is_empty() && !ext_use.new_object {
        ctx.should_not(
            "custom-object-type",
            &root.key("type"),
            format!("{ty} is not a STIX 2.1 type; custom object types should be declared with an extension-definition (new-sdo, new-sco or new-sro)"),
        );
    }
    if let Some(uuid) = uuid {
        uuid_rules(ctx, map, ty, kind, spec.is_some(), uuid);
    }
    if kind == Kind::Sco && spec.is_some() {
        sco_dictionary_keys(ctx, &root, map);
    }
    kind
}

fn required_expected(prop: &Prop) -> &'static str {
    use rules::Rule;
    match prop.rule {
        Rule::Str => "a string",
        Rule::Bool => "a boolean",
        Rule::Timestamp => rules::TIMESTAMP_EXPECTED,
        Rule::Int(..) => "an integer",
        Rule::RefList(_) => "a non-empty list of identifiers",
        Rule::Ref(_) => "an identifier",
        Rule::Vocab(..) => "a vocabulary value",
        Rule::StrList | Rule::VocabList(..) => "a non-empty list of strings",
        _ => "a value",
    }
}

fn uuid_rules(
    ctx: &mut Ctx<'_>,
    map: &Map<String, Value>,
    ty: &str,
    kind: Kind,
    known: bool,
    uuid: uuid::Uuid,
) {
    let root = Path::ROOT;
    let p = root.key("id");
    let version = uuid.get_version_num();
    let Some(id_value) = map.get("id") else {
        return;
    };
    if kind != Kind::Sco || !known {
        if version != 4 {
            ctx.should_expected("uuid-check", &p, "an identifier with a UUIDv4", id_value);
        }
        return;
    }
    if ty == "process" {
        if version != 4 {
            ctx.expected(
                &p,
                "an identifier with a UUIDv4 (process ids are never deterministic)",
                id_value,
            );
        }
        return;
    }
    let contributing = crate::id::contributing_properties(ty).unwrap_or(&[]);
    let has_contributing = contributing.iter().any(|k| map.contains_key(*k));
    if V4_UNLESS_CONTRIBUTING.contains(&ty) && !has_contributing && version != 4 {
        ctx.expected(
            &p,
            "an identifier with a UUIDv4 (no ID-contributing property is present)",
            id_value,
        );
        return;
    }
    if version != 5 {
        ctx.should_expected(
            "uuid-check",
            &p,
            "an identifier with a deterministic UUIDv5 (STIX 2.1 section 2.9)",
            id_value,
        );
        return;
    }
    if let Some(want) = crate::id::deterministic_id_of(map)
        && id_value
            .as_str()
            .is_some_and(|got| !got.eq_ignore_ascii_case(&want))
    {
        ctx.report_check(
            crate::error::Severity::Advice,
            Some("deterministic-id"),
            &p,
            crate::error::ErrorKind::Expected {
                expected: format!("the deterministic id {want}").into(),
                got: ctx::show(id_value),
            },
        );
    }
}

/// SCO dictionary keys should be lower case (the validator's
/// observable-dictionary-keys), except in dictionaries whose keys are names
/// defined elsewhere (hashes, HTTP headers, …).
fn sco_dictionary_keys(ctx: &mut Ctx<'_>, path: &Path<'_>, m: &Map<String, Value>) {
    for (k, v) in m {
        if k.is_empty() || k.bytes().any(|c| c.is_ascii_uppercase()) {
            ctx.should_not(
                "observable-dictionary-keys",
                &path.key(k),
                "dictionary keys in SCOs should be lower case",
            );
        }
        if let Value::Object(inner) = v
            && !DICT_KEY_EXCEPTIONS.contains(&k.as_str())
        {
            sco_dictionary_keys(ctx, &path.key(k), inner);
        }
    }
}

#[cfg(test)]
mod tests;
