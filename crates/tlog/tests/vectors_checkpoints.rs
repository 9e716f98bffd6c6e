//! checkpoints.json: strict body parsing, C2SP examples, the 16-checkpoint Tessera
//! log, the ArmoredWitness-cosigned checkpoint and the derived cosignature.

use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;
use tlog::{
    Checkpoint, CheckpointVerifier, Cosigner, Error, Hash, KeyType, Note, SignatureLine, Verifier,
    VerifyError, consistency_proof_from_leaves, inclusion_proof_from_leaves, leaf_hash,
    root_from_leaves, verify_consistency, verify_inclusion,
};

use crate::util::{arr, b, hash, hex, load, s, u};
use crate::vectors_notes::run_open_case;

#[test]
fn body_parse_cases() {
    let f = load("checkpoints.json");
    let cases = arr(&f.json, "body_parse_cases");
    assert_eq!(cases.len(), 21);
    for v in cases {
        let ctx = f.ctx(&format!("body_parse_cases {:?}", s(v, "desc")), v);
        let text = s(v, "text");
        let got = Checkpoint::parse(text);
        assert_eq!(got.is_ok(), b(v, "valid_strict"), "{ctx}: {got:?}");
        if let Ok(c) = got {
            assert_eq!(c.to_text(), text, "{ctx}: strict form round-trips");
        }
    }
}

