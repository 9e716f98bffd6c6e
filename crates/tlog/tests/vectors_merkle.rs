//! merkle-roots.json, inclusion-proofs.json, consistency-proofs.json.

use sha2::{Digest, Sha256};
use tlog::{
    CompactRange, EMPTY_ROOT, Hash, TileSet, TileWriter, VerifyError,
    consistency_proof_from_leaves, inclusion_proof_from_leaves, leaf_hash, node_hash,
    prove_consistency, prove_inclusion, root_from_leaves, tree_root, verify_consistency,
    verify_consistency_bytes, verify_inclusion, verify_inclusion_bytes,
};

use crate::util::{arr, b, hash, hash_list, hex, hex_list, load, s, u};

fn leaf_hashes(leaves: &[Vec<u8>]) -> Vec<Hash> {
    leaves.iter().map(|l| leaf_hash(l)).collect()
}

/// Tiles of the tree of all `leaves`, for proofs at any smaller size too.
fn tiles_of(leaves: &[Hash]) -> TileSet {
    let mut w = TileWriter::new();
    let batch = w.append_batch(leaves).unwrap();
    let mut set = TileSet::new();
    for (id, bytes) in batch.tiles {
        set.insert(id, bytes);
    }
    set
}

/// Like [`tiles_of`], with interior nodes precomputed so proofs cost almost no hashing.
fn expanded_tiles_of(leaves: &[Hash]) -> TileSet {
    let mut set = TileSet::new();
    for (id, bytes) in TileWriter::new().append_batch(leaves).unwrap().tiles {
        set.insert_expanded(std::sync::Arc::new(
            tlog::ExpandedTile::new(id, &bytes).unwrap(),
        ));
    }
    set
}

#[test]
fn merkle_roots() {
    let f = load("merkle-roots.json");
    let leaves = leaf_hashes(&hex_list(&f.json, "leaves_hex"));
    assert_eq!(leaves.len(), 8, "{}", f.ctx("leaves_hex", &f.json));

    // Every complete subtree hash, through the public root function and through tiles.
    for (level, row) in arr(&f.json, "node_hashes_hex").iter().enumerate() {
        for (i, h) in row.as_array().unwrap().iter().enumerate() {
            let ctx = f.ctx(&format!("node_hashes_hex[{level}][{i}]"), &f.json);
            let range = &leaves[i << level..(i + 1) << level];
            assert_eq!(root_from_leaves(range), hash(h.as_str().unwrap()), "{ctx}");
        }
    }

    let tiles = tiles_of(&leaves);
    for r in arr(&f.json, "roots") {
        let n = u(r, "tree_size") as usize;
        let want = hash(s(r, "root_hex"));
        let ctx = f.ctx(&format!("roots tree_size={n}"), r);
        assert_eq!(root_from_leaves(&leaves[..n]), want, "{ctx} (from leaves)");
        let mut range = CompactRange::new();
        for l in &leaves[..n] {
            range.append(*l).unwrap();
        }
        assert_eq!(range.root(), want, "{ctx} (compact range)");
        let restored = CompactRange::from_parts(range.size(), range.hashes().to_vec()).unwrap();
        assert_eq!(restored.root(), want, "{ctx} (restored compact range)");
        let mut w = TileWriter::new();
        w.append(&leaves[..n], |_, _| {}).unwrap();
        assert_eq!(w.root(), want, "{ctx} (tile writer)");
        assert_eq!(
            tree_root(n as u64, &tiles).unwrap(),
            want,
            "{ctx} (from tiles)"
        );
    }

    for v in arr(&f.json, "hasher_vectors") {
        let desc = s(v, "desc");
        let ctx = f.ctx(&format!("hasher_vectors {desc:?}"), v);
        let want = hash(s(v, "hash_hex"));
        match s(v, "kind") {
            "empty_root" => {
                assert_eq!(EMPTY_ROOT, want, "{ctx}");
                assert_eq!(root_from_leaves(&[]), want, "{ctx}");
            }
            "leaf" => assert_eq!(leaf_hash(&hex(s(v, "input_hex"))), want, "{ctx}"),
            "node" => {
                // node_hash takes two 32-byte hashes by type; this vector hashes 4-byte
                // children. Check the same construction with 32-byte children instead,
                // against an independent SHA-256 of 0x01 || l || r, and check that the
                // vector itself is that construction.
                let (l, r) = (hex(s(v, "left_hex")), hex(s(v, "right_hex")));
                let direct: Hash = Sha256::new()
                    .chain_update([1u8])
                    .chain_update(&l)
                    .chain_update(&r)
                    .finalize()
                    .into();
                assert_eq!(direct, want, "{ctx}: the vector is SHA-256(0x01||l||r)");
                let (l32, r32) = (leaf_hash(&l), leaf_hash(&r));
                let direct32: Hash = Sha256::new()
                    .chain_update([1u8])
                    .chain_update(l32)
                    .chain_update(r32)
                    .finalize()
                    .into();
                assert_eq!(node_hash(&l32, &r32), direct32, "{ctx}");
            }
            other => panic!("{ctx}: unknown kind {other}"),
        }
    }
}

