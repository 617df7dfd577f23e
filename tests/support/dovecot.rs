//! A private Dovecot per test, on free loopback ports, with its own test CA
//! (see ../shared/TESTING.md for the recipe and the facts behind it).
//!
//! `Dovecot::start()` writes a config into a short 0755 temp dir, makes a CA
//! and a leaf certificate for `localhost`/127.0.0.1, and runs `dovecot -F` in
//! its own process group. The group is SIGKILLed from `Drop`; a watchdog
//! process (reading a pipe from this test process) kills it too if the test
//! binary dies without running `Drop`. Users alice, bob and robin exist
//! (`USERS`, `password_of`); mail to `USER@localhost` is delivered over LMTP
//! (`lmtp_port`). Helpers talk IMAP (APPEND, LIST, FETCH) for setting up and
//! checking mailboxes, write Maildir files in bulk, kill or restart the
//! server on the same mail, and cut a client's connection at a chosen point
//! (`tripwire`). `available()` decides between skipping loudly and failing
//! (ALLEARS_REQUIRE_SERVERS=1). `start_oauth2()` also takes XOAUTH2 and
//! OAUTHBEARER, validating HS256 JWTs signed with `jwt_key_path()` locally
//! (tests/support/oauthd.py issues them).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The test users and their passwords.
pub const USERS: [(&str, &str); 3] = [
    ("alice", "alice-pw"),
    ("bob", "bob-pw"),
    ("robin", "robin-pw"),
];

pub fn password_of(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("no test user {user}"))
}

/// Dovecot exits with this code when a listener's port is taken.
const EXIT_PORT_TAKEN: i32 = 89;

/// Whether this machine can run Dovecot. In CI (ALLEARS_REQUIRE_SERVERS=1) a
/// missing binary fails the test; elsewhere the test says loudly it was skipped.
pub fn available(test: &str) -> bool {
    let found = Path::new(&dovecot_bin()).is_file();
    if !found {
        if std::env::var("ALLEARS_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
            panic!(
                "{test}: ALLEARS_REQUIRE_SERVERS=1 but dovecot is not installed (run scripts/test)"
            );
        }
        eprintln!(
            "SKIPPED {test}: dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd, or run scripts/test)"
        );
    }
    found
}

fn dovecot_bin() -> String {
    std::env::var("ALLEARS_DOVECOT").unwrap_or_else(|_| "/usr/sbin/dovecot".to_string())
}

/// A running private Dovecot.
pub struct Dovecot {
    dir: tempfile::TempDir,
    imap: u16,
    imaps: u16,
    lmtp: u16,
    /// uid/gid that own the mail (the `dovecot` user as root, else ourselves).
    mail_uid: u32,
    mail_gid: u32,
    server: Option<Child>,
    watchdog: Option<(Child, ChildStdin)>,
    plaintext_auth: bool,
    oauth2: bool,
}

impl Dovecot {
    /// Start a fresh server with empty mailboxes.
    pub fn start() -> Dovecot {
        Self::start_with(true)
    }

    /// Start with `disable_plaintext_auth = yes` when `plaintext_auth` is false.
    pub fn start_with(plaintext_auth: bool) -> Dovecot {
        Self::start_full(plaintext_auth, false)
    }

    /// Start a server that also takes OAuth2 bearer tokens (XOAUTH2,
    /// OAUTHBEARER): JWTs signed with the key in `jwt_key_path()`.
    pub fn start_oauth2() -> Dovecot {
        Self::start_full(true, true)
    }

