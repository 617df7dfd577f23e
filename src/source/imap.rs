//! The IMAP source: connect to the owner's accounts, read each configured
//! folder read-only, and hand new messages to the store batch by batch.
//!
//! Before it: `config.rs` (the `[[account]]` entries). After it: the same
//! pipeline as local mail (`import::pipeline`: parse, classify, then
//! `Store::save_batch`), which commits a batch's messages together with the
//! folder's checkpoint (UIDVALIDITY, last UID) in one transaction, so a run
//! cut short anywhere resumes from the last committed batch with nothing lost
//! and nothing stored twice.
//!
//! Read-only by construction (RFC 3501): folders are opened with EXAMINE
//! (section 6.3.2) and bodies read with `BODY.PEEK[]` (section 6.4.5), so no
//! flag changes; STORE, EXPUNGE, COPY and MOVE are never sent. Only UIDs above
//! the checkpoint are fetched (`UID FETCH`, section 6.4.8); a new UIDVALIDITY
//! (section 2.3.1.1) makes the old UIDs meaningless, so the folder is synced
//! again from scratch and deduplicated by Message-ID. The Sent folder is found
//! by its `\Sent` attribute (RFC 6154) when not configured.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::config::{Account, Config, Owner, Tls};
use crate::import::Mark;
use crate::store::{Checkpoint, Counts, Location, Store};

/// A batch is also cut at this many bytes, so one batch of large attachments
/// cannot blow memory up (one bigger message still goes alone).
const BATCH_BYTES: u64 = 16 << 20;

/// Anything an IMAP session can run over: plain TCP or TLS.
pub(crate) trait Stream: Read + Write + Send {
    /// The socket's read timeout, which an IDLE wait (RFC 2177) bounds itself with.
    fn set_read_timeout(&mut self, t: Option<std::time::Duration>) -> std::io::Result<()>;
}

impl Stream for TcpStream {
    fn set_read_timeout(&mut self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        TcpStream::set_read_timeout(self, t)
    }
}

impl Stream for native_tls::TlsStream<TcpStream> {
    fn set_read_timeout(&mut self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        self.get_ref().set_read_timeout(t)
    }
}

impl imap::extensions::idle::SetReadTimeout for Box<dyn Stream> {
    fn set_read_timeout(&mut self, t: Option<std::time::Duration>) -> imap::error::Result<()> {
        Stream::set_read_timeout(self.as_mut(), t).map_err(imap::Error::Io)
    }
}

pub(crate) type Session = imap::Session<Box<dyn Stream>>;

/// The session's stream, with a second handle for the bulk FETCH reader
/// ([`uid_fetch`]): the imap crate (3.0.0-alpha.15) parses a response again
/// from its start at every line it reads, which made IMAP parsing about 15%
/// of a cold fetch's CPU. The two never read at the same time: the session
/// is idle while a FETCH runs.
#[derive(Clone)]
pub(crate) struct Shared(std::sync::Arc<std::sync::Mutex<Box<dyn Stream>>>);

impl Shared {
    fn new(stream: Box<dyn Stream>) -> Shared {
        Shared(std::sync::Arc::new(std::sync::Mutex::new(stream)))
    }

    fn lock(&self) -> std::io::Result<std::sync::MutexGuard<'_, Box<dyn Stream>>> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the IMAP stream was poisoned by a panic"))
    }
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.lock()?.read(buf)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lock()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.lock()?.flush()
    }
}

impl Stream for Shared {
    fn set_read_timeout(&mut self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        self.lock()?.set_read_timeout(t)
    }
}

/// Why an account could not be used. `check` prints it as is; `fetch` adds
/// whether the next run will simply resume.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Problem {
    #[error("cannot resolve host {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("{host}:{port} refused the connection (is the server running, is the port right?)")]
    Refused { host: String, port: u16 },
    #[error("no answer from {host}:{port} within {secs} s")]
    Timeout { host: String, port: u16, secs: u64 },
    #[error("cannot connect to {host}:{port}: {detail}")]
    Connect {
        host: String,
        port: u16,
        detail: String,
    },
    #[error("TLS certificate verification failed for {host}: {detail}")]
    TlsVerify { host: String, detail: String },
    #[error("TLS with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("login as {user} on {host} failed: {detail}")]
    Login {
        user: String,
        host: String,
        detail: String,
    },
    #[error("password for account {account}: {detail}")]
    Password { account: String, detail: String },
    #[error("{0}")]
    Protocol(String),
}

/// What happened to one folder in a fetch.
#[derive(Debug, Default)]
pub(crate) struct FolderReport {
    pub folder: String,
    pub counts: Counts,
    /// UIDs the server listed but returned no body for (expunged meanwhile).
    pub unfetched: usize,
    /// The folder's UIDVALIDITY changed and it was synced again.
    pub resynced: bool,
    pub error: Option<String>,
}

