//! Address ranges: a small CIDR type, and the table of listed ranges that
//! answers "which entries contain this address" and "which entries overlap
//! this range".
//!
//! The table keeps one hash map per prefix length, keyed by the masked
//! network, so an address costs one lookup per prefix length present (a
//! handful in practice), and, per list, the entries sorted by their first
//! address, so a range in a pattern finds an entry inside it by binary search.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::lists::EntryId;

/// The address family of a [`Cidr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    fn width(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// A block of addresses: `start/len`, with the host bits of `start` zero.
///
/// IPv4 addresses are held in the low 32 bits. An IPv4-mapped IPv6 address
/// (`::ffff:8.8.8.8`) is the IPv4 address it maps, so it meets the IPv4
/// entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cidr {
    pub(crate) family: Family,
    pub(crate) start: u128,
    pub(crate) len: u8,
}

/// The network mask of a prefix length, within the family's width.
fn mask(family: Family, len: u8) -> u128 {
    let width = family.width();
    if len == 0 {
        0
    } else {
        let all = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        (all << (width - len)) & all
    }
}

const MAPPED: u128 = 0xffff_0000_0000;

impl Cidr {
    /// The whole IPv4 space, `0.0.0.0/0`.
    pub(crate) const ALL_V4: Cidr = Cidr {
        family: Family::V4,
        start: 0,
        len: 0,
    };

    /// The whole IPv6 space, `::/0`.
    pub(crate) const ALL_V6: Cidr = Cidr {
        family: Family::V6,
        start: 0,
        len: 0,
    };

    /// A block; host bits of `start` are cleared.
    fn new(family: Family, start: u128, len: u8) -> Cidr {
        Cidr {
            family,
            start: start & mask(family, len),
            len,
        }
    }

    /// One address.
    pub(crate) fn addr(ip: IpAddr) -> Cidr {
        match ip {
            IpAddr::V4(a) => Cidr::new(Family::V4, u32::from(a).into(), 32),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => Cidr::new(Family::V4, u32::from(v4).into(), 32),
                None => Cidr::new(Family::V6, u128::from(a), 128),
            },
        }
    }

    /// Reads `198.51.100.7`, `198.51.100.0/24`, `2001:db8::1` or
    /// `2001:db8::/32`. Host bits set under the mask are cleared
    /// (`10.1.2.3/8` is `10.0.0.0/8`), as MISP does. `Err` says why not.
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        // An IPv6 zone (`fe80::1%eth0`) names an interface, not an address.
        let addr = match addr.split_once('%') {
            Some((a, _)) if a.contains(':') => a,
            _ => addr,
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv4 or IPv6 address"))?;
        let Some(len) = len else {
            return Ok(Cidr::addr(ip));
        };
        let width = match ip {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("prefix length {len:?} is not a number"));
        }
        let len: u8 = len
            .parse()
            .map_err(|_| format!("prefix length {len} is not a number"))?;
        if len > width {
            return Err(format!("prefix length {len} is longer than {width}"));
        }
        Ok(match ip {
            IpAddr::V4(a) => Cidr::new(Family::V4, u32::from(a).into(), len),
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                // A block inside ::ffff:0:0/96 is a block of IPv4 addresses.
                if len >= 96 && bits >> 32 == MAPPED >> 32 {
                    Cidr::new(Family::V4, bits & 0xffff_ffff, len - 96)
                } else {
                    Cidr::new(Family::V6, bits, len)
                }
            }
        })
    }

    /// The last address of the block.
    pub(crate) fn end(&self) -> u128 {
        self.start | (!mask(self.family, self.len) & self.all())
    }

    fn all(&self) -> u128 {
        match self.family {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    /// Whether the block is one address.
    pub(crate) fn is_single(&self) -> bool {
        self.len == self.family.width()
    }

    /// Whether an IPv6 block covers all of `::ffff:0:0/96`, the IPv4-mapped
    /// addresses, and so every IPv4 address.
    pub(crate) fn covers_mapped(&self) -> bool {
        self.family == Family::V6
            && self.len <= 96
            && MAPPED & mask(Family::V6, self.len) == self.start
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            // The value came from a u32.
            Family::V4 => write!(f, "{}", Ipv4Addr::from(self.start as u32))?,
            Family::V6 => write!(f, "{}", Ipv6Addr::from(self.start))?,
        }
        if !self.is_single() {
            write!(f, "/{}", self.len)?;
        }
        Ok(())
    }
}

