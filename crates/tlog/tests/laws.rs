//! Laws, checked with proptest:
//!
//! * every generated inclusion and consistency proof verifies (in memory, from
//!   tiles, and at sparse sizes up to 2^64 − 1), and tile proofs equal the RFC ones;
//! * every one-bit change to a proof element, leaf, root or index is rejected;
//!   a changed size is accepted only where the proof really is the honest proof
//!   for the changed size (RFC 9162 proofs do not bind the size on their own:
//!   the proof for leaf 0 of 6 also verifies leaf 0 of 7 *with the size-6 root*,
//!   which is why the size must come from the signed checkpoint);
//! * the tile writer yields the same tiles and root however its input is chunked,
//!   and a restored writer continues exactly where the original was.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use tlog::{
    ExpandedTile, Hash, TileId, TileSet, TileWriter, consistency_proof_from_leaves,
    consistency_tiles, inclusion_proof_from_leaves, inclusion_tiles, prove_consistency,
    prove_inclusion, root_from_leaves, root_tiles, tree_root, verify_consistency, verify_inclusion,
};

use crate::sparse::SparseTree;
use crate::util::test_leaves;

/// Leaves shared by the laws; sizes stay below 4096 so one-bit size changes up to
/// bit 12 stay inside the pool.
const POOL: usize = 8192;
const MAX_SIZE: u64 = 4095;

fn pool() -> &'static [Hash] {
    static P: OnceLock<Vec<Hash>> = OnceLock::new();
    P.get_or_init(|| test_leaves(POOL))
}

/// Roots of every prefix of the pool.
fn roots() -> &'static [Hash] {
    static R: OnceLock<Vec<Hash>> = OnceLock::new();
    R.get_or_init(|| {
        let mut range = tlog::CompactRange::new();
        let mut out = vec![range.root()];
        for l in pool() {
            range.append(*l).unwrap();
            out.push(range.root());
        }
        out
    })
}

/// Every tile of the whole pool's tree. Tiles only grow, so this one set serves
/// every smaller size through the "wider tile" rule.
fn pool_tiles() -> &'static TileSet {
    static T: OnceLock<TileSet> = OnceLock::new();
    T.get_or_init(|| tiles_for(pool()))
}

/// The same tiles with every interior node precomputed: proofs then cost almost
/// no hashing, and must not change.
fn pool_tiles_expanded() -> &'static TileSet {
    static T: OnceLock<TileSet> = OnceLock::new();
    T.get_or_init(|| {
        let mut set = TileSet::new();
        let batch = TileWriter::new().append_batch(pool()).unwrap();
        for (id, bytes) in batch.tiles {
            set.insert_expanded(Arc::new(ExpandedTile::new(id, &bytes).unwrap()));
        }
        set
    })
}

fn tiles_for(leaves: &[Hash]) -> TileSet {
    let mut set = TileSet::new();
    let batch = TileWriter::new().append_batch(leaves).unwrap();
    for (id, bytes) in batch.tiles {
        set.insert(id, bytes);
    }
    set
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut x = *h;
    x[bit / 8 % 32] ^= 1 << (bit % 8);
    x
}

fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1..=MAX_SIZE).prop_flat_map(|n| (Just(n), 0..n))
}