/// What happened to one account in a fetch.
#[derive(Debug, Default)]
pub(crate) struct AccountReport {
    pub account: String,
    pub folders: Vec<FolderReport>,
    /// Why the account (or the rest of it) could not be fetched.
    pub error: Option<String>,
}

impl AccountReport {
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.folders.iter().any(|f| f.error.is_some())
    }
}

/// Fetch every configured account (or only `only`); one failing does not stop the others.
pub(crate) fn fetch_accounts(
    store: &mut Store,
    config: &Config,
    only: Option<&str>,
) -> Vec<AccountReport> {
    config
        .account
        .iter()
        .filter(|a| only.is_none_or(|o| o == a.name))
        .map(|a| fetch_account(store, config, a))
        .collect()
}

fn fetch_account(store: &mut Store, config: &Config, account: &Account) -> AccountReport {
    let mut report = AccountReport {
        account: account.name.clone(),
        ..AccountReport::default()
    };
    let (mut session, shared) = match login_shared(config, account) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    let folders = match folders_to_fetch(&mut session, account) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(format!("listing folders: {e:#}"));
            return report;
        }
    };
    for missing in &folders.missing {
        report.folders.push(FolderReport {
            folder: missing.clone(),
            error: Some(format!("no folder named \"{missing}\" on the server")),
            ..FolderReport::default()
        });
    }
    for folder in &folders.chosen {
        let mut fr = FolderReport {
            folder: folder.name.clone(),
            ..FolderReport::default()
        };
        let outcome = sync_folder(
            store,
            &config.owner,
            account,
            (&mut session, &shared),
            folder,
            &mut fr,
        );
        if let Err(e) = outcome {
            fr.error = Some(format!("{e:#}"));
            let broken = e.downcast_ref::<Broken>().is_some();
            report.folders.push(fr);
            if broken {
                report.error = Some(
                    "the connection broke; the rest of this account waits for the next run, which resumes after the last saved batch".to_string(),
                );
                return report;
            }
            continue;
        }
        report.folders.push(fr);
    }
    let _ = session.logout();
    report
}

/// Open a connection as the account says, read the greeting, log in.
pub(crate) fn login(config: &Config, account: &Account) -> Result<Session, Problem> {
    login_shared(config, account).map(|(session, _)| session)
}

/// [`login`], with a second handle on the session's stream.
fn login_shared(config: &Config, account: &Account) -> Result<(Session, Shared), Problem> {
    let (client, shared) = connect(config, account)?;
    let password = account.password.reveal().map_err(|e| Problem::Password {
        account: account.name.clone(),
        detail: format!("{e:#}"),
    })?;
    if password.contains(['\r', '\n']) {
        return Err(Problem::Password {
            account: account.name.clone(),
            detail: "it contains a line break".to_string(),
        });
    }
    let session = client
        .login(&account.username, &password)
        .map_err(|(e, _)| Problem::Login {
            user: account.username.clone(),
            host: account.host.clone(),
            detail: imap_error(&e, account.timeout_secs),
        })?;
    Ok((session, shared))
}

/// TCP (with timeouts), then TLS as configured; the greeting is read.
fn connect(
    config: &Config,
    account: &Account,
) -> Result<(imap::Client<Box<dyn Stream>>, Shared), Problem> {
    let tcp = tcp_connect(&account.host, account.port, account.timeout_secs)?;
    let (stream, greeting): (Box<dyn Stream>, bool) = match account.tls {
        Tls::None => (Box::new(tcp), true),
        Tls::Implicit => (Box::new(tls_wrap(config, account, tcp)?), true),
        // RFC 3501 section 6.2.1: no new greeting after STARTTLS.
        Tls::Starttls => {
            let tcp = starttls(tcp, account)?;
            (Box::new(tls_wrap(config, account, tcp)?), false)
        }
    };
    let shared = Shared::new(stream);
    let mut client = imap::Client::new(Box::new(shared.clone()) as Box<dyn Stream>);
    if greeting {
        client
            .read_greeting()
            .map_err(|e| protocol("reading the greeting", &e, account))?;
    } else {
        client.greeting_read = true;
    }
    Ok((client, shared))
}

/// RFC 3501 section 6.2.1 by hand: greeting, `STARTTLS`, tagged OK. The
/// imap crate's client keeps this step private; nothing else is sent in
/// clear, and nothing the server sends before the handshake is trusted.
fn starttls(tcp: TcpStream, account: &Account) -> Result<TcpStream, Problem> {
    let fail = |detail: String| {
        Problem::Protocol(format!(
            "STARTTLS with {}:{}: {detail}",
            account.host, account.port
        ))
    };
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            fail(format!("no answer within {} s", account.timeout_secs))
        }
        _ => fail(e.to_string()),
    };
    let mut reader = std::io::BufReader::new(&tcp);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(io)?;
    if !line.starts_with("* OK") && !line.starts_with("* PREAUTH") {
        return Err(fail(format!("unexpected greeting {:?}", line.trim_end())));
    }
    (&tcp).write_all(b"s1 STARTTLS\r\n").map_err(io)?;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            return Err(fail("the server closed the connection".to_string()));
        }
        if let Some(status) = line.strip_prefix("s1 ") {
            if status.starts_with("OK") {
                break;
            }
            return Err(fail(format!("the server refused: {}", status.trim_end())));
        }
    }
    if !reader.buffer().is_empty() {
        return Err(fail(
            "data after the STARTTLS answer (refused: RFC 3501 section 6.2.1)".to_string(),
        ));
    }
    drop(reader);
    Ok(tcp)
}