    fn start_full(plaintext_auth: bool, oauth2: bool) -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("dc")
            .tempdir_in(super::short_tmp())
            .expect("dovecot temp dir");
        chmod(dir.path(), 0o755);
        let (mail_uid, mail_gid) = mail_owner();
        let mut d = Dovecot {
            dir,
            imap: 0,
            imaps: 0,
            lmtp: 0,
            mail_uid,
            mail_gid,
            server: None,
            watchdog: None,
            plaintext_auth,
            oauth2,
        };
        d.make_tls();
        if oauth2 {
            d.write_oauth2();
        }
        d.write_passwd();
        for (u, _) in USERS {
            let home = d.home(u);
            std::fs::create_dir_all(home.join("Maildir")).expect("mail home");
            chown_tree(&d.dir.path().join("home"), mail_uid, mail_gid);
        }
        d.launch(true);
        d
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    pub fn imap_port(&self) -> u16 {
        self.imap
    }
    pub fn imaps_port(&self) -> u16 {
        self.imaps
    }
    pub fn lmtp_port(&self) -> u16 {
        self.lmtp
    }
    pub fn ca_pem_path(&self) -> PathBuf {
        self.dir().join("ca.pem")
    }
    /// Dovecot's HS256 key for OAuth2 tokens, base64 (its `fs:posix` dict
    /// looks it up as azp/alg/kid = default/HS256/default).
    pub fn jwt_key_path(&self) -> PathBuf {
        self.dir().join("keys/default/HS256/default")
    }
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("dovecot.conf")
    }
    pub fn home(&self, user: &str) -> PathBuf {
        self.dir().join("home").join(user)
    }
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.home(user).join("Maildir")
    }
    /// The on-disk Maildir++ folder of an IMAP folder name ("lists/bench" -> .lists.bench).
    pub fn folder_dir(&self, user: &str, folder: &str) -> PathBuf {
        if folder.eq_ignore_ascii_case("INBOX") {
            self.maildir(user)
        } else {
            self.maildir(user)
                .join(format!(".{}", folder.replace('/', ".")))
        }
    }
    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("dovecot.log")).unwrap_or_default()
    }
    /// The process group id of the running server (its master's pid).
    pub fn pgid(&self) -> Option<i32> {
        self.server.as_ref().map(|c| c.id() as i32)
    }

    /// SIGKILL the whole process group: the master and every child serving a client.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            let pgid = child.id() as i32;
            kill_group(pgid);
            let _ = child.wait();
            wait_group_gone(pgid);
        }
        if let Some((mut w, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    /// Wake a server a `Cut::StopAfterFetches` tripwire stopped.
    pub fn resume(&self) {
        if let Some(pgid) = self.pgid() {
            // SAFETY: plain syscall on our own server's process group.
            unsafe {
                libc::kill(-pgid, libc::SIGCONT);
            }
        }
    }

    /// Stop the server (the same as `kill`: SIGTERM takes a second and tells nothing more).
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Start again on the same mail, same ports when they are still free.
    pub fn restart(&mut self) {
        self.kill();
        self.launch(false);
    }

    fn launch(&mut self, fresh_ports: bool) {
        let mut fresh = fresh_ports;
        for _attempt in 0..20 {
            if fresh {
                self.imap = free_port();
                self.imaps = free_port();
                self.lmtp = free_port();
            }
            self.write_config();
            match self.spawn() {
                Ok(()) => return,
                Err(PortTaken) => fresh = true,
            }
        }
        panic!("dovecot: no free ports after 20 attempts\n{}", self.log());
    }

    fn spawn(&mut self) -> Result<(), PortTaken> {
        let mut cmd = Command::new(dovecot_bin());
        cmd.arg("-F")
            .arg("-c")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir().join("dovecot.stderr"))
                    .expect("stderr file"),
            ))
            .process_group(0);
        let mut child = cmd.spawn().expect("spawn dovecot");
        let pgid = child.id() as i32;
        self.watchdog = Some(watchdog(pgid));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                if let Some((mut w, stdin)) = self.watchdog.take() {
                    drop(stdin);
                    let _ = w.wait();
                }
                if status.code() == Some(EXIT_PORT_TAKEN) {
                    return Err(PortTaken);
                }
                panic!(
                    "dovecot exited at start ({status})\n{}\n{}",
                    std::fs::read_to_string(self.dir().join("dovecot.stderr")).unwrap_or_default(),
                    self.log()
                );
            }
            if greets(self.imap) {
                self.server = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                kill_group(pgid);
                let _ = child.wait();
                panic!(
                    "dovecot did not answer on port {} within 10 s\n{}",
                    self.imap,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn write_passwd(&self) {
        let mut text = String::new();
        for (u, p) in USERS {
            text.push_str(&format!(
                "{u}:{{PLAIN}}{p}:{}:{}::{}::\n",
                self.mail_uid,
                self.mail_gid,
                self.home(u).display()
            ));
        }
        std::fs::write(self.dir().join("passwd"), text).expect("passwd");
    }

    /// The local validation key and the oauth2 passdb's settings (TESTING.md).
    fn write_oauth2(&self) {
        let key_dir = self.dir().join("keys/default/HS256");
        std::fs::create_dir_all(&key_dir).expect("keys dir");
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .expect("random key");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        std::fs::write(self.jwt_key_path(), b64).expect("key file");
        for p in [
            self.dir().join("keys"),
            self.dir().join("keys/default"),
            key_dir,
        ] {
            chmod(&p, 0o755);
        }
        chmod(&self.jwt_key_path(), 0o644);
        let d = self.dir().display();
        std::fs::write(
            self.dir().join("oauth2.conf.ext"),
            format!(
                "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={d}/keys/\nusername_attribute = sub\n"
            ),
        )
        .expect("oauth2.conf.ext");
    }

    fn write_config(&self) {
        let d = self.dir().display().to_string();
        let root = unsafe { libc::geteuid() } == 0;
        let users = if root {
            "default_internal_user = dovecot\ndefault_login_user = dovenull\n".to_string()
        } else {
            let me = whoami();
            format!(
                "default_internal_user = {me}\ndefault_login_user = {me}\nservice anvil {{\n  chroot =\n}}\nservice imap-login {{\n  chroot =\n}}\n"
            )
        };
        let conf = format!(
            r#"# Written by tests/support/dovecot.rs; nothing from /etc/dovecot is read.
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-{imap}
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
{users}first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
auth_failure_delay = 0
recipient_delimiter = +
login_trusted_networks = 127.0.0.0/8
mail_max_userip_connections = 1000
mail_fsync = never
disable_plaintext_auth = {plain}
auth_mechanisms = plain login{mechs}
auth_username_format = %Ln
postmaster_address = postmaster@localhost
{oauth2}passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \Drafts
  }}
  mailbox Trash {{
    special_use = \Trash
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
"#,
            uid = self.mail_uid,
            gid = self.mail_gid,
            plain = if self.plaintext_auth { "no" } else { "yes" },
            mechs = if self.oauth2 {
                " xoauth2 oauthbearer"
            } else {
                ""
            },
            oauth2 = if self.oauth2 {
                format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {d}/oauth2.conf.ext\n}}\n"
                )
            } else {
                String::new()
            },
            imap = self.imap,
            imaps = self.imaps,
            lmtp = self.lmtp,
        );
        std::fs::write(self.config_path(), conf).expect("dovecot.conf");
    }

    /// A CA and a leaf certificate for localhost and 127.0.0.1 (EC P-256).
    fn make_tls(&self) {
        make_cert_pair(self.dir(), "ca", "localhost", "DNS:localhost,IP:127.0.0.1");
        let d = self.dir();
        std::fs::rename(d.join("ca-leaf.pem"), d.join("cert.pem")).expect("cert.pem");
        std::fs::rename(d.join("ca-leaf.key"), d.join("key.pem")).expect("key.pem");
    }

    /// Replace the server's certificate with one for another host name (signed
    /// by the same CA), so a client checking the name must refuse it.
    pub fn use_certificate_for(&mut self, host: &str) {
        let d = self.dir().to_path_buf();
        openssl(
            &d,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                &format!("/CN={host}"),
                "-keyout",
                "key.pem",
                "-out",
                "other.csr",
            ],
        );
        std::fs::write(
            d.join("other.ext"),
            format!("subjectAltName=DNS:{host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
        )
        .expect("ext");
        openssl(
            &d,
            &[
                "x509",
                "-req",
                "-in",
                "other.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "3650",
                "-extfile",
                "other.ext",
                "-out",
                "cert.pem",
            ],
        );
        self.restart();
    }

    /// Connect over implicit TLS, trusting the test CA, and log in.
    pub fn session(&self, user: &str) -> Session {
        let tls = self.tls_connector();
        // A handshake interrupted by a signal (EINTR) is retried: setup must not flake.
        let mut last = String::new();
        for _ in 0..5 {
            let tcp = TcpStream::connect(("127.0.0.1", self.imaps)).expect("connect imaps");
            tcp.set_read_timeout(Some(Duration::from_secs(30))).ok();
            match tls.connect("localhost", tcp) {
                Ok(stream) => {
                    let mut client = imap::Client::new(stream);
                    client.read_greeting().expect("greeting");
                    return match client.login(user, password_of(user)) {
                        Ok(s) => Session { inner: s },
                        Err((e, _)) => panic!("login {user}: {e}\n{}", self.log()),
                    };
                }
                Err(e) => last = format!("{e:?}"),
            }
        }
        panic!(
            "TLS handshake with the test CA failed 5 times: {last}\n{}",
            self.log()
        );
    }

    pub fn tls_connector(&self) -> native_tls::TlsConnector {
        let pem = std::fs::read(self.ca_pem_path()).expect("ca.pem");
        let ca = native_tls::Certificate::from_pem(&pem).expect("parse ca.pem");
        native_tls::TlsConnector::builder()
            .add_root_certificate(ca)
            .build()
            .expect("TLS connector")
    }

    /// APPEND one message to a folder (created when missing); returns nothing
    /// useful but panics on failure, for test setup.
    pub fn append(&self, user: &str, folder: &str, raw: &[u8]) {
        let mut s = self.session(user);
        s.ensure(folder);
        s.append(folder, raw, &[]);
    }

    /// Write messages straight into a Maildir folder (no IMAP), named so that
    /// Dovecot assigns UIDs in order, then let Dovecot index them. Much faster
    /// than APPEND for thousands of messages.
    pub fn bulk_write(
        &self,
        user: &str,
        folder: &str,
        messages: impl IntoIterator<Item = Vec<u8>>,
    ) -> usize {
        self.bulk_write_dated(user, folder, messages.into_iter().map(|m| (m, None)))
    }

    /// Like `bulk_write`, with an internal date (unix seconds) per message:
    /// Dovecot takes a Maildir message's INTERNALDATE from the file's mtime.
    pub fn bulk_write_dated(
        &self,
        user: &str,
        folder: &str,
        messages: impl IntoIterator<Item = (Vec<u8>, Option<u64>)>,
    ) -> usize {
        let dir = self.folder_dir(user, folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("maildir folder");
        }
        // Continue after files already there, so UIDs keep following names.
        let mut n = std::fs::read_dir(dir.join("cur"))
            .map(|d| d.count())
            .unwrap_or(0);
        let start = n;
        for (raw, mtime) in messages {
            let name = format!(
                "{}.M{}P{}.allears-test,S={}:2,",
                1_600_000_000 + n as u64 / 1_000_000,
                n % 1_000_000,
                n,
                raw.len()
            );
            let path = dir.join("cur").join(name);
            std::fs::write(&path, &raw).expect("write maildir file");
            if let Some(secs) = mtime {
                let when = std::time::UNIX_EPOCH + Duration::from_secs(secs);
                std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(when))
                    .expect("set mtime");
            }
            n += 1;
        }
        if !folder.eq_ignore_ascii_case("INBOX") {
            std::fs::write(dir.join("maildirfolder"), b"").ok();
        }
        chown_tree(&self.home(user), self.mail_uid, self.mail_gid);
        self.doveadm(&["mailbox", "status", "-u", user, "messages", folder]);
        n - start
    }

    /// Run `doveadm -c CONF ...` against this server; returns stdout.
    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .output()
            .expect("run doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Give a folder a new UIDVALIDITY (what a server does after a rebuild).
    pub fn change_uidvalidity(&self, user: &str, folder: &str, uidvalidity: u32) {
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            user,
            "--uid-validity",
            &uidvalidity.to_string(),
            folder,
        ]);
    }

    /// A loopback TCP proxy in front of the plain IMAP port that SIGKILLs the
    /// server's process group when `cut` says so: a deterministic "server died
    /// mid-fetch". Returns the port to connect to.
    pub fn tripwire(&self, cut: Cut) -> Tripwire {
        Tripwire::start(self.imap, self.pgid().expect("server running"), cut)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.kill();
    }
}

