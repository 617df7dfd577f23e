//! `allears init`: the first config, from questions (standard input is a
//! terminal) or from flags (scripts). It asks for the few things that
//! differ between people (name, addresses, the mail server or provider, how
//! to log in, where the digest goes), writes them as an annotated
//! `digest.toml` readable by its owner only (mode 0600, as it may name a
//! password command), and runs `allears check` on it.
//!
//! The text is parsed by `config.rs` before it is written, so init never
//! leaves a config that allears would refuse. No secret is written: a
//! password comes from a command or an environment variable, a token from a
//! command or `allears login`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::InitArgs;
use crate::config::{Config, Origin};

/// A TOML string, quoted and escaped.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// What the owner said, flags first, then answers.
struct Answers {
    name: String,
    addresses: Vec<String>,
    provider: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    username: String,
    login: String,
    password_command: Option<String>,
    password_env: Option<String>,
    token_command: Option<String>,
    client_id: Option<String>,
    smtp: Option<SmtpAnswers>,
    ca_file: Option<PathBuf>,
    time: String,
    timezone: String,
}

struct SmtpAnswers {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
}

/// Questions on standard error, answers from standard input; only when it is a terminal.
struct Asker {
    on: bool,
}

impl Asker {
    fn ask(&self, question: &str, default: Option<&str>, flag: &str) -> Result<String> {
        if !self.on {
            if let Some(d) = default {
                return Ok(d.to_string());
            }
            bail!(crate::cli::Usage(format!(
                "init: {flag} is needed (standard input is not a terminal, so nothing can be asked)"
            )));
        }
        loop {
            match default {
                Some(d) if !d.is_empty() => eprint!("{question} [{d}]: "),
                _ => eprint!("{question}: "),
            }
            std::io::stderr().flush()?;
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                bail!("init: standard input ended before {flag} was answered");
            }
            let line = line.trim();
            if !line.is_empty() {
                return Ok(line.to_string());
            }
            if let Some(d) = default {
                return Ok(d.to_string());
            }
        }
    }

    /// One of `choices`; asked again until it is.
    fn choose(
        &self,
        question: &str,
        choices: &[&str],
        default: Option<&str>,
        flag: &str,
    ) -> Result<String> {
        loop {
            let a = self.ask(question, default, flag)?;
            if choices.contains(&a.as_str()) {
                return Ok(a);
            }
            if !self.on {
                bail!(crate::cli::Usage(format!(
                    "init: {flag} must be one of {}",
                    choices.join(", ")
                )));
            }
            eprintln!("  one of: {}", choices.join(", "));
        }
    }

    /// An optional answer: empty stays empty.
    fn maybe(&self, question: &str) -> Result<Option<String>> {
        if !self.on {
            return Ok(None);
        }
        let a = self.ask(question, Some(""), "")?;
        Ok((!a.is_empty()).then_some(a))
    }
}

pub(crate) fn run(config_flag: Option<&Path>, args: &InitArgs) -> Result<ExitCode> {
    let path = match config_flag {
        Some(p) => p.to_path_buf(),
        None => Config::default_path()?,
    };
    if path.exists() && !args.force {
        bail!(
            "{} is there already: edit it, or run `allears init --force` to replace it",
            path.display()
        );
    }
    let asker = Asker {
        on: std::io::stdin().is_terminal(),
    };
    if asker.on {
        eprintln!(
            "allears init: a few questions; the answers go to {} (Enter takes the [default])",
            path.display()
        );
    }
    let answers = gather(args, &asker)?;
    let text = render(&answers);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // Refuse before writing: the text must be a config allears reads.
    Config::parse(
        &text,
        Origin {
            file: Some(path.clone()),
            dir: std::path::absolute(&dir).unwrap_or(dir.clone()),
        },
    )
    .context("init: the answers do not make a valid config")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&path, &text, args.force)?;
    eprintln!(
        "wrote {} (mode 0600); every other key is described in the annotated digest.toml (README.md says where)",
        path.display()
    );
    if oauth_login_needed(&answers) {
        eprintln!("next: `allears login main` signs in to your provider once");
    }
    if args.no_check {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("running `allears check`:");
    let config = Config::from_file(&path)?;
    crate::check::run(&config)
}