fn protocol(what: &str, e: &imap::Error, account: &Account) -> Problem {
    Problem::Protocol(format!(
        "{what} from {}:{}: {}",
        account.host,
        account.port,
        imap_error(e, account.timeout_secs)
    ))
}

/// An imap error in words; read timeouts say so.
fn imap_error(e: &imap::Error, timeout_secs: u64) -> String {
    match e {
        imap::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            format!("no answer within {timeout_secs} s")
        }
        imap::Error::ConnectionLost => "the server closed the connection".to_string(),
        other => other.to_string(),
    }
}

fn tcp_connect(host: &str, port: u16, timeout_secs: u64) -> Result<TcpStream, Problem> {
    let timeout = Duration::from_secs(timeout_secs.max(1));
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Problem::Dns {
            host: host.to_string(),
            detail: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(Problem::Dns {
            host: host.to_string(),
            detail: "no address".to_string(),
        });
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => {
                let set = tcp
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| tcp.set_write_timeout(Some(timeout)));
                if let Err(e) = set {
                    last = Some(e);
                    continue;
                }
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::other("no address to try"));
    Err(match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Problem::Refused {
            host: host.to_string(),
            port,
        },
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Problem::Timeout {
            host: host.to_string(),
            port,
            secs: timeout_secs,
        },
        _ => Problem::Connect {
            host: host.to_string(),
            port,
            detail: e.to_string(),
        },
    })
}