/// The accumulated-digest vectors: every RFC 6962 subtree hash and subtree
/// inclusion proof of trees up to 130 leaves, fed through one SHA-256.
#[test]
fn merkle_accumulated_vectors() {
    let f = load("merkle-roots.json");
    for v in arr(&f.json, "accumulated_vectors") {
        let max = u(v, "max_size") as usize;
        let ctx = f.ctx(&format!("accumulated_vectors {}", s(v, "kind")), v);
        let d: Vec<Hash> = (0..max).map(|i| leaf_hash(&[i as u8])).collect();
        let mut acc = Sha256::new();
        for end in 0..=max {
            for start in 0..=end {
                let len = end - start;
                let valid = start == 0 || start == end || start % len.next_power_of_two() == 0;
                if !valid {
                    continue;
                }
                let sub = &d[start..end];
                match s(v, "kind") {
                    "subtree_hash" => acc.update(format!(
                        "[{start}, {end}) {}\n",
                        hex::encode(root_from_leaves(sub))
                    )),
                    "subtree_inclusion" => {
                        // From tiles of the subrange taken as its own tree (O(log n) per
                        // proof; the in-memory RFC recursion is O(n) and slow in debug
                        // builds). The laws check that both give the same proofs.
                        let tiles = expanded_tiles_of(sub);
                        for index in start..end {
                            let proof = prove_inclusion((index - start) as u64, len as u64, &tiles)
                                .unwrap();
                            let mut line = format!("{index} [{start}, {end})");
                            for p in proof {
                                line.push(' ');
                                line.push_str(&hex::encode(p));
                            }
                            line.push('\n');
                            acc.update(line);
                        }
                    }
                    other => panic!("{ctx}: unknown kind {other}"),
                }
            }
        }
        assert_eq!(hex::encode(acc.finalize()), s(v, "sha256_hex"), "{ctx}");
    }
}

#[test]
fn inclusion_probes() {
    let f = load("inclusion-proofs.json");
    let mut checked = 0;
    for v in arr(&f.json, "vectors") {
        let ctx = f.ctx(s(v, "id"), v);
        let got = verify_inclusion_bytes(
            &hex(s(v, "leaf_hash")),
            u(v, "leaf_index"),
            u(v, "tree_size"),
            &hex_list(v, "proof"),
            &hex(s(v, "root")),
        );
        assert_eq!(got.is_ok(), b(v, "valid"), "{ctx}: got {got:?}");
        checked += 1;
    }
    assert_eq!(checked, 98, "{}", f.name);
}

