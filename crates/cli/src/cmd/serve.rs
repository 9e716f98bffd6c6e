//! `entente serve`: parses flags, opens (or creates) the data directory,
//! binds, and hands over to the node.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use anyhow::{Context, Result, bail};
use node::config::{self, Config};

use crate::Verdict;
use crate::cli::{Global, ServeArgs};
use crate::input::data_dir;

pub fn run(global: &Global, args: ServeArgs) -> Result<Verdict> {
    let dir = data_dir(global)?;
    let config = Config::load(&dir)
        .with_context(|| format!("cannot start the node in {}", dir.display()))?;
    init_logging(
        args.log_format
            .as_deref()
            .or(config.server.log_format.as_deref()),
    )?;
    let listen = args
        .listen
        .clone()
        .or(config.server.listen.clone())
        .unwrap_or_else(|| config::DEFAULT_LISTEN.to_owned());
    let addr: SocketAddr = listen
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve --listen {listen:?}"))?
        .next()
        .with_context(|| format!("--listen {listen:?} resolves to no address"))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(node::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => match (&config.server.tls_cert, &config.server.tls_key) {
            (Some(cert), Some(key)) => Some(node::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        },
    };
    let allow_plain = args.allow_plain_http || config.server.allow_plain_http;
    if tls.is_none() && !addr.ip().is_loopback() && !allow_plain {
        bail!(
            "refusing to serve plain HTTP on {addr}, which is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http behind a TLS proxy"
        );
    }
    // Everything that can fail is checked before anything is created or
    // announced: the first line on stdout means ready.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("entente-http")
        .build()
        .context("cannot start the async runtime")?;
    let tls = match &tls {
        Some(files) => Some(runtime.block_on(node::load_tls(files))?),
        None => None,
    };
    let listener = TcpListener::bind(addr).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "; another process listens there: stop it, or choose another address with --listen (127.0.0.1:0 picks a free port)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
    })?;
    let bound = listener.local_addr()?;
    if !dir.join(store::DB_FILE).exists() {
        create_node(global, &dir, &args.name)?;
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    {
        // The first line of standard output is the contract scripts wait for.
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{bound}/")?;
        out.flush()?;
    }
    if !global.quiet {
        eprintln!(
            "Discovery: {scheme}://{bound}/taxii2/   API root: {scheme}://{bound}{}",
            node::API_ROOT
        );
        if config.users.is_empty() {
            let data = match &global.data {
                Some(dir) => format!("--data {} ", dir.display()),
                None => String::new(),
            };
            eprintln!(
                "No users yet. Create one (a running node picks it up):\n  entente {data}user add alice --read default --write default --token"
            );
        }
    }

    let settings = node::Settings {
        max_content_length: config
            .server
            .max_content_length
            .unwrap_or(config::DEFAULT_MAX_CONTENT_LENGTH),
        title: "Entente".into(),
        https: tls.is_some(),
    };
    runtime
        .block_on(node::run(&dir, listener, tls, settings, shutdown_signal()))
        .context("the node stopped with an error")?;
    Ok(Verdict::Ok)
}

/// A first start: creates the node, and says which name it was given, since
/// the name is in its key and every log origin and can never change.
fn create_node(global: &Global, dir: &std::path::Path, name: &str) -> Result<()> {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let store = store::Store::init(dir, name, seed)
        .with_context(|| format!("cannot create a node in {}", dir.display()))?;
    tracing::info!(
        data = %dir.display(),
        name = store.node().name(),
        verifier_key = %store.node().verifier_key(),
        "created a new node with a default collection"
    );
    if !global.quiet {
        eprintln!(
            "First start: created node {:?} in {} (verifier key {}).\n\
             The name is part of the node's key and of every log's origin, so it cannot change. \
             For another name, stop now, remove {} and start again with `entente serve --name NAME` \
             (or run `entente init --name NAME` first).",
            store.node().name(),
            dir.display(),
            store.node().verifier_key(),
            dir.display(),
        );
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Logs to stderr, `info` and up unless `ENTENTE_LOG` (an env-filter
/// directive such as `debug` or `node=debug`) says otherwise.
fn init_logging(format: Option<&str>) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ENTENTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = if format == Some("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}
