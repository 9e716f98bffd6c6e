//! Common properties (STIX 2.1 section 3.2): the rules every object follows
//! whatever its type, and the property-name rules for custom properties.

use serde_json::{Map, Value};

use super::ctx::{Ctx, Path};
use super::formats;
use super::rules::{self, Refs, Rule, apply, generic_value};
use crate::id::split_id;
use crate::object::Kind;
use crate::timestamp::Timestamp;
use crate::vocab;

/// The rule for a common property of objects of `kind`, or `None` when `name` is
/// not a common property there.
pub(crate) fn common_rule(kind: Kind, name: &str) -> Option<Rule> {
    let sdo_like = matches!(kind, Kind::Sdo | Kind::Sro | Kind::Meta);
    Some(match name {
        // type, id and spec_version are checked before the property loop.
        "type" | "id" | "spec_version" => Rule::Any,
        "object_marking_refs" => Rule::With(object_marking_refs),
        "granular_markings" => Rule::Any, // needs the whole object: checked afterwards
        "extensions" => Rule::Any,        // idem
        "created_by_ref" if kind != Kind::Sco => Rule::Ref(Refs::To(&["identity"])),
        "created" if kind != Kind::Sco => Rule::With(millis_timestamp),
        "modified" if sdo_like => Rule::With(millis_timestamp),
        "revoked" if sdo_like => Rule::Bool,
        "labels" if sdo_like => Rule::StrList,
        "confidence" if sdo_like => Rule::Int(0, 100),
        "lang" if kind != Kind::Sco => Rule::With(lang),
        "external_references" if kind != Kind::Sco => Rule::With(external_references),
        "defanged" if kind == Kind::Sco => Rule::Bool,
        _ => return None,
    })
}

/// `created` / `modified`: a timestamp with at least millisecond precision.
fn millis_timestamp(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if let Some(t) = rules::timestamp(ctx, path, v)
        && !t.has_millisecond_precision()
    {
        ctx.expected(
            path,
            "a STIX timestamp with at least millisecond precision (YYYY-MM-DDTHH:MM:SS.sssZ)",
            v,
        );
    }
}

pub(crate) fn lang(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_str() {
        Some(s) if formats::is_language_tag(s) => {}
        _ => ctx.expected(path, "an RFC 5646 language tag (e.g. en, fr-CA)", v),
    }
}

fn object_marking_refs(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    apply(
        ctx,
        path,
        Rule::RefList(Refs::To(&["marking-definition"])),
        v,
    );
}

fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|c| c.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|c| c.is_ascii_digit())
        && (num.starts_with('0') == (num.len() == 4) || !num.starts_with('0'))
}

fn is_capec_id(s: &str) -> bool {
    s.strip_prefix("CAPEC-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

/// `external_references`: a non-empty list of references, each with a
/// `source_name` and at least one of `description`, `url`, `external_id`; `cve`
/// and `capec` sources with ids of their form (and such ids only under those
/// sources, as the reference schemas require).
fn external_references(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        ctx.expected(path, "a non-empty list of external references", v);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let Some(m) = item.as_object() else {
            ctx.expected(&p, "an external reference (a JSON object)", item);
            continue;
        };
        external_reference(ctx, &p, m);
    }
}

fn external_reference(ctx: &mut Ctx<'_>, p: &Path<'_>, m: &Map<String, Value>) {
    let source = match m.get("source_name") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            ctx.expected(&p.key("source_name"), "a string", other);
            None
        }
        None => {
            ctx.missing(&p.key("source_name"), "a source_name (string)");
            None
        }
    };
    let external_id = match m.get("external_id") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            ctx.expected(&p.key("external_id"), "a string", other);
            None
        }
        None => None,
    };
    if let Some(d) = m.get("description")
        && !d.is_string()
    {
        ctx.expected(&p.key("description"), "a string", d);
    }
    if let Some(u) = m.get("url") {
        match u.as_str() {
            Some(s) if formats::is_uri(s) => {}
            _ => ctx.expected(&p.key("url"), "an absolute URI (RFC 3986)", u),
        }
    }
    if let Some(h) = m.get("hashes") {
        extref_hashes(ctx, &p.key("hashes"), h);
    } else if m.contains_key("url") {
        // The reference validator's SHOULD (extref-hashes).
        ctx.should_missing(
            "extref-hashes",
            &p.key("hashes"),
            "hashes of the content at url (an external reference with a url should have them)",
        );
    }
    match (source, external_id) {
        (Some("cve"), Some(id)) if !is_cve_id(id) => ctx.expected(
            &p.key("external_id"),
            "a CVE id (CVE-YYYY-NNNN) for source cve",
            &m["external_id"],
        ),
        (Some("capec"), Some(id)) if !is_capec_id(id) => ctx.expected(
            &p.key("external_id"),
            "a CAPEC id (CAPEC-N) for source capec",
            &m["external_id"],
        ),
        (Some("cve" | "capec"), None) => ctx.missing(
            &p.key("external_id"),
            "an external_id (required for cve and capec sources)",
        ),
        (Some("cve" | "capec"), Some(_)) => {}
        (Some(_), Some(id)) if is_cve_id(id) || is_capec_id(id) => ctx.not_allowed(
            &p.key("external_id"),
            "CVE and CAPEC ids belong under source_name \"cve\" / \"capec\"",
        ),
        _ => {
            if source.is_some()
                && !(m.contains_key("description")
                    || m.contains_key("url")
                    || m.contains_key("external_id"))
            {
                ctx.missing(p, "description, url or external_id besides source_name");
            }
        }
    }
}

