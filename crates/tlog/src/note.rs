//! C2SP signed notes: keys, signing, and verification with a set of known keys.
//!
//! Supported signature types: Ed25519 (0x01, C2SP signed-note) and the
//! timestamped Ed25519 cosignature (0x04, C2SP tlog-cosignature/v1). Lines of any
//! other type are simply lines from unknown keys, which verifiers skip.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature as EdSignature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{ApiMisuse, Error, Format, ParseError, ParseErrorKind, VerifyError};

/// Most signature lines a note may carry (the Go implementation's limit; C2SP
/// requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature line prefix: U+2014 EM DASH and a space.
const DASH: &str = "\u{2014} ";

/// The signature types this crate signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// 0x01: RFC 8032 Ed25519 over the note text.
    Ed25519,
    /// 0x04: tlog-cosignature/v1, Ed25519 over a timestamped message.
    CosignatureV1,
}

impl KeyType {
    /// The type byte used in key IDs and vkeys.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::CosignatureV1),
            _ => None,
        }
    }
}

/// The key ID: the first 4 bytes of `SHA-256(name || "\n" || type || public key)`,
/// big-endian. A short identifier, not a security binding.
pub fn key_id(name: &str, key_type: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, key_type]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Checks a key name: non-empty, no Unicode whitespace, no `+`.
pub fn check_key_name(name: &str) -> Result<(), ParseError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(ParseError::new(
            Format::KeyName,
            ParseErrorKind::InvalidKeyName {
                name: name.to_owned(),
            },
        ));
    }
    Ok(())
}

fn parse_hex_id(s: &str, format: Format) -> Result<u32, ParseError> {
    let ok = s.len() == 8 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let id = if ok {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    };
    id.ok_or_else(|| {
        ParseError::new(
            format,
            ParseErrorKind::InvalidKeyId {
                found: s.to_owned(),
            },
        )
    })
}

fn decode_base64(s: &str, format: Format) -> Result<Vec<u8>, ParseError> {
    BASE64
        .decode(s)
        .map_err(|_| ParseError::new(format, ParseErrorKind::InvalidBase64))
}

/// A public key that verifies note signatures, known by name and key ID.
///
/// Parsed from and formatted as a vkey, `<name>+<8 hex key ID>+<base64(type || key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    key_type: KeyType,
    key: VerifyingKey,
}

