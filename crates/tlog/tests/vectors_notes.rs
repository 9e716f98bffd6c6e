//! signed-notes.json: vkeys (with the mangle rule), signing, and open cases.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use tlog::{Error, Note, Signer, Verifier, VerifierSet, VerifyError, open};

use crate::util::{VectorFile, arr, b, hex, load, s, u};

#[test]
fn vkeys() {
    let f = load("signed-notes.json");
    for v in arr(&f.json, "vkeys") {
        let vkey = s(v, "vkey");
        let ctx = f.ctx(&format!("vkeys {:?}", s(v, "desc")), v);
        let got = Verifier::parse(vkey);
        assert_eq!(got.is_ok(), b(v, "valid"), "{ctx}: {vkey} -> {got:?}");
        if let Ok(parsed) = got {
            assert_eq!(parsed.to_string(), vkey, "{ctx}: round trip");
        }
        if v.get("mangle_check").and_then(Value::as_bool) == Some(true) {
            mangle(vkey, &ctx);
        }
    }
}

/// Every proper substring, and every copy with one byte incremented, must fail.
fn mangle(vkey: &str, ctx: &str) {
    let bytes = vkey.as_bytes();
    let mut tried = 0;
    for i in 0..bytes.len() {
        for j in i..=bytes.len() {
            if (i, j) == (0, bytes.len()) {
                continue;
            }
            let sub = &vkey[i..j]; // ASCII, so every byte offset is a char boundary
            assert!(
                Verifier::parse(sub).is_err(),
                "{ctx}: substring {sub:?} accepted"
            );
            tried += 1;
        }
        let mut inc = bytes.to_vec();
        inc[i] = inc[i].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&inc) {
            assert!(Verifier::parse(text).is_err(), "{ctx}: {text:?} accepted");
            tried += 1;
        }
    }
    assert!(tried > bytes.len() * bytes.len() / 2, "{ctx}");
}

#[test]
fn signers() {
    let f = load("signed-notes.json");
    for v in arr(&f.json, "signers") {
        let ctx = f.ctx(&format!("signers {:?}", s(v, "desc")), v);
        let raw = BASE64.decode(s(v, "private_key_base64")).unwrap();
        assert_eq!(raw.len(), 33, "{ctx}");
        assert_eq!(raw[0], 0x01, "{ctx}");
        let seed: [u8; 32] = raw[1..].try_into().unwrap();
        let vkey = Verifier::parse(s(v, "vkey")).unwrap();
        let signer = Signer::new(vkey.name(), &seed).unwrap();
        assert_eq!(
            signer.verifier().to_string(),
            s(v, "vkey"),
            "{ctx}: public key"
        );
        assert_eq!(signer.key_id(), vkey.key_id(), "{ctx}");
        if let Some(pk) = v.get("private_key_string").and_then(Value::as_str) {
            let parsed = Signer::parse_private_key(pk).unwrap();
            assert_eq!(parsed.verifier(), vkey, "{ctx}: parsed private key");
            assert_eq!(signer.to_private_key(), pk, "{ctx}: formatted private key");
        }
        // Ed25519 is deterministic, so the note must match byte for byte.
        let note = signer.sign(s(v, "text")).unwrap();
        assert_eq!(note, s(v, "expected_note"), "{ctx}");
        let set: VerifierSet = [vkey].into_iter().collect();
        let opened = open(note.as_bytes(), &set).unwrap();
        assert_eq!(opened.text(), s(v, "text"), "{ctx}");
    }
}

/// Runs one open case with the `note`/`note_hex`, `vkeys` and `expect` layout shared
/// by signed-notes.json and checkpoints.json.
pub fn run_open_case(f: &VectorFile, label: &str, v: &Value) {
    let ctx = f.ctx(label, v);
    let note: Vec<u8> = match v.get("note_hex") {
        Some(h) => hex(h.as_str().unwrap()),
        None => s(v, "note").as_bytes().to_vec(),
    };
    let set: VerifierSet = arr(v, "vkeys")
        .iter()
        .map(|k| Verifier::parse(k.as_str().unwrap()).unwrap_or_else(|e| panic!("{ctx}: {e}")))
        .collect();
    let got = open(&note, &set);
    let expect = v.get("expect");
    let ok = match expect {
        Some(e) => b(e, "ok"),
        None => b(v, "valid"),
    };
    match (&got, ok) {
        (Ok(opened), true) => {
            let Some(e) = expect else { return };
            let names: Vec<&str> = opened.verified().iter().map(|s| s.name()).collect();
            let want: Vec<&str> = arr(e, "verified")
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(names, want, "{ctx}: verified keys");
            assert_eq!(
                opened.unverified().len() as u64,
                u(e, "unverified_count"),
                "{ctx}: unverified count"
            );
            if let Some(text) = e.get("text") {
                assert_eq!(opened.text(), text.as_str().unwrap(), "{ctx}");
            }
        }
        (Err(err), false) => {
            let Some(e) = expect else { return };
            let want = s(e, "error_contains");
            assert!(
                err.to_string().contains(want),
                "{ctx}: error {err:?} lacks {want:?}"
            );
            // The error's kind must match its message's fault class.
            match (want, err) {
                ("malformed", Error::Malformed(_)) => {}
                (
                    "no verifiable signatures",
                    Error::Verify(VerifyError::NoVerifiableSignatures),
                ) => {}
                ("ambiguous key", Error::Verify(VerifyError::AmbiguousKey { .. })) => {}
                (w, Error::Verify(VerifyError::InvalidSignature { .. }))
                    if w.starts_with("invalid signature") => {}
                _ => panic!("{ctx}: unexpected error kind {err:?} for {want:?}"),
            }
        }
        _ => panic!("{ctx}: expected ok={ok}, got {got:?}"),
    }
}

#[test]
fn open_cases() {
    let f = load("signed-notes.json");
    let cases = arr(&f.json, "open_cases");
    assert_eq!(cases.len(), 18);
    for v in cases {
        run_open_case(&f, &format!("open_cases {:?}", s(v, "desc")), v);
    }
}

/// Unknown signature lines ("grease") are skipped, wherever they sit.
#[test]
fn grease_lines_are_skipped() {
    let signer = Signer::new("example.com/log", &[42; 32]).unwrap();
    let text = "hello\n";
    let mut note = Note::parse(signer.sign(text).unwrap().as_bytes()).unwrap();
    let grease = tlog::SignatureLine::new("grease.invalid/zz", 0xdeadbeef, vec![0xab; 70]).unwrap();
    note.add_signature(grease.clone()).unwrap();
    let bytes = note.to_string();
    let set: VerifierSet = [signer.verifier()].into_iter().collect();
    let opened = open(bytes.as_bytes(), &set).unwrap();
    assert_eq!(opened.unverified(), &[grease]);
    assert_eq!(opened.verified().len(), 1);
}
