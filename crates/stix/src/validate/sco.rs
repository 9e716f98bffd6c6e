//! STIX Cyber-observable Objects: their properties, predefined extensions and
//! cross-property rules.

use serde_json::{Map, Value};

use super::TypeSpec;
use super::common::{order, property_members};
use super::ctx::{Ctx, Path};
use super::formats;
use super::rules::{self, Prop, Refs, Rule, apply, opt, req};
use crate::object::Kind;
use crate::vocab::ACCOUNT_TYPE;

const TS: Rule = Rule::Timestamp;
const STR: Rule = Rule::Str;
const LIST: Rule = Rule::StrList;
const NON_NEG: Rule = Rule::Int(0, i64::MAX);
const PORT: Rule = Rule::Int(0, 65_535);

macro_rules! spec {
    ($name:literal, [$($prop:expr),* $(,)?], $check:expr) => {
        TypeSpec { name: $name, kind: Kind::Sco, props: &[$($prop),*], check: $check }
    };
}

pub(crate) static ARTIFACT: TypeSpec = spec!(
    "artifact",
    [
        opt("mime_type", Rule::With(mime_type)),
        opt("payload_bin", Rule::Any), // base64 by the _bin rule
        opt("url", Rule::With(uri)),
        opt("hashes", Rule::Hashes),
        opt("encryption_algorithm", STR),
        opt("decryption_key", STR),
    ],
    Some(artifact)
);

pub(crate) static AUTONOMOUS_SYSTEM: TypeSpec = spec!(
    "autonomous-system",
    [
        req("number", Rule::Int(0, 4_294_967_295)),
        opt("name", STR),
        opt("rir", STR)
    ],
    None
);

pub(crate) static DIRECTORY: TypeSpec = spec!(
    "directory",
    [
        req("path", STR),
        opt("path_enc", Rule::With(charset)),
        opt("ctime", TS),
        opt("mtime", TS),
        opt("atime", TS),
        opt(
            "contains_refs",
            Rule::RefList(Refs::To(&["file", "directory"]))
        ),
    ],
    None
);

pub(crate) static DOMAIN_NAME: TypeSpec = spec!(
    "domain-name",
    [
        req("value", Rule::With(hostname)),
        opt(
            "resolves_to_refs",
            Rule::RefList(Refs::To(&["ipv4-addr", "ipv6-addr", "domain-name"]))
        ),
    ],
    None
);

pub(crate) static EMAIL_ADDR: TypeSpec = spec!(
    "email-addr",
    [
        req("value", Rule::With(email)),
        opt("display_name", STR),
        opt("belongs_to_ref", Rule::Ref(Refs::To(&["user-account"]))),
    ],
    None
);

const EMAIL_ADDR_REFS: Rule = Rule::RefList(Refs::To(&["email-addr"]));

pub(crate) static EMAIL_MESSAGE: TypeSpec = spec!(
    "email-message",
    [
        req("is_multipart", Rule::Bool),
        opt("date", TS),
        opt("content_type", STR),
        opt("from_ref", Rule::Ref(Refs::To(&["email-addr"]))),
        opt("sender_ref", Rule::Ref(Refs::To(&["email-addr"]))),
        opt("to_refs", EMAIL_ADDR_REFS),
        opt("cc_refs", EMAIL_ADDR_REFS),
        opt("bcc_refs", EMAIL_ADDR_REFS),
        opt("message_id", STR),
        opt("subject", STR),
        opt("received_lines", LIST),
        opt("additional_header_fields", Rule::With(header_fields)),
        opt("body", STR),
        opt("body_multipart", Rule::With(body_multipart)),
        opt("raw_email_ref", Rule::Ref(Refs::To(&["artifact"]))),
    ],
    Some(email_message)
);

