//! OAuth2 against real servers: the private Dovecot validating JWTs itself
//! (`Dovecot::start_oauth2`), smtpd.py taught XOAUTH2, and a small OAuth2
//! provider on loopback (`support/oauthd.py`) for `allears login` (PKCE and
//! a loopback redirect, or the device flow), refresh and revocation.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::dovecot::{self, Dovecot};
use crate::support::oauth2::{self, Options, Provider};
use crate::support::smtp::{self, Smtpd};
use crate::support::{Env, Run, owner_config};

macro_rules! need_servers {
    ($name:literal) => {
        if !dovecot::available($name) || !smtp::available($name) {
            return;
        }
    };
}

fn mail(id: &str) -> Vec<u8> {
    format!(
        "Message-ID: <{id}>\r\nFrom: Reader <reader@readers.example>\r\nTo: Robin Ellis <robin@ellis-on-it.example>\r\nSubject: A question\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHi Robin, could you write about backups?\r\n"
    )
    .into_bytes()
}

/// An `[[account]]` on `d` over implicit TLS that logs in with `auth` (and `extra` keys).
fn account(d: &Dovecot, name: &str, user: &str, auth: &str, extra: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\nhost = \"localhost\"\nport = {port}\ntls = \"implicit\"\nca_file = \"{ca}\"\nusername = \"{user}\"\nauth = \"{auth}\"\nfolders = [\"INBOX\"]\n{extra}\n",
        port = d.imaps_port(),
        ca = d.ca_pem_path().display(),
    )
}

/// A token_command that prints `token`, kept in a file only the owner reads.
fn token_command(env: &Env, file: &str, token: &str) -> String {
    let path = env.path().join(file);
    std::fs::write(&path, format!("{token}\n")).unwrap();
    format!("token_command = \"cat {}\"", path.display())
}

fn env_with(blocks: &str) -> Env {
    Env::with_config(&owner_config(blocks))
}

fn set_config(env: &Env, blocks: &str) {
    std::fs::write(env.path().join("digest.toml"), owner_config(blocks)).unwrap();
}

fn all_output(runs: &[&Run]) -> String {
    runs.iter()
        .map(|r| format!("{}\n{}", r.stdout, r.stderr))
        .collect()
}

fn assert_secret_absent(output: &str, secret: &str) {
    assert!(!secret.is_empty());
    assert!(!output.contains(secret), "a token was printed:\n{output}");
}

