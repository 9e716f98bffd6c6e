//! The lookup structures of one key: hashing for exact values, a table per
//! prefix length for CIDR blocks, label suffixes, anchored prefixes, and a
//! multi-pattern search for literals inside LIKE and MATCHES.

use std::borrow::Cow;
use std::hash::Hash;
use std::net::IpAddr;

use ahash::AHashMap;
use aho_corasick::AhoCorasick;
use unicode_normalization::UnicodeNormalization;

use super::atoms::{Atom, Lookup, mask};
use super::keys::FactValue;
use crate::ast::Test;
use crate::eval::compare::text_passes;

/// The indicators one entry leads to: one inline, or a list kept aside.
/// Most values belong to one indicator, and a `u32` is a quarter of a `Vec`.
#[derive(Clone, Copy)]
struct Targets(u32);

const SPILLED: u32 = 1 << 31;

/// The indicators behind all entries of one key that have more than one.
#[derive(Default)]
struct Spill(Vec<Vec<u32>>);

impl Spill {
    fn add(&mut self, slot: &mut Targets, indicator: u32) {
        if slot.0 & SPILLED != 0 {
            self.0[(slot.0 & !SPILLED) as usize].push(indicator);
        } else if slot.0 != indicator {
            let at = u32::try_from(self.0.len()).unwrap_or(u32::MAX) | SPILLED;
            self.0.push(vec![slot.0, indicator]);
            *slot = Targets(at);
        }
    }

    fn each(&self, t: Targets, mut f: impl FnMut(u32)) {
        if t.0 & SPILLED != 0 {
            self.0[(t.0 & !SPILLED) as usize].iter().for_each(|&i| f(i));
        } else {
            f(t.0);
        }
    }
}

fn insert<K: Eq + Hash>(map: &mut AHashMap<K, Targets>, spill: &mut Spill, key: K, indicator: u32) {
    match map.get_mut(&key) {
        Some(slot) => spill.add(slot, indicator),
        None => {
            map.insert(key, Targets(indicator));
        }
    }
}

/// `ISSUBSET` blocks of one address family: a map per prefix length, behind
/// a bitmap of the /16s any block touches, so that most addresses are
/// turned away with one bit test.
#[derive(Default)]
struct Cidrs {
    /// Prefix lengths present, longest first.
    lengths: Vec<u8>,
    by_length: AHashMap<(u8, u128), Targets>,
    /// One bit per value of the address's top 16 bits.
    touched: Vec<u64>,
}

impl Cidrs {
    fn insert(&mut self, spill: &mut Spill, network: u128, width: u8, prefix: u8, indicator: u32) {
        if self.touched.is_empty() {
            self.touched = vec![0; 1 << 10];
        }
        let top = (network >> (width - 16)) as usize;
        let span = if prefix >= 16 {
            1
        } else {
            1usize << (16 - prefix)
        };
        for slot in top..top + span {
            self.touched[slot / 64] |= 1 << (slot % 64);
        }
        if let Err(at) = self.lengths.binary_search_by(|l| prefix.cmp(l)) {
            self.lengths.insert(at, prefix);
        }
        insert(&mut self.by_length, spill, (prefix, network), indicator);
    }

    /// Blocks of at most `max_prefix` bits that contain `addr`.
    fn find(&self, spill: &Spill, addr: u128, width: u8, max_prefix: u8, mut f: impl FnMut(u32)) {
        if self.touched.is_empty() {
            return;
        }
        let top = (addr >> (width - 16)) as usize;
        if self.touched[top / 64] & (1 << (top % 64)) == 0 {
            return;
        }
        for &prefix in self.lengths.iter().filter(|&&p| p <= max_prefix) {
            let m = u128::MAX
                .checked_shl(u32::from(width - prefix))
                .unwrap_or(0);
            if let Some(&t) = self.by_length.get(&(prefix, addr & m)) {
                spill.each(t, &mut f);
            }
        }
    }
}

/// `LIKE 'text%'`. A prefix with three slashes (`scheme://host/…`) is filed
/// under that much of it, so a URL finds its bucket with one hash; shorter
/// prefixes are looked up at each length present.
#[derive(Default)]
struct Prefixes {
    by_anchor: AHashMap<Box<str>, Vec<(Box<str>, u32)>>,
    short: AHashMap<Box<str>, Targets>,
    short_lengths: Vec<usize>,
}

fn anchor(s: &str) -> Option<&str> {
    let end = s.match_indices('/').nth(2)?.0;
    Some(&s[..=end])
}

impl Prefixes {
    fn insert(&mut self, spill: &mut Spill, prefix: &str, indicator: u32) {
        match anchor(prefix) {
            Some(a) => self
                .by_anchor
                .entry(a.into())
                .or_default()
                .push((prefix.into(), indicator)),
            None => {
                if let Err(at) = self.short_lengths.binary_search(&prefix.len()) {
                    self.short_lengths.insert(at, prefix.len());
                }
                insert(&mut self.short, spill, prefix.into(), indicator);
            }
        }
    }

