//! The integration tests of `entente-tlog`, built as one binary.

// Test data loading, hex helpers and failure-message context.
mod util;
// Known-answer tests: merkle-roots.json, inclusion-proofs.json, consistency-proofs.json.
mod vectors_merkle;
// Known-answer tests: signed-notes.json (vkeys, signing, open cases).
mod vectors_notes;
// Known-answer tests: checkpoints.json (bodies, Tessera log, witnesses, cosignatures).
mod vectors_checkpoints;
// Known-answer tests: tiles.json (paths, layouts, a real tile and entry bundle).
mod vectors_tiles;
// A sparse tree oracle for trees far too big to build (sizes up to 2^64 - 1).
mod sparse;
// proptest laws: proofs verify, tampering is rejected, tiles agree with memory.
mod laws;