/// TLS over `tcp` with the system roots plus `ca_file`; the certificate and
/// the host name are always verified.
fn tls_wrap(
    config: &Config,
    account: &Account,
    tcp: TcpStream,
) -> Result<native_tls::TlsStream<TcpStream>, Problem> {
    let host = &account.host;
    let tls_err = |detail: String| Problem::Tls {
        host: host.clone(),
        detail,
    };
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(ca) = &account.ca_file {
        let path = config.resolve(ca);
        let pem = std::fs::read(&path)
            .map_err(|e| tls_err(format!("reading ca_file {}: {e}", path.display())))?;
        let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
            tls_err(format!(
                "ca_file {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder.add_root_certificate(cert);
    }
    let connector = builder.build().map_err(|e| tls_err(e.to_string()))?;
    // The name checked against the certificate: brackets off an IPv6 literal.
    let name = host.trim_matches(|c| c == '[' || c == ']');
    connector.connect(name, tcp).map_err(|e| {
        let detail = match e {
            native_tls::HandshakeError::Failure(e) => e.to_string(),
            native_tls::HandshakeError::WouldBlock(_) => {
                format!("no answer within {} s", account.timeout_secs)
            }
        };
        if detail.contains("certificate verify failed") || detail.contains("verify") {
            Problem::TlsVerify {
                host: host.clone(),
                detail,
            }
        } else {
            tls_err(detail)
        }
    })
}

/// One folder to fetch.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    /// In UTF-8: what patterns match, what places, checkpoints and reports say.
    pub name: String,
    /// As the server spells it (modified UTF-7, RFC 3501 section 5.1.3), for EXAMINE.
    pub wire: String,
    /// The owner's Sent folder.
    pub sent: bool,
}

/// The folders one account's patterns choose, and literal names not found.
#[derive(Debug, Default)]
pub(crate) struct Folders {
    /// In server order, each once.
    pub chosen: Vec<Folder>,
    pub missing: Vec<String>,
    /// Patterns with wildcards that matched nothing.
    pub unmatched: Vec<String>,
    pub sent: Option<String>,
}

/// LIST everything, then match the account's names and patterns; add the Sent folder.
pub(crate) fn folders_to_fetch(session: &mut Session, account: &Account) -> Result<Folders> {
    let names = session.list(None, Some("*")).context("LIST")?;
    // (wire name, UTF-8 name, has \Sent, delimiter)
    let mut all: Vec<(String, String, bool, char)> = Vec::new();
    for n in names.iter() {
        let attrs = n.attributes();
        let selectable = !attrs.iter().any(|a| {
            matches!(a, imap_proto::NameAttribute::NoSelect)
                || matches!(a, imap_proto::NameAttribute::Extension(x) if x.eq_ignore_ascii_case("\\NonExistent"))
        });
        let is_sent = attrs
            .iter()
            .any(|a| matches!(a, imap_proto::NameAttribute::Sent));
        let delim = n.delimiter().and_then(|d| d.chars().next()).unwrap_or('/');
        if selectable {
            all.push((n.name().to_string(), decode_mutf7(n.name()), is_sent, delim));
        }
    }
    let mut out = Folders {
        sent: account
            .sent_folder
            .clone()
            .or_else(|| all.iter().find(|f| f.2).map(|f| f.1.clone())),
        ..Folders::default()
    };
    let mut seen = HashSet::new();
    for pattern in &account.folders {
        let wild = pattern.contains(['*', '%', '?']);
        let mut matched = false;
        for (wire, name, _, delim) in &all {
            if folder_matches(pattern, name, *delim) {
                matched = true;
                if seen.insert(name.clone()) {
                    out.chosen.push(Folder {
                        name: name.clone(),
                        wire: wire.clone(),
                        sent: false,
                    });
                }
            }
        }
        if !matched {
            if wild {
                out.unmatched.push(pattern.clone());
            } else {
                out.missing.push(pattern.clone());
            }
        }
    }
    if let Some(sent) = &out.sent {
        match all.iter().find(|f| &f.1 == sent) {
            Some((wire, ..)) => {
                if seen.insert(sent.clone()) {
                    out.chosen.push(Folder {
                        name: sent.clone(),
                        wire: wire.clone(),
                        sent: true,
                    });
                } else if let Some(c) = out.chosen.iter_mut().find(|c| &c.name == sent) {
                    c.sent = true;
                }
            }
            None if account.sent_folder.is_some() => out.missing.push(sent.clone()),
            None => {}
        }
    }
    Ok(out)
}

/// A mailbox name from the server in UTF-8: RFC 3501 section 5.1.3's
/// modified UTF-7 ("&" starts modified base64 of UTF-16BE, "-" ends it, "&-"
/// is "&"). A name that does not decode is kept as sent.
pub(crate) fn decode_mutf7(wire: &str) -> String {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b',' => 63,
            _ => return None,
        } as u32)
    }
    let decode = || -> Option<String> {
        let mut out = String::new();
        let mut rest = wire;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let end = after.find('-')?;
            let b64 = &after.as_bytes()[..end];
            if b64.is_empty() {
                out.push('&');
            } else {
                let (mut bits, mut nbits, mut units) = (0u32, 0u32, Vec::new());
                for &c in b64 {
                    bits = (bits << 6) | sextet(c)?;
                    nbits += 6;
                    if nbits >= 16 {
                        nbits -= 16;
                        units.push((bits >> nbits) as u16);
                        bits &= (1 << nbits) - 1;
                    }
                }
                out.push_str(&String::from_utf16(&units).ok()?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    };
    decode().unwrap_or_else(|| wire.to_string())
}

/// RFC 3501 section 6.3.8 wildcards: `*` matches anything, `%` anything but
/// the hierarchy delimiter; `?` one character. INBOX is case-insensitive
/// (section 5.1), other names are not.
pub(crate) fn folder_matches(pattern: &str, name: &str, delim: char) -> bool {
    let fold = |s: &str| -> String {
        // get() keeps a hostile name from slicing inside a UTF-8 character.
        match (s.get(..5), s.get(5..)) {
            (Some(head), Some(rest)) if head.eq_ignore_ascii_case("INBOX") => {
                format!("INBOX{rest}")
            }
            _ => s.to_string(),
        }
    };
    let p: Vec<char> = fold(pattern).chars().collect();
    let n: Vec<char> = fold(name).chars().collect();
    glob(&p, &n, delim)
}

/// Wildcard match by dynamic programming: `ok[i][j]` says whether pattern
/// `p[i..]` matches name `n[j..]`. O(len(p) * len(n)) whatever the name, so a
/// hostile folder name cannot make it blow up.
fn glob(p: &[char], n: &[char], delim: char) -> bool {
    let mut ok = vec![vec![false; n.len() + 1]; p.len() + 1];
    ok[p.len()][n.len()] = true;
    for i in (0..p.len()).rev() {
        for j in (0..=n.len()).rev() {
            ok[i][j] = match p[i] {
                // Match nothing here, or one more character.
                '*' => ok[i + 1][j] || (j < n.len() && ok[i][j + 1]),
                '%' => ok[i + 1][j] || (j < n.len() && n[j] != delim && ok[i][j + 1]),
                '?' => j < n.len() && ok[i + 1][j + 1],
                c => j < n.len() && n[j] == c && ok[i + 1][j + 1],
            };
        }
    }
    ok[0][0]
}

/// The connection is gone: the caller stops this account for this run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Broken(String);

/// One planned round trip: UIDs (ascending) and their total size.
struct Plan {
    uids: Vec<u32>,
}

/// Fetch one folder's new messages and store them, batch by batch, each with its checkpoint.
fn sync_folder(
    store: &mut Store,
    owner: &Owner,
    account: &Account,
    (session, shared): (&mut Session, &Shared),
    target: &Folder,
    report: &mut FolderReport,
) -> Result<()> {
    let (folder, sent) = (target.name.as_str(), target.sent);
    let broken = |what: String, e: imap::Error| -> anyhow::Error {
        Broken(format!("{what}: {}", imap_error(&e, account.timeout_secs))).into()
    };
    let mailbox = session.examine(&target.wire).map_err(|e| match e {
        imap::Error::No(no) => anyhow!("cannot open \"{folder}\": {no}"),
        other => broken(format!("EXAMINE {folder}"), other),
    })?;
    let uidvalidity = mailbox
        .uid_validity
        .ok_or_else(|| anyhow!("the server gave no UIDVALIDITY for \"{folder}\""))?;
    let mut start = 1u32;
    let mut first_sync = true;
    match store.checkpoint(&account.name, folder)? {
        Some(cp) if cp.uidvalidity == uidvalidity => {
            start = cp.last_uid.saturating_add(1);
            first_sync = false;
        }
        Some(cp) => {
            tracing::info!(
                "{}/{folder}: UIDVALIDITY changed ({} -> {uidvalidity}); syncing the folder again",
                account.name,
                cp.uidvalidity
            );
            store.reset_folder(&account.name, folder)?;
            report.resynced = true;
        }
        None => {}
    }
    // Nothing new: UIDs are assigned in ascending order (RFC 3501 section 2.3.1.1).
    if mailbox.exists == 0 || mailbox.uid_next.is_some_and(|next| next <= start) {
        return Ok(());
    }
    let candidates = list_new((session, shared), account, folder, start, first_sync)
        .map_err(|e| broken(format!("listing new UIDs of {folder}"), e))?;
    let top = candidates.iter().map(|c| c.0).max().unwrap_or(0);
    let plans = plan_batches(&candidates, account.batch as usize);
    let total: usize = plans.iter().map(|p| p.uids.len()).sum();
    let bar =
        crate::import::progress_bar(Some(total as u64), &format!("{}/{folder}", account.name));
    let place = format!("imap:{}/{folder}", account.name);
    let result = fetch_and_store(
        store,
        owner,
        shared,
        account,
        folder,
        uidvalidity,
        plans,
        &place,
        sent,
        report,
        &bar,
    );
    bar.finish_and_clear();
    result?;
    // Everything below UIDNEXT (or the highest UID listed) is now accounted for,
    // including messages `since` left out on purpose.
    let reached = mailbox
        .uid_next
        .map_or(top, |n| n.saturating_sub(1))
        .max(top);
    if reached >= start {
        let cp = Checkpoint {
            uidvalidity,
            last_uid: reached,
        };
        store.save_batch(&[], Some((&account.name, folder, cp)))?;
    }
    Ok(())
}

/// (UID, size) of every message at or above `start`; on a first sync with
/// `since`, only those the server dates on or after it (RFC 3501 SEARCH SINCE).
/// UIDs come from `UID SEARCH` (a few bytes each); sizes are asked for in
/// bounded chunks, so a folder of any size never makes one huge response.
fn list_new(
    (session, shared): (&mut Session, &Shared),
    account: &Account,
    folder: &str,
    start: u32,
    first_sync: bool,
) -> std::result::Result<Vec<(u32, u64)>, imap::Error> {
    const SIZES_PER_ROUND_TRIP: usize = 5000;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {start}:*"))?
        .into_iter()
        // "N:*" with N above the highest UID still matches the last message (RFC 3501 6.4.8).
        .filter(|uid| *uid >= start)
        .collect();
    if first_sync && let Some(since) = &account.since {
        let days = crate::config::parse_days(since).unwrap_or(0);
        let date = imap_date_days_ago(days);
        let keep = session.uid_search(format!("SINCE {date}"))?;
        tracing::debug!(
            "{}/{folder}: since {date}: {} of {} message(s)",
            account.name,
            keep.len(),
            uids.len()
        );
        uids.retain(|uid| keep.contains(uid));
    }
    uids.sort_unstable();
    uids.dedup();
    let mut out = Vec::with_capacity(uids.len());
    for (k, chunk) in uids.chunks(SIZES_PER_ROUND_TRIP).enumerate() {
        let sizes =
            fetch_sizes(shared, &format!("s{k}"), &uid_set(chunk)).map_err(imap::Error::Io)?;
        // A UID without a size was expunged meanwhile; its fetch will say so.
        out.extend(
            chunk
                .iter()
                .map(|uid| (*uid, sizes.get(uid).copied().unwrap_or(0))),
        );
    }
    tracing::debug!(
        "{}/{folder}: {} new UID(s) listed; peak memory so far {}",
        account.name,
        out.len(),
        peak_memory()
    );
    Ok(out)
}

/// RFC 3501 `date` (d-Mon-yyyy) for `days` before now.
fn imap_date_days_ago(days: u32) -> String {
    let then = crate::clock::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or_else(|_| crate::clock::now());
    then.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%-d-%b-%Y")
        .to_string()
}

/// Cut the UIDs into round trips of at most `batch` messages and BATCH_BYTES.
fn plan_batches(candidates: &[(u32, u64)], batch: usize) -> Vec<Plan> {
    let mut plans = Vec::new();
    let mut cur = Plan { uids: Vec::new() };
    let mut bytes = 0u64;
    for &(uid, size) in candidates {
        if !cur.uids.is_empty() && (cur.uids.len() >= batch || bytes + size > BATCH_BYTES) {
            plans.push(std::mem::replace(&mut cur, Plan { uids: Vec::new() }));
            bytes = 0;
        }
        cur.uids.push(uid);
        bytes += size;
    }
    if !cur.uids.is_empty() {
        plans.push(cur);
    }
    plans
}

/// "1:3,7,9:10" for ascending UIDs (RFC 3501 `sequence-set`).
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j].saturating_add(1) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", uids[i], uids[j]));
        } else {
            out.push_str(&uids[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// The reader feeds the import pipeline (`import::pipeline`): it fetches a
/// round trip, hands its messages to the parse + classify workers, and ends
/// the batch with its checkpoint, which the store commits in the same
/// transaction as the batch's messages. Memory stays at a handful of batches
/// however large the folder.
#[allow(clippy::too_many_arguments)]
fn fetch_and_store(
    store: &mut Store,
    owner: &Owner,
    shared: &Shared,
    account: &Account,
    folder: &str,
    uidvalidity: u32,
    plans: Vec<Plan>,
    place: &str,
    sent: bool,
    report: &mut FolderReport,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let timeout = account.timeout_secs;
    let mut unfetched = 0;
    // Every message is parsed: one already stored from another folder is
    // recognised by the store, which records this folder as another place.
    let known = HashSet::new();
    let stored = crate::import::pipeline(
        store,
        owner,
        bar,
        (&known, None),
        &mut report.counts,
        |feeder| {
            for (k, plan) in plans.into_iter().enumerate() {
                let set = uid_set(&plan.uids);
                let t = Instant::now();
                let fetched = fetch_bodies(shared, &format!("f{k}"), &set).map_err(|e| {
                    Broken(format!(
                        "fetching UIDs {} from {folder}: {}",
                        short(&set),
                        imap_error(&imap::Error::Io(e), timeout)
                    ))
                })?;
                tracing::debug!(
                    "{folder}: UIDs {} in {:?}, memory {}",
                    short(&set),
                    t.elapsed(),
                    proc_status("VmRSS:")
                );
                let wanted: HashSet<u32> = plan.uids.iter().copied().collect();
                let mut got = 0;
                for (uid, raw) in fetched {
                    if wanted.contains(&uid) {
                        got += 1;
                        feeder.send(
                            raw,
                            Location {
                                place: place.to_string(),
                                uid,
                                sent,
                            },
                        )?;
                    }
                }
                unfetched += plan.uids.len() - got.min(plan.uids.len());
                feeder.commit(Some(Mark {
                    account: account.name.clone(),
                    folder: folder.to_string(),
                    checkpoint: Checkpoint {
                        uidvalidity,
                        last_uid: plan.uids.last().copied().unwrap_or(0),
                    },
                }))?;
            }
            Ok(())
        },
    );
    report.unfetched += unfetched;
    // A broken connection says so itself; anything else went wrong storing.
    stored.map_err(|e| {
        if e.is::<Broken>() {
            e
        } else {
            e.context(format!("storing messages of {}/{folder}", account.name))
        }
    })
}

/// `UID FETCH set (UID BODY.PEEK[])` under `tag` on the session's stream:
/// (UID, bytes) of each message the server returned. BODY.PEEK never sets
/// \Seen (RFC 3501 section 6.4.5).
fn fetch_bodies(shared: &Shared, tag: &str, set: &str) -> std::io::Result<Vec<(u32, Vec<u8>)>> {
    use imap_proto::AttributeValue;
    let mut out = Vec::new();
    uid_fetch(shared, tag, set, "(UID BODY.PEEK[])", |attrs| {
        let (mut uid, mut body) = (None, None);
        for a in attrs {
            match a {
                AttributeValue::Uid(u) => uid = Some(u),
                AttributeValue::BodySection {
                    section: None,
                    data: Some(d),
                    ..
                } => body = Some(d.into_owned()),
                _ => {}
            }
        }
        // A FETCH of flags only (another client's change) has no body.
        if let (Some(uid), Some(body)) = (uid, body) {
            out.push((uid, body));
        }
    })?;
    Ok(out)
}

/// `UID FETCH set (UID RFC822.SIZE)` under `tag`: (UID, size) of each message.
fn fetch_sizes(shared: &Shared, tag: &str, set: &str) -> std::io::Result<HashMap<u32, u64>> {
    use imap_proto::AttributeValue;
    let mut out = HashMap::new();
    uid_fetch(shared, tag, set, "(UID RFC822.SIZE)", |attrs| {
        let (mut uid, mut size) = (None, None);
        for a in attrs {
            match a {
                AttributeValue::Uid(u) => uid = Some(u),
                AttributeValue::Rfc822Size(n) => size = Some(u64::from(n)),
                _ => {}
            }
        }
        if let (Some(uid), Some(size)) = (uid, size) {
            out.insert(uid, size);
        }
    })?;
    Ok(out)
}

/// Send `UID FETCH set items` under `tag` on the session's stream and hand
/// each FETCH response's attributes to `each`. Each response is read whole
/// (`read_response`, literals by their announced length) and parsed once
/// with imap-proto, the parser the imap crate uses.
fn uid_fetch(
    shared: &Shared,
    tag: &str,
    set: &str,
    items: &str,
    mut each: impl FnMut(Vec<imap_proto::AttributeValue<'_>>),
) -> std::io::Result<()> {
    use imap_proto::{Response, Status};
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut stream = shared.clone();
    stream.write_all(format!("{tag} UID FETCH {set} {items}\r\n").as_bytes())?;
    stream.flush()?;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, stream);
    let mut response = Vec::new();
    loop {
        response.clear();
        read_response(&mut reader, &mut response)?;
        match imap_proto::parser::parse_response(&response) {
            Ok((_, Response::Fetch(_, attrs))) => each(attrs),
            Ok((
                _,
                Response::Done {
                    tag: t,
                    status,
                    information,
                    ..
                },
            )) if t.0 == tag => {
                return match status {
                    Status::Ok => Ok(()),
                    other => Err(bad(format!(
                        "the server answered {other:?}: {}",
                        information.unwrap_or_default()
                    ))),
                };
            }
            Ok((
                _,
                Response::Data {
                    status: Status::Bye,
                    information,
                    ..
                },
            )) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    format!(
                        "the server closed the session: {}",
                        information.unwrap_or_default()
                    ),
                ));
            }
            // EXISTS, EXPUNGE, RECENT, OK notices: nothing to do here.
            Ok(_) => {}
            Err(_) => {
                let head = String::from_utf8_lossy(&response[..response.len().min(120)]);
                return Err(bad(format!("cannot parse the server's response: {head}")));
            }
        }
    }
}

