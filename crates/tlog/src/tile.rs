//! tlog-tiles coordinates: hash tiles, entry bundles, their paths, and the bundle
//! byte format.
//!
//! A tile at level `L` and index `N` holds up to 256 hashes; hash `i` is the root of
//! the perfect subtree over leaves `[(256N + i)·256^L, (256N + i + 1)·256^L)`. A tile
//! with fewer than 256 hashes is *partial*; its width says how many. Tiles only
//! grow by appending, so a narrower version is always a prefix of a wider one.

use std::fmt;

use crate::error::{ApiMisuse, Format, ParseError, ParseErrorKind};

/// Hashes in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// Bytes of a full hash tile.
pub const FULL_TILE_BYTES: usize = 256 * 32;
/// Longest entry an entry bundle can hold (its length prefix is a u16).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;
/// Highest tile level a path may name.
pub const MAX_LEVEL: u8 = 63;

/// A hash tile: level, index and width (1..=256; 256 means full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    level: u8,
    index: u64,
    width: u16,
}

impl TileId {
    /// A tile with explicit coordinates. Level must be at most 63 and width 1..=256.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, ApiMisuse> {
        if level > MAX_LEVEL {
            return Err(ApiMisuse::InvalidTile("level above 63"));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(ApiMisuse::InvalidTile("width outside 1..=256"));
        }
        Ok(TileId {
            level,
            index,
            width,
        })
    }

    /// The full tile at (`level`, `index`).
    pub fn full(level: u8, index: u64) -> Result<Self, ApiMisuse> {
        Self::new(level, index, TILE_WIDTH)
    }

    // For levels this crate computes itself (0..=7), which are always valid.
    pub(crate) fn internal(level: u32, index: u64, width: u16) -> Self {
        debug_assert!(level <= MAX_LEVEL as u32 && (1..=TILE_WIDTH).contains(&width));
        TileId {
            level: level as u8,
            index,
            width,
        }
    }

    /// Tile (`level`, `index`) as it is in a tree of `size` leaves: full, partial
    /// with the right width, or `None` if the tree has no hash in it yet.
    pub fn at_size(level: u8, index: u64, size: u64) -> Option<Self> {
        if level > MAX_LEVEL {
            return None;
        }
        let hashes = level_hashes(level as u32, size);
        let first = (index as u128) * 256;
        if hashes as u128 <= first {
            return None;
        }
        let width = (hashes as u128 - first).min(256) as u16;
        Some(TileId {
            level,
            index,
            width,
        })
    }

    /// The tile level (0 holds leaf hashes).
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The tile index within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Hashes in the tile (256 for a full tile).
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile holds all 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The same tile at full width.
    pub fn to_full(self) -> Self {
        TileId {
            width: TILE_WIDTH,
            ..self
        }
    }

    /// Bytes of this tile: 32 per hash.
    pub fn byte_len(&self) -> usize {
        self.width as usize * 32
    }

    /// The resource path, `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tile/{}/", self.level)?;
        write_index(f, self.index, self.width)
    }
}

/// An entry bundle: the entries of level-0 tile `index`, `width` of them (1..=256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BundleId {
    index: u64,
    width: u16,
}

impl BundleId {
    /// A bundle with explicit coordinates; width must be 1..=256.
    pub fn new(index: u64, width: u16) -> Result<Self, ApiMisuse> {
        if width == 0 || width > TILE_WIDTH {
            return Err(ApiMisuse::InvalidTile("width outside 1..=256"));
        }
        Ok(BundleId { index, width })
    }

    /// The bundle holding entry `entry` in a tree of `size` leaves.
    pub fn for_entry(entry: u64, size: u64) -> Result<Self, ApiMisuse> {
        if entry >= size {
            return Err(ApiMisuse::IndexOutOfRange { index: entry, size });
        }
        let index = entry / 256;
        let width = (size - index * 256).min(256) as u16;
        Ok(BundleId { index, width })
    }

    /// The bundle index (same as its level-0 tile's).
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Entries in the bundle.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the bundle holds all 256 entries.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The first entry index in the bundle.
    pub fn first_entry(&self) -> u64 {
        self.index.saturating_mul(256)
    }

    /// The level-0 hash tile whose hashes are this bundle's leaf hashes.
    pub fn hash_tile(&self) -> TileId {
        TileId {
            level: 0,
            index: self.index,
            width: self.width,
        }
    }

