//! The C2SP tlog-witness protocol (`add-checkpoint`), without the HTTP: the
//! request body, the witness's decision and its response bodies, and on the
//! client's side the 409 size body and the count of witness cosignatures that a
//! k-of-n policy needs.
//!
//! # A witness, step by step
//!
//! ```text
//!  POST body ─AddCheckpoint::parse─▶ request                        (400 if malformed)
//!    request.origin() ─your config─▶ CheckpointVerifier for the log  (404 if none)
//!    your state for that origin: Option<(size, root)>, None if never cosigned
//!    request.check(&log, state) ─▶ Accepted | WitnessRefusal          (status(), response_body())
//!    store accepted.state() iff the state is still accepted.previous(), durably
//!    accepted.cosign(&cosigner, now) ─cosignature_response─▶ 200 body
//! ```
//!
//! The compare with the stored state and the update must be one atomic step, and
//! the update must be durable before the reply: otherwise two requests racing can
//! roll the witness back. [`AddCheckpoint::check`] is pure, so that step is the
//! caller's; [`Accepted::previous`] is the state the decision was made against.
//!
//! # A client
//!
//! Send `old 0` with no proof when you do not know the witness's size: a 409
//! carries it ([`parse_tlog_size`]); retry with a proof from that size. Append
//! the 200 body to the note, verify it with the log's [`CheckpointVerifier`], and
//! count the witnesses you trust with [`verify_cosignatures`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::checkpoint::{Checkpoint, CheckpointVerifier, VerifiedCheckpoint};
use crate::error::{ApiMisuse, Error, Format, ParseError, ParseErrorKind, VerifyError};
use crate::hash::{EMPTY_ROOT, Hash};
use crate::note::{Cosigner, KeyType, Note, SignatureLine, Verifier, VerifierSet};
use crate::proof::verify_consistency;

/// Most consistency proof lines a request may carry (tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// The `Content-Type` of a 409 Conflict body: the witness's size, decimal, `\n`.
pub const TLOG_SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The `Content-Type` this module gives every other refusal body (plain text
/// for the operator who reads it).
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// An `add-checkpoint` request: the size the client believes the witness has
/// cosigned, a consistency proof from that size, and the signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the client believes the witness cosigned.
    pub old_size: u64,
    /// The RFC 9162 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note as sent: text, blank line, signature lines. Kept as
    /// received because signatures are checked over these exact bytes.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// Parses a request body strictly: `old <decimal, no leading zeroes>\n`, at
    /// most [`MAX_PROOF_LINES`] lines of base64 32-byte hashes, a blank line, and a
    /// note whose text is a checkpoint. Nothing may follow the note's signature
    /// lines. Signatures are not checked here (see [`check`](Self::check)).
    ///
    /// Line numbers in errors count from the start of the body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let f = Format::AddCheckpoint;
        let s = std::str::from_utf8(body).map_err(|e| {
            ParseError::new(
                f,
                ParseErrorKind::NotUtf8 {
                    offset: e.valid_up_to(),
                },
            )
        })?;
        if let Some(offset) = s.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(ParseError::new(
                f,
                ParseErrorKind::ControlCharacter {
                    byte: body[offset],
                    offset,
                },
            ));
        }
        let mut rest = s;
        let Some(old) = take_line(&mut rest) else {
            let kind = if s.is_empty() {
                ParseErrorKind::MissingLine("old size")
            } else {
                ParseErrorKind::MissingFinalNewline
            };
            return Err(ParseError::at_line(f, 1, kind));
        };
        let old = old.strip_prefix("old ").ok_or_else(|| {
            ParseError::at_line(f, 1, ParseErrorKind::Structure("expected `old <size>`"))
        })?;
        let old_size = parse_decimal("old size", old).map_err(|k| ParseError::at_line(f, 1, k))?;

        let mut proof = Vec::new();
        let mut line = 1;
        loop {
            line += 1;
            let Some(hash) = take_line(&mut rest) else {
                let kind = if rest.is_empty() {
                    ParseErrorKind::MissingLine("blank")
                } else {
                    ParseErrorKind::MissingFinalNewline
                };
                return Err(ParseError::at_line(f, line, kind));
            };
            if hash.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(ParseError::at_line(
                    f,
                    line,
                    ParseErrorKind::TooManyLines {
                        what: "consistency proof",
                        max: MAX_PROOF_LINES,
                    },
                ));
            }
            let raw = BASE64
                .decode(hash)
                .map_err(|_| ParseError::at_line(f, line, ParseErrorKind::InvalidBase64))?;
            let hash: Hash = raw.as_slice().try_into().map_err(|_| {
                ParseError::at_line(
                    f,
                    line,
                    ParseErrorKind::WrongLength {
                        what: "proof hash",
                        expected: 32,
                        actual: raw.len(),
                    },
                )
            })?;
            proof.push(hash);
        }

        // The note starts after the blank line; report its errors at body lines.
        let shift = |e: ParseError| match e.line() {
            Some(n) => ParseError::at_line(e.format(), n + line, e.kind().clone()),
            None => e,
        };
        let note = Note::parse(rest.as_bytes()).map_err(shift)?;
        Checkpoint::parse(note.text()).map_err(shift)?;
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }

    /// The request body, in the one form [`parse`](Self::parse) accepts (for a
    /// well-formed request, `parse(encode())` gives the request back).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            out.push_str(&BASE64.encode(hash));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out.into_bytes()
    }

    /// The checkpoint's origin line as sent, to look up the log's keys (the
    /// unknown-origin 404 is the caller's). [`check`](Self::check) checks it again.
    pub fn origin(&self) -> &str {
        self.checkpoint.split('\n').next().unwrap_or_default()
    }

    /// The witness's decision, with no I/O: `log` verifies checkpoints of the
    /// request's origin (the caller found it by [`origin`](Self::origin)), and
    /// `stored` is the latest checkpoint this witness cosigned for that origin as
    /// `(size, root)`, `None` if it never did.
    ///
    /// In order: a valid log signature (else 403, 404 for another origin, 400 if
    /// the note or checkpoint is malformed); `old_size` at most the checkpoint's
    /// size (400); a size-0 checkpoint has the empty root (422); `old_size` equals
    /// the stored size, 0 if none (409); then consistency from the *stored* root,
    /// never from anything the request says: no proof from size 0 (422), the same
    /// root at the same size (422), a proof that verifies (422). The same size
    /// and root is accepted again, so a client can fetch another cosignature.
    pub fn check(
        &self,
        log: &CheckpointVerifier,
        stored: Option<(u64, Hash)>,
    ) -> Result<Accepted, WitnessRefusal> {
        let verified = log
            .verify(self.checkpoint.as_bytes())
            .map_err(WitnessRefusal::from_verification)?;
        let (size, root) = {
            let c = verified.checkpoint();
            (c.size, c.root)
        };
        if self.old_size > size {
            return Err(WitnessRefusal::OldSizeTooLarge {
                old_size: self.old_size,
                checkpoint_size: size,
            });
        }
        if size == 0 && root != EMPTY_ROOT {
            return Err(WitnessRefusal::EmptyTreeRoot { root });
        }
        let witness_size = stored.map_or(0, |(s, _)| s);
        if self.old_size != witness_size {
            return Err(WitnessRefusal::Conflict {
                witness_size,
                old_size: self.old_size,
            });
        }
        match stored {
            // Every tree extends the empty tree, and no proof shows it.
            None | Some((0, _)) => {
                if !self.proof.is_empty() {
                    return Err(WitnessRefusal::ProofFromEmptyTree {
                        hashes: self.proof.len(),
                    });
                }
            }
            Some((old, old_root)) => {
                if old == size && old_root != root {
                    return Err(WitnessRefusal::SameSizeDifferentRoot { size });
                }
                verify_consistency(old, size, &self.proof, &old_root, &root).map_err(|reason| {
                    WitnessRefusal::InconsistentProof {
                        old_size: old,
                        new_size: size,
                        reason,
                    }
                })?;
            }
        }
        Ok(Accepted {
            checkpoint: verified,
            previous: stored,
        })
    }
}

