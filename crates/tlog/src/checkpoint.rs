//! C2SP tlog-checkpoint: the signed statement "the tree of size N has root R".

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{ApiMisuse, Error, Format, ParseError, ParseErrorKind, VerifyError};
use crate::hash::Hash;
use crate::note::{KeyType, Note, Signer, VerifiedNote, VerifiedSignature, Verifier, VerifierSet};

/// A checkpoint body: origin, tree size, root hash and optional extension lines.
///
/// [`parse`](Self::parse) accepts only the strict C2SP form for a SHA-256 log, which
/// is also the only form [`Display`](fmt::Display) produces, so parsing and
/// formatting round-trip byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The log's unique identity, e.g. `example.com/log`.
    pub origin: String,
    /// Entries in the tree.
    pub size: u64,
    /// RFC 9162 root of the first `size` entries.
    pub root: Hash,
    /// Opaque extension lines, each non-empty, without newlines. Discouraged.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extensions.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a checkpoint body strictly: a non-empty origin line, a decimal size
    /// without leading zeroes that fits u64, the base64 of exactly 32 bytes, then
    /// non-empty extension lines; every line ends in a newline.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let f = Format::Checkpoint;
        let Some(body) = text.strip_suffix('\n') else {
            return Err(ParseError::new(f, ParseErrorKind::MissingFinalNewline));
        };
        for (i, line) in body.split('\n').enumerate() {
            if let Some(offset) = line.bytes().position(|b| b < 0x20) {
                let byte = line.as_bytes()[offset];
                return Err(ParseError::at_line(
                    f,
                    i + 1,
                    ParseErrorKind::ControlCharacter { byte, offset },
                ));
            }
        }
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| ParseError::at_line(f, 1, ParseErrorKind::EmptyField("origin")))?;
        let size = lines
            .next()
            .ok_or_else(|| ParseError::at_line(f, 2, ParseErrorKind::MissingLine("size")))?;
        let size = parse_size(size).map_err(|k| ParseError::at_line(f, 2, k))?;
        let root = lines
            .next()
            .ok_or_else(|| ParseError::at_line(f, 3, ParseErrorKind::MissingLine("root hash")))?;
        let root = BASE64
            .decode(root)
            .map_err(|_| ParseError::at_line(f, 3, ParseErrorKind::InvalidBase64))?;
        let root: Hash = root.as_slice().try_into().map_err(|_| {
            ParseError::at_line(
                f,
                3,
                ParseErrorKind::WrongLength {
                    what: "root hash",
                    expected: 32,
                    actual: root.len(),
                },
            )
        })?;
        let mut extensions = Vec::new();
        for (i, ext) in lines.enumerate() {
            if ext.is_empty() {
                return Err(ParseError::at_line(
                    f,
                    4 + i,
                    ParseErrorKind::EmptyField("extension line"),
                ));
            }
            extensions.push(ext.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The body text, every line ending in a newline.
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

fn parse_size(s: &str) -> Result<u64, ParseErrorKind> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseErrorKind::InvalidNumber {
            what: "tree size",
            found: s.to_owned(),
        });
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(ParseErrorKind::LeadingZero {
            what: "tree size",
            found: s.to_owned(),
        });
    }
    s.parse().map_err(|_| ParseErrorKind::OutOfRange {
        what: "tree size",
        found: s.to_owned(),
    })
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.origin)?;
        writeln!(f, "{}", self.size)?;
        writeln!(f, "{}", BASE64.encode(self.root))?;
        for e in &self.extensions {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Signer {
    /// Signs a checkpoint and returns the note. The checkpoint must format to text
    /// that parses back to itself (non-empty origin and extensions, no newlines or
    /// control characters in them).
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<String, ApiMisuse> {
        let text = checkpoint.to_text();
        match Checkpoint::parse(&text) {
            Ok(back) if back == *checkpoint => self.sign(&text),
            Ok(_) => Err(ApiMisuse::InvalidText(ParseError::new(
                Format::Checkpoint,
                ParseErrorKind::NonCanonical("a field contains a newline"),
            ))),
            Err(e) => Err(ApiMisuse::InvalidText(e)),
        }
    }
}

/// A checkpoint whose note carried a valid signature from its log's key. Only
/// [`CheckpointVerifier::verify`] builds one, so holding one proves the check ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    note: VerifiedNote,
    cosignatures: Vec<VerifiedSignature>,
}

impl VerifiedCheckpoint {
    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Consumes the proof of verification and returns the bare checkpoint.
    pub fn into_checkpoint(self) -> Checkpoint {
        self.checkpoint
    }

    /// The exact text that was verified (what cosignatures sign).
    pub fn text(&self) -> &str {
        self.note.text()
    }

    /// The verified note, with every signature line as received.
    pub fn note(&self) -> &VerifiedNote {
        &self.note
    }

