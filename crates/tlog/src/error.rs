//! Errors, sorted by who is at fault.
//!
//! * [`ParseError`]: untrusted bytes did not follow the format (a note, a vkey, a
//!   checkpoint, a tile path, an entry bundle). It names the format, the line when
//!   there is one, and what was wrong.
//! * [`VerifyError`]: well-formed input that failed a check: a proof that does not
//!   lead to the root, a bad signature, an origin that is not the expected one.
//! * [`TileError`]: the caller's tile store could not supply a tile, or supplied one
//!   that cannot be a tile. The store is at fault, not the peer.
//! * [`ApiMisuse`]: the calling code asked for something impossible (a proof for an
//!   index beyond the tree). Never caused by the values of untrusted data that went
//!   through this crate's parsers first.
//!
//! [`Error`] wraps all of them for functions that can fail in more than one way.

use std::fmt;

use crate::tile::TileId;

/// Any error this crate returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Untrusted input was malformed.
    #[error(transparent)]
    Malformed(#[from] ParseError),
    /// Well-formed input failed verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The caller's tile store supplied a missing or impossible tile.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// The caller asked for something impossible.
    #[error(transparent)]
    ApiMisuse(#[from] ApiMisuse),
    /// Checkpoints offered as evidence of misbehaviour prove none.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// An internal invariant failed. This is a bug in this crate: please report it.
    #[error("internal error (please report a bug): {0}")]
    Unreachable(&'static str),
}

/// The format a [`ParseError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A C2SP signed note as a whole.
    Note,
    /// One `— <name> <base64>` signature line of a note.
    SignatureLine,
    /// A key name (used in vkeys, private keys and signature lines).
    KeyName,
    /// A verifier key string `<name>+<hex id>+<base64>`.
    VerifierKey,
    /// A private key string `PRIVATE+KEY+<name>+<hex id>+<base64>`.
    PrivateKey,
    /// A tlog-checkpoint body.
    Checkpoint,
    /// A tlog-cosignature/v1 signature payload.
    Cosignature,
    /// A tlog-tiles resource path.
    TilePath,
    /// A tlog-tiles entry bundle.
    EntryBundle,
    /// A hash tile's bytes.
    Tile,
    /// A hash that must be exactly 32 bytes.
    Hash,
    /// A tlog-witness `add-checkpoint` request body.
    AddCheckpoint,
    /// A tlog-witness `text/x.tlog.size` body (a 409 Conflict response).
    TreeSizeBody,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Note => "note",
            Format::SignatureLine => "note signature line",
            Format::KeyName => "key name",
            Format::VerifierKey => "verifier key",
            Format::PrivateKey => "private key",
            Format::Checkpoint => "checkpoint",
            Format::Cosignature => "cosignature",
            Format::TilePath => "tile path",
            Format::EntryBundle => "entry bundle",
            Format::Tile => "tile",
            Format::Hash => "hash",
            Format::AddCheckpoint => "add-checkpoint request",
            Format::TreeSizeBody => "tree size response",
        })
    }
}

/// Untrusted input did not follow its format.
///
/// `Display` starts with "malformed", names the format and the 1-based line (for
/// line-oriented formats), then the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {format}{}: {kind}", line_suffix(*.line))]
pub struct ParseError {
    format: Format,
    line: Option<usize>,
    kind: ParseErrorKind,
}

fn line_suffix(line: Option<usize>) -> String {
    match line {
        Some(n) => format!(" (line {n})"),
        None => String::new(),
    }
}

impl ParseError {
    pub(crate) fn new(format: Format, kind: ParseErrorKind) -> Self {
        ParseError {
            format,
            line: None,
            kind,
        }
    }

    pub(crate) fn at_line(format: Format, line: usize, kind: ParseErrorKind) -> Self {
        ParseError {
            format,
            line: Some(line),
            kind,
        }
    }