/// When a tripwire kills the server.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// After this many bytes from the server (counting the whole connection).
    AfterBytes(usize),
    /// Right after the server completed this many FETCH commands (its tagged "OK Fetch completed").
    AfterFetches(usize),
    /// Like `AfterFetches`, but SIGSTOP the group: the server goes silent
    /// without closing anything (a timeout); `Dovecot::resume` wakes it.
    StopAfterFetches(usize),
}

pub struct Tripwire {
    pub port: u16,
    fired: Arc<AtomicBool>,
}

impl Tripwire {
    fn start(upstream: u16, pgid: i32, cut: Cut) -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").expect("tripwire bind");
        let port = listener.local_addr().expect("addr").port();
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        std::thread::spawn(move || {
            // Serve connections one after another until the wire fires once.
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
                    return;
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                relay_until_cut(server, client, pgid, cut, &f);
                if f.load(Ordering::SeqCst) {
                    return;
                }
            }
        });
        Tripwire { port, fired }
    }

    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

fn relay_until_cut(
    mut server: TcpStream,
    mut client: TcpStream,
    pgid: i32,
    cut: Cut,
    fired: &AtomicBool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    let mut fetches = 0usize;
    let needle = b"OK Fetch completed";
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if let Cut::AfterBytes(limit) = cut
            && total + n >= limit
        {
            chunk = &buf[..limit.saturating_sub(total)];
            let _ = client.write_all(chunk);
            kill_group(pgid);
            fired.store(true, Ordering::SeqCst);
            break;
        }
        total += n;
        if client.write_all(chunk).is_err() {
            break;
        }
        if let Cut::AfterFetches(k) | Cut::StopAfterFetches(k) = cut {
            tail.extend_from_slice(chunk);
            let mut from = 0;
            while let Some(pos) = find(&tail[from..], needle) {
                fetches += 1;
                from += pos + needle.len();
            }
            let keep = tail.len().saturating_sub(needle.len());
            tail.drain(..keep.max(from).min(tail.len()));
            if fetches >= k {
                fired.store(true, Ordering::SeqCst);
                if let Cut::StopAfterFetches(_) = cut {
                    // SAFETY: plain syscall on the server's process group.
                    unsafe {
                        libc::kill(-pgid, libc::SIGSTOP);
                    }
                    // Keep both sockets open: the client must notice the silence itself.
                    let _ = server.read(&mut buf);
                    return;
                }
                kill_group(pgid);
                break;
            }
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An IMAP session for test setup and assertions.
pub struct Session {
    pub inner: imap::Session<native_tls::TlsStream<TcpStream>>,
}

/// One message as the server has it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: u32,
    pub flags: Vec<String>,
    pub raw: Vec<u8>,
}

impl Session {
    /// Create a folder unless it exists.
    pub fn ensure(&mut self, folder: &str) {
        if folder.eq_ignore_ascii_case("INBOX") {
            return;
        }
        if !self.list().iter().any(|f| f == folder) {
            self.inner
                .create(folder)
                .unwrap_or_else(|e| panic!("CREATE {folder}: {e}"));
        }
    }

    /// APPEND with flags like "\\Seen".
    pub fn append(&mut self, folder: &str, raw: &[u8], flags: &[&str]) {
        let flags: Vec<imap::types::Flag<'_>> = flags
            .iter()
            .map(|f| imap::types::Flag::from(f.to_string()))
            .collect();
        self.inner
            .append(folder, raw)
            .flags(flags)
            .finish()
            .unwrap_or_else(|e| panic!("APPEND to {folder}: {e}"));
    }

    /// Every folder name.
    pub fn list(&mut self) -> Vec<String> {
        let names = self.inner.list(None, Some("*")).expect("LIST");
        names.iter().map(|n| n.name().to_string()).collect()
    }

    /// Every message of a folder with UID, flags and bytes, read-only (EXAMINE, BODY.PEEK).
    pub fn fetch_all(&mut self, folder: &str) -> Vec<Fetched> {
        let mb = self
            .inner
            .examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder}: {e}"));
        if mb.exists == 0 {
            return Vec::new();
        }
        let fetches = self
            .inner
            .uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])")
            .expect("UID FETCH");
        let mut out: Vec<Fetched> = fetches
            .iter()
            .map(|f| Fetched {
                uid: f.uid.unwrap_or(0),
                flags: f.flags().iter().map(|fl| fl.to_string()).collect(),
                raw: f.body().unwrap_or_default().to_vec(),
            })
            .collect();
        out.sort_by_key(|f| f.uid);
        out
    }

    /// Only UIDs and flags.
    pub fn flags(&mut self, folder: &str) -> Vec<(u32, Vec<String>)> {
        let mb = self
            .inner
            .examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder}: {e}"));
        if mb.exists == 0 {
            return Vec::new();
        }
        let fetches = self
            .inner
            .uid_fetch("1:*", "(UID FLAGS)")
            .expect("UID FETCH FLAGS");
        let mut out: Vec<(u32, Vec<String>)> = fetches
            .iter()
            .map(|f| {
                (
                    f.uid.unwrap_or(0),
                    f.flags().iter().map(|fl| fl.to_string()).collect(),
                )
            })
            .collect();
        out.sort_by_key(|f| f.0);
        out
    }

    pub fn uidvalidity(&mut self, folder: &str) -> u32 {
        self.inner
            .examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder}: {e}"))
            .uid_validity
            .unwrap_or(0)
    }
}