/// The listed ranges of one family.
#[derive(Debug, Default)]
struct FamilyTable {
    /// Per prefix length present, longest first: masked network to entries.
    by_len: Vec<(u8, HashMap<u128, Vec<EntryId>>)>,
    /// (list, start, entry), sorted: per list, the entries by first address.
    by_start: Vec<(u32, u128, u32)>,
}

/// The listed ranges of every list.
#[derive(Debug, Default)]
pub(crate) struct NetTable {
    v4: FamilyTable,
    v6: FamilyTable,
}

impl NetTable {
    fn family(&self, family: Family) -> &FamilyTable {
        match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    /// Adds an entry; call [`NetTable::finish`] after the last.
    pub(crate) fn insert(&mut self, cidr: Cidr, id: EntryId) {
        let table = match cidr.family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        };
        let at = match table.by_len.iter().position(|(len, _)| *len == cidr.len) {
            Some(at) => at,
            None => {
                table.by_len.push((cidr.len, HashMap::new()));
                table.by_len.len() - 1
            }
        };
        table.by_len[at].1.entry(cidr.start).or_default().push(id);
        table.by_start.push((id.list, cidr.start, id.entry));
    }

    /// Sorts the tables for lookups.
    pub(crate) fn finish(&mut self) {
        for table in [&mut self.v4, &mut self.v6] {
            table.by_len.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
            table.by_start.sort_unstable();
        }
    }

    /// Calls `f` with every entry that contains all of `cidr`, most specific
    /// first.
    pub(crate) fn containing(&self, cidr: Cidr, mut f: impl FnMut(EntryId)) {
        for (len, map) in &self.family(cidr.family).by_len {
            if *len > cidr.len {
                continue;
            }
            if let Some(ids) = map.get(&(cidr.start & mask(cidr.family, *len))) {
                ids.iter().copied().for_each(&mut f);
            }
        }
    }