    fn find(&self, spill: &Spill, value: &str, mut f: impl FnMut(u32)) {
        if let Some(bucket) = anchor(value).and_then(|a| self.by_anchor.get(a)) {
            for (p, i) in bucket {
                if value.starts_with(&**p) {
                    f(*i);
                }
            }
        }
        for &len in &self.short_lengths {
            let Some(head) = value.get(..len) else {
                if len > value.len() {
                    break;
                }
                continue;
            };
            if let Some(&t) = self.short.get(head) {
                spill.each(t, &mut f);
            }
        }
    }
}

/// Literals that LIKE or MATCHES values must contain, found all at once;
/// each hit is confirmed by the comparison itself.
struct Contains {
    needles: Vec<String>,
    /// Per needle: (indicator, test to confirm).
    entries: Vec<Vec<(u32, u32)>>,
    tests: Vec<Test>,
    automaton: Option<AhoCorasick>,
}

/// Everything indexed under one key.
#[derive(Default)]
pub(crate) struct KeyTable {
    spill: Spill,
    strs: AHashMap<Box<str>, Targets>,
    ips: AHashMap<IpAddr, Targets>,
    ints: AHashMap<i128, Targets>,
    ints_in_set: AHashMap<i128, Targets>,
    like_exact: AHashMap<Box<str>, Targets>,
    v4: Cidrs,
    v6: Cidrs,
    dot_suffixes: AHashMap<Box<str>, Targets>,
    prefixes: Prefixes,
    contains: Option<Contains>,
    /// Whether any structure compares text (LIKE and friends), so that an
    /// address must be printed to be looked up.
    text_structures: bool,
}

impl KeyTable {
    pub fn insert(&mut self, atom: &Atom, indicator: u32) {
        let spill = &mut self.spill;
        match &atom.lookup {
            Lookup::Str(s) => insert(&mut self.strs, spill, s.as_str().into(), indicator),
            Lookup::Int(i) => insert(&mut self.ints, spill, *i, indicator),
            Lookup::IntInSet(i) => insert(&mut self.ints_in_set, spill, *i, indicator),
            Lookup::Ip(ip) => insert(&mut self.ips, spill, *ip, indicator),
            Lookup::Cidr { network, prefix } => match network {
                IpAddr::V4(a) => {
                    self.v4
                        .insert(spill, u128::from(u32::from(*a)), 32, *prefix, indicator)
                }
                IpAddr::V6(a) => self
                    .v6
                    .insert(spill, u128::from(*a), 128, *prefix, indicator),
            },
            Lookup::LikeExact(s) => {
                self.text_structures = true;
                insert(&mut self.like_exact, spill, s.as_str().into(), indicator);
            }
            Lookup::DotSuffix(s) => {
                self.text_structures = true;
                insert(&mut self.dot_suffixes, spill, s.as_str().into(), indicator);
            }
            Lookup::Prefix(s) => {
                self.text_structures = true;
                self.prefixes.insert(spill, s, indicator);
            }
            Lookup::Contains(needles) => {
                self.text_structures = true;
                let c = self.contains.get_or_insert_with(|| Contains {
                    needles: Vec::new(),
                    entries: Vec::new(),
                    tests: Vec::new(),
                    automaton: None,
                });
                let t = u32::try_from(c.tests.len()).unwrap_or(u32::MAX);
                c.tests.push(atom.confirm.clone().unwrap_or(Test::Exists));
                for n in needles {
                    // Needles repeat across indicators; the automaton wants each once.
                    let at = match c.needles.iter().rposition(|x| x == n) {
                        Some(at) => at,
                        None => {
                            c.needles.push(n.clone());
                            c.entries.push(Vec::new());
                            c.needles.len() - 1
                        }
                    };
                    c.entries[at].push((indicator, t));
                }
            }
        }
    }

    /// Builds what can only be built once every entry is in.
    pub fn finish(&mut self) -> Result<(), String> {
        if let Some(c) = &mut self.contains {
            c.automaton = Some(AhoCorasick::new(&c.needles).map_err(|e| e.to_string())?);
        }
        Ok(())
    }

