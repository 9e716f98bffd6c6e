//! Warninglists for Entente: does a partner's indicator point at our own
//! infrastructure, at reserved addresses and names, or at a critical public
//! service?
//!
//! A partner that wants to hurt us need not attack us: it can share an
//! indicator that names our own election site, or a public DNS resolver, and
//! wait for us to block it. So before a partner's STIX indicator is used, the
//! node checks the values its pattern points at against warninglists, and a
//! hit quarantines the indicator for a person to review. This crate gives the
//! verdict: [`Warninglists::check`] parses a pattern and returns every
//! [`Hit`], each naming the list, the entry and the value:
//!
//! ```text
//! domain elections.example.gov is on the local allowlist (entry example.gov)
//! address range 8.8.0.0/16 overlaps the critical public services (entry 8.8.4.4)
//! ```
//!
//! # The lists
//!
//! A [`Warninglists`] is compiled by a [`Builder`] from:
//!
//! * the node's **local allowlist**: its domains (an entry covers the domain
//!   and every name below it) and its networks (CIDR blocks or addresses);
//! * the built-in **reserved** addresses and names ([`RESERVED_NETWORKS`],
//!   [`RESERVED_DOMAINS`]: private, loopback, documentation, multicast, …,
//!   and `localhost`, `test`, `example.com`, …), on by default;
//! * the built-in **critical public services** ([`CRITICAL_NETWORKS`]: public
//!   DNS resolvers; [`CRITICAL_DOMAINS`]: a dozen platforms), on by default;
//! * any number of **MISP warninglists** (the JSON files of
//!   <https://github.com/MISP/misp-warninglists>), of type `cidr`,
//!   `hostname`, `string` or `substring`. `regex` lists are refused with
//!   [`ListErrorKind::UnsupportedType`]: their entries are PCRE with
//!   delimiters, and a list half understood would protect nothing.
//!
//! # The values of a pattern
//!
//! Every string a comparison tests with `=`, `IN`, `LIKE`, `ISSUBSET` or
//! `ISSUPERSET` is checked, wherever it stands in the pattern (an impossible
//! `AND` does not hide a value). Which property holds what:
//!
//! | property | checked as |
//! |---|---|
//! | `domain-name:value` | domain (an address written there, as an address) |
//! | `ipv4-addr:value`, `ipv6-addr:value` | address, or range when written as CIDR |
//! | `network-traffic:src_ref.value`, `dst_ref.value`, `domain-name:resolves_to_refs[*].value`, the HTTP `Host` header | address or domain, port dropped |
//! | `url:value`, `artifact:url`, HTTP `request_value` | the URL as text, and its host |
//! | `email-addr:value`, `email-message:from_ref.value`, `sender_ref`, `to_refs`, `cc_refs`, `bcc_refs` | the address as text, and its domain |
//! | `x509-certificate:subject`, `subject_alternative_name` | the text, and each `CN=`, `DNS:` and `IP:` host |
//! | anything else (`file:hashes.MD5`, …) | text, for MISP `string` and `substring` lists |
//!
//! An address in `::ffff:0:0/96` is checked as the IPv4 address it carries;
//! an IPv6 zone (`%eth0`) is dropped.
//!
//! # Err on the side of review
//!
//! A hit costs a person's review; a miss may cost an election site. So where
//! a value is a pattern and not a value, the check asks whether it *may*
//! reach a listed entry:
//!
//! * a range (`ISSUBSET '8.8.0.0/16'`, or a CIDR value) hits every list with
//!   an entry it overlaps: `0.0.0.0/0` hits them all;
//! * a `LIKE` on a name is judged by its literal tail, the text after its
//!   last wildcard, which every matching value ends with: `'%.example.gov'`
//!   hits `example.gov` and `elections.example.gov`, `'%.gov'` hits
//!   `elections.example.gov`, and `'evil%'` hits every list of names (it
//!   matches `evil.google.com`). A `LIKE` on an address is judged by the
//!   block its literal head spells (`'8.8.%'` is `8.8.0.0/16`).
//!
//! # What it does not do
//!
//! No I/O: no files, sockets or clocks; a MISP list arrives as bytes
//! ([`Builder::misp`]). No DNS: a partner's domain that resolves to our
//! address is not detected (the node may resolve and call
//! [`Warninglists::check_value`] itself). Names are compared as written,
//! lower-cased: an internationalised name in Unicode does not meet its
//! `xn--` form, so list both. Negated tests (`!=`, `NOT IN`, …) and
//! `MATCHES` are not judged, nor are numeric and binary literals. A pattern
//! that does not parse is a [`PatternError`]: whether to refuse or
//! quarantine it is the caller's call.
//!
//! # Cost
//!
//! A sync round may check 10⁶ indicators. Once compiled, a domain costs one
//! hash lookup per label, an address one per distinct prefix length in the
//! lists, a range or a `LIKE` a binary search per list; nothing scans a list.
//! Parsing the pattern dominates: a few microseconds.
//!
//! ```
//! use warninglist::{Kind, Warninglists};
//!
//! let lists = Warninglists::builder()
//!     .domains(["example.gov"])?
//!     .networks(["192.0.2.0/24", "2001:db8:e1e::/48"])?
//!     .misp("rfc6598.json", br#"{"name": "RFC 6598", "type": "cidr", "list": ["100.64.0.0/10"]}"#)?
//!     .build();
//!
//! let hits = lists.check("[domain-name:value = 'elections.example.gov']")?;
//! assert_eq!(
//!     hits[0].to_string(),
//!     "domain elections.example.gov is on the local allowlist (entry example.gov)",
//! );
//! assert!(lists.check("[domain-name:value = 'notexample.gov']")?.is_empty());
//!
//! let hits = lists.check("[ipv4-addr:value ISSUBSET '8.8.0.0/16']")?;
//! assert_eq!(hits[0].entry, "8.8.4.4");
//!
//! assert!(lists.check("[ipv4-addr:value = '198.51.100.1'").is_err());
//! assert_eq!(lists.check_value(Kind::Url, "https://github.com/x")[0].entry, "github.com");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! * `lists.rs`: [`Warninglists`], the [`Builder`], and the checks.
//! * `extract.rs`: from a pattern to its values; hosts in URLs, email
//!   addresses, certificates and `LIKE` operands.
//! * `domain.rs`: the normal form of a name, and the table of listed names.
//! * `net.rs`: the CIDR type, and the table of listed ranges.
//! * `misp.rs`: MISP warninglist files.
//! * `builtin.rs`: the reserved and critical lists.
//! * `hit.rs`: [`Hit`] and its words.
//! * `error.rs`: [`ListError`] and [`PatternError`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod builtin;
mod domain;
mod error;
mod extract;
mod hit;
mod lists;
mod misp;
mod net;

// The public interface is:
pub use builtin::{CRITICAL_DOMAINS, CRITICAL_NETWORKS, RESERVED_DOMAINS, RESERVED_NETWORKS};
pub use error::{ListError, ListErrorKind, PatternError};
pub use hit::{Hit, Kind, Relation, Source};
pub use lists::{Builder, ListInfo, Warninglists};