impl Verifier {
    /// A verifier from its parts; the key ID is computed.
    pub fn new(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> Result<Self, ParseError> {
        check_key_name(name)?;
        let key = VerifyingKey::from_bytes(public_key)
            .map_err(|_| ParseError::new(Format::VerifierKey, ParseErrorKind::InvalidPublicKey))?;
        Ok(Verifier {
            name: name.to_owned(),
            key_id: key_id(name, key_type.byte(), public_key),
            key_type,
            key,
        })
    }

    /// Parses a vkey strictly: valid name, 8 lowercase hex digits that match the
    /// key, standard padded base64, a supported type and a 32-byte key.
    pub fn parse(vkey: &str) -> Result<Self, ParseError> {
        let f = Format::VerifierKey;
        // Split on the first two '+' only: base64 itself may contain '+'.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::new(
                f,
                ParseErrorKind::Structure("expected <name>+<hex id>+<base64 key>"),
            ));
        };
        check_key_name(name)?;
        let declared = parse_hex_id(id, f)?;
        let raw = decode_base64(key, f)?;
        let (&type_byte, public) = raw.split_first().ok_or_else(|| {
            ParseError::new(
                f,
                ParseErrorKind::WrongLength {
                    what: "key",
                    expected: 33,
                    actual: 0,
                },
            )
        })?;
        let key_type = KeyType::from_byte(type_byte)
            .ok_or_else(|| ParseError::new(f, ParseErrorKind::UnsupportedKeyType(type_byte)))?;
        let public: &[u8; 32] = public.try_into().map_err(|_| {
            ParseError::new(
                f,
                ParseErrorKind::WrongLength {
                    what: "Ed25519 public key",
                    expected: 32,
                    actual: public.len(),
                },
            )
        })?;
        let computed = key_id(name, type_byte, public);
        if computed != declared {
            return Err(ParseError::new(
                f,
                ParseErrorKind::KeyIdMismatch { declared, computed },
            ));
        }
        Self::new(name, key_type, public)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type this key verifies.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The same public key as a tlog-cosignature/v1 (0x04) verifier, with the key
    /// ID recomputed. Witnesses such as ArmoredWitness publish 0x01 vkeys but sign
    /// cosignatures.
    pub fn to_cosignature_verifier(&self) -> Verifier {
        let pk = self.key.to_bytes();
        Verifier {
            name: self.name.clone(),
            key_id: key_id(&self.name, KeyType::CosignatureV1.byte(), &pk),
            key_type: KeyType::CosignatureV1,
            key: self.key,
        }
    }

    /// Checks one signature payload (the bytes after the key ID) over `text`.
    /// Returns the cosignature timestamp for 0x04 keys.
    fn check(&self, text: &str, payload: &[u8]) -> Result<Option<u64>, ()> {
        match self.key_type {
            KeyType::Ed25519 => {
                let sig: &[u8; 64] = payload.try_into().map_err(|_| ())?;
                self.key
                    .verify_strict(text.as_bytes(), &EdSignature::from_bytes(sig))
                    .map_err(|_| ())?;
                Ok(None)
            }
            KeyType::CosignatureV1 => {
                if payload.len() != 72 {
                    return Err(());
                }
                let (ts, sig) = payload.split_at(8);
                let ts = u64::from_be_bytes(ts.try_into().map_err(|_| ())?);
                if ts >= 1 << 63 {
                    return Err(());
                }
                let sig: &[u8; 64] = sig.try_into().map_err(|_| ())?;
                let msg = cosignature_message(text, ts);
                self.key
                    .verify_strict(msg.as_bytes(), &EdSignature::from_bytes(sig))
                    .map_err(|_| ())?;
                Ok(Some(ts))
            }
        }
    }
}

impl fmt::Display for Verifier {
    /// Formats the vkey.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.key_type.byte());
        raw.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(raw)
        )
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier({self})")
    }
}

impl FromStr for Verifier {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The message a tlog-cosignature/v1 signs: a header line, the time, the note text.
fn cosignature_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// An Ed25519 key with its name: the private half of a [`KeyType`] key.
struct KeyPair {
    name: String,
    key_id: u32,
    key_type: KeyType,
    key: SigningKey,
}

impl KeyPair {
    fn new(name: &str, key_type: KeyType, seed: &[u8; 32]) -> Result<Self, ParseError> {
        check_key_name(name)?;
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(name, key_type.byte(), key.verifying_key().as_bytes());
        Ok(KeyPair {
            name: name.to_owned(),
            key_id,
            key_type,
            key,
        })
    }

    fn parse(s: &str, key_type: KeyType) -> Result<Self, ParseError> {
        let f = Format::PrivateKey;
        let rest = s
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| ParseError::new(f, ParseErrorKind::Structure("missing PRIVATE+KEY+")))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::new(
                f,
                ParseErrorKind::Structure("expected PRIVATE+KEY+<name>+<hex id>+<base64 key>"),
            ));
        };
        check_key_name(name)?;
        let declared = parse_hex_id(id, f)?;
        let raw = decode_base64(key, f)?;
        if raw.len() != 33 {
            return Err(ParseError::new(
                f,
                ParseErrorKind::WrongLength {
                    what: "private key",
                    expected: 33,
                    actual: raw.len(),
                },
            ));
        }
        if raw[0] != key_type.byte() {
            return Err(ParseError::new(
                f,
                ParseErrorKind::UnsupportedKeyType(raw[0]),
            ));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&raw[1..]);
        let pair = Self::new(name, key_type, &seed)?;
        if pair.key_id != declared {
            return Err(ParseError::new(
                f,
                ParseErrorKind::KeyIdMismatch {
                    declared,
                    computed: pair.key_id,
                },
            ));
        }
        Ok(pair)
    }

    fn private_key_string(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.key_type.byte());
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(raw)
        )
    }

    fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key_type: self.key_type,
            key: self.key.verifying_key(),
        }
    }

    fn line(&self, payload: Vec<u8>) -> SignatureLine {
        SignatureLine {
            name: self.name.clone(),
            key_id: self.key_id,
            payload,
        }
    }
}

