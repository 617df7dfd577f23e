//! `digest.toml`: what allears reads, who the owner is, where the digest goes.
//!
//! The file is deserialized into the structs below with unknown keys refused, so
//! a typo is an error that names the key and the file rather than a silently
//! ignored setting. `digest.toml` at the repository root is both the
//! annotated reference and the built-in demo's config (`demo.rs`); a test
//! parses it. Relative paths are
//! resolved against the folder of the config file. Secrets live in [`Secret`],
//! which never prints its value.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

pub(crate) use crate::owner::Owner;
use crate::providers::{MailProvider, OAuth2Provider};

/// The annotated reference config, compiled in: the demo's config (`demo.rs`).
pub(crate) const EMBEDDED: &str = include_str!("../digest.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub owner: Owner,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub digest: DigestSettings,
    #[serde(default)]
    pub source: Vec<LocalSource>,
    #[serde(default)]
    pub account: Vec<Account>,
    pub smtp: Option<Smtp>,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub topics: TopicSettings,
    #[serde(default)]
    pub commands: CommandSettings,
    /// Where the config came from, for messages and for resolving paths.
    #[serde(skip)]
    pub origin: Origin,
}

/// Where a config was read from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    /// The file, or `None` for the built-in demo config.
    pub file: Option<PathBuf>,
    /// The folder relative paths are resolved against.
    pub dir: PathBuf,
}

impl Origin {
    pub fn name(&self) -> String {
        match &self.file {
            Some(f) => f.display().to_string(),
            None => "the built-in demo config (digest.toml)".to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Store {
    pub path: Option<PathBuf>,
    /// How long allears waits for another allears (or another writer) on
    /// the store before it gives up and says who holds it.
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout_secs: u64,
    /// A message larger than this many MB (2^20 bytes) is never held in
    /// memory: only its header is read and kept, with its size.
    #[serde(default = "default_max_message_mb")]
    pub max_message_mb: u64,
}

fn default_lock_timeout() -> u64 {
    60
}
fn default_max_message_mb() -> u64 {
    64
}

impl Default for Store {
    fn default() -> Self {
        Store {
            path: None,
            lock_timeout_secs: default_lock_timeout(),
            max_message_mb: default_max_message_mb(),
        }
    }
}

impl Store {
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lock_timeout_secs)
    }

    /// The size limit in bytes (`max_message_mb`).
    pub fn max_message_bytes(&self) -> u64 {
        self.max_message_mb.saturating_mul(1 << 20)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DigestSettings {
    /// Folder the digest is written to when there is no `[smtp]`.
    #[serde(default = "default_output")]
    pub output: PathBuf,
    /// Subject line of the digest; `{date}` is replaced by the day.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Items older than this many days are left out of "Needs a reply".
    #[serde(default = "default_max_age_days")]
    pub max_age_days: u32,
    /// At most this many open items are shown; the rest are counted.
    #[serde(default = "default_max_items")]
    pub max_items: usize,
    /// A folder whose digest.txt.hbs, digest.html.hbs, tell.txt.hbs,
    /// weekly.txt.hbs, weekly.html.hbs replace the built-in templates.
    #[serde(default)]
    pub templates: Option<PathBuf>,
}

fn default_output() -> PathBuf {
    PathBuf::from("out")
}
fn default_subject() -> String {
    "Your readers, {date}: {summary}".to_string()
}
fn default_max_items() -> usize {
    20
}
fn default_max_age_days() -> u32 {
    60
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            output: default_output(),
            subject: default_subject(),
            max_age_days: default_max_age_days(),
            max_items: default_max_items(),
            templates: None,
        }
    }
}

/// Local mail: a Maildir, an mbox file, an .eml file, or a folder of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocalSource {
    pub path: PathBuf,
    /// Everything under this path is the owner's sent mail.
    #[serde(default)]
    pub sent: bool,
}

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tls {
    Implicit,
    Starttls,
    None,
}

impl Tls {
    /// How a provider preset's server is reached.
    fn of(server: crate::providers::Server) -> Tls {
        if server.implicit_tls {
            Tls::Implicit
        } else {
            Tls::Starttls
        }
    }
}

/// One IMAP account, with a `provider` preset's host, port and TLS filled in.
#[derive(Debug, Deserialize)]
#[serde(try_from = "AccountKeys")]
pub(crate) struct Account {
    pub name: String,
    pub provider: Option<MailProvider>,
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    pub auth: Auth,
    pub password: Secret,
    /// Where the OAuth2 access token comes from (`auth` other than "password").
    pub token: Option<TokenSource>,
    pub folders: Vec<String>,
    pub sent_folder: Option<String>,
    /// How far back the first sync of a folder reaches, like "60 days".
    pub since: Option<String>,
    /// Messages fetched per round trip and per transaction.
    pub batch: u32,
    /// Messages larger than this many KB are fetched without their
    /// attachments (`source/imap/partial.rs`); 0: every message whole.
    pub partial_over_kb: u64,
    /// Seconds before a silent server counts as gone.
    pub timeout_secs: u64,
}

