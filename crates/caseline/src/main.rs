//! `caseline`: the one binary. Serves the API and administers a store from the command line.
//!
//! Every subcommand takes `--store` (env `CASELINE_STORE`); operators script these, so their
//! flags and output are stable (docs/CONTRACT.md, "The command line"). Long work shows progress on
//! a terminal (not when piped) and ends with a count.
//!
//! This file is the command line's outline and its dispatch; each subcommand's flags and work
//! are in its own module under `commands/`.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod commands;

/// mimalloc rather than glibc's malloc: under load, glibc's free-list consolidation across the
/// server's threads was about a third of its CPU (profile in docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "caseline",
    version,
    about = "The shared, append-only record of a child's journey through a council's threshold guide."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve(Box<commands::serve::Serve>),
    /// Prints a single-use link, valid for 10 minutes, that opens a browser session for a
    /// person (for deployments without an identity provider, and the demo).
    SigninLink(commands::signin::SigninLink),
    /// Creates an empty store and its pseudonym key; does nothing to one that exists.
    ///
    /// The pseudonym key is made beside a SQLite store or at --pseudonym-key-file. Run it
    /// before the first `token create`, which refuses a store that does not exist.
    Init(commands::init::Init),
    /// Writes a statutory return from the store: the Children in Need census or Annex A.
    Returns {
        #[command(subcommand)]
        command: commands::statutory::ReturnsCommand,
    },
    /// Creates, lists and revokes bearer tokens.
    Token {
        #[command(subcommand)]
        command: commands::token::TokenCommand,
    },
    /// Checks every child's hash chain; exits non-zero naming the child and record if anything
    /// was altered or removed.
    Verify(commands::verify::Verify),
    /// Rebuilds the read models (disagreement review, inspection report) from the first event
    /// and saves them; a running server picks the result up at its next start.
    Rebuild(commands::rebuild::Rebuild),
    /// Writes a synthetic council's year into a store that exists (`init` first).
    ///
    /// Realistic journeys, every record through the domain's rules, each with a realistic
    /// `recorded_at` (most written up within hours, some days late). Refuses a store that
    /// holds children (unless --into-existing) and one a server is running on.
    Generate(commands::generate::Generate),
    /// A first look: a server on a temporary store loaded with a generated council.
    ///
    /// Prints tokens and the URLs of a journey page (as it happened and as it was known),
    /// the report, and the report as an inspector sees it. The temporary store is removed
    /// when the demo stops (Ctrl-C, SIGTERM).
    Demo(commands::demo::Demo),
    /// Writes every event as NDJSON to stdout, in global order.
    Export(commands::export::Export),
    /// Copies a SQLite store into a new file while the server may be running.
    ///
    /// SQLite's online backup, one consistent moment of everything (events, tokens, read
    /// log). The pseudonym key is not in it (back up its file apart). For PostgreSQL use
    /// pg_dump; for any backend, export.
    Backup(commands::backup::Backup),
    /// Moves a deployment's store to another (SQLite to PostgreSQL, say), verified.
    ///
    /// Copies every event (as import keeps them), tokens, idempotency keys and their
    /// answers, and the read log. The source must not be served meanwhile; the target must
    /// hold no events. The pseudonym key is a file, not in the store: it is copied beside a
    /// SQLite target, and for any other target the server is pointed at it (the command
    /// says how).
    Migrate(commands::migrate::Migrate),
    /// Loads an export into an empty store, keeping ids, times, sequences and hashes.
    Import(commands::import::Import),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("caseline: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("caseline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(s) => commands::serve::run(*s).await,
        Command::SigninLink(s) => commands::signin::signin_link(s).await,
        Command::Init(args) => commands::init::run(args).await,
        Command::Returns { command } => commands::statutory::run(command).await,
        Command::Token { command } => commands::token::run(command).await,
        Command::Verify(args) => commands::verify::run(args).await,
        Command::Rebuild(args) => commands::rebuild::run(args).await,
        Command::Export(args) => commands::export::run(args).await,
        Command::Backup(args) => commands::backup::run(args).await,
        Command::Generate(args) => commands::generate::run(args).await,
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Import(args) => commands::import::run(args).await,
        Command::Migrate(args) => commands::migrate::run(args).await,
    }
}