/// An Ed25519 (type 0x01) note signer: a log's checkpoint key.
///
/// Built from a name and a 32-byte seed, or from the Go-style private key string
/// `PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)`. `Debug` does not show the seed.
pub struct Signer(KeyPair);

impl Signer {
    /// A signer named `name` with the Ed25519 key derived from `seed` (RFC 8032).
    pub fn new(name: &str, seed: &[u8; 32]) -> Result<Self, ParseError> {
        KeyPair::new(name, KeyType::Ed25519, seed).map(Signer)
    }

    /// Parses a `PRIVATE+KEY+…` string with type byte 0x01.
    pub fn parse_private_key(s: &str) -> Result<Self, ParseError> {
        KeyPair::parse(s, KeyType::Ed25519).map(Signer)
    }

    /// Formats the `PRIVATE+KEY+…` string. It contains the secret seed.
    pub fn to_private_key(&self) -> String {
        self.0.private_key_string()
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        self.0.verifier()
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }

    /// Signs note text (non-empty, ending in a newline, no control characters).
    pub fn sign_line(&self, text: &str) -> Result<SignatureLine, ApiMisuse> {
        check_text(text).map_err(ApiMisuse::InvalidText)?;
        let sig = self.0.key.sign(text.as_bytes());
        Ok(self.0.line(sig.to_bytes().to_vec()))
    }

    /// Signs note text and returns the whole note: text, blank line, signature line.
    pub fn sign(&self, text: &str) -> Result<String, ApiMisuse> {
        let line = self.sign_line(text)?;
        Ok(format!("{text}\n{line}"))
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}+{:08x})", self.0.name, self.0.key_id)
    }
}

/// A tlog-cosignature/v1 (type 0x04) signer: a witness key.
///
/// Private key strings use the Go layout with type byte 0x04
/// (`PRIVATE+KEY+<name>+<hex id>+base64(0x04 || seed)`); that spelling is this
/// crate's extension, Go only defines it for 0x01. `Debug` does not show the seed.
pub struct Cosigner(KeyPair);

impl Cosigner {
    /// A cosigner named `name` with the Ed25519 key derived from `seed`.
    pub fn new(name: &str, seed: &[u8; 32]) -> Result<Self, ParseError> {
        KeyPair::new(name, KeyType::CosignatureV1, seed).map(Cosigner)
    }

    /// Parses a `PRIVATE+KEY+…` string with type byte 0x04.
    pub fn parse_private_key(s: &str) -> Result<Self, ParseError> {
        KeyPair::parse(s, KeyType::CosignatureV1).map(Cosigner)
    }

    /// Formats the `PRIVATE+KEY+…` string. It contains the secret seed.
    pub fn to_private_key(&self) -> String {
        self.0.private_key_string()
    }

    /// The matching (type 0x04) verifier.
    pub fn verifier(&self) -> Verifier {
        self.0.verifier()
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The key ID (computed with type byte 0x04).
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }

    /// Cosigns the text of a checkpoint at `timestamp` (POSIX seconds, below 2^63).
    ///
    /// Takes a [`crate::VerifiedCheckpoint`]: a witness must only cosign what it has
    /// checked. The signature covers the exact text that was verified.
    pub fn cosign(
        &self,
        checkpoint: &crate::checkpoint::VerifiedCheckpoint,
        timestamp: u64,
    ) -> Result<SignatureLine, ApiMisuse> {
        self.cosign_text(checkpoint.text(), timestamp)
    }