fn oauth_login_needed(a: &Answers) -> bool {
    a.login != "password" && a.token_command.is_none()
}

/// Create the file readable and writable by its owner only; the mode is
/// set as it is created, so it is never readable by others, even briefly.
fn write_private(path: &Path, text: &str, replace: bool) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).mode(0o600);
    if replace {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    // An existing file replaced with --force keeps its old mode: make it 0600 too.
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn gather(args: &InitArgs, asker: &Asker) -> Result<Answers> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => asker.ask("Your name, as the digest greets you", None, "--name")?,
    };
    let addresses = if args.addresses.is_empty() {
        asker
            .ask(
                "The addresses you write from (comma-separated; the first gets the digest)",
                None,
                "--address",
            )?
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect()
    } else {
        args.addresses.clone()
    };
    let first = addresses.first().cloned().unwrap_or_default();
    let (provider, host) = match (&args.provider, &args.host) {
        (Some(p), _) => (Some(p.clone()), None),
        (None, Some(h)) => (None, Some(h.clone())),
        (None, None) => {
            let guess = guess_provider(&first);
            let a = asker.ask(
                "Your mail provider (gmail, microsoft365, fastmail, icloud) or your IMAP server's host name",
                guess,
                "--provider or --host",
            )?;
            if ["gmail", "microsoft365", "fastmail", "icloud"].contains(&a.as_str()) {
                (Some(a), None)
            } else {
                (None, Some(a))
            }
        }
    };
    let tls = match (&args.tls, &host) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(_)) if args.port.is_none() => Some(asker.choose(
            "TLS: implicit (port 993) or starttls (port 143)",
            &["implicit", "starttls"],
            Some("implicit"),
            "--tls",
        )?),
        _ => None,
    };
    let username = match &args.username {
        Some(u) => u.clone(),
        None => asker.ask(
            "Your login name",
            Some(&username_guess(&provider, &first)),
            "--username",
        )?,
    };
    let oauth_default = match provider.as_deref() {
        Some("gmail" | "microsoft365") => "xoauth2",
        _ => "password",
    };
    let login = match &args.login {
        Some(l) => l.clone(),
        None if args.token_command.is_some() || args.client_id.is_some() => "xoauth2".to_string(),
        None if args.password_command.is_some() || args.password_env.is_some() => {
            "password".to_string()
        }
        None => asker.choose(
            "How to log in: password (from a command or a variable), or xoauth2 (OAuth2)",
            &["password", "xoauth2", "oauthbearer"],
            Some(oauth_default),
            "--login",
        )?,
    };
    let (mut password_command, mut password_env) =
        (args.password_command.clone(), args.password_env.clone());
    let (mut token_command, mut client_id) = (args.token_command.clone(), args.client_id.clone());
    if login == "password" && password_command.is_none() && password_env.is_none() {
        password_command =
            asker.maybe("A command that prints the password (like `pass show mail/robin`; empty: an environment variable instead)")?;
        if password_command.is_none() {
            password_env = Some(asker.ask(
                "The environment variable that holds the password",
                None,
                "--password-command or --password-env",
            )?);
        }
    }
    if login != "password" && token_command.is_none() && client_id.is_none() {
        token_command = asker.maybe(
            "A command that prints an access token (oama, mutt_oauth2.py; empty: allears signs in itself)",
        )?;
        if token_command.is_none() {
            client_id = Some(asker.ask(
                "The OAuth2 client id you registered (README.md says how)",
                None,
                "--token-command or --client-id",
            )?);
        }
    }
    let smtp = if args.no_smtp {
        None
    } else if args.smtp_host.is_some() || args.smtp_port.is_some() || args.smtp_tls.is_some() {
        Some(SmtpAnswers {
            host: args.smtp_host.clone().or(host.clone()),
            port: args.smtp_port,
            tls: args.smtp_tls.clone(),
        })
    } else if provider.is_some() {
        Some(SmtpAnswers {
            host: None,
            port: None,
            tls: None,
        })
    } else {
        asker
            .maybe(
                "The SMTP server that sends you the digest (empty: write it to a folder instead)",
            )?
            .map(|h| SmtpAnswers {
                host: Some(h),
                port: None,
                tls: None,
            })
    };
    let zone = jiff::tz::TimeZone::system();
    let timezone = match &args.timezone {
        Some(t) => t.clone(),
        None => zone.iana_name().unwrap_or("").to_string(),
    };
    Ok(Answers {
        name,
        addresses,
        provider,
        host,
        port: args.port,
        tls,
        username,
        login,
        password_command,
        password_env,
        token_command,
        client_id,
        smtp,
        ca_file: args.ca_file.clone(),
        time: args.time.clone().unwrap_or_else(|| "07:30".to_string()),
        timezone,
    })
}

