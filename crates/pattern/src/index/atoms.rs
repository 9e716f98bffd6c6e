//! What the index can look up in a pattern: its comparisons sorted into
//! lookups, and what an event must have for the pattern to be able to match.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::keys::KeyPath;
use crate::ast::{
    CompareOp, Comparison, ComparisonExpr, ComparisonKind, ObservationExpr, ObservationKind,
    Pattern, QualifierKind, Test, Value,
};

/// A comparison the index can look up, by kind of structure.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lookup {
    /// `= 'text'`, `IN ('a', 'b')`.
    Str(String),
    /// `= 5` (the JSON value must be a number).
    Int(i128),
    /// An element of `IN (5, 6)`, which a JSON boolean can also equal.
    IntInSet(i128),
    /// `= '198.51.100.7'` written as the address prints.
    Ip(IpAddr),
    /// `ISSUBSET '198.51.100.0/24'`, against the same address family.
    Cidr { network: IpAddr, prefix: u8 },
    /// `LIKE '%.example'`: the value ends with this text, which starts with
    /// a dot so that it can only start at a label boundary.
    DotSuffix(String),
    /// `LIKE 'http://example/%'`: the value starts with this text.
    Prefix(String),
    /// `LIKE 'text'` without wildcards.
    LikeExact(String),
    /// `LIKE`/`MATCHES` with a literal the value must contain (any of them);
    /// found by a multi-pattern search, then confirmed by the comparison.
    Contains(Vec<String>),
}

/// One lookup of one comparison: where, and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Atom {
    pub key: KeyPath,
    pub lookup: Lookup,
    /// The comparison that confirms a [`Lookup::Contains`] hit.
    pub confirm: Option<Test>,
}

impl Atom {
    /// Whether a hit is the comparison's verdict, and a miss too. A literal
    /// found inside a value still needs the comparison. So does a block
    /// tested against a property that can hold the other address family
    /// (a `network-traffic`'s `src_ref.value`): the evaluator refuses to
    /// compare across families, which fails the whole pattern.
    pub fn is_exact(&self) -> bool {
        match &self.lookup {
            Lookup::Contains(_) => false,
            Lookup::Cidr { network, .. } => {
                let own = if network.is_ipv4() {
                    "ipv4-addr"
                } else {
                    "ipv6-addr"
                };
                self.key.object_type == own
                    && self.key.property == "value"
                    && self.key.steps.is_empty()
            }
            _ => true,
        }
    }
}

/// What an object must offer for a `[...]` to be able to hold: a hit on one
/// of `atoms`, or merely an object of one of `types` (tests the index
/// cannot look up, such as `!=` or `EXISTS`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Need {
    pub atoms: Vec<Atom>,
    pub types: BTreeSet<String>,
}

impl Need {
    /// Every comparison of the expression is an exact lookup joined by OR,
    /// so a hit on any atom is a match of the expression.
    fn exact(&self, expr: &ComparisonExpr) -> bool {
        self.types.is_empty() && self.atoms.iter().all(Atom::is_exact) && is_or_of_tests(expr)
    }

    fn cost(&self) -> (usize, usize) {
        (self.types.len(), self.atoms.len())
    }
}

fn is_or_of_tests(expr: &ComparisonExpr) -> bool {
    match &expr.kind {
        ComparisonKind::Test(_) => true,
        ComparisonKind::Or(items) => items.iter().all(is_or_of_tests),
        ComparisonKind::And(_) => false,
    }
}

/// How an indicator's verdict is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// An OR of exact lookups: a hit is a match.
    Direct,
    /// One observation decides: a hit is a candidate, evaluated in full
    /// against the event alone.
    Single,
    /// Several observations take part (`AND`, `FOLLOWEDBY`, `REPEATS`
    /// between observations): candidates are kept and the pattern is
    /// evaluated over them.
    Stream,
}

/// A pattern taken apart for the index.
pub(crate) struct Plan {
    pub class: Class,
    pub need: Need,
}

/// Why a pattern cannot be compiled. The same pattern can never match
/// under the full evaluator either (it fails there with an error).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub(crate) String);

