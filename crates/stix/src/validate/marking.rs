//! `marking-definition` (STIX 2.1 section 7.2): statement and TLP 1.0 markings,
//! and markings defined through extensions, TLP 2.0 among them.

use serde_json::{Map, Value};

use super::TypeSpec;
use super::ctx::{Ctx, Path};
use super::rules::{Prop, Rule, opt};
use crate::object::Kind;
use crate::tlp::{TLP1_CREATED, TLP2_EXTENSION_ID, Tlp};

pub(crate) static MARKING_DEFINITION: TypeSpec = TypeSpec {
    name: "marking-definition",
    kind: Kind::Marking,
    props: MARKING_PROPS,
    check: Some(marking_definition),
};

const MARKING_PROPS: &[Prop] = &[
    opt("name", Rule::Str),
    opt("definition_type", Rule::With(definition_type)),
    opt("definition", Rule::Any), // depends on definition_type: checked below
];

fn definition_type(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    match v.as_str() {
        Some("statement" | "tlp") => {}
        Some(_) => ctx.should_expected(
            "extensions-use",
            path,
            "statement or tlp (custom marking types should be defined with an extension)",
            v,
        ),
        None => ctx.expected(path, "a string", v),
    }
}

fn marking_definition(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let root = Path::ROOT;
    let id = m.get("id").and_then(Value::as_str).unwrap_or("");
    let has_extensions = m.contains_key("extensions");
    let def_type = m.get("definition_type").and_then(Value::as_str);

    if let Some(colour) = Tlp::v1_colour_of(id) {
        tlp1(ctx, m, colour);
        return;
    }
    if let Some(level) = Tlp::v2_of(id) {
        tlp2_well_known(ctx, m, level);
    }

    match (m.get("definition_type"), m.get("definition")) {
        (None, None) if !has_extensions => {
            ctx.missing(
                &root.key("definition_type"),
                "definition_type and definition (or an extension that defines the marking)",
            );
        }
        (Some(_), None) => ctx.missing(
            &root.key("definition"),
            "a definition for the definition_type",
        ),
        (None, Some(_)) => ctx.missing(
            &root.key("definition_type"),
            "a definition_type for the definition",
        ),
        _ => {}
    }
    let def_path = root.key("definition");
    match (def_type, m.get("definition")) {
        (Some("statement"), Some(def)) => match def.get("statement") {
            Some(Value::String(_)) => {}
            Some(other) => ctx.expected(&def_path.key("statement"), "a string", other),
            None if def.is_object() => ctx.missing(&def_path.key("statement"), "the statement (a string)"),
            None => ctx.expected(&def_path, "a statement definition {\"statement\": …}", def),
        },
        (Some("tlp"), Some(_)) => ctx.not_allowed(
            &root.key("id"),
            "TLP 1.0 markings are predefined: definition_type tlp is only allowed under their four ids",
        ),
        (_, Some(def)) if !def.is_object() => ctx.expected(&def_path, "a JSON object", def),
        _ => {}
    }

    if let Some(Value::Object(exts)) = m.get("extensions") {
        if let Some(ext) = exts.get(TLP2_EXTENSION_ID) {
            let p = root.key("extensions");
            let p = p.key(TLP2_EXTENSION_ID);
            tlp2_extension(ctx, &p, ext);
        }
    } else if def_type.is_some_and(|t| t != "statement" && t != "tlp") {
        // The reference validator's SHOULD (extensions-use).
        ctx.should_not(
            "extensions-use",
            &root.key("definition_type"),
            "custom marking definitions should use an extension",
        );
    }

    self_references(ctx, m, id);
}

/// The predefined TLP 1.0 object, exactly.
fn tlp1(ctx: &mut Ctx<'_>, m: &Map<String, Value>, colour: &str) {
    let root = Path::ROOT;
    let want_name = format!("TLP:{}", colour.to_ascii_uppercase());
    let wanted: [(&str, Value); 6] = [
        ("type", Value::from("marking-definition")),
        ("spec_version", Value::from("2.1")),
        ("created", Value::from(TLP1_CREATED)),
        ("name", Value::from(want_name.as_str())),
        ("definition_type", Value::from("tlp")),
        ("definition", serde_json::json!({ "tlp": colour })),
    ];
    for (k, want) in &wanted {
        match m.get(*k) {
            Some(v) if v == want => {}
            Some(v) => ctx.expected(
                &root.key(k),
                format!(
                    "{want} (this id is the predefined TLP:{} marking)",
                    colour.to_ascii_uppercase()
                ),
                v,
            ),
            None => ctx.missing(
                &root.key(k),
                format!("{want} (this id is the predefined TLP 1.0 marking)"),
            ),
        }
    }
    for k in m.keys() {
        if k != "id" && !wanted.iter().any(|(w, _)| w == k) {
            ctx.not_allowed(
                &root.key(k),
                "the predefined TLP 1.0 markings have no other properties",
            );
        }
    }
}

/// The five TLP 2.0 marking-definitions OASIS publishes: a marking that reuses
/// one of their ids must carry the TLP 2.0 extension with that id's level, or
/// `effective_tlp` (which trusts the well-known ids) would be fooled.
fn tlp2_well_known(ctx: &mut Ctx<'_>, m: &Map<String, Value>, level: Tlp) {
    let root = Path::ROOT;
    let ext = m.get("extensions").and_then(|e| e.get(TLP2_EXTENSION_ID));
    match ext.and_then(|e| e.get("tlp_2_0")) {
        Some(v) if v.as_str() == Some(level.v2_name()) => {}
        Some(v) => {
            let p = root.key("extensions");
            let p = p.key(TLP2_EXTENSION_ID);
            ctx.expected(
                &p.key("tlp_2_0"),
                format!(
                    "\"{}\" (this id is the published {} marking)",
                    level.v2_name(),
                    level.label()
                ),
                v,
            );
        }
        None => ctx.missing(
            &root.key("extensions"),
            format!(
                "the TLP 2.0 extension with tlp_2_0 \"{}\" (this id is the published {} marking)",
                level.v2_name(),
                level.label()
            ),
        ),
    }
}

/// The TLP 2.0 property extension: `extension_type` property-extension and a
/// `tlp_2_0` level.
fn tlp2_extension(ctx: &mut Ctx<'_>, p: &Path<'_>, ext: &Value) {
    let Some(e) = ext.as_object() else { return };
    match e.get("extension_type").and_then(Value::as_str) {
        Some("property-extension") | None => {}
        Some(_) => ctx.expected(
            &p.key("extension_type"),
            "property-extension (the TLP 2.0 extension's type)",
            &e["extension_type"],
        ),
    }
    match e.get("tlp_2_0") {
        Some(Value::String(s)) if Tlp::from_v2_name(s).is_some() => {}
        Some(other) => ctx.expected(
            &p.key("tlp_2_0"),
            "a TLP 2.0 level: clear, green, amber, amber+strict or red",
            other,
        ),
        None => ctx.missing(
            &p.key("tlp_2_0"),
            "a TLP 2.0 level: clear, green, amber, amber+strict or red",
        ),
    }
}

fn self_references(ctx: &mut Ctx<'_>, m: &Map<String, Value>, id: &str) {
    let root = Path::ROOT;
    if let Some(Value::Array(refs)) = m.get("object_marking_refs") {
        for (i, r) in refs.iter().enumerate() {
            if r.as_str() == Some(id) {
                let p = root.key("object_marking_refs");
                ctx.not_allowed(&p.index(i), "a marking-definition must not mark itself");
            }
        }
    }
}
