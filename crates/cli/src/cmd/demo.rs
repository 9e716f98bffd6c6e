//! `entente demo`: two election authorities on loopback, the whole story.
//!
//! Everything the demo does is an ordinary `entente` command, run as a child
//! process and shown as the user would type it, against two temporary nodes
//! serving on 127.0.0.1. Nothing is simulated: the sync, the witness
//! cosignature, the quarantine, the sightings and the evidence are the
//! product's own.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{DemoArgs, Global};

/// One party of the demo.
struct Party {
    name: &'static str,
    title: &'static str,
    data: PathBuf,
    port: u16,
    key: String,
    server: Option<Child>,
}

impl Party {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        stop(&mut self.server);
    }
}

fn stop(server: &mut Option<Child>) {
    if let Some(mut child) = server.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

struct Demo {
    exe: PathBuf,
    step: bool,
    screen: usize,
}

impl Demo {
    fn screen(&mut self, title: &str, story: &str) -> Result<()> {
        if self.step && self.screen > 0 {
            eprint!("\n[Enter for the next screen] ");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
        }
        self.screen += 1;
        println!("\n━━━ {}. {title} ━━━", self.screen);
        for line in story.lines() {
            println!("{line}");
        }
        Ok(())
    }

    /// Runs `entente ARGS` for `party`, shows it and its output, and returns
    /// its standard output; `expect` is the exit code the story needs.
    fn run(&self, party: &Party, args: &[&str], expect: i32) -> Result<String> {
        println!("\n  {}$ entente {}", party.name, shown(args));
        let out = Command::new(&self.exe)
            .arg("--data")
            .arg(&party.data)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run entente {}", args.join(" ")))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        for line in stdout
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
        {
            println!("    {}", shorten(line));
        }
        let code = out.status.code().unwrap_or(-1);
        if code != expect {
            bail!(
                "`entente {}` exited {code}, the demo expected {expect}",
                args.join(" ")
            );
        }
        Ok(stdout)
    }

    /// Writes `bundle` to `file` and publishes it to the party's default collection.
    fn publish(&self, party: &Party, file: &Path, bundle: &Value) -> Result<()> {
        std::fs::write(file, serde_json::to_vec_pretty(bundle)?)?;
        let path = file.to_string_lossy();
        self.run(party, &["publish", "--collection", "default", &path], 0)?;
        Ok(())
    }

    /// Starts `entente serve` for the party and waits until it listens.
    fn serve(&self, party: &mut Party) -> Result<()> {
        let listen = format!("127.0.0.1:{}", party.port);
        let log = std::fs::File::create(party.data.with_extension("log"))?;
        let mut child = Command::new(&self.exe)
            .arg("--data")
            .arg(&party.data)
            .args(["serve", "--listen", &listen])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("cannot start entente serve")?;
        let stdout = child
            .stdout
            .take()
            .context("no stdout from entente serve")?;
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first)?;
        if !first.starts_with("listening on") {
            let _ = child.kill();
            bail!(
                "{} did not start: see {}",
                party.name,
                party.data.with_extension("log").display()
            );
        }
        party.server = Some(child);
        Ok(())
    }
}