pub(crate) fn plan(pattern: &Pattern) -> Result<Plan, CompileError> {
    let mut need = Need::default();
    let mut all_exact = true;
    let mut simple = Vec::new();
    collect_simple(&pattern.observation, &mut simple);
    for cmp in &simple {
        let n = need_of(cmp)?;
        all_exact &= n.exact(cmp);
        need.atoms.extend(n.atoms);
        need.types.extend(n.types);
    }
    let class = if !single_observation(&pattern.observation) {
        Class::Stream
    } else if all_exact && only_or(&pattern.observation) {
        Class::Direct
    } else {
        Class::Single
    };
    Ok(Plan { class, need })
}

fn collect_simple<'p>(e: &'p ObservationExpr, out: &mut Vec<&'p ComparisonExpr>) {
    match &e.kind {
        ObservationKind::Simple(c) => out.push(c),
        ObservationKind::And(items)
        | ObservationKind::Or(items)
        | ObservationKind::FollowedBy(items) => {
            items.iter().for_each(|i| collect_simple(i, out));
        }
        ObservationKind::Qualified { inner, .. } => collect_simple(inner, out),
    }
}

/// Whether a match always involves exactly one observation: OR, and the
/// qualifiers that only filter single observations (`WITHIN` over one
/// observation always holds; `START`/`STOP` checks its time).
fn single_observation(e: &ObservationExpr) -> bool {
    match &e.kind {
        ObservationKind::Simple(_) => true,
        ObservationKind::Or(items) => items.iter().all(single_observation),
        ObservationKind::And(_) | ObservationKind::FollowedBy(_) => false,
        ObservationKind::Qualified { inner, qualifiers } => {
            qualifiers
                .iter()
                .all(|q| !matches!(q.kind, QualifierKind::Repeats { .. }))
                && single_observation(inner)
        }
    }
}

fn only_or(e: &ObservationExpr) -> bool {
    match &e.kind {
        ObservationKind::Simple(_) => true,
        ObservationKind::Or(items) => items.iter().all(only_or),
        _ => false,
    }
}

fn need_of(expr: &ComparisonExpr) -> Result<Need, CompileError> {
    match &expr.kind {
        ComparisonKind::Test(c) => atoms_of(c),
        ComparisonKind::Or(items) => {
            let mut need = Need::default();
            for i in items {
                let n = need_of(i)?;
                need.atoms.extend(n.atoms);
                need.types.extend(n.types);
            }
            Ok(need)
        }
        // Any operand's need is the conjunction's; the cheapest is kept. All
        // operands are computed so that a defect anywhere is reported.
        ComparisonKind::And(items) => {
            let mut best: Option<Need> = None;
            for i in items {
                let n = need_of(i)?;
                if best.as_ref().is_none_or(|b| n.cost() < b.cost()) {
                    best = Some(n);
                }
            }
            Ok(best.unwrap_or_default())
        }
    }
}

fn atoms_of(c: &Comparison) -> Result<Need, CompileError> {
    let key = KeyPath::of(&c.path);
    let last = c.path.steps.iter().rev().find_map(|s| match s {
        crate::PathStep::Key(k) => Some(k.as_str()),
        _ => None,
    });
    let last = last.unwrap_or(&c.path.property);
    let lookups = if c.negated || last.ends_with("_hex") || last.ends_with("_bin") {
        // Bytes and negations: evaluated in full.
        None
    } else {
        lookups_of(&c.test)?
    };
    Ok(match lookups {
        Some(lookups) => Need {
            atoms: lookups
                .into_iter()
                .map(|lookup| Atom {
                    key: key.clone(),
                    confirm: matches!(lookup, Lookup::Contains(_)).then(|| c.test.clone()),
                    lookup,
                })
                .collect(),
            types: BTreeSet::new(),
        },
        None => Need {
            atoms: Vec::new(),
            types: BTreeSet::from([c.path.object_type.clone()]),
        },
    })
}

