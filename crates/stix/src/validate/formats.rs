//! Syntax checks for string values: addresses, host names, URIs, language tags,
//! hex and base64. Hand-written scanners, no regex engine: they allocate nothing
//! and run in time linear in the input.

/// Dotted-quad IPv4 address, optionally with a CIDR suffix `/0`–`/32`. Leading
/// zeros are refused (`01.2.3.4` is ambiguous: octal to some parsers).
pub(crate) fn is_ipv4_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if let Some(p) = prefix
        && !is_decimal(p, 32)
    {
        return false;
    }
    let mut n = 0;
    for part in addr.split('.') {
        n += 1;
        if !is_decimal(part, 255) {
            return false;
        }
    }
    n == 4
}

/// A decimal without leading zeros, at most `max`.
fn is_decimal(s: &str, max: u32) -> bool {
    if s.is_empty()
        || s.len() > 3
        || !s.bytes().all(|b| b.is_ascii_digit())
        || (s.len() > 1 && s.starts_with('0'))
    {
        return false;
    }
    s.parse::<u32>().is_ok_and(|v| v <= max)
}

/// IPv6 address in any RFC 4291 text form, optionally with a CIDR suffix
/// `/0`–`/128`.
pub(crate) fn is_ipv6_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if let Some(p) = prefix
        && !is_decimal(p, 128)
    {
        return false;
    }
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// MAC address: six lower-case hex pairs separated by colons (the STIX form).
pub(crate) fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, &c)| {
            if i % 3 == 2 {
                c == b':'
            } else {
                c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
            }
        })
}

/// Even-length hex string, at least one byte.
pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Padded RFC 4648 base64, at least one group.
pub(crate) fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return false;
    }
    let body = &b[..b.len() - pad];
    body.iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// A host name as IDNA 2008 allows it (what the `idn-hostname` JSON Schema
/// format checks): labels of letters, digits and hyphens, 1–63 octets, not
/// starting or ending with a hyphen, no `--` in positions 3–4 unless an A-label
/// (`xn--`), at most 253 octets overall, one optional trailing dot.
///
/// Non-ASCII labels are approximated: every character must be alphanumeric in
/// Unicode and not upper-case, and the label's Punycode form must fit in 63
/// octets. The full IDNA 2008 tables (contextual rules, bidi) are not applied.
pub(crate) fn is_idn_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return false;
    }
    let mut total = 0usize;
    for label in s.split('.') {
        let Some(len) = label_ascii_len(label) else {
            return false;
        };
        total += len + 1;
    }
    total - 1 <= 253
}

/// The A-label length of a valid label, or `None`.
fn label_ascii_len(label: &str) -> Option<usize> {
    if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
        return None;
    }
    if label.is_ascii() {
        let lower = label.as_bytes();
        if lower.len() > 63 {
            return None;
        }
        if lower.len() >= 4 && lower[2] == b'-' && lower[3] == b'-' {
            // Only A-labels may have hyphens in positions 3 and 4.
            if !lower[..2].eq_ignore_ascii_case(b"xn") || lower.len() == 4 {
                return None;
            }
        }
        return lower
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            .then_some(lower.len());
    }
    if !label
        .chars()
        .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
    {
        return None;
    }
    let len = 4 + punycode_len(label)?;
    (len <= 63).then_some(len)
}

/// Length of the RFC 3492 Punycode encoding of `label` (without `xn--`).
fn punycode_len(label: &str) -> Option<usize> {
    const BASE: u32 = 36;
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let basic = input.iter().filter(|&&c| c < 0x80).count();
    let mut len = basic + usize::from(basic > 0);
    let (mut n, mut delta, mut bias, mut h) = (0x80u32, 0u32, 72u32, basic as u32);
    while (h as usize) < input.len() {
        let m = *input.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        1
                    } else if k >= bias + 26 {
                        26
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    len += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                len += 1;
                bias = adapt(delta, h + 1, h == basic as u32);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(len)
}

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((36 - 1) * 26) / 2 {
        delta /= 35;
        k += 36;
    }
    k + (36 * delta) / (delta + 38)
}

/// An e-mail address as the reference validator checks it:
/// `local@domain.tld` with `[A-Za-z0-9_.+-]` in the local part and
/// `[A-Za-z0-9-]` labels (the part after the first dot may contain dots).
/// Quoted local parts and IDN domains are refused, like the validator does.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_.+-".contains(&c));
    let Some((first, rest)) = domain.split_once('.') else {
        return false;
    };
    let first_ok = !first.is_empty()
        && first
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-');
    let rest_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.');
    local_ok && first_ok && rest_ok
}

