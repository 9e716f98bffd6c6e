//! Domain names: the one normal form every table holds, the checks an entry
//! must pass, and the table of listed domains.
//!
//! An entry covers the domain and every name below it, so a lookup walks up
//! the labels of the value (`a.b.example.gov`, `b.example.gov`,
//! `example.gov`, `gov`), one hash lookup each, and a lookalike such as
//! `notexample.gov` never meets `example.gov`: only whole labels are
//! compared.
//!
//! A `LIKE` in a pattern asks the other way round: could some name that ends
//! with this text be listed? For that the table also keeps, for each ancestor
//! of each entry, the label just below the ancestor on the way to the entry,
//! reversed and sorted, so "an entry under `gov` whose next label ends with
//! `ample`" is a binary search for the prefix `elpma`.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::lists::EntryId;

/// The normal form of a domain name: lower case, without the trailing dot of
/// a fully qualified name or a leading `*.` wildcard label.
///
/// Names are compared as given: an internationalised name written in Unicode
/// does not meet its `xn--` form.
pub(crate) fn normalise(text: &str) -> Cow<'_, str> {
    let text = text.trim();
    let text = text.strip_suffix('.').unwrap_or(text);
    let text = text.strip_prefix("*.").unwrap_or(text);
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// Checks a normalised domain that is to become an entry. `Err` says why not.
pub(crate) fn check_entry(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("empty domain name".into());
    }
    if domain.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    if let Some(c) = domain
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "/\\@:%*?#[]<>,;\"'|".contains(*c))
    {
        return Err(format!("{c:?} cannot appear in a domain name"));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("empty label (two dots in a row, or a dot at the start)".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
    }
    Ok(())
}

/// (list, a label reversed, entry): one step down from an ancestor towards an
/// entry.
type Child = (u32, Box<str>, u32);

/// The listed domains of every list that covers names below its entries.
#[derive(Debug, Default)]
pub(crate) struct DomainTable {
    /// Entry domain to the entries that list it.
    below: HashMap<Box<str>, Vec<EntryId>>,
    /// Ancestor ("" for the root) to (list, the next label down towards the
    /// entry reversed, entry), sorted.
    children: HashMap<Box<str>, Vec<Child>>,
}

impl DomainTable {
    /// Adds a normalised, checked domain; call [`DomainTable::finish`] after
    /// the last.
    pub(crate) fn insert(&mut self, domain: &str, id: EntryId) {
        self.below.entry(domain.into()).or_default().push(id);
        let mut rest = domain;
        loop {
            let (label, ancestor) = rest.split_once('.').unwrap_or((rest, ""));
            let reversed: String = label.chars().rev().collect();
            self.children.entry(ancestor.into()).or_default().push((
                id.list,
                reversed.into(),
                id.entry,
            ));
            if ancestor.is_empty() {
                break;
            }
            rest = ancestor;
        }
    }

    /// Sorts the tables for lookups.
    pub(crate) fn finish(&mut self) {
        for v in self.children.values_mut() {
            v.sort_unstable();
        }
    }

    /// Calls `f` with every entry that covers the normalised `domain`: the
    /// domain itself or one of its ancestors; the most specific first.
    pub(crate) fn covering(&self, domain: &str, mut f: impl FnMut(EntryId)) {
        let mut rest = domain;
        loop {
            if let Some(ids) = self.below.get(rest) {
                ids.iter().copied().for_each(&mut f);
            }
            match rest.split_once('.') {
                Some((_, up)) if !up.is_empty() => rest = up,
                _ => break,
            }
        }
    }