    pub(crate) fn cosign_text(
        &self,
        text: &str,
        timestamp: u64,
    ) -> Result<SignatureLine, ApiMisuse> {
        if timestamp >= 1 << 63 {
            return Err(ApiMisuse::TimestampTooLarge(timestamp));
        }
        check_text(text).map_err(ApiMisuse::InvalidText)?;
        let sig = self
            .0
            .key
            .sign(cosignature_message(text, timestamp).as_bytes());
        let mut payload = Vec::with_capacity(72);
        payload.extend_from_slice(&timestamp.to_be_bytes());
        payload.extend_from_slice(&sig.to_bytes());
        Ok(self.0.line(payload))
    }
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cosigner({}+{:08x})", self.0.name, self.0.key_id)
    }
}

/// One signature line, `— <name> <base64(key ID || payload)>`, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignatureLine {
    name: String,
    key_id: u32,
    payload: Vec<u8>,
}

impl SignatureLine {
    /// A line from its parts: e.g. a "grease" line with a random name and payload,
    /// which keeps verifiers honest about skipping unknown keys.
    pub fn new(name: &str, key_id: u32, payload: Vec<u8>) -> Result<Self, ParseError> {
        check_key_name(name)?;
        if payload.is_empty() {
            return Err(ParseError::new(
                Format::SignatureLine,
                ParseErrorKind::WrongLength {
                    what: "signature",
                    expected: 1,
                    actual: 0,
                },
            ));
        }
        Ok(SignatureLine {
            name: name.to_owned(),
            key_id,
            payload,
        })
    }

    /// Parses one line, without its final newline.
    pub fn parse(line: &str) -> Result<Self, ParseError> {
        let f = Format::SignatureLine;
        let rest = line
            .strip_prefix(DASH)
            .ok_or_else(|| ParseError::new(f, ParseErrorKind::NotASignatureLine))?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            ParseError::new(f, ParseErrorKind::Structure("expected <name> <base64>"))
        })?;
        check_key_name(name)?;
        let raw = decode_base64(b64, f)?;
        if raw.len() < 5 {
            return Err(ParseError::new(
                f,
                ParseErrorKind::WrongLength {
                    what: "key ID and signature",
                    expected: 5,
                    actual: raw.len(),
                },
            ));
        }
        Ok(SignatureLine {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            payload: raw[4..].to_vec(),
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The bytes after the key ID: the signature, with a timestamp first for
    /// cosignatures.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

impl fmt::Display for SignatureLine {
    /// Formats the line with its final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(4 + self.payload.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.payload);
        writeln!(f, "{DASH}{} {}", self.name, BASE64.encode(raw))
    }
}

/// Checks characters: UTF-8, no control characters except newline.
fn check_chars(bytes: &[u8], format: Format) -> Result<&str, ParseError> {
    let s = std::str::from_utf8(bytes).map_err(|e| {
        ParseError::new(
            format,
            ParseErrorKind::NotUtf8 {
                offset: e.valid_up_to(),
            },
        )
    })?;
    if let Some(offset) = s.bytes().position(|b| b < 0x20 && b != b'\n') {
        return Err(ParseError::new(
            format,
            ParseErrorKind::ControlCharacter {
                byte: bytes[offset],
                offset,
            },
        ));
    }
    Ok(s)
}

/// Checks note text: valid characters, non-empty, ends in a newline.
pub(crate) fn check_text(text: &str) -> Result<(), ParseError> {
    check_chars(text.as_bytes(), Format::Note)?;
    if text.is_empty() {
        return Err(ParseError::new(Format::Note, ParseErrorKind::EmptyText));
    }
    if !text.ends_with('\n') {
        return Err(ParseError::new(
            Format::Note,
            ParseErrorKind::MissingFinalNewline,
        ));
    }
    Ok(())
}

/// A parsed note whose signatures have not been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<SignatureLine>,
}