    /// The resource path, `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for BundleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tile/entries/")?;
        write_index(f, self.index, self.width)
    }
}

fn write_index(f: &mut fmt::Formatter<'_>, index: u64, width: u16) -> fmt::Result {
    // Base-1000 groups, most significant first; all but the last get an 'x'.
    let mut groups = [0u16; 7];
    let mut n = index;
    let mut count = 0;
    loop {
        groups[count] = (n % 1000) as u16;
        count += 1;
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    for i in (1..count).rev() {
        write!(f, "x{:03}/", groups[i])?;
    }
    write!(f, "{:03}", groups[0])?;
    if width != TILE_WIDTH {
        write!(f, ".p/{width}")?;
    }
    Ok(())
}

/// A parsed tlog-tiles resource path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// `tile/<L>/<N>[.p/<W>]`
    Hash(TileId),
    /// `tile/entries/<N>[.p/<W>]`
    Entries(BundleId),
}

impl TilePath {
    /// Parses a path strictly: only the one canonical spelling the encoder emits
    /// is accepted (no leading zeroes in level or width, 3-digit groups with `x`
    /// on all but the last, no redundant leading `x000` group, index within u64).
    pub fn parse(path: &str) -> Result<Self, ParseError> {
        let err = |kind| ParseError::new(Format::TilePath, kind);
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| err(ParseErrorKind::Structure("must start with tile/")))?;
        let (level, rest) = rest
            .split_once('/')
            .ok_or_else(|| err(ParseErrorKind::Structure("missing index")))?;
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => (i, parse_width(w)?),
            None => (rest, TILE_WIDTH),
        };
        let index = parse_index(index_part)?;
        if level == "entries" {
            return Ok(TilePath::Entries(BundleId { index, width }));
        }
        let level = parse_decimal(level, "level", 63)? as u8;
        Ok(TilePath::Hash(TileId {
            level,
            index,
            width,
        }))
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TilePath::Hash(t) => t.fmt(f),
            TilePath::Entries(b) => b.fmt(f),
        }
    }
}

fn parse_decimal(s: &str, what: &'static str, max: u64) -> Result<u64, ParseError> {
    let err = |kind| ParseError::new(Format::TilePath, kind);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(ParseErrorKind::InvalidNumber {
            what,
            found: s.to_owned(),
        }));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(err(ParseErrorKind::LeadingZero {
            what,
            found: s.to_owned(),
        }));
    }
    match s.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(err(ParseErrorKind::OutOfRange {
            what,
            found: s.to_owned(),
        })),
    }
}

fn parse_width(s: &str) -> Result<u16, ParseError> {
    let w = parse_decimal(s, "width", 255)?;
    if w == 0 {
        return Err(ParseError::new(
            Format::TilePath,
            ParseErrorKind::OutOfRange {
                what: "width",
                found: s.to_owned(),
            },
        ));
    }
    Ok(w as u16)
}

fn parse_index(s: &str) -> Result<u64, ParseError> {
    let err = |kind| ParseError::new(Format::TilePath, kind);
    let groups: Vec<&str> = s.split('/').collect();
    let last = groups.len() - 1;
    let mut value: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i < last {
            g.strip_prefix('x').ok_or_else(|| {
                err(ParseErrorKind::Structure(
                    "index groups but the last need 'x'",
                ))
            })?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(ParseErrorKind::InvalidNumber {
                what: "index group",
                found: (*g).to_owned(),
            }));
        }
        let d: u64 = digits.bytes().fold(0, |a, b| a * 10 + u64::from(b - b'0'));
        if i == 0 && last > 0 && d == 0 {
            return Err(err(ParseErrorKind::NonCanonical(
                "leading x000 index group",
            )));
        }
        value = value
            .checked_mul(1000)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(|| {
                err(ParseErrorKind::OutOfRange {
                    what: "index",
                    found: s.to_owned(),
                })
            })?;
    }
    Ok(value)
}

/// Hashes at tile `level` in a tree of `size` leaves: `floor(size / 256^level)`.
pub(crate) fn level_hashes(level: u32, size: u64) -> u64 {
    size.checked_shr(8 * level).unwrap_or(0)
}