pub(crate) static FILE: TypeSpec = spec!(
    "file",
    [
        opt("hashes", Rule::Hashes),
        opt("size", NON_NEG),
        opt("name", STR),
        opt("name_enc", Rule::With(charset)),
        opt("magic_number_hex", Rule::Hex),
        opt("mime_type", Rule::With(mime_type)),
        opt("ctime", TS),
        opt("mtime", TS),
        opt("atime", TS),
        opt("parent_directory_ref", Rule::Ref(Refs::To(&["directory"]))),
        opt("contains_refs", Rule::RefList(Refs::ScoOrSro)),
        opt("content_ref", Rule::Ref(Refs::To(&["artifact"]))),
    ],
    Some(file)
);

pub(crate) static IPV4_ADDR: TypeSpec = spec!(
    "ipv4-addr",
    [
        req("value", Rule::With(ipv4)),
        opt("resolves_to_refs", Rule::RefList(Refs::To(&["mac-addr"]))),
        opt(
            "belongs_to_refs",
            Rule::RefList(Refs::To(&["autonomous-system"]))
        ),
    ],
    None
);

pub(crate) static IPV6_ADDR: TypeSpec = spec!(
    "ipv6-addr",
    [
        req("value", Rule::With(ipv6)),
        opt("resolves_to_refs", Rule::RefList(Refs::To(&["mac-addr"]))),
        opt(
            "belongs_to_refs",
            Rule::RefList(Refs::To(&["autonomous-system"]))
        ),
    ],
    None
);

pub(crate) static MAC_ADDR: TypeSpec = spec!("mac-addr", [req("value", Rule::With(mac))], None);

pub(crate) static MUTEX: TypeSpec = spec!("mutex", [req("name", STR)], None);

const ENDPOINT: Rule = Rule::Ref(Refs::To(&[
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "domain-name",
]));

pub(crate) static NETWORK_TRAFFIC: TypeSpec = spec!(
    "network-traffic",
    [
        opt("start", TS),
        opt("end", TS),
        opt("is_active", Rule::Bool),
        opt("src_ref", ENDPOINT),
        opt("dst_ref", ENDPOINT),
        opt("src_port", PORT),
        opt("dst_port", PORT),
        req("protocols", Rule::With(protocols)),
        opt("src_byte_count", NON_NEG),
        opt("dst_byte_count", NON_NEG),
        opt("src_packets", NON_NEG),
        opt("dst_packets", NON_NEG),
        opt("ipfix", Rule::Dict),
        opt("src_payload_ref", Rule::Ref(Refs::To(&["artifact"]))),
        opt("dst_payload_ref", Rule::Ref(Refs::To(&["artifact"]))),
        opt(
            "encapsulates_refs",
            Rule::RefList(Refs::To(&["network-traffic"]))
        ),
        opt(
            "encapsulated_by_ref",
            Rule::Ref(Refs::To(&["network-traffic"]))
        ),
    ],
    Some(network_traffic)
);

pub(crate) static PROCESS: TypeSpec = spec!(
    "process",
    [
        opt("is_hidden", Rule::Bool),
        opt("pid", Rule::Int(i64::MIN, i64::MAX)),
        opt("created_time", TS),
        opt("cwd", STR),
        opt("command_line", STR),
        opt("environment_variables", Rule::Dict),
        opt(
            "opened_connection_refs",
            Rule::RefList(Refs::To(&["network-traffic"]))
        ),
        opt("creator_user_ref", Rule::Ref(Refs::To(&["user-account"]))),
        opt("image_ref", Rule::Ref(Refs::To(&["file"]))),
        opt("parent_ref", Rule::Ref(Refs::To(&["process"]))),
        opt("child_refs", Rule::RefList(Refs::To(&["process"]))),
    ],
    None
);

pub(crate) static SOFTWARE: TypeSpec = spec!(
    "software",
    [
        req("name", STR),
        opt("cpe", STR),
        opt("swid", STR),
        opt("languages", LIST),
        opt("vendor", STR),
        opt("version", STR),
    ],
    None
);

pub(crate) static URL: TypeSpec = spec!("url", [req("value", Rule::With(uri))], None);

