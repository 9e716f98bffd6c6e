//! `entente demo`: the newcomer's tour must run from start to end, and tell
//! the story it promises (every step is a real command against real nodes).

use crate::util::entente;

#[test]
fn the_demo_tells_the_whole_story() {
    let out = entente()
        .args(["demo", "--quiet"])
        .env_remove("ENTENTE_DATA")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the demo failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "+5 entries verified and applied (5 objects, 0 withdrawals, 1 quarantined)",
        "is on the local allowlist",
        "OK: indicator--4e0f0000-0000-4000-8000-000000000003",
        "witnesses cosigned 1 of this node's checkpoints",
        "— southland ",
        "3 hits on 2 indicators",
        "sighted 2 times (1 sighting) by southland",
        "MISBEHAVIOUR: two signed checkpoints of size 5 with different roots",
        "misbehaviour proven: log northland/",
        "MISBEHAVIOUR, no longer applied",
    ] {
        assert!(text.contains(step), "the demo never says {step:?}:\n{text}");
    }
}