    /// Signatures that verified with the configured witness keys, e.g. to apply a
    /// k-of-n witness policy. Timestamps are there for 0x04 cosignatures.
    pub fn witness_signatures(&self) -> &[VerifiedSignature] {
        &self.cosignatures
    }
}

/// Verifies checkpoints of one log: the origin must match and one of the log's
/// keys must have signed. Signatures of configured witnesses are checked too (a
/// bad one rejects the note) and reported; anything else is skipped.
#[derive(Debug, Clone)]
pub struct CheckpointVerifier {
    origin: String,
    log_keys: Vec<Verifier>,
    witnesses: Vec<Verifier>,
}

impl CheckpointVerifier {
    /// A verifier for the log `origin` signed by `log_key`.
    pub fn new(origin: impl Into<String>, log_key: Verifier) -> Self {
        CheckpointVerifier {
            origin: origin.into(),
            log_keys: vec![log_key],
            witnesses: Vec::new(),
        }
    }

    /// Trusts another key of the log (during a key rotation).
    pub fn add_log_key(&mut self, key: Verifier) {
        self.log_keys.push(key);
    }

    /// Checks signatures of this witness too and reports them.
    pub fn add_witness(&mut self, key: Verifier) {
        self.witnesses.push(key);
    }

    /// The expected origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Parses and verifies a checkpoint note.
    pub fn verify(&self, note: &[u8]) -> Result<VerifiedCheckpoint, Error> {
        let note = Note::parse(note)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin != self.origin {
            return Err(VerifyError::OriginMismatch {
                expected: self.origin.clone(),
                actual: checkpoint.origin,
            }
            .into());
        }
        let set: VerifierSet = self
            .log_keys
            .iter()
            .chain(&self.witnesses)
            .cloned()
            .collect();
        let verified = note.verify(&set)?;
        let is_log = |s: &VerifiedSignature| {
            self.log_keys
                .iter()
                .any(|k| k.name() == s.name() && k.key_id() == s.key_id())
        };
        if !verified
            .verified()
            .iter()
            .any(|s| is_log(s) && s.key_type() == KeyType::Ed25519)
        {
            return Err(VerifyError::NoLogSignature {
                origin: checkpoint.origin,
            }
            .into());
        }
        let cosignatures = verified
            .verified()
            .iter()
            .filter(|s| !is_log(s))
            .cloned()
            .collect();
        Ok(VerifiedCheckpoint {
            checkpoint,
            note: verified,
            cosignatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! rejects {
        ($name:ident, $text:expr, $line:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let e = Checkpoint::parse($text).unwrap_err();
                assert!(matches!(e.kind(), $kind), "{e:?}");
                assert_eq!(e.line(), $line);
            }
        };
    }

    const ROOT: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    rejects!(
        no_newline,
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        None,
        ParseErrorKind::MissingFinalNewline
    );
    rejects!(
        empty_origin,
        "\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        Some(1),
        ParseErrorKind::EmptyField(_)
    );
    rejects!(no_size, "o\n", Some(2), ParseErrorKind::MissingLine(_));
    rejects!(no_root, "o\n1\n", Some(3), ParseErrorKind::MissingLine(_));
    rejects!(
        plus_size,
        "o\n+1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        Some(2),
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        spaced_size,
        "o\n 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        Some(2),
        ParseErrorKind::InvalidNumber { .. }
    );
    rejects!(
        zero_zero,
        "o\n00\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        Some(2),
        ParseErrorKind::LeadingZero { .. }
    );
    rejects!(
        unpadded_root,
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
        Some(3),
        ParseErrorKind::InvalidBase64
    );
    rejects!(
        noncanonical_root,
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
        Some(3),
        ParseErrorKind::InvalidBase64
    );
    rejects!(
        long_root,
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
        Some(3),
        ParseErrorKind::WrongLength { .. }
    );
    rejects!(
        blank_extension,
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nx\n\n",
        Some(5),
        ParseErrorKind::EmptyField(_)
    );

    #[test]
    fn round_trip() {
        let text = format!("example.com/log\n18446744073709551615\n{ROOT}\next\n");
        let c = Checkpoint::parse(&text).unwrap();
        assert_eq!(c.size, u64::MAX);
        assert_eq!(c.to_text(), text);
    }

    #[test]
    fn refuses_to_sign_what_does_not_parse_back() {
        let s = Signer::new("o", &[3; 32]).unwrap();
        let mut c = Checkpoint::new("o", 1, [0; 32]);
        assert!(s.sign_checkpoint(&c).is_ok());
        c.extensions.push("a\nb".into());
        assert!(s.sign_checkpoint(&c).is_err());
        c.extensions = vec![String::new()];
        assert!(s.sign_checkpoint(&c).is_err());
        let c = Checkpoint::new("", 1, [0; 32]);
        assert!(s.sign_checkpoint(&c).is_err());
    }
}
