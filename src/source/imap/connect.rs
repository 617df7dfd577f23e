//! Reaching an IMAP server: TCP with timeouts, TLS (implicit, or STARTTLS
//! by hand per RFC 3501 section 6.2.1), the greeting, and LOGIN or
//! AUTHENTICATE with an OAuth2 token (XOAUTH2, or OAUTHBEARER per RFC 7628;
//! the token from `oauth2/`); and the stream shared with the FETCH reader
//! (`wire.rs`). Errors are [`Problem`]s that say what to fix.

use std::io::{BufRead, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use std::cell::{Cell, RefCell};

use crate::config::{Account, Auth, Config, Tls, TokenSource};
use crate::oauth2::{self, AccessToken, Want};

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
    pub(super) fn new(stream: Box<dyn Stream>) -> Shared {
        Shared(std::sync::Arc::new(std::sync::Mutex::new(stream)))
    }

    pub(super) fn lock(&self) -> std::io::Result<std::sync::MutexGuard<'_, Box<dyn Stream>>> {
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
    /// Getting the access token failed; the text says why and what to do.
    #[error("{0}")]
    Token(String),
    #[error("{0}")]
    Protocol(String),
}

/// Open a connection as the account says, read the greeting, log in.
pub(crate) fn login(config: &Config, account: &Account) -> Result<Session, Problem> {
    login_shared(config, account).map(|(session, _)| session)
}

/// [`login`], with a second handle on the session's stream.
pub(super) fn login_shared(
    config: &Config,
    account: &Account,
) -> Result<(Session, Shared), Problem> {
    let (client, shared) = connect(config, account)?;
    let session = match account.auth {
        Auth::Password => password_login(client, account)?,
        Auth::Xoauth2 | Auth::Oauthbearer => token_login(config, client, account)?,
    };
    Ok((session, shared))
}

fn password_login(
    client: imap::Client<Box<dyn Stream>>,
    account: &Account,
) -> Result<Session, Problem> {
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
    client
        .login(&account.username, &password)
        .map_err(|(e, _)| Problem::Login {
            user: account.username.clone(),
            host: account.host.clone(),
            detail: imap_error(&e, account.timeout_secs),
        })
}

/// AUTHENTICATE with an access token. When the server refuses a token the
/// built-in client thought valid (revoked early, or a clock off), it is
/// refreshed and tried once more; a token_command's token is the command's
/// business.
fn token_login(
    config: &Config,
    client: imap::Client<Box<dyn Stream>>,
    account: &Account,
) -> Result<Session, Problem> {
    let token = |want| {
        oauth2::access_token(config, account, want).map_err(|e| Problem::Token(format!("{e:#}")))
    };
    let first = token(Want::Any)?;
    let Refused {
        error: e,
        said,
        client,
    } = match authenticate(client, account, &first) {
        Ok(session) => return Ok(session),
        Err(refused) => *refused,
    };
    let builtin = matches!(account.token, Some(TokenSource::Builtin(_)));
    if !(builtin && said.is_some() && matches!(e, imap::Error::No(_))) {
        return Err(refused_token(account, &e, said, "expired or revoked?"));
    }
    let second = token(Want::New)?;
    authenticate(client, account, &second).map_err(|r| {
        refused_token(
            account,
            &r.error,
            r.said,
            "even a newly refreshed one: check username and oauth2.scopes",
        )
    })
}

/// AUTHENTICATE failed: why, what the server said in its error challenge,
/// and the client, still connected, for another try.
struct Refused {
    error: imap::Error,
    said: Option<String>,
    client: imap::Client<Box<dyn Stream>>,
}

fn authenticate(
    client: imap::Client<Box<dyn Stream>>,
    account: &Account,
    token: &AccessToken,
) -> Result<Session, Box<Refused>> {
    let initial = match account.auth {
        Auth::Oauthbearer => {
            oauth2::oauthbearer(&account.username, &account.host, account.port, token)
        }
        _ => oauth2::xoauth2(&account.username, token),
    };
    let sasl = Sasl {
        initial,
        bearer: account.auth == Auth::Oauthbearer,
        sent: Cell::new(false),
        server_said: RefCell::new(None),
    };
    client
        .authenticate(account.auth.mechanism(), &sasl)
        .map_err(|(error, client)| {
            Box::new(Refused {
                error,
                said: sasl.server_said.into_inner(),
                client,
            })
        })
}

fn refused_token(account: &Account, e: &imap::Error, said: Option<String>, hint: &str) -> Problem {
    let mech = account.auth.mechanism();
    if !matches!(e, imap::Error::No(_) | imap::Error::Bad(_)) {
        return Problem::Login {
            user: account.username.clone(),
            host: account.host.clone(),
            detail: format!("{mech}: {}", imap_error(e, account.timeout_secs)),
        };
    }
    // No error challenge: the server did not get as far as the token.
    if said.is_none() {
        return Problem::Login {
            user: account.username.clone(),
            host: account.host.clone(),
            detail: format!(
                "the server refused AUTHENTICATE {mech} ({}); `allears check` lists the AUTH= mechanisms it offers",
                imap_error(e, account.timeout_secs)
            ),
        };
    }
    let from = account.token.as_ref().map_or("", TokenSource::describe);
    let said = said
        .filter(|s| !s.trim().is_empty())
        .map(|s| format!(" {}", crate::text::clip(&s, 200)))
        .unwrap_or_default();
    Problem::Login {
        user: account.username.clone(),
        host: account.host.clone(),
        detail: format!(
            "{mech}: the server refused the access token ({from}; {hint}): {}{said}",
            imap_error(e, account.timeout_secs)
        ),
    }
}

/// The client side of XOAUTH2 and OAUTHBEARER. The imap crate sends no
/// initial response with the command (no SASL-IR), so the token goes in
/// answer to the server's first, empty challenge. A second challenge is the
/// server's error report (RFC 7628 section 3.2.3; the same for XOAUTH2):
/// it is kept for the error, and answered as the mechanism says (^A for
/// OAUTHBEARER, empty for XOAUTH2) so the server can finish with NO.
struct Sasl {
    initial: String,
    bearer: bool,
    sent: Cell<bool>,
    server_said: RefCell<Option<String>>,
}

impl imap::Authenticator for Sasl {
    type Response = Vec<u8>;

    fn process(&self, challenge: &[u8]) -> Vec<u8> {
        if !self.sent.replace(true) {
            return self.initial.as_bytes().to_vec();
        }
        *self.server_said.borrow_mut() = Some(String::from_utf8_lossy(challenge).into_owned());
        if self.bearer { vec![1] } else { Vec::new() }
    }
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
pub(super) fn imap_error(e: &imap::Error, timeout_secs: u64) -> String {
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