/// The shape of one tile level in a tree of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelLayout {
    /// The tile level.
    pub level: u8,
    /// Full tiles at this level.
    pub full_tiles: u64,
    /// Width of the partial tile at this level, 0 if there is none.
    pub partial_width: u16,
}

/// The tile layout of a tree of `size` leaves, level 0 first; a level exists while
/// `floor(size / 256^level) > 0`.
pub fn tile_layout(size: u64) -> Vec<LevelLayout> {
    let mut out = Vec::new();
    let mut level = 0u32;
    loop {
        let hashes = level_hashes(level, size);
        if hashes == 0 {
            break;
        }
        out.push(LevelLayout {
            level: level as u8,
            full_tiles: hashes / 256,
            partial_width: (hashes % 256) as u16,
        });
        level += 1;
    }
    out
}

/// The partial tiles of a tree of `size` leaves, level 0 first: the tree's right
/// edge. Together they are all a [`crate::TileWriter`] needs to resume appending,
/// and all [`crate::tree_root`] needs to compute the root.
pub fn edge_tiles(size: u64) -> Vec<TileId> {
    tile_layout(size)
        .into_iter()
        .filter(|l| l.partial_width > 0)
        .map(|l| TileId {
            level: l.level,
            index: l.full_tiles,
            width: l.partial_width,
        })
        .collect()
}