    /// Calls `f` with entries that some name ending with `suffix` (the literal
    /// tail of a `LIKE`, normalised) could be or fall under: the entries
    /// covering the whole labels of `suffix`, then, for each list, one entry
    /// that itself ends with `suffix`.
    pub(crate) fn may_match_suffix(&self, suffix: &str, mut f: impl FnMut(EntryId)) {
        // `suffix` is `partial.rest`: names ending with it are under `rest`,
        // and their label below `rest` ends with `partial`.
        let (partial, rest) = suffix.split_once('.').unwrap_or((suffix, ""));
        if !rest.is_empty() {
            self.covering(rest, &mut f);
        }
        let Some(sorted) = self.children.get(rest) else {
            return;
        };
        let wanted: String = partial.chars().rev().collect();
        let mut i = 0;
        while i < sorted.len() {
            let list = sorted[i].0;
            let block_end = i + sorted[i..].partition_point(|e| e.0 == list);
            let block = &sorted[i..block_end];
            let j = block.partition_point(|e| *e.1 < *wanted);
            if let Some((_, label, entry)) = block.get(j)
                && label.starts_with(&wanted)
            {
                f(EntryId {
                    list,
                    entry: *entry,
                });
            }
            i = block_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! normal {
        ($name:ident, $text:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(normalise($text), $want);
            }
        };
    }
    macro_rules! bad_entry {
        ($name:ident, $text:expr, $reason:expr) => {
            #[test]
            fn $name() {
                assert_eq!(check_entry($text).unwrap_err(), $reason);
            }
        };
    }

    normal!(lower_case, "Elections.Example.GOV", "elections.example.gov");
    normal!(trailing_dot, "example.gov.", "example.gov");
    normal!(wildcard_label, "*.example.gov", "example.gov");
    normal!(spaces_trimmed, " example.gov ", "example.gov");
    normal!(unicode_lowered, "BÜCHER.example", "bücher.example");

    bad_entry!(empty, "", "empty domain name");
    bad_entry!(
        double_dot,
        "a..b",
        "empty label (two dots in a row, or a dot at the start)"
    );
    bad_entry!(
        leading_dot,
        ".example.gov",
        "empty label (two dots in a row, or a dot at the start)"
    );
    bad_entry!(space, "a b.gov", "' ' cannot appear in a domain name");
    bad_entry!(
        url,
        "https://example.gov/",
        "':' cannot appear in a domain name"
    );
    bad_entry!(
        wildcard,
        "ex*ample.gov",
        "'*' cannot appear in a domain name"
    );
    bad_entry!(
        long_label,
        &format!("{}.gov", "a".repeat(64)),
        "label \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is longer than 63 characters"
    );

    #[test]
    fn good_entries() {
        for d in [
            "example.gov",
            "gov",
            "xn--bcher-kva.example",
            "_dmarc.example.gov",
            "bücher.example",
        ] {
            assert_eq!(check_entry(d), Ok(()), "{d}");
        }
    }

    fn table(entries: &[(u32, &str)]) -> DomainTable {
        let mut t = DomainTable::default();
        for (i, (list, d)) in entries.iter().enumerate() {
            t.insert(
                d,
                EntryId {
                    list: *list,
                    entry: i as u32,
                },
            );
        }
        t.finish();
        t
    }

    fn covering(t: &DomainTable, d: &str) -> Vec<u32> {
        let mut out = vec![];
        t.covering(d, |id| out.push(id.entry));
        out
    }

    fn may_match(t: &DomainTable, s: &str) -> Vec<u32> {
        let mut out = vec![];
        t.may_match_suffix(s, |id| out.push(id.entry));
        out
    }

    #[test]
    fn covering_walks_whole_labels() {
        let t = table(&[
            (0, "example.gov"),
            (0, "elections.example.gov"),
            (1, "google.com"),
        ]);
        let none = Vec::<u32>::new();
        assert_eq!(covering(&t, "example.gov"), [0]);
        assert_eq!(covering(&t, "elections.example.gov"), [1, 0]);
        assert_eq!(covering(&t, "www.elections.example.gov"), [1, 0]);
        assert_eq!(covering(&t, "notexample.gov"), none);
        assert_eq!(covering(&t, "example.gov.evil.com"), none);
        assert_eq!(covering(&t, "gov"), none);
        assert_eq!(covering(&t, "mail.google.com"), [2]);
        assert_eq!(covering(&t, "google.com.evil"), none);
        assert_eq!(covering(&t, ""), none);
    }

    #[test]
    fn may_match_suffix() {
        let t = table(&[
            (0, "elections.example.gov"),
            (1, "google.com"),
            (1, "apple.com"),
        ]);
        let none = Vec::<u32>::new();
        // `%.elections.example.gov`: names under the entry.
        assert_eq!(may_match(&t, ".elections.example.gov"), [0]);
        // `%.example.gov`: elections.example.gov is one of them.
        assert_eq!(may_match(&t, ".example.gov"), [0]);
        // `%ions.example.gov`: elections.example.gov ends with it.
        assert_eq!(may_match(&t, "ions.example.gov"), [0]);
        // `%xions.example.gov`: no listed name ends with it, and names
        // ending with it are not under an entry.
        assert_eq!(may_match(&t, "xions.example.gov"), none);
        // `%.gov`, `%gov`, `%`: the entry is among them.
        assert_eq!(may_match(&t, ".gov"), [0]);
        assert_eq!(may_match(&t, "gov"), [0]);
        assert_eq!(may_match(&t, ""), [0, 1]);
        // `%.www.google.com`: under google.com.
        assert_eq!(may_match(&t, ".www.google.com"), [1]);
        // `%oogle.com`, `%pple.com`, `%le.com`: one entry per list.
        assert_eq!(may_match(&t, "oogle.com"), [1]);
        assert_eq!(may_match(&t, "pple.com"), [2]);
        assert_eq!(may_match(&t, "le.com"), [1]);
        assert_eq!(may_match(&t, "evil.com"), none);
        assert_eq!(may_match(&t, ".org"), none);
    }
}