impl Note {
    /// A note with `text` and no signatures yet.
    pub fn new(text: &str) -> Result<Self, ApiMisuse> {
        check_text(text).map_err(ApiMisuse::InvalidText)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a note: text up to the last blank line, then 1..=100 signature lines,
    /// each ending in a newline. No verification happens here.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let f = Format::Note;
        let s = check_chars(bytes, f)?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| ParseError::new(f, ParseErrorKind::NoSignatureBlock))?;
        let text = &s[..split + 1];
        let sigs = &s[split + 2..];
        // The blank line is after the text's lines; signature line numbers follow it.
        let first_sig_line = text.matches('\n').count() + 2;
        if sigs.is_empty() {
            return Err(ParseError::at_line(
                f,
                first_sig_line,
                ParseErrorKind::NoSignatures,
            ));
        }
        let Some(body) = sigs.strip_suffix('\n') else {
            return Err(ParseError::at_line(
                f,
                first_sig_line + sigs.matches('\n').count(),
                ParseErrorKind::MissingFinalNewline,
            ));
        };
        let count = body.split('\n').count();
        if count > MAX_SIGNATURES {
            return Err(ParseError::at_line(
                f,
                first_sig_line + MAX_SIGNATURES,
                ParseErrorKind::TooManySignatures {
                    count,
                    max: MAX_SIGNATURES,
                },
            ));
        }
        let signatures = body
            .split('\n')
            .enumerate()
            .map(|(i, line)| {
                SignatureLine::parse(line)
                    .map_err(|e| ParseError::at_line(f, first_sig_line + i, e.kind().clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, ending in a newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines in order.
    pub fn signatures(&self) -> &[SignatureLine] {
        &self.signatures
    }

    /// Appends a signature line (at most [`MAX_SIGNATURES`]).
    pub fn add_signature(&mut self, line: SignatureLine) -> Result<(), ApiMisuse> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(ApiMisuse::TooManySignatures(MAX_SIGNATURES));
        }
        self.signatures.push(line);
        Ok(())
    }

    /// Checks the signatures with `verifiers`, C2SP-style: lines from keys not in
    /// the set are skipped; a configured key whose signature fails rejects the note;
    /// at least one configured key must verify. Repeated lines count once.
    pub fn verify(self, verifiers: &VerifierSet) -> Result<VerifiedNote, VerifyError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        let mut unverified: Vec<SignatureLine> = Vec::new();
        let mut seen: Vec<&SignatureLine> = Vec::new();
        for line in &self.signatures {
            if seen.contains(&line) {
                continue;
            }
            seen.push(line);
            let mut matching = verifiers
                .iter()
                .filter(|v| v.name == line.name && v.key_id == line.key_id);
            let Some(v) = matching.next() else {
                unverified.push(line.clone());
                continue;
            };
            if matching.next().is_some() {
                return Err(VerifyError::AmbiguousKey {
                    name: line.name.clone(),
                    key_id: line.key_id,
                });
            }
            let timestamp =
                v.check(&self.text, &line.payload)
                    .map_err(|()| VerifyError::InvalidSignature {
                        name: line.name.clone(),
                        key_id: line.key_id,
                    })?;
            if !verified
                .iter()
                .any(|s| s.name == line.name && s.key_id == line.key_id)
            {
                verified.push(VerifiedSignature {
                    name: line.name.clone(),
                    key_id: line.key_id,
                    key_type: v.key_type,
                    timestamp,
                });
            }
        }
        if verified.is_empty() {
            return Err(VerifyError::NoVerifiableSignatures);
        }
        Ok(VerifiedNote {
            note: self,
            verified,
            unverified,
        })
    }
}

impl fmt::Display for Note {
    /// Formats the note: text, blank line, signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            s.fmt(f)?;
        }
        Ok(())
    }
}

/// Parses and verifies a note in one step. See [`Note::verify`].
pub fn open(bytes: &[u8], verifiers: &VerifierSet) -> Result<VerifiedNote, Error> {
    Ok(Note::parse(bytes)?.verify(verifiers)?)
}

