//! The command line (clap derive). Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// The exit codes, as `--help` and the README list them (`main.rs` and `cmd.rs` use them).
pub(crate) mod exit {
    /// Something failed; the message says what.
    pub const ERROR: u8 = 1;
    /// A usage error: bad arguments, or no config (run `allears init`).
    pub const USAGE: u8 = 2;
    /// An account or a folder failed; the rest went through (`run`, `fetch`).
    pub const PARTIAL: u8 = 3;
    /// Nothing was imported: no path held mail that could be read (`import`, `run`).
    pub const NOTHING_IMPORTED: u8 = 4;
}

/// No config was given or found, and the command needs one (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "no config: run allears init (or pass --config PATH; `allears run` alone runs the built-in demo)"
)]
pub(crate) struct NoConfig;

/// A command given wrongly, beyond what clap checks (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub String);

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  an error (the message says what; `check`: a problem was found)
  2  usage error: bad arguments, or no config (run `allears init`)
  3  an account or a folder failed; the rest went through (run, fetch)
  4  nothing imported: no path held mail that could be read (import, run)

Without a config, `allears run` runs the built-in demo in ./allears-demo/;
`allears --demo COMMAND` looks at it again.";

/// allears: read your readers' mail, get one daily digest of what needs you.
#[derive(Debug, Parser)]
#[command(name = "allears", version, about, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Config file (default: $XDG_CONFIG_HOME/allears/digest.toml, i.e. ~/.config/allears/digest.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// State database (default: allears.db beside the config, or [store] path).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Use the built-in demo and its folder ./allears-demo/ (made by `allears run` without a config).
    #[arg(long, global = true, conflicts_with = "config")]
    pub demo: bool,
    /// Print only errors (for cron): no summaries, no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: -v lists every file an import skipped and why; -vv logs debug detail.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Log debug detail (the same as -vv; also: RUST_LOG=debug).
    #[arg(long, global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// 0 quiet, 1 normal, 2 verbose, 3 debug.
    pub fn level(&self) -> u8 {
        if self.quiet {
            0
        } else if self.debug {
            3
        } else {
            (1 + self.verbose).min(3)
        }
    }
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
        /// An item id (#12 or 12), or a Message-ID with or without angle brackets.
        message_id: String,
    },
    /// List the digest's items: id, kind, age, who, and what (a table; --json for scripts).
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
    /// Items #ID... ask you nothing: they leave, and mail like them is not
    /// flagged again (the stored mail is judged again once, after the last).
    NotForMe {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Items #ID... (comments or list posts) need a reply: they are listed,
    /// and mail like them is flagged.
    NeedsReply {
        #[arg(required = true)]
        ids: Vec<String>,
    },
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
    /// Write a config (asking, or from flags for scripts): your name and addresses, your mail
    /// provider or server, how to log in. The file is readable by you only (mode 0600), and
    /// `allears check` runs on it at once.
    ///
    /// Asks for what the flags leave out when standard input is a terminal; otherwise the
    /// flags must say it (at least --name, --address, and --provider or --host and --username).
    Init(Box<InitArgs>),
    /// Check everything that can fail at digest time: each IMAP account (connect, TLS, login,
    /// folders), SMTP (connect, TLS, AUTH; nothing is sent), the schedule and time zone, and the
    /// folders allears writes to. Each problem comes with what to change.
    Check,
    /// Print a shell completion script: `allears completions bash > ~/.local/share/bash-completion/completions/allears`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `allears man > ~/.local/share/man/man1/allears.1`.
    Man,
    /// Show a message as it came, decoded (headers, text, attachments), with its thread.
    Show {
        /// An item id (#12 or 12) or a Message-ID.
        id: String,
    },
    /// Undo `mute`: item #ID's thread and sender may come back, and the item is open again.
    Unmute {
        /// An item id (#12), or a muted address or thread as `allears mutes` lists it.
        id: String,
    },
    /// Undo `snooze`: item #ID is back in the next digest.
    Unsnooze { id: String },
    /// List what you muted: threads and senders.
    Mutes,
    /// List the mail allears sends for you (answers, tells, results) and its state, or cancel one.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
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
pub(crate) enum OutboxAction {
    /// Cancel message N (as `allears outbox` numbers them) while it waits: it is never sent.
    Cancel { id: i64 },
}

/// `allears init`'s flags; what is left out is asked when standard input is a terminal.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Your name, as the digest greets you.
    #[arg(long)]
    pub name: Option<String>,
    /// An address you write from (repeat for more; the first is where the digest goes).
    #[arg(long = "address", value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// Your mail provider: fills in the IMAP and SMTP servers.
    #[arg(long, value_parser = ["gmail", "microsoft365", "fastmail", "icloud"], conflicts_with = "host")]
    pub provider: Option<String>,
    /// The IMAP server, when no --provider says it.
    #[arg(long)]
    pub host: Option<String>,
    /// The IMAP port (default 993 with implicit TLS, 143 with STARTTLS).
    #[arg(long)]
    pub port: Option<u16>,
    /// How the IMAP connection is protected.
    #[arg(long, value_parser = ["implicit", "starttls", "none"])]
    pub tls: Option<String>,
    /// A CA certificate file to trust beside the system's (a private server).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// The login name (default: the first address).
    #[arg(long)]
    pub username: Option<String>,
    /// How to log in: a password (from a command or an environment variable), or OAuth2.
    #[arg(long, value_parser = ["password", "xoauth2", "oauthbearer"])]
    pub login: Option<String>,
    /// A command that prints the password (`pass show mail/robin`).
    #[arg(long, value_name = "COMMAND", conflicts_with = "password_env")]
    pub password_command: Option<String>,
    /// An environment variable that holds the password.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// With OAuth2: a command that prints an access token (oama, mutt_oauth2.py).
    #[arg(long, value_name = "COMMAND")]
    pub token_command: Option<String>,
    /// With OAuth2 and no --token-command: the client id you registered (then `allears login NAME`).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The SMTP server the digest is sent through (default: the provider's; none: written to a folder).
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// The SMTP port (default 587 with STARTTLS, 465 with implicit TLS).
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// How the SMTP connection is protected.
    #[arg(long, value_parser = ["implicit", "starttls", "none"])]
    pub smtp_tls: Option<String>,
    /// Write the digest to a folder instead of mailing it (no [smtp]).
    #[arg(long, conflicts_with_all = ["smtp_host", "smtp_port", "smtp_tls"])]
    pub no_smtp: bool,
    /// When the digest is due, HH:MM (default 07:30).
    #[arg(long, value_name = "HH:MM")]
    pub time: Option<String>,
    /// Your IANA time zone (default: this machine's).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Replace a config that is already there.
    #[arg(long)]
    pub force: bool,
    /// Do not run `allears check` afterwards.
    #[arg(long)]
    pub no_check: bool,
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
            Command::Init(_) => "init",
            Command::Completions { .. } => "completions",
            Command::Man => "man",
            Command::Show { .. } => "show",
            Command::Unmute { .. } => "unmute",
            Command::Unsnooze { .. } => "unsnooze",
            Command::Mutes => "mutes",
            Command::Outbox { .. } => "outbox",
        }
    }
}
