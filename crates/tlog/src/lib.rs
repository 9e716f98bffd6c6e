//! Entente's transparency log, as pure functions: RFC 9162 Merkle trees and
//! proofs, C2SP signed notes, checkpoints and cosignatures, and tlog-tiles.
//!
//! # What it does not do
//!
//! This crate does no I/O. It does not open files or sockets, read the clock,
//! draw random numbers or spawn tasks. Entries, tiles, keys, seeds and timestamps
//! come in as arguments; tiles go out through a callback or a returned batch, and
//! come back in through the [`TileSource`] trait. The store crate decides where
//! they live; the node decides when to sign.
//!
//! # Promises
//!
//! * A leaf hash is `SHA-256(0x00 ‖ entry)` over the exact entry bytes
//!   ([`leaf_hash`]); an interior node is `SHA-256(0x01 ‖ left ‖ right)`
//!   ([`node_hash`]); the empty tree's root is `SHA-256("")` ([`EMPTY_ROOT`]).
//! * The root of size `n` is the RFC 9162 Merkle tree hash of entries `0..n`, so
//!   a checkpoint of size `n` commits to exactly those entries, in order.
//! * Every parser accepts only the canonical form its format allows (tile paths,
//!   checkpoints, vkeys, notes), and signatures are checked over the bytes
//!   received, never over a re-encoding.
//!
//! # The picture
//!
//! ```text
//!  entries ─leaf_hash─▶ leaf hashes ─TileWriter─▶ hash tiles tile/<L>/<N>[.p/<W>]
//!                                        │               │
//!                                        ▼               ▼ prove_inclusion, prove_consistency
//!                                      root            proofs
//!                                        │
//!  Checkpoint { origin, size, root } ─Signer─▶ signed note ─Cosigner─▶ + witness lines
//!
//!  Verification runs the other way:
//!  note bytes ─CheckpointVerifier─▶ VerifiedCheckpoint (origin, size, root)
//!     ├─ verify_consistency(old size, new size, proof, old root, new root)
//!     └─ verify_inclusion(leaf_hash(entry), index, size, proof, root)
//! ```
//!
//! # Types
//!
//! * Hashing: [`Hash`](type@Hash), [`leaf_hash`], [`node_hash`], [`CompactRange`] (a
//!   growing tree's right edge).
//! * Proofs: [`verify_inclusion`], [`verify_consistency`] (and `_bytes` variants
//!   for hashes straight off the wire); generation from leaves in memory
//!   ([`inclusion_proof_from_leaves`]) or from tiles ([`prove_inclusion`],
//!   [`prove_consistency`], [`tree_root`], which first tell the store which tiles
//!   to read: [`inclusion_tiles`], [`consistency_tiles`], [`root_tiles`]).
//! * Tiles: [`TileId`], [`BundleId`], [`TilePath`], [`encode_bundle`],
//!   [`decode_bundle`], and [`TileWriter`], which turns batches of leaf hashes into
//!   the tiles to store.
//! * Notes: [`Signer`] (type 0x01), [`Cosigner`] (type 0x04), [`Verifier`]
//!   (vkeys), [`VerifierSet`], [`Note`], [`open`] → [`VerifiedNote`].
//! * Checkpoints: [`Checkpoint`], [`CheckpointVerifier`] → [`VerifiedCheckpoint`],
//!   which only verification can build, so code that takes one cannot skip the check.
//! * Witnessing (C2SP tlog-witness, without the HTTP): [`AddCheckpoint`] (the
//!   request body) and its [`check`](AddCheckpoint::check) → [`Accepted`] or a
//!   [`WitnessRefusal`] with its HTTP status; [`cosignature_response`]; for clients,
//!   [`parse_tlog_size`] (the 409 body) and [`verify_cosignatures`] (k-of-n).
//! * Errors by fault: [`ParseError`], [`VerifyError`], [`TileError`],
//!   [`ApiMisuse`], all wrapped by [`Error`].
//!
//! # Example
//!
//! A log appends entries, a client checks that one of them is in the tree:
//!
//! ```
//! use tlog::{leaf_hash, prove_inclusion, inclusion_tiles, verify_inclusion, TileSet, TileWriter};
//!
//! let entries: Vec<Vec<u8>> = (0..1000u32).map(|i| format!("entry {i}").into_bytes()).collect();
//! let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(e)).collect();
//!
//! // The log: write the tiles (a store would persist them with the entries).
//! let mut writer = TileWriter::new();
//! let batch = writer.append_batch(&leaves)?;
//! let mut stored = TileSet::new();
//! for (id, bytes) in batch.tiles {
//!     stored.insert(id, bytes);
//! }
//!
//! // A proof request for entry 617 at the signed size: read the tiles it needs.
//! assert!(inclusion_tiles(617, batch.size)?.len() <= 3);
//! let proof = prove_inclusion(617, batch.size, &stored)?;
//!
//! // The client, holding the entry and a verified checkpoint (size, root):
//! verify_inclusion(&leaf_hash(&entries[617]), 617, batch.size, &proof, &batch.root)?;
//! assert!(verify_inclusion(&leaf_hash(b"forged"), 617, batch.size, &proof, &batch.root).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod checkpoint;
mod error;
mod evidence;
mod hash;
mod note;
mod proof;
mod prove;
mod tile;
mod witness;
mod writer;

// The public interface is:
pub use checkpoint::{Checkpoint, CheckpointVerifier, VerifiedCheckpoint};
pub use error::{ApiMisuse, Error, Format, ParseError, ParseErrorKind, TileError, VerifyError};
pub use evidence::{Evidence, EvidenceError, Misbehaviour};
pub use hash::{CompactRange, EMPTY_ROOT, Hash, leaf_hash, node_hash};
pub use note::{
    Cosigner, KeyType, MAX_SIGNATURES, Note, SignatureLine, Signer, VerifiedNote,
    VerifiedSignature, Verifier, VerifierSet, check_key_name, key_id, open,
};
pub use proof::{
    consistency_proof_from_leaves, consistency_proof_len, hash_from_slice,
    inclusion_proof_from_leaves, inclusion_proof_len, root_from_leaves, verify_consistency,
    verify_consistency_bytes, verify_inclusion, verify_inclusion_bytes,
};
pub use prove::{
    ExpandedTile, TileSet, TileSource, consistency_tiles, inclusion_tiles, prove_consistency,
    prove_inclusion, root_tiles, tree_root,
};
pub use tile::{
    BundleId, FULL_TILE_BYTES, LevelLayout, MAX_ENTRY_LEN, MAX_LEVEL, TILE_WIDTH, TileId, TilePath,
    decode_bundle, edge_tiles, encode_bundle, tile_layout,
};
pub use witness::{
    Accepted, AddCheckpoint, MAX_PROOF_LINES, TLOG_SIZE_CONTENT_TYPE, WitnessRefusal,
    cosignature_response, parse_tlog_size, verify_cosignatures,
};
pub use writer::{TileBatch, TileWriter};
