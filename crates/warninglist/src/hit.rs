//! What a check finds: [`Hit`], and the words for it.

use std::fmt;

/// The kind of a value in a pattern, or given to
/// [`Warninglists::check_value`](crate::Warninglists::check_value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A domain name (`domain-name:value`, and a host name from a URL, an
    /// email address, a `Host` header or `network-traffic:dst_ref.value`).
    Domain,
    /// An IPv4 or IPv6 address, or a CIDR range (`ipv4-addr:value`,
    /// `ipv6-addr:value`, `network-traffic:src_ref.value`, …).
    Address,
    /// A URL (`url:value`): checked as text, and its host as a domain or an
    /// address.
    Url,
    /// An email address (`email-addr:value`, `email-message:from_ref.value`,
    /// …): checked as text, and the part after `@` as a domain.
    Email,
    /// Any other string (`file:hashes.MD5`, `file:name`, …): checked only
    /// against MISP `string` and `substring` lists.
    Other,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Address => "address",
            Kind::Url => "URL",
            Kind::Email => "email address",
            Kind::Other => "value",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Kind::Domain => 1,
            Kind::Address => 2,
            Kind::Url => 4,
            Kind::Email => 8,
            Kind::Other => 16,
        }
    }
}

/// A set of [`Kind`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KindSet(u8);

impl KindSet {
    pub(crate) const NONE: KindSet = KindSet(0);
    pub(crate) const ALL: KindSet = KindSet(31);

    pub(crate) fn with(self, kind: Kind) -> KindSet {
        KindSet(self.0 | kind.bit())
    }

    pub(crate) fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// Where a list comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The node's own domains and networks, from its configuration.
    Local,
    /// The built-in reserved addresses and names
    /// ([`RESERVED_NETWORKS`](crate::RESERVED_NETWORKS),
    /// [`RESERVED_DOMAINS`](crate::RESERVED_DOMAINS)).
    Reserved,
    /// The built-in critical public services
    /// ([`CRITICAL_NETWORKS`](crate::CRITICAL_NETWORKS),
    /// [`CRITICAL_DOMAINS`](crate::CRITICAL_DOMAINS)).
    Critical,
    /// A MISP warninglist.
    Misp {
        /// The file name the caller gave with it.
        file: String,
    },
}

/// How the pattern's value meets the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Relation {
    /// The value is listed: it equals the entry, is a name below it, or an
    /// address in its range.
    Listed,
    /// The value is a range (`ISSUBSET '8.8.0.0/16'`, a CIDR value) that
    /// overlaps the entry.
    Overlaps,
    /// The value is a `LIKE` pattern that some listed name (or an address in a
    /// listed range) may match.
    MayMatch,
}

/// A value of a pattern that hits a list: which list, which entry, which
/// value.
///
/// `Display` gives one line:
/// `domain elections.example.gov is on the local allowlist (entry example.gov)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hit {
    /// The list's name: `local allowlist`, `reserved addresses and names`,
    /// `critical public services`, or a MISP list's `name`.
    pub list: String,
    /// Where the list comes from.
    pub source: Source,
    /// The entry, as written in the list.
    pub entry: String,
    /// The kind of the value.
    pub kind: Kind,
    /// The value, as written in the pattern (a URL whole, a `LIKE` operand
    /// with its wildcards).
    pub value: String,
    /// How the value meets the entry.
    pub relation: Relation,
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = self.kind.noun();
        let (noun, verb) = match self.relation {
            Relation::Listed => (noun.to_owned(), "is on"),
            Relation::Overlaps => (format!("{noun} range"), "overlaps"),
            Relation::MayMatch => (format!("{noun} pattern"), "may match"),
        };
        write!(f, "{noun} {} {verb} ", self.value)?;
        match &self.source {
            Source::Local => f.write_str("the local allowlist")?,
            Source::Reserved => f.write_str("the reserved addresses and names")?,
            Source::Critical => f.write_str("the critical public services")?,
            Source::Misp { file } => write!(f, "the MISP warninglist {:?} ({file})", self.list)?,
        }
        write!(f, " (entry {})", self.entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(source: Source, kind: Kind, value: &str, relation: Relation, entry: &str) -> String {
        Hit {
            list: "List of RFC 1918 CIDR blocks".into(),
            source,
            entry: entry.into(),
            kind,
            value: value.into(),
            relation,
        }
        .to_string()
    }

    macro_rules! shows {
        ($name:ident, ($($arg:expr),*), $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(hit($($arg),*), $want);
            }
        };
    }

    shows!(
        local_domain,
        (
            Source::Local,
            Kind::Domain,
            "elections.example.gov",
            Relation::Listed,
            "example.gov"
        ),
        "domain elections.example.gov is on the local allowlist (entry example.gov)"
    );
    shows!(
        critical_range,
        (
            Source::Critical,
            Kind::Address,
            "8.8.0.0/16",
            Relation::Overlaps,
            "8.8.8.8"
        ),
        "address range 8.8.0.0/16 overlaps the critical public services (entry 8.8.8.8)"
    );
    shows!(
        reserved_like,
        (
            Source::Reserved,
            Kind::Domain,
            "%.test",
            Relation::MayMatch,
            "test"
        ),
        "domain pattern %.test may match the reserved addresses and names (entry test)"
    );
    shows!(
        misp_url,
        (
            Source::Misp {
                file: "rfc1918.json".into()
            },
            Kind::Url,
            "http://10.1.2.3/x",
            Relation::Listed,
            "10.0.0.0/8"
        ),
        "URL http://10.1.2.3/x is on the MISP warninglist \"List of RFC 1918 CIDR blocks\" (rfc1918.json) (entry 10.0.0.0/8)"
    );

    #[test]
    fn kind_sets() {
        let s = KindSet::NONE.with(Kind::Url);
        assert!(s.contains(Kind::Url));
        assert!(!s.contains(Kind::Domain));
        for k in [
            Kind::Domain,
            Kind::Address,
            Kind::Url,
            Kind::Email,
            Kind::Other,
        ] {
            assert!(KindSet::ALL.contains(k));
            assert!(!KindSet::NONE.contains(k));
        }
    }
}