fn extref_hashes(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(m) = v.as_object() else {
        ctx.expected(path, "a dictionary of hashes", v);
        return;
    };
    for algo in m.keys() {
        if !vocab::HASH_ALGORITHM.contains(&algo.as_str()) {
            ctx.not_allowed(
                &path.key(algo),
                "external reference hashes use hash-algorithm-ov names (MD5, SHA-1, SHA-256, …)",
            );
        }
    }
    rules::hashes(ctx, path, v);
}

/// `granular_markings`: each with `selectors` that resolve inside the object,
/// and exactly one of `marking_ref` or `lang`.
pub(crate) fn granular_markings(
    ctx: &mut Ctx<'_>,
    path: &Path<'_>,
    v: &Value,
    object: &Map<String, Value>,
) {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        ctx.expected(path, "a non-empty list of granular markings", v);
        return;
    };
    let self_id = object.get("id").and_then(Value::as_str);
    let is_marking = object.get("type").and_then(Value::as_str) == Some("marking-definition");
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let Some(m) = item.as_object() else {
            ctx.expected(&p, "a granular marking (a JSON object)", item);
            continue;
        };
        match (m.get("marking_ref"), m.get("lang")) {
            (Some(r), None) => {
                apply(
                    ctx,
                    &p.key("marking_ref"),
                    Rule::Ref(Refs::To(&["marking-definition"])),
                    r,
                );
                if is_marking && r.as_str() == self_id {
                    ctx.not_allowed(
                        &p.key("marking_ref"),
                        "a marking-definition must not mark itself",
                    );
                }
            }
            (None, Some(l)) => lang(ctx, &p.key("lang"), l),
            (Some(_), Some(_)) => ctx.not_allowed(&p, "marking_ref and lang exclude each other"),
            (None, None) => ctx.missing(&p.key("marking_ref"), "a marking_ref (or a lang)"),
        }
        match m.get("selectors") {
            Some(Value::Array(sel)) if !sel.is_empty() => {
                for (j, s) in sel.iter().enumerate() {
                    let sp = p.key("selectors");
                    let sp = sp.index(j);
                    match s.as_str() {
                        Some(text) if formats::is_selector_syntax(text) => {
                            if !selector_resolves(object, text) {
                                ctx.expected(
                                    &sp,
                                    "a selector naming a property present in this object",
                                    s,
                                );
                            }
                        }
                        _ => ctx.expected(
                            &sp,
                            "a selector (property names and [index] joined by dots)",
                            s,
                        ),
                    }
                }
            }
            Some(other) => {
                ctx.expected(&p.key("selectors"), "a non-empty list of selectors", other)
            }
            None => ctx.missing(&p.key("selectors"), "a non-empty list of selectors"),
        }
    }
}