/// An absolute URI per RFC 3986 (`scheme ":" hier-part [ "?" query ] [ "#" fragment ]`).
pub(crate) fn is_uri(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(colon) = b.iter().position(|&c| c == b':') else {
        return false;
    };
    let scheme = &b[..colon];
    if scheme.is_empty()
        || !scheme[0].is_ascii_alphabetic()
        || !scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
    {
        return false;
    }
    let rest = &s[colon + 1..];
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    if let Some(f) = fragment
        && !all_pchars(f, b"/?")
    {
        return false;
    }
    if let Some(q) = query
        && !all_pchars(q, b"/?")
    {
        return false;
    }
    match hier.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            is_authority(authority) && all_pchars(path, b"/")
        }
        None => {
            // path-absolute, path-rootless or path-empty; "//" was handled above.
            all_pchars(hier, b"/")
        }
    }
}

/// Every character is a pchar (unreserved, pct-encoded, sub-delims, ':' or '@')
/// or one of `extra`.
fn all_pchars(s: &str, extra: &[u8]) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
            continue;
        }
        if !(is_unreserved(c) || is_sub_delim(c) || c == b':' || c == b'@' || extra.contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~".contains(&c)
}

fn is_sub_delim(c: u8) -> bool {
    b"!$&'()*+,;=".contains(&c)
}

/// `[ userinfo "@" ] host [ ":" port ]`.
fn is_authority(a: &str) -> bool {
    let (userinfo, hostport) = match a.rfind('@') {
        Some(i) => (Some(&a[..i]), &a[i + 1..]),
        None => (None, a),
    };
    if let Some(u) = userinfo
        && (!all_pchars(u, b"") || u.contains('@'))
    {
        return false;
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let literal = &rest[..end];
        if !(literal.parse::<std::net::Ipv6Addr>().is_ok() || is_ipvfuture(literal)) {
            return false;
        }
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => ("", Some(p)),
            None if after.is_empty() => ("", None),
            None => return false,
        }
    } else {
        match hostport.rfind(':') {
            Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
            None => (hostport, None),
        }
    };
    if let Some(p) = port
        && !p.bytes().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    // reg-name (which also covers IPv4 dotted quads) may be empty.
    let b = host.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
            continue;
        }
        if !(is_unreserved(c) || is_sub_delim(c)) {
            return false;
        }
        i += 1;
    }
    true
}

fn is_ipvfuture(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(['v', 'V']) else {
        return false;
    };
    let Some((ver, body)) = rest.split_once('.') else {
        return false;
    };
    !ver.is_empty()
        && ver.bytes().all(|c| c.is_ascii_hexdigit())
        && !body.is_empty()
        && body
            .bytes()
            .all(|c| is_unreserved(c) || is_sub_delim(c) || c == b':')
}

/// A well-formed RFC 5646 language tag (syntax only; subtags are not checked
/// against the IANA registry).
pub(crate) fn is_language_tag(s: &str) -> bool {
    const GRANDFATHERED: &[&str] = &[
        "en-gb-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-be-fr",
        "sgn-be-nl",
        "sgn-ch-de",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ];
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        return false;
    }
    if GRANDFATHERED.iter().any(|g| g.eq_ignore_ascii_case(s)) {
        return true;
    }
    let subtags: Vec<&str> = s.split('-').collect();
    if subtags.iter().any(|t| t.is_empty() || t.len() > 8) {
        return false;
    }
    let alpha = |t: &str| t.bytes().all(|c| c.is_ascii_alphabetic());
    let digit = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    let mut i = 0;
    if subtags[0].eq_ignore_ascii_case("x") {
        return subtags.len() > 1;
    }
    // language: 2–3 letters (+ up to 3 extlang of 3 letters), or 4–8 letters.
    let lang = subtags[0];
    if !alpha(lang) || lang.len() < 2 {
        return false;
    }
    i += 1;
    if lang.len() <= 3 {
        let mut ext = 0;
        while i < subtags.len() && ext < 3 && subtags[i].len() == 3 && alpha(subtags[i]) {
            i += 1;
            ext += 1;
        }
    }
    // script
    if i < subtags.len() && subtags[i].len() == 4 && alpha(subtags[i]) {
        i += 1;
    }
    // region
    if i < subtags.len()
        && ((subtags[i].len() == 2 && alpha(subtags[i]))
            || (subtags[i].len() == 3 && digit(subtags[i])))
    {
        i += 1;
    }
    // variants
    while i < subtags.len() {
        let t = subtags[i];
        let is_variant =
            (5..=8).contains(&t.len()) || (t.len() == 4 && t.as_bytes()[0].is_ascii_digit());
        if !is_variant {
            break;
        }
        i += 1;
    }
    // extensions: singleton (not x) followed by 2–8 char subtags.
    while i < subtags.len() && subtags[i].len() == 1 && !subtags[i].eq_ignore_ascii_case("x") {
        i += 1;
        let start = i;
        while i < subtags.len() && subtags[i].len() >= 2 {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    // private use
    if i < subtags.len() && subtags[i].eq_ignore_ascii_case("x") {
        return i + 1 < subtags.len();
    }
    i == subtags.len()
}

/// A STIX object type name: 3–250 characters of `a-z`, `0-9` and `-`, starting
/// with a letter, no `--`; a trailing hyphen is tolerated as the reference
/// schemas do.
pub(crate) fn is_type_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=250).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.contains("--")
}

