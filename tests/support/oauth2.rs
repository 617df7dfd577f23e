//! A small OAuth2 provider on loopback (`tests/support/oauthd.py`) whose
//! access tokens the private Dovecot accepts: JWTs signed with its key.
//!
//! `Provider::start(&dovecot, user, opts)` waits for the script's "READY
//! <port>" line and kills it from `Drop`; the script also exits when its
//! stdin reaches EOF, so a test process that dies takes it along. `mint`
//! makes one token directly, for a `token_command` to print.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::dovecot::Dovecot;

const PYTHON: &str = "/usr/bin/python3";

pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/oauthd.py")
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Seconds an access token lives (default 3600).
    pub access_ttl: Option<i64>,
    /// The token endpoint wants this client secret.
    pub client_secret: Option<String>,
    /// Each refresh issues a new refresh token and retires the old one.
    pub rotate: bool,
}

pub struct Provider {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
}

impl Provider {
    pub fn start(d: &Dovecot, user: &str, opts: Options) -> Provider {
        let log = d.dir().join(format!("oauthd-{}.log", super::unique()));
        let mut cmd = Command::new(PYTHON);
        cmd.arg(script())
            .arg("serve")
            .arg("--key")
            .arg(d.jwt_key_path())
            .arg("--user")
            .arg(user)
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(ttl) = opts.access_ttl {
            cmd.arg("--access-ttl").arg(ttl.to_string());
        }
        if let Some(secret) = &opts.client_secret {
            cmd.arg("--client-secret").arg(secret);
        }
        if opts.rotate {
            cmd.arg("--rotate");
        }
        let mut child = cmd.spawn().expect("spawn oauthd.py");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("oauthd stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("oauthd.py says READY within 15 s");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("oauthd.py did not start: {line:?}"));
        Provider {
            child,
            stdin,
            port,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// An `[account.oauth2]` table for this provider.
    pub fn oauth2_table(&self, extra: &str) -> String {
        format!(
            "[account.oauth2]\nauth_url = \"{}\"\ntoken_url = \"{}\"\ndevice_url = \"{}\"\nscopes = [\"mail\"]\nclient_id = \"allears-test\"\n{extra}\n",
            self.url("/authorize"),
            self.url("/token"),
            self.url("/device"),
        )
    }

    /// The provider's event lines ("token refresh_token ok", ...).
    pub fn events(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn count(&self, event: &str) -> usize {
        self.events()
            .lines()
            .filter(|l| l.starts_with(event))
            .count()
    }

    /// Every refresh token issued so far stops working.
    pub fn revoke_all(&self) {
        let out = Command::new(PYTHON)
            .arg("-c")
            .arg(format!(
                "import urllib.request; urllib.request.urlopen(urllib.request.Request({:?}, data=b''))",
                self.url("/admin/revoke")
            ))
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One access token for `sub`, valid `ttl` seconds (negative: already expired).
pub fn mint(d: &Dovecot, sub: &str, ttl: i64) -> String {
    let out = Command::new(PYTHON)
        .arg(script())
        .arg("mint")
        .arg("--key")
        .arg(d.jwt_key_path())
        .arg("--sub")
        .arg(sub)
        .arg("--ttl")
        .arg(ttl.to_string())
        .output()
        .expect("oauthd.py mint");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}