pub(crate) static USER_ACCOUNT: TypeSpec = spec!(
    "user-account",
    [
        opt("user_id", STR),
        opt("credential", STR),
        opt("account_login", STR),
        opt("account_type", Rule::Vocab("account-type-ov", ACCOUNT_TYPE)),
        opt("display_name", STR),
        opt("is_service_account", Rule::Bool),
        opt("is_privileged", Rule::Bool),
        opt("can_escalate_privs", Rule::Bool),
        opt("is_disabled", Rule::Bool),
        opt("account_created", TS),
        opt("account_expires", TS),
        opt("credential_last_changed", TS),
        opt("account_first_login", TS),
        opt("account_last_login", TS),
    ],
    Some(at_least_one_property)
);

pub(crate) static WINDOWS_REGISTRY_KEY: TypeSpec = spec!(
    "windows-registry-key",
    [
        opt("key", STR),
        opt("values", Rule::Any),
        opt("modified_time", TS),
        opt("creator_user_ref", Rule::Ref(Refs::To(&["user-account"]))),
        opt("number_of_subkeys", NON_NEG),
    ],
    None
);

pub(crate) static X509_CERTIFICATE: TypeSpec = spec!(
    "x509-certificate",
    [
        opt("is_self_signed", Rule::Bool),
        opt("hashes", Rule::Hashes),
        opt("version", STR),
        opt("serial_number", STR),
        opt("signature_algorithm", STR),
        opt("issuer", STR),
        opt("validity_not_before", TS),
        opt("validity_not_after", TS),
        opt("subject", STR),
        opt("subject_public_key_algorithm", STR),
        opt("subject_public_key_modulus", STR),
        opt("subject_public_key_exponent", Rule::Int(i64::MIN, i64::MAX)),
        opt("x509_v3_extensions", Rule::With(x509_v3_extensions)),
    ],
    Some(at_least_one_property)
);

fn ipv4(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_ipv4_cidr) {
        ctx.expected(
            path,
            "an IPv4 address or CIDR block (198.51.100.3, 198.51.100.0/24)",
            v,
        );
    }
}

fn ipv6(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_ipv6_cidr) {
        ctx.expected(
            path,
            "an IPv6 address or CIDR block (2001:db8::1, 2001:db8::/32)",
            v,
        );
    }
}

fn mac(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_mac) {
        ctx.expected(
            path,
            "a MAC address of lower-case hex pairs joined by colons (00:1b:63:84:45:e6)",
            v,
        );
    }
}

fn hostname(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_idn_hostname) {
        ctx.expected(path, "a domain name (IDNA 2008 host name)", v);
    }
}

fn email(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_email) {
        ctx.expected(path, "an e-mail address (local@domain.tld)", v);
    }
}

pub(crate) fn uri(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    if !v.as_str().is_some_and(formats::is_uri) {
        ctx.expected(
            path,
            "an absolute URI (RFC 3986), e.g. https://example.com/path",
            v,
        );
    }
}

/// IANA media type syntax `type/subtype` with a registered top-level type. (The
/// reference validator also checks the subtype against IANA's registry; we do
/// not ship the registry.)
fn mime_type(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    const TOP: &[&str] = &[
        "application",
        "audio",
        "font",
        "image",
        "message",
        "model",
        "multipart",
        "text",
        "video",
    ];
    let ok = v
        .as_str()
        .and_then(|s| s.split_once('/'))
        .is_some_and(|(t, sub)| {
            TOP.contains(&t)
                && !sub.is_empty()
                && sub
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b".+_-".contains(&c))
        });
    if !ok {
        ctx.should_expected("mime-type", path, "an IANA media type (type/subtype)", v);
    }
}

/// Character set names as IANA spells them (syntax only).
fn charset(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let ok = v.as_str().is_some_and(|s| {
        (2..=250).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"/.+_:-()".contains(&c))
    });
    if !ok {
        ctx.expected(path, "an IANA character set name", v);
    }
}