    /// The format that failed to parse.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The 1-based line the problem is on, for line-oriented formats.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

/// What was wrong with malformed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8 at byte {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A control character other than newline.
    #[error("control character {byte:#04x} at byte {offset}")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
        /// Its byte offset.
        offset: usize,
    },
    /// The text or last line does not end in a newline.
    #[error("missing final newline")]
    MissingFinalNewline,
    /// The text part of a note is empty.
    #[error("empty text")]
    EmptyText,
    /// No blank line separates the text from signatures.
    #[error("no blank line before the signatures")]
    NoSignatureBlock,
    /// The note has no signature lines.
    #[error("no signature lines")]
    NoSignatures,
    /// More signature lines than the limit.
    #[error("{count} signature lines, more than the limit of {max}")]
    TooManySignatures {
        /// Lines found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A signature line does not start with `— ` (U+2014 and a space).
    #[error("signature line does not start with an em dash and a space")]
    NotASignatureLine,
    /// A key name is empty, contains whitespace or `+`.
    #[error("invalid key name {name:?}: must be non-empty, without whitespace or '+'")]
    InvalidKeyName {
        /// The name as found.
        name: String,
    },
    /// Text that should be standard padded base64 is not.
    #[error("invalid base64")]
    InvalidBase64,
    /// A decoded value has the wrong number of bytes.
    #[error("{what} is {actual} bytes, expected {expected}")]
    WrongLength {
        /// What was decoded.
        what: &'static str,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        actual: usize,
    },
    /// A key ID is not 8 lowercase hex digits.
    #[error("key ID {found:?} is not 8 lowercase hex digits")]
    InvalidKeyId {
        /// The text found.
        found: String,
    },
    /// A key ID does not match the key it comes with.
    #[error("key ID {declared:08x} does not match the key (computed {computed:08x})")]
    KeyIdMismatch {
        /// The ID written in the string.
        declared: u32,
        /// The ID computed from name and key.
        computed: u32,
    },
    /// A key or signature type byte this crate does not support.
    #[error("unsupported key type {0:#04x}")]
    UnsupportedKeyType(u8),
    /// The bytes are not a valid Ed25519 public key.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// Missing `PRIVATE+KEY+` prefix or a wrong number of `+`-separated fields.
    #[error("wrong structure: {0}")]
    Structure(&'static str),
    /// A required line is missing.
    #[error("missing {0} line")]
    MissingLine(&'static str),
    /// A line that must not be empty is empty.
    #[error("empty {0}")]
    EmptyField(&'static str),
    /// A decimal number is not plain ASCII digits.
    #[error("{what} {found:?} is not a decimal number")]
    InvalidNumber {
        /// Which number.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A decimal number has a leading zero.
    #[error("{what} {found:?} has a leading zero")]
    LeadingZero {
        /// Which number.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A number is outside its allowed range.
    #[error("{what} {found:?} is out of range")]
    OutOfRange {
        /// Which number.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A value parses but is not in its one canonical form.
    #[error("not canonical: {0}")]
    NonCanonical(&'static str),
    /// The input ends in the middle of an item.
    #[error("truncated at byte {offset}")]
    Truncated {
        /// Byte offset where the incomplete item starts.
        offset: usize,
    },
    /// Bytes left over after the last expected item.
    #[error("{extra} trailing bytes at byte {offset}")]
    TrailingData {
        /// Byte offset of the leftover data.
        offset: usize,
        /// How many bytes are left over.
        extra: usize,
    },
    /// Fewer items than expected.
    #[error("{actual} items, expected {expected}")]
    TooFewItems {
        /// Expected count.
        expected: usize,
        /// Count found.
        actual: usize,
    },
    /// More lines of one kind than the format allows.
    #[error("more than {max} {what} lines")]
    TooManyLines {
        /// What the lines hold.
        what: &'static str,
        /// The most allowed.
        max: usize,
    },
}

/// Well-formed input failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// An inclusion proof for an index that is not in the tree.
    #[error("index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// A leaf hash, root or proof element is not 32 bytes.
    #[error("{what} is {len} bytes, not 32")]
    WrongHashLength {
        /// Which value.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// The proof has the wrong number of hashes for the sizes claimed.
    #[error("proof has {actual} hashes, expected {expected}")]
    WrongProofLength {
        /// Hashes the sizes call for.
        expected: usize,
        /// Hashes given.
        actual: usize,
    },
    /// A consistency proof from a larger to a smaller tree.
    #[error("tree size decreased from {old} to {new}")]
    SizeDecreased {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// A consistency proof from the empty tree. Such a proof is meaningless;
    /// protocols special-case size 0 (tlog-witness accepts any new tree without a proof).
    #[error("no consistency proof exists from the empty tree")]
    OldSizeZero,
    /// The recomputed root differs from the given root of the tree of this size.
    #[error("root mismatch for tree size {size}")]
    RootMismatch {
        /// The tree size whose root did not match.
        size: u64,
    },
    /// No signature line is from a configured key.
    #[error("no verifiable signatures")]
    NoVerifiableSignatures,
    /// A configured key's signature does not verify; the whole note is rejected.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// Two configured keys share a (name, key ID) and a signature line needs one.
    /// This is a configuration problem on the verifying side.
    #[error("ambiguous key {name}+{key_id:08x}: configured more than once")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A checkpoint from a different log than expected.
    #[error("checkpoint origin {actual:?} is not the expected {expected:?}")]
    OriginMismatch {
        /// The configured origin.
        expected: String,
        /// The origin line found.
        actual: String,
    },
    /// A checkpoint verified only with witness keys, not with any key of the log.
    #[error("checkpoint for {origin:?} has no valid signature from the log's key")]
    NoLogSignature {
        /// The checkpoint's origin.
        origin: String,
    },
}

/// The caller's tile store could not supply a usable tile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The source has no tile for this (level, index).
    #[error("missing tile {0}")]
    Missing(TileId),
    /// The bytes cannot be a tile: not a multiple of 32 bytes, or longer than 256 hashes.
    #[error("tile {tile} has an impossible length of {len} bytes")]
    BadLength {
        /// The tile asked for.
        tile: TileId,
        /// Bytes supplied.
        len: usize,
    },
    /// The tile supplied has fewer hashes than the tree size requires.
    #[error("tile {tile} has {hashes} hashes, fewer than needed")]
    TooNarrow {
        /// The tile asked for, with the width required.
        tile: TileId,
        /// Hashes supplied.
        hashes: usize,
    },
}

/// The calling code asked for something impossible. Never caused by untrusted data
/// that went through this crate's parsers and verifiers first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiMisuse {
    /// A proof was requested for an index that is not in the tree.
    #[error("index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was requested for sizes with `old == 0` or `old > new`.
    #[error("no consistency proof from size {old} to size {new}")]
    BadSizes {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// Leaves were supplied for more or fewer than the sizes asked.
    #[error("{leaves} leaves given for a tree of size {size}")]
    LeafCount {
        /// Leaves given.
        leaves: usize,
        /// Size asked for.
        size: u64,
    },
    /// A compact range needs exactly one hash per set bit of its size.
    #[error("a compact range of size {size} has {expected} hashes, {actual} given")]
    CompactRangeShape {
        /// The size.
        size: u64,
        /// popcount(size).
        expected: usize,
        /// Hashes given.
        actual: usize,
    },
    /// A tile level above 63, a width outside 1..=256, or an index too large.
    #[error("invalid tile coordinates: {0}")]
    InvalidTile(&'static str),
    /// An entry longer than 65,535 bytes cannot go into an entry bundle.
    #[error("entry {index} is {len} bytes; entry bundles allow at most 65535")]
    EntryTooLarge {
        /// Position of the entry in the batch.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// More than 256 entries for one bundle, or none.
    #[error("{0} entries do not fit one entry bundle (1..=256)")]
    BundleSize(usize),
    /// A cosignature timestamp must be below 2^63.
    #[error("timestamp {0} is not below 2^63")]
    TimestampTooLarge(u64),
    /// Note text must be non-empty, end in a newline and hold no control characters.
    #[error("invalid note text: {0}")]
    InvalidText(ParseError),
    /// A note can carry at most 100 signature lines.
    #[error("a note can carry at most {0} signatures")]
    TooManySignatures(usize),
    /// Appending would overflow the u64 tree size.
    #[error("tree size would overflow u64")]
    SizeOverflow,
    /// A witness's add-checkpoint response must carry a non-zero timestamp
    /// (tlog-witness); 0 would claim nothing about when the checkpoint was seen.
    #[error("a witness cosignature's timestamp must not be 0")]
    ZeroTimestamp,
}