    /// Calls `f` with, for each list, one entry that lies inside `cidr` (the
    /// one with the lowest first address), if the list has one.
    pub(crate) fn inside(&self, cidr: Cidr, mut f: impl FnMut(EntryId)) {
        let sorted = &self.family(cidr.family).by_start;
        let end = cidr.end();
        let mut i = 0;
        while i < sorted.len() {
            let list = sorted[i].0;
            let block_end = i + sorted[i..].partition_point(|e| e.0 == list);
            let block = &sorted[i..block_end];
            let j = block.partition_point(|e| e.1 < cidr.start);
            if let Some(&(_, start, entry)) = block.get(j)
                && start <= end
            {
                f(EntryId { list, entry });
            }
            i = block_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    macro_rules! parses {
        ($name:ident, $text:expr, $shown:expr) => {
            #[test]
            fn $name() {
                assert_eq!(cidr($text).to_string(), $shown);
            }
        };
    }
    macro_rules! refuses {
        ($name:ident, $text:expr, $reason:expr) => {
            #[test]
            fn $name() {
                assert_eq!(Cidr::parse($text).unwrap_err(), $reason);
            }
        };
    }

    parses!(v4_address, "198.51.100.7", "198.51.100.7");
    parses!(v4_block, "198.51.100.0/24", "198.51.100.0/24");
    parses!(v4_host_bits_cleared, "10.1.2.3/8", "10.0.0.0/8");
    parses!(v4_all, "0.0.0.0/0", "0.0.0.0/0");
    parses!(v4_slash_32_is_address, "8.8.8.8/32", "8.8.8.8");
    parses!(v6_address, "2001:DB8::1", "2001:db8::1");
    parses!(v6_block, "2001:db8::/32", "2001:db8::/32");
    parses!(v6_all, "::/0", "::/0");
    parses!(v6_mapped_is_v4, "::ffff:8.8.8.8", "8.8.8.8");
    parses!(v6_mapped_block_is_v4, "::ffff:10.0.0.0/104", "10.0.0.0/8");
    parses!(v6_mapped_whole, "::ffff:0:0/96", "0.0.0.0/0");
    parses!(v6_zone_dropped, "fe80::1%eth0", "fe80::1");

    refuses!(
        not_an_address,
        "example.gov",
        "\"example.gov\" is not an IPv4 or IPv6 address"
    );
    refuses!(
        v4_too_long,
        "10.0.0.0/33",
        "prefix length 33 is longer than 32"
    );
    refuses!(
        v6_too_long,
        "2001:db8::/129",
        "prefix length 129 is longer than 128"
    );
    refuses!(
        empty_length,
        "10.0.0.0/",
        "prefix length \"\" is not a number"
    );
    refuses!(
        signed_length,
        "10.0.0.0/+8",
        "prefix length \"+8\" is not a number"
    );
    refuses!(
        octal_looking,
        "010.0.0.1",
        "\"010.0.0.1\" is not an IPv4 or IPv6 address"
    );

    #[test]
    fn ends() {
        assert_eq!(cidr("10.0.0.0/8").end(), u128::from(0x0aff_ffff_u32));
        assert_eq!(cidr("0.0.0.0/0").end(), u128::from(u32::MAX));
        assert_eq!(cidr("8.8.8.8").end(), u128::from(0x0808_0808_u32));
        assert_eq!(cidr("::/0").end(), u128::MAX);
        assert_eq!(
            cidr("2001:db8::/32").end(),
            u128::from(
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
                    .parse::<Ipv6Addr>()
                    .unwrap()
            )
        );
    }

    #[test]
    fn covers_mapped() {
        assert!(cidr("::/0").covers_mapped());
        assert!(cidr("::/80").covers_mapped());
        assert!(!cidr("2001:db8::/32").covers_mapped());
        assert!(!cidr("10.0.0.0/8").covers_mapped());
    }

    fn table(entries: &[(u32, &str)]) -> NetTable {
        let mut t = NetTable::default();
        for (i, (list, text)) in entries.iter().enumerate() {
            t.insert(
                cidr(text),
                EntryId {
                    list: *list,
                    entry: i as u32,
                },
            );
        }
        t.finish();
        t
    }

    fn containing(t: &NetTable, text: &str) -> Vec<u32> {
        let mut out = vec![];
        t.containing(cidr(text), |id| out.push(id.entry));
        out
    }

    fn inside(t: &NetTable, text: &str) -> Vec<u32> {
        let mut out = vec![];
        t.inside(cidr(text), |id| out.push(id.entry));
        out
    }

    #[test]
    fn containing_most_specific_first() {
        let t = table(&[
            (0, "10.0.0.0/8"),
            (0, "10.1.0.0/16"),
            (1, "10.1.2.3"),
            (1, "2001:db8::/32"),
        ]);
        assert_eq!(containing(&t, "10.1.2.3"), [2, 1, 0]);
        assert_eq!(containing(&t, "10.1.2.4"), [1, 0]);
        assert_eq!(containing(&t, "10.2.0.0/16"), [0]);
        assert_eq!(containing(&t, "10.0.0.0/7"), Vec::<u32>::new());
        assert_eq!(containing(&t, "11.0.0.1"), Vec::<u32>::new());
        assert_eq!(containing(&t, "2001:db8:1::5"), [3]);
        assert_eq!(containing(&t, "2001:db9::5"), Vec::<u32>::new());
    }

    #[test]
    fn inside_one_per_list() {
        let t = table(&[
            (0, "8.8.8.8"),
            (0, "8.8.4.4"),
            (1, "1.1.1.1"),
            (1, "9.9.9.9"),
            (2, "::1"),
        ]);
        assert_eq!(inside(&t, "8.8.0.0/16"), [1]);
        assert_eq!(inside(&t, "0.0.0.0/0"), [1, 2]);
        assert_eq!(inside(&t, "9.0.0.0/8"), [3]);
        assert_eq!(inside(&t, "8.8.8.9"), Vec::<u32>::new());
        assert_eq!(inside(&t, "8.8.8.8"), [0]);
        assert_eq!(inside(&t, "::/0"), [4]);
        assert_eq!(inside(&t, "255.0.0.0/8"), Vec::<u32>::new());
    }
}