fn selector_resolves(object: &Map<String, Value>, selector: &str) -> bool {
    let mut parts = selector.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut cur) = object.get(first) else {
        return false;
    };
    for part in parts {
        let next = if let Some(idx) = part.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            match (cur, idx.parse::<usize>()) {
                (Value::Array(a), Ok(i)) => a.get(i),
                _ => None,
            }
        } else {
            cur.as_object().and_then(|m| m.get(part))
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    true
}

/// Validates a predefined `*-ext` extension; false when the name is unknown.
pub(crate) type PredefinedExtension<'a> =
    dyn Fn(&mut Ctx<'_>, &Path<'_>, &str, &Map<String, Value>) -> bool + 'a;

/// Extension types declared by the object's `extensions`.
#[derive(Default, Clone, Copy)]
pub(crate) struct ExtensionUse {
    pub(crate) toplevel_property: bool,
    pub(crate) property: bool,
    pub(crate) new_object: bool,
}

pub(crate) fn extension_use(object: &Map<String, Value>) -> ExtensionUse {
    let mut u = ExtensionUse::default();
    if let Some(Value::Object(exts)) = object.get("extensions") {
        for ext in exts.values() {
            match ext.get("extension_type").and_then(Value::as_str) {
                Some("toplevel-property-extension") => u.toplevel_property = true,
                Some("property-extension") => u.property = true,
                Some("new-sdo" | "new-sco" | "new-sro") => u.new_object = true,
                _ => {}
            }
        }
    }
    u
}

const EXTENSION_TYPES: &[&str] = &[
    "new-sdo",
    "new-sco",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
];

/// `extensions`: keys are `extension-definition--<uuid>` (values declare an
/// `extension_type`) or, on SCOs and SDOs, predefined `*-ext` names.
/// `predefined` validates a `*-ext` entry and returns false when the name is not
/// one it knows.
pub(crate) fn extensions(
    ctx: &mut Ctx<'_>,
    path: &Path<'_>,
    v: &Value,
    allow_ext_names: bool,
    predefined: &PredefinedExtension<'_>,
    property_extension_present: bool,
    sco_with_predefined_extensions: bool,
) {
    let Some(exts) = v.as_object().filter(|m| !m.is_empty()) else {
        ctx.expected(path, "a non-empty dictionary of extensions", v);
        return;
    };
    for (key, ext) in exts {
        let p = path.key(key);
        let Some(body) = ext.as_object().filter(|m| !m.is_empty()) else {
            ctx.expected(&p, "an extension (a non-empty JSON object)", ext);
            continue;
        };
        if let Some(uuid) = key.strip_prefix("extension-definition--") {
            if crate::id::parse_uuid(uuid).is_none() {
                ctx.not_allowed(
                    &p,
                    "extension-definition ids are extension-definition--<UUID>",
                );
            }
            match body.get("extension_type") {
                Some(Value::String(t)) if EXTENSION_TYPES.contains(&t.as_str()) => {}
                Some(other) => ctx.expected(&p.key("extension_type"), "one of new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension", other),
                None => ctx.missing(&p.key("extension_type"), "an extension_type"),
            }
            property_members(ctx, &p, body);
            if sco_with_predefined_extensions && !property_extension_present {
                // The reference validator's SHOULD (extensions-use) for SCO types
                // that have predefined extensions (file, network-traffic, process,
                // user-account): any other extension needs a property-extension.
                ctx.should_not("extensions-use", &p, "on this SCO type, extensions other than the predefined ones should come with a property-extension");
            }
        } else if allow_ext_names && is_ext_name(key) {
            if !predefined(ctx, &p, key, body) {
                property_members(ctx, &p, body);
                if !property_extension_present {
                    ctx.should_not("extensions-use", &p, "custom extensions should be defined with an extension-definition (property-extension)");
                }
            }
        } else {
            ctx.not_allowed(
                &p,
                "extension keys are extension-definition--<UUID> or predefined *-ext names",
            );
        }
    }
}