#[test]
fn c2sp_examples() {
    let f = load("checkpoints.json");
    for v in arr(&f.json, "c2sp_examples") {
        let ctx = f.ctx(&format!("c2sp_examples {:?}", s(v, "desc")), v);
        let note = Note::parse(s(v, "note").as_bytes()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let c = Checkpoint::parse(note.text()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(c.origin, s(v, "origin"), "{ctx}");
        assert_eq!(c.size, u(v, "tree_size"), "{ctx}");
        assert_eq!(c.root, hash(s(v, "root_hex")), "{ctx}");
        let names: Vec<&str> = note.signatures().iter().map(SignatureLine::name).collect();
        let want: Vec<&str> = arr(v, "signature_key_names")
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(names, want, "{ctx}");
        let ids: Vec<String> = note
            .signatures()
            .iter()
            .map(|l| format!("{:08x}", l.key_id()))
            .collect();
        let want: Vec<&str> = arr(v, "signature_key_ids_hex")
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(ids, want, "{ctx}");
        if let Some(ts) = v.get("witness_timestamp").and_then(Value::as_u64) {
            let payload = note.signatures()[1].payload();
            assert_eq!(payload.len(), 72, "{ctx}: timestamp + Ed25519 signature");
            assert_eq!(
                u64::from_be_bytes(payload[..8].try_into().unwrap()),
                ts,
                "{ctx}"
            );
        }
        // The keys are unpublished: with an unrelated key nothing verifies.
        let other =
            Verifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .unwrap();
        let err = CheckpointVerifier::new(c.origin.clone(), other).verify(s(v, "note").as_bytes());
        assert_eq!(
            err,
            Err(Error::Verify(VerifyError::NoVerifiableSignatures)),
            "{ctx}"
        );
    }
}

fn tessera_leaves(log: &Value) -> Vec<Hash> {
    arr(log, "entries_ascii")
        .iter()
        .map(|e| leaf_hash(e.as_str().unwrap().as_bytes()))
        .collect()
}

#[test]
fn tessera_log_checkpoints_verify_and_are_consistent() {
    let f = load("checkpoints.json");
    let log = f.get("tessera_log");
    let origin = s(log, "origin");
    let vkey = Verifier::parse(s(log, "vkey")).unwrap();
    let verifier = CheckpointVerifier::new(origin, vkey.clone());
    let leaves = tessera_leaves(log);
    let cps = arr(log, "checkpoints");
    assert_eq!(cps.len(), 16);
    let mut roots: Vec<Hash> = Vec::new();
    for v in cps {
        let n = u(v, "tree_size");
        let ctx = f.ctx(&format!("tessera_log checkpoint.{n}"), log);
        let note = s(v, "note");
        let vc = verifier
            .verify(note.as_bytes())
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let c = vc.checkpoint();
        assert_eq!((c.origin.as_str(), c.size), (origin, n), "{ctx}");
        assert_eq!(c.root, hash(s(v, "root_hex")), "{ctx}");
        assert_eq!(
            c.root,
            root_from_leaves(&leaves[..n as usize]),
            "{ctx}: root = MTH(entries[..n])"
        );
        assert_eq!(vc.text(), c.to_text(), "{ctx}");
        assert!(vc.witness_signatures().is_empty(), "{ctx}");
        roots.push(c.root);

        // Tampering with the text or the size breaks the log signature.
        let tampered = note.replacen(&format!("\n{n}\n"), &format!("\n{}\n", n + 1), 1);
        assert!(
            matches!(
                verifier.verify(tampered.as_bytes()),
                Err(Error::Verify(VerifyError::InvalidSignature { .. }))
            ),
            "{ctx}: tampered size accepted"
        );
        // Another origin is refused even though the signature is fine.
        let other = CheckpointVerifier::new("example.com/other", vkey.clone());
        assert!(
            matches!(
                other.verify(note.as_bytes()),
                Err(Error::Verify(VerifyError::OriginMismatch { .. }))
            ),
            "{ctx}"
        );
    }
    // Every entry is in every checkpoint that covers it; every pair is consistent.
    for n in 1..=15usize {
        for m in 0..n {
            let proof = inclusion_proof_from_leaves(&leaves[..n], m as u64).unwrap();
            verify_inclusion(&leaves[m], m as u64, n as u64, &proof, &roots[n]).unwrap_or_else(
                |e| panic!("checkpoints.json tessera_log entry {m} in checkpoint.{n}: {e}"),
            );
        }
        for m in 1..=n {
            let proof = consistency_proof_from_leaves(&leaves[..n], m as u64).unwrap();
            verify_consistency(m as u64, n as u64, &proof, &roots[m], &roots[n]).unwrap_or_else(
                |e| panic!("checkpoints.json tessera_log checkpoint.{m} -> checkpoint.{n}: {e}"),
            );
        }
    }
}

#[test]
fn tessera_log_with_grease_and_witness() {
    let f = load("checkpoints.json");
    let log = f.get("tessera_log");
    let vkey = Verifier::parse(s(log, "vkey")).unwrap();
    let note = s(&arr(log, "checkpoints")[15], "note");
    // A grease line from an unknown key is skipped.
    let grease = SignatureLine::new("grease.example/x", 0x0102_0304, vec![7; 68]).unwrap();
    let greased = format!("{note}{grease}");
    let verifier = CheckpointVerifier::new(s(log, "origin"), vkey.clone());
    let vc = verifier
        .verify(greased.as_bytes())
        .expect("grease must be ignored");
    assert_eq!(vc.note().unverified().len(), 1);
    // Signed by a witness only: the log's signature is required.
    let witness = Cosigner::new("witness.example/only", &[5; 32]).unwrap();
    let line = witness.cosign(&vc, 1_700_000_000).unwrap();
    let body = vc.text().to_owned();
    let only_witness = format!("{body}\n{line}");
    let mut wv = CheckpointVerifier::new(s(log, "origin"), vkey);
    wv.add_witness(witness.verifier());
    assert!(matches!(
        wv.verify(only_witness.as_bytes()),
        Err(Error::Verify(VerifyError::NoLogSignature { .. }))
    ));
    // The same with a witness that signs plain Ed25519 (type 0x01).
    let plain = tlog::Signer::new("witness.example/plain", &[6; 32]).unwrap();
    let mut pv =
        CheckpointVerifier::new(s(log, "origin"), Verifier::parse(s(log, "vkey")).unwrap());
    pv.add_witness(plain.verifier());
    assert!(matches!(
        pv.verify(plain.sign(&body).unwrap().as_bytes()),
        Err(Error::Verify(VerifyError::NoLogSignature { .. }))
    ));
    let both = format!("{note}{line}");
    let vc = wv.verify(both.as_bytes()).unwrap();
    assert_eq!(vc.witness_signatures().len(), 1);
    assert_eq!(vc.witness_signatures()[0].timestamp(), Some(1_700_000_000));
}

#[test]
fn witnessed_checkpoint() {
    let f = load("checkpoints.json");
    for (wi, w) in arr(&f.json, "witnessed_checkpoints").iter().enumerate() {
        let label = format!("witnessed_checkpoints[{wi}]");
        let ctx = f.ctx(&label, w);
        // Published 0x01 vkeys become 0x04 cosignature vkeys with recomputed IDs.
        for (published, cosig) in arr(w, "published_vkeys")
            .iter()
            .zip(arr(w, "cosignature_vkeys"))
        {
            let p = Verifier::parse(published.as_str().unwrap()).unwrap();
            assert_eq!(p.key_type(), KeyType::Ed25519, "{ctx}");
            assert_eq!(
                p.to_cosignature_verifier().to_string(),
                cosig.as_str().unwrap(),
                "{ctx}"
            );
        }
        for (i, case) in arr(w, "open_cases").iter().enumerate() {
            run_open_case(
                &f,
                &format!("{label} open_cases[{i}] {:?}", s(case, "desc")),
                case,
            );
        }
        // The cosignature timestamps, in note order.
        let set = arr(w, "cosignature_vkeys")
            .iter()
            .map(|k| Verifier::parse(k.as_str().unwrap()).unwrap())
            .collect();
        let opened = tlog::open(s(w, "note").as_bytes(), &set).unwrap();
        let ts: Vec<u64> = opened
            .verified()
            .iter()
            .filter_map(|v| v.timestamp())
            .collect();
        let want: Vec<u64> = arr(w, "timestamps")
            .iter()
            .map(|t| t.as_u64().unwrap())
            .collect();
        assert_eq!(ts, want, "{ctx}");
        assert!(Checkpoint::parse(opened.text()).is_ok(), "{ctx}");
    }
}

#[test]
fn derived_cosignature() {
    let f = load("checkpoints.json");
    let log = f.get("tessera_log");
    for (i, v) in arr(&f.json, "cosignatures").iter().enumerate() {
        let ctx = f.ctx(&format!("cosignatures[{i}] (derived)"), v);
        let seed: [u8; 32] = hex(s(v, "witness_seed_hex")).try_into().unwrap();
        let wkey = Verifier::parse(s(v, "witness_vkey")).unwrap();
        let cosigner = Cosigner::new(wkey.name(), &seed).unwrap();
        assert_eq!(
            cosigner.verifier().to_string(),
            s(v, "witness_vkey"),
            "{ctx}"
        );

        // The signed message is what the file says: check the line's signature over it.
        let line = SignatureLine::parse(s(v, "cosignature_line").trim_end_matches('\n')).unwrap();
        let payload = line.payload();
        assert_eq!(
            u64::from_be_bytes(payload[..8].try_into().unwrap()),
            u(v, "timestamp"),
            "{ctx}"
        );
        let pk = VerifyingKey::from_bytes(&wkey.public_key()).unwrap();
        let sig = Signature::from_slice(&payload[8..]).unwrap();
        pk.verify_strict(s(v, "signed_message").as_bytes(), &sig)
            .unwrap_or_else(|e| panic!("{ctx}: signed_message: {e}"));

        // Verify the log's checkpoint, then cosign it: same line byte for byte.
        let body = s(v, "checkpoint_body");
        let cp15 = s(&arr(log, "checkpoints")[15], "note");
        assert!(cp15.starts_with(body), "{ctx}");
        let log_verifier =
            CheckpointVerifier::new(s(log, "origin"), Verifier::parse(s(log, "vkey")).unwrap());
        let vc = log_verifier.verify(cp15.as_bytes()).unwrap();
        let ours = cosigner.cosign(&vc, u(v, "timestamp")).unwrap();
        assert_eq!(ours.to_string(), s(v, "cosignature_line"), "{ctx}");
        assert!(
            cosigner.cosign(&vc, 1 << 63).is_err(),
            "{ctx}: timestamps are below 2^63"
        );

        for (j, case) in arr(v, "open_cases").iter().enumerate() {
            run_open_case(
                &f,
                &format!("cosignatures[{i}] open_cases[{j}] {:?}", s(case, "desc")),
                case,
            );
        }
    }
}