/// Splits off the next line, without its newline; `None` if no newline is left.
fn take_line<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (line, tail) = rest.split_once('\n')?;
    *rest = tail;
    Some(line)
}

/// A decimal u64 in its one canonical form: ASCII digits, no leading zero
/// unless the number is 0.
fn parse_decimal(what: &'static str, s: &str) -> Result<u64, ParseErrorKind> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseErrorKind::InvalidNumber {
            what,
            found: s.to_owned(),
        });
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(ParseErrorKind::LeadingZero {
            what,
            found: s.to_owned(),
        });
    }
    s.parse().map_err(|_| ParseErrorKind::OutOfRange {
        what,
        found: s.to_owned(),
    })
}

/// A checkpoint the witness may cosign. Only [`AddCheckpoint::check`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    checkpoint: VerifiedCheckpoint,
    previous: Option<(u64, Hash)>,
}

impl Accepted {
    /// The checkpoint, verified with the log's key.
    pub fn checkpoint(&self) -> &VerifiedCheckpoint {
        &self.checkpoint
    }

    /// Consumes the decision and returns the verified checkpoint.
    pub fn into_checkpoint(self) -> VerifiedCheckpoint {
        self.checkpoint
    }

    /// The witness's new state for the origin, `(size, root)`, to store before
    /// replying. Equal to [`previous`](Self::previous) when the same checkpoint is
    /// cosigned again.
    pub fn state(&self) -> (u64, Hash) {
        let c = self.checkpoint.checkpoint();
        (c.size, c.root)
    }

    /// The stored state the decision was made against: store [`state`](Self::state)
    /// only if the stored state is still this one (compare-and-set), else decide again.
    pub fn previous(&self) -> Option<(u64, Hash)> {
        self.previous
    }

    /// Cosigns the checkpoint at `timestamp` (POSIX seconds, `1..2^63`): the
    /// witness API forbids the zero timestamp, which [`Cosigner::cosign`] (used
    /// here) allows. Call once per witness key; join the lines with
    /// [`cosignature_response`].
    pub fn cosign(&self, cosigner: &Cosigner, timestamp: u64) -> Result<SignatureLine, ApiMisuse> {
        if timestamp == 0 {
            return Err(ApiMisuse::ZeroTimestamp);
        }
        cosigner.cosign(&self.checkpoint, timestamp)
    }
}

/// The 200 response body: the cosignature lines, each `— <name> <base64>\n`.
pub fn cosignature_response(lines: &[SignatureLine]) -> String {
    lines.iter().map(SignatureLine::to_string).collect()
}

