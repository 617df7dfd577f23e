//! An SMTP submission server on loopback in front of a private Dovecot:
//! `tests/support/smtpd.py` (aiosmtpd) with STARTTLS or implicit TLS, AUTH
//! checked against Dovecot's passwd-file (and XOAUTH2 with `Options::xoauth2`),
//! and delivery over Dovecot's LMTP.
//!
//! `Smtpd::start(&dovecot)` picks a free port, waits for the script's
//! "READY" line, and kills the process from `Drop`. The script reads its
//! stdin until EOF, so it also exits when this test process dies without
//! running `Drop` (the watchdog).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::dovecot::Dovecot;

/// Debian's python3 has aiosmtpd; a pyenv python on PATH may not.
const PYTHON: &str = "/usr/bin/python3";

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// TLS from the first byte instead of STARTTLS.
    pub implicit: bool,
    /// Answer DATA with 451.
    pub refuse_data: bool,
    /// Offer AUTH XOAUTH2, taking the tokens the server's `Dovecot::start_oauth2` accepts.
    pub xoauth2: bool,
}

pub struct Smtpd {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
}

/// Whether aiosmtpd can run here; skips loudly otherwise (fails under ALLEARS_REQUIRE_SERVERS=1).
pub fn available(test: &str) -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("ALLEARS_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
            panic!("{test}: ALLEARS_REQUIRE_SERVERS=1 but python3-aiosmtpd is not installed");
        }
        eprintln!(
            "SKIPPED {test}: python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
        );
    }
    ok
}

impl Smtpd {
    pub fn start(d: &Dovecot) -> Smtpd {
        Self::start_with(d, Options::default())
    }

    pub fn start_with(d: &Dovecot, opts: Options) -> Smtpd {
        for _attempt in 0..10 {
            if let Some(s) = Self::spawn(d, opts, free_port()) {
                return s;
            }
        }
        panic!("smtpd.py: could not start on a free port after 10 attempts");
    }

    fn spawn(d: &Dovecot, opts: Options, port: u16) -> Option<Smtpd> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtpd.py");
        let log = d.dir().join(format!("smtpd-{port}.log"));
        let mut cmd = Command::new(PYTHON);
        cmd.arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--cert")
            .arg(d.dir().join("cert.pem"))
            .arg("--key")
            .arg(d.dir().join("key.pem"))
            .arg("--passwd")
            .arg(d.dir().join("passwd"))
            .arg("--lmtp-port")
            .arg(d.lmtp_port().to_string())
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(d.dir().join(format!("smtpd-{port}.stderr")))
                    .expect("smtpd stderr file"),
            ));
        if opts.implicit {
            cmd.arg("--implicit");
        }
        if opts.refuse_data {
            cmd.arg("--refuse-data");
        }
        if opts.xoauth2 {
            cmd.arg("--jwt-key").arg(d.jwt_key_path());
        }
        let mut child = cmd.spawn().expect("spawn smtpd.py");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("smtpd stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let ready = rx
            .recv_timeout(Duration::from_secs(15))
            .is_ok_and(|l| l.starts_with("READY"));
        let s = Smtpd {
            child,
            stdin,
            port,
            log,
        };
        if ready {
            Some(s)
        } else {
            let err = std::fs::read_to_string(d.dir().join(format!("smtpd-{port}.stderr")))
                .unwrap_or_default();
            eprintln!("smtpd.py did not start on port {port}:\n{err}");
            None
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's event lines: "auth PLAIN robin ok", "accepted ...", "refused <id>".
    pub fn events(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