/// A property name: 3–250 characters of `a-z`, `0-9` and `_`, starting with a
/// letter (or the name `id`).
pub(crate) fn is_property_name(s: &str) -> bool {
    let b = s.as_bytes();
    s == "id"
        || ((3..=250).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'))
}

/// A dictionary key: up to 250 characters of `A-Za-z0-9_-`.
pub(crate) fn is_dictionary_key(s: &str) -> bool {
    s.len() <= 250
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// A granular-marking selector: `name(.name|.[index])*` or `id`.
pub(crate) fn is_selector_syntax(s: &str) -> bool {
    if s == "id" {
        return true;
    }
    let word = |t: &str, min: usize, max: usize| {
        (min..=max).contains(&t.len())
            && t.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
    };
    let mut parts = s.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    if !word(first, 3, 249) {
        return false;
    }
    parts.all(|p| {
        if let Some(inner) = p.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            !inner.is_empty() && inner.bytes().all(|c| c.is_ascii_digit())
        } else {
            word(p, 1, 250)
        }
    })
}

/// A protocol name as IANA's Service Name registry spells them: 1–15 characters
/// of letters, digits and hyphens.
pub(crate) fn is_protocol_name(s: &str) -> bool {
    (1..=15).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! accepts {
        ($name:ident, $f:ident, $s:expr) => {
            #[test]
            fn $name() {
                assert!($f($s), "{:?} should be accepted by {}", $s, stringify!($f));
            }
        };
    }
    macro_rules! rejects {
        ($name:ident, $f:ident, $s:expr) => {
            #[test]
            fn $name() {
                assert!(!$f($s), "{:?} should be rejected by {}", $s, stringify!($f));
            }
        };
    }

    accepts!(ipv4_plain, is_ipv4_cidr, "198.51.100.3");
    accepts!(ipv4_cidr, is_ipv4_cidr, "198.51.100.0/24");
    accepts!(ipv4_zero, is_ipv4_cidr, "0.0.0.0/0");
    rejects!(ipv4_leading_zero, is_ipv4_cidr, "198.051.100.3");
    rejects!(ipv4_256, is_ipv4_cidr, "198.51.100.256");
    rejects!(ipv4_three_parts, is_ipv4_cidr, "198.51.100");
    rejects!(ipv4_prefix_33, is_ipv4_cidr, "198.51.100.0/33");
    rejects!(ipv4_empty_prefix, is_ipv4_cidr, "198.51.100.0/");
    rejects!(ipv4_v6, is_ipv4_cidr, "2001:db8::1");

    accepts!(ipv6_short, is_ipv6_cidr, "2001:db8::1");
    accepts!(ipv6_cidr, is_ipv6_cidr, "2001:db8::/32");
    accepts!(
        ipv6_full,
        is_ipv6_cidr,
        "2001:0db8:0000:0000:0000:0000:0000:0001"
    );
    rejects!(ipv6_prefix_129, is_ipv6_cidr, "2001:db8::/129");
    rejects!(ipv6_two_gaps, is_ipv6_cidr, "2001::db8::1");
    rejects!(ipv6_v4, is_ipv6_cidr, "198.51.100.3");

    accepts!(mac, is_mac, "00:1b:63:84:45:e6");
    rejects!(mac_upper, is_mac, "00:1B:63:84:45:E6");
    rejects!(mac_dashes, is_mac, "00-1b-63-84-45-e6");

    accepts!(
        host_simple,
        is_idn_hostname,
        "voter-registration-check.example"
    );
    accepts!(host_trailing_dot, is_idn_hostname, "example.com.");
    accepts!(host_upper, is_idn_hostname, "Example.COM");
    accepts!(host_alabel, is_idn_hostname, "xn--bcher-kva.example");
    accepts!(host_idn, is_idn_hostname, "bücher.example");
    accepts!(host_single_label, is_idn_hostname, "localhost");
    rejects!(host_underscore, is_idn_hostname, "bad_name.example");
    rejects!(host_leading_hyphen, is_idn_hostname, "-bad.example");
    rejects!(host_empty_label, is_idn_hostname, "a..example");
    rejects!(host_space, is_idn_hostname, "a b.example");
    rejects!(host_hyphens_34, is_idn_hostname, "ab--cd.example");
    rejects!(host_long_label, is_idn_hostname, &"a".repeat(64));
    rejects!(host_empty, is_idn_hostname, "");
    rejects!(host_upper_idn, is_idn_hostname, "BÜCHER.example");

    accepts!(email_simple, is_email, "alice@example.com");
    accepts!(
        email_plus,
        is_email,
        "first.last+tag@mail.election-authority.example"
    );
    rejects!(email_no_at, is_email, "alice.example.com");
    rejects!(email_no_dot, is_email, "alice@localhost");
    rejects!(email_two_at, is_email, "a@b@example.com");
    rejects!(email_space, is_email, "alice smith@example.com");

    accepts!(
        uri_https,
        is_uri,
        "https://example.com/login?next=%2Fhome#top"
    );
    accepts!(
        uri_port_userinfo,
        is_uri,
        "http://user:pw@198.51.100.3:8080/a/b"
    );
    accepts!(uri_ipv6, is_uri, "http://[2001:db8::1]/");
    accepts!(uri_mailto, is_uri, "mailto:alice@example.com");
    accepts!(uri_urn, is_uri, "urn:isbn:0451450523");
    rejects!(uri_relative, is_uri, "/just/a/path");
    rejects!(uri_space, is_uri, "https://example.com/a b");
    rejects!(uri_bad_pct, is_uri, "https://example.com/%zz");
    rejects!(uri_no_scheme, is_uri, "example.com");
    rejects!(uri_bad_scheme, is_uri, "1http://example.com");
    rejects!(uri_bad_port, is_uri, "http://example.com:80a/");
    rejects!(uri_unicode, is_uri, "https://bücher.example/");

    accepts!(lang_en, is_language_tag, "en");
    accepts!(lang_region, is_language_tag, "en-US");
    accepts!(lang_script_region, is_language_tag, "sr-Latn-RS");
    accepts!(lang_private, is_language_tag, "x-whatever");
    accepts!(lang_extension, is_language_tag, "en-a-bbb-x-a-ccc");
    accepts!(lang_numeric_region, is_language_tag, "es-419");
    rejects!(lang_single_letter, is_language_tag, "e");
    rejects!(lang_underscore, is_language_tag, "en_US");
    rejects!(lang_empty_subtag, is_language_tag, "en--US");
    rejects!(lang_too_long, is_language_tag, "englishlanguage");
    rejects!(lang_dangling_singleton, is_language_tag, "en-a");

    accepts!(hex, is_hex, "0aFF");
    rejects!(hex_odd, is_hex, "abc");
    accepts!(b64, is_base64, "aGVsbG8=");
    rejects!(b64_bad_len, is_base64, "aGVsbG8");

    accepts!(selector_simple, is_selector_syntax, "description");
    accepts!(
        selector_index,
        is_selector_syntax,
        "external_references.[0].url"
    );
    rejects!(selector_upper, is_selector_syntax, "Description");
    rejects!(selector_empty_index, is_selector_syntax, "labels.[]");

    #[test]
    fn punycode_length_matches_known_a_label() {
        // "bücher" -> "bcher-kva"
        assert_eq!(punycode_len("bücher"), Some(9));
        // "münchen" -> "mnchen-3ya"
        assert_eq!(punycode_len("münchen"), Some(10));
    }
}