/// One whole response into `into`: a line and, while a line ends by
/// announcing a literal ("{123}", RFC 3501 section 4.3), the literal's bytes
/// and the line after them. Read as the bytes arrive: a length the server
/// announces is never allocated up front.
fn read_response(r: &mut impl BufRead, into: &mut Vec<u8>) -> std::io::Result<()> {
    loop {
        let start = into.len();
        if r.read_until(b'\n', into)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        let Some(n) = literal_len(&into[start..]) else {
            return Ok(());
        };
        let got = r.by_ref().take(n).read_to_end(into)?;
        if (got as u64) < n {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection inside a message",
            ));
        }
    }
}

/// The length a line's closing "{n}" (or non-synchronizing "{n+}") announces.
fn literal_len(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The process's peak resident memory (Linux /proc), for --debug lines.
pub(crate) fn peak_memory() -> String {
    proc_status("VmHWM:")
}

fn proc_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// A UID set for messages: long ones cut.
fn short(set: &str) -> String {
    if set.len() <= 40 {
        set.to_string()
    } else {
        let head: String = set.chars().take(37).collect();
        format!("{head}...")
    }
}

/// What `allears check` found for one account.
#[derive(Debug, Default)]
pub(crate) struct CheckReport {
    pub account: String,
    pub lines: Vec<String>,
    pub problems: Vec<String>,
}

/// Connect, log in, list capabilities and the folders the patterns match.
pub(crate) fn check_account(config: &Config, account: &Account) -> CheckReport {
    let mut r = CheckReport {
        account: account.name.clone(),
        ..CheckReport::default()
    };
    let tls = match account.tls {
        Tls::Implicit => "implicit TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "no TLS (loopback)",
    };
    r.lines.push(format!(
        "{}:{} ({tls}) as {}",
        account.host, account.port, account.username
    ));
    let mut session = match login(config, account) {
        Ok(s) => s,
        Err(e) => {
            r.problems.push(e.to_string());
            return r;
        }
    };
    r.lines.push("logged in".to_string());
    match session.capabilities() {
        Ok(caps) => {
            let mut names: Vec<String> = caps.iter().map(capability_name).collect();
            names.sort();
            r.lines.push(format!("capabilities: {}", names.join(" ")));
        }
        Err(e) => r.problems.push(format!("CAPABILITY: {e}")),
    }
    match folders_to_fetch(&mut session, account) {
        Ok(f) => {
            for folder in &f.chosen {
                let tag = if folder.sent { " (sent)" } else { "" };
                r.lines.push(format!("folder: {}{tag}", folder.name));
            }
            for m in &f.missing {
                r.problems.push(format!(
                    "missing folder: no folder named \"{m}\" on the server"
                ));
            }
            for p in &f.unmatched {
                r.lines
                    .push(format!("warning: pattern \"{p}\" matches no folder"));
            }
            if f.sent.is_none() {
                r.lines.push(
                    "warning: no Sent folder (set sent_folder; without it replies are not seen as answers)"
                        .to_string(),
                );
            }
        }
        Err(e) => r.problems.push(format!("LIST: {e:#}")),
    }
    let _ = session.logout();
    r
}

fn capability_name(c: &imap_proto::Capability<'_>) -> String {
    match c {
        imap_proto::Capability::Imap4rev1 => "IMAP4rev1".to_string(),
        imap_proto::Capability::Auth(a) => format!("AUTH={a}"),
        imap_proto::Capability::Atom(a) => a.to_string(),
    }
}

/// Fail early with the account name when a config cannot work at all.
pub(crate) fn require_accounts(config: &Config, only: Option<&str>) -> Result<()> {
    if config.account.is_empty() {
        bail!("{}: no [[account]] is configured", config.origin.name());
    }
    if let Some(o) = only
        && !config.account.iter().any(|a| a.name == o)
    {
        bail!("{}: no account named \"{o}\"", config.origin.name());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_read_whole_by_its_literals_and_parsed_once() {
        // The body's own last line looks like a literal announcement: it is
        // read as content, by the announced length.
        let body = b"Subject: x\r\n\r\nsee {3}\r\n";
        let mut wire = format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", body.len()).into_bytes();
        wire.extend_from_slice(body);
        wire.extend_from_slice(b")\r\nf0 OK done\r\n");
        let mut r = std::io::BufReader::new(&wire[..]);
        let mut first = Vec::new();
        read_response(&mut r, &mut first).unwrap();
        assert!(first.ends_with(b")\r\n"));
        match imap_proto::parser::parse_response(&first).unwrap().1 {
            imap_proto::Response::Fetch(1, attrs) => assert!(attrs.iter().any(|a| matches!(
                a,
                imap_proto::AttributeValue::BodySection { data: Some(d), .. } if &d[..] == body
            ))),
            other => panic!("{other:?}"),
        }
        let mut done = Vec::new();
        read_response(&mut r, &mut done).unwrap();
        assert_eq!(done, b"f0 OK done\r\n");
        // A connection that ends inside a literal is an error, not a short message.
        let cut = b"* 1 FETCH (UID 7 BODY[] {50}\r\nshort";
        let err = read_response(&mut &cut[..], &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn literal_lengths_are_read_from_the_end_of_a_line() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {2354}\r\n"), Some(2354));
        assert_eq!(literal_len(b"a APPEND x {12+}\r\n"), Some(12));
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(literal_len(b"* OK {}\r\n"), None);
        assert_eq!(literal_len(b"* 1 FETCH (UID 7)\r\n"), None);
        assert_eq!(literal_len(b"{99999999999999999999}\r\n"), None);
    }

    #[test]
    fn uid_sets_are_compressed_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn patterns_follow_rfc3501_wildcards() {
        assert!(folder_matches("Lists/*", "Lists/a/b", '/'));
        assert!(!folder_matches("Lists/%", "Lists/a/b", '/'));
        assert!(folder_matches("Lists/%", "Lists/a", '/'));
        assert!(folder_matches("inbox", "INBOX", '/'));
        assert!(
            !folder_matches("sent", "Sent", '/'),
            "only INBOX ignores case"
        );
        assert!(!folder_matches("Lists/*", "Listsx", '/'));
        assert!(
            !folder_matches("INBOX", "INBO\u{e9}x", '/'),
            "no panic inside a character"
        );
        assert!(folder_matches("*", "Caf\u{e9}/\u{e9}t\u{e9}", '/'));
    }

    #[test]
    fn folder_names_decode_from_modified_utf7() {
        assert_eq!(decode_mutf7("Listas/Opini&AOM-o"), "Listas/Opini\u{e3}o");
        assert_eq!(decode_mutf7("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(decode_mutf7("&ZeVnLIqe-"), "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(decode_mutf7("broken&AOM"), "broken&AOM", "kept as sent");
        assert_eq!(decode_mutf7("INBOX"), "INBOX");
    }

    #[test]
    fn batches_are_cut_by_count_and_bytes() {
        let c: Vec<(u32, u64)> = (1..=10).map(|u| (u, 10)).collect();
        let p = plan_batches(&c, 4);
        assert_eq!(
            p.iter().map(|p| p.uids.len()).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        let big = vec![(1, BATCH_BYTES), (2, 1), (3, BATCH_BYTES * 2)];
        let p = plan_batches(&big, 100);
        assert_eq!(p.len(), 3, "a message over the byte bound goes alone");
    }
}
