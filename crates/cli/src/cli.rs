//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Entente: verifiable threat-intelligence exchange between parties that do not trust each other.
///
/// Each collection of STIX 2.1 objects is an append-only Merkle log whose
/// checkpoints the node signs; anyone holding the node's public key can verify
/// every object offline.
#[derive(Debug, Parser)]
#[command(name = "entente", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 success; 1 invalid, refused or unverifiable; 2 usage error; 3 could not run (I/O, missing data directory)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The node's data directory [default: $XDG_DATA_HOME/entente or ~/.local/share/entente]
    #[arg(long, global = true, env = "ENTENTE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or notes on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data directory: a fresh Ed25519 key and the `default` collection.
    ///
    /// Prints the node's C2SP verifier key (`name+hash+base64`): give it to partners so
    /// they can verify this node's logs.
    Init(InitArgs),
    /// Check STIX 2.1 files (objects, arrays or bundles): one line per problem.
    ///
    /// Only a MUST violation of STIX 2.1 is an error; a missed SHOULD (a custom
    /// property, a value outside an open vocabulary, …) is printed as a `warning:`
    /// line and the object is valid, as every writing command accepts it. Exits 1
    /// if anything is invalid; with --strict, warnings are errors too.
    Validate(ValidateArgs),
    /// Validate objects and append them to a collection's log; prints the new signed checkpoint.
    ///
    /// Each object gets a result line. Valid objects are appended in one batch even
    /// when others are refused; exits 1 if any object was invalid or refused.
    Publish(PublishArgs),
    /// Withdraw an object: appends a withdrawal entry (nothing is ever removed from the log).
    Withdraw(WithdrawArgs),
    /// Checkpoints and proofs of a collection's log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Recompute a log from its entries and check every tile and signed checkpoint.
    ///
    /// With --collection, audits a collection of the data directory (all of them
    /// without it). With --tiles DIR --key VKEY, audits an exported C2SP tile tree
    /// offline. Reports the first mismatch with its index and exits 1.
    Audit(AuditArgs),
    /// Export a collection as a STIX bundle, or (with --tiles) as a C2SP tile tree.
    Export(ExportArgs),
    /// Import a STIX bundle, array or object into a collection, streamed in batches.
    Import(ImportArgs),
    /// Run the node: a TAXII 2.1 server whose collections are verifiable logs.
    ///
    /// Creates the data directory with defaults if there is none. The first line on
    /// standard output is `listening on http://ADDR/` (https with TLS). Discovery is at
    /// /taxii2/, the API root at /api/. Stops gracefully on SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Users and peers who may use the node's TAXII server (kept in entente.toml).
    #[command(subcommand)]
    User(UserCommand),
    /// What this node is: name, verifier key, data directory, listen address,
    /// version, collections with their sizes, and peers.
    Info,
    /// The node's signing key: `key show` prints its verifier key for partners.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Collections: create, list, and set whether one refuses SHOULD findings (--strict).
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// STIX patterns.
    #[command(subcommand)]
    Pattern(PatternCommand),
    /// Run the active indicators over telemetry and report what they find as STIX sightings.
    ///
    /// Compiles the indicators of the named collections (default: all) into one index
    /// and streams each file through it. Formats are detected per file or given with
    /// --format: Zeek logs (conn, dns, http, ssl, files, smtp; TSV or JSON), Suricata
    /// EVE JSON (dns, http, tls, flow, fileinfo, smtp), web access logs (combined or
    /// common), NDJSON of STIX observed-data, and plain lists of values. Prints one
    /// sighting per indicator hit (count, first and last seen, the objects seen) as a
    /// bundle, or appends them to a collection with --publish; a summary goes to
    /// stderr. A malformed line is reported with its line number and skipped.
    Match(MatchArgs),
    /// Evidence that a log misbehaved: check it offline.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Partner nodes (and plain TAXII feeds) this node syncs from (kept in entente.toml).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Run one sync round: mirror and verify every peer's logs, pull plain TAXII feeds.
    ///
    /// For each collection a peer lets this node read: verifies its signed checkpoint
    /// with the peer's key (and the witnesses' cosignatures it requires), fetches the
    /// new entries from its tiles, and applies them to a read-only mirror only if they
    /// lead to the checkpoint's root. A checkpoint that cannot be consistent with one
    /// accepted before stops that mirror and writes an evidence file under the data
    /// directory's `evidence/`. Partner indicators that hit a warninglist are
    /// quarantined. Exits 1 if a peer misbehaved or anything failed.
    Sync(SyncArgs),
    /// Partner objects held back because they hit a warninglist.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Report how often and where this node's indicators were sighted.
    ///
    /// Sums the STIX sightings of the node's own collections and of its mirrors of
    /// partners' collections, per indicator of its own, most sighted first: the count,
    /// the number of sighting objects, first and last seen, the parties that saw it and
    /// the partners it came from. Sightings of others' indicators are only counted.
    /// With --indicator, reports that indicator even if never sighted; exits 1 if it
    /// is not one of the node's.
    Sightings(SightingsArgs),
    /// Two nodes on loopback, two election authorities: the whole story in a few screens.
    ///
    /// Starts two temporary nodes on 127.0.0.1, shares indicators, verifies and
    /// witnesses them, matches a sample log, reports sightings back, then forges one
    /// node's history and shows the other detect it with evidence. Leaves nothing behind
    /// unless --keep is given.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Add a partner: its server root URL, its verifier key, and the token it issued
    /// to this node (`entente user add NAME --kind peer --token` on its side).
    ///
    /// With --taxii instead of --key the peer is a plain TAXII 2.1 server (URL is its API
    /// root, e.g. a MISP or OpenCTI feed); its objects are mirrored unverified. The peer's name is
    /// also its name in collection audiences and as a user of this node.
    Add(PeerAddArgs),
    /// List the configured peers.
    List,
    /// Each peer's mirrors: size, last sync, errors, misbehaviour, quarantined objects.
    ///
    /// Exits 1 if any peer was caught misbehaving.
    Status(PeerStatusArgs),
    /// Remove a peer from the configuration (its mirrors and evidence are kept).
    Remove(PeerRemoveArgs),
}

