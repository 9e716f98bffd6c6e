//! [`Warninglists`]: the lists compiled into lookup tables, the [`Builder`]
//! that compiles them, and the checks.

use std::collections::HashMap;
use std::fmt;

use aho_corasick::AhoCorasick;
use pattern::Pattern;

use crate::builtin::{CRITICAL_DOMAINS, CRITICAL_NETWORKS, RESERVED_DOMAINS, RESERVED_NETWORKS};
use crate::domain::{self, DomainTable};
use crate::error::{ListError, ListErrorKind, PatternError};
use crate::extract::{self, Field, Form};
use crate::hit::{Hit, Kind, KindSet, Relation, Source};
use crate::misp::{self, Entry};
use crate::net::{Cidr, NetTable};

/// An entry of a list: its list's index and its index in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EntryId {
    pub(crate) list: u32,
    pub(crate) entry: u32,
}

/// One list of a [`Warninglists`], as [`Warninglists::lists`] describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListInfo {
    /// The name hits carry in [`Hit::list`].
    pub name: String,
    /// Where it comes from.
    pub source: Source,
    /// How many entries it has.
    pub entries: usize,
}

/// Warninglists compiled for checking: build one with
/// [`Warninglists::builder`], share it (it is `Send` and `Sync`), and
/// [`check`](Warninglists::check) each partner indicator's pattern.
///
/// `Warninglists::default()` holds the built-in lists only.
pub struct Warninglists {
    lists: Vec<ListInfo>,
    /// Per list, each entry as written.
    entries: Vec<Vec<Box<str>>>,
    /// Per list, the kinds of value its `string` and `substring` entries see.
    applies: Vec<KindSet>,
    /// Entries that cover a domain and the names below it.
    domains: DomainTable,
    /// Addresses and ranges.
    nets: NetTable,
    /// Exact text (MISP `string`), lower case.
    exact: HashMap<Box<str>, Vec<EntryId>>,
    /// Per MISP `substring` list, its entries in one automaton (pattern `i`
    /// is entry `i`).
    substrings: Vec<(u32, AhoCorasick)>,
}

impl Default for Warninglists {
    fn default() -> Warninglists {
        Warninglists::builder().build()
    }
}

impl fmt::Debug for Warninglists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Warninglists")
            .field("lists", &self.lists)
            .finish_non_exhaustive()
    }
}

/// Collects the lists for a [`Warninglists`]; from [`Warninglists::builder`].
///
/// The methods that take entries check them at once and say which entry is
/// wrong, so a bad configuration fails where it is read.
#[derive(Debug)]
pub struct Builder {
    reserved: bool,
    critical: bool,
    local: Vec<(String, Entry)>,
    misp: Vec<(String, misp::MispList, Option<AhoCorasick>)>,
}

const LOCAL: &str = "local allowlist";

impl Builder {
    /// Turns the built-in reserved addresses and names on or off (on by
    /// default): [`RESERVED_NETWORKS`] and [`RESERVED_DOMAINS`], whose
    /// documentation lists each entry and its RFC.
    pub fn reserved(mut self, on: bool) -> Builder {
        self.reserved = on;
        self
    }

    /// Turns the built-in critical public services on or off (on by
    /// default): [`CRITICAL_NETWORKS`] (public DNS resolvers) and
    /// [`CRITICAL_DOMAINS`].
    pub fn critical(mut self, on: bool) -> Builder {
        self.critical = on;
        self
    }