/// The lookups that find every value passing `test`, or `None` when no
/// structure can (the test is evaluated for every object of the type).
fn lookups_of(test: &Test) -> Result<Option<Vec<Lookup>>, CompileError> {
    Ok(match test {
        Test::Compare {
            op: CompareOp::Eq,
            value,
        } => match &value.value {
            Value::Str(s) => Some(vec![str_lookup(s)]),
            Value::Int(i) => Some(vec![Lookup::Int(*i)]),
            _ => None,
        },
        Test::In(set) => {
            let mut out = Vec::with_capacity(set.len());
            for l in set {
                match &l.value {
                    Value::Str(s) => out.push(str_lookup(s)),
                    Value::Int(i) => out.push(Lookup::IntInSet(*i)),
                    _ => return Ok(None),
                }
            }
            Some(out)
        }
        Test::IsSubset(block) => Some(vec![cidr_lookup(&block.value)?]),
        Test::Like(text) => like_lookup(&text.value),
        Test::Matches(text) => regex_lookup(&text.value),
        _ => None,
    })
}

/// A string equal to an address as it prints can be looked up by address.
fn str_lookup(s: &str) -> Lookup {
    match s.parse::<IpAddr>() {
        Ok(ip) if ip.to_string() == s => Lookup::Ip(ip),
        _ => Lookup::Str(s.to_owned()),
    }
}