fn guess_provider(address: &str) -> Option<&'static str> {
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())?;
    Some(match domain.as_str() {
        "gmail.com" | "googlemail.com" => "gmail",
        "outlook.com" | "hotmail.com" | "live.com" => "microsoft365",
        "fastmail.com" | "fastmail.fm" => "fastmail",
        "icloud.com" | "me.com" | "mac.com" => "icloud",
        _ => return None,
    })
}

/// iCloud's IMAP login is the name part of the address; elsewhere the address.
fn username_guess(provider: &Option<String>, address: &str) -> String {
    match provider.as_deref() {
        Some("icloud") => address.split('@').next().unwrap_or(address).to_string(),
        _ => address.to_string(),
    }
}

/// The config's text, each key with a comment.
fn render(a: &Answers) -> String {
    let mut t = String::new();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .date();
    t.push_str(&format!(
        "# allears configuration, written by `allears init` on {today}.\n\
         # Every key allears knows, with its default, is described in the annotated\n\
         # digest.toml of allears' repository; README.md explains each part.\n\
         # Readable by you only (mode 0600). `allears check` tries it all.\n\n"
    ));
    let addrs: Vec<String> = a.addresses.iter().map(|x| q(x)).collect();
    t.push_str(&format!(
        "[owner]\n# Your name, as the digest greets you.\nname = {}\n\
         # Every address you write from: mail from these is yours, and your replies\n\
         # mark a reader's message answered. The first one gets the digest.\n\
         addresses = [{}]\n\n",
        q(&a.name),
        addrs.join(", ")
    ));
    t.push_str(
        "# The IMAP account allears reads, read-only: nothing is flagged, moved or deleted.\n[[account]]\nname = \"main\"\n",
    );
    if let Some(p) = &a.provider {
        t.push_str(&format!(
            "# Fills host, port and tls (and the OAuth2 endpoints); a key set here wins.\nprovider = {}\n",
            q(p)
        ));
    }
    if let Some(h) = &a.host {
        t.push_str(&format!("host = {}\n", q(h)));
    }
    if let Some(p) = a.port {
        t.push_str(&format!("port = {p}\n"));
    }
    if let Some(tls) = &a.tls {
        t.push_str(&format!(
            "# \"implicit\" (TLS from the first byte, port 993) or \"starttls\" (port 143).\ntls = {}\n",
            q(tls)
        ));
    }
    if let Some(ca) = &a.ca_file {
        t.push_str(&format!(
            "# A CA to trust beside the system's; certificates are always verified.\nca_file = {}\n",
            q(&ca.display().to_string())
        ));
    }
    t.push_str(&format!("username = {}\n", q(&a.username)));
    t.push_str(&login_keys(
        a,
        "# How allears logs in; no password is ever written here.\n",
    ));
    t.push_str(
        "# Folders to read (names or patterns like \"Lists/*\"); Sent is found by itself.\nfolders = [\"INBOX\"]\n\
         # How far back the first fetch reaches.\nsince = \"60 days\"\n",
    );
    if a.login != "password" && a.token_command.is_none() {
        t.push_str(&format!(
            "\n# allears' own OAuth2 client: `allears login main` signs in once.\n[account.oauth2]\nclient_id = {}\n",
            q(a.client_id.as_deref().unwrap_or(""))
        ));
    }
    t.push('\n');
    match &a.smtp {
        None => t.push_str(
            "# No [smtp]: the digest is written to this folder instead of mailed.\n[digest]\noutput = \"out\"\n\n",
        ),
        Some(s) => {
            t.push_str("# How the digest reaches you: sent through this server, to you.\n[smtp]\n");
            match (&s.host, &a.provider) {
                (Some(h), _) => t.push_str(&format!("host = {}\n", q(h))),
                (None, Some(p)) => t.push_str(&format!("provider = {}\n", q(p))),
                (None, None) => {}
            }
            if let Some(p) = s.port {
                t.push_str(&format!("port = {p}\n"));
            }
            if let Some(tls) = &s.tls {
                t.push_str(&format!(
                    "# \"starttls\" (port 587) or \"implicit\" (port 465).\ntls = {}\n",
                    q(tls)
                ));
            }
            if let Some(ca) = &a.ca_file {
                t.push_str(&format!("ca_file = {}\n", q(&ca.display().to_string())));
            }
            if a.login == "password" {
                t.push_str(&format!("username = {}\n", q(&a.username)));
                t.push_str(&login_keys(a, ""));
            } else {
                t.push_str("# The account's OAuth2 token and username (SMTP speaks XOAUTH2).\ntoken_account = \"main\"\n");
            }
            let first = a.addresses.first().cloned().unwrap_or_default();
            t.push_str(&format!(
                "from = {}\nto = {}\n\n",
                q(&format!("allears <{first}>")),
                q(&first)
            ));
        }
    }
    t.push_str(&format!(
        "[schedule]\n# When the daily digest is due, in your time zone.\ntime = {}\n\
         # IANA time zone name; empty: this machine's.\ntimezone = {}\n",
        q(&a.time),
        q(&a.timezone)
    ));
    t
}