/// `protocols`: a non-empty list of IANA service/protocol names. The reference
/// validator (strict) checks membership of IANA's Service Name registry; we check
/// the spelling (1–15 letters, digits, hyphens) and, as a SHOULD, lower case.
fn protocols(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        ctx.expected(path, "a non-empty list of protocol names", v);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if formats::is_protocol_name(s) => {
                if s.bytes().any(|c| c.is_ascii_uppercase()) {
                    ctx.should_expected(
                        "protocols",
                        &path.index(i),
                        "a lower-case protocol name",
                        item,
                    );
                }
            }
            _ => ctx.should_expected(
                "protocols",
                &path.index(i),
                "an IANA protocol or service name (e.g. tcp, http)",
                item,
            ),
        }
    }
}

fn header_fields(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        ctx.expected(path, "a non-empty dictionary of header fields", v);
        return;
    };
    for (k, val) in m {
        let p = path.key(k);
        if !formats::is_dictionary_key(k) {
            ctx.not_allowed(&p, "header names are up to 250 characters of A-Za-z0-9_-");
        }
        let ok = match val {
            Value::String(_) => true,
            Value::Array(a) => a.len() >= 2 && a.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            ctx.expected(&p, "a string, or a list of at least two strings", val);
        }
    }
}

fn body_multipart(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(parts) = v.as_array() else {
        ctx.expected(path, "a list of MIME parts", v);
        return;
    };
    for (i, part) in parts.iter().enumerate() {
        let p = path.index(i);
        let Some(m) = part.as_object() else {
            ctx.expected(&p, "a MIME part (a JSON object)", part);
            continue;
        };
        for (name, rule) in [
            ("body", STR),
            ("body_raw_ref", Rule::Ref(Refs::To(&["artifact", "file"]))),
            ("content_type", STR),
            ("content_disposition", STR),
        ] {
            if let Some(val) = m.get(name) {
                apply(ctx, &p.key(name), rule, val);
            }
        }
        if m.contains_key("body") == m.contains_key("body_raw_ref") {
            ctx.expected(&p, "exactly one of body or body_raw_ref", part);
        }
    }
}

fn email_message(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let root = Path::ROOT;
    match m.get("is_multipart") {
        Some(Value::Bool(true)) if m.contains_key("body") => ctx.not_allowed(
            &root.key("body"),
            "a multipart message has body_multipart, not body",
        ),
        Some(Value::Bool(false)) if m.contains_key("body_multipart") => ctx.not_allowed(
            &root.key("body_multipart"),
            "a message that is not multipart has body, not body_multipart",
        ),
        _ => {}
    }
}

fn file(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    if !(m.contains_key("hashes") || m.contains_key("name")) {
        ctx.missing(&Path::ROOT.key("hashes"), "hashes or name");
    }
}

fn artifact(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let root = Path::ROOT;
    match (m.contains_key("payload_bin"), m.contains_key("url")) {
        (true, true) => ctx.not_allowed(&root.key("url"), "payload_bin and url exclude each other"),
        (false, true) if !m.contains_key("hashes") => {
            ctx.missing(&root.key("hashes"), "hashes (required with url)")
        }
        _ => {}
    }
}

fn network_traffic(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    let root = Path::ROOT;
    if !(m.contains_key("src_ref") || m.contains_key("dst_ref")) {
        ctx.missing(&root.key("src_ref"), "src_ref or dst_ref");
    }
    if m.get("is_active") == Some(&Value::Bool(true)) && m.contains_key("end") {
        ctx.not_allowed(
            &root.key("end"),
            "an active flow (is_active true) has no end",
        );
    }
    order(ctx, m, "end", "start", false);
    // The reference validator's SHOULD (network-traffic-ports).
    for port in ["src_port", "dst_port"] {
        if !m.contains_key(port) {
            ctx.should_missing(
                "network-traffic-ports",
                &root.key(port),
                "both src_port and dst_port",
            );
        }
    }
}