fn cidr_lookup(block: &str) -> Result<Lookup, CompileError> {
    let bad = || {
        CompileError(format!(
            "ISSUBSET '{block}': not an IP address or CIDR block"
        ))
    };
    let (ip, prefix) = match block.split_once('/') {
        Some((ip, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => {
            (ip, Some(p.parse::<u8>().map_err(|_| bad())?))
        }
        Some(_) => return Err(bad()),
        None => (block, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let width = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(width);
    if prefix > width {
        return Err(bad());
    }
    Ok(Lookup::Cidr {
        network: mask(ip, prefix),
        prefix,
    })
}

/// The network address of `ip` under `prefix` bits.
pub(crate) fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

/// The shortest literal worth a multi-pattern search: shorter ones hit too
/// often to save evaluation.
const MIN_NEEDLE: usize = 3;

fn like_lookup(like: &str) -> Option<Vec<Lookup>> {
    // Non-ASCII literals go through Unicode normalisation in the
    // comparison; the fast structures compare bytes, so they take ASCII only.
    if like.is_ascii() && !like.contains('_') {
        let inner = &like[usize::from(like.starts_with('%'))..];
        let core = inner.strip_suffix('%').unwrap_or(inner);
        if !core.contains('%') {
            match (like.starts_with('%'), like.len() > 1 && like.ends_with('%')) {
                (false, false) => return Some(vec![Lookup::LikeExact(like.to_owned())]),
                (false, true) => return Some(vec![Lookup::Prefix(core.to_owned())]),
                (true, false) if core.starts_with('.') => {
                    return Some(vec![Lookup::DotSuffix(core.to_owned())]);
                }
                _ => {}
            }
        }
    }
    let longest = like
        .split(['%', '_'])
        .max_by_key(|piece| piece.len())
        .filter(|piece| piece.len() >= MIN_NEEDLE)?;
    Some(vec![Lookup::Contains(vec![longest.to_owned()])])
}

fn regex_lookup(re: &str) -> Option<Vec<Lookup>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    // fancy-regex syntax (look-around, backreferences) is beyond the
    // literal extractor: such expressions are evaluated in full.
    let hir = regex_syntax::ParserBuilder::new()
        .dot_matches_new_line(true)
        .build()
        .parse(re)
        .ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    let mut needles = Vec::with_capacity(literals.len());
    for lit in literals {
        match std::str::from_utf8(lit.as_bytes()) {
            Ok(s) if s.len() >= MIN_NEEDLE => needles.push(s.to_owned()),
            _ => return None,
        }
    }
    (!needles.is_empty()).then(|| vec![Lookup::Contains(needles)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(p: &str) -> Plan {
        plan(&crate::parse(p).unwrap()).unwrap()
    }

    fn lookups(p: &str) -> Vec<Lookup> {
        plan_of(p)
            .need
            .atoms
            .into_iter()
            .map(|a| a.lookup)
            .collect()
    }

    macro_rules! class {
        ($name:ident, $src:expr, $class:expr) => {
            #[test]
            fn $name() {
                assert_eq!(plan_of($src).class, $class);
            }
        };
    }

    class!(
        an_equality_is_direct,
        "[ipv4-addr:value = '198.51.100.7']",
        Class::Direct
    );
    class!(
        an_or_of_lookups_is_direct,
        "[domain-name:value = 'a.example' OR domain-name:value LIKE '%.b.example'] OR [url:value LIKE 'http://c/%']",
        Class::Direct
    );
    class!(
        an_and_in_one_object_is_single,
        "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
        Class::Single
    );
    class!(
        a_contains_lookup_is_confirmed,
        "[url:value MATCHES 'evil[0-9]+\\\\.example']",
        Class::Single
    );
    class!(
        start_stop_is_single,
        "[ipv4-addr:value = '198.51.100.7'] START t'2026-01-01T00:00:00Z' STOP t'2027-01-01T00:00:00Z'",
        Class::Single
    );
    class!(
        and_between_observations_is_stream,
        "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'x.example']",
        Class::Stream
    );
    class!(
        repeats_is_stream,
        "[domain-name:value = 'x.example'] REPEATS 2 TIMES",
        Class::Stream
    );

    #[test]
    fn like_shapes_pick_structures() {
        assert_eq!(
            lookups("[domain-name:value LIKE '%.evil.example']"),
            vec![Lookup::DotSuffix(".evil.example".into())]
        );
        assert_eq!(
            lookups("[url:value LIKE 'http://evil.example/a/%']"),
            vec![Lookup::Prefix("http://evil.example/a/".into())]
        );
        assert_eq!(
            lookups("[domain-name:value LIKE 'evil.example']"),
            vec![Lookup::LikeExact("evil.example".into())]
        );
        assert_eq!(
            lookups("[domain-name:value LIKE '%evil.example']"),
            vec![Lookup::Contains(vec!["evil.example".into()])]
        );
        assert_eq!(
            lookups("[domain-name:value LIKE 'a%b%cde']"),
            vec![Lookup::Contains(vec!["cde".into()])]
        );
        assert_eq!(
            plan_of("[domain-name:value LIKE '%']").need.types,
            BTreeSet::from(["domain-name".to_owned()])
        );
    }

    #[test]
    fn an_and_needs_its_cheapest_operand() {
        let need =
            plan_of("[file:size > 10 AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']")
                .need;
        assert!(need.types.is_empty());
        assert_eq!(need.atoms.len(), 1);
    }

    #[test]
    fn negations_and_orderings_need_the_type() {
        let need = plan_of("[ipv4-addr:value != '198.51.100.7' OR file:size > 3]").need;
        assert!(need.atoms.is_empty());
        assert_eq!(
            need.types,
            BTreeSet::from(["file".to_owned(), "ipv4-addr".to_owned()])
        );
    }

    #[test]
    fn addresses_and_blocks() {
        assert_eq!(
            lookups("[ipv4-addr:value = '198.51.100.7']"),
            vec![Lookup::Ip("198.51.100.7".parse().unwrap())]
        );
        assert_eq!(
            lookups("[ipv4-addr:value = '198.051.100.7']"),
            vec![Lookup::Str("198.051.100.7".into())]
        );
        assert_eq!(
            lookups("[ipv4-addr:value ISSUBSET '198.51.100.77/24']"),
            vec![Lookup::Cidr {
                network: "198.51.100.0".parse().unwrap(),
                prefix: 24
            }]
        );
        assert!(
            plan(&crate::parse("[ipv4-addr:value ISSUBSET '198.51.100.0/33']").unwrap()).is_err()
        );
    }

    #[test]
    fn regexes_give_their_literals() {
        assert_eq!(
            lookups("[url:value MATCHES '^https?://evil']"),
            vec![Lookup::Contains(vec![
                "https://evil".into(),
                "http://evil".into()
            ])]
        );
        assert!(plan_of("[url:value MATCHES '.*x']").need.atoms.is_empty());
        assert!(
            plan_of("[url:value MATCHES '(?<=a)bcd']")
                .need
                .atoms
                .is_empty()
        );
    }
}