#[test]
fn xoauth2_and_oauthbearer_with_a_token_command_fetch_a_folder() {
    need_servers!("xoauth2_and_oauthbearer_with_a_token_command_fetch_a_folder");
    let d = Dovecot::start_oauth2();
    d.append("alice", "INBOX", &mail("a1@readers.example"));
    d.append("bob", "INBOX", &mail("b1@readers.example"));
    let env = env_with("");
    let alice = oauth2::mint(&d, "alice", 3600);
    let bob = oauth2::mint(&d, "bob", 3600);
    let blocks = account(
        &d,
        "x",
        "alice",
        "xoauth2",
        &token_command(&env, "a.tok", &alice),
    ) + &account(
        &d,
        "b",
        "bob",
        "oauthbearer",
        &token_command(&env, "b.tok", &bob),
    );
    set_config(&env, &blocks);

    let check = env.run(&["--debug", "check"]);
    assert!(
        check.status.success(),
        "{}\n{}\n{}",
        check.stdout,
        check.stderr,
        d.log()
    );
    assert!(
        check
            .stdout
            .contains("auth: XOAUTH2 (token from token_command)"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("auth: OAUTHBEARER (token from token_command)"),
        "{}",
        check.stdout
    );
    let fetch = env.run(&["--debug", "fetch"]);
    assert!(fetch.status.success(), "{}\n{}", fetch.stderr, d.log());
    assert!(fetch.stderr.contains("x/INBOX: 1 new"), "{}", fetch.stderr);
    assert!(fetch.stderr.contains("b/INBOX: 1 new"), "{}", fetch.stderr);
    let out = all_output(&[&check, &fetch]);
    assert_secret_absent(&out, &alice);
    assert_secret_absent(&out, &bob);
}

#[test]
fn an_expired_token_fails_the_account_with_exit_3_naming_it_and_never_printing_it() {
    need_servers!("an_expired_token_fails_the_account_with_exit_3_naming_it_and_never_printing_it");
    let d = Dovecot::start_oauth2();
    d.append("alice", "INBOX", &mail("e1@readers.example"));
    let env = env_with("");
    let expired = oauth2::mint(&d, "alice", -60);
    for auth in ["xoauth2", "oauthbearer"] {
        let blocks = account(
            &d,
            "work",
            "alice",
            auth,
            &token_command(&env, "e.tok", &expired),
        );
        set_config(&env, &blocks);
        let fetch = env.run(&["--debug", "fetch"]);
        assert_eq!(fetch.status.code(), Some(3), "{auth}: {}", fetch.stderr);
        assert!(
            fetch.stderr.contains("allears: account work:")
                && fetch.stderr.contains("refused the access token")
                && fetch.stderr.contains("token_command"),
            "{auth}: {}",
            fetch.stderr
        );
        let check = env.run(&["check"]);
        assert_eq!(check.status.code(), Some(1), "{}", check.stdout);
        assert!(
            check.stdout.contains("PROBLEM: login as alice"),
            "{}",
            check.stdout
        );
        assert_secret_absent(&all_output(&[&fetch, &check]), &expired);
    }
}

/// `allears login NAME` with its stderr read line by line as it runs.
struct Login {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Login {
    fn start(env: &Env, args: &[&str]) -> Login {
        let mut child = env
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn allears login");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Login {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The first line that contains `needle`, waiting up to 20 s.
    fn line_with(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!("no line with {needle:?} in:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Wait for it to end; its whole output.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("wait");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        let mut stdout = String::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut o, &mut stdout);
        }
        (status, format!("{stdout}\n{}", self.seen.join("\n")))
    }
}

/// The tokens allears keeps for `account`, and the file's mode.
fn saved_tokens(env: &Env, account: &str) -> (serde_json::Value, u32) {
    use std::os::unix::fs::PermissionsExt;
    let path = env.path().join(format!("allears-oauth2-{account}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    (serde_json::from_str(&text).unwrap(), mode)
}

/// Play the browser: open the address `allears login` printed, follow the
/// provider's redirect to allears' loopback listener, and read its page.
fn browse(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .body_mut()
        .read_to_string()
        .expect("page")
}

#[test]
fn login_with_pkce_and_a_loopback_redirect_then_refresh_and_revocation() {
    need_servers!("login_with_pkce_and_a_loopback_redirect_then_refresh_and_revocation");
    let d = Dovecot::start_oauth2();
    d.append("alice", "INBOX", &mail("p1@readers.example"));
    // Tokens that live 60 s are always within allears' 2-minute margin: every use refreshes.
    let p = Provider::start(
        &d,
        "alice",
        Options {
            access_ttl: Some(60),
            client_secret: Some("s3cret".into()),
            rotate: true,
        },
    );
    let env = env_with("");
    let secret = "client_secret_command = \"echo s3cret\"";
    set_config(
        &env,
        &(account(&d, "main", "alice", "xoauth2", "") + &p.oauth2_table(secret)),
    );

    let before = env.run(&["check"]);
    assert_eq!(before.status.code(), Some(1), "{}", before.stdout);
    assert!(
        before.stdout.contains("run `allears login main`"),
        "{}",
        before.stdout
    );

    let mut login = Login::start(&env, &["login", "main"]);
    let url = login.line_with("/authorize?").trim().to_string();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    assert!(browse(&url).contains("allears is signed in"));
    let (status, login_out) = login.finish();
    assert!(status.success(), "{login_out}\n{}", p.events());
    assert_eq!(p.count("token authorization_code ok"), 1, "{}", p.events());
    let (first, mode) = saved_tokens(&env, "main");
    assert_eq!(mode, 0o600, "the token file is for the owner only");

    let fetch = env.run(&["--debug", "fetch"]);
    assert!(
        fetch.status.success(),
        "{}\n{}\n{}",
        fetch.stderr,
        p.events(),
        d.log()
    );
    assert!(
        fetch.stderr.contains("main/INBOX: 1 new"),
        "{}",
        fetch.stderr
    );
    assert!(
        p.count("token refresh_token ok") >= 1,
        "refreshed before expiry: {}",
        p.events()
    );
    let (second, _) = saved_tokens(&env, "main");
    assert_ne!(
        first["refresh_token"], second["refresh_token"],
        "the rotated refresh token is kept"
    );

    let check = env.run(&["check"]);
    assert!(check.status.success(), "{}", check.stdout);
    assert!(
        check
            .stdout
            .contains("auth: XOAUTH2 (token from allears login)")
            && check.stdout.contains("a refresh token"),
        "{}",
        check.stdout
    );

    p.revoke_all();
    let revoked = env.run(&["fetch"]);
    assert_eq!(revoked.status.code(), Some(3), "{}", revoked.stderr);
    assert!(
        revoked.stderr.contains("allears: account main:")
            && revoked.stderr.contains("refused the refresh token")
            && revoked.stderr.contains("run `allears login main`"),
        "{}",
        revoked.stderr
    );

    let out = format!(
        "{login_out}\n{}",
        all_output(&[&before, &fetch, &check, &revoked])
    );
    for tokens in [&first, &second] {
        for key in ["access_token", "refresh_token"] {
            assert_secret_absent(&out, tokens[key].as_str().unwrap_or(""));
        }
    }
    assert!(
        !out.contains("s3cret"),
        "the client secret was printed:\n{out}"
    );
}

#[test]
fn login_with_the_device_flow_then_oauthbearer_and_the_digest_over_smtp_xoauth2() {
    need_servers!("login_with_the_device_flow_then_oauthbearer_and_the_digest_over_smtp_xoauth2");
    let d = Dovecot::start_oauth2();
    let s = Smtpd::start_with(
        &d,
        smtp::Options {
            xoauth2: true,
            ..smtp::Options::default()
        },
    );
    let p = Provider::start(&d, "robin", Options::default());
    d.append("robin", "INBOX", &mail("d1@readers.example"));
    let smtp = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\ntoken_account = \"main\"\nfrom = \"allears <robin@ellis-on-it.example>\"\nto = \"robin@ellis-on-it.example\"\ntimeout_secs = 10\n",
        s.port(),
        d.ca_pem_path().display()
    );
    let env = env_with("").now("2026-11-03T09:00:00Z");
    set_config(
        &env,
        &(account(&d, "main", "robin", "oauthbearer", "") + &p.oauth2_table("") + &smtp),
    );

    let mut login = Login::start(&env, &["login", "main", "--device"]);
    let prompt = login.line_with("WDJB-MJHT");
    assert!(prompt.contains(&p.url("/device")), "{prompt}");
    let (status, login_out) = login.finish();
    assert!(status.success(), "{login_out}\n{}", p.events());
    assert_eq!(
        p.count("token device_code pending"),
        1,
        "polled until approved: {}",
        p.events()
    );
    assert_eq!(p.count("token device_code ok"), 1, "{}", p.events());

    // A token the server refuses though it has not expired (revoked early):
    // refreshed once, and the login goes through.
    let path = env.path().join("allears-oauth2-main.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    saved["access_token"] = oauth2::mint(&d, "robin", -60).into();
    std::fs::write(&path, saved.to_string()).unwrap();
    let run = env.run(&["run", "--force"]);
    assert!(
        run.status.success(),
        "{}\n{}\n{}",
        run.stderr,
        s.events(),
        d.log()
    );
    assert!(run.stderr.contains("main/INBOX: 1 new"), "{}", run.stderr);
    assert!(
        s.events().contains("auth XOAUTH2 robin ok"),
        "{}",
        s.events()
    );
    assert_eq!(
        p.count("token refresh_token ok"),
        1,
        "refreshed once after the refusal, then used as is: {}",
        p.events()
    );
    let inbox = d.session("robin").fetch_all("INBOX");
    assert!(
        inbox
            .iter()
            .any(|m| String::from_utf8_lossy(&m.raw).contains("Auto-Submitted: auto-generated")),
        "the digest arrived over SMTP: {}",
        s.events()
    );
    let (tokens, _) = saved_tokens(&env, "main");
    let out = format!("{login_out}\n{}", all_output(&[&run]));
    assert_secret_absent(&out, tokens["access_token"].as_str().unwrap_or(""));
    assert_secret_absent(&out, tokens["refresh_token"].as_str().unwrap_or(""));
}

#[test]
fn a_server_that_does_not_offer_the_mechanism_is_named_as_such() {
    need_servers!("a_server_that_does_not_offer_the_mechanism_is_named_as_such");
    let d = Dovecot::start();
    let env = env_with("");
    let blocks = account(
        &d,
        "plain",
        "alice",
        "xoauth2",
        &token_command(&env, "t.tok", "abc"),
    );
    set_config(&env, &blocks);
    let fetch = env.run(&["fetch"]);
    assert_eq!(fetch.status.code(), Some(3), "{}", fetch.stderr);
    assert!(
        fetch.stderr.contains("refused AUTHENTICATE XOAUTH2"),
        "{}",
        fetch.stderr
    );
}