#[derive(Debug, Args)]
pub struct PeerAddArgs {
    /// The partner's name (letters, digits, '-', '_', '.', '@').
    pub name: String,
    /// Its server root, e.g. https://bravo.example:9440/ (a plain TAXII feed: its API root).
    pub url: String,
    /// Its verifier key (`name+hash+base64`), as its `entente init` printed it.
    #[arg(long, value_name = "VKEY", required_unless_present = "taxii")]
    pub key: Option<String>,
    /// The API token the partner issued to this node.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// A plain TAXII 2.1 server with no log: mirror its collections unverified.
    #[arg(long, conflicts_with = "key")]
    pub taxii: bool,
    /// HTTP Basic user for a feed that takes a password (read from standard input).
    #[arg(long, value_name = "USER", conflicts_with = "token")]
    pub username: Option<String>,
    /// A witness (verifier key) whose cosignature counts towards --min-witnesses; repeat.
    #[arg(long = "witness", value_name = "VKEY")]
    pub witnesses: Vec<String>,
    /// Accept the peer's checkpoints only once this many of the --witness keys cosigned them.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub min_witnesses: usize,
    /// Mirror only this collection of the peer (its id); repeat [default: all it lets us read]
    #[arg(long = "collection", value_name = "ID")]
    pub collections: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PeerStatusArgs {
    /// Only this peer.
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PeerRemoveArgs {
    /// The peer to remove.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Only this peer [default: every peer].
    #[arg(long, value_name = "NAME")]
    pub peer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Objects held (with --all, also those released or rejected), with why.
    List(QuarantineListArgs),
    /// Release held versions of an object: they join matching, exports and TAXII views.
    Release(QuarantineDecideArgs),
    /// Reject held versions of an object: they stay out for good (and stay in the log).
    Reject(QuarantineDecideArgs),
}

#[derive(Debug, Args)]
pub struct QuarantineListArgs {
    /// Also list versions already released or rejected.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct QuarantineDecideArgs {
    /// The object's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Only this version [default: every held version].
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct SightingsArgs {
    /// Only this indicator (its id), listed even if never sighted.
    #[arg(long, value_name = "ID")]
    pub indicator: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the two nodes' data directories (their paths are printed) instead of deleting them.
    #[arg(long)]
    pub keep: bool,
    /// Pause for Enter between screens.
    #[arg(long)]
    pub step: bool,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence file with the log's verifier key alone: exits 0 and says what the
    /// log did when the evidence proves misbehaviour (two signed checkpoints no append-only
    /// log can have produced), 1 and why not otherwise.
    Verify(EvidenceVerifyArgs),
}

#[derive(Debug, Args)]
pub struct EvidenceVerifyArgs {
    /// The evidence file (`entente-evidence/v1` JSON; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The log's verifier key (`name+hash+base64`), as its node's `entente init` printed it.
    #[arg(long, value_name = "VKEY")]
    pub key: String,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Telemetry files, or `-` for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Use the indicators of this collection (id or alias); repeat for several [default: all]
    #[arg(long = "collection", short = 'c', value_name = "COLLECTION")]
    pub collections: Vec<String>,
    /// Use the indicators of this STIX file (bundle, array or object) instead of the store's.
    #[arg(long, value_name = "FILE", conflicts_with = "collections")]
    pub indicators: Option<PathBuf>,
    /// The format of every file: zeek, eve, access, stix or list [default: detected per file]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Append the sightings (with this party's identity and the observed data) to this
    /// collection instead of printing them.
    #[arg(long, value_name = "COLLECTION")]
    pub publish: Option<String>,
    /// Write the run's figures as one JSON object to FILE (indicators, index_build_seconds,
    /// index_bytes, events, malformed, seconds, events_per_second, sightings, hits).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PatternCommand {
    /// Check a STIX 2.1 pattern's syntax: exits 0 if valid; 1 if not, showing where
    /// under the pattern with a caret and saying what was expected.
    Check(PatternCheckArgs),
    /// Match a pattern against observed data: prints `true` or `false`.
    ///
    /// With --cases, reads JSON lines `{"pattern": ..., "observed": [...]}` and prints one
    /// line per case, in order: `true`, `false` or `error: MESSAGE`.
    Match(PatternMatchArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["pattern", "cases"])))]
pub struct PatternMatchArgs {
    /// The pattern (with --observed).
    #[arg(long, requires = "observed")]
    pub pattern: Option<String>,
    /// A JSON file (`-` for standard input): a STIX bundle or an array of objects, the
    /// observed-data objects and the objects they reference.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// A JSON-lines file of cases (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["pattern", "observed"])]
    pub cases: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PatternCheckArgs {
    /// The pattern, e.g. "[ipv4-addr:value = '198.51.100.7']".
    pub pattern: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on [default: server.listen in entente.toml, else 127.0.0.1:9440].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// PEM certificate chain for HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback (behind a TLS proxy, say).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Log format on stderr.
    #[arg(long, value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// The node's name, if the data directory has to be created.
    #[arg(long, default_value = "entente.local")]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (someone of this party) or a peer (a partner node).
    ///
    /// With --token, a new API token is printed as the last line of standard output;
    /// use it as `Authorization: Bearer TOKEN` or as the HTTP Basic password. It is
    /// stored only as a hash and cannot be shown again. Giving a peer --read adds it
    /// to the collection's audience, which is refused while the collection holds
    /// TLP:RED objects.
    Add(UserAddArgs),
    /// List users and what they may do.
    List,
    /// Remove a user (and a peer from every collection's audience and writers).
    Remove(UserRemoveArgs),
    /// Issue a user a new API token, printed once as the last line of standard output.
    ///
    /// The user's other tokens and password keep working unless --rotate is
    /// given, which invalidates every token issued before (a running node
    /// picks the change up within a second).
    Token(UserTokenArgs),
}

#[derive(Debug, Args)]
pub struct UserTokenArgs {
    /// The user.
    pub name: String,
    /// Invalidate the user's earlier tokens.
    #[arg(long)]
    pub rotate: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["token", "password_stdin"])))]
