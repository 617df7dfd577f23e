//! `digest.toml`: what allears reads, who the owner is, where the digest goes.
//!
//! The file is deserialized into the structs below with unknown keys refused, so
//! a typo is an error that names the key and the file rather than a silently
//! ignored setting. `digest.toml` at the repository root is both the embedded
//! default and the annotated reference; a test parses it. Relative paths are
//! resolved against the folder of the config file. Secrets live in [`Secret`],
//! which never prints its value.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

pub(crate) use crate::owner::Owner;

/// The default configuration, compiled in: used when no file is found.
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
    /// The file, or `None` for the embedded default.
    pub file: Option<PathBuf>,
    /// The folder relative paths are resolved against.
    pub dir: PathBuf,
}

impl Origin {
    pub fn name(&self) -> String {
        match &self.file {
            Some(f) => f.display().to_string(),
            None => "the embedded default digest.toml".to_string(),
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
}

fn default_output() -> PathBuf {
    PathBuf::from("out")
}
fn default_subject() -> String {
    "Your readers, {date}".to_string()
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Account {
    pub name: String,
    pub host: String,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    #[serde(default = "default_imap_tls")]
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    #[serde(flatten)]
    pub password: Secret,
    #[serde(default = "default_folders")]
    pub folders: Vec<String>,
    pub sent_folder: Option<String>,
    /// How far back the first sync of a folder reaches, like "60 days".
    pub since: Option<String>,
    /// Messages fetched per round trip and per transaction.
    #[serde(default = "default_batch")]
    pub batch: u32,
    /// Seconds before a silent server counts as gone.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_imap_port() -> u16 {
    993
}
fn default_imap_tls() -> Tls {
    Tls::Implicit
}
fn default_folders() -> Vec<String> {
    vec!["INBOX".to_string()]
}
fn default_batch() -> u32 {
    500
}
fn default_timeout() -> u64 {
    60
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Smtp {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_smtp_tls")]
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    #[serde(flatten)]
    pub password: Secret,
    pub from: String,
    pub to: String,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> Tls {
    Tls::Starttls
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

impl Config {
    /// Find and read the config: `--config`, else `./digest.toml`, else the XDG
    /// config dir, else the embedded default.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        if let Some(path) = explicit {
            return Self::from_file(path);
        }
        let here = PathBuf::from("digest.toml");
        if here.is_file() {
            return Self::from_file(&here);
        }
        if let Some(xdg) = xdg_config_file()
            && xdg.is_file()
        {
            return Self::from_file(&xdg);
        }
        let dir = std::env::current_dir().context("reading the current directory")?;
        Self::parse(
            EMBEDDED,
            Origin {
                file: None,
                dir: dir.clone(),
            },
        )
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
            if !a.password.is_set() {
                bail!(
                    "{file}: account[{i}] ({}): set password_command or password_env",
                    a.name
                );
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
            if s.username.is_some() && !s.password.is_set() {
                bail!("{file}: smtp: a username needs password_command or password_env");
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("reading permissions of {}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{}: a plain `password` is refused because the file is readable by group or others (mode {:o}); chmod 600 it, or use password_command / password_env",
                    path.display(),
                    mode & 0o777
                );
            }
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