/// Encodes entries as an entry bundle: each is a big-endian u16 length and the bytes.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, ApiMisuse> {
    if entries.is_empty() || entries.len() > TILE_WIDTH as usize {
        return Err(ApiMisuse::BundleSize(entries.len()));
    }
    let total: usize = entries.iter().map(|e| e.as_ref().len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for (index, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| ApiMisuse::EntryTooLarge {
            index,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle that must hold exactly `width` entries (1..=256), as
/// its [`BundleId`] says. Truncated entries, missing entries and any bytes after
/// the last entry are errors.
pub fn decode_bundle(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>, ParseError> {
    let err = |kind| ParseError::new(Format::EntryBundle, kind);
    if width == 0 || width > TILE_WIDTH {
        return Err(err(ParseErrorKind::OutOfRange {
            what: "bundle width",
            found: width.to_string(),
        }));
    }
    let mut out = Vec::with_capacity(width as usize);
    let mut pos = 0usize;
    while out.len() < width as usize {
        if pos == bytes.len() {
            return Err(err(ParseErrorKind::TooFewItems {
                expected: width as usize,
                actual: out.len(),
            }));
        }
        let header = bytes
            .get(pos..pos + 2)
            .ok_or_else(|| err(ParseErrorKind::Truncated { offset: pos }))?;
        let len = u16::from_be_bytes([header[0], header[1]]) as usize;
        let entry = bytes
            .get(pos + 2..pos + 2 + len)
            .ok_or_else(|| err(ParseErrorKind::Truncated { offset: pos }))?;
        out.push(entry);
        pos += 2 + len;
    }
    if pos != bytes.len() {
        return Err(err(ParseErrorKind::TrailingData {
            offset: pos,
            extra: bytes.len() - pos,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! path_ok {
        ($name:ident, $path:expr, $expect:expr) => {
            #[test]
            fn $name() {
                let parsed = TilePath::parse($path).unwrap();
                assert_eq!(parsed, $expect);
                assert_eq!(parsed.to_string(), $path, "round trip");
            }
        };
    }

    macro_rules! rejects {
        ($name:ident, $path:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let e = TilePath::parse($path).unwrap_err();
                assert!(matches!(e.kind(), $kind), "{e:?}");
                assert_eq!(e.format(), Format::TilePath);
            }
        };
    }

    fn t(level: u8, index: u64, width: u16) -> TilePath {
        TilePath::Hash(TileId::new(level, index, width).unwrap())
    }
    fn b(index: u64, width: u16) -> TilePath {
        TilePath::Entries(BundleId::new(index, width).unwrap())
    }

    path_ok!(zero, "tile/0/000", t(0, 0, 256));
    path_ok!(partial, "tile/0/000.p/1", t(0, 0, 1));
    path_ok!(
        max_u64,
        "tile/63/x018/x446/x744/x073/x709/x551/615.p/255",
        t(63, u64::MAX, 255)
    );
    path_ok!(bundle, "tile/entries/x001/000.p/7", b(1000, 7));

    rejects!(no_prefix, "tiles/0/000", ParseErrorKind::Structure(_));
    rejects!(no_index, "tile/0", ParseErrorKind::Structure(_));
    rejects!(
        leading_x000,
        "tile/0/x000/001",
        ParseErrorKind::NonCanonical(_)
    );
    rejects!(missing_x, "tile/0/001/002", ParseErrorKind::Structure(_));
    rejects!(
        four_digits,
        "tile/0/x001/0002",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        two_digits,
        "tile/0/01",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        plus_sign,
        "tile/0/+01",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(level_64, "tile/64/000", ParseErrorKind::OutOfRange { .. });
    rejects!(
        level_leading_zero,
        "tile/01/000",
        ParseErrorKind::LeadingZero { .. }
    );
    rejects!(
        level_empty,
        "tile//000",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        width_256,
        "tile/0/000.p/256",
        ParseErrorKind::OutOfRange { .. }
    );
    rejects!(width_0, "tile/0/000.p/0", ParseErrorKind::OutOfRange { .. });
    rejects!(
        width_empty,
        "tile/0/000.p/",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        width_trailing,
        "tile/0/000.p/5/",
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        too_big,
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        ParseErrorKind::OutOfRange { .. }
    );
    rejects!(trailing_slash, "tile/0/000/", ParseErrorKind::Structure(_));

    macro_rules! bundle_rejects {
        ($name:ident, $hex:expr, $width:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let bytes: Vec<u8> = (0..$hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&$hex[i..i + 2], 16).unwrap())
                    .collect();
                let e = decode_bundle(&bytes, $width).unwrap_err();
                assert!(matches!(e.kind(), $kind), "{e:?}");
            }
        };
    }

    bundle_rejects!(bundle_empty, "", 1, ParseErrorKind::TooFewItems { .. });
    bundle_rejects!(
        bundle_half_header,
        "00",
        1,
        ParseErrorKind::Truncated { offset: 0 }
    );
    bundle_rejects!(
        bundle_short_entry,
        "000361",
        1,
        ParseErrorKind::Truncated { offset: 0 }
    );
    bundle_rejects!(
        bundle_trailing,
        "0001610001",
        1,
        ParseErrorKind::TrailingData {
            offset: 3,
            extra: 2
        }
    );
    bundle_rejects!(
        bundle_missing,
        "000161",
        2,
        ParseErrorKind::TooFewItems {
            expected: 2,
            actual: 1
        }
    );
    bundle_rejects!(
        bundle_width_0,
        "000161",
        0,
        ParseErrorKind::OutOfRange { .. }
    );

    #[test]
    fn bundle_round_trip_and_limits() {
        let entries: Vec<Vec<u8>> = vec![vec![], b"abc".to_vec(), vec![7; MAX_ENTRY_LEN]];
        let enc = encode_bundle(&entries).unwrap();
        let dec = decode_bundle(&enc, 3).unwrap();
        assert_eq!(
            dec,
            entries.iter().map(|e| e.as_slice()).collect::<Vec<_>>()
        );
        let too_big = vec![vec![0u8; MAX_ENTRY_LEN + 1]];
        assert_eq!(
            encode_bundle(&too_big),
            Err(ApiMisuse::EntryTooLarge {
                index: 0,
                len: MAX_ENTRY_LEN + 1
            })
        );
        assert!(encode_bundle::<&[u8]>(&[]).is_err());
        assert!(encode_bundle(&vec![b"a"; 257]).is_err());
    }

    #[test]
    fn tile_at_size() {
        assert_eq!(
            TileId::at_size(0, 0, 15),
            Some(TileId::new(0, 0, 15).unwrap())
        );
        assert_eq!(
            TileId::at_size(0, 0, 256),
            Some(TileId::full(0, 0).unwrap())
        );
        assert_eq!(
            TileId::at_size(1, 0, 256),
            Some(TileId::new(1, 0, 1).unwrap())
        );
        assert_eq!(TileId::at_size(0, 1, 256), None);
        assert_eq!(
            TileId::at_size(7, 0, u64::MAX),
            Some(TileId::new(7, 0, 255).unwrap())
        );
        assert_eq!(TileId::at_size(8, 0, u64::MAX), None);
    }
}
