//! Benchmarks: leaf hashing, tile writer throughput, proofs from tiles at 10^7
//! leaves, checkpoint signing and verification.
//!
//! Run with `cargo bench -p entente-tlog`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tlog::{
    Checkpoint, CheckpointVerifier, ExpandedTile, Hash, Signer, TileId, TileSet, TileSource,
    TileWriter, inclusion_tiles, leaf_hash, prove_consistency, prove_inclusion, verify_inclusion,
};

const BIG: u64 = 10_000_000;

/// Cheap distinct stand-ins for leaf hashes (no SHA-256), so building 10^7 leaves
/// measures the writer, not the leaf hashing.
fn fake_leaf(i: u64) -> Hash {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_le_bytes());
    h[8..16].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    h
}

/// Which level-0 tiles the proof benchmarks use (a spread over the whole log).
fn sampled_level0(tile: u64) -> bool {
    tile.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56 == 0 // about 1 in 256
}

/// A store's tiles for a 10^7-leaf log: every tile at level >= 1, the level-0 edge,
/// and a sample of full level-0 tiles (all of them would be 320 MB).
struct BigLog {
    tiles: HashMap<TileId, Vec<u8>>,
    root: Hash,
    sample: Vec<u64>,
}

fn build_big_log() -> BigLog {
    let mut tiles = HashMap::new();
    let mut w = TileWriter::new();
    let mut chunk = Vec::with_capacity(1 << 16);
    let mut i = 0u64;
    while i < BIG {
        chunk.clear();
        let end = (i + (1 << 16)).min(BIG);
        chunk.extend((i..end).map(fake_leaf));
        w.append(&chunk, |id, bytes| {
            if id.level() > 0 || sampled_level0(id.index()) {
                tiles.insert(id, bytes.to_vec());
            }
        })
        .unwrap();
        i = end;
    }
    for (id, bytes) in w.partial_tiles() {
        tiles.insert(id, bytes.to_vec());
    }
    let sample = tiles
        .keys()
        .filter(|id| id.level() == 0 && id.is_full())
        .flat_map(|id| [id.index() * 256 + 7, id.index() * 256 + 200])
        .collect();
    BigLog {
        tiles,
        root: w.root(),
        sample,
    }
}

/// A store that caches expanded tiles for levels >= 1 and for the right edge
/// (about 155 tiles, 2.5 MB at 10^7 leaves) and reads other level-0 tiles raw.
struct CachingStore<'a> {
    raw: &'a HashMap<TileId, Vec<u8>>,
    expanded: HashMap<(u8, u64), ExpandedTile>,
}

impl TileSource for CachingStore<'_> {
    fn tile(&self, id: TileId) -> Option<&[u8]> {
        self.raw.tile(id)
    }
    fn expanded(&self, id: TileId) -> Option<&ExpandedTile> {
        self.expanded.get(&(id.level(), id.index()))
    }
}

fn bench_hashing(c: &mut Criterion) {
    let entry = vec![0x5a; 1024];
    let mut g = c.benchmark_group("leaf_hash");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("1KiB", |b| b.iter(|| leaf_hash(black_box(&entry))));
    g.finish();
}

fn bench_writer(c: &mut Criterion) {
    let leaves: Vec<Hash> = (0..65_536).map(fake_leaf).collect();
    let mut g = c.benchmark_group("tile_writer");
    g.throughput(Throughput::Elements(leaves.len() as u64));
    g.bench_function("append 65536 leaves (streamed)", |b| {
        b.iter_batched(
            TileWriter::new,
            |mut w| {
                let mut n = 0usize;
                w.append(black_box(&leaves), |_, bytes| n += bytes.len())
                    .unwrap();
                (w.root(), n)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("append_batch 65536 leaves (collected)", |b| {
        b.iter_batched(
            TileWriter::new,
            |mut w| w.append_batch(black_box(&leaves)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("append_batch 1000 leaves at size 10^6", |b| {
        let mut base = TileWriter::new();
        let big: Vec<Hash> = (0..1_000_000).map(fake_leaf).collect();
        base.append(&big, |_, _| {}).unwrap();
        let batch: Vec<Hash> = (0..1000).map(|i| fake_leaf((i + 1) << 40)).collect();
        b.iter_batched(
            || base.clone(),
            |mut w| w.append_batch(black_box(&batch)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn bench_proofs(c: &mut Criterion) {
    let log = build_big_log();
    let cache = CachingStore {
        raw: &log.tiles,
        expanded: log
            .tiles
            .iter()
            .filter(|(id, _)| id.level() > 0 || !id.is_full())
            .map(|(id, b)| ((id.level(), id.index()), ExpandedTile::new(*id, b).unwrap()))
            .collect(),
    };
    // Sanity: the proofs verify.
    for &m in log.sample.iter().take(20) {
        let p = prove_inclusion(m, BIG, &log.tiles).unwrap();
        verify_inclusion(&fake_leaf(m), m, BIG, &p, &log.root).unwrap();
        assert_eq!(prove_inclusion(m, BIG, &cache).unwrap(), p);
    }
    let max_tiles = log
        .sample
        .iter()
        .map(|&m| inclusion_tiles(m, BIG).unwrap().len())
        .max()
        .unwrap_or(0);
    println!("inclusion proofs at 10^7 read at most {max_tiles} tiles");

    let mut g = c.benchmark_group("proof_from_tiles_1e7");
    let mut k = 0usize;
    g.bench_function("inclusion, raw tiles", |b| {
        b.iter(|| {
            k = (k + 1) % log.sample.len();
            prove_inclusion(log.sample[k], BIG, &log.tiles).unwrap()
        })
    });
    g.bench_function("inclusion, expanded level>=1 and edge tiles", |b| {
        b.iter(|| {
            k = (k + 1) % log.sample.len();
            prove_inclusion(log.sample[k], BIG, &cache).unwrap()
        })
    });
    g.bench_function("inclusion, plan + copy tiles into a TileSet + prove", |b| {
        b.iter(|| {
            k = (k + 1) % log.sample.len();
            let m = log.sample[k];
            let mut set = TileSet::new();
            for id in inclusion_tiles(m, BIG).unwrap() {
                set.insert(id, log.tiles.tile(id).unwrap().to_vec());
            }
            prove_inclusion(m, BIG, &set).unwrap()
        })
    });
    g.bench_function(
        "consistency from a sampled size, expanded level>=1 and edge",
        |b| {
            b.iter(|| {
                k = (k + 1) % log.sample.len();
                prove_consistency(log.sample[k] + 1, BIG, &cache).unwrap()
            })
        },
    );
    g.finish();
}

fn bench_checkpoints(c: &mut Criterion) {
    let signer = Signer::new("example.com/log", &[7; 32]).unwrap();
    let cp = Checkpoint::new("example.com/log", BIG, fake_leaf(1));
    let note = signer.sign_checkpoint(&cp).unwrap();
    let verifier = CheckpointVerifier::new("example.com/log", signer.verifier());
    let mut g = c.benchmark_group("checkpoint");
    g.bench_function("sign", |b| {
        b.iter(|| signer.sign_checkpoint(black_box(&cp)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(note.as_bytes())).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_hashing, bench_writer, bench_proofs, bench_checkpoints
}
criterion_main!(benches);
