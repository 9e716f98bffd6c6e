//! A sparse tree oracle: a tree of any size up to 2^64 − 1 whose leaves all hash
//! to one default value except at a few "special" positions. Every subtree hash is
//! then computable in O(height × specials), which lets the laws check tile-based
//! proofs at sizes no test could build, against the RFC 9162 recursive definitions.

use std::collections::BTreeMap;

use tlog::{EMPTY_ROOT, Hash, TileId, TileSet, leaf_hash, node_hash};

pub struct SparseTree {
    pub size: u64,
    special: BTreeMap<u64, Hash>,
    default: [Hash; 64],
}

impl SparseTree {
    pub fn new(size: u64, specials: impl IntoIterator<Item = u64>) -> Self {
        let mut default = [[0u8; 32]; 64];
        default[0] = leaf_hash(b"default leaf");
        for h in 1..64 {
            default[h] = node_hash(&default[h - 1], &default[h - 1]);
        }
        let special = specials
            .into_iter()
            .map(|i| {
                let mut e = b"special ".to_vec();
                e.extend_from_slice(&i.to_be_bytes());
                (i, leaf_hash(&e))
            })
            .collect();
        SparseTree {
            size,
            special,
            default,
        }
    }

    /// The same leaves, for a different tree size.
    pub fn with_size(&self, size: u64) -> Self {
        SparseTree {
            size,
            special: self.special.clone(),
            default: self.default,
        }
    }

    pub fn leaf(&self, i: u64) -> Hash {
        self.special.get(&i).copied().unwrap_or(self.default[0])
    }

    /// Root of the perfect subtree of `height` at `index`.
    pub fn subtree(&self, height: u32, index: u64) -> Hash {
        let lo = (index as u128) << height;
        let hi = lo + (1u128 << height);
        let has_special = self
            .special
            .range(lo as u64..)
            .next()
            .is_some_and(|(&k, _)| (k as u128) < hi);
        if !has_special {
            return self.default[height as usize];
        }
        if height == 0 {
            return self.leaf(index);
        }
        node_hash(
            &self.subtree(height - 1, index * 2),
            &self.subtree(height - 1, index * 2 + 1),
        )
    }

    fn split(n: u64) -> u64 {
        1u64 << (63 - (n - 1).leading_zeros())
    }

    /// RFC 9162 MTH(D[start:end]), by the recursive definition.
    pub fn mth(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        match n {
            0 => EMPTY_ROOT,
            1 => self.leaf(start),
            _ if n.is_power_of_two() && start % n == 0 => {
                self.subtree(n.trailing_zeros(), start >> n.trailing_zeros())
            }
            _ => {
                let k = Self::split(n);
                node_hash(&self.mth(start, start + k), &self.mth(start + k, end))
            }
        }
    }

    pub fn root(&self) -> Hash {
        self.mth(0, self.size)
    }

    /// RFC 9162 PATH(m, D[0:size]).
    pub fn inclusion(&self, m: u64) -> Vec<Hash> {
        let mut out = Vec::new();
        self.path(m, 0, self.size, &mut out);
        out
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = Self::split(n);
        if m < start + k {
            self.path(m, start, start + k, out);
            out.push(self.mth(start + k, end));
        } else {
            self.path(m, start + k, end, out);
            out.push(self.mth(start, start + k));
        }
    }

    /// RFC 9162 PROOF(m, D[0:size]).
    pub fn consistency(&self, m: u64) -> Vec<Hash> {
        let mut out = Vec::new();
        self.subproof(m, 0, self.size, true, &mut out);
        out
    }

    fn subproof(&self, m: u64, start: u64, end: u64, b: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !b {
                out.push(self.mth(start, end));
            }
            return;
        }
        let k = Self::split(n);
        if m <= k {
            self.subproof(m, start, start + k, b, out);
            out.push(self.mth(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.mth(start, start + k));
        }
    }

    /// The bytes of a hash tile of this tree.
    pub fn tile(&self, id: TileId) -> Vec<u8> {
        let h = 8 * id.level() as u32;
        (0..id.width() as u64)
            .flat_map(|p| self.subtree(h, id.index() * 256 + p))
            .collect()
    }

    pub fn tile_set(&self, ids: &[TileId]) -> TileSet {
        let mut set = TileSet::new();
        for id in ids {
            set.insert(*id, self.tile(*id));
        }
        set
    }
}