#[test]
fn inclusion_derived() {
    let f = load("inclusion-proofs.json");
    let derived = f.get("derived");
    let leaves = leaf_hashes(&hex_list(derived, "leaves_hex"));
    let tiles = tiles_of(&leaves);
    let proofs = arr(derived, "proofs");
    assert_eq!(proofs.len(), 36);
    for p in proofs {
        let (m, n) = (u(p, "leaf_index"), u(p, "tree_size"));
        let ctx = f.ctx(&format!("derived leaf_index={m} tree_size={n}"), derived);
        let want = hash_list(p, "proof");
        let root = hash(s(p, "root"));
        let leaf = hash(s(p, "leaf_hash"));
        assert_eq!(leaf, leaves[m as usize], "{ctx}");
        assert_eq!(root_from_leaves(&leaves[..n as usize]), root, "{ctx}");
        assert_eq!(
            inclusion_proof_from_leaves(&leaves[..n as usize], m).unwrap(),
            want,
            "{ctx}"
        );
        assert_eq!(
            prove_inclusion(m, n, &tiles).unwrap(),
            want,
            "{ctx} (tiles)"
        );
        assert_eq!(verify_inclusion(&leaf, m, n, &want, &root), Ok(()), "{ctx}");
    }
}

#[test]
fn consistency_probes() {
    let f = load("consistency-proofs.json");
    let mut checked = 0;
    for v in arr(&f.json, "vectors") {
        let ctx = f.ctx(s(v, "id"), v);
        let got = verify_consistency_bytes(
            u(v, "size1"),
            u(v, "size2"),
            &hex_list(v, "proof"),
            &hex(s(v, "root1")),
            &hex(s(v, "root2")),
        );
        assert_eq!(got.is_ok(), b(v, "valid"), "{ctx}: got {got:?}");
        if u(v, "size1") == 0 && u(v, "size2") == 0 {
            // verifier_rules: size1 == 0 is rejected even for 0 -> 0.
            assert_eq!(got, Err(VerifyError::OldSizeZero), "{ctx}");
        }
        checked += 1;
    }
    assert_eq!(checked, 98, "{}", f.name);
}

#[test]
fn consistency_derived() {
    let f = load("consistency-proofs.json");
    let derived = f.get("derived");
    let leaves = leaf_hashes(&hex_list(derived, "leaves_hex"));
    let tiles = tiles_of(&leaves);
    let proofs = arr(derived, "proofs");
    assert_eq!(proofs.len(), 36);
    for p in proofs {
        let (m, n) = (u(p, "size1"), u(p, "size2"));
        let ctx = f.ctx(&format!("derived size1={m} size2={n}"), derived);
        let want = hash_list(p, "proof");
        let (r1, r2) = (hash(s(p, "root1")), hash(s(p, "root2")));
        assert_eq!(root_from_leaves(&leaves[..m as usize]), r1, "{ctx}");
        assert_eq!(root_from_leaves(&leaves[..n as usize]), r2, "{ctx}");
        assert_eq!(
            consistency_proof_from_leaves(&leaves[..n as usize], m).unwrap(),
            want,
            "{ctx}"
        );
        assert_eq!(
            prove_consistency(m, n, &tiles).unwrap(),
            want,
            "{ctx} (tiles)"
        );
        assert_eq!(verify_consistency(m, n, &want, &r1, &r2), Ok(()), "{ctx}");
    }
}

/// The digest's worked example: 6 -> 8 is [level-1 node 2, level-1 node 3, level-2 node 0].
#[test]
fn consistency_six_to_eight_example() {
    let f = load("merkle-roots.json");
    let leaves = leaf_hashes(&hex_list(&f.json, "leaves_hex"));
    let nodes = arr(&f.json, "node_hashes_hex");
    let at = |level: usize, i: usize| hash(nodes[level][i].as_str().unwrap());
    assert_eq!(
        consistency_proof_from_leaves(&leaves, 6).unwrap(),
        vec![at(1, 2), at(1, 3), at(2, 0)]
    );
}