fn sizes() -> impl Strategy<Value = (u64, u64)> {
    (1..=MAX_SIZE).prop_flat_map(|n| (1..=n, Just(n)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn inclusion_proofs_verify_and_tiles_agree((n, m) in size_and_index()) {
        let leaves = &pool()[..n as usize];
        let proof = inclusion_proof_from_leaves(leaves, m).unwrap();
        let root = roots()[n as usize];
        prop_assert_eq!(verify_inclusion(&leaves[m as usize], m, n, &proof, &root), Ok(()));
        prop_assert_eq!(&prove_inclusion(m, n, pool_tiles()).unwrap(), &proof);
        prop_assert_eq!(&prove_inclusion(m, n, pool_tiles_expanded()).unwrap(), &proof);
        // Exactly the tiles it asks for are enough.
        let ids = inclusion_tiles(m, n).unwrap();
        prop_assert!(ids.len() <= 4, "{} tiles", ids.len());
        let exact = exact_tiles(leaves, &ids);
        prop_assert_eq!(&prove_inclusion(m, n, &exact).unwrap(), &proof);
        prop_assert_eq!(tree_root(n, pool_tiles()).unwrap(), root);
    }

    #[test]
    fn consistency_proofs_verify_and_tiles_agree((m, n) in sizes()) {
        let leaves = &pool()[..n as usize];
        let proof = consistency_proof_from_leaves(leaves, m).unwrap();
        let (r1, r2) = (roots()[m as usize], roots()[n as usize]);
        prop_assert_eq!(verify_consistency(m, n, &proof, &r1, &r2), Ok(()));
        prop_assert_eq!(&prove_consistency(m, n, pool_tiles()).unwrap(), &proof);
        prop_assert_eq!(&prove_consistency(m, n, pool_tiles_expanded()).unwrap(), &proof);
        let ids = consistency_tiles(m, n).unwrap();
        let exact = exact_tiles(leaves, &ids);
        prop_assert_eq!(&prove_consistency(m, n, &exact).unwrap(), &proof);
    }

    #[test]
    fn inclusion_tampering_is_rejected((n, m) in size_and_index(), bit in 0usize..256, pick in any::<prop::sample::Index>()) {
        let leaves = &pool()[..n as usize];
        let leaf = leaves[m as usize];
        let proof = prove_inclusion(m, n, pool_tiles_expanded()).unwrap();
        let root = roots()[n as usize];
        if !proof.is_empty() {
            let k = pick.index(proof.len());
            let mut bad = proof.clone();
            bad[k] = flip(&bad[k], bit);
            prop_assert!(verify_inclusion(&leaf, m, n, &bad, &root).is_err());
            let mut short = proof.clone();
            short.remove(k);
            prop_assert!(verify_inclusion(&leaf, m, n, &short, &root).is_err());
        }
        let mut long = proof.clone();
        long.push(leaf);
        prop_assert!(verify_inclusion(&leaf, m, n, &long, &root).is_err());
        prop_assert!(verify_inclusion(&flip(&leaf, bit), m, n, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, m, n, &proof, &flip(&root, bit)).is_err());
        for b in 0..64 {
            let m2 = m ^ (1 << b);
            prop_assert!(verify_inclusion(&leaf, m2, n, &proof, &root).is_err(), "index bit {}", b);
            let n2 = n ^ (1 << b);
            if n2 as usize <= POOL && m < n2 {
                // Against the true root of the changed size: accepted iff the proof
                // is the honest one for that size (tile proofs equal RFC proofs, see above).
                let honest = prove_inclusion(m, n2, pool_tiles_expanded()).unwrap();
                let ok = verify_inclusion(&leaf, m, n2, &proof, &roots()[n2 as usize]).is_ok();
                prop_assert_eq!(ok, honest == proof, "size bit {}", b);
            } else {
                prop_assert!(verify_inclusion(&leaf, m, n2, &proof, &root).is_err(), "size bit {}", b);
            }
        }
    }

    #[test]
    fn consistency_tampering_is_rejected((m, n) in sizes(), bit in 0usize..256, pick in any::<prop::sample::Index>()) {
        let proof = prove_consistency(m, n, pool_tiles_expanded()).unwrap();
        let (r1, r2) = (roots()[m as usize], roots()[n as usize]);
        if !proof.is_empty() {
            let k = pick.index(proof.len());
            let mut bad = proof.clone();
            bad[k] = flip(&bad[k], bit);
            prop_assert!(verify_consistency(m, n, &bad, &r1, &r2).is_err());
            let mut short = proof.clone();
            short.remove(k);
            prop_assert!(verify_consistency(m, n, &short, &r1, &r2).is_err());
        }
        let mut long = proof.clone();
        long.push(r1);
        prop_assert!(verify_consistency(m, n, &long, &r1, &r2).is_err());
        prop_assert!(verify_consistency(m, n, &proof, &flip(&r1, bit), &r2).is_err());
        prop_assert!(verify_consistency(m, n, &proof, &r1, &flip(&r2, bit)).is_err());
        for b in 0..64 {
            let m2 = m ^ (1 << b);
            let n2 = n ^ (1 << b);
            for (m2, n2, what) in [(m2, n, "old size"), (m, n2, "new size")] {
                let honest_ok = m2 >= 1 && m2 <= n2 && n2 as usize <= POOL;
                if honest_ok {
                    let honest = prove_consistency(m2, n2, pool_tiles_expanded()).unwrap();
                    let ok = verify_consistency(m2, n2, &proof, &roots()[m2 as usize], &roots()[n2 as usize]).is_ok();
                    prop_assert_eq!(ok, honest == proof, "{} bit {}", what, b);
                } else {
                    prop_assert!(verify_consistency(m2, n2, &proof, &r1, &r2).is_err(), "{} bit {}", what, b);
                }
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn writer_chunking_does_not_matter(n in 0usize..3000, cuts in prop::collection::vec(0usize..3000, 0..12)) {
        let leaves = &pool()[..n];
        let mut one = TileWriter::new();
        let mut want = Vec::new();
        one.append(leaves, |id, b| want.push((id, b.to_vec()))).unwrap();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (n + 1)).collect();
        cuts.sort_unstable();
        let mut chunked = TileWriter::new();
        let mut got = Vec::new();
        let mut start = 0;
        for c in cuts.into_iter().chain([n]) {
            chunked.append(&leaves[start..c], |id, b| got.push((id, b.to_vec()))).unwrap();
            // A writer restored from this point's partial tiles is the same writer.
            let edge: TileSet = {
                let mut s = TileSet::new();
                for (id, b) in chunked.partial_tiles() { s.insert(id, b.to_vec()); }
                s
            };
            let restored = TileWriter::restore(c as u64, &edge).unwrap();
            prop_assert_eq!(restored.root(), chunked.root());
            chunked = restored;
            start = c;
        }
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(chunked.root(), root_from_leaves(leaves));
        let p1: Vec<_> = one.partial_tiles().map(|(i, b)| (i, b.to_vec())).collect();
        let p2: Vec<_> = chunked.partial_tiles().map(|(i, b)| (i, b.to_vec())).collect();
        prop_assert_eq!(p1, p2);
        // Every tile's hashes are the roots of the leaf ranges they stand for.
        for (id, bytes) in want.iter().chain(one.partial_tiles().map(|(i, b)| (i, b.to_vec())).collect::<Vec<_>>().iter()) {
            check_tile_against_leaves(leaves, *id, bytes);
        }
    }
}

fn exact_tiles(leaves: &[Hash], ids: &[TileId]) -> TileSet {
    let mut set = TileSet::new();
    for id in ids {
        set.insert(*id, tile_from_leaves(leaves, *id));
    }
    set
}

fn tile_from_leaves(leaves: &[Hash], id: TileId) -> Vec<u8> {
    let span = 1usize << (8 * id.level() as usize);
    (0..id.width() as usize)
        .flat_map(|p| {
            let start = (id.index() as usize * 256 + p) * span;
            root_from_leaves(&leaves[start..start + span])
        })
        .collect()
}

fn check_tile_against_leaves(leaves: &[Hash], id: TileId, bytes: &[u8]) {
    assert_eq!(bytes, tile_from_leaves(leaves, id).as_slice(), "tile {id}");
}

/// Sizes far beyond what a test can build, through the sparse oracle.
fn sparse_case() -> impl Strategy<Value = (u64, u64, u64)> {
    let size = prop_oneof![
        1u64..=1 << 20,
        1u64..=1 << 40,
        1u64..=u64::MAX,
        (u64::MAX - 300)..=u64::MAX,
        (0u32..64).prop_map(|b| 1u64 << b),
    ];
    size.prop_flat_map(|n| (Just(n), 0..n, 1..=n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sparse_trees_prove_from_tiles((n, m, old) in sparse_case(), extra in prop::collection::vec(any::<u64>(), 0..4)) {
        let specials: Vec<u64> = [m, n - 1, old - 1, old.saturating_sub(2), 0]
            .into_iter()
            .chain(extra.into_iter().map(|x| x % n))
            .collect();
        let t = SparseTree::new(n, specials);
        let root = t.root();

        let ids = inclusion_tiles(m, n).unwrap();
        prop_assert!(ids.len() <= 16, "{} tiles", ids.len());
        let proof = prove_inclusion(m, n, &t.tile_set(&ids)).unwrap();
        prop_assert_eq!(&proof, &t.inclusion(m));
        prop_assert_eq!(verify_inclusion(&t.leaf(m), m, n, &proof, &root), Ok(()));

        let ids = consistency_tiles(old, n).unwrap();
        let proof = prove_consistency(old, n, &t.tile_set(&ids)).unwrap();
        prop_assert_eq!(&proof, &t.consistency(old));
        let old_root = t.with_size(old).root();
        prop_assert_eq!(verify_consistency(old, n, &proof, &old_root, &root), Ok(()));

        prop_assert_eq!(tree_root(n, &t.tile_set(&root_tiles(n))).unwrap(), root);
    }

    #[test]
    fn sparse_writer_restores_and_continues(n in prop_oneof![1u64..=1 << 40, 1u64..=u64::MAX - 1000], k in 1u64..600) {
        let specials: Vec<u64> = (n..n + k).chain([n - 1, 0]).collect();
        let before = SparseTree::new(n, specials.clone());
        let edge = before.tile_set(&tlog::edge_tiles(n));
        let mut w = TileWriter::restore(n, &edge).unwrap();
        prop_assert_eq!(w.root(), before.root());
        let after = SparseTree::new(n + k, specials);
        let leaves: Vec<Hash> = (n..n + k).map(|i| after.leaf(i)).collect();
        let mut full = Vec::new();
        w.append(&leaves, |id, b| full.push((id, b.to_vec()))).unwrap();
        prop_assert_eq!(w.root(), after.root());
        for (id, bytes) in full.iter().chain(w.partial_tiles().map(|(i, b)| (i, b.to_vec())).collect::<Vec<_>>().iter()) {
            prop_assert_eq!(bytes, &after.tile(*id), "tile {}", id);
        }
    }
}

#[test]
fn a_large_tree_matches_memory_at_every_level() {
    // 70 000 leaves: three tile levels, as in the spec's example.
    let leaves = test_leaves(70_000);
    let set = tiles_for(&leaves);
    for &(m, n) in &[(69_999u64, 70_000u64), (12_345, 66_000)] {
        let want = inclusion_proof_from_leaves(&leaves[..n as usize], m).unwrap();
        assert_eq!(
            prove_inclusion(m, n, &set).unwrap(),
            want,
            "inclusion {m} in {n}"
        );
    }
    for &(m, n) in &[(65_535u64, 65_537u64), (257, 70_000)] {
        let want = consistency_proof_from_leaves(&leaves[..n as usize], m).unwrap();
        assert_eq!(
            prove_consistency(m, n, &set).unwrap(),
            want,
            "consistency {m} -> {n}"
        );
    }
    assert_eq!(tree_root(70_000, &set).unwrap(), root_from_leaves(&leaves));
}