/// The keys a verifying party trusts. Two keys with the same (name, key ID) are
/// allowed in the set but make any note that uses them fail with
/// [`VerifyError::AmbiguousKey`].
#[derive(Debug, Clone, Default)]
pub struct VerifierSet {
    verifiers: Vec<Verifier>,
}

impl VerifierSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key.
    pub fn push(&mut self, v: Verifier) {
        self.verifiers.push(v);
    }

    /// The keys, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Verifier> {
        self.verifiers.iter()
    }
}

impl FromIterator<Verifier> for VerifierSet {
    fn from_iter<I: IntoIterator<Item = Verifier>>(iter: I) -> Self {
        VerifierSet {
            verifiers: iter.into_iter().collect(),
        }
    }
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    name: String,
    key_id: u32,
    key_type: KeyType,
    timestamp: Option<u64>,
}

impl VerifiedSignature {
    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The cosignature time (POSIX seconds), for type 0x04 signatures.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
}

/// A note at least one trusted key signed. Only [`Note::verify`] (and [`open`])
/// build one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    note: Note,
    verified: Vec<VerifiedSignature>,
    unverified: Vec<SignatureLine>,
}

impl VerifiedNote {
    /// The signed text.
    pub fn text(&self) -> &str {
        &self.note.text
    }

    /// The signatures that verified, one per key, in note order.
    pub fn verified(&self) -> &[VerifiedSignature] {
        &self.verified
    }

    /// Distinct lines from keys not in the verifier set, in note order.
    pub fn unverified(&self) -> &[SignatureLine] {
        &self.unverified
    }

    /// The note as received (all its signature lines).
    pub fn note(&self) -> &Note {
        &self.note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! vkey_rejects {
        ($name:ident, $vkey:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let e = Verifier::parse($vkey).unwrap_err();
                assert!(matches!(e.kind(), $kind), "{e:?}");
            }
        };
    }

    const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    vkey_rejects!(vkey_empty, "", ParseErrorKind::Structure(_));
    vkey_rejects!(vkey_two_parts, "a+c74f20a3", ParseErrorKind::Structure(_));
    vkey_rejects!(
        vkey_empty_name,
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ParseErrorKind::InvalidKeyName { .. }
    );
    vkey_rejects!(
        vkey_space_in_name,
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ParseErrorKind::InvalidKeyName { .. }
    );
    vkey_rejects!(
        vkey_upper_hex,
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ParseErrorKind::InvalidKeyId { .. }
    );
    vkey_rejects!(
        vkey_short_hex,
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ParseErrorKind::InvalidKeyId { .. }
    );
    vkey_rejects!(
        vkey_wrong_id,
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ParseErrorKind::KeyIdMismatch { .. }
    );
    vkey_rejects!(
        vkey_unpadded,
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        ParseErrorKind::InvalidBase64
    );
    vkey_rejects!(
        vkey_urlsafe,
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
        ParseErrorKind::InvalidBase64
    );
    vkey_rejects!(
        vkey_type_2,
        "x+00000000+AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ParseErrorKind::UnsupportedKeyType(2)
    );
    vkey_rejects!(
        vkey_empty_key,
        "x+00000000+",
        ParseErrorKind::WrongLength { .. }
    );

    #[test]
    fn vkey_round_trips() {
        let v = Verifier::parse(PETER).unwrap();
        assert_eq!(v.to_string(), PETER);
        assert_eq!(v.key_id(), 0xc74f20a3);
    }