impl Account {
    /// The size over which a message is fetched by its structure, in bytes.
    pub fn partial_over(&self) -> u64 {
        match self.partial_over_kb {
            0 => u64::MAX,
            kb => kb.saturating_mul(1024),
        }
    }
}

/// `[[account]]` as written; [`Account`] is what it means.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountKeys {
    name: String,
    provider: Option<MailProvider>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<Tls>,
    ca_file: Option<PathBuf>,
    username: String,
    auth: Option<Auth>,
    #[serde(flatten)]
    password: Secret,
    token_command: Option<String>,
    oauth2: Option<OAuth2Keys>,
    #[serde(default = "default_folders")]
    folders: Vec<String>,
    sent_folder: Option<String>,
    since: Option<String>,
    #[serde(default = "default_batch")]
    batch: u32,
    #[serde(default = "default_partial_over_kb")]
    partial_over_kb: u64,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
}

impl TryFrom<AccountKeys> for Account {
    type Error = String;

    fn try_from(k: AccountKeys) -> Result<Account, String> {
        let preset = k.provider.map(MailProvider::imap);
        let host = k
            .host
            .or(preset.map(|p| p.host.to_string()))
            .ok_or_else(|| format!("account \"{}\": {NO_HOST}", k.name))?;
        let oauth2 = match k.oauth2 {
            Some(o) => Some(
                OAuth2::resolve(o, k.provider)
                    .map_err(|e| format!("account \"{}\": oauth2: {e}", k.name))?,
            ),
            None => None,
        };
        let token = match (k.token_command, oauth2) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "account \"{}\": set token_command or [account.oauth2], not both",
                    k.name
                ));
            }
            (Some(c), None) => Some(TokenSource::Command(c)),
            (None, Some(o)) => Some(TokenSource::Builtin(Box::new(o))),
            (None, None) => None,
        };
        Ok(Account {
            auth: k.auth.unwrap_or(if token.is_some() {
                Auth::Xoauth2
            } else {
                Auth::Password
            }),
            name: k.name,
            provider: k.provider,
            host,
            port: k.port.or(preset.map(|p| p.port)).unwrap_or(993),
            tls: k.tls.or(preset.map(Tls::of)).unwrap_or(Tls::Implicit),
            ca_file: k.ca_file,
            username: k.username,
            password: k.password,
            token,
            folders: k.folders,
            sent_folder: k.sent_folder,
            since: k.since,
            batch: k.batch,
            partial_over_kb: k.partial_over_kb,
            timeout_secs: k.timeout_secs,
        })
    }
}

const NO_HOST: &str = "host is missing: set host, or provider = \"gmail\", \"microsoft365\", \"fastmail\" or \"icloud\"";

/// How allears logs in to an IMAP or SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Auth {
    /// LOGIN (IMAP) or AUTH PLAIN/LOGIN (SMTP) with a password.
    Password,
    /// SASL XOAUTH2 (Google's and Microsoft's) with an OAuth2 access token.
    Xoauth2,
    /// SASL OAUTHBEARER (RFC 7628) with an OAuth2 access token.
    Oauthbearer,
}

impl Auth {
    /// The SASL mechanism's name, as `check` and errors say it.
    pub fn mechanism(self) -> &'static str {
        match self {
            Auth::Password => "password",
            Auth::Xoauth2 => "XOAUTH2",
            Auth::Oauthbearer => "OAUTHBEARER",
        }
    }
}

/// Where an OAuth2 access token comes from.
#[derive(Debug)]
pub(crate) enum TokenSource {
    /// A command that prints one (oama, mutt_oauth2.py, mailctl...).
    Command(String),
    /// allears' own client: `allears login NAME`, then refreshed as needed (`oauth2/`).
    Builtin(Box<OAuth2>),
}

impl TokenSource {
    /// For `check`: "token_command" or "allears login".
    pub fn describe(&self) -> &'static str {
        match self {
            TokenSource::Command(_) => "token from token_command",
            TokenSource::Builtin(_) => "token from allears login",
        }
    }
}