pub struct UserAddArgs {
    /// Login name (a peer's party name).
    pub name: String,
    /// `user` (this party) or `peer` (a partner node).
    #[arg(long, value_parser = ["user", "peer"], default_value = "user")]
    pub kind: String,
    /// A collection (id or alias) the user may read; repeat for several.
    #[arg(long, value_name = "COLLECTION")]
    pub read: Vec<String>,
    /// A collection (id or alias) the user may write; repeat for several.
    #[arg(long, value_name = "COLLECTION")]
    pub write: Vec<String>,
    /// Generate an API token (printed once, as the last line).
    #[arg(long)]
    pub token: bool,
    /// Read a password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserRemoveArgs {
    /// The user to remove.
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the node's C2SP verifier key (`name+hash+base64`), the key partners
    /// need for `log verify-proof`, `audit --tiles`, `evidence verify` and `peer add`.
    ///
    /// Give it to partners over a channel you trust, and have them compare it out
    /// of band (read it to each other): whoever controls the key speaks for this node.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Create a collection (a new, empty log); prints its id as the last line.
    Create(CollectionCreateArgs),
    /// Change a collection's settings.
    Set(CollectionSetArgs),
    /// List collections with their log sizes, audiences and writers.
    List,
}

#[derive(Debug, Args)]
pub struct CollectionCreateArgs {
    /// A short local name, usable wherever a collection id is.
    pub alias: String,
    /// Title shown to TAXII clients [default: the alias].
    #[arg(long)]
    pub title: Option<String>,
    /// Description shown to TAXII clients.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The collection's UUID [default: a random one].
    #[arg(long, value_name = "UUID")]
    pub id: Option<String>,
    /// Refuse objects with SHOULD findings too (custom properties, values outside
    /// open vocabularies, …), not only MUST violations: an authoring gate.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct CollectionSetArgs {
    /// Collection id or alias.
    #[arg(value_name = "COLLECTION")]
    pub collection: String,
    /// Whether the collection refuses SHOULD findings too (true), or only MUST violations (false).
    #[arg(long, value_name = "BOOL", required = true)]
    pub strict: Option<bool>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The node's name: its signing key's name and the prefix of its logs' origins.
    /// A scheme-less URL such as `csirt.election.example` is recommended.
    #[arg(long, default_value = "entente.local")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files to check (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Treat SHOULD findings as errors (as `stix2_validator --strict`): the check
    /// for what you author, or what a strict collection accepts.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
    /// STIX files (objects, arrays or bundles; `-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
    /// The id of the object to withdraw (every version goes).
    #[arg(value_name = "OBJECT_ID")]
    pub object_id: String,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Print the collection's latest signed checkpoint (a C2SP signed note).
    Checkpoint(CheckpointArgs),
    /// Print a self-contained proof bundle (entry, index, proof, signed checkpoint) as JSON.
    Prove(ProveArgs),
    /// Check a proof bundle offline against the node's verifier key.
    VerifyProof(VerifyProofArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
    /// The object id.
    #[arg(value_name = "OBJECT_ID")]
    pub object_id: String,
    /// The version (`modified`) to prove; the latest by default.
    #[arg(long, value_name = "MODIFIED")]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyProofArgs {
    /// The proof bundle (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The node's verifier key (`name+hash+base64`), as printed by `entente init`.
    #[arg(long, value_name = "VKEY")]
    pub key: String,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Collection id or alias (every collection when absent).
    #[arg(long, short, conflicts_with = "tiles")]
    pub collection: Option<String>,
    /// Audit an exported tile tree in DIR instead of the data directory.
    #[arg(long, value_name = "DIR", requires = "key")]
    pub tiles: Option<PathBuf>,
    /// The log's verifier key, for --tiles.
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
    /// Also decode every entry and check the object index against the log.
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
    /// Write the C2SP tile tree (checkpoint, tile/..., tile/entries/...) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub tiles: Option<PathBuf>,
    /// Write the bundle to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE", conflicts_with = "tiles")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Collection id or alias.
    #[arg(long, short, default_value = "default")]
    pub collection: String,
    /// The STIX bundle, array or object to import (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Objects per log batch (one transaction and one checkpoint each).
    ///
    /// With --json, one JSON object per line: one per committed batch
    /// (`{"event":"batch","objects":N,"size":S,"checkpoint":…}`), one per warning
    /// (`{"event":"warning","warning":{…}}`), then a summary (`"event":"done"`).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub batch: u32,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