    macro_rules! note_rejects {
        ($name:ident, $note:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let e = Note::parse($note.as_bytes()).unwrap_err();
                assert!(matches!(e.kind(), $kind), "{e:?}");
                assert!(e.to_string().starts_with("malformed note"), "{e}");
            }
        };
    }

    const SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

    note_rejects!(note_no_blank, "text\n", ParseErrorKind::NoSignatureBlock);
    note_rejects!(note_no_sigs, "text\n\n", ParseErrorKind::NoSignatures);
    note_rejects!(
        note_no_final_newline,
        format!("text\n\n{SIG}"),
        ParseErrorKind::MissingFinalNewline
    );
    note_rejects!(
        note_hyphen,
        "text\n\n- a AAAAAAA=\n",
        ParseErrorKind::NotASignatureLine
    );
    note_rejects!(
        note_tab,
        "te\txt\n\n- a AAAAAAA=\n",
        ParseErrorKind::ControlCharacter { byte: 9, offset: 2 }
    );
    note_rejects!(
        note_cr,
        format!("text\r\n\n{SIG}\n"),
        ParseErrorKind::ControlCharacter { byte: 13, .. }
    );
    note_rejects!(
        note_short_sig,
        "text\n\n\u{2014} a AAAA\n",
        ParseErrorKind::WrongLength { .. }
    );
    note_rejects!(
        note_plus_name,
        "text\n\n\u{2014} a+b AAAAAAA=\n",
        ParseErrorKind::InvalidKeyName { .. }
    );
    note_rejects!(
        note_no_space,
        "text\n\n\u{2014} aAAAAAAA=\n",
        ParseErrorKind::Structure(_)
    );
    note_rejects!(
        note_blank_sig_line,
        format!("text\n\n{SIG}\n\n"),
        ParseErrorKind::NoSignatures
    );

    #[test]
    fn line_numbers_point_at_the_bad_line() {
        let e = Note::parse(format!("a\nb\n\n{SIG}\nbad\n").as_bytes()).unwrap_err();
        assert_eq!(e.line(), Some(5));
    }

    #[test]
    fn signing_rejects_bad_text() {
        let s = Signer::new("k", &[1; 32]).unwrap();
        assert!(matches!(
            s.sign("no newline"),
            Err(ApiMisuse::InvalidText(_))
        ));
        assert!(matches!(s.sign(""), Err(ApiMisuse::InvalidText(_))));
        assert!(matches!(s.sign("a\u{7}\n"), Err(ApiMisuse::InvalidText(_))));
        assert!(Signer::new("bad name", &[1; 32]).is_err());
    }

    #[test]
    fn cosignature_timestamps_must_be_below_2_pow_63() {
        let c = Cosigner::new("w", &[4; 32]).unwrap();
        let set: VerifierSet = [c.verifier()].into_iter().collect();
        let text = "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
        for (ts, ok) in [
            ((1u64 << 63) - 1, true),
            (1 << 63, false),
            (u64::MAX, false),
        ] {
            // Sign by hand: Cosigner::cosign_text refuses such timestamps.
            let sig = c.0.key.sign(cosignature_message(text, ts).as_bytes());
            let mut payload = ts.to_be_bytes().to_vec();
            payload.extend_from_slice(&sig.to_bytes());
            let mut note = Note::new(text).unwrap();
            note.add_signature(c.0.line(payload)).unwrap();
            let got = note.verify(&set);
            assert_eq!(got.is_ok(), ok, "timestamp {ts}: {got:?}");
        }
        assert_eq!(
            c.cosign_text(text, 1 << 63),
            Err(ApiMisuse::TimestampTooLarge(1 << 63))
        );
    }

    #[test]
    fn private_key_round_trip() {
        let s = Signer::new("example.com/log", &[9; 32]).unwrap();
        let p = s.to_private_key();
        let back = Signer::parse_private_key(&p).unwrap();
        assert_eq!(back.verifier(), s.verifier());
        assert!(
            Cosigner::parse_private_key(&p).is_err(),
            "type byte must match"
        );
        let c = Cosigner::new("w", &[9; 32]).unwrap();
        let back = Cosigner::parse_private_key(&c.to_private_key()).unwrap();
        assert_eq!(back.verifier(), c.verifier());
        assert!(
            !format!("{s:?}").contains("AQkJ"),
            "Debug must not leak the seed"
        );
    }
}