fn is_ext_name(key: &str) -> bool {
    key.strip_suffix("-ext").is_some_and(|stem| {
        stem.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
            && stem.split('-').all(|seg| {
                !seg.is_empty()
                    && seg
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    })
}

/// The generic rules on the members of an object-like value whose members are
/// properties (an object's top level, an extension): names, reserved names, no
/// null, no empty list, `_hex` and `_bin` suffixes.
pub(crate) fn property_members(ctx: &mut Ctx<'_>, path: &Path<'_>, m: &Map<String, Value>) {
    for (name, v) in m {
        generic_property(ctx, &path.key(name), name, v);
    }
}

/// Checks a property's name and the generic value rules; false when it is not
/// worth checking further.
pub(crate) fn generic_property(ctx: &mut Ctx<'_>, path: &Path<'_>, name: &str, v: &Value) -> bool {
    if !formats::is_property_name(name) {
        ctx.not_allowed(
            path,
            "property names are 3-250 characters of a-z, 0-9 and _, starting with a letter",
        );
        return false;
    }
    if vocab::RESERVED_PROPERTIES.contains(&name) {
        ctx.not_allowed(path, "reserved property name");
        return false;
    }
    if !generic_value(ctx, path, v) {
        return false;
    }
    if name.ends_with("_hex") {
        if !v.as_str().is_some_and(formats::is_hex) {
            ctx.expected(path, "a hex string (properties ending in _hex hold hex)", v);
            return false;
        }
    } else if name.ends_with("_bin") && !v.as_str().is_some_and(formats::is_base64) {
        ctx.expected(path, "base64 (properties ending in _bin hold base64)", v);
        return false;
    }
    true
}

/// `spec_version`: `"2.1"`.
pub(crate) fn spec_version(ctx: &mut Ctx<'_>, object: &Map<String, Value>, required: bool) {
    let p = Path::ROOT;
    let p = p.key("spec_version");
    match object.get("spec_version") {
        Some(Value::String(s)) if s == "2.1" => {}
        Some(other) => ctx.expected(&p, "\"2.1\"", other),
        None if required => ctx.missing(&p, "\"2.1\""),
        None => {}
    }
}

/// `id`: `<type>--<UUID>`, the type matching `type`.
pub(crate) fn id(ctx: &mut Ctx<'_>, object: &Map<String, Value>, ty: &str) -> Option<uuid::Uuid> {
    let root = Path::ROOT;
    let p = root.key("id");
    match object.get("id") {
        Some(Value::String(s)) => match split_id(s) {
            Some((t, u)) if t == ty || ty.is_empty() => Some(u),
            Some(_) => {
                ctx.expected(
                    &p,
                    format!("an identifier starting with {ty}--"),
                    &object["id"],
                );
                None
            }
            None => {
                ctx.expected(
                    &p,
                    "an identifier (type--UUID, RFC 4122 UUID of version 1-5)",
                    &object["id"],
                );
                None
            }
        },
        Some(other) => {
            ctx.expected(&p, "an identifier (string)", other);
            None
        }
        None => {
            ctx.missing(&p, "an identifier (type--UUID)");
            None
        }
    }
}

/// `modified >= created`, and the type-specific orderings.
pub(crate) fn order(
    ctx: &mut Ctx<'_>,
    object: &Map<String, Value>,
    later: &str,
    earlier: &str,
    strictly: bool,
) {
    let (Some(a), Some(b)) = (object.get(later), object.get(earlier)) else {
        return;
    };
    let (Some(ta), Some(tb)) = (
        a.as_str().and_then(|s| Timestamp::parse(s).ok()),
        b.as_str().and_then(|s| Timestamp::parse(s).ok()),
    ) else {
        return;
    };
    let bad = if strictly { ta <= tb } else { ta < tb };
    if bad {
        let root = Path::ROOT;
        let rel = if strictly {
            "later than"
        } else {
            "later than or equal to"
        };
        ctx.expected(
            &root.key(later),
            format!("a time {rel} {earlier} ({tb})"),
            a,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        for ok in [
            "CVE-2024-1234",
            "CVE-2024-0001",
            "CVE-2021-44228",
            "CVE-1999-12345678",
        ] {
            assert!(is_cve_id(ok), "{ok}");
        }
        for bad in [
            "CVE-2024-123",
            "CVE-24-1234",
            "cve-2024-1234",
            "CVE-2024-01234",
            "CVE-2024-12a4",
        ] {
            assert!(!is_cve_id(bad), "{bad}");
        }
        assert!(is_capec_id("CAPEC-98") && !is_capec_id("CAPEC-") && !is_capec_id("CAPEC-x"));
    }
}