/// SCOs whose properties are all optional still need at least one.
fn at_least_one_property(ctx: &mut Ctx<'_>, m: &Map<String, Value>) {
    const COMMON: &[&str] = &[
        "type",
        "id",
        "spec_version",
        "object_marking_refs",
        "granular_markings",
        "defanged",
    ];
    if m.keys().all(|k| COMMON.contains(&k.as_str())) {
        ctx.missing(
            &Path::ROOT,
            "at least one property of the type besides the common ones",
        );
    }
}

const X509_V3: &[&str] = &[
    "basic_constraints",
    "name_constraints",
    "policy_constraints",
    "key_usage",
    "extended_key_usage",
    "subject_key_identifier",
    "authority_key_identifier",
    "subject_alternative_name",
    "issuer_alternative_name",
    "subject_directory_attributes",
    "crl_distribution_points",
    "inhibit_any_policy",
    "private_key_usage_period_not_before",
    "private_key_usage_period_not_after",
    "certificate_policies",
    "policy_mappings",
];

fn x509_v3_extensions(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        ctx.expected(path, "a non-empty x509 v3 extensions object", v);
        return;
    };
    for (k, val) in m {
        let p = path.key(k);
        if k.starts_with("private_key_usage_period_") {
            apply(ctx, &p, TS, val);
        } else if X509_V3.contains(&k.as_str()) {
            apply(ctx, &p, STR, val);
        } else {
            ctx.should_not(
                "custom-property",
                &p,
                "not an x509 v3 extension STIX defines",
            );
        }
    }
}

/// A predefined SCO extension: its properties and which of them must appear.
struct ExtSpec {
    name: &'static str,
    props: &'static [Prop],
    /// At least one of these must be present (empty: no such rule).
    any_of: &'static [&'static str],
}

const FILE_EXTS: &[ExtSpec] = &[
    ExtSpec {
        name: "archive-ext",
        props: &[
            req("contains_refs", Rule::RefList(Refs::ScoOrSro)),
            opt("comment", STR),
        ],
        any_of: &[],
    },
    ExtSpec {
        name: "ntfs-ext",
        props: &[opt("sid", STR), opt("alternate_data_streams", Rule::Any)],
        any_of: &["sid", "alternate_data_streams"],
    },
    ExtSpec {
        name: "pdf-ext",
        props: &[
            opt("version", STR),
            opt("is_optimized", Rule::Bool),
            opt("document_info_dict", Rule::Dict),
            opt("pdfid0", STR),
            opt("pdfid1", STR),
        ],
        any_of: &[
            "version",
            "is_optimized",
            "document_info_dict",
            "pdfid0",
            "pdfid1",
        ],
    },
    ExtSpec {
        name: "raster-image-ext",
        props: &[
            opt("image_height", Rule::Int(i64::MIN, i64::MAX)),
            opt("image_width", Rule::Int(i64::MIN, i64::MAX)),
            opt("bits_per_pixel", Rule::Int(i64::MIN, i64::MAX)),
            opt("exif_tags", Rule::Dict),
        ],
        any_of: &["image_height", "image_width", "bits_per_pixel", "exif_tags"],
    },
    ExtSpec {
        name: "windows-pebinary-ext",
        props: &[
            req(
                "pe_type",
                Rule::Vocab(
                    "windows-pebinary-type-ov",
                    crate::vocab::WINDOWS_PEBINARY_TYPE,
                ),
            ),
            opt("imphash", STR),
            opt("machine_hex", Rule::Hex),
            opt("number_of_sections", NON_NEG),
            opt("time_date_stamp", TS),
            opt("pointer_to_symbol_table_hex", Rule::Hex),
            opt("number_of_symbols", NON_NEG),
            opt("size_of_optional_header", NON_NEG),
            opt("characteristics_hex", Rule::Hex),
            opt("file_header_hashes", Rule::Hashes),
            opt("optional_header", Rule::Any),
            opt("sections", Rule::Any),
        ],
        any_of: &[],
    },
];

