//! The command line (clap derive). Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// allears: read your readers' mail, get one daily digest of what needs you.
#[derive(Debug, Parser)]
#[command(name = "allears", version, about)]
pub(crate) struct Cli {
    /// Config file (default: ./digest.toml, then $XDG_CONFIG_HOME/allears/digest.toml, then the built-in demo).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// State database (default: allears.db beside the config, or [store] path).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Log more (also: RUST_LOG=debug).
    #[arg(long, global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch the IMAP accounts, import the local sources, classify, act on your
    /// reply commands, and send the digest when it is due (once per day at
    /// [schedule] time; without [smtp], write it to the output folder).
    ///
    /// Exits 3 when an account or folder failed (the rest still goes through).
    Run {
        /// Send a digest now, whatever the schedule says.
        #[arg(long)]
        force: bool,
    },
    /// Stay running: fetch every [schedule] fetch_every_minutes, send each digest at its
    /// time (once after the machine slept through it), stop on SIGTERM or Ctrl-C.
    Daemon,
    /// Fetch new mail from the configured IMAP accounts, read-only (nothing is flagged, moved or deleted).
    ///
    /// Exits 3 when an account or folder failed; the next fetch resumes after the last saved batch.
    Fetch {
        /// Only this account (its `name` in digest.toml).
        #[arg(long)]
        account: Option<String>,
    },
    /// Connect to every IMAP account, log in (password or OAuth2 token), show its capabilities
    /// and the folders that would be fetched, and say exactly what is wrong (non-zero exit)
    /// when something is.
    Check,
    /// Sign in to an account's OAuth2 provider (its [account.oauth2] table) and keep the
    /// tokens: opens nothing itself, prints the address to open in a browser and waits for
    /// the redirect to 127.0.0.1 (RFC 8252), or with --device prints a code to enter on any
    /// device (RFC 8628). Run it again when allears says the refresh token was refused.
    Login {
        /// The account's `name` in digest.toml.
        account: String,
        /// The device flow: no browser needed on this machine (Microsoft 365; not Gmail).
        #[arg(long)]
        device: bool,
        /// Listen for the browser's redirect on this port (for ssh -L from another machine).
        #[arg(long, value_name = "PORT", conflicts_with = "device")]
        port: Option<u16>,
    },
    /// Import mail from Maildirs, mbox files, .eml files, or folders of them.
    Import {
        /// Paths to read.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// These paths hold the owner's sent mail.
        #[arg(long)]
        sent: bool,
    },
    /// Build the digest now: print its text and write it to the output folder.
    Digest {
        /// The weekly "what your readers want" digest instead of the daily one.
        #[arg(long)]
        weekly: bool,
    },
    /// Print the threads.
    Threads {
        /// One JSON object per thread and line.
        #[arg(long)]
        json: bool,
        /// RFC 5256 THREAD=REFERENCES exactly, subject merging included.
        #[arg(long)]
        strict: bool,
    },
    /// Print every stored message with its classification.
    Messages {
        /// One JSON object per message and line.
        #[arg(long)]
        json: bool,
    },
    /// Explain how one message was judged, and why.
    Explain {
        /// Its Message-ID, with or without angle brackets.
        message_id: String,
    },
    /// List the digest's items with their ids.
    Items {
        #[arg(long)]
        json: bool,
    },
    /// List the topics readers asked for.
    Topics {
        #[arg(long)]
        json: bool,
    },
    /// Judge every stored message again (after rules or the config changed).
    Reclassify,
    /// Mark item #ID handled: it leaves the digest.
    Done { id: String },
    /// Mark item #ID as not for you.
    Ignore { id: String },
    /// Item #ID asks you nothing: it leaves, and mail like it is not flagged again.
    NotForMe { id: String },
    /// Item #ID (a comment or list post) needs a reply: it is listed, and mail like it is flagged.
    NeedsReply { id: String },
    /// List what your corrections taught allears, or forget one.
    Corrections {
        #[command(subcommand)]
        action: Option<CorrectionsAction>,
    },
    /// Never show item #ID's thread again.
    Mute { id: String },
    /// Bring item #ID back later: 3d, 12h, 2w, tomorrow, monday.
    Snooze { id: String, when: String },
    /// Send your answer to the reader of item #ID (needs [smtp]).
    Reply {
        id: String,
        /// The answer's text (`-` for standard input).
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// Send it to the list (its List-Post) instead of the person.
        #[arg(long, conflicts_with = "reply_to")]
        list: bool,
        /// Send it to the message's Reply-To, when it names another domain
        /// than the sender's (the digest shows it).
        #[arg(long)]
        reply_to: bool,
    },
    /// Act on a topic: merge, split, rename, planned, written, drop, tell.
    Topic {
        #[command(subcommand)]
        action: TopicAction,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TopicAction {
    /// Topic A is the same subject as topic B: fold A into B.
    Merge {
        /// The topic to fold in: its id ("T12" or "12") or its label.
        from: String,
        /// The topic that stays.
        into: String,
    },
    /// Undo the merges into a topic: the topics merged in stand alone again.
    Split { id: String },
    /// Give a topic a working title.
    Rename { id: String, title: String },
    /// You plan to write it.
    Planned { id: String },
    /// You wrote it, at URL.
    Written { id: String, url: String },
    /// Not a topic for you.
    Drop { id: String },
    /// Tell each reader who asked for it that you wrote it (after `written`; needs [smtp]).
    Tell { id: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CorrectionsAction {
    /// Forget correction N (as `allears corrections` numbers them); stored mail is judged again.
    Forget { id: i64 },
}

impl Command {
    /// The subcommand's name, as typed ("run", "import").
    pub fn name(&self) -> &'static str {
        match self {
            Command::Run { .. } => "run",
            Command::Daemon => "daemon",
            Command::Fetch { .. } => "fetch",
            Command::Check => "check",
            Command::Login { .. } => "login",
            Command::Import { .. } => "import",
            Command::Digest { .. } => "digest",
            Command::Threads { .. } => "threads",
            Command::Messages { .. } => "messages",
            Command::Explain { .. } => "explain",
            Command::Items { .. } => "items",
            Command::Topics { .. } => "topics",
            Command::Reclassify => "reclassify",
            Command::Done { .. } => "done",
            Command::Ignore { .. } => "ignore",
            Command::Mute { .. } => "mute",
            Command::NotForMe { .. } => "not-for-me",
            Command::NeedsReply { .. } => "needs-reply",
            Command::Corrections { .. } => "corrections",
            Command::Snooze { .. } => "snooze",
            Command::Reply { .. } => "reply",
            Command::Topic { .. } => "topic",
        }
    }
}
