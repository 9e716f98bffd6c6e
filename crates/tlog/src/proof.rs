//! Inclusion and consistency proofs: verification (RFC 9162 sections 2.1.3.2 and
//! 2.1.4.2) and generation from leaf hashes held in memory.
//!
//! Generation from stored tiles lives in [`crate::prove`]; both produce the same
//! proofs, which the crate's tests check.

use crate::error::{ApiMisuse, VerifyError};
use crate::hash::{Hash, node_hash, root_of};

/// Verifies that `leaf_hash` is entry `index` of the tree of `size` leaves whose
/// root is `root`.
///
/// The proof is ordered from the leaf's sibling upwards, as RFC 9162 generates it.
/// Its length must be exactly what `index` and `size` call for.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(VerifyError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    // RFC 9162 section 2.1.3.2, step by step.
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            // Unreachable after the length check; kept as the RFC states it.
            return Err(VerifyError::WrongProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(VerifyError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    if r != *root {
        return Err(VerifyError::RootMismatch { size });
    }
    Ok(())
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the
/// tree of `old_size` leaves with root `old_root`.
///
/// Edge cases follow transparency-dev/merkle (and the shared vectors): `old_size`
/// 0 is rejected ([`VerifyError::OldSizeZero`]; protocols special-case the empty
/// tree), equal sizes need an empty proof and equal roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), VerifyError> {
    if new_size < old_size {
        return Err(VerifyError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(VerifyError::OldSizeZero);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(VerifyError::WrongProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        if old_root != new_root {
            return Err(VerifyError::RootMismatch { size: new_size });
        }
        return Ok(());
    }
    let expected = consistency_proof_len(old_size, new_size);
    if proof.len() != expected {
        return Err(VerifyError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    // RFC 9162 section 2.1.4.2. When old_size is a power of two the old root is the
    // first node of the path and the proof omits it.
    let (first, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some(split) => split,
            // The length check above makes this unreachable.
            None => {
                return Err(VerifyError::WrongProofLength {
                    expected,
                    actual: 0,
                });
            }
        }
    };
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = *first;
    let mut s_r = *first;
    for c in rest {
        if s_n == 0 {
            return Err(VerifyError::WrongProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(VerifyError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    if f_r != *old_root {
        return Err(VerifyError::RootMismatch { size: old_size });
    }
    if s_r != *new_root {
        return Err(VerifyError::RootMismatch { size: new_size });
    }
    Ok(())
}

/// Converts an untrusted byte string into a [`Hash`](type@Hash), or says which value was not
/// 32 bytes long.
pub fn hash_from_slice(what: &'static str, bytes: &[u8]) -> Result<Hash, VerifyError> {
    bytes.try_into().map_err(|_| VerifyError::WrongHashLength {
        what,
        len: bytes.len(),
    })
}

/// [`verify_inclusion`] for hashes exactly as they arrived (e.g. base64-decoded),
/// so that a value of the wrong length is a verification failure rather than a
/// conversion the caller must remember to do.
pub fn verify_inclusion_bytes<P: AsRef<[u8]>>(
    leaf_hash: &[u8],
    index: u64,
    size: u64,
    proof: &[P],
    root: &[u8],
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let leaf = hash_from_slice("leaf hash", leaf_hash)?;
    let root = hash_from_slice("root", root)?;
    let proof = proof
        .iter()
        .map(|p| hash_from_slice("proof element", p.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    verify_inclusion(&leaf, index, size, &proof, &root)
}

/// [`verify_consistency`] for hashes exactly as they arrived. With equal sizes the
/// roots are compared as opaque bytes, as transparency-dev/merkle does.
pub fn verify_consistency_bytes<P: AsRef<[u8]>>(
    old_size: u64,
    new_size: u64,
    proof: &[P],
    old_root: &[u8],
    new_root: &[u8],
) -> Result<(), VerifyError> {
    if new_size < old_size {
        return Err(VerifyError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(VerifyError::OldSizeZero);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(VerifyError::WrongProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        if old_root != new_root {
            return Err(VerifyError::RootMismatch { size: new_size });
        }
        return Ok(());
    }
    let old = hash_from_slice("old root", old_root)?;
    let new = hash_from_slice("new root", new_root)?;
    let proof = proof
        .iter()
        .map(|p| hash_from_slice("proof element", p.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    verify_consistency(old_size, new_size, &proof, &old, &new)
}

/// The number of hashes in an inclusion proof for `index` in a tree of `size`
/// (`index < size`): `bitlen(index ^ (size - 1)) + popcount(index >> that)`.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let inner = bit_len(index ^ (size - 1));
    (inner + (index.checked_shr(inner).unwrap_or(0)).count_ones()) as usize
}

/// The number of hashes in a consistency proof from `old_size` to `new_size`
/// (`0 < old_size <= new_size`).
pub fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    if old_size == 0 || old_size >= new_size {
        return 0;
    }
    let own = if old_size.is_power_of_two() { 0 } else { 1 };
    let t = old_size.trailing_zeros();
    let m1 = old_size - 1;
    let f = bit_len(m1 ^ (new_size - 1));
    own + (f - t) as usize + m1.checked_shr(f).unwrap_or(0).count_ones() as usize
}

fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// The Merkle tree hash of `leaves` (RFC 9162 MTH): `EMPTY_ROOT` for none.
pub fn root_from_leaves(leaves: &[Hash]) -> Hash {
    root_of(leaves)
}

/// The inclusion proof for leaf `index` in the tree made of all of `leaves`,
/// computed straight from the RFC 9162 `PATH` definition. Costs O(n) hashes; for
/// tests and small trees. Stores use [`crate::prove_inclusion`].
pub fn inclusion_proof_from_leaves(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ApiMisuse> {
    let size = leaves.len() as u64;
    let i = usize::try_from(index)
        .ok()
        .filter(|&i| i < leaves.len())
        .ok_or(ApiMisuse::IndexOutOfRange { index, size })?;
    let mut out = Vec::new();
    path(i, leaves, &mut out);
    Ok(out)
}

/// The consistency proof from the first `old_size` of `leaves` to all of them,
/// computed straight from the RFC 9162 `PROOF`/`SUBPROOF` definition. For tests
/// and small trees. Stores use [`crate::prove_consistency`].
pub fn consistency_proof_from_leaves(
    leaves: &[Hash],
    old_size: u64,
) -> Result<Vec<Hash>, ApiMisuse> {
    let new = leaves.len() as u64;
    let m = usize::try_from(old_size)
        .ok()
        .filter(|&m| m > 0 && m <= leaves.len())
        .ok_or(ApiMisuse::BadSizes { old: old_size, new })?;
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    Ok(out)
}

/// Largest power of two strictly less than `n` (`n > 1`).
fn split_point(n: usize) -> usize {
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

// PATH(m, D[0:n]); the output order is leaf-sibling first, so recurse before pushing.
fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root_of(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root_of(&d[..k]));
    }
}

// SUBPROOF(m, D[0:n], b).
fn subproof(m: usize, d: &[Hash], b: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !b {
            out.push(root_of(d));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &d[..k], b, out);
        out.push(root_of(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root_of(&d[..k]));
    }
}

/// A node whose hash a proof needs, in tile-friendly terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeRef {
    /// The perfect subtree of height `height` covering leaves
    /// `[index << height, (index + 1) << height)`.
    Perfect { height: u32, index: u64 },
    /// `MTH(D[start..end])` for a range on the tree's right edge that is not a
    /// perfect subtree; recomputed from the perfect subtrees it decomposes into.
    Range { start: u64, end: u64 },
}

/// The nodes of the inclusion path of perfect node (`height`, `index`) in the
/// tree of `size` leaves, leaf-side first. Callers guarantee that the node lies
/// inside the tree.
///
/// Below the node's "fork" with the last leaf, every sibling is a perfect subtree;
/// the sibling at the fork is the right part `[start, size)`, perfect or not; above
/// it come the perfect subtrees left of the fork, one per set bit.
pub(crate) fn inclusion_nodes(height: u32, index: u64, size: u64, out: &mut Vec<NodeRef>) {
    let last = (size - 1) >> height;
    let inner = bit_len(index ^ last);
    for j in 0..inner {
        let h = height + j;
        let sibling = (index >> j) ^ 1;
        if j + 1 < inner {
            out.push(NodeRef::Perfect {
                height: h,
                index: sibling,
            });
        } else {
            // The right child of the fork: it contains the last leaf and may be cut short.
            let start = (sibling as u128) << h;
            let end = (sibling as u128 + 1) << h;
            if end <= size as u128 {
                out.push(NodeRef::Perfect {
                    height: h,
                    index: sibling,
                });
            } else {
                out.push(NodeRef::Range {
                    start: start as u64,
                    end: size,
                });
            }
        }
    }
    let mut p = index.checked_shr(inner).unwrap_or(0);
    let mut h = height + inner;
    while p != 0 {
        if p & 1 == 1 {
            out.push(NodeRef::Perfect {
                height: h,
                index: p - 1,
            });
        }
        p >>= 1;
        h += 1;
    }
}

/// The nodes of the consistency proof from `old` to `new` (`0 < old < new`).
///
/// The proof is the old tree's last perfect subtree (omitted when it is the whole
/// old tree) followed by that subtree's inclusion path in the new tree.
pub(crate) fn consistency_nodes(old: u64, new: u64, out: &mut Vec<NodeRef>) {
    let t = old.trailing_zeros();
    let index = (old >> t) - 1;
    if !old.is_power_of_two() {
        out.push(NodeRef::Perfect { height: t, index });
    }
    inclusion_nodes(t, index, new, out);
}

/// Splits `[start, end)` into perfect subtrees, left to right.
pub(crate) fn range_nodes(start: u64, end: u64, mut f: impl FnMut(u32, u64)) {
    let mut x = start;
    while x < end {
        let remaining = end - x;
        let by_size = 63 - remaining.leading_zeros();
        let h = x.trailing_zeros().min(by_size);
        f(h, x >> h);
        x += 1u64 << h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    // The node formulation must agree with the RFC recursion. The crate's
    // integration tests do this through tiles; this checks it with no tiles at all.
    fn eval(d: &[Hash], n: &NodeRef) -> Hash {
        match *n {
            NodeRef::Perfect { height, index } => {
                let s = (index << height) as usize;
                root_of(&d[s..s + (1 << height)])
            }
            NodeRef::Range { start, end } => root_of(&d[start as usize..end as usize]),
        }
    }

    #[test]
    fn node_formulation_matches_rfc_recursion() {
        let d = leaves(70);
        for n in 1..=70usize {
            for m in 0..n {
                let mut nodes = Vec::new();
                inclusion_nodes(0, m as u64, n as u64, &mut nodes);
                let got: Vec<Hash> = nodes.iter().map(|x| eval(&d, x)).collect();
                assert_eq!(got, inclusion_proof_from_leaves(&d[..n], m as u64).unwrap());
                assert_eq!(got.len(), inclusion_proof_len(m as u64, n as u64));
            }
            for m in 1..n {
                let mut nodes = Vec::new();
                consistency_nodes(m as u64, n as u64, &mut nodes);
                let got: Vec<Hash> = nodes.iter().map(|x| eval(&d, x)).collect();
                assert_eq!(
                    got,
                    consistency_proof_from_leaves(&d[..n], m as u64).unwrap()
                );
                assert_eq!(got.len(), consistency_proof_len(m as u64, n as u64));
            }
        }
    }

    const A: Hash = [0xaa; 32];
    const B: Hash = [0xbb; 32];

    macro_rules! consistency_rejects {
        ($name:ident, $m:expr, $n:expr, $proof:expr, $r1:expr, $r2:expr, $err:pat) => {
            #[test]
            fn $name() {
                let got = verify_consistency($m, $n, &$proof, &$r1, &$r2);
                assert!(matches!(got, Err($err)), "{got:?}");
            }
        };
    }

    consistency_rejects!(zero_to_zero, 0, 0, [], A, A, VerifyError::OldSizeZero);
    consistency_rejects!(zero_to_one, 0, 1, [], A, B, VerifyError::OldSizeZero);
    consistency_rejects!(
        shrinking,
        2,
        1,
        [],
        A,
        A,
        VerifyError::SizeDecreased { old: 2, new: 1 }
    );
    consistency_rejects!(
        equal_sizes_with_proof,
        3,
        3,
        [A],
        A,
        A,
        VerifyError::WrongProofLength {
            expected: 0,
            actual: 1
        }
    );
    consistency_rejects!(
        equal_sizes_other_root,
        3,
        3,
        [],
        A,
        B,
        VerifyError::RootMismatch { size: 3 }
    );
    consistency_rejects!(
        empty_proof,
        1,
        2,
        [],
        A,
        B,
        VerifyError::WrongProofLength {
            expected: 1,
            actual: 0
        }
    );

    macro_rules! inclusion_rejects {
        ($name:ident, $m:expr, $n:expr, $proof:expr, $err:pat) => {
            #[test]
            fn $name() {
                let got = verify_inclusion(&A, $m, $n, &$proof, &A);
                assert!(matches!(got, Err($err)), "{got:?}");
            }
        };
    }

    inclusion_rejects!(
        index_is_size,
        1,
        1,
        [],
        VerifyError::IndexOutOfRange { index: 1, size: 1 }
    );
    inclusion_rejects!(size_zero, 0, 0, [], VerifyError::IndexOutOfRange { .. });
    inclusion_rejects!(
        too_long,
        0,
        1,
        [A],
        VerifyError::WrongProofLength {
            expected: 0,
            actual: 1
        }
    );
    inclusion_rejects!(
        too_short,
        0,
        2,
        [],
        VerifyError::WrongProofLength {
            expected: 1,
            actual: 0
        }
    );
    inclusion_rejects!(wrong_root, 0, 2, [B], VerifyError::RootMismatch { size: 2 });

    #[test]
    fn equal_sizes_accept_equal_roots() {
        assert_eq!(verify_consistency(3, 3, &[], &A, &A), Ok(()));
        assert_eq!(verify_inclusion(&A, 0, 1, &[], &A), Ok(()));
    }

    #[test]
    fn spec_examples_for_lengths() {
        assert_eq!(inclusion_proof_len(5, 8), 3);
        assert_eq!(inclusion_proof_len(2, 3), 1);
        assert_eq!(inclusion_proof_len(0, 1), 0);
        assert_eq!(consistency_proof_len(6, 8), 3);
        assert_eq!(inclusion_proof_len(0, u64::MAX), 64);
    }

    #[test]
    fn range_nodes_split_like_binary() {
        let mut got = Vec::new();
        range_nodes(8, 15, |h, i| got.push((h, i)));
        assert_eq!(got, vec![(2, 2), (1, 6), (0, 14)]);
        let mut heights = Vec::new();
        range_nodes(0, u64::MAX, |h, _| heights.push(h));
        assert_eq!(heights, (0..64).rev().collect::<Vec<u32>>());
    }
}
