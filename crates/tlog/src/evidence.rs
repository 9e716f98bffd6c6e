//! Evidence that a log misbehaved: two checkpoints, signed with the log's key
//! for the same origin, that no single append-only log can have produced.
//!
//! Two cases are provable offline, with nothing but the log's public key:
//!
//! * **same size, different roots**: the two signed notes say it all;
//! * **a fork**: a checkpoint of `m` leaves, and one of `n > m` leaves whose
//!   tree does not start with the first. The evidence then also carries, from
//!   the larger tree, the root of its first `m` leaves and the RFC 9162
//!   consistency proof from that root to the larger root. The proof binds the
//!   carried root to the larger signed root (a second preimage of SHA-256
//!   aside), so when it differs from the smaller signed root, the log signed
//!   two histories.
//!
//! A checkpoint smaller than one seen before is not, by itself, provable
//! misbehaviour (a stale copy looks the same); if its root cannot start the
//! larger tree, it is a fork like any other.

use crate::checkpoint::{Checkpoint, CheckpointVerifier};
use crate::error::{Error, VerifyError};
use crate::hash::Hash;
use crate::note::Verifier;
use crate::proof::verify_consistency;
use crate::prove::{TileSource, prove_consistency, tree_root};

/// What the evidence proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Two signed checkpoints of one size with different roots.
    SameSizeDifferentRoots {
        /// The size both claim.
        size: u64,
    },
    /// A signed tree of `new_size` leaves whose first `old_size` leaves do
    /// not hash to the signed root of size `old_size`.
    Fork {
        /// The smaller size.
        old_size: u64,
        /// The larger size.
        new_size: u64,
    },
}

impl std::fmt::Display for Misbehaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Misbehaviour::SameSizeDifferentRoots { size } => {
                write!(
                    f,
                    "two signed checkpoints of size {size} with different roots"
                )
            }
            Misbehaviour::Fork { old_size, new_size } => write!(
                f,
                "a signed tree of {new_size} entries that does not extend the signed tree of {old_size} entries"
            ),
        }
    }
}

/// Two signed checkpoints and, for a fork, the hashes that show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// One signed checkpoint note, as received.
    pub first: String,
    /// The other, as received.
    pub second: String,
    /// For a fork: the root of the smaller size's leaves as the larger tree
    /// holds them.
    pub old_root_in_new_tree: Option<Hash>,
    /// For a fork: the consistency proof from `old_root_in_new_tree` to the
    /// larger checkpoint's root.
    pub proof: Vec<Hash>,
}

/// Why evidence does not prove misbehaviour.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// A checkpoint's note does not verify with the key, or does not parse.
    #[error("the {which} checkpoint does not verify: {reason}")]
    Checkpoint {
        /// `first` or `second`.
        which: &'static str,
        /// Why.
        reason: String,
    },
    /// The two checkpoints are of different logs.
    #[error("the checkpoints are of different logs ('{0}' and '{1}')")]
    Origins(String, String),
    /// The checkpoints agree: one log can have signed both.
    #[error("the checkpoints are consistent: {0}")]
    Consistent(&'static str),
    /// The fork's hashes do not lead to the larger signed root.
    #[error("the hashes given do not lead to the larger checkpoint's root: {0}")]
    Proof(VerifyError),
}

impl Evidence {
    /// Evidence from two signed checkpoints of one log that cannot both be
    /// true, with the larger tree's tiles (as mirrored from the log) to show
    /// a fork. Fails if the checkpoints are consistent or do not verify.
    pub fn new(
        key: &Verifier,
        first: &str,
        second: &str,
        larger_tree: &(impl TileSource + ?Sized),
    ) -> Result<Evidence, Error> {
        let a = open(key, first, "first")?;
        let b = open(key, second, "second")?;
        let mut evidence = Evidence {
            first: first.to_owned(),
            second: second.to_owned(),
            old_root_in_new_tree: None,
            proof: Vec::new(),
        };
        if a.size != b.size {
            let (old, new) = if a.size < b.size { (&a, &b) } else { (&b, &a) };
            let root = tree_root(old.size, larger_tree)?;
            evidence.proof = prove_consistency(old.size, new.size, larger_tree)?;
            evidence.old_root_in_new_tree = Some(root);
        }
        evidence.verify(key)?;
        Ok(evidence)
    }

    /// Checks the evidence with the log's key alone: `Ok` says what the log
    /// did; `Err` says why this is no proof of anything.
    pub fn verify(&self, key: &Verifier) -> Result<Misbehaviour, EvidenceError> {
        let a = open(key, &self.first, "first")?;
        let b = open(key, &self.second, "second")?;
        if a.origin != b.origin {
            return Err(EvidenceError::Origins(a.origin.clone(), b.origin.clone()));
        }
        if a.size == b.size {
            return if a.root == b.root {
                Err(EvidenceError::Consistent("the same size and root"))
            } else {
                Ok(Misbehaviour::SameSizeDifferentRoots { size: a.size })
            };
        }
        let (old, new) = if a.size < b.size { (&a, &b) } else { (&b, &a) };
        if old.size == 0 {
            return Err(EvidenceError::Consistent(
                "every tree extends the empty tree",
            ));
        }
        let Some(claimed) = &self.old_root_in_new_tree else {
            return Err(EvidenceError::Consistent(
                "different sizes, and no hashes from the larger tree to compare",
            ));
        };
        verify_consistency(old.size, new.size, &self.proof, claimed, &new.root)
            .map_err(EvidenceError::Proof)?;
        if *claimed == old.root {
            return Err(EvidenceError::Consistent(
                "the larger tree extends the smaller",
            ));
        }
        Ok(Misbehaviour::Fork {
            old_size: old.size,
            new_size: new.size,
        })
    }
}