/// Why a witness does not cosign. [`status`](Self::status) is the HTTP status the
/// tlog-witness spec assigns; `Display` tells an operator what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessRefusal {
    /// 404: the witness has no keys for this origin. The caller's lookup decides
    /// this; [`AddCheckpoint::check`] returns it when the checkpoint's origin is
    /// not the one of the verifier it was given.
    #[error("this witness is not configured for the log {origin:?}")]
    UnknownOrigin {
        /// The origin line of the checkpoint.
        origin: String,
    },
    /// 403: no valid signature from a key the witness trusts for the log, or a
    /// trusted key's signature fails.
    #[error(
        "the checkpoint carries no valid signature from a key this witness trusts for its log: {0}"
    )]
    Forbidden(VerifyError),
    /// 400: the body, the note or the checkpoint text is malformed.
    #[error("the request is malformed: {0}")]
    Malformed(ParseError),
    /// 400: the old size is larger than the checkpoint's size.
    #[error(
        "the old size {old_size} is larger than the checkpoint's size {checkpoint_size}; \
         a consistency proof only goes from a smaller tree to a larger one"
    )]
    OldSizeTooLarge {
        /// The request's old size.
        old_size: u64,
        /// The checkpoint's size.
        checkpoint_size: u64,
    },
    /// 409: the old size is not the size of the witness's latest cosigned
    /// checkpoint. The body tells the client that size ([`TLOG_SIZE_CONTENT_TYPE`]).
    #[error(
        "the request builds on size {old_size}, but the latest checkpoint this witness \
         cosigned for the log has size {witness_size}; send a consistency proof from \
         size {witness_size}"
    )]
    Conflict {
        /// The size of the witness's latest cosigned checkpoint (0 if none).
        witness_size: u64,
        /// The request's old size.
        old_size: u64,
    },
    /// 422: the old size is 0 but the request carries a proof.
    #[error(
        "the old size is 0 but the request carries {hashes} proof hashes; every tree \
         extends the empty tree and the proof must be empty"
    )]
    ProofFromEmptyTree {
        /// How many hashes the proof had.
        hashes: usize,
    },
    /// 422: a size-0 checkpoint whose root is not the empty tree's.
    #[error(
        "the checkpoint has size 0 but root {}, not the empty tree's root \
         (SHA-256 of nothing): the log signed an impossible checkpoint",
        BASE64.encode(.root)
    )]
    EmptyTreeRoot {
        /// The root the checkpoint claims.
        root: Hash,
    },
    /// 422: the checkpoint has the size of the witness's latest one, and another
    /// root. Both are signed by the log: keep the request as evidence of a fork.
    #[error(
        "the checkpoint has size {size}, the size this witness last cosigned, but a \
         different root: the log signed two different trees of that size (keep this \
         request as evidence)"
    )]
    SameSizeDifferentRoot {
        /// The size both checkpoints claim.
        size: u64,
    },
    /// 422: the proof does not lead from the witness's stored root to the
    /// checkpoint's root.
    #[error(
        "the consistency proof from size {old_size} (the tree this witness last cosigned) \
         to size {new_size} does not verify: {reason}; the proof is wrong or the log forked"
    )]
    InconsistentProof {
        /// The witness's stored size.
        old_size: u64,
        /// The checkpoint's size.
        new_size: u64,
        /// What the proof check found.
        reason: VerifyError,
    },
    /// 500: checkpoint verification failed in a way it cannot (a bug in this crate).
    #[error("internal error (please report a bug): {0}")]
    Internal(Error),
}

impl WitnessRefusal {
    fn from_verification(e: Error) -> Self {
        match e {
            Error::Malformed(e) => WitnessRefusal::Malformed(e),
            Error::Verify(VerifyError::OriginMismatch { actual, .. }) => {
                WitnessRefusal::UnknownOrigin { origin: actual }
            }
            Error::Verify(e) => WitnessRefusal::Forbidden(e),
            other => WitnessRefusal::Internal(other),
        }
    }

    /// The HTTP status code for this refusal.
    pub fn status(&self) -> u16 {
        match self {
            WitnessRefusal::UnknownOrigin { .. } => 404,
            WitnessRefusal::Forbidden(_) => 403,
            WitnessRefusal::Malformed(_) | WitnessRefusal::OldSizeTooLarge { .. } => 400,
            WitnessRefusal::Conflict { .. } => 409,
            WitnessRefusal::ProofFromEmptyTree { .. }
            | WitnessRefusal::EmptyTreeRoot { .. }
            | WitnessRefusal::SameSizeDifferentRoot { .. }
            | WitnessRefusal::InconsistentProof { .. } => 422,
            WitnessRefusal::Internal(_) => 500,
        }
    }

    /// The response's `Content-Type` and body: for a 409 the witness's size as the
    /// spec requires (`<decimal>\n`, [`TLOG_SIZE_CONTENT_TYPE`]); otherwise this
    /// explanation as plain text.
    pub fn response_body(&self) -> (&'static str, String) {
        match self {
            WitnessRefusal::Conflict { witness_size, .. } => {
                (TLOG_SIZE_CONTENT_TYPE, format!("{witness_size}\n"))
            }
            other => (TEXT_CONTENT_TYPE, format!("{other}\n")),
        }
    }
}

impl From<ParseError> for WitnessRefusal {
    /// A body that [`AddCheckpoint::parse`] rejects is a 400.
    fn from(e: ParseError) -> Self {
        WitnessRefusal::Malformed(e)
    }
}

/// Parses a 409 Conflict body (`text/x.tlog.size`): the witness's size in decimal
/// without leading zeroes, then `\n`, nothing else. The client retries with a
/// proof from that size.
pub fn parse_tlog_size(body: &[u8]) -> Result<u64, ParseError> {
    let f = Format::TreeSizeBody;
    let s = std::str::from_utf8(body).map_err(|e| {
        ParseError::new(
            f,
            ParseErrorKind::NotUtf8 {
                offset: e.valid_up_to(),
            },
        )
    })?;
    let Some(size) = s.strip_suffix('\n') else {
        return Err(ParseError::at_line(
            f,
            1,
            ParseErrorKind::MissingFinalNewline,
        ));
    };
    parse_decimal("tree size", size).map_err(|k| ParseError::at_line(f, 1, k))
}

