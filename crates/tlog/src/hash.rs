//! RFC 9162 (= RFC 6962) Merkle tree hashing with SHA-256, and the compact range
//! that keeps a growing tree's right edge.

use sha2::{Digest, Sha256};

use crate::error::ApiMisuse;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree, `SHA-256("")` (not the hash of an empty leaf).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Hashes an entry as a leaf: `SHA-256(0x00 || entry)`.
///
/// Hash exactly the bytes that are stored and served (the bytes of the entry
/// bundle), never a re-serialisation.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// Hashes two children into their parent: `SHA-256(0x01 || left || right)`.
///
/// The 0x00/0x01 prefixes keep leaves and nodes apart, so a leaf can never be
/// passed off as an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One 65-byte buffer and one digest call: measurably faster than three updates.
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// Folds the roots of a compact range (largest, leftmost first) into the tree root.
pub(crate) fn fold_roots<'a>(roots: impl DoubleEndedIterator<Item = &'a Hash>) -> Hash {
    let mut it = roots.rev();
    let Some(last) = it.next() else {
        return EMPTY_ROOT;
    };
    it.fold(*last, |acc, left| node_hash(left, &acc))
}

/// The right edge of a Merkle tree: one perfect-subtree root per set bit of the
/// size, largest (leftmost) first.
///
/// This is all a log needs to keep in memory to append leaves and compute roots:
/// appending costs one node hash on average, [`root`](Self::root) at most 63.
/// [`from_parts`](Self::from_parts) restores it from a stored size and
/// [`hashes`](Self::hashes).
///
/// ```
/// use tlog::{leaf_hash, node_hash, CompactRange};
/// let mut range = CompactRange::new();
/// range.append(leaf_hash(b"a"))?;
/// range.append(leaf_hash(b"b"))?;
/// assert_eq!(range.root(), node_hash(&leaf_hash(b"a"), &leaf_hash(b"b")));
/// # Ok::<(), tlog::ApiMisuse>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    // Invariant: hashes.len() == size.count_ones(); hashes[i] is the root of the
    // perfect subtree for the i-th set bit of size, counted from the top.
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores a range from its size and hashes, as returned by [`size`](Self::size)
    /// and [`hashes`](Self::hashes).
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, ApiMisuse> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(ApiMisuse::CompactRangeShape {
                size,
                expected,
                actual: hashes.len(),
            });
        }
        Ok(CompactRange { size, hashes })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest (leftmost) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends one leaf hash. Fails only if the size would pass `u64::MAX`.
    pub fn append(&mut self, leaf: Hash) -> Result<(), ApiMisuse> {
        let new_size = self.size.checked_add(1).ok_or(ApiMisuse::SizeOverflow)?;
        // Each trailing one bit of the old size is a subtree of the same height as
        // the one being carried: merge it in. That is the binary carry of size + 1.
        let mut carry = leaf;
        let mut bits = self.size;
        while bits & 1 == 1 {
            // The invariant guarantees one stored hash per set bit.
            if let Some(left) = self.hashes.pop() {
                carry = node_hash(&left, &carry);
            }
            bits >>= 1;
        }
        self.hashes.push(carry);
        self.size = new_size;
        Ok(())
    }

    /// The Merkle tree hash of everything appended so far (`EMPTY_ROOT` when empty).
    pub fn root(&self) -> Hash {
        fold_roots(self.hashes.iter())
    }
}

/// The Merkle tree hash (MTH) over a list of hashes taken as leaves. For a list
/// whose length is a power of two this is the root of a perfect subtree.
pub(crate) fn root_of(hashes: &[Hash]) -> Hash {
    root_of_iter(hashes.iter().copied())
}

/// [`root_of`] over an iterator, so tile bytes need not be copied into a `Vec`.
pub(crate) fn root_of_iter(hashes: impl Iterator<Item = Hash>) -> Hash {
    // A stack of at most 64 pending subtrees; no allocation.
    let mut stack = [[0u8; 32]; 64];
    let mut depth = 0usize;
    for (count, h) in hashes.enumerate() {
        let mut carry = h;
        let mut bits = count;
        while bits & 1 == 1 && depth > 0 {
            depth -= 1;
            carry = node_hash(&stack[depth], &carry);
            bits >>= 1;
        }
        stack[depth] = carry;
        depth += 1;
    }
    fold_roots(stack[..depth].iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let h: Hash = Sha256::digest(b"").into();
        assert_eq!(h, EMPTY_ROOT);
        assert_eq!(CompactRange::new().root(), EMPTY_ROOT);
    }

    #[test]
    fn compact_range_matches_root_of() {
        let leaves: Vec<Hash> = (0u8..16).map(|i| leaf_hash(&[i])).collect();
        let mut r = CompactRange::new();
        for l in &leaves {
            r.append(*l).unwrap();
        }
        assert_eq!(r.hashes().len(), 1);
        assert_eq!(r.root(), root_of(&leaves));
    }

    #[test]
    fn from_parts_checks_shape() {
        assert!(CompactRange::from_parts(3, vec![[0; 32]]).is_err());
        assert!(CompactRange::from_parts(3, vec![[0; 32]; 2]).is_ok());
        assert!(CompactRange::from_parts(0, vec![]).is_ok());
    }
}