struct PortTaken;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// True when something on the port sends an IMAP greeting.
fn greets(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_millis(500))).ok();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).is_ok() && &buf == b"* OK"
}

/// A `sh` that kills the process group when our end of its stdin closes,
/// which happens however this test process ends.
fn watchdog(pgid: i32) -> (Child, ChildStdin) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("cat >/dev/null; kill -9 -{pgid} 2>/dev/null"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn watchdog");
    let stdin = child.stdin.take().expect("watchdog stdin");
    (child, stdin)
}

fn kill_group(pgid: i32) {
    if pgid > 1 {
        // SAFETY: plain syscall; a negative pid names the process group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// After SIGKILL the children linger as zombies until init reaps them (over a
/// second here); zombies hold no ports or files, so wait (at most 2 s) only
/// until no live member of the group is left.
fn wait_group_gone(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while live_members(pgid) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Processes of a group that are not zombies (from /proc/PID/stat).
pub fn live_members(pgid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                return false;
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            f.len() > 2 && f[0] != "Z" && f[2] == pgid.to_string()
        })
        .count()
}

fn mail_owner() -> (u32, u32) {
    // SAFETY: plain syscalls.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if uid != 0 {
        return (uid, gid);
    }
    let out = Command::new("id")
        .args(["-u", "dovecot"])
        .output()
        .expect("id dovecot");
    let uid: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("dovecot uid");
    let out = Command::new("id")
        .args(["-g", "dovecot"])
        .output()
        .expect("id dovecot");
    let gid: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("dovecot gid");
    (uid, gid)
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn chown_tree(p: &Path, uid: u32, gid: u32) {
    // SAFETY: geteuid is a plain syscall.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(p)
        .status()
        .expect("chown");
    assert!(status.success(), "chown -R {}", p.display());
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Make `{prefix}.pem`/`.key` (a CA) and `{prefix}-leaf.pem`/`.key` for `cn` with `san`.
pub fn make_cert_pair(dir: &Path, prefix: &str, cn: &str, san: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=allears test CA",
            "-keyout",
            &format!("{prefix}.key"),
            "-out",
            &format!("{prefix}.pem"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            &format!("/CN={cn}"),
            "-keyout",
            &format!("{prefix}-leaf.key"),
            "-out",
            "leaf.csr",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .expect("leaf.ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            &format!("{prefix}.pem"),
            "-CAkey",
            &format!("{prefix}.key"),
            "-CAcreateserial",
            "-days",
            "3650",
            "-extfile",
            "leaf.ext",
            "-out",
            &format!("{prefix}-leaf.pem"),
        ],
    );
}