/// The keys that say how to log in (with a leading comment).
fn login_keys(a: &Answers, comment: &str) -> String {
    let mut t = comment.to_string();
    if a.login != "password" {
        t.push_str(&format!("auth = {}\n", q(&a.login)));
    }
    if let Some(c) = &a.password_command {
        t.push_str(&format!("password_command = {}\n", q(c)));
    }
    if let Some(v) = &a.password_env {
        t.push_str(&format!("password_env = {}\n", q(v)));
    }
    if let Some(c) = &a.token_command {
        t.push_str(&format!("token_command = {}\n", q(c)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            name: "Robin \"Bob\" Ellis".into(),
            addresses: vec!["robin@example.org".into()],
            provider: Some("fastmail".into()),
            host: None,
            port: None,
            tls: None,
            username: "robin@example.org".into(),
            login: "password".into(),
            password_command: Some("pass show mail/robin".into()),
            password_env: None,
            token_command: None,
            client_id: None,
            smtp: Some(SmtpAnswers {
                host: None,
                port: None,
                tls: None,
            }),
            ca_file: None,
            time: "07:30".into(),
            timezone: "Europe/Lisbon".into(),
        }
    }

    #[test]
    fn what_init_writes_parses_as_a_config() {
        let text = render(&answers());
        let c = Config::parse(&text, Origin::default()).expect(&text);
        assert_eq!(c.owner.name, "Robin \"Bob\" Ellis");
        assert_eq!(c.account[0].host, "imap.fastmail.com");
        assert_eq!(
            c.smtp.as_ref().map(|s| s.host.as_str()),
            Some("smtp.fastmail.com")
        );
        let mut oauth = answers();
        oauth.provider = Some("gmail".into());
        oauth.login = "xoauth2".into();
        oauth.password_command = None;
        oauth.client_id = Some("1234.apps.googleusercontent.com".into());
        let text = render(&oauth);
        let c = Config::parse(&text, Origin::default()).expect(&text);
        assert!(c.account[0].token.is_some(), "{text}");
    }
}
