//! `entente`: the command-line interface of an Entente node.
//!
//! This is glue: it parses flags, opens the data directory and calls the
//! libraries. Exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the work was done and the answer is "no": invalid objects, objects refused, an audit or proof that does not verify |
//! | 2 | bad usage: unknown command or flag, missing argument |
//! | 3 | the work could not be done: no data directory, unreadable file, database error |

mod cli;
mod cmd;
mod input;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{
    Cli, CollectionCommand, Command, EvidenceCommand, KeyCommand, LogCommand, PatternCommand,
    PeerCommand, QuarantineCommand, UserCommand,
};

/// mimalloc rather than the system allocator: `entente match` allocates a
/// few small objects per event at a million events a second, and glibc's
/// allocator slows down once the indicator load has fragmented its heap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended, when it ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Everything checked out.
    Ok,
    /// The command finished, and found something invalid, refused or unverifiable.
    No,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Command::Init(args) => cmd::init::run(&cli.global, args),
        Command::Validate(args) => cmd::validate::run(&cli.global, args),
        Command::Publish(args) => cmd::publish::run(&cli.global, args),
        Command::Withdraw(args) => cmd::publish::withdraw(&cli.global, args),
        Command::Log(LogCommand::Checkpoint(args)) => cmd::log::checkpoint(&cli.global, args),
        Command::Log(LogCommand::Prove(args)) => cmd::log::prove(&cli.global, args),
        Command::Log(LogCommand::VerifyProof(args)) => cmd::log::verify_proof(&cli.global, args),
        Command::Audit(args) => cmd::audit::run(&cli.global, args),
        Command::Export(args) => cmd::export::run(&cli.global, args),
        Command::Import(args) => cmd::import::run(&cli.global, args),
        Command::Serve(args) => cmd::serve::run(&cli.global, args),
        Command::User(UserCommand::Add(args)) => cmd::user::add(&cli.global, args),
        Command::User(UserCommand::List) => cmd::user::list(&cli.global),
        Command::User(UserCommand::Remove(args)) => cmd::user::remove(&cli.global, args),
        Command::User(UserCommand::Token(args)) => cmd::user::token(&cli.global, args),
        Command::Collection(CollectionCommand::Create(args)) => {
            cmd::collection::create(&cli.global, args)
        }
        Command::Collection(CollectionCommand::Set(args)) => {
            cmd::collection::set(&cli.global, args)
        }
        Command::Collection(CollectionCommand::List) => cmd::collection::list(&cli.global),
        Command::Key(KeyCommand::Show) => cmd::key::show(&cli.global),
        Command::Info => cmd::info::run(&cli.global),
        Command::Pattern(PatternCommand::Check(args)) => cmd::pattern::check(&cli.global, args),
        Command::Pattern(PatternCommand::Match(args)) => cmd::pattern::matches(&cli.global, args),
        Command::Match(args) => cmd::detect::run(&cli.global, args),
        Command::Peer(PeerCommand::Add(args)) => cmd::peer::add(&cli.global, args),
        Command::Peer(PeerCommand::List) => cmd::peer::list(&cli.global),
        Command::Peer(PeerCommand::Status(args)) => cmd::peer::status(&cli.global, args),
        Command::Peer(PeerCommand::Remove(args)) => cmd::peer::remove(&cli.global, args),
        Command::Sync(args) => cmd::sync::run(&cli.global, args),
        Command::Quarantine(QuarantineCommand::List(args)) => {
            cmd::quarantine::list(&cli.global, args)
        }
        Command::Quarantine(QuarantineCommand::Release(args)) => {
            cmd::quarantine::decide(&cli.global, args, true)
        }
        Command::Quarantine(QuarantineCommand::Reject(args)) => {
            cmd::quarantine::decide(&cli.global, args, false)
        }
        Command::Sightings(args) => cmd::sightings::run(&cli.global, args),
        Command::Demo(args) => cmd::demo::run(&cli.global, args),
        Command::Evidence(EvidenceCommand::Verify(args)) => {
            cmd::evidence::verify(&cli.global, args)
        }
    };
    match result {
        Ok(Verdict::Ok) => ExitCode::SUCCESS,
        Ok(Verdict::No) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if cli.global.json => {
            eprintln!("{}", json_error(&format!("{err:#}"), 3));
            ExitCode::from(3)
        }
        Err(err) => {
            eprintln!("entente: error: {err:#}");
            ExitCode::from(3)
        }
    }
}

/// A usage error (exit 2), as JSON on stderr when `--json` was asked for;
/// `--help` and `--version` print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    let wants_json = std::env::args_os().any(|a| a == "--json");
    if !(wants_json && e.use_stderr()) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    eprintln!("{}", json_error(message, 2));
    ExitCode::from(2)
}

/// `{"error": MESSAGE, "code": CODE}`: what `--json` callers get on stderr.
fn json_error(message: &str, code: u8) -> serde_json::Value {
    serde_json::json!({ "error": message, "code": code })
}

/// A reader that went away (`entente export | head`) is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