    /// Calls `f(indicator)` for each indicator with an atom this value hits.
    pub fn find(&self, value: FactValue<'_>, mut f: impl FnMut(u32)) {
        let spill = &self.spill;
        match value {
            FactValue::Int(i) => {
                if let Some(&t) = self.ints.get(&i) {
                    spill.each(t, &mut f);
                }
                if let Some(&t) = self.ints_in_set.get(&i) {
                    spill.each(t, &mut f);
                }
            }
            FactValue::Bool(b) => {
                if let Some(&t) = self.ints_in_set.get(&i128::from(b)) {
                    spill.each(t, &mut f);
                }
            }
            FactValue::Ip(ip) => {
                if let Some(&t) = self.ips.get(&ip) {
                    spill.each(t, &mut f);
                }
                match ip {
                    IpAddr::V4(a) => self
                        .v4
                        .find(spill, u128::from(u32::from(a)), 32, 32, &mut f),
                    IpAddr::V6(a) => self.v6.find(spill, u128::from(a), 128, 128, &mut f),
                }
                if self.text_structures {
                    self.find_text(&ip.to_string(), &mut f);
                }
            }
            FactValue::Str(s) => {
                if let Some(&t) = self.strs.get(s) {
                    spill.each(t, &mut f);
                }
                // A string that prints as an address equals an address literal.
                if !self.ips.is_empty()
                    || !self.v4.lengths.is_empty()
                    || !self.v6.lengths.is_empty()
                {
                    if let Ok(ip) = s.parse::<IpAddr>() {
                        if let Some(&t) = self.ips.get(&ip).filter(|_| ip.to_string() == s) {
                            spill.each(t, &mut f);
                        }
                        // A block contains an address of its family however it is written.
                        match ip {
                            IpAddr::V4(a) => {
                                self.v4
                                    .find(spill, u128::from(u32::from(a)), 32, 32, &mut f)
                            }
                            IpAddr::V6(a) => self.v6.find(spill, u128::from(a), 128, 128, &mut f),
                        }
                    } else if let Some((ip, prefix)) = parse_block(s) {
                        // A value that is itself a block is within the blocks
                        // that contain its network and are no longer than it.
                        let (cidrs, addr, width) = match ip {
                            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a)), 32),
                            IpAddr::V6(a) => (&self.v6, u128::from(a), 128),
                        };
                        cidrs.find(spill, addr, width, prefix, &mut f);
                    }
                }
                if self.text_structures {
                    self.find_text(s, &mut f);
                }
            }
        }
    }

    /// LIKE and MATCHES compare NFC-normalised text.
    fn find_text(&self, s: &str, f: &mut impl FnMut(u32)) {
        let s: Cow<'_, str> = if s.is_ascii() {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(s.nfc().collect())
        };
        let spill = &self.spill;
        if let Some(&t) = self.like_exact.get(&*s) {
            spill.each(t, &mut *f);
        }
        if !self.dot_suffixes.is_empty() {
            for (at, _) in s.match_indices('.') {
                if let Some(&t) = self.dot_suffixes.get(&s[at..]) {
                    spill.each(t, &mut *f);
                }
            }
        }
        self.prefixes.find(spill, &s, &mut *f);
        if let Some(c) = &self.contains {
            if let Some(ac) = &c.automaton {
                let mut confirmed: Vec<(u32, u32)> = Vec::new();
                for m in ac.find_overlapping_iter(&*s) {
                    for &(indicator, test) in &c.entries[m.pattern().as_usize()] {
                        if confirmed.contains(&(indicator, test)) {
                            continue;
                        }
                        confirmed.push((indicator, test));
                        if text_passes(&c.tests[test as usize], &s) == Ok(true) {
                            f(indicator);
                        }
                    }
                }
            }
        }
    }

    /// Whether no atom was filed under this key.
    pub fn is_empty(&self) -> bool {
        self.strs.is_empty()
            && self.ips.is_empty()
            && self.ints.is_empty()
            && self.ints_in_set.is_empty()
            && self.like_exact.is_empty()
            && self.v4.lengths.is_empty()
            && self.v6.lengths.is_empty()
            && self.dot_suffixes.is_empty()
            && self.prefixes.by_anchor.is_empty()
            && self.prefixes.short.is_empty()
            && self.contains.is_none()
    }

    /// Heap bytes held, roughly: entries at their map's capacity plus the
    /// text they own.
    pub fn heap_bytes(&self) -> usize {
        fn map<K, V>(m: &AHashMap<K, V>) -> usize {
            m.capacity() * (std::mem::size_of::<(K, V)>() + 1)
        }
        let text =
            |m: &AHashMap<Box<str>, Targets>| m.keys().map(|k| k.len()).sum::<usize>() + map(m);
        let spill: usize = self.spill.0.iter().map(|v| 24 + v.capacity() * 4).sum();
        let prefixes = self
            .prefixes
            .by_anchor
            .iter()
            .map(|(a, v)| a.len() + 24 + v.iter().map(|(p, _)| p.len() + 24).sum::<usize>())
            .sum::<usize>()
            + map(&self.prefixes.by_anchor)
            + text(&self.prefixes.short);
        let contains = self.contains.as_ref().map_or(0, |c| {
            c.needles.iter().map(|n| n.len() + 24).sum::<usize>()
                + c.entries
                    .iter()
                    .map(|e| 24 + e.capacity() * 8)
                    .sum::<usize>()
                + c.tests.len() * std::mem::size_of::<Test>()
                + c.automaton.as_ref().map_or(0, AhoCorasick::memory_usage)
        });
        spill
            + text(&self.strs)
            + map(&self.ips)
            + map(&self.ints)
            + map(&self.ints_in_set)
            + text(&self.like_exact)
            + map(&self.v4.by_length)
            + map(&self.v6.by_length)
            + (self.v4.touched.len() + self.v6.touched.len()) * 8
            + text(&self.dot_suffixes)
            + prefixes
            + contains
    }
}

fn parse_block(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, p) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let p: u8 = p
        .parse()
        .ok()
        .filter(|_| p.bytes().all(|c| c.is_ascii_digit()))?;
    let width = if ip.is_ipv4() { 32 } else { 128 };
    (p <= width).then(|| (mask(ip, p), p))
}
