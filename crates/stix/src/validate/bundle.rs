//! Documents: arrays and bundles, validated object by object, plus the rules of
//! the bundle itself.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::ctx::{Ctx, Path};
use super::{ValidateOptions, Validated, new_ctx, validate_with};
use crate::error::{Error, Invalid};
use crate::id::split_id;
use crate::object::Object;
use crate::parse::Document;

/// The outcome of [`crate::validate_document`].
#[derive(Debug)]
pub struct DocumentReport {
    /// Problems with the bundle itself (its id, extra properties, duplicate
    /// versions among its objects). Empty for a single object or an array.
    pub bundle_errors: Vec<Error>,
    /// Warnings about the bundle itself.
    pub bundle_warnings: Vec<Error>,
    /// One result per object, in document order.
    pub objects: Vec<Result<Validated<Object>, Invalid>>,
}

impl DocumentReport {
    /// True when the bundle and every object are valid.
    pub fn is_valid(&self) -> bool {
        self.bundle_errors.is_empty() && self.objects.iter().all(Result::is_ok)
    }

    /// Every error, bundle-level first.
    pub fn errors(&self) -> impl Iterator<Item = &Error> {
        self.bundle_errors.iter().chain(
            self.objects
                .iter()
                .filter_map(|r| r.as_ref().err())
                .flat_map(Invalid::errors),
        )
    }
}

pub(super) fn validate_document(
    document: Document,
    options: &ValidateOptions<'_>,
) -> DocumentReport {
    match document {
        Document::Object(v) => DocumentReport {
            bundle_errors: Vec::new(),
            bundle_warnings: Vec::new(),
            objects: vec![validate_with(v, options)],
        },
        Document::Array(items) => DocumentReport {
            bundle_errors: Vec::new(),
            bundle_warnings: Vec::new(),
            objects: items
                .into_iter()
                .map(|v| validate_with(v, options))
                .collect(),
        },
        Document::Bundle { bundle, objects } => {
            let (bundle_errors, bundle_warnings) = check_bundle(&bundle, &objects, options);
            DocumentReport {
                bundle_errors,
                bundle_warnings,
                objects: objects
                    .into_iter()
                    .map(|v| validate_with(v, options))
                    .collect(),
            }
        }
    }
}

/// A STIX 2.1 bundle: `type`, `id` (`bundle--<UUIDv4>`) and `objects`, nothing
/// else (in particular no `spec_version`, which 2.0 bundles had), and no two
/// objects with the same id and `modified`.
fn check_bundle(
    bundle: &Map<String, Value>,
    objects: &[Value],
    options: &ValidateOptions<'_>,
) -> (Vec<Error>, Vec<Error>) {
    let id = bundle.get("id").and_then(Value::as_str);
    let mut ctx: Ctx<'_> = new_ctx(id, options);
    let root = Path::ROOT;
    match bundle.get("id") {
        Some(Value::String(s)) => match split_id(s) {
            Some(("bundle", uuid)) => {
                if uuid.get_version_num() != 4 {
                    ctx.should_expected(
                        "uuid-check",
                        &root.key("id"),
                        "bundle--<UUIDv4>",
                        &bundle["id"],
                    );
                }
            }
            _ => ctx.expected(&root.key("id"), "bundle--<UUID>", &bundle["id"]),
        },
        Some(other) => ctx.expected(&root.key("id"), "bundle--<UUID>", other),
        None => ctx.missing(&root.key("id"), "bundle--<UUID>"),
    }
    for (k, v) in bundle {
        match k.as_str() {
            "type" | "id" => {}
            "objects" => ctx.expected(&root.key("objects"), "a list of STIX objects", v),
            "spec_version" => ctx.should_not(
                "bundle-properties",
                &root.key(k),
                "STIX 2.1 bundles have no spec_version (each object has its own)",
            ),
            _ => ctx.should_not(
                "bundle-properties",
                &root.key(k),
                "not a property of bundle",
            ),
        }
    }
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        let (Some(oid), Some(modified)) = (
            o.get("id").and_then(Value::as_str),
            o.get("modified").and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(first) = seen.insert((oid, modified), i) {
            let p = root.key("objects");
            ctx.should_not("duplicate-ids", &p.index(i), format!("same id and modified as objects[{first}] ({oid}); a new version needs a new modified"));
        }
    }
    (ctx.errors, ctx.warnings)
}