/// `[account.oauth2]`, with a provider's endpoints filled in.
#[derive(Debug)]
pub(crate) struct OAuth2 {
    pub auth_url: String,
    pub token_url: String,
    pub device_url: Option<String>,
    pub scopes: Vec<String>,
    /// Extra parameters of the authorization request (Google's access_type=offline).
    pub auth_params: Vec<(String, String)>,
    pub client_id: String,
    /// Where the provider needs one (Google's "desktop app" clients do).
    pub client_secret_command: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OAuth2Keys {
    provider: Option<OAuth2Provider>,
    auth_url: Option<String>,
    token_url: Option<String>,
    device_url: Option<String>,
    scopes: Option<Vec<String>>,
    client_id: String,
    client_secret_command: Option<String>,
}

impl OAuth2 {
    /// Explicit keys, else `provider`'s, else the account's mail provider's.
    fn resolve(k: OAuth2Keys, mail: Option<MailProvider>) -> Result<OAuth2, String> {
        let preset = k
            .provider
            .or(mail.and_then(MailProvider::oauth2))
            .map(OAuth2Provider::endpoints);
        let need = |key: &str, v: Option<String>, p: Option<&str>| {
            v.or(p.map(str::to_string)).ok_or_else(|| {
                format!(
                    "{key} is missing: set provider = \"google\" or \"microsoft\", or auth_url and token_url"
                )
            })
        };
        Ok(OAuth2 {
            auth_url: need("auth_url", k.auth_url, preset.map(|p| p.auth_url))?,
            token_url: need("token_url", k.token_url, preset.map(|p| p.token_url))?,
            device_url: k
                .device_url
                .or(preset.and_then(|p| p.device_url.map(str::to_string))),
            scopes: k.scopes.unwrap_or_else(|| {
                preset
                    .map(|p| p.scopes.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default()
            }),
            auth_params: preset
                .map(|p| {
                    p.auth_params
                        .iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            client_id: k.client_id,
            client_secret_command: k.client_secret_command,
        })
    }
}

fn default_folders() -> Vec<String> {
    vec!["INBOX".to_string()]
}
fn default_batch() -> u32 {
    500
}
/// See `source/imap/partial.rs` for why 32 KB.
fn default_partial_over_kb() -> u64 {
    32
}
fn default_timeout() -> u64 {
    60
}

/// `[smtp]`, with a `provider` preset's host, port and TLS filled in.
#[derive(Debug, Deserialize)]
#[serde(try_from = "SmtpKeys")]
pub(crate) struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    pub auth: Auth,
    pub password: Secret,
    pub token: Option<SmtpToken>,
    pub from: String,
    pub to: String,
    pub timeout_secs: u64,
}

/// Where `[smtp]`'s access token comes from.
#[derive(Debug)]
pub(crate) enum SmtpToken {
    /// Its own `token_command`.
    Command(String),
    /// The token of the `[[account]]` of this name (`token_account`).
    Account(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpKeys {
    provider: Option<MailProvider>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<Tls>,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    auth: Option<Auth>,
    #[serde(flatten)]
    password: Secret,
    token_command: Option<String>,
    token_account: Option<String>,
    from: String,
    to: String,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
}

impl TryFrom<SmtpKeys> for Smtp {
    type Error = String;

    fn try_from(k: SmtpKeys) -> Result<Smtp, String> {
        let preset = k.provider.map(MailProvider::smtp);
        let host = k
            .host
            .or(preset.map(|p| p.host.to_string()))
            .ok_or_else(|| format!("smtp: {NO_HOST}"))?;
        let token = match (k.token_command, k.token_account) {
            (Some(_), Some(_)) => {
                return Err("smtp: set token_command or token_account, not both".to_string());
            }
            (Some(c), None) => Some(SmtpToken::Command(c)),
            (None, Some(a)) => Some(SmtpToken::Account(a)),
            (None, None) => None,
        };
        Ok(Smtp {
            auth: k.auth.unwrap_or(if token.is_some() {
                Auth::Xoauth2
            } else {
                Auth::Password
            }),
            host,
            port: k.port.or(preset.map(|p| p.port)).unwrap_or(587),
            tls: k.tls.or(preset.map(Tls::of)).unwrap_or(Tls::Starttls),
            ca_file: k.ca_file,
            username: k.username,
            password: k.password,
            token,
            from: k.from,
            to: k.to,
            timeout_secs: k.timeout_secs,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Schedule {
    #[serde(default = "default_time")]
    pub time: String,
    /// IANA time zone name; empty means the machine's own zone.
    #[serde(default)]
    pub timezone: String,
    #[serde(default = "default_empty")]
    pub empty: Empty,
    /// Minutes between fetches in `allears daemon`.
    #[serde(default = "default_fetch_every")]
    pub fetch_every_minutes: u64,
    /// The day of the weekly "what your readers want" digest ("sunday"), at
    /// `time`; none (the default) sends none.
    #[serde(default)]
    pub weekly: Option<String>,
}

fn default_time() -> String {
    "07:30".to_string()
}
fn default_empty() -> Empty {
    Empty::Skip
}
fn default_fetch_every() -> u64 {
    15
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            time: default_time(),
            timezone: String::new(),
            empty: default_empty(),
            fetch_every_minutes: default_fetch_every(),
            weekly: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Empty {
    Skip,
    Send,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopicSettings {
    /// Groups of words that mean the same subject, e.g. ["ipv6", "v6", "dual-stack"].
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandSettings {
    /// An address the owner's command replies go to, instead of `owner+token@domain`.
    pub address: Option<String>,
    /// The `authserv-id` of the owner's receiving server, whose Authentication-Results count.
    pub authserv_id: Option<String>,
    /// Most command lines read from one reply.
    #[serde(default)]
    pub max_lines: Option<usize>,
    /// Days a digest's secret token commands (default 14).
    pub token_days: Option<u32>,
    /// The account the owner's replies land in (default: the first account);
    /// `allears daemon` watches it with IMAP IDLE.
    pub account: Option<String>,
    /// The folder of that account the replies land in (default "INBOX").
    pub folder: Option<String>,
}

impl CommandSettings {
    /// Days a digest's token commands: `token_days`, else 14.
    pub fn token_days(&self) -> i64 {
        i64::from(self.token_days.unwrap_or(14))
    }
}

/// A password, from a command, an environment variable, or (discouraged) the file.
/// Its value never reaches `Debug`, logs or errors.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Secret {
    pub password_command: Option<String>,
    /// Seconds `password_command` may take (default 30): a command that
    /// waits for a locked keyring or a PIN must not hang allears.
    pub password_command_timeout_secs: Option<u64>,
    pub password_env: Option<String>,
    pub password: Option<String>,
}

/// How long a secret command may run when nothing says otherwise.
pub(crate) const DEFAULT_SECRET_TIMEOUT: Duration = Duration::from_secs(30);

/// Run `cmd` (with `sh -c`) for a secret and return what it prints, or say
/// why not: it failed, printed no UTF-8, or did not finish within `timeout`
/// (then it is stopped, with every process it started). `what` names the
/// setting in errors ("password_command"); the output never appears in one.
pub(crate) fn secret_command(what: &str, cmd: &str, timeout: Duration) -> Result<String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        // Its own process group, so a timeout stops what it started too.
        .process_group(0)
        .spawn()
        .with_context(|| format!("running {what} `{cmd}`"))?;
    let group = child.id() as i32;
    let stop = || {
        // SAFETY: kill(2) on the process group this function created.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = out.by_ref().take(1 << 20).read_to_end(&mut buf);
            let _ = tx.send(read.map(|_| buf));
        });
    }
    // What it printed (until its stdout closed), then how it ended: both in time.
    let deadline = std::time::Instant::now() + timeout;
    let printed = rx.recv_timeout(timeout);
    let status = match printed {
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
        _ => loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if std::time::Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        },
    };
    let Some(status) = status else {
        stop();
        let _ = child.wait();
        bail!(
            "{what} `{cmd}` did not finish within {} s, so it was stopped (password_command_timeout_secs sets the limit)",
            timeout.as_secs()
        );
    };
    let out = printed
        .ok()
        .transpose()
        .with_context(|| format!("reading what {what} `{cmd}` printed"))?
        .unwrap_or_default();
    if !status.success() {
        bail!("{what} `{cmd}` failed ({status})");
    }
    String::from_utf8(out).with_context(|| format!("{what} `{cmd}` printed non-UTF-8"))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.password_command.is_some() {
            "password_command"
        } else if self.password_env.is_some() {
            "password_env"
        } else if self.password.is_some() {
            "password"
        } else {
            "none"
        };
        write!(f, "Secret({how}, <redacted>)")
    }
}

impl Secret {
    pub fn is_set(&self) -> bool {
        self.password_command.is_some() || self.password_env.is_some() || self.password.is_some()
    }

    /// Resolve the password. The error names how it was looked up, never the value.
    pub fn reveal(&self) -> Result<String> {
        if let Some(cmd) = &self.password_command {
            let timeout = self
                .password_command_timeout_secs
                .map_or(DEFAULT_SECRET_TIMEOUT, Duration::from_secs);
            let text = secret_command("password_command", cmd, timeout)?;
            return Ok(text.lines().next().unwrap_or("").to_string());
        }
        if let Some(var) = &self.password_env {
            return std::env::var(var)
                .with_context(|| format!("password_env: environment variable {var} is not set"));
        }
        if let Some(p) = &self.password {
            return Ok(p.clone());
        }
        bail!("no password_command, password_env or password is set")
    }
}

/// The file's mode (the permission bits) when group or others may read
/// it: a file holding a secret must be the owner's alone.
pub(crate) fn readable_by_others(path: &Path) -> Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading permissions of {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Ok(Some(mode & 0o777));
        }
    }
    Ok(None)
}

/// Run a secret's command (`password_command`, `token_command`,
/// `client_secret_command`) with `sh -c`, bounded in time like any secret
/// command, and keep the first line it prints. An error names the key and
/// the command, never what it printed.
pub(crate) fn first_line_of(key: &str, cmd: &str) -> Result<String> {
    let text = secret_command(key, cmd, DEFAULT_SECRET_TIMEOUT)?;
    Ok(text.lines().next().unwrap_or("").to_string())
}

impl Config {
    /// Find and read the config: `--config`, else
    /// `$XDG_CONFIG_HOME/allears/digest.toml` (`~/.config/...`). `None`
    /// when there is none: then only the demo runs (`demo.rs`), and other
    /// commands ask for `allears init`. The current folder is not searched:
    /// a config picked up from wherever one happens to stand would silently
    /// switch stores.
    pub fn find(explicit: Option<&Path>) -> Result<Option<Config>> {
        if let Some(path) = explicit {
            return Self::from_file(path).map(Some);
        }
        match xdg_config_file() {
            Some(xdg) if xdg.is_file() => Self::from_file(&xdg).map(Some),
            _ => Ok(None),
        }
    }

    /// Where `allears init` writes, and [`Config::find`] looks, when no `--config` is given.
    pub fn default_path() -> Result<PathBuf> {
        xdg_config_file().context("neither XDG_CONFIG_HOME nor HOME is set: pass --config PATH")
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let config = Self::parse(
            &text,
            Origin {
                file: Some(path.to_path_buf()),
                dir,
            },
        )?;
        config.check_file_secrets(path)?;
        Ok(config)
    }

    pub fn parse(text: &str, origin: Origin) -> Result<Config> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {}", origin.name(), e))?;
        config.origin = origin;
        config.validate()?;
        Ok(config)
    }

    /// Checks serde cannot express; each error names the key and the file.
    fn validate(&self) -> Result<()> {
        let file = self.origin.name();
        if self.owner.addresses.is_empty() {
            bail!("{file}: owner.addresses must name at least one address");
        }
        for a in &self.owner.addresses {
            if !a.contains('@') {
                bail!("{file}: owner.addresses: `{a}` is not an email address");
            }
        }
        if self.digest.max_items == 0 {
            bail!("{file}: digest.max_items must be at least 1");
        }
        if let Some(day) = &self.schedule.weekly {
            crate::schedule::parse_weekday(day)
                .with_context(|| format!("{file}: schedule.weekly"))?;
        }
        if self.store.max_message_mb == 0 {
            bail!("{file}: store.max_message_mb must be at least 1");
        }
        crate::schedule::parse_time(&self.schedule.time)
            .with_context(|| format!("{file}: schedule.time"))?;
        if !self.schedule.timezone.is_empty() {
            jiff::tz::TimeZone::get(&self.schedule.timezone).with_context(|| {
                format!(
                    "{file}: schedule.timezone: `{}` is not an IANA time zone",
                    self.schedule.timezone
                )
            })?;
        }
        for (i, a) in self.account.iter().enumerate() {
            let at = format!("{file}: account[{i}] ({})", a.name);
            check_auth(&at, a.auth, &a.password, a.token.is_some())?;
            if let Some(TokenSource::Builtin(o)) = &a.token {
                check_oauth2(&at, o)?;
            }
            if self.account[..i].iter().any(|b| b.name == a.name) {
                bail!("{at}: another account has the name \"{}\"", a.name);
            }
            if a.tls == Tls::None && !is_loopback(&a.host) {
                bail!(
                    "{file}: account[{i}].tls = \"none\" is refused for {}: only a loopback host may go unencrypted",
                    a.host
                );
            }
            if let Some(s) = &a.since {
                parse_days(s).with_context(|| format!("{file}: account[{i}].since"))?;
            }
            if a.batch == 0 {
                bail!("{file}: account[{i}].batch must be at least 1");
            }
        }
        if let Some(s) = &self.smtp {
            if s.tls == Tls::None && !is_loopback(&s.host) {
                bail!(
                    "{file}: smtp.tls = \"none\" is refused for {}: only a loopback host may go unencrypted",
                    s.host
                );
            }
            self.validate_smtp_auth(s)?;
        }
        Ok(())
    }

    fn validate_smtp_auth(&self, s: &Smtp) -> Result<()> {
        let file = self.origin.name();
        match s.auth {
            Auth::Password => {
                if s.token.is_some() {
                    bail!("{file}: smtp: token_command and token_account need auth = \"xoauth2\"");
                }
                if s.username.is_some() && !s.password.is_set() {
                    bail!("{file}: smtp: a username needs password_command or password_env");
                }
            }
            // lettre speaks XOAUTH2 only; Gmail and Microsoft 365 both take it for SMTP.
            Auth::Oauthbearer => bail!(
                "{file}: smtp.auth = \"oauthbearer\" is not supported for sending: use \"xoauth2\" (Gmail and Microsoft 365 accept it)"
            ),
            Auth::Xoauth2 => {
                if s.password.is_set() {
                    bail!(
                        "{file}: smtp: auth = \"xoauth2\" logs in with a token: remove the password keys"
                    );
                }
                match &s.token {
                    None => bail!(
                        "{file}: smtp: auth = \"xoauth2\" needs token_command, or token_account naming an [[account]] with OAuth2"
                    ),
                    Some(SmtpToken::Account(name)) => {
                        let Some(a) = self.account.iter().find(|a| &a.name == name) else {
                            bail!("{file}: smtp.token_account: no [[account]] is named \"{name}\"");
                        };
                        if a.token.is_none() {
                            bail!(
                                "{file}: smtp.token_account: account \"{name}\" logs in with a password, not OAuth2"
                            );
                        }
                    }
                    Some(SmtpToken::Command(_)) => {
                        if s.username.is_none() {
                            bail!("{file}: smtp: auth = \"xoauth2\" needs username");
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A plain `password` is accepted with a warning, and refused when others can read the file.
    fn check_file_secrets(&self, path: &Path) -> Result<()> {
        let plain = self.account.iter().any(|a| a.password.password.is_some())
            || self
                .smtp
                .as_ref()
                .is_some_and(|s| s.password.password.is_some());
        if !plain {
            return Ok(());
        }
        if let Some(mode) = readable_by_others(path)? {
            bail!(
                "{}: a plain `password` is refused because the file is readable by group or others (mode {mode:o}); chmod 600 it, or use password_command / password_env",
                path.display(),
            );
        }
        tracing::warn!(
            "{}: a plain `password` is stored in the file; prefer password_command or password_env",
            path.display()
        );
        Ok(())
    }

    /// Resolve a path from the config against the config's folder.
    /// Where the owner's command replies go (the digest's Reply-To): `[commands]
    /// address`, else `owner+TOKEN@domain`, whose subaddress carries the secret
    /// token that a command message must carry (`commands/auth.rs`).
    pub fn command_address(&self, token: &str) -> String {
        if let Some(a) = &self.commands.address {
            return a.clone();
        }
        let owner = self.owner.primary();
        match owner.rsplit_once('@') {
            Some((local, domain)) => format!("{local}+{token}@{domain}"),
            None => owner.to_string(),
        }
    }

    /// The owner's time zone: `[schedule] timezone`, else the machine's.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        if self.schedule.timezone.is_empty() {
            jiff::tz::TimeZone::system()
        } else {
            jiff::tz::TimeZone::get(&self.schedule.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
        }
    }

    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.origin.dir.join(p)
        }
    }

    pub fn db_path(&self) -> PathBuf {
        match &self.store.path {
            Some(p) => self.resolve(p),
            None => self.origin.dir.join("allears.db"),
        }
    }

    pub fn output_dir(&self) -> PathBuf {
        self.resolve(&self.digest.output)
    }
}

/// The password keys and the token keys agree with `auth`; `at` names the account.
fn check_auth(at: &str, auth: Auth, password: &Secret, has_token: bool) -> Result<()> {
    match auth {
        Auth::Password if has_token => bail!(
            "{at}: token_command and [account.oauth2] need auth = \"xoauth2\" or \"oauthbearer\""
        ),
        Auth::Password if !password.is_set() => {
            bail!(
                "{at}: set password_command or password_env (or auth = \"xoauth2\" with token_command)"
            )
        }
        Auth::Password => Ok(()),
        _ if !has_token => bail!(
            "{at}: auth = \"{}\" needs token_command or an [account.oauth2] table",
            auth.mechanism().to_ascii_lowercase()
        ),
        _ if password.is_set() => bail!(
            "{at}: auth = \"{}\" logs in with a token: remove the password keys",
            auth.mechanism().to_ascii_lowercase()
        ),
        _ => Ok(()),
    }
}

/// Token endpoints over https only; http only to a loopback host (tests).
fn check_oauth2(at: &str, o: &OAuth2) -> Result<()> {
    if o.client_id.trim().is_empty() {
        bail!("{at}: oauth2.client_id is empty");
    }
    if o.scopes.is_empty() {
        bail!("{at}: oauth2.scopes is empty");
    }
    let urls = [
        ("auth_url", Some(&o.auth_url)),
        ("token_url", Some(&o.token_url)),
        ("device_url", o.device_url.as_ref()),
    ];
    for (key, url) in urls {
        if let Some(url) = url {
            check_endpoint(url).map_err(|e| anyhow::anyhow!("{at}: oauth2.{key}: {e}"))?;
        }
    }
    Ok(())
}

/// An OAuth2 endpoint must be https, or http to a loopback host.
pub(crate) fn check_endpoint(url: &str) -> Result<()> {
    let u = url::Url::parse(url).with_context(|| format!("`{url}` is not a URL"))?;
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        _ => bail!("`{url}` must be https (http only to a loopback host)"),
    }
}

fn xdg_config_file() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("allears").join("digest.toml"))
}

pub(crate) fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_matches(|c| c == '[' || c == ']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// "60 days", "2 weeks", "30d" -> days.
pub(crate) fn parse_days(s: &str) -> Result<u32> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u32 = num
        .parse()
        .with_context(|| format!("`{s}` should be like \"60 days\""))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "d" | "day" | "days" => 1,
        "w" | "week" | "weeks" => 7,
        "m" | "month" | "months" => 30,
        "y" | "year" | "years" => 365,
        other => bail!("`{s}`: unknown unit `{other}` (days, weeks, months, years)"),
    };
    Ok(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: Some(PathBuf::from("test.toml")),
            dir: PathBuf::from("/tmp"),
        }
    }