fn open(key: &Verifier, note: &str, which: &'static str) -> Result<Checkpoint, EvidenceError> {
    let bad = |e: Error| EvidenceError::Checkpoint {
        which,
        reason: e.to_string(),
    };
    // The origin is the one the note states: the key proves who signed it.
    let origin = note.lines().next().unwrap_or_default();
    let verified = CheckpointVerifier::new(origin, key.clone())
        .verify(note.as_bytes())
        .map_err(bad)?;
    Ok(verified.into_checkpoint())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::note::Signer;
    use crate::prove::TileSet;
    use crate::writer::TileWriter;

    const ORIGIN: &str = "alpha.election.example/indicators";

    fn signer() -> Signer {
        Signer::new("alpha.election.example", &[7; 32]).unwrap()
    }

    /// A log of `size` entries, entry `changed` (if any) rewritten: its signed
    /// checkpoint and its tiles.
    fn log(size: u64, changed: Option<u64>) -> (String, TileSet) {
        let leaves: Vec<Hash> = (0..size)
            .map(|i| {
                let text = if Some(i) == changed {
                    format!("forged {i}")
                } else {
                    format!("entry {i}")
                };
                leaf_hash(text.as_bytes())
            })
            .collect();
        let batch = TileWriter::new().append_batch(&leaves).unwrap();
        let mut tiles = TileSet::new();
        for (id, bytes) in batch.tiles {
            tiles.insert(id, bytes);
        }
        let note = signer()
            .sign_checkpoint(&Checkpoint::new(ORIGIN, batch.size, batch.root))
            .unwrap();
        (note, tiles)
    }

    #[test]
    fn same_size_different_roots_is_proven_by_the_notes_alone() {
        let (a, _) = log(10, None);
        let (b, tiles) = log(10, Some(3));
        let e = Evidence::new(&signer().verifier(), &a, &b, &tiles).unwrap();
        assert_eq!(
            e.verify(&signer().verifier()),
            Ok(Misbehaviour::SameSizeDifferentRoots { size: 10 })
        );
    }

    #[test]
    fn a_fork_is_proven_with_the_larger_trees_hashes() {
        for (old, new, changed) in [
            (10, 17, 3),
            (8, 9, 7),
            (1, 2, 0),
            (300, 70_000, 299),
            (256, 257, 0),
        ] {
            let (a, _) = log(old, None);
            let (b, tiles) = log(new, Some(changed));
            // Either order: the evidence names the sizes, not the order seen.
            for (first, second) in [(&a, &b), (&b, &a)] {
                let e = Evidence::new(&signer().verifier(), first, second, &tiles).unwrap();
                assert_eq!(
                    e.verify(&signer().verifier()),
                    Ok(Misbehaviour::Fork {
                        old_size: old,
                        new_size: new
                    }),
                    "{old} → {new}"
                );
            }
        }
    }

    #[test]
    fn an_honest_extension_is_no_evidence() {
        let (a, _) = log(10, None);
        let (b, tiles) = log(17, None);
        assert!(matches!(
            Evidence::new(&signer().verifier(), &a, &b, &tiles),
            Err(Error::Evidence(EvidenceError::Consistent(_)))
        ));
        let (same, _) = log(10, None);
        assert!(matches!(
            Evidence::new(&signer().verifier(), &a, &same, &tiles),
            Err(Error::Evidence(EvidenceError::Consistent(_)))
        ));
    }

    #[test]
    fn tampered_evidence_proves_nothing() {
        let (a, _) = log(10, None);
        let (b, tiles) = log(17, Some(3));
        let key = signer().verifier();
        let e = Evidence::new(&key, &a, &b, &tiles).unwrap();

        // Claiming the smaller root as the larger tree's: the proof no longer leads there.
        let mut forged = e.clone();
        forged.old_root_in_new_tree = Some(
            Checkpoint::parse(
                a.split("\n\n")
                    .next()
                    .map(|b| format!("{b}\n"))
                    .as_deref()
                    .unwrap(),
            )
            .unwrap()
            .root,
        );
        assert!(matches!(forged.verify(&key), Err(EvidenceError::Proof(_))));

        let mut bent = e.clone();
        bent.proof[0][0] ^= 1;
        assert!(matches!(bent.verify(&key), Err(EvidenceError::Proof(_))));

        let mut short = e.clone();
        short.proof.pop();
        assert!(matches!(short.verify(&key), Err(EvidenceError::Proof(_))));

        // A note whose body was edited no longer verifies.
        let mut edited = e.clone();
        edited.second = edited.second.replacen("17\n", "18\n", 1);
        assert!(matches!(
            edited.verify(&key),
            Err(EvidenceError::Checkpoint {
                which: "second",
                ..
            })
        ));

        // Another key proves nothing about this log.
        let other = Signer::new("alpha.election.example", &[8; 32])
            .unwrap()
            .verifier();
        assert!(matches!(
            e.verify(&other),
            Err(EvidenceError::Checkpoint { .. })
        ));
    }

    #[test]
    fn checkpoints_of_two_logs_are_no_evidence() {
        let (a, tiles) = log(10, None);
        let other = signer()
            .sign_checkpoint(&Checkpoint::new(
                "alpha.election.example/sightings",
                10,
                [9; 32],
            ))
            .unwrap();
        assert!(matches!(
            Evidence::new(&signer().verifier(), &a, &other, &tiles),
            Err(Error::Evidence(EvidenceError::Origins(_, _)))
        ));
    }
}