/// The command line as shown: long tokens and file paths kept readable.
fn shown(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.starts_with("ent_") {
                "$TOKEN".to_owned()
            } else if a.contains('+') && a.len() > 60 {
                format!("{}…", &a[..a.find('+').map_or(20, |i| i + 9)])
            } else if a.starts_with('/') {
                Path::new(a)
                    .file_name()
                    .map_or_else(|| a.to_string(), |f| f.to_string_lossy().into_owned())
            } else {
                (*a).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn shorten(line: &str) -> String {
    if line.chars().count() > 200 {
        let cut: String = line.chars().take(197).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn last_line(text: &str) -> String {
    text.lines().last().unwrap_or("").trim().to_owned()
}

fn indicator(n: u32, name: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--4e0f0000-0000-4000-8000-{n:012}"),
        "created": "2026-10-01T08:00:00.000Z",
        "modified": "2026-10-01T08:00:00.000Z",
        "name": name,
        "description": "Seen in the campaign against the regional election portals.",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-10-01T08:00:00Z"
    })
}

/// Northland's indicators; with `forged`, the rewritten history: the
/// attacker address is swapped for Southland's own resolver.
fn indicators(forged: bool) -> Value {
    let address = if forged { "10.20.0.53" } else { "45.133.1.77" };
    json!({
        "type": "bundle",
        "id": "bundle--4e0f0000-0000-4000-8000-000000000000",
        "objects": [
            indicator(1, "Phishing portal imitating the voter register", "[domain-name:value = 'voter-register-check.example']"),
            indicator(2, "Credential-harvesting URL", "[url:value = 'https://results-portal.example.net/login']"),
            indicator(3, "Attacker staging server", &format!("[ipv4-addr:value = '{address}']")),
            indicator(4, "Loader dropped on a polling-station laptop", "[file:hashes.'SHA-256' = 'a3f1c2d4e5b6a7980112233445566778899aabbccddeeff00112233445566778']"),
            indicator(5, "Southland's own results site (a false positive someone slipped in)", "[domain-name:value = 'results.vote.southland.example']"),
        ]
    })
}

pub fn run(_global: &Global, args: DemoArgs) -> Result<Verdict> {
    let exe = std::env::current_exe().context("cannot find the entente binary")?;
    let tmp = tempfile::Builder::new()
        .prefix("entente-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let root = tmp.path().to_owned();
    let mut demo = Demo {
        exe,
        step: args.step,
        screen: 0,
    };
    let result = story(&mut demo, &root);
    if args.keep {
        let kept = tmp.keep();
        println!(
            "\nThe two nodes' data directories are kept in {}",
            kept.display()
        );
    }
    result.map(|()| Verdict::Ok)
}

fn story(demo: &mut Demo, root: &Path) -> Result<()> {
    let mut alpha = Party {
        name: "northland",
        title: "Northland Electoral Commission",
        data: root.join("northland"),
        port: free_port()?,
        key: String::new(),
        server: None,
    };
    let mut bravo = Party {
        name: "southland",
        title: "Southland Election Authority",
        data: root.join("southland"),
        port: free_port()?,
        key: String::new(),
        server: None,
    };

    demo.screen(
        "Two parties, no trust",
        &format!(
            "{} and {} set up a joint unit against election hacking.\n\
             Each runs its own node with its own signing key; neither will take the other's word.",
            alpha.title, bravo.title
        ),
    )?;
    for party in [&mut alpha, &mut bravo] {
        let out = demo.run(party, &["init", "--name", party.name, "--quiet"], 0)?;
        party.key = last_line(&out);
        // Syncing is driven by hand in the demo, so each step can be shown.
        std::fs::write(
            party.data.join("entente.toml"),
            "[sync]\ninterval_seconds = 86400\n",
        )?;
    }
    std::fs::write(
        bravo.data.join("entente.toml"),
        "[sync]\ninterval_seconds = 86400\n\n\
         # The demo's names are made up under the reserved .example domain, so the\n\
         # built-in reserved list is off here; a real node keeps it on.\n\
         [warninglists]\nreserved = false\ndomains = [\"vote.southland.example\"]\n",
    )?;
    println!(
        "\n  They swap verifier keys, and each issues the other a token to read what it shares."
    );
    demo.run(
        &bravo,
        &[
            "collection",
            "create",
            "to-northland",
            "--title",
            "Sightings for Northland",
            "--quiet",
        ],
        0,
    )?;
    let token_a = last_line(&demo.run(
        &alpha,
        &[
            "user",
            "add",
            "southland",
            "--kind",
            "peer",
            "--read",
            "default",
            "--token",
        ],
        0,
    )?);
    let token_b = last_line(&demo.run(
        &bravo,
        &[
            "user",
            "add",
            "northland",
            "--kind",
            "peer",
            "--read",
            "to-northland",
            "--token",
        ],
        0,
    )?);
    let (url_a, url_b, key_a, key_b) = (
        alpha.url(),
        bravo.url(),
        alpha.key.clone(),
        bravo.key.clone(),
    );
    // What a dishonest operator would later roll Northland back to.
    let snapshot = root.join("northland-before");
    copy_dir(&alpha.data, &snapshot)?;
    demo.serve(&mut alpha)?;
    demo.serve(&mut bravo)?;
    // Peers are added once both serve: a node syncs as it starts, and the
    // demo shows every round itself.
    demo.run(
        &alpha,
        &[
            "peer",
            "add",
            "southland",
            &url_b,
            "--key",
            &key_b,
            "--token",
            &token_b,
        ],
        0,
    )?;
    demo.run(
        &bravo,
        &[
            "peer",
            "add",
            "northland",
            &url_a,
            "--key",
            &key_a,
            "--token",
            &token_a,
        ],
        0,
    )?;
    println!("\n  Both nodes serve TAXII 2.1 on 127.0.0.1 ({url_a} and {url_b}).");

    demo.screen(
        "Northland shares indicators",
        "Each object becomes an entry of an append-only Merkle log; Northland signs a checkpoint of it.",
    )?;
    let file = root.join("northland-indicators.json");
    demo.publish(&alpha, &file, &indicators(false))?;

    demo.screen(
        "Southland verifies instead of trusting",
        "Southland mirrors Northland's log: it checks the checkpoint's signature with Northland's key,\n\
         recomputes the tree from the entries, and applies them only if they lead to the signed root.\n\
         A partner indicator that would block Southland's own results site is quarantined, not applied.",
    )?;
    let synced = demo.run(&bravo, &["sync", "--peer", "northland"], 0)?;
    let mirror = synced
        .split_whitespace()
        .skip_while(|w| *w != "→")
        .nth(1)
        .map(|w| w.trim_end_matches(':').to_owned())
        .context("the sync did not name the mirror")?;
    demo.run(&bravo, &["quarantine", "list"], 0)?;
    println!(
        "\n  Any object can be proven to be in Northland's log, offline, with Northland's key alone:"
    );
    let proof = demo.run(
        &bravo,
        &[
            "log",
            "prove",
            "--collection",
            &mirror,
            "indicator--4e0f0000-0000-4000-8000-000000000003",
        ],
        0,
    )?;
    let proof_file = root.join("proof.json");
    std::fs::write(&proof_file, proof)?;
    demo.run(
        &bravo,
        &[
            "log",
            "verify-proof",
            &proof_file.to_string_lossy(),
            "--key",
            &key_a,
        ],
        0,
    )?;

    demo.screen(
        "Southland witnesses Northland's log",
        "Northland submits its checkpoint to Southland's witness endpoint (C2SP tlog-witness);\n\
         Southland cosigns only what is consistent with what it saw before. The cosignature\n\
         is served with the checkpoint, so a third party can require it.",
    )?;
    demo.run(&alpha, &["sync"], 0)?;
    demo.run(&alpha, &["log", "checkpoint"], 0)?;

    demo.screen(
        "Southland matches its own logs",
        "The partner's indicators (quarantined ones left out) run over Southland's DNS log;\n\
         the hits become STIX sightings, published to the collection Northland may read.",
    )?;
    let telemetry = root.join("southland-dns.list");
    std::fs::write(
        &telemetry,
        "weather.example.org\nvoter-register-check.example\n45.133.1.77\nresults.vote.southland.example\n\
         voter-register-check.example\nnews.example.com\n",
    )?;
    demo.run(
        &bravo,
        &[
            "match",
            &telemetry.to_string_lossy(),
            "--publish",
            "to-northland",
        ],
        0,
    )?;

    demo.screen(
        "The sightings reach the author",
        "Northland syncs Southland's collection, verified the same way, and learns which of its\n\
         indicators were useful, how often, and to whom.",
    )?;
    demo.run(&alpha, &["sync"], 0)?;
    demo.run(&alpha, &["sightings"], 0)?;

    demo.screen(
        "A forged history is caught",
        "Northland's operator rolls the node back and rewrites history: the attacker address becomes\n\
         Southland's own DNS resolver. The new checkpoint is validly signed, but it cannot be\n\
         consistent with the one Southland accepted. Southland stops applying the log, keeps\n\
         what it had, and writes the two signed checkpoints down as evidence.",
    )?;
    stop(&mut alpha.server);
    std::fs::remove_dir_all(&alpha.data)?;
    copy_dir(&snapshot, &alpha.data)?;
    demo.publish(&alpha, &file, &indicators(true))?;
    demo.serve(&mut alpha)?;
    let caught = demo.run(&bravo, &["sync", "--peer", "northland"], 1)?;
    let evidence = caught
        .split_whitespace()
        .find(|w| w.ends_with(".json") && w.contains("evidence"))
        .context("the sync named no evidence file")?
        .to_owned();
    println!("\n  Anyone holding Northland's public key can check the evidence, offline:");
    demo.run(
        &bravo,
        &["evidence", "verify", &evidence, "--key", &key_a],
        0,
    )?;
    demo.run(&bravo, &["peer", "status", "northland"], 1)?;

    println!(
        "\nThat is Entente: shared indicators, verified instead of trusted; partners' witnesses;\n\
         poisoned indicators held back; sightings returned; and a lie that leaves proof behind."
    );
    std::io::stdout().flush()?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
