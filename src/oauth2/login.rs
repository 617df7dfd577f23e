//! `allears login NAME`: get an account's first tokens from its OAuth2
//! provider, and keep them (`tokens.rs`).
//!
//! By default the authorization code flow (RFC 6749 section 4.1) with PKCE
//! (RFC 7636, S256) and a loopback redirect (RFC 8252 section 7.3): allears
//! listens on 127.0.0.1, prints the address to open in a browser, and takes
//! the code from the one request the browser is redirected to, after
//! checking `state`. With `--device`, the device flow (RFC 8628): allears
//! prints a code to enter on another device and polls the token endpoint.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::client::{self, Grant, Refusal};
use super::tokens::{self, Saved};
use super::{base64url, random};
use crate::config::{Account, Config, OAuth2, TokenSource};

/// How long the browser (or the other device) has to say yes.
const WAIT: Duration = Duration::from_secs(300);

/// How `allears login` asks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Flow {
    /// A browser on this machine, redirected to this loopback port (0: any).
    Browser { port: u16 },
    /// RFC 8628: a code entered on any device.
    Device,
}

/// Log in to `name`'s provider and save its tokens; `say` tells the person.
pub(crate) fn login(
    config: &Config,
    name: &str,
    flow: Flow,
    say: &mut dyn FnMut(String),
) -> Result<()> {
    let account = find(config, name)?;
    let Some(TokenSource::Builtin(o)) = &account.token else {
        bail!(
            "{}: account \"{name}\" has no [account.oauth2] table: `allears login` is for allears' own OAuth2 client{}",
            config.origin.name(),
            if matches!(account.token, Some(TokenSource::Command(_))) {
                " (this account's token_command does the login)"
            } else {
                ""
            }
        );
    };
    let grant = match flow {
        Flow::Browser { port } => browser(account, o, port, say)?,
        Flow::Device => device(account, o, say)?,
    };
    if grant.refresh_token.is_none() {
        say(format!(
            "warning: the provider issued no refresh token, so allears cannot renew the access token: run `allears login {name}` again when it expires"
        ));
    }
    let path = tokens::token_file(config, name);
    tokens::save(&path, &Saved::from_grant(grant, None, o))?;
    say(format!(
        "account {name}: signed in; tokens kept in {} (readable by you only). `allears check` tries them.",
        path.display()
    ));
    Ok(())
}

fn find<'a>(config: &'a Config, name: &str) -> Result<&'a Account> {
    config
        .account
        .iter()
        .find(|a| a.name == name)
        .with_context(|| format!("{}: no account named \"{name}\"", config.origin.name()))
}

/// The authorization code flow with PKCE and a loopback redirect.
fn browser(account: &Account, o: &OAuth2, port: u16, say: &mut dyn FnMut(String)) -> Result<Grant> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("listening on 127.0.0.1:{port} for the browser's redirect"))?;
    let port = listener.local_addr().context("the listening port")?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/");
    let verifier = random(32)?;
    let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
    let state = random(16)?;
    let mut url = url::Url::parse(&o.auth_url).context("oauth2.auth_url")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &o.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &o.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("login_hint", &account.username);
        for (k, v) in &o.auth_params {
            q.append_pair(k, v);
        }
    }
    say(format!(
        "To let allears read mail for account {}, open this address in a browser on this machine and sign in as {}:\n\n  {url}\n",
        account.name, account.username
    ));
    say(format!(
        "Waiting up to {} minutes for the browser on {redirect_uri} (on another machine: ssh -L {port}:127.0.0.1:{port} to this one first).",
        WAIT.as_secs() / 60
    ));
    let code = wait_for_code(&listener, &state)?;
    client::exchange_code(o, &code, &verifier, &redirect_uri)
        .map_err(|r| refused("exchanging the code", r))
}

/// Serve the loopback address until the redirect with our `state` arrives;
/// other requests (a browser's favicon) get 404.
fn wait_for_code(listener: &TcpListener, state: &str) -> Result<String> {
    listener.set_nonblocking(true).context("the listener")?;
    let deadline = Instant::now() + WAIT;
    loop {
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    bail!(
                        "no answer from the browser within {} minutes",
                        WAIT.as_secs() / 60
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(e).context("accepting the browser's connection"),
        };
        if let Some(answer) = read_redirect(stream)? {
            return answer.into_result(state);
        }
    }
}

/// What the provider put on the redirect (RFC 6749 sections 4.1.2 and 4.1.2.1).
struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    description: Option<String>,
}

impl Redirect {
    fn into_result(self, state: &str) -> Result<String> {
        if self.state.as_deref() != Some(state) {
            bail!("the browser came back with a different state: not this login (try again)");
        }
        if let Some(e) = self.error {
            bail!(
                "the provider refused: {e}{}",
                self.description
                    .map(|d| format!(": {}", crate::text::clip(&d, 300)))
                    .unwrap_or_default()
            );
        }
        self.code.context("the browser came back without a code")
    }
}

/// One HTTP request on the loopback address: `Some` for the redirect (a
/// request for "/"), answered with a page that says what happened.
fn read_redirect(mut stream: TcpStream) -> Result<Option<Redirect>> {
    stream
        .set_nonblocking(false)
        .context("the browser's connection")?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .context("reading the browser's request")?;
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let url = url::Url::parse("http://127.0.0.1")
        .and_then(|base| base.join(target))
        .ok();
    let Some(url) = url.filter(|u| u.path() == "/") else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return Ok(None);
    };
    let get = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    let answer = Redirect {
        code: get("code"),
        state: get("state"),
        error: get("error"),
        description: get("error_description"),
    };
    let body = if answer.code.is_some() {
        "allears is signed in. You can close this tab."
    } else {
        "allears was not signed in: see the terminal."
    };
    let page = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(page.as_bytes());
    Ok(Some(answer))
}

/// RFC 8628: show the user code, poll until the person said yes or no.
fn device(account: &Account, o: &OAuth2, say: &mut dyn FnMut(String)) -> Result<Grant> {
    let Some(device_url) = &o.device_url else {
        bail!(
            "account {}: the provider has no device flow for mail (no oauth2.device_url; Google allows none for Gmail): run `allears login {}` without --device",
            account.name,
            account.name
        );
    };
    let dc =
        client::device_code(o, device_url).map_err(|r| refused("asking for a device code", r))?;
    say(format!(
        "To let allears read mail for account {}, open {} on any device, enter the code {} and sign in as {}.",
        account.name, dc.verification_uri, dc.user_code, account.username
    ));
    if let Some(complete) = &dc.verification_uri_complete {
        say(format!("(or open {complete})"));
    }
    // RFC 8628 section 3.5: 5 seconds unless the server says otherwise; more after slow_down.
    let mut interval = Duration::from_secs(dc.interval.unwrap_or(5).max(1));
    let deadline = Instant::now() + Duration::from_secs(dc.expires_in).min(WAIT * 3);
    loop {
        std::thread::sleep(interval);
        match client::device_token(o, &dc.device_code) {
            Ok(g) => return Ok(g),
            Err(r) if r.code() == Some("authorization_pending") => {}
            Err(r) if r.code() == Some("slow_down") => interval += Duration::from_secs(5),
            Err(r) => return Err(refused("waiting for the sign-in", r)),
        }
        if Instant::now() > deadline {
            bail!("the device code expired before the sign-in: run the login again");
        }
    }
}

fn refused(what: &str, r: Refusal) -> anyhow::Error {
    match r {
        Refusal::Refused { .. } => anyhow::anyhow!("{what}: the provider refused: {r}"),
        Refusal::Other(e) => e.context(what.to_string()),
    }
}