    #[test]
    fn embedded_default_parses() {
        let c = Config::parse(EMBEDDED, origin()).expect("digest.toml parses");
        assert_eq!(c.owner.name, "Robin Ellis");
        assert!(!c.source.is_empty());
        assert!(c.smtp.is_none(), "the shipped default writes to out/");
    }

    /// The commented-out `key = value` lines of digest.toml from the line
    /// `# {start}` up to `# {end}`, uncommented, without the keys in `skip`.
    fn example(start: &str, end: &str, skip: &[&str]) -> String {
        let key = regex::Regex::new(r"^(\[\[?[a-z0-9.]+\]\]?$|([a-z_]+) = )").unwrap();
        let from = EMBEDDED.find(&format!("# {start}")).expect("start");
        let to = from + EMBEDDED[from..].find(&format!("# {end}")).expect("end");
        EMBEDDED[from..to]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                key.captures(l)
                    .is_some_and(|c| c.get(2).is_none_or(|k| !skip.contains(&k.as_str())))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn the_commented_account_and_smtp_examples_parse() {
        // Each block offers alternatives (a password or a token, a
        // token_command or allears' own client): keep one of each.
        let alternatives = ["auth", "password_command", "token_command"];
        let account = example("[[account]]", "Mailing the digest", &alternatives);
        let smtp = example("[smtp]", "from = ", &alternatives) + "from = 'a@b.c'\nto = 'a@b.c'\n";
        assert!(
            account.contains("[account.oauth2]\n") && account.contains("client_secret_command")
        );
        let text = format!("[owner]\nname='A'\naddresses=['a@b.c']\n{account}{smtp}");
        let c = Config::parse(&text, origin()).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
        let a = &c.account[0];
        assert_eq!(
            (a.host.as_str(), a.auth),
            ("imap.example.org", Auth::Xoauth2)
        );
        let Some(TokenSource::Builtin(o)) = &a.token else {
            panic!("{:?}", a.token)
        };
        assert_eq!(o.token_url, "https://id.example/token");
        let s = c.smtp.as_ref().unwrap();
        assert!(matches!(&s.token, Some(SmtpToken::Account(n)) if n == "main"));
        // The password alternative parses as well.
        let password = example("[[account]]", "token_command", &[]);
        let text = format!("[owner]\nname='A'\naddresses=['a@b.c']\n{password}folders=['INBOX']\n");
        let c = Config::parse(&text, origin()).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
        assert_eq!(c.account[0].auth, Auth::Password);
    }

    #[test]
    fn unknown_key_is_named_with_the_file() {
        let err = Config::parse(
            "[owner]\nname = \"A\"\naddresses = [\"a@b.c\"]\ncolour = \"red\"\n",
            origin(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("test.toml"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err = Config::parse("[owner]\nname = 3\naddresses = [\"a@b.c\"]\n", origin())
            .unwrap_err()
            .to_string();
        assert!(err.contains("name"), "{err}");
        assert!(err.contains("test.toml"), "{err}");
    }

    #[test]
    fn tls_none_refused_off_loopback() {
        let text = "[owner]\nname='A'\naddresses=['a@b.c']\n[[account]]\nname='m'\nhost='mail.example.org'\ntls='none'\nusername='u'\npassword_env='X'\n";
        let err = Config::parse(text, origin()).unwrap_err().to_string();
        assert!(err.contains("account[0].tls"), "{err}");
        let ok = text.replace("mail.example.org", "127.0.0.1");
        Config::parse(&ok, origin()).expect("loopback may go unencrypted");
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret {
            password: Some("hunter2".into()),
            ..Secret::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn commands_go_to_a_subaddress_with_the_token_unless_configured() {
        let config = |extra: &str| {
            let text = format!(
                "[owner]\nname = \"Robin Ellis\"\naddresses = [\"robin@ellis-on-it.example\"]\n{extra}"
            );
            Config::parse(&text, origin()).unwrap()
        };
        assert_eq!(
            config("").command_address("c0ffee"),
            "robin+c0ffee@ellis-on-it.example"
        );
        let c = config("[commands]\naddress = \"digest@ellis-on-it.example\"\n");
        assert_eq!(c.command_address("c0ffee"), "digest@ellis-on-it.example");
    }

    const OWNER: &str = "[owner]\nname='A'\naddresses=['a@b.c']\n";

    fn parse_err(extra: &str) -> String {
        Config::parse(&format!("{OWNER}{extra}"), origin())
            .map(|_| String::new())
            .unwrap_or_else(|e| format!("{e:#}"))
    }

    #[test]
    fn a_provider_fills_host_port_tls_and_oauth2_endpoints() {
        let text = format!(
            "{OWNER}[[account]]\nname='g'\nprovider='gmail'\nusername='r@gmail.com'\n[account.oauth2]\nclient_id='id'\nclient_secret_command='echo s'\n[smtp]\nprovider='microsoft365'\ntoken_account='g'\nfrom='r@gmail.com'\nto='r@gmail.com'\n"
        );
        let c = Config::parse(&text, origin()).unwrap();
        let a = &c.account[0];
        assert_eq!(
            (a.host.as_str(), a.port, a.tls),
            ("imap.gmail.com", 993, Tls::Implicit)
        );
        assert_eq!(
            a.auth,
            Auth::Xoauth2,
            "a token source means XOAUTH2 unless told"
        );
        let Some(TokenSource::Builtin(o)) = &a.token else {
            panic!("{:?}", a.token)
        };
        assert_eq!(o.token_url, "https://oauth2.googleapis.com/token");
        assert_eq!(o.scopes, ["https://mail.google.com/"]);
        assert!(
            o.device_url.is_none(),
            "Google has no device flow for Gmail"
        );
        let s = c.smtp.as_ref().unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("smtp.office365.com", 587, Tls::Starttls)
        );
        // An explicit key wins over the preset.
        let own = text.replace("provider='gmail'", "provider='gmail'\nport=1993");
        assert_eq!(Config::parse(&own, origin()).unwrap().account[0].port, 1993);
    }

    #[test]
    fn the_readmes_oauth2_and_provider_configs_parse() {
        let readme = include_str!("../README.md");
        let from = readme.find("## Logging in with OAuth2").expect("section");
        let to = readme
            .find("## Getting the digest by mail")
            .expect("next section");
        let blocks: Vec<&str> = readme[from..to]
            .split("```toml\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect();
        assert!(blocks.len() >= 6, "{}", blocks.len());
        for block in blocks {
            Config::parse(&format!("{OWNER}{block}"), origin())
                .unwrap_or_else(|e| panic!("{e:#}\n{block}"));
        }
    }

    #[test]
    fn auth_keys_that_disagree_are_named() {
        let acct = "[[account]]\nname='m'\nhost='h.example'\nusername='u'\n";
        let e = parse_err(&format!("{acct}auth='xoauth2'\n"));
        assert!(
            e.contains("test.toml") && e.contains("account[0] (m)") && e.contains("token_command"),
            "{e}"
        );
        let e = parse_err(&format!("{acct}auth='password'\ntoken_command='x'\n"));
        assert!(e.contains("need auth = \"xoauth2\""), "{e}");
        let e = parse_err(&format!(
            "{acct}auth='oauthbearer'\ntoken_command='x'\npassword_env='P'\n"
        ));
        assert!(e.contains("remove the password keys"), "{e}");
        let e = parse_err(&format!("{acct}[account.oauth2]\nclient_id='c'\n"));
        assert!(e.contains("auth_url") && e.contains("test.toml"), "{e}");
        let e = parse_err("[[account]]\nname='m'\nusername='u'\npassword_env='P'\n");
        assert!(
            e.contains("host is missing") && e.contains("test.toml"),
            "{e}"
        );
        let ok = format!("{acct}auth='oauthbearer'\ntoken_command='x'\n");
        assert_eq!(parse_err(&ok), "");
    }

    #[test]
    fn token_endpoints_are_https_except_on_loopback() {
        let acct = "[[account]]\nname='m'\nhost='h.example'\nusername='u'\n[account.oauth2]\nclient_id='c'\nscopes=['mail']\nauth_url='https://id.example/auth'\n";
        let e = parse_err(&format!("{acct}token_url='http://id.example/token'\n"));
        assert!(
            e.contains("account[0] (m): oauth2.token_url") && e.contains("https"),
            "{e}"
        );
        assert_eq!(
            parse_err(&format!("{acct}token_url='http://127.0.0.1:8080/token'\n")),
            ""
        );
    }

    #[test]
    fn smtp_oauth_needs_a_token_and_speaks_xoauth2_only() {
        let smtp = "[smtp]\nhost='s.example'\nusername='u'\nfrom='a@b.c'\nto='a@b.c'\n";
        let e = parse_err(&format!("{smtp}auth='oauthbearer'\ntoken_command='x'\n"));
        assert!(e.contains("smtp.auth") && e.contains("xoauth2"), "{e}");
        let e = parse_err(&format!("{smtp}token_account='nobody'\n"));
        assert!(
            e.contains("smtp.token_account") && e.contains("nobody"),
            "{e}"
        );
        assert_eq!(parse_err(&format!("{smtp}token_command='x'\n")), "");
    }

    #[test]
    fn a_secret_command_is_bounded_in_time() {
        let started = std::time::Instant::now();
        let err = secret_command("password_command", "sleep 600", Duration::from_millis(300))
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.contains("did not finish within"), "{err}");
        // A command that leaves a child holding its output is stopped too.
        let err = secret_command(
            "password_command",
            "echo hi; sleep 600 &",
            Duration::from_millis(300),
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{err:?}");
        assert_eq!(
            secret_command("password_command", "echo s3cret", Duration::from_secs(5)).unwrap(),
            "s3cret\n"
        );
        let err = secret_command("password_command", "exit 7", Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("failed"), "{err}");
    }

    #[test]
    fn days() {
        assert_eq!(parse_days("60 days").unwrap(), 60);
        assert_eq!(parse_days("2 weeks").unwrap(), 14);
        assert!(parse_days("soon").is_err());
    }
}