    /// Adds the node's own domains to the local allowlist: `example.gov`
    /// covers `example.gov` and every name below it (`www.example.gov`), not
    /// `notexample.gov`. Case and a trailing dot do not matter.
    ///
    /// A leading `.` or `*.` is refused (an entry covers its subdomains
    /// already), and so is an address (give it to
    /// [`networks`](Builder::networks)).
    pub fn domains<I, S>(mut self, domains: I) -> Result<Builder, ListError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, text) in domains.into_iter().enumerate() {
            let text = text.as_ref();
            let bad = |reason: &str| ListError::entry(LOCAL, "domains", i, text, reason);
            let trimmed = text.trim();
            if trimmed.starts_with('.') || trimmed.starts_with("*.") {
                let plain = trimmed.trim_start_matches(['*', '.']);
                return Err(bad(&format!(
                    "write {plain:?}: an entry covers the names below it already"
                )));
            }
            let name = domain::normalise(trimmed);
            if Cidr::parse(&name).is_ok() {
                return Err(bad("an address: list it under networks"));
            }
            domain::check_entry(&name).map_err(|reason| bad(&reason))?;
            self.local
                .push((trimmed.to_owned(), Entry::Domain(name.into_owned())));
        }
        Ok(self)
    }

    /// Adds the node's own networks to the local allowlist: CIDR blocks
    /// (`198.51.100.0/24`, `2001:db8::/32`) or single addresses. Host bits
    /// under the mask are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn networks<I, S>(mut self, networks: I) -> Result<Builder, ListError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, text) in networks.into_iter().enumerate() {
            let text = text.as_ref().trim();
            let cidr = Cidr::parse(text)
                .map_err(|reason| ListError::entry(LOCAL, "networks", i, text, reason))?;
            self.local.push((text.to_owned(), Entry::Net(cidr)));
        }
        Ok(self)
    }

    /// Adds a MISP warninglist, from the bytes of its JSON file; `file` (the
    /// file's name, as the operator knows it) names the list in errors and in
    /// hits. `name`, `type` and `list` are required; other members are
    /// ignored. The types apply as in MISP, except where noted:
    ///
    /// * `cidr`: addresses and ranges, against every address in a pattern;
    /// * `hostname`: a domain and the names below it (a leading `.` or `*.`
    ///   is dropped), against every domain, also a URL's host and an email
    ///   address's domain; an entry that is an address applies as one, and an
    ///   entry that cannot be a name (`corona helden`) as a `string` entry;
    /// * `string`: the exact text of a value, ASCII case-insensitive (MISP is
    ///   case-sensitive; hashes and names are not);
    /// * `substring`: text contained in a value, ASCII case-insensitive;
    /// * `regex`: refused with [`ListErrorKind::UnsupportedType`], which a
    ///   caller loading a whole directory may choose to skip.
    ///
    /// `matching_attributes` (MISP attribute types such as `ip-dst`,
    /// `domain`, `url`, `md5`) chooses the kinds of value that `string` and
    /// `substring` entries see; `cidr` and `hostname` entries say by their
    /// type what they apply to.
    pub fn misp(mut self, file: &str, bytes: &[u8]) -> Result<Builder, ListError> {
        let list = misp::parse(file, bytes)?;
        let substrings: Vec<&str> = list
            .entries
            .iter()
            .filter_map(|(_, e)| match e {
                Entry::Substring(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let automaton = if substrings.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&substrings)
                .map_err(|e| ListError::new(file, ListErrorKind::Substrings(e.to_string())))?;
            Some(built)
        };
        self.misp.push((file.to_owned(), list, automaton));
        Ok(self)
    }

    /// Compiles the lists, in this order: the local allowlist (if it has
    /// entries), the reserved list, the critical list, then the MISP lists in
    /// the order added.
    pub fn build(self) -> Warninglists {
        let mut w = Warninglists {
            lists: vec![],
            entries: vec![],
            applies: vec![],
            domains: DomainTable::default(),
            nets: NetTable::default(),
            exact: HashMap::new(),
            substrings: vec![],
        };
        if !self.local.is_empty() {
            w.add(LOCAL, Source::Local, KindSet::ALL, self.local);
        }
        if self.reserved {
            w.add(
                "reserved addresses and names",
                Source::Reserved,
                KindSet::ALL,
                builtin(RESERVED_NETWORKS, RESERVED_DOMAINS),
            );
        }
        if self.critical {
            w.add(
                "critical public services",
                Source::Critical,
                KindSet::ALL,
                builtin(CRITICAL_NETWORKS, CRITICAL_DOMAINS),
            );
        }
        for (file, list, automaton) in self.misp {
            if let Some(automaton) = automaton {
                w.substrings.push((w.lists.len() as u32, automaton));
            }
            w.add(
                &list.name,
                Source::Misp { file },
                list.applies,
                list.entries,
            );
        }
        w.domains.finish();
        w.nets.finish();
        w
    }
}

/// The entries of a built-in list.
fn builtin(networks: &[&str], domains: &[&str]) -> Vec<(String, Entry)> {
    // The tables are ours, and `builtin_lists_parse` below parses every entry.
    let nets = networks.iter().map(|n| {
        let cidr = Cidr::parse(n).unwrap_or_else(|e| panic!("built-in network {n}: {e}"));
        (n.to_string(), Entry::Net(cidr))
    });
    let names = domains
        .iter()
        .map(|d| (d.to_string(), Entry::Domain(d.to_string())));
    nets.chain(names).collect()
}

impl Warninglists {
    /// A [`Builder`] with the reserved and critical lists on, and nothing else.
    pub fn builder() -> Builder {
        Builder {
            reserved: true,
            critical: true,
            local: vec![],
            misp: vec![],
        }
    }

    fn add(&mut self, name: &str, source: Source, applies: KindSet, entries: Vec<(String, Entry)>) {
        let list = self.lists.len() as u32;
        let mut texts = Vec::with_capacity(entries.len());
        for (i, (text, entry)) in entries.into_iter().enumerate() {
            let id = EntryId {
                list,
                entry: i as u32,
            };
            match entry {
                Entry::Domain(d) => self.domains.insert(&d, id),
                Entry::Net(c) => self.nets.insert(c, id),
                Entry::Exact(s) => self.exact.entry(s.into()).or_default().push(id),
                // In the list's automaton, built by `Builder::misp`.
                Entry::Substring(_) => {}
            }
            texts.push(text.into_boxed_str());
        }
        self.lists.push(ListInfo {
            name: name.to_owned(),
            source,
            entries: texts.len(),
        });
        self.entries.push(texts);
        self.applies.push(applies);
    }

    /// The lists, in the order they are checked.
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// Parses a STIX pattern and checks every value it points at; see
    /// [`check_parsed`](Warninglists::check_parsed). `Err` when the pattern
    /// does not parse: whether such an indicator is refused or quarantined is
    /// the caller's decision.
    pub fn check(&self, pattern: &str) -> Result<Vec<Hit>, PatternError> {
        let parsed = pattern::parse(pattern).map_err(|e| PatternError::new(pattern, e))?;
        Ok(self.check_parsed(&parsed))
    }

    /// Checks every value a parsed pattern points at, and returns all the
    /// hits: for each value, in the order written, one hit per list it hits
    /// (the most specific entry). Empty when no list is hit.
    ///
    /// The values are the strings compared with `=` (or `NOT !=`), `IN`,
    /// `LIKE`, `ISSUBSET` and `ISSUPERSET`; negated tests and `MATCHES` are
    /// not judged. The crate documentation says which properties hold which
    /// kind of value.
    pub fn check_parsed(&self, pattern: &Pattern) -> Vec<Hit> {
        let mut hits = vec![];
        extract::visit(pattern, &mut |field, form, value| {
            Judge::new(self, field, value, &mut hits).value(form);
        });
        hits
    }