/// Counts the distinct witnesses among `witnesses` with a valid
/// tlog-cosignature/v1 line on the checkpoint's note: a k-of-n policy accepts the
/// checkpoint when this is at least k.
///
/// Witness vkeys may be type 0x04 or, as published by e.g. ArmoredWitness, 0x01:
/// these are turned into cosignature keys ([`Verifier::to_cosignature_verifier`]).
/// Signed-note rules apply: lines from other keys are ignored, and a listed
/// witness whose line fails to verify makes the note invalid (an error, not a
/// lower count). A witness counts once however many lines or names its public
/// key appears under, since a cosignature does not sign the witness's name.
///
/// Takes a [`VerifiedCheckpoint`] so that the log's own signature and origin are
/// checked first: to add a witness's 200 body, append it to the note and verify
/// again with the log's [`CheckpointVerifier`].
pub fn verify_cosignatures(
    checkpoint: &VerifiedCheckpoint,
    witnesses: &[Verifier],
) -> Result<usize, VerifyError> {
    count_cosignatures(checkpoint.note().note(), witnesses)
}

/// [`verify_cosignatures`] on a note whose log signature is not checked here
/// (tests use it on a note whose log signature type this crate cannot verify).
fn count_cosignatures(note: &Note, witnesses: &[Verifier]) -> Result<usize, VerifyError> {
    let mut keys: Vec<Verifier> = Vec::with_capacity(witnesses.len());
    for w in witnesses {
        let key = match w.key_type() {
            KeyType::Ed25519 => w.to_cosignature_verifier(),
            KeyType::CosignatureV1 => w.clone(),
        };
        // The same key listed twice is one witness, not an ambiguous configuration.
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let set: VerifierSet = keys.iter().cloned().collect();
    let verified = match note.clone().verify(&set) {
        Ok(v) => v,
        Err(VerifyError::NoVerifiableSignatures) => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut counted: Vec<[u8; 32]> = Vec::new();
    for sig in verified.verified() {
        let key = keys
            .iter()
            .find(|k| k.name() == sig.name() && k.key_id() == sig.key_id());
        if let Some(key) = key {
            let public = key.public_key();
            if !counted.contains(&public) {
                counted.push(public);
            }
        }
    }
    Ok(counted.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::note::Signer;
    use crate::proof::{consistency_proof_from_leaves, root_from_leaves};

    const ORIGIN: &str = "alpha.election.example/indicators";

    fn signer() -> Signer {
        Signer::new(ORIGIN, &[7; 32]).unwrap()
    }

    fn log() -> CheckpointVerifier {
        CheckpointVerifier::new(ORIGIN, signer().verifier())
    }

    /// The first `n` leaves of the honest log, or of a fork that rewrote entry 2.
    fn leaves(n: u64, forked: bool) -> Vec<Hash> {
        (0..n)
            .map(|i| {
                let text = if forked && i == 2 {
                    "forged 2".to_owned()
                } else {
                    format!("entry {i}")
                };
                leaf_hash(text.as_bytes())
            })
            .collect()
    }

    fn root(n: u64) -> Hash {
        root_from_leaves(&leaves(n, false))
    }

    fn forked_root(n: u64) -> Hash {
        root_from_leaves(&leaves(n, true))
    }

    fn proof(old: u64, new: u64) -> Vec<Hash> {
        consistency_proof_from_leaves(&leaves(new, false), old).unwrap()
    }

    fn note(size: u64, root: Hash) -> String {
        signer()
            .sign_checkpoint(&Checkpoint::new(ORIGIN, size, root))
            .unwrap()
    }

    fn request(old_size: u64, proof: Vec<Hash>, checkpoint: String) -> AddCheckpoint {
        AddCheckpoint {
            old_size,
            proof,
            checkpoint,
        }
    }

    /// The note with its log signature's first payload byte flipped.
    fn tampered(note: &str) -> String {
        let parsed = Note::parse(note.as_bytes()).unwrap();
        let mut out = Note::new(parsed.text()).unwrap();
        for line in parsed.signatures() {
            let mut payload = line.payload().to_vec();
            payload[0] ^= 1;
            out.add_signature(SignatureLine::new(line.name(), line.key_id(), payload).unwrap())
                .unwrap();
        }
        out.to_string()
    }

    /// A request for the honest checkpoint of `size`.
    fn req(old_size: u64, proof: Vec<Hash>, size: u64) -> AddCheckpoint {
        request(old_size, proof, note(size, root(size)))
    }

    fn inconsistent(old_size: u64, new_size: u64, reason: VerifyError) -> WitnessRefusal {
        WitnessRefusal::InconsistentProof {
            old_size,
            new_size,
            reason,
        }
    }

    #[test]
    fn witness_decisions() {
        use WitnessRefusal as R;
        let cp10 = Checkpoint::new(ORIGIN, 10, root(10)).to_text();
        let greased = {
            let grease = SignatureLine::new("grease.example/x", 0x0102_0304, vec![7; 68]).unwrap();
            let other = Cosigner::new("witness.example/other", &[9; 32]).unwrap();
            let cosig = other.cosign_text(&cp10, 1_700_000_000).unwrap();
            format!("{}{grease}{cosig}", note(10, root(10)))
        };
        // The log's own key, but as a cosignature: another key ID, so unknown.
        let only_a_cosignature = {
            let w = Cosigner::new(ORIGIN, &[7; 32]).unwrap();
            format!("{cp10}\n{}", w.cosign_text(&cp10, 1).unwrap())
        };
        let stranger = Signer::new(ORIGIN, &[8; 32]).unwrap().sign(&cp10).unwrap();
        let bad_signature = R::Forbidden(VerifyError::InvalidSignature {
            name: ORIGIN.into(),
            key_id: signer().key_id(),
        });
        let bad_text = R::Malformed(ParseError::at_line(
            Format::Checkpoint,
            2,
            ParseErrorKind::MissingLine("size"),
        ));
        let no_note = R::Malformed(ParseError::new(
            Format::Note,
            ParseErrorKind::NoSignatureBlock,
        ));
        let mut bent = proof(5, 10);
        bent[1][0] ^= 1;
        let mut short = proof(5, 10);
        short.pop();
        let forked_proof = consistency_proof_from_leaves(&leaves(10, true), 5).unwrap();
        let s5 = Some((5, root(5)));
        let s10 = Some((10, root(10)));
        let wrong_length = |actual| VerifyError::WrongProofLength {
            expected: proof(5, 10).len(),
            actual,
        };

        // (name, request, stored state, the new state or the refusal)
        type Case = (
            &'static str,
            AddCheckpoint,
            Option<(u64, Hash)>,
            Result<(u64, Hash), WitnessRefusal>,
        );
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            // Bootstrap, and the 409 that tells a client the witness's size.
            ("fresh witness, old 0", req(0, vec![], 10), None, Ok((10, root(10)))),
            ("old 0, witness at 5", req(0, vec![], 10), s5, Err(R::Conflict { witness_size: 5, old_size: 0 })),
            ("stale old size", req(3, proof(3, 10), 10), s5, Err(R::Conflict { witness_size: 5, old_size: 3 })),
            ("old size, fresh witness", req(5, proof(5, 10), 10), None, Err(R::Conflict { witness_size: 0, old_size: 5 })),
            // 400.
            ("old size beyond the checkpoint", req(12, vec![], 10), Some((12, root(12))),
                Err(R::OldSizeTooLarge { old_size: 12, checkpoint_size: 10 })),
            ("not a note", request(0, vec![], "not a note\n".into()), None, Err(no_note)),
            ("not a checkpoint", request(0, vec![], signer().sign("hello\n").unwrap()), None, Err(bad_text)),
            // 403.
            ("signed by another key", request(0, vec![], stranger), None, Err(R::Forbidden(VerifyError::NoVerifiableSignatures))),
            ("the log's signature fails", request(0, vec![], tampered(&note(10, root(10)))), None, Err(bad_signature)),
            ("only a cosignature", request(0, vec![], only_a_cosignature), None, Err(R::Forbidden(VerifyError::NoVerifiableSignatures))),
            // 422.
            ("proof with old size 0", req(0, proof(5, 10), 10), None, Err(R::ProofFromEmptyTree { hashes: proof(5, 10).len() })),
            ("size 0, not the empty root", request(0, vec![], note(0, [1; 32])), None, Err(R::EmptyTreeRoot { root: [1; 32] })),
            ("same size, other root", request(10, vec![], note(10, forked_root(10))), s10, Err(R::SameSizeDifferentRoot { size: 10 })),
            ("same size with a proof", req(10, vec![[3; 32]], 10), s10,
                Err(inconsistent(10, 10, VerifyError::WrongProofLength { expected: 0, actual: 1 }))),
            ("bit flip in the proof", req(5, bent, 10), s5, Err(inconsistent(5, 10, VerifyError::RootMismatch { size: 10 }))),
            ("truncated proof", req(5, short, 10), s5, Err(inconsistent(5, 10, wrong_length(proof(5, 10).len() - 1)))),
            // The witness's stored root decides, never the request: an honest proof
            // fails a witness that holds a forked root, and a fork's own proof
            // fails an honest witness.
            ("honest proof, forked stored root", req(5, proof(5, 10), 10), Some((5, forked_root(5))),
                Err(inconsistent(5, 10, VerifyError::RootMismatch { size: 5 }))),
            ("a fork's own proof", request(5, forked_proof, note(10, forked_root(10))), s5,
                Err(inconsistent(5, 10, VerifyError::RootMismatch { size: 5 }))),
            // 200.
            ("empty tree, fresh witness", request(0, vec![], note(0, EMPTY_ROOT)), None, Ok((0, EMPTY_ROOT))),
            ("from a cosigned empty tree", req(0, vec![], 10), Some((0, EMPTY_ROOT)), Ok((10, root(10)))),
            ("same size and root, again", req(10, vec![], 10), s10, Ok((10, root(10)))),
            ("consistency 5 → 10", req(5, proof(5, 10), 10), s5, Ok((10, root(10)))),
            ("consistency 8 → 13 (old root omitted)", req(8, proof(8, 13), 13), Some((8, root(8))), Ok((13, root(13)))),
            ("consistency 300 → 1000", req(300, proof(300, 1000), 1000), Some((300, root(300))), Ok((1000, root(1000)))),
            ("unknown lines are ignored", request(0, vec![], greased), None, Ok((10, root(10)))),
        ];

        for (name, request, stored, want) in &cases {
            let got = request.check(&log(), *stored);
            match (&got, want) {
                (Ok(a), Ok(state)) => {
                    assert_eq!(a.state(), *state, "{name}");
                    assert_eq!(a.previous(), *stored, "{name}");
                }
                (Err(r), Err(w)) => {
                    assert_eq!(r, w, "{name}");
                    // Every refusal explains itself, in one line.
                    let text = r.to_string();
                    assert!(text.len() > 20 && !text.contains('\n'), "{name}: {text}");
                }
                _ => panic!("{name}: got {got:?}, want {want:?}"),
            }
            // What goes over the wire is what the witness decides on; a body
            // that does not parse is one the witness refuses as malformed.
            match AddCheckpoint::parse(&request.encode()) {
                Ok(back) => assert_eq!(back, *request, "{name}"),
                Err(e) => assert!(matches!(got, Err(R::Malformed(_))), "{name}: {e}"),
            }
        }
        let statuses: Vec<u16> = cases
            .iter()
            .map(|(_, _, _, w)| w.as_ref().map_or_else(WitnessRefusal::status, |_| 200))
            .collect();
        for status in [200, 400, 403, 409, 422] {
            assert!(statuses.contains(&status), "no case for {status}");
        }

        // 404: the checkpoint is not of the log the caller looked up.
        let sightings =
            CheckpointVerifier::new("alpha.election.example/sightings", signer().verifier());
        assert_eq!(
            req(0, vec![], 10).check(&sightings, None),
            Err(R::UnknownOrigin {
                origin: ORIGIN.into()
            })
        );
    }

    #[test]
    fn refusal_bodies() {
        let conflict = WitnessRefusal::Conflict {
            witness_size: 5,
            old_size: 0,
        };
        assert_eq!(
            conflict.response_body(),
            (TLOG_SIZE_CONTENT_TYPE, "5\n".to_owned())
        );
        assert_eq!(
            parse_tlog_size(conflict.response_body().1.as_bytes()),
            Ok(5)
        );
        assert!(
            conflict
                .to_string()
                .contains("send a consistency proof from size 5")
        );
        let (ct, body) = WitnessRefusal::SameSizeDifferentRoot { size: 3 }.response_body();
        assert!(ct.starts_with("text/plain"));
        assert!(body.ends_with('\n') && body.contains("size 3"), "{body}");
        let empty = WitnessRefusal::EmptyTreeRoot { root: [0; 32] }.to_string();
        assert!(
            empty.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            "{empty}"
        );
        let e: WitnessRefusal = AddCheckpoint::parse(b"").unwrap_err().into();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn cosigning_and_counting() {
        let cosigner = Cosigner::new("witness.example/w1", &[11; 32]).unwrap();
        let req = request(0, vec![], note(10, root(10)));
        let accepted = req.check(&log(), None).unwrap();
        assert_eq!(accepted.cosign(&cosigner, 0), Err(ApiMisuse::ZeroTimestamp));
        let line = accepted.cosign(&cosigner, 1_700_000_000).unwrap();
        let body = cosignature_response(std::slice::from_ref(&line));
        assert!(body.starts_with("\u{2014} witness.example/w1 ") && body.ends_with('\n'));
        assert_eq!(body.matches('\n').count(), 1);

        // The client appends the body to its note and verifies again.
        let merged = format!("{}{body}", req.checkpoint);
        let vc = log().verify(merged.as_bytes()).unwrap();
        assert_eq!(verify_cosignatures(&vc, &[cosigner.verifier()]), Ok(1));
        let plain = Verifier::new(
            "witness.example/w1",
            KeyType::Ed25519,
            &cosigner.verifier().public_key(),
        )
        .unwrap();
        assert_eq!(
            verify_cosignatures(&vc, &[plain]),
            Ok(1),
            "0x01 vkeys are converted"
        );
        assert_eq!(
            verify_cosignatures(&accepted.into_checkpoint(), &[cosigner.verifier()]),
            Ok(0),
            "no witness line yet"
        );
    }

    /// Witness `i`'s cosigner.
    fn witness(i: u8) -> Cosigner {
        Cosigner::new(&format!("witness.example/w{i}"), &[20 + i; 32]).unwrap()
    }

    #[test]
    fn k_of_n_counting() {
        let text = Checkpoint::new(ORIGIN, 10, root(10)).to_text();
        let base = note(10, root(10));
        let line = |c: &Cosigner| c.cosign_text(&text, 1_700_000_000).unwrap().to_string();
        let as_ed25519 = |c: &Cosigner| {
            Verifier::new(c.name(), KeyType::Ed25519, &c.verifier().public_key()).unwrap()
        };
        let forged = SignatureLine::new(witness(3).name(), witness(3).key_id(), vec![0; 72])
            .unwrap()
            .to_string();
        // Witness 5's key under a second name: a second line, but one key.
        let alias = Cosigner::new("witness.example/alias", &[25; 32]).unwrap();
        let n = vec![
            witness(1).verifier(),
            as_ed25519(&witness(2)),
            witness(3).verifier(),
            witness(5).verifier(),
            alias.verifier(),
        ];

        // (name, note, listed witnesses, count or Err for an invalid note)
        type Case = (&'static str, String, Vec<Verifier>, Result<usize, ()>);
        let cases: Vec<Case> = vec![
            ("no cosignatures", base.clone(), n.clone(), Ok(0)),
            (
                "no witnesses configured",
                format!("{base}{}", line(&witness(1))),
                vec![],
                Ok(0),
            ),
            (
                "two of the listed, one unknown witness ignored",
                format!(
                    "{base}{}{}{}",
                    line(&witness(1)),
                    line(&witness(2)),
                    line(&witness(4))
                ),
                n.clone(),
                Ok(2),
            ),
            (
                "a repeated line and a repeated key count once",
                format!("{base}{}{}", line(&witness(1)), line(&witness(1))),
                vec![
                    witness(1).verifier(),
                    witness(1).verifier(),
                    as_ed25519(&witness(1)),
                ],
                Ok(1),
            ),
            (
                "one key under two names is one witness",
                format!("{base}{}{}", line(&witness(5)), line(&alias)),
                n.clone(),
                Ok(1),
            ),
            (
                "a forged line from a listed witness invalidates the note",
                format!("{base}{}{forged}", line(&witness(1))),
                n.clone(),
                Err(()),
            ),
            (
                "the same forged line from an unlisted witness is ignored",
                format!("{base}{}{forged}", line(&witness(1))),
                vec![witness(1).verifier()],
                Ok(1),
            ),
        ];
        for (name, note, witnesses, want) in cases {
            let vc = log().verify(note.as_bytes()).unwrap();
            let got = verify_cosignatures(&vc, &witnesses);
            match want {
                Ok(k) => assert_eq!(got, Ok(k), "{name}"),
                Err(()) => assert!(
                    matches!(got, Err(VerifyError::InvalidSignature { .. })),
                    "{name}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn parse_round_trip() {
        let req = request(5, proof(5, 10), note(10, root(10)));
        let body = req.encode();
        assert!(body.starts_with(b"old 5\n"));
        assert_eq!(AddCheckpoint::parse(&body), Ok(req.clone()));
        assert_eq!(AddCheckpoint::parse(&body).unwrap().encode(), body);
        assert_eq!(req.origin(), ORIGIN);
        let bootstrap = request(0, vec![], note(0, EMPTY_ROOT));
        assert!(bootstrap.encode().starts_with(b"old 0\n\n"));
        assert_eq!(AddCheckpoint::parse(&bootstrap.encode()), Ok(bootstrap));
        let full = request(1, vec![[4; 32]; MAX_PROOF_LINES], note(10, root(10)));
        assert_eq!(AddCheckpoint::parse(&full.encode()), Ok(full));
    }

    #[test]
    fn parse_rejects() {
        use ParseErrorKind as K;
        let n = note(10, root(10));
        let h = BASE64.encode([4; 32]);
        let too_many = format!(
            "old 1\n{}\n{n}",
            format!("{h}\n").repeat(MAX_PROOF_LINES + 1)
        );
        // (name, body, the error's line, its kind)
        type Case = (
            &'static str,
            Vec<u8>,
            Option<usize>,
            fn(&ParseErrorKind) -> bool,
        );
        let cases: Vec<Case> = vec![
            ("empty", b"".to_vec(), Some(1), |k| {
                matches!(k, K::MissingLine("old size"))
            }),
            ("no newline", b"old 5".to_vec(), Some(1), |k| {
                matches!(k, K::MissingFinalNewline)
            }),
            (
                "leading zero",
                format!("old 05\n\n{n}").into(),
                Some(1),
                |k| matches!(k, K::LeadingZero { .. }),
            ),
            ("negative", format!("old -1\n\n{n}").into(), Some(1), |k| {
                matches!(k, K::InvalidNumber { .. })
            }),
            (
                "two spaces",
                format!("old  5\n\n{n}").into(),
                Some(1),
                |k| matches!(k, K::InvalidNumber { .. }),
            ),
            ("empty size", format!("old \n\n{n}").into(), Some(1), |k| {
                matches!(k, K::InvalidNumber { .. })
            }),
            ("capital", format!("Old 5\n\n{n}").into(), Some(1), |k| {
                matches!(k, K::Structure(_))
            }),
            (
                "overflow",
                format!("old 18446744073709551616\n\n{n}").into(),
                Some(1),
                |k| matches!(k, K::OutOfRange { .. }),
            ),
            (
                "not base64",
                format!("old 5\nnot base64!\n\n{n}").into(),
                Some(2),
                |k| matches!(k, K::InvalidBase64),
            ),
            (
                "unpadded",
                format!("old 5\n{}\n\n{n}", h.trim_end_matches('=')).into(),
                Some(2),
                |k| matches!(k, K::InvalidBase64),
            ),
            (
                "url-safe",
                format!(
                    "old 5\n{}\n\n{n}",
                    BASE64.encode([0xfb; 32]).replace('+', "-")
                )
                .into(),
                Some(2),
                |k| matches!(k, K::InvalidBase64),
            ),
            (
                "31-byte hash",
                format!("old 5\n{h}\n{}\n\n{n}", BASE64.encode([4; 31])).into(),
                Some(3),
                |k| matches!(k, K::WrongLength { actual: 31, .. }),
            ),
            ("64 proof lines", too_many.into(), Some(65), |k| {
                matches!(k, K::TooManyLines { max: 63, .. })
            }),
            (
                "no blank line",
                format!("old 5\n{h}\n").into(),
                Some(3),
                |k| matches!(k, K::MissingLine("blank")),
            ),
            (
                "no blank line, unterminated",
                format!("old 5\n{h}").into(),
                Some(2),
                |k| matches!(k, K::MissingFinalNewline),
            ),
            ("no note", b"old 0\n\n".to_vec(), None, |k| {
                matches!(k, K::NoSignatureBlock)
            }),
            (
                "note without signatures",
                b"old 0\n\nexample\n".to_vec(),
                None,
                |k| matches!(k, K::NoSignatureBlock),
            ),
            (
                "two blank lines",
                format!("old 0\n\n\n{n}").into(),
                Some(3),
                |k| matches!(k, K::EmptyField("origin")),
            ),
            (
                "checkpoint text",
                format!("old 0\n\n{}", signer().sign("hello\n").unwrap()).into(),
                Some(4),
                |k| matches!(k, K::MissingLine("size")),
            ),
            (
                "trailing line",
                format!("old 0\n\n{n}garbage\n").into(),
                Some(8),
                |k| matches!(k, K::NotASignatureLine),
            ),
            (
                "trailing blank line",
                format!("old 0\n\n{n}\n").into(),
                Some(9),
                |k| matches!(k, K::NoSignatures),
            ),
            (
                "trailing bytes",
                format!("old 0\n\n{n}x").into(),
                Some(8),
                |k| matches!(k, K::MissingFinalNewline),
            ),
            (
                "carriage return",
                format!("old 0\r\n\n{n}").into(),
                None,
                |k| {
                    matches!(
                        k,
                        K::ControlCharacter {
                            byte: 13,
                            offset: 5
                        }
                    )
                },
            ),
            ("not UTF-8", b"old 0\n\n\xff\n".to_vec(), None, |k| {
                matches!(k, K::NotUtf8 { offset: 7 })
            }),
        ];
        for (name, body, line, kind) in cases {
            let e = AddCheckpoint::parse(&body).unwrap_err();
            assert!(kind(e.kind()), "{name}: {e:?}");
            assert_eq!(e.line(), line, "{name}: {e}");
            assert!(e.to_string().starts_with("malformed"), "{name}: {e}");
        }
    }

    #[test]
    fn tlog_size_bodies() {
        for (body, want) in [
            (&b"0\n"[..], Some(0)),
            (b"5\n", Some(5)),
            (b"18446744073709551615\n", Some(u64::MAX)),
            (b"", None),
            (b"\n", None),
            (b"5", None),
            (b"05\n", None),
            (b"5\n\n", None),
            (b" 5\n", None),
            (b"5 \n", None),
            (b"-1\n", None),
            (b"+5\n", None),
            (b"18446744073709551616\n", None),
            (b"\xff\n", None),
        ] {
            let got = parse_tlog_size(body);
            assert_eq!(got.as_ref().ok().copied(), want, "{body:?}: {got:?}");
            if let Err(e) = got {
                assert_eq!(e.format(), Format::TreeSizeBody);
            }
        }
    }

    #[test]
    fn statuses() {
        let v = || VerifyError::NoVerifiableSignatures;
        for (r, status) in [
            (WitnessRefusal::UnknownOrigin { origin: "o".into() }, 404),
            (WitnessRefusal::Forbidden(v()), 403),
            (AddCheckpoint::parse(b"").unwrap_err().into(), 400),
            (
                WitnessRefusal::OldSizeTooLarge {
                    old_size: 2,
                    checkpoint_size: 1,
                },
                400,
            ),
            (
                WitnessRefusal::Conflict {
                    witness_size: 1,
                    old_size: 0,
                },
                409,
            ),
            (WitnessRefusal::ProofFromEmptyTree { hashes: 1 }, 422),
            (WitnessRefusal::EmptyTreeRoot { root: [1; 32] }, 422),
            (WitnessRefusal::SameSizeDifferentRoot { size: 1 }, 422),
            (
                WitnessRefusal::InconsistentProof {
                    old_size: 1,
                    new_size: 2,
                    reason: v(),
                },
                422,
            ),
            (WitnessRefusal::Internal(Error::Unreachable("test")), 500),
        ] {
            assert_eq!(r.status(), status, "{r}");
        }
    }

    // The shared vectors, read in place (they sit beside the workspace).

    fn checkpoints_json() -> serde_json::Value {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/tlog/checkpoints.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "tlog test vectors not found at {}: the steering repository's shared/ folder \
                 must sit beside the workspace ({e})",
                path.display()
            )
        });
        serde_json::from_str(&text).unwrap()
    }

    fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string {key:?}"))
    }

    fn vkeys(v: &serde_json::Value, key: &str) -> Vec<Verifier> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("no array {key:?}"))
            .iter()
            .map(|k| Verifier::parse(k.as_str().unwrap()).unwrap())
            .collect()
    }

    /// checkpoints.json `cosignatures` (derived): the Tessera log's checkpoint 15
    /// with a witness line, counted with the 0x04 vkey and its 0x01 twin; the
    /// line with its timestamp altered fails the note.
    #[test]
    fn vectors_derived_cosignature() {
        let json = checkpoints_json();
        let tessera = &json["tessera_log"];
        let log = CheckpointVerifier::new(
            str_of(tessera, "origin"),
            Verifier::parse(str_of(tessera, "vkey")).unwrap(),
        );
        for v in json["cosignatures"].as_array().unwrap() {
            let cases = v["open_cases"].as_array().unwrap();
            let witness = Verifier::parse(str_of(v, "witness_vkey")).unwrap();
            let twin = vkeys(&cases[2], "vkeys").remove(0);
            assert_eq!(twin.key_type(), KeyType::Ed25519);
            let vc = log.verify(str_of(&cases[0], "note").as_bytes()).unwrap();
            assert_eq!(
                verify_cosignatures(&vc, std::slice::from_ref(&witness)),
                Ok(1)
            );
            assert_eq!(verify_cosignatures(&vc, &[twin]), Ok(1));
            let altered = log.verify(str_of(&cases[3], "note").as_bytes()).unwrap();
            assert!(matches!(
                verify_cosignatures(&altered, &[witness]),
                Err(VerifyError::InvalidSignature { .. })
            ));

            // A witness at size 0 cosigns checkpoint 15 with the vector's key and
            // time: the response is the vector's line, byte for byte.
            let seed: [u8; 32] = hex::decode(str_of(v, "witness_seed_hex"))
                .unwrap()
                .try_into()
                .unwrap();
            let cosigner = Cosigner::new("witness.example/w1", &seed).unwrap();
            let cp15 = str_of(&tessera["checkpoints"][15], "note");
            let accepted = request(0, vec![], cp15.to_owned())
                .check(&log, None)
                .unwrap();
            let ts = v["timestamp"].as_u64().unwrap();
            let line = accepted.cosign(&cosigner, ts).unwrap();
            assert_eq!(cosignature_response(&[line]), str_of(v, "cosignature_line"));
        }
    }

    /// checkpoints.json `witnessed_checkpoints`: the Pixel log's checkpoint with
    /// two ArmoredWitness cosignatures, counted with the 0x01 vkeys the devices
    /// publish. (The log's own line is ECDSA, which this crate does not verify,
    /// so the count runs on the bare note.)
    #[test]
    fn vectors_armored_witness() {
        let json = checkpoints_json();
        for w in json["witnessed_checkpoints"].as_array().unwrap() {
            let note = Note::parse(str_of(w, "note").as_bytes()).unwrap();
            let published = vkeys(w, "published_vkeys");
            assert!(published.iter().all(|k| k.key_type() == KeyType::Ed25519));
            assert_eq!(count_cosignatures(&note, &published), Ok(2));
            assert_eq!(
                count_cosignatures(&note, &vkeys(w, "cosignature_vkeys")),
                Ok(2)
            );
            assert_eq!(count_cosignatures(&note, &published[..1]), Ok(1));
        }
    }
}
