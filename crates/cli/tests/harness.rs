//! A running `entente serve` for tests: started on a free loopback port,
//! waited for (bounded), stopped with SIGTERM, killed with SIGKILL, or killed
//! on drop; and the commands that give it users.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::*;

/// How long the node may take to print its address and answer /healthz.
pub const STARTUP: Duration = Duration::from_secs(10);
/// How long the node may take to stop after SIGTERM.
pub const SHUTDOWN: Duration = Duration::from_secs(10);

/// How a node is started, waited for and described in failure messages.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    /// The address to listen on: `127.0.0.1:0` (a free port) unless a test
    /// restarts a node on the port it had.
    pub listen: &'a str,
    /// Arguments after `serve --listen LISTEN`.
    pub extra: &'a [&'a str],
    /// With a CA, the node speaks HTTPS with a certificate it signs, and is
    /// probed with curl.
    pub ca: Option<&'a Path>,
    /// How long the node may take to print its address and answer /healthz.
    pub startup: Duration,
    /// How long the node may take to stop after SIGTERM.
    pub shutdown: Duration,
    /// Show only this many last lines of the node's stderr in messages.
    pub log_tail: Option<usize>,
}

impl Launch<'_> {
    /// Plain HTTP, [`STARTUP`] and [`SHUTDOWN`], the whole log in messages.
    pub const DEFAULT: Launch<'static> = Launch {
        listen: "127.0.0.1:0",
        extra: &[],
        ca: None,
        startup: STARTUP,
        shutdown: SHUTDOWN,
        log_tail: None,
    };
}

/// A running `entente serve`; killed (and reaped) when dropped unless it was stopped.
pub struct Node {
    pub child: Child,
    pub url: String,
    log: PathBuf,
    shutdown: Duration,
    log_tail: Option<usize>,
}

impl Node {
    /// `entente serve --listen 127.0.0.1:0` over plain HTTP.
    pub fn start(data: &Path, log: PathBuf) -> Node {
        Node::launch(data, log, Launch::DEFAULT)
    }

    /// `entente serve --listen 127.0.0.1:0 EXTRA...`; with `ca`, the node
    /// speaks HTTPS with a certificate `ca` signs, and is probed with curl.
    pub fn start_with(data: &Path, log: PathBuf, extra: &[&str], ca: Option<&Path>) -> Node {
        Node::launch(
            data,
            log,
            Launch {
                extra,
                ca,
                ..Launch::DEFAULT
            },
        )
    }

    /// `entente serve --listen LISTEN` as `launch` says.
    pub fn launch(data: &Path, log: PathBuf, launch: Launch) -> Node {
        let Launch {
            listen,
            extra,
            ca,
            startup,
            shutdown,
            log_tail,
        } = launch;
        let stderr = File::create(&log).expect("a log file for the node's stderr");
        let mut child = entente()
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("entente serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut node = Node {
            child,
            url: String::new(),
            log,
            shutdown,
            log_tail,
        };

        // The first stdout line names the address; the rest is drained so the
        // node never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let first = match rx.recv_timeout(startup) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "entente serve printed no first line within {startup:?} ({other:?})\n{}",
                node.log_text()
            ),
        };
        let scheme = if ca.is_some() { "https://" } else { "http://" };
        node.url = first
            .strip_prefix("listening on ")
            .filter(|u| u.starts_with(&format!("{scheme}127.0.0.1:")) && u.ends_with('/'))
            .unwrap_or_else(|| {
                panic!(
                    "first line should be `listening on {scheme}127.0.0.1:PORT/`, got {first:?}\n{}",
                    node.log_text()
                )
            })
            .to_owned();
        assert!(
            !node.url.ends_with(":0/"),
            "the node must print the port it got, not :0: {first}"
        );

        let deadline = Instant::now() + startup;
        loop {
            let probe = match ca {
                None => node.get("/healthz"),
                Some(ca) => curl_status(ca, &format!("{}healthz", node.url)),
            };
            match probe {
                Ok(status)
                    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") =>
                {
                    break;
                }
                result => {
                    if let Ok(Some(exit)) = node.child.try_wait() {
                        panic!(
                            "entente serve exited with {exit} during startup\n{}",
                            node.log_text()
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "GET /healthz did not answer 200 within {startup:?}: {result:?}\n{}",
                        node.log_text()
                    );
                    thread::sleep(Duration::from_millis(100));
                }
            }
        }
        node
    }

    /// host:port of the node.
    pub fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/')
    }

    /// A minimal HTTP/1.1 GET; returns the status line.
    pub fn get(&self, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(self.authority())?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.authority()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response.lines().next().unwrap_or_default().to_owned())
    }

    /// The node's stderr (its last lines, with a `log_tail`), for messages.
    pub fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        match self.log_tail {
            None => format!("--- node stderr:\n{text}"),
            Some(n) => {
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(n)..];
                format!("--- last lines of the node's stderr:\n{}", tail.join("\n"))
            }
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (`Child::kill` on Unix), and reap.
    pub fn kill(&mut self) {
        self.child.kill().expect("the node can be killed");
        self.child.wait().expect("the killed node is reaped");
    }

    /// Sends SIGTERM and waits (bounded) for the node to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + self.shutdown;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the node") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "entente serve did not stop within {:?} of SIGTERM\n{}",
                self.shutdown,
                self.log_text()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `entente user add NAME ARGS... --token`; returns the token (last stdout line).
pub fn add_user(data: &Path, name: &str, rights: &[&str]) -> String {
    let mut args = vec!["user", "add", name];
    args.extend_from_slice(rights);
    args.push("--token");
    let out = run_expect(data, &args, 0);
    let text = stdout(&out);
    let token = text.lines().last().unwrap_or_default().trim().to_owned();
    assert!(
        token.len() > 20 && !token.contains(' '),
        "user add should print the token last:\n{text}"
    );
    token
}

/// `entente user add NAME ARGS... --password-stdin` with `password` on stdin.
pub fn add_user_with_password(data: &Path, name: &str, rights: &[&str], password: &str) {
    let mut child = entente()
        .arg("--data")
        .arg(data)
        .args(["user", "add", name])
        .args(rights)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the entente binary runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    writeln!(stdin, "{password}").expect("the password goes to stdin");
    drop(stdin);
    let out = child.wait_with_output().expect("entente user add finishes");
    assert!(
        out.status.success(),
        "entente user add {name} --password-stdin exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `curl -s -o /dev/null -w %{http_code} --max-time SECONDS`: prints only
/// the status code of what the caller adds.
pub fn curl_code(seconds: &str) -> Command {
    let mut curl = Command::new("curl");
    curl.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        seconds,
    ]);
    curl
}

/// GET `url` with curl, trusting only `ca`; returns an HTTP status line.
pub fn curl_status(ca: &Path, url: &str) -> std::io::Result<String> {
    let out = curl_code("5").arg("--cacert").arg(ca).arg(url).output()?;
    Ok(format!("HTTP/1.1 {}", String::from_utf8_lossy(&out.stdout)))
}