/// `http-request-ext.request_header`: a dictionary whose every value MUST be a
/// list of strings, so that a repeated header keeps each of its values
/// (STIX 2.1 section 6.12.2). The reference validator accepts a plain string.
fn request_header(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    rules::dictionary(ctx, path, v);
    for (name, value) in v.as_object().into_iter().flatten() {
        let is_str_list = value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string));
        if !is_str_list {
            ctx.expected(
                &path.key(name),
                "a list of strings (one per occurrence of the header)",
                value,
            );
        }
    }
}

const NETWORK_TRAFFIC_EXTS: &[ExtSpec] = &[
    ExtSpec {
        name: "http-request-ext",
        props: &[
            req("request_method", STR),
            req("request_value", STR),
            opt("request_version", STR),
            opt("request_header", Rule::With(request_header)),
            opt("message_body_length", NON_NEG),
            opt("message_body_data_ref", Rule::Ref(Refs::To(&["artifact"]))),
        ],
        any_of: &[],
    },
    ExtSpec {
        name: "icmp-ext",
        props: &[
            req("icmp_type_hex", Rule::Hex),
            req("icmp_code_hex", Rule::Hex),
        ],
        any_of: &[],
    },
    ExtSpec {
        name: "socket-ext",
        props: &[
            req("address_family", STR),
            opt("is_blocking", Rule::Bool),
            opt("is_listening", Rule::Bool),
            opt("options", Rule::Dict),
            opt("socket_type", STR),
            opt("socket_descriptor", NON_NEG),
            opt("socket_handle", Rule::Int(i64::MIN, i64::MAX)),
        ],
        any_of: &[],
    },
    ExtSpec {
        name: "tcp-ext",
        props: &[
            opt("src_flags_hex", Rule::Hex),
            opt("dst_flags_hex", Rule::Hex),
        ],
        any_of: &["src_flags_hex", "dst_flags_hex"],
    },
];

const USER_ACCOUNT_EXTS: &[ExtSpec] = &[ExtSpec {
    name: "unix-account-ext",
    props: &[
        opt("gid", Rule::Int(i64::MIN, i64::MAX)),
        opt("groups", LIST),
        opt("home_dir", STR),
        opt("shell", STR),
    ],
    any_of: &["gid", "groups", "home_dir", "shell"],
}];

const PROCESS_EXTS: &[ExtSpec] = &[
    ExtSpec {
        name: "windows-process-ext",
        props: &[],
        any_of: &[],
    },
    ExtSpec {
        name: "windows-service-ext",
        props: &[],
        any_of: &[],
    },
];

/// Validates a predefined `*-ext` extension of an SCO of type `ty`; false when
/// `name` is not predefined for that type.
pub(crate) fn predefined_extension(
    ctx: &mut Ctx<'_>,
    path: &Path<'_>,
    ty: &str,
    name: &str,
    body: &Map<String, Value>,
) -> bool {
    let table: &[ExtSpec] = match ty {
        "file" => FILE_EXTS,
        "network-traffic" => NETWORK_TRAFFIC_EXTS,
        "user-account" => USER_ACCOUNT_EXTS,
        "process" => PROCESS_EXTS,
        _ => &[],
    };
    let Some(spec) = table.iter().find(|e| e.name == name) else {
        return false;
    };
    property_members(ctx, path, body);
    if spec.props.is_empty() {
        return true; // process extensions: only the generic rules
    }
    for (k, v) in body {
        match spec.props.iter().find(|p| p.name == k) {
            Some(p) => apply(ctx, &path.key(k), p.rule, v),
            None => ctx.should_not(
                "custom-property",
                &path.key(k),
                "not a property of this predefined extension; use an extension-definition",
            ),
        }
    }
    for p in spec.props.iter().filter(|p| p.required) {
        if !body.contains_key(p.name) {
            ctx.missing(&path.key(p.name), "a value (required by this extension)");
        }
    }
    if !spec.any_of.is_empty() && !spec.any_of.iter().any(|k| body.contains_key(*k)) {
        ctx.missing(path, format!("at least one of {}", spec.any_of.join(", ")));
    }
    true
}
