//! `allears check`: everything that can fail when the digest is due, tried
//! now: each IMAP account (`source/imap/check.rs`: connect, TLS, login,
//! folders), SMTP (connect, TLS, AUTH and QUIT through `send.rs`; nothing
//! is sent), the schedule and its time zone, the local sources, and the
//! folders allears writes to.
//!
//! A server that cannot be reached as configured is asked what its port
//! speaks ([`probe`]): a greeting in clear text means STARTTLS (or no TLS),
//! silence means TLS from the first byte, another protocol's greeting means
//! the wrong port. The hint says which setting to change; a certificate for
//! another host name gets its own.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::config::{Config, Tls};
use crate::text::visible;
use crate::ui::Paint;

/// What one part of the check found.
struct Part {
    title: String,
    lines: Vec<String>,
    problems: Vec<(String, Option<String>)>,
}

impl Part {
    fn new(title: impl Into<String>) -> Part {
        Part {
            title: title.into(),
            lines: Vec::new(),
            problems: Vec::new(),
        }
    }
}

pub(crate) fn run(config: &Config) -> Result<ExitCode> {
    let mut parts = Vec::new();
    let mut head = Part::new("config");
    head.lines.push(config.origin.name());
    if config.account.is_empty() && config.source.is_empty() {
        head.problems.push((
            "nothing to read: no [[account]] and no [[source]]".to_string(),
            Some("add an [[account]] (`allears init` writes one) or a [[source]] path".to_string()),
        ));
    }
    parts.push(head);
    for account in &config.account {
        let r = crate::source::imap::check_account(config, account);
        let mut part = Part::new(format!("account {}", r.account));
        part.lines = r.lines;
        for p in r.problems {
            let hint = hint_for(
                &p,
                r.unreached,
                Protocol::Imap,
                &account.host,
                account.port,
                account.tls,
            );
            part.problems.push((p, hint));
        }
        parts.push(part);
    }
    parts.push(smtp(config));
    parts.push(schedule(config));
    parts.push(folders(config));
    let paint = Paint::stdout();
    let mut bad = false;
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    for part in &parts {
        writeln!(w, "{}:", paint.bold(&visible(&part.title)))?;
        for l in &part.lines {
            if !crate::ui::quiet() {
                writeln!(w, "  {}", visible(l))?;
            }
        }
        for (p, hint) in &part.problems {
            writeln!(w, "  {} {}", paint.bad("PROBLEM:"), visible(p))?;
            eprintln!("allears: {}: {}", visible(&part.title), visible(p));
            if let Some(h) = hint {
                writeln!(w, "  {} {}", paint.hint("hint:"), visible(h))?;
                eprintln!("allears:   hint: {}", visible(h));
            }
        }
        if part.problems.is_empty() && !crate::ui::quiet() {
            writeln!(w, "  {}", paint.ok("ok"))?;
        }
        bad |= !part.problems.is_empty();
    }
    w.flush()?;
    Ok(if bad {
        ExitCode::from(crate::cli::exit::ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// `[smtp]`: connect, TLS, AUTH, QUIT; or where the digest is written instead.
fn smtp(config: &Config) -> Part {
    let mut part = Part::new("smtp");
    let Some(s) = &config.smtp else {
        part.lines.push(format!(
            "no [smtp]: the digest is written to {}",
            config.output_dir().display()
        ));
        return part;
    };
    let tls = match s.tls {
        Tls::Implicit => "implicit TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "no TLS (loopback)",
    };
    let who = s
        .username
        .as_deref()
        .map(|u| format!(" as {u}, auth {}", s.auth.mechanism()))
        .unwrap_or_else(|| ", no login".to_string());
    part.lines
        .push(format!("{}:{} ({tls}){who}", s.host, s.port));
    match crate::send::check(s, config) {
        Ok(()) => part.lines.push(format!(
            "connected{}, logged in, quit: nothing was sent",
            if s.tls == Tls::None {
                ""
            } else {
                ", TLS verified"
            }
        )),
        Err(e) => {
            let hint = hint_for(&e.text, !e.login, Protocol::Smtp, &s.host, s.port, s.tls);
            part.problems.push((e.text, hint));
        }
    }
    part.lines
        .push(format!("the digest goes from {} to {}", s.from, s.to));
    part
}

/// The schedule: when the next digest is due, in which zone.
fn schedule(config: &Config) -> Part {
    let mut part = Part::new("schedule");
    let zone = config.zone();
    let named = if config.schedule.timezone.is_empty() {
        match zone.iana_name() {
            Some(n) => format!("{n} (this machine's zone)"),
            None => {
                part.problems.push((
                    "[schedule] timezone is not set and this machine's time zone has no name (UTC is used)".to_string(),
                    Some("set [schedule] timezone = \"Europe/Lisbon\" (your IANA zone)".to_string()),
                ));
                "UTC".to_string()
            }
        }
    } else {
        config.schedule.timezone.clone()
    };
    match crate::schedule::Daily::new(&config.schedule.time, zone.clone()) {
        Ok(daily) => match daily.next(crate::clock::now()) {
            Ok(next) => part.lines.push(format!(
                "daily at {} {named}; the next digest is due {}",
                config.schedule.time,
                next.at
                    .to_zoned_datetime(zone)
                    .strftime("%a %Y-%m-%d %H:%M %Z")
            )),
            Err(e) => part.problems.push((format!("{e:#}"), None)),
        },
        Err(e) => part
            .problems
            .push((format!("[schedule] time: {e:#}"), None)),
    }
    if config.smtp.is_none() {
        part.lines.push(
            "without [smtp] `allears run` writes the digest when it is due, to the output folder"
                .to_string(),
        );
    }
    part
}

/// The local sources can be read, and the folders allears writes to can be written.
fn folders(config: &Config) -> Part {
    let mut part = Part::new("folders");
    for s in &config.source {
        let p = config.resolve(&s.path);
        match std::fs::metadata(&p) {
            Ok(_) => part.lines.push(format!("source {}: there", p.display())),
            Err(e) => part.problems.push((
                format!("source {}: {e}", p.display()),
                Some(
                    "fix [[source]] path (relative paths start at the config's folder)".to_string(),
                ),
            )),
        }
    }
    let db = config.db_path();
    let store_dir = db.parent().unwrap_or(Path::new("."));
    let out = config.output_dir();
    for (what, dir) in [("store", store_dir), ("digest output", out.as_path())] {
        match writable(dir) {
            Ok(how) => part.lines.push(format!("{what} {}: {how}", dir.display())),
            Err(e) => part
                .problems
                .push((format!("{what} {}: {e}", dir.display()), None)),
        }
    }
    part
}

/// Whether files can be made in `dir` (or, when it is not there yet, in the
/// nearest folder above it, where allears would make it): a file is made
/// and removed at once.
fn writable(dir: &Path) -> Result<String, String> {
    let mut at = dir;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => return Err("no folder above it exists".to_string()),
        }
    }
    if !at.is_dir() {
        return Err(format!("{} is not a folder", at.display()));
    }
    let probe = at.join(format!(".allears-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write in {}: {e}", at.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(if at == dir {
        "writable".to_string()
    } else {
        format!("made on the first run (in {}, writable)", at.display())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Imap,
    Smtp,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Smtp => "SMTP",
        }
    }

    /// The usual ports: implicit TLS, then STARTTLS.
    fn ports(self) -> (u16, u16) {
        match self {
            Protocol::Imap => (993, 143),
            Protocol::Smtp => (465, 587),
        }
    }

    /// The greeting this protocol's server sends first (RFC 9051 7.1, RFC 5321 4.2).
    fn greets(self, line: &str) -> bool {
        match self {
            Protocol::Imap => line.starts_with("* OK") || line.starts_with("* PREAUTH"),
            Protocol::Smtp => line.starts_with("220"),
        }
    }
}

/// What a port does when a client connects and says nothing.
#[derive(Debug)]
enum Heard {
    /// It sent this line in clear text.
    Greeting(String),
    /// Nothing within the wait, and a TLS handshake went through (or failed
    /// only on the certificate): TLS from the first byte.
    Tls,
    /// Nothing, and no TLS either.
    Silence,
    Refused,
    Unreachable(String),
}

/// Connect and listen: a clear-text greeting, or silence then a TLS handshake.
fn probe(host: &str, port: u16, wait: Duration) -> Heard {
    let addr = match (host, port).to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        Ok(None) => return Heard::Unreachable("no address".into()),
        Err(e) => return Heard::Unreachable(e.to_string()),
    };
    let connect = || TcpStream::connect_timeout(&addr, wait);
    let mut tcp = match connect() {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Heard::Refused,
        Err(e) => return Heard::Unreachable(e.to_string()),
    };
    let _ = tcp.set_read_timeout(Some(wait));
    let mut buf = [0u8; 256];
    match tcp.read(&mut buf) {
        Ok(n) if n > 0 => {
            let text = String::from_utf8_lossy(&buf[..n]);
            let line = text.lines().next().unwrap_or("").to_string();
            return Heard::Greeting(crate::text::clip(&line, 80));
        }
        Ok(_) => return Heard::Silence,
        Err(_) => {}
    }
    // Silence: does it speak TLS? A fresh connection, so the handshake starts clean.
    let Ok(tcp) = connect() else {
        return Heard::Silence;
    };
    let _ = tcp.set_read_timeout(Some(wait));
    let _ = tcp.set_write_timeout(Some(wait));
    let Ok(connector) = native_tls::TlsConnector::new() else {
        return Heard::Silence;
    };
    let name = host.trim_matches(|c| c == '[' || c == ']');
    match connector.connect(name, tcp) {
        Ok(_) => Heard::Tls,
        Err(native_tls::HandshakeError::Failure(e)) if e.to_string().contains("certificate") => {
            Heard::Tls
        }
        Err(_) => Heard::Silence,
    }
}

/// A hint for a problem: what the certificate or the port says about the settings.
fn hint_for(
    problem: &str,
    unreached: bool,
    proto: Protocol,
    host: &str,
    port: u16,
    tls: Tls,
) -> Option<String> {
    let lower = problem.to_ascii_lowercase();
    if lower.contains("hostname mismatch") || lower.contains("ip address mismatch") {
        return Some(format!(
            "the server's certificate is for another name than {host}: set host to the name on its certificate (the one your provider documents), not an alias or an address"
        ));
    }
    if lower.contains("certificate") && lower.contains("verif") {
        return Some(
            "the certificate is not signed by a CA this machine trusts: for a private server, set ca_file to its CA certificate"
                .to_string(),
        );
    }
    if !unreached {
        return None;
    }
    let (implicit_port, starttls_port) = proto.ports();
    let name = proto.name();
    let heard = probe(host, port, Duration::from_secs(3));
    Some(match heard {
        Heard::Greeting(line) if proto.greets(&line) => match tls {
            Tls::Implicit => format!(
                "port {port} greets in clear text (“{line}”): it wants STARTTLS, not implicit TLS; set tls = \"starttls\", or port = {implicit_port} for implicit TLS"
            ),
            _ => return None,
        },
        Heard::Greeting(line) => {
            let other = [Protocol::Imap, Protocol::Smtp]
                .into_iter()
                .find(|p| *p != proto && p.greets(&line));
            match other {
                Some(o) => format!(
                    "port {port} is an {} server (it greets “{line}”), not {name}: {name} is usually port {implicit_port} (implicit TLS) or {starttls_port} (STARTTLS)",
                    o.name()
                ),
                None => format!(
                    "port {port} answers “{line}”, not as an {name} server does: {name} is usually port {implicit_port} (implicit TLS) or {starttls_port} (STARTTLS)"
                ),
            }
        }
        Heard::Tls if tls != Tls::Implicit => format!(
            "port {port} speaks TLS from the first byte: set tls = \"implicit\", or port = {starttls_port} for STARTTLS"
        ),
        Heard::Tls | Heard::Silence => format!(
            "port {port} waits without a word: is it the {name} port? {name} is usually {implicit_port} (implicit TLS) or {starttls_port} (STARTTLS)"
        ),
        Heard::Refused => format!(
            "nothing listens on {host}:{port}: {name} is usually port {implicit_port} (implicit TLS) or {starttls_port} (STARTTLS)"
        ),
        Heard::Unreachable(e) => {
            format!("{host}:{port} cannot be reached ({e}): a firewall, or the wrong host?")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_for_another_name_gets_its_hint_without_a_probe() {
        let h = hint_for(
            "TLS certificate verification failed for localhost: error:0A000086:SSL routines::certificate verify failed (Hostname mismatch)",
            true,
            Protocol::Imap,
            "localhost",
            1,
            Tls::Implicit,
        )
        .unwrap();
        assert!(h.contains("certificate is for another name"), "{h}");
        assert_eq!(
            hint_for(
                "login as robin failed",
                false,
                Protocol::Imap,
                "localhost",
                1,
                Tls::Implicit
            ),
            None
        );
    }

    #[test]
    fn writable_looks_above_a_folder_not_made_yet() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(writable(dir.path()).unwrap(), "writable");
        let later = dir.path().join("out/deeper");
        assert!(
            writable(&later)
                .unwrap()
                .starts_with("made on the first run")
        );
        assert!(!later.exists(), "checking makes nothing");
    }
}