    /// Checks one value of the given kind, as [`check`](Warninglists::check)
    /// checks a value of a pattern compared with `=`: a domain (also a host
    /// with a port, or an address), an address or CIDR range, a URL, an
    /// email address, or any other string.
    pub fn check_value(&self, kind: Kind, value: &str) -> Vec<Hit> {
        let field = match kind {
            Kind::Domain => Field::Host,
            Kind::Address => Field::Address,
            Kind::Url => Field::Url,
            Kind::Email => Field::Email,
            Kind::Other => Field::Other,
        };
        let mut hits = vec![];
        Judge::new(self, field, value, &mut hits).value(Form::Equal);
        hits
    }
}

/// The check of one value of a pattern: breaks it into what the tables can
/// look up, and records one hit per list.
struct Judge<'a> {
    w: &'a Warninglists,
    field: Field,
    value: &'a str,
    /// The lists this value has hit already.
    seen: Vec<u32>,
    hits: &'a mut Vec<Hit>,
}

impl<'a> Judge<'a> {
    fn new(w: &'a Warninglists, field: Field, value: &'a str, hits: &'a mut Vec<Hit>) -> Judge<'a> {
        Judge {
            w,
            field,
            value,
            seen: vec![],
            hits,
        }
    }

    fn value(&mut self, form: Form) {
        let value = self.value;
        match (self.field, form) {
            (Field::Address | Field::Host, Form::Range) => {
                if let Ok(cidr) = Cidr::parse(value.trim()) {
                    self.net(cidr, Relation::Overlaps);
                }
            }
            (_, Form::Range) => {}
            (Field::Domain | Field::Host, Form::Equal) => self.host(value),
            (Field::Address, Form::Equal) => match Cidr::parse(value.trim()) {
                Ok(cidr) => {
                    self.net(cidr, Relation::Overlaps);
                    self.text(value, Kind::Address);
                }
                Err(_) => self.host(value),
            },
            (Field::Url, Form::Equal) => {
                self.text(value, Kind::Url);
                self.host(extract::url_host(value));
            }
            (Field::Email, Form::Equal) => {
                self.text(value, Kind::Email);
                if let Some(domain) = extract::email_domain(value) {
                    self.host(domain);
                }
            }
            (Field::Certificate, Form::Equal) => {
                self.text(value, Kind::Other);
                for host in extract::certificate_hosts(value) {
                    self.host(host);
                }
            }
            (Field::Other, Form::Equal) => self.text(value, Kind::Other),
            (_, Form::Like) if !extract::is_wild(value) => self.value(Form::Equal),
            (Field::Domain | Field::Host, Form::Like) => self.host_like(value),
            (Field::Url, Form::Like) => self.host_like(extract::url_host(value)),
            (Field::Email, Form::Like) => {
                let domain = value.rsplit_once('@').map_or(value, |(_, d)| d);
                self.host_like(domain)
            }
            (Field::Address, Form::Like) => {
                let head = extract::like_head(value);
                if head.is_empty() {
                    self.net(Cidr::ALL_V4, Relation::MayMatch);
                    self.net(Cidr::ALL_V6, Relation::MayMatch);
                } else if head.contains(':') {
                    self.net(Cidr::ALL_V6, Relation::MayMatch);
                } else if let Some(range) = extract::like_ipv4_range(head) {
                    self.net(range, Relation::MayMatch);
                }
            }
            // Hashes, file names, certificate subjects: the text lists
            // match exact values and substrings, not patterns.
            (Field::Certificate | Field::Other, Form::Like) => {}
        }
    }

    /// The kind a hit reports: the value's own, except that a domain-or-address
    /// field reports what the value turned out to be.
    fn kind(&self, found: Kind) -> Kind {
        match self.field {
            Field::Domain | Field::Address | Field::Host => found,
            Field::Url => Kind::Url,
            Field::Email => Kind::Email,
            Field::Certificate | Field::Other => Kind::Other,
        }
    }

    fn hit(&mut self, id: EntryId, found: Kind, relation: Relation) {
        if self.seen.contains(&id.list) {
            return;
        }
        self.seen.push(id.list);
        let info = &self.w.lists[id.list as usize];
        let hit = Hit {
            list: info.name.clone(),
            source: info.source.clone(),
            entry: self.w.entries[id.list as usize][id.entry as usize].to_string(),
            kind: self.kind(found),
            value: self.value.to_owned(),
            relation,
        };
        // The same value may be written twice in a pattern.
        if !self.hits.contains(&hit) {
            self.hits.push(hit);
        }
    }

    /// A host: an address, a range, or a domain name (a port is dropped).
    fn host(&mut self, text: &str) {
        let host = extract::strip_port(text.trim());
        if let Ok(cidr) = Cidr::parse(host) {
            self.net(cidr, Relation::Overlaps);
            self.text(host, Kind::Address);
            return;
        }
        let name = domain::normalise(host);
        if name.is_empty() {
            return;
        }
        let w = self.w;
        let mut found = vec![];
        w.domains.covering(&name, |id| found.push(id));
        for id in found {
            self.hit(id, Kind::Domain, Relation::Listed);
        }
        self.text(&name, Kind::Domain);
    }

    /// An address (listed when a range contains it) or a range (`relation`
    /// when it overlaps an entry).
    fn net(&mut self, cidr: Cidr, relation: Relation) {
        let relation = if cidr.is_single() && relation == Relation::Overlaps {
            Relation::Listed
        } else {
            relation
        };
        let w = self.w;
        let mut found = vec![];
        w.nets.containing(cidr, |id| found.push(id));
        if !cidr.is_single() {
            w.nets.inside(cidr, |id| found.push(id));
            // A block over all of ::ffff:0:0/96 holds every IPv4 address.
            if cidr.covers_mapped() {
                w.nets.inside(Cidr::ALL_V4, |id| found.push(id));
            }
        }
        for id in found {
            self.hit(id, Kind::Address, relation);
        }
    }

    /// A `LIKE` operand on a host: may a listed name end with its literal
    /// tail? And if it starts with digits and dots, may a listed address
    /// start with them?
    fn host_like(&mut self, like: &str) {
        if !extract::is_wild(like) {
            return self.host(like);
        }
        let tail = extract::like_tail(like).trim().to_lowercase();
        let tail = tail.strip_suffix('.').unwrap_or(&tail);
        let w = self.w;
        let mut found = vec![];
        w.domains.may_match_suffix(tail, |id| found.push(id));
        for id in found {
            self.hit(id, Kind::Domain, Relation::MayMatch);
        }
        let head = extract::like_head(like);
        if !head.is_empty()
            && let Some(range) = extract::like_ipv4_range(head)
        {
            self.net(range, Relation::MayMatch);
        }
    }

    /// Text against the MISP `string` and `substring` lists that apply to
    /// `kind`.
    fn text(&mut self, text: &str, kind: Kind) {
        let w = self.w;
        if !w.exact.is_empty() {
            let lower = text.trim().to_ascii_lowercase();
            if let Some(ids) = w.exact.get(lower.as_str()) {
                for &id in ids {
                    if w.applies[id.list as usize].contains(kind) {
                        self.hit(id, kind, Relation::Listed);
                    }
                }
            }
        }
        for (list, automaton) in &w.substrings {
            if !w.applies[*list as usize].contains(kind) {
                continue;
            }
            if let Some(m) = automaton.find(text) {
                let id = EntryId {
                    list: *list,
                    entry: m.pattern().as_u32(),
                };
                self.hit(id, kind, Relation::Listed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The local allowlist of the examples, the built-in lists, and two MISP
    /// lists shaped like the real ones.
    fn lists() -> Warninglists {
        Warninglists::builder()
            .domains(["elections.example.gov", "Results.Vote.example."])
            .unwrap()
            .networks(["198.51.100.0/24", "2001:db8:e1e::/48", "203.0.113.77"])
            .unwrap()
            .misp("lists/akamai/list.json", AKAMAI.as_bytes())
            .unwrap()
            .misp("lists/google/list.json", GOOGLE.as_bytes())
            .unwrap()
            .misp("lists/empty-hashes/list.json", EMPTY_HASHES.as_bytes())
            .unwrap()
            .misp("lists/bank/list.json", BANKS.as_bytes())
            .unwrap()
            .build()
    }

    /// Shaped like misp-warninglists `lists/akamai/list.json` (cidr).
    const AKAMAI: &str = r#"{
      "description": "Akamai IP ranges from BGP search",
      "list": [
        "2.16.0.0/13",
        "23.0.0.0/12",
        "104.64.0.0/10",
        "2600:1400::/24"
      ],
      "matching_attributes": ["ip-dst", "ip-src", "domain|ip"],
      "name": "List of known Akamai IP ranges",
      "type": "cidr",
      "version": 20240101
    }"#;

    /// Shaped like `lists/google/list.json`, as a hostname list.
    const GOOGLE: &str = r#"{
      "description": "Event contains one or more entries of known google domains",
      "list": [".google.de", "1e100.net", "googleapis.com", "youtube.com", ".gstatic.com"],
      "matching_attributes": ["domain", "hostname", "domain|ip", "URL"],
      "name": "List of known google domains",
      "type": "hostname",
      "version": 6,
      "category": "known"
    }"#;

    /// Shaped like `lists/empty-hashes/list.json` (string).
    const EMPTY_HASHES: &str = r#"{
      "description": "Set of known hashes for an empty file",
      "list": ["d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
      "matching_attributes": ["md5", "sha1", "filename|md5"],
      "name": "List of known hashes for empty files",
      "type": "string",
      "version": 3
    }"#;

    /// A substring list of domain parts.
    const BANKS: &str = r#"{
      "description": "Banks",
      "list": ["examplebank"],
      "matching_attributes": ["domain", "url"],
      "name": "Banks",
      "type": "substring",
      "version": 1
    }"#;

    fn check(p: &str) -> Vec<String> {
        lists()
            .check(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .iter()
            .map(|h| h.to_string())
            .collect()
    }

    /// Each case: a pattern, and the hits' lines in order (none: a miss).
    macro_rules! cases {
        ($($name:ident: $pattern:expr => [$($hit:expr),* $(,)?];)*) => {$(
            #[test]
            fn $name() {
                let want: Vec<String> = vec![$($hit.to_string()),*];
                assert_eq!(check($pattern), want, "{}", $pattern);
            }
        )*};
    }

    const LOCAL: &str = "the local allowlist";
    const RESERVED: &str = "the reserved addresses and names";
    const CRITICAL: &str = "the critical public services";

    cases! {
        // Local domains: the domain, names below it, case and trailing dot.
        local_domain: "[domain-name:value = 'elections.example.gov']" =>
            [format!("domain elections.example.gov is on {LOCAL} (entry elections.example.gov)")];
        local_subdomain: "[domain-name:value = 'WWW.Elections.Example.Gov.']" =>
            [format!("domain WWW.Elections.Example.Gov. is on {LOCAL} (entry elections.example.gov)")];
        local_entry_as_written: "[domain-name:value = 'a.results.vote.example']" =>
            [format!("domain a.results.vote.example is on {LOCAL} (entry Results.Vote.example.)"),
             format!("domain a.results.vote.example is on {RESERVED} (entry example)")];
        lookalike_misses: "[domain-name:value = 'notelections.example.gov']" => [];
        lookalike_label_misses: "[domain-name:value = 'elections.example.gov.evil.net']" => [];
        parent_misses: "[domain-name:value = 'example.gov']" => [];
        // Local networks: addresses, ranges, IPv6.
        local_address: "[ipv4-addr:value = '198.51.100.7']" =>
            [format!("address 198.51.100.7 is on {LOCAL} (entry 198.51.100.0/24)"),
             format!("address 198.51.100.7 is on {RESERVED} (entry 198.51.100.0/24)")];
        local_single: "[ipv4-addr:value = '203.0.113.77']" =>
            [format!("address 203.0.113.77 is on {LOCAL} (entry 203.0.113.77)"),
             format!("address 203.0.113.77 is on {RESERVED} (entry 203.0.113.0/24)")];
        local_v6: "[ipv6-addr:value = '2001:DB8:E1E:5::1']" =>
            [format!("address 2001:DB8:E1E:5::1 is on {LOCAL} (entry 2001:db8:e1e::/48)"),
             format!("address 2001:DB8:E1E:5::1 is on {RESERVED} (entry 2001:db8::/32)")];
        v6_outside_misses: "[ipv6-addr:value = '2a00:1450:4001::1']" => [];
        public_v4_misses: "[ipv4-addr:value = '45.33.32.156']" => [];
        // Reserved ranges and names.
        private_v4: "[ipv4-addr:value = '10.20.30.40']" =>
            [format!("address 10.20.30.40 is on {RESERVED} (entry 10.0.0.0/8)")];
        cgnat: "[network-traffic:dst_ref.value = '100.64.1.1']" =>
            [format!("address 100.64.1.1 is on {RESERVED} (entry 100.64.0.0/10)")];
        broadcast: "[ipv4-addr:value = '255.255.255.255']" =>
            [format!("address 255.255.255.255 is on {RESERVED} (entry 255.255.255.255/32)")];
        v6_loopback: "[ipv6-addr:value = '::1']" =>
            [format!("address ::1 is on {RESERVED} (entry ::1/128)")];
        v6_link_local_zone: "[ipv6-addr:value = 'fe80::1%eth0']" =>
            [format!("address fe80::1%eth0 is on {RESERVED} (entry fe80::/10)")];
        v6_ula: "[ipv6-addr:value = 'fd12:3456::9']" =>
            [format!("address fd12:3456::9 is on {RESERVED} (entry fc00::/7)")];
        v6_mapped_private: "[ipv6-addr:value = '::ffff:192.168.1.1']" =>
            [format!("address ::ffff:192.168.1.1 is on {RESERVED} (entry 192.168.0.0/16)")];
        reserved_name: "[domain-name:value = 'printer.local']" =>
            [format!("domain printer.local is on {RESERVED} (entry local)")];
        reserved_example_com: "[email-addr:value = 'alice@mail.example.com']" =>
            [format!("email address alice@mail.example.com is on {RESERVED} (entry example.com)")];
        not_reserved_lookalike: "[domain-name:value = 'mylocal']" => [];
        // Critical services.
        resolver: "[ipv4-addr:value = '8.8.8.8']" =>
            [format!("address 8.8.8.8 is on {CRITICAL} (entry 8.8.8.8)")];
        resolver_v6: "[ipv6-addr:value = '2606:4700:4700:0::1111']" =>
            [format!("address 2606:4700:4700:0::1111 is on {CRITICAL} (entry 2606:4700:4700::1111)")];
        resolver_mapped: "[ipv6-addr:value = '::ffff:1.1.1.1']" =>
            [format!("address ::ffff:1.1.1.1 is on {CRITICAL} (entry 1.1.1.1)")];
        resolver_neighbour_misses: "[ipv4-addr:value = '8.8.8.9']" => [];
        critical_domain: "[domain-name:value = 'update.microsoft.com']" =>
            [format!("domain update.microsoft.com is on {CRITICAL} (entry microsoft.com)")];
        critical_url: "[url:value = 'https://raw.GitHub.com:443/x/y?z=1']" =>
            [format!("URL https://raw.GitHub.com:443/x/y?z=1 is on {CRITICAL} (entry github.com)")];
        critical_lookalike: "[domain-name:value = 'github.com.evil.net' OR url:value = 'http://notgithub.com/']" => [];
        // ISSUBSET and CIDR values: overlaps.
        range_covers_resolver: "[ipv4-addr:value ISSUBSET '8.8.0.0/16']" =>
            [format!("address range 8.8.0.0/16 overlaps {CRITICAL} (entry 8.8.4.4)")];
        range_inside_local: "[ipv4-addr:value ISSUBSET '198.51.100.128/25']" =>
            [format!("address range 198.51.100.128/25 overlaps {LOCAL} (entry 198.51.100.0/24)"),
             format!("address range 198.51.100.128/25 overlaps {RESERVED} (entry 198.51.100.0/24)")];
        range_everything: "[ipv4-addr:value ISSUBSET '0.0.0.0/0']" =>
            [format!("address range 0.0.0.0/0 overlaps {LOCAL} (entry 198.51.100.0/24)"),
             format!("address range 0.0.0.0/0 overlaps {RESERVED} (entry 0.0.0.0/8)"),
             format!("address range 0.0.0.0/0 overlaps {CRITICAL} (entry 1.0.0.1)"),
             "address range 0.0.0.0/0 overlaps the MISP warninglist \"List of known Akamai IP ranges\" (lists/akamai/list.json) (entry 2.16.0.0/13)".to_string()];
        range_broad_private: "[ipv4-addr:value ISSUBSET '172.0.0.0/8']" =>
            [format!("address range 172.0.0.0/8 overlaps {RESERVED} (entry 172.16.0.0/12)")];
        range_value: "[ipv4-addr:value = '9.9.0.0/16']" =>
            [format!("address range 9.9.0.0/16 overlaps {CRITICAL} (entry 9.9.9.9)")];
        range_superset: "[ipv4-addr:value ISSUPERSET '149.112.112.112']" =>
            [format!("address 149.112.112.112 is on {CRITICAL} (entry 149.112.112.112)")];
        range_v6_all: "[ipv6-addr:value ISSUBSET '::/0']" =>
            [format!("address range ::/0 overlaps {LOCAL} (entry 2001:db8:e1e::/48)"),
             format!("address range ::/0 overlaps {RESERVED} (entry ::/128)"),
             format!("address range ::/0 overlaps {CRITICAL} (entry 2001:4860:4860::8844)"),
             "address range ::/0 overlaps the MISP warninglist \"List of known Akamai IP ranges\" (lists/akamai/list.json) (entry 2600:1400::/24)".to_string()];
        range_v6_mapped: "[ipv6-addr:value ISSUBSET '::ffff:8.8.8.0/120']" =>
            [format!("address range ::ffff:8.8.8.0/120 overlaps {CRITICAL} (entry 8.8.8.8)")];
        range_clear: "[ipv4-addr:value ISSUBSET '45.33.32.0/24']" => [];
        // LIKE on names.
        like_suffix: "[domain-name:value LIKE '%.elections.example.gov']" =>
            [format!("domain pattern %.elections.example.gov may match {LOCAL} (entry elections.example.gov)")];
        like_parent: "[domain-name:value LIKE '%.example.gov']" =>
            [format!("domain pattern %.example.gov may match {LOCAL} (entry elections.example.gov)")];
        like_tld: "[domain-name:value LIKE '%.gov']" =>
            [format!("domain pattern %.gov may match {LOCAL} (entry elections.example.gov)")];
        like_partial_label: "[domain-name:value LIKE '%ctions.example.gov']" =>
            [format!("domain pattern %ctions.example.gov may match {LOCAL} (entry elections.example.gov)")];
        like_lookalike_misses: "[domain-name:value LIKE '%.notelections.example.gov']" => [];
        like_other_tld_misses: "[domain-name:value LIKE '%.evil-elections.net']" => [];
        like_single_char: "[domain-name:value LIKE 'www.git_ub.com']" =>
            [format!("domain pattern www.git_ub.com may match {CRITICAL} (entry github.com)")];
        like_single_char_clear: "[domain-name:value LIKE 'www.e_il.com']" => [];
        // Judged by the literal tail: `%.com` may match a listed .com name.
        like_broad: "[domain-name:value LIKE 'www.%.com']" =>
            [format!("domain pattern www.%.com may match {RESERVED} (entry example.com)"),
             format!("domain pattern www.%.com may match {CRITICAL} (entry github.com)"),
             "domain pattern www.%.com may match the MISP warninglist \"List of known google domains\" (lists/google/list.json) (entry .gstatic.com)".to_string()];
        like_without_wildcard: "[domain-name:value LIKE 'elections.example.gov']" =>
            [format!("domain elections.example.gov is on {LOCAL} (entry elections.example.gov)")];
        like_url: "[url:value LIKE 'https://%.amazonaws.com/%']" =>
            [format!("URL pattern https://%.amazonaws.com/% may match {CRITICAL} (entry amazonaws.com)")];
        like_url_clear: "[url:value LIKE 'https://%.evil.net/%']" => [];
        like_email: "[email-addr:value LIKE '%@%.example.gov']" =>
            [format!("email address pattern %@%.example.gov may match {LOCAL} (entry elections.example.gov)")];
        like_address: "[ipv4-addr:value LIKE '8.8.%']" =>
            [format!("address pattern 8.8.% may match {CRITICAL} (entry 8.8.4.4)")];
        like_address_clear: "[ipv4-addr:value LIKE '45.33.%']" => [];
        like_dst_ref: "[network-traffic:dst_ref.value LIKE '%.windowsupdate.com']" =>
            [format!("domain pattern %.windowsupdate.com may match {CRITICAL} (entry windowsupdate.com)")];
        like_v6_address: "[ipv6-addr:value LIKE 'fe80:%']" =>
            [format!("address pattern fe80:% may match {LOCAL} (entry 2001:db8:e1e::/48)"),
             format!("address pattern fe80:% may match {RESERVED} (entry ::/128)"),
             format!("address pattern fe80:% may match {CRITICAL} (entry 2001:4860:4860::8844)"),
             "address pattern fe80:% may match the MISP warninglist \"List of known Akamai IP ranges\" (lists/akamai/list.json) (entry 2600:1400::/24)".to_string()];
        // Hosts in other places.
        email_domain: "[email-message:from_ref.value = 'press@elections.example.gov']" =>
            [format!("email address press@elections.example.gov is on {LOCAL} (entry elections.example.gov)")];
        host_header: "[network-traffic:extensions.'http-request-ext'.request_header.Host = 'elections.example.gov:8443']" =>
            [format!("domain elections.example.gov:8443 is on {LOCAL} (entry elections.example.gov)")];
        dst_ref_domain: "[network-traffic:dst_ref.value = 'login.microsoft.com']" =>
            [format!("domain login.microsoft.com is on {CRITICAL} (entry microsoft.com)")];
        url_ip_host: "[url:value = 'http://10.0.0.5/admin']" =>
            [format!("URL http://10.0.0.5/admin is on {RESERVED} (entry 10.0.0.0/8)")];
        certificate_subject: "[x509-certificate:subject = 'C=US, O=Example CA, CN=*.elections.example.gov']" =>
            [format!("value C=US, O=Example CA, CN=*.elections.example.gov is on {LOCAL} (entry elections.example.gov)")];
        // IN, OR and the rest of the pattern grammar.
        in_set: "[domain-name:value IN ('evil.net', 'cdn.cloudflare.com', 'bad.example.net')]" =>
            [format!("domain cdn.cloudflare.com is on {CRITICAL} (entry cloudflare.com)"),
             format!("domain bad.example.net is on {RESERVED} (entry example.net)")];
        observation_operators: "([ipv4-addr:value = '45.33.32.156'] AND [domain-name:value = 'evil.net']) FOLLOWEDBY [ipv4-addr:value = '1.0.0.1'] WITHIN 60 SECONDS" =>
            [format!("address 1.0.0.1 is on {CRITICAL} (entry 1.0.0.1)")];
        negated_skipped: "[domain-name:value != 'google.com' AND domain-name:value NOT IN ('github.com')]" => [];
        repeated_value_once: "[ipv4-addr:value = '8.8.8.8'] OR [ipv4-addr:value = '8.8.8.8']" =>
            [format!("address 8.8.8.8 is on {CRITICAL} (entry 8.8.8.8)")];
        // MISP lists: cidr, hostname, string, substring.
        misp_cidr: "[ipv4-addr:value = '23.1.2.3']" =>
            ["address 23.1.2.3 is on the MISP warninglist \"List of known Akamai IP ranges\" (lists/akamai/list.json) (entry 23.0.0.0/12)"];
        misp_cidr_v6: "[ipv6-addr:value = '2600:1400:aa::1']" =>
            ["address 2600:1400:aa::1 is on the MISP warninglist \"List of known Akamai IP ranges\" (lists/akamai/list.json) (entry 2600:1400::/24)"];
        misp_cidr_edge_misses: "[ipv4-addr:value = '23.16.0.0']" => [];
        misp_hostname_dot: "[domain-name:value = 'www.google.de']" =>
            ["domain www.google.de is on the MISP warninglist \"List of known google domains\" (lists/google/list.json) (entry .google.de)"];
        misp_hostname_url: "[url:value = 'https://fonts.gstatic.com/s/a.woff']" =>
            ["URL https://fonts.gstatic.com/s/a.woff is on the MISP warninglist \"List of known google domains\" (lists/google/list.json) (entry .gstatic.com)"];
        misp_hostname_lookalike: "[domain-name:value = 'notyoutube.com']" => [];
        misp_string_hash: "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']" =>
            ["value D41D8CD98F00B204E9800998ECF8427E is on the MISP warninglist \"List of known hashes for empty files\" (lists/empty-hashes/list.json) (entry d41d8cd98f00b204e9800998ecf8427e)"];
        misp_string_gated: "[domain-name:value = 'd41d8cd98f00b204e9800998ecf8427e']" => [];
        misp_substring: "[domain-name:value = 'login.examplebank-secure.net']" =>
            ["domain login.examplebank-secure.net is on the MISP warninglist \"Banks\" (lists/bank/list.json) (entry examplebank)"];
        misp_substring_gated: "[file:name = 'examplebank.exe']" => [];
    }

    #[test]
    fn not_a_pattern() {
        let e = lists().check("[domain-name:value = 'x'").unwrap_err();
        assert_eq!(
            e.to_string(),
            "pattern does not parse: column 1: this '[' is never closed"
        );
    }

    macro_rules! values {
        ($($name:ident: ($kind:expr, $value:expr) => [$($entry:expr),*];)*) => {$(
            #[test]
            fn $name() {
                let got: Vec<String> = lists().check_value($kind, $value).into_iter().map(|h| h.entry).collect();
                let want: Vec<&str> = vec![$($entry),*];
                assert_eq!(got, want);
            }
        )*};
    }

    values! {
        value_domain: (Kind::Domain, "ballots.elections.example.gov") => ["elections.example.gov"];
        value_domain_is_address: (Kind::Domain, "127.0.0.1") => ["127.0.0.0/8"];
        value_address: (Kind::Address, "9.9.9.9") => ["9.9.9.9"];
        value_range: (Kind::Address, "198.51.0.0/16") => ["198.51.100.0/24", "198.51.100.0/24"];
        value_url: (Kind::Url, "http://[::1]:8080/") => ["::1/128"];
        value_email: (Kind::Email, "x@wikipedia.org") => ["wikipedia.org"];
        value_other: (Kind::Other, "da39a3ee5e6b4b0d3255bfef95601890afd80709") => ["da39a3ee5e6b4b0d3255bfef95601890afd80709"];
        value_clear: (Kind::Domain, "evil.net") => [];
    }

    #[test]
    fn shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Warninglists>();
    }

    #[test]
    fn builtins_off() {
        let w = Warninglists::builder()
            .reserved(false)
            .critical(false)
            .build();
        assert!(w.lists().is_empty());
        assert_eq!(
            w.check("[ipv4-addr:value = '10.0.0.1'] OR [ipv4-addr:value = '8.8.8.8']")
                .unwrap(),
            vec![]
        );
        let reserved_only = Warninglists::builder().critical(false).build();
        assert_eq!(
            reserved_only
                .check("[ipv4-addr:value = '8.8.8.8']")
                .unwrap(),
            vec![]
        );
        assert_eq!(
            reserved_only
                .check("[ipv4-addr:value = '10.0.0.1']")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn builtin_lists_parse() {
        let w = Warninglists::default();
        let counts: Vec<(&str, usize)> = w
            .lists()
            .iter()
            .map(|l| (l.name.as_str(), l.entries))
            .collect();
        assert_eq!(
            counts,
            [
                (
                    "reserved addresses and names",
                    RESERVED_NETWORKS.len() + RESERVED_DOMAINS.len()
                ),
                (
                    "critical public services",
                    CRITICAL_NETWORKS.len() + CRITICAL_DOMAINS.len()
                ),
            ]
        );
        for n in RESERVED_NETWORKS.iter().chain(CRITICAL_NETWORKS) {
            assert!(!w.check_value(Kind::Address, n).is_empty(), "{n}");
        }
        for d in RESERVED_DOMAINS.iter().chain(CRITICAL_DOMAINS) {
            assert_eq!(domain::check_entry(d), Ok(()), "{d}");
            assert!(
                !w.check_value(Kind::Domain, &format!("a.{d}")).is_empty(),
                "{d}"
            );
        }
    }

    #[test]
    fn hit_fields() {
        let hits = lists()
            .check("[url:value = 'https://www.elections.example.gov/']")
            .unwrap();
        assert_eq!(
            hits,
            [Hit {
                list: "local allowlist".into(),
                source: Source::Local,
                entry: "elections.example.gov".into(),
                kind: Kind::Url,
                value: "https://www.elections.example.gov/".into(),
                relation: Relation::Listed,
            }]
        );
    }

    macro_rules! bad_local {
        ($name:ident, $method:ident, [$($entry:expr),*], $message:expr) => {
            #[test]
            fn $name() {
                let e = Warninglists::builder().$method([$($entry),*]).unwrap_err();
                assert_eq!(e.list(), "local allowlist");
                assert_eq!(e.to_string(), $message);
            }
        };
    }

    bad_local!(
        local_wildcard,
        domains,
        ["example.gov", "*.elections.example.gov"],
        "local allowlist: domains[1] \"*.elections.example.gov\": write \"elections.example.gov\": an entry covers the names below it already"
    );
    bad_local!(
        local_address_as_domain,
        domains,
        ["10.0.0.1"],
        "local allowlist: domains[0] \"10.0.0.1\": an address: list it under networks"
    );
    bad_local!(
        local_bad_domain,
        domains,
        ["elections..example.gov"],
        "local allowlist: domains[0] \"elections..example.gov\": empty label (two dots in a row, or a dot at the start)"
    );
    bad_local!(
        local_bad_network,
        networks,
        ["10.0.0.0/8", "elections.example.gov"],
        "local allowlist: networks[1] \"elections.example.gov\": \"elections.example.gov\" is not an IPv4 or IPv6 address"
    );

    #[test]
    fn misp_error_names_the_file() {
        let e = Warninglists::builder()
            .misp(
                "lists/broken/list.json",
                br#"{"name": "x", "type": "cidr", "list": ["10.0.0.0/8", "ten"]}"#,
            )
            .unwrap_err();
        assert_eq!(e.list(), "lists/broken/list.json");
        assert!(matches!(e.kind(), ListErrorKind::Entry { index: 1, .. }));
        assert_eq!(
            e.to_string(),
            "lists/broken/list.json: list[1] \"ten\": \"ten\" is not an IPv4 or IPv6 address"
        );
    }

    /// A sync round's worth of partner indicators, one in a thousand pointing
    /// at something listed.
    #[test]
    fn hundred_thousand_patterns() {
        let w = lists();
        let mut hit = 0;
        for i in 0..100_000u32 {
            let [a, b, c, d] = (0x2d00_0000 + i).to_be_bytes();
            let p = if i % 1000 == 0 {
                format!(
                    "[domain-name:value = 'host{i}.elections.example.gov'] OR [ipv4-addr:value = '{a}.{b}.{c}.{d}']"
                )
            } else {
                format!(
                    "[domain-name:value = 'host{i}.attacker{}.net'] OR [ipv4-addr:value = '{a}.{b}.{c}.{d}'] \
                     OR [url:value = 'http://cdn{i}.attacker.org/payload.bin']",
                    i % 97
                )
            };
            let hits = w.check(&p).unwrap();
            if !hits.is_empty() {
                assert_eq!(hits.len(), 1, "{p}");
                hit += 1;
            }
        }
        assert_eq!(hit, 100);
    }
}
