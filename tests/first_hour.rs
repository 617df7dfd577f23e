//! Issue 16, a first hour that goes right: the demo built into the binary,
//! no config meaning no files, `init`, a `check` of everything that can
//! fail at 07:30 (against the real Dovecot and SMTP server), the command
//! line's conventions, and an import that accounts for every file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::dovecot::{self, Dovecot};
use crate::support::smtp::{self, Options, Smtpd};
use crate::support::{Env, Run, bin, corpora, owner_config};

/// Every file and folder under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The built binary copied alone into an empty folder, run there with a
/// HOME and XDG_CONFIG_HOME of its own, so no config of this machine is found.
struct Alone {
    dir: tempfile::TempDir,
}

impl Alone {
    fn new() -> Alone {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(bin(), dir.path().join("allears")).expect("copy the binary");
        Alone { dir }
    }

    fn run(&self, args: &[&str]) -> Run {
        let home = self.dir.path().join("home");
        Run::from(
            Command::new(self.dir.path().join("allears"))
                .args(args)
                .current_dir(self.dir.path())
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .output()
                .expect("run the copied allears"),
        )
    }
}

#[test]
fn the_binary_alone_in_an_empty_folder_runs_the_demo_and_other_commands_ask_for_init() {
    let alone = Alone::new();
    let before = listing(alone.dir.path());
    assert_eq!(before, ["allears"]);
    for args in [
        &["items"][..],
        &["messages"],
        &["import", "."],
        &["fetch"],
        &["check"],
        &["digest"],
        &["daemon"],
    ] {
        let r = alone.run(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("no config: run allears init"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(listing(alone.dir.path()), before, "{args:?} created a file");
    }
    let r = alone.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("this is the demo"), "{}", r.stderr);
    assert!(
        r.stderr.contains("allears-demo/out/digest-2026-11-26.txt"),
        "{}",
        r.stderr
    );
    let digest = std::fs::read_to_string(
        alone
            .dir
            .path()
            .join("allears-demo/out/digest-2026-11-26.txt"),
    )
    .expect("the demo digest is written");
    let items = digest
        .lines()
        .filter(|l| {
            l.strip_prefix('#')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    assert!(items > 0, "a digest with items:\n{digest}");
    assert!(digest.contains("Denise Okonkwo"), "{digest}");
    // Everything the demo made is in its one folder.
    assert!(
        listing(alone.dir.path())
            .iter()
            .all(|p| p == "allears" || p.starts_with("allears-demo")),
        "{:?}",
        listing(alone.dir.path())
    );
    // Without --demo, other commands still want a config, and make nothing.
    let after_demo = listing(alone.dir.path());
    let r = alone.run(&["items"]);
    assert_eq!(r.status.code(), Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("run allears init"), "{}", r.stderr);
    assert_eq!(listing(alone.dir.path()), after_demo);
    // With --demo they read the demo's state.
    let items = alone.run(&["--demo", "items"]).ok();
    assert!(items.starts_with("ID "), "{items}");
    assert!(items.contains("Denise Okonkwo"), "{items}");
    let shown = alone.run(&["--demo", "show", "1"]).ok();
    assert!(shown.contains("Subject: "), "{shown}");
    assert!(alone.run(&["--demo", "explain", "1"]).ok().contains("why:"));
}

#[test]
fn demo_without_a_demo_run_creates_nothing() {
    let alone = Alone::new();
    let r = alone.run(&["--demo", "items"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("no demo here"), "{}", r.stderr);
    assert_eq!(listing(alone.dir.path()), ["allears"]);
}

#[test]
fn completions_and_the_man_page_need_no_config() {
    let alone = Alone::new();
    let bash = alone.run(&["completions", "bash"]).ok();
    assert!(bash.contains("complete -F _allears"), "{bash}");
    assert!(bash.contains("unsnooze"), "every subcommand completes");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let s = alone.run(&["completions", shell]).ok();
        assert!(s.contains("allears") && s.len() > 500, "{shell}: {s}");
    }
    assert!(!alone.run(&["completions", "tcsh"]).status.success());
    let man = alone.run(&["man"]).ok();
    assert!(man.contains(".TH allears 1"), "{man}");
    assert!(man.contains("completions"), "{man}");
    assert_eq!(listing(alone.dir.path()), ["allears"]);
}

#[test]
fn help_lists_the_exit_codes_and_usage_errors_are_not_import_failures() {
    let help = Env::new().run(&["--help"]).ok();
    for want in [
        "Exit codes:",
        "2  usage error",
        "3  an account",
        "4  nothing imported",
    ] {
        assert!(help.contains(want), "{want}: {help}");
    }
    let env = Env::new();
    assert_eq!(env.run(&["snooze"]).status.code(), Some(2), "a usage error");
    env.write("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_eq!(env.run(&["import", "photo.png"]).status.code(), Some(4));
}

// ---- init ----

fn servers(test: &str) -> bool {
    dovecot::available(test) && smtp::available(test)
}

#[test]
fn init_from_flags_writes_a_private_annotated_config_and_checks_it() {
    if !servers("init_from_flags_writes_a_private_annotated_config_and_checks_it") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = Env::new();
    let path = env.path().join("conf/digest.toml");
    let ca = d.ca_pem_path();
    let (imap_port, smtp_port) = (d.imap_port().to_string(), s.port().to_string());
    let args = [
        "init",
        "--name",
        "Robin Ellis",
        "--address",
        "robin@ellis-on-it.example",
        "--address",
        "rellis@mailhost.example",
        "--host",
        "localhost",
        "--port",
        &imap_port,
        "--tls",
        "starttls",
        "--ca-file",
        ca.to_str().unwrap(),
        "--username",
        "robin",
        "--password-env",
        "INIT_PW",
        "--smtp-host",
        "localhost",
        "--smtp-port",
        &smtp_port,
        "--smtp-tls",
        "starttls",
        "--timezone",
        "Europe/Lisbon",
    ];
    let run = |args: &[&str]| {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(&path)
            .args(args)
            .current_dir(env.path())
            .env("INIT_PW", dovecot::password_of("robin"))
            .stdin(std::process::Stdio::null());
        Run::from(c.output().unwrap())
    };
    let r = run(&args);
    assert!(r.status.success(), "{}\n{}", r.stdout, r.stderr);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "readable by its owner only");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("# Your name, as the digest greets you."),
        "annotated: {text}"
    );
    assert!(
        !text.contains(dovecot::password_of("robin")),
        "no secret is written"
    );
    // init ran check: IMAP logged in, SMTP authenticated, nothing was sent.
    for want in [
        "account main:",
        "logged in",
        "smtp:",
        "nothing was sent",
        "Europe/Lisbon",
    ] {
        assert!(r.stdout.contains(want), "{want}: {}", r.stdout);
    }
    assert!(!r.stdout.contains("PROBLEM"), "{}", r.stdout);
    assert!(s.events().contains("auth"), "{}", s.events());
    assert!(
        !s.events().contains("accepted"),
        "check sends nothing: {}",
        s.events()
    );
    // The config it wrote is the one allears reads.
    d.append("robin", "INBOX", b"Message-ID: <i1@r.example>\r\nFrom: r@r.example\r\nSubject: hi\r\n\r\nCould you help?\r\n");
    let fetch = run(&["fetch"]);
    assert!(fetch.status.success(), "{}", fetch.stderr);
    assert!(
        fetch.stderr.contains("main/INBOX: 1 new"),
        "{}",
        fetch.stderr
    );
    // A second init does not overwrite it.
    let again = run(&args);
    assert!(!again.status.success());
    assert!(
        again.stderr.contains("is there already"),
        "{}",
        again.stderr
    );
}

#[test]
fn init_without_a_terminal_names_the_flag_it_needs_and_writes_nothing() {
    let env = Env::new();
    let path = env.path().join("new.toml");
    let r = Run::from(
        Command::new(bin())
            .arg("--config")
            .arg(&path)
            .args(["init", "--name", "Robin"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(r.status.code(), Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--address is needed"), "{}", r.stderr);
    assert!(!path.exists());
}

// ---- check ----

fn account_block(d: &Dovecot, port: u16, tls: &str) -> String {
    format!(
        "[[account]]\nname = \"main\"\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\nca_file = \"{}\"\nusername = \"robin\"\npassword_env = \"PW\"\ntimeout_secs = 3\n",
        d.ca_pem_path().display()
    )
}

fn smtp_block(d: &Dovecot, port: u16, tls: &str) -> String {
    format!(
        "[smtp]\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\nca_file = \"{}\"\nusername = \"robin\"\npassword_env = \"PW\"\nfrom = \"allears <robin@ellis-on-it.example>\"\nto = \"robin@ellis-on-it.example\"\ntimeout_secs = 3\n",
        d.ca_pem_path().display()
    )
}

/// A config with these blocks and a local source, so nothing but them can fail.
fn check_env(blocks: &str) -> Env {
    let mut env = Env::with_config(&owner_config(&format!(
        "{blocks}\n[[source]]\npath = \"mail\"\n"
    )));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    env.vars
        .push(("PW".into(), dovecot::password_of("robin").into()));
    env
}

#[test]
fn check_tries_imap_smtp_schedule_and_folders_and_sends_nothing() {
    if !servers("check_tries_imap_smtp_schedule_and_folders_and_sends_nothing") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = check_env(
        &(account_block(&d, d.imaps_port(), "implicit") + &smtp_block(&d, s.port(), "starttls")),
    );
    let r = env.run(&["check"]);
    assert!(r.status.success(), "{}\n{}", r.stdout, r.stderr);
    for want in [
        "account main:",
        "smtp:",
        "(STARTTLS) as robin, auth password",
        "TLS verified, logged in, quit: nothing was sent",
        "schedule:",
        "daily at 07:30 Europe/Lisbon; the next digest is due",
        "folders:",
        "digest output",
    ] {
        assert!(r.stdout.contains(want), "{want}: {}", r.stdout);
    }
    assert!(s.events().contains("auth"), "{}", s.events());
    assert!(!s.events().contains("accepted"), "{}", s.events());
    assert!(
        d.session("robin").fetch_all("INBOX").is_empty(),
        "nothing arrived"
    );
    // A wrong SMTP password is a login problem, named, with no port hint.
    let mut bad = check_env(&smtp_block(&d, s.port(), "starttls").replace("\"PW\"", "\"PW2\""));
    bad.vars.push(("PW2".into(), "not-the-password".into()));
    let r = bad.run(&["check"]);
    assert!(!r.status.success());
    assert!(
        r.stdout.contains("refused the login of `robin`"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hint:"), "{}", r.stdout);
}

#[test]
fn check_hints_at_the_wrong_tls_mode_the_wrong_port_and_a_certificate_for_another_host() {
    if !servers(
        "check_hints_at_the_wrong_tls_mode_the_wrong_port_and_a_certificate_for_another_host",
    ) {
        return;
    }
    let mut d = Dovecot::start();
    let s = Smtpd::start(&d);
    let implicit_smtp = Smtpd::start_with(
        &d,
        Options {
            implicit: true,
            ..Options::default()
        },
    );
    let cases = [
        // Implicit TLS on IMAP's STARTTLS port: the raw OpenSSL error, then the hint.
        (
            account_block(&d, d.imap_port(), "implicit"),
            format!("port {} greets in clear text", d.imap_port()),
            "wants STARTTLS, not implicit TLS; set tls = \"starttls\", or port = 993",
        ),
        // The reverse: STARTTLS on the implicit TLS port.
        (
            account_block(&d, d.imaps_port(), "starttls"),
            format!("port {} speaks TLS from the first byte", d.imaps_port()),
            "set tls = \"implicit\", or port = 143 for STARTTLS",
        ),
        // The same two for SMTP.
        (
            smtp_block(&d, s.port(), "implicit"),
            format!("port {} greets in clear text", s.port()),
            "set tls = \"starttls\", or port = 465",
        ),
        (
            smtp_block(&d, implicit_smtp.port(), "starttls"),
            format!(
                "port {} speaks TLS from the first byte",
                implicit_smtp.port()
            ),
            "port = 587 for STARTTLS",
        ),
        // The wrong port: SMTP pointed at the IMAP server.
        (
            smtp_block(&d, d.imap_port(), "starttls"),
            format!("port {} is an IMAP server", d.imap_port()),
            "not SMTP: SMTP is usually port 465 (implicit TLS) or 587 (STARTTLS)",
        ),
    ];
    for (block, want, also) in &cases {
        let r = check_env(block).run(&["check"]);
        assert_eq!(r.status.code(), Some(1), "{block}\n{}", r.stdout);
        assert!(r.stdout.contains("hint:"), "{block}\n{}", r.stdout);
        assert!(
            r.stdout.contains(want.as_str()),
            "{want}\n{block}\n{}",
            r.stdout
        );
        assert!(r.stdout.contains(also), "{also}\n{block}\n{}", r.stdout);
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    }
    d.use_certificate_for("other.example");
    let r = check_env(&account_block(&d, d.imaps_port(), "implicit")).run(&["check"]);
    assert!(!r.status.success());
    assert!(
        r.stdout
            .contains("the server's certificate is for another name than localhost"),
        "{}",
        r.stdout
    );
}

// ---- conventions ----

/// Two readers' questions in a Maildir, one a reply to the other's thread.
fn two_questions(env: &Env) {
    env.write(
        "mail/cur/1:2,S",
        "Message-ID: <q1@reader.example>\nFrom: Ann Reader <ann@reader.example>\nTo: robin@ellis-on-it.example\nDate: Tue, 24 Nov 2026 10:00:00 +0000\nSubject: =?UTF-8?Q?Caf=C3=A9_backups?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nRobin, how do you back up the caf=C3=A9's server?\n",
    );
    env.write(
        "mail/cur/2:2,S",
        "Message-ID: <q2@reader.example>\nFrom: Ben <ben@other.example>\nTo: robin@ellis-on-it.example\nDate: Wed, 25 Nov 2026 10:00:00 +0000\nSubject: Re: Cafe backups\nIn-Reply-To: <q1@reader.example>\nReferences: <q1@reader.example>\n\nRobin, and which disk would you buy for it?\n",
    );
}

fn item_env() -> Env {
    let env = Env::with_config(&owner_config("[[source]]\npath = \"mail\"\n"))
        .now("2026-11-26T08:00:00Z");
    two_questions(&env);
    env.run(&["import", "mail"]).ok();
    env
}

#[test]
fn items_is_an_aligned_table_with_ages() {
    let env = item_env();
    let out = env.run(&["items"]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("ID "), "{out}");
    assert!(lines.len() >= 3, "{out}");
    let age_col = lines[0].find("AGE").unwrap();
    let what_col = lines[0].find("WHAT").unwrap();
    for l in &lines[1..] {
        // Every line's summary starts under WHAT; the ages end where AGE does.
        assert_eq!(
            l.char_indices().nth(what_col - 2).map(|(_, c)| c),
            Some(' '),
            "{out}"
        );
        assert!(
            l[..what_col].trim_end().ends_with(['d', 'h', 'm', 'w']),
            "{out}"
        );
        assert!(age_col < what_col);
    }
    // 46 and 22 hours before the pinned now.
    assert!(out.contains(" 1d  Ann Reader (direct mail): "), "{out}");
    assert!(out.contains("22h  Ben (direct mail): "), "{out}");
}

#[test]
fn show_prints_the_original_decoded_with_its_thread_by_item_or_message_id() {
    let env = item_env();
    let id = env.item_of("q1@reader.example");
    for what in [
        id.clone(),
        format!("#{id}"),
        "<q1@reader.example>".to_string(),
    ] {
        let out = env.run(&["show", &what]).ok();
        assert!(out.contains("Subject: Café backups"), "{out}");
        assert!(
            out.contains("From: Ann Reader <ann@reader.example>"),
            "{out}"
        );
        assert!(
            out.contains("how do you back up the café's server?"),
            "decoded: {out}"
        );
        assert!(out.contains("Thread (2 messages"), "{out}");
        assert!(out.contains("* 2026-11-24 ann@reader.example"), "{out}");
        assert!(
            out.contains("ben@other.example <q2@reader.example>"),
            "{out}"
        );
    }
    // explain takes an item id too.
    assert!(
        env.run(&["explain", &id])
            .ok()
            .contains("<q1@reader.example>")
    );
    let r = env.run(&["show", "999"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("there is no item #999"), "{}", r.stderr);
}

#[test]
fn unmute_unsnooze_and_mutes_undo_what_was_done() {
    let env = item_env();
    let a = env.item_of("q1@reader.example");
    let b = env.item_of("q2@reader.example");
    let listed = |env: &Env, mid: &str| {
        env.run(&["items", "--json"])
            .json_lines()
            .iter()
            .any(|i| i["message_ids"][0] == mid)
    };
    assert!(env.run(&["mutes"]).ok().contains("nothing is muted"));
    env.run(&["mute", &a]).ok();
    let mutes = env.run(&["mutes"]).ok();
    assert!(
        mutes.contains("thread  q1@reader.example “Café backups”"),
        "{mutes}"
    );
    assert!(!listed(&env, "q1@reader.example"));
    let un = env.run(&["unmute", &a]).ok();
    assert!(un.contains("unmuted the thread of “Café backups”"), "{un}");
    assert!(env.run(&["mutes"]).ok().contains("nothing is muted"));
    assert!(listed(&env, "q1@reader.example"), "back after unmute");
    // Muted again: done again, not refused as a repeat.
    assert!(env.run(&["mute", &a]).ok().contains("will not come back"));
    // By the value `mutes` shows, too; then there is nothing left to unmute.
    env.run(&["unmute", "q1@reader.example"]).ok();
    let none = env.run(&["unmute", "q1@reader.example"]);
    assert!(!none.status.success());
    assert!(none.stderr.contains("is muted"), "{}", none.stderr);
    // Snooze, then unsnooze.
    env.run(&["snooze", &b, "3d"]).ok();
    assert!(!listed(&env, "q2@reader.example"));
    assert!(env.run(&["unsnooze", &b]).ok().contains("is back"));
    assert!(listed(&env, "q2@reader.example"));
    let again = env.run(&["unsnooze", &b]);
    assert!(!again.status.success());
    assert!(again.stderr.contains("is not snoozed"), "{}", again.stderr);
}

#[test]
fn the_outbox_lists_what_waits_and_a_cancelled_message_is_never_sent() {
    let env = item_env();
    let a = env.item_of("q1@reader.example");
    env.write("answer.txt", "I use restic, nightly.\n");
    let r = env.run(&["reply", &a, "--file", "answer.txt"]);
    assert!(r.status.success(), "{}", r.stderr);
    let listed = env.run(&["outbox"]).ok();
    assert!(
        listed.contains("pending   answer  to ann@reader.example"),
        "{listed}"
    );
    let n = listed.split_whitespace().next().unwrap().to_string();
    assert!(
        env.run(&["outbox", "cancel", &n])
            .ok()
            .contains("it will not be sent")
    );
    assert!(env.run(&["outbox"]).ok().contains("cancelled answer"));
    let again = env.run(&["outbox", "cancel", &n]);
    assert!(!again.status.success());
    assert!(again.stderr.contains("is cancelled"), "{}", again.stderr);
    // Nothing waits any more: a run says nothing about the outbox.
    let run = env.run(&["run"]);
    assert!(!run.stderr.contains("wait in the outbox"), "{}", run.stderr);
}

#[test]
fn quiet_says_only_errors() {
    let env = item_env();
    let r = env.run(&["-q", "run", "--force"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert_eq!(r.stderr, "", "nothing to say when all is well");
    assert_eq!(r.stdout, "");
    let loud = env.run(&["run", "--force"]);
    assert!(
        loud.stderr
            .contains("imported 0 new message(s), 2 already known"),
        "{}",
        loud.stderr
    );
    env.write("hello.txt", "hello\n");
    let r = env.run(&["-q", "import", "hello.txt"]);
    assert_eq!(r.status.code(), Some(4));
    assert!(
        r.stderr
            .contains("hello.txt: text that does not begin like mail"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("imported 0 new"), "{}", r.stderr);
}

#[test]
fn the_daemon_stamps_its_log_lines_with_the_time() {
    let env = Env::with_config(&owner_config("[[source]]\npath = \"mail\"\n"));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    let mut child = env
        .cmd(&["daemon"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(30));
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let first = first.expect("the daemon logs that it started");
    let stamp = regex::Regex::new(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} +INFO daemon started",
    )
    .unwrap();
    assert!(stamp.is_match(&first), "{first}");
    // A command's lines carry no time.
    let r = env.run(&["run"]);
    assert!(
        r.stderr.lines().all(|l| !l.starts_with("20")),
        "{}",
        r.stderr
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    if !Path::new("/usr/bin/script").is_file() {
        eprintln!(
            "SKIPPED colour_only_on_a_terminal_and_never_with_no_color: no script(1) to make a terminal"
        );
        return;
    }
    let env = Env::with_config(&owner_config("[[source]]\npath = \"mail\"\n"));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    let on_terminal = |no_color: Option<&str>| {
        let line = format!(
            "{} --config {} check",
            bin().display(),
            env.path().join("digest.toml").display()
        );
        let mut c = Command::new("/usr/bin/script");
        c.args(["-qec", &line, "/dev/null"])
            .env("TERM", "xterm")
            .env("XDG_CONFIG_HOME", env.path().join("xdg"));
        match no_color {
            Some(v) => c.env("NO_COLOR", v),
            None => c.env_remove("NO_COLOR"),
        };
        Run::from(c.output().unwrap()).stdout
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains("\x1b[32mok\x1b[0m"), "{coloured:?}");
    let plain = on_terminal(Some("1"));
    assert!(plain.contains("ok") && !plain.contains('\x1b'), "{plain:?}");
    // Not a terminal: no colour either.
    let piped = env.run(&["check"]).stdout;
    assert!(!piped.contains('\x1b'), "{piped:?}");
}

// ---- import ----

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

const PIPERMAIL: &str = "From ann at reader.example  Tue Nov  3 10:00:00 2026\nFrom: ann at reader.example (Ann)\nDate: Tue, 03 Nov 2026 10:00:00 +0000\nSubject: [list] first\nMessage-ID: <p1@reader.example>\n\nFrom what I can tell, it works.\n\nFrom ben at other.example  Tue Nov  3 11:00:00 2026\nFrom: ben at other.example (Ben)\nDate: Tue, 03 Nov 2026 11:00:00 +0000\nSubject: [list] second\nMessage-ID: <p2@reader.example>\n\nIt does.\n";

fn stored_ids(env: &Env) -> Vec<String> {
    let mut ids: Vec<String> = env
        .run(&["messages", "--json"])
        .json_lines()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// Each stored message's id, source and `field` (from `messages --json`),
/// sorted by id.
fn by_message<T: Ord>(
    env: &Env,
    field: impl Fn(&serde_json::Value) -> T,
) -> Vec<(String, String, T)> {
    let mut v: Vec<_> = env
        .run(&["messages", "--json"])
        .json_lines()
        .iter()
        .map(|m| {
            (
                m["message_id"].as_str().unwrap().to_string(),
                m["source"].as_str().unwrap().to_string(),
                field(m),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_gzipped_pipermail_archive_is_imported_as_its_messages() {
    let env = Env::new();
    env.write("2026-November.txt.gz", gzip(PIPERMAIL.as_bytes()));
    let r = env.run(&["import", "2026-November.txt.gz"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 2 new"), "{}", r.stderr);
    assert_eq!(stored_ids(&env), ["p1@reader.example", "p2@reader.example"]);
    let first = env
        .run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .find(|m| m["message_id"] == "p1@reader.example")
        .unwrap();
    assert_eq!(first["from"], "ann@reader.example", "{first}");
    // bzip2 and xz too, with the same messages: known, not stored twice.
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(PIPERMAIL.as_bytes()).unwrap();
    env.write("archive/nov.txt.bz2", bz.finish().unwrap());
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(PIPERMAIL.as_bytes()).unwrap();
    env.write("archive/nov.txt.xz", xz.finish().unwrap());
    let r = env.run(&["import", "archive"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("imported 0 new message(s), 4 already known"),
        "{}",
        r.stderr
    );
    assert_eq!(stored_ids(&env).len(), 2);
}

/// A pipermail volume whose From lines show plain addresses (R-devel's
/// before 2007) or masked ones (since 2018), with a post asking "you".
const PLAIN_PIPERMAIL: &str = "From ann@reader.example  Tue Mar  3 10:00:00 2001\nFrom: ann@reader.example (Ann)\nDate: Tue, 03 Mar 2001 10:00:00 +0000\nSubject: [Rd] qr of an lm\nMessage-ID: <v1@reader.example>\n\nCould you tighten is.qr? It took an lm.\n\nFrom b@n @end|ng |rom other@ex@mp|e  Tue Mar  3 11:00:00 2001\nFrom: b@n @end|ng |rom other@ex@mp|e (Ben)\nDate: Tue, 03 Mar 2001 11:00:00 +0000\nSubject: [Rd] qr of an lm\nMessage-ID: <v2@reader.example>\nIn-Reply-To: <v1@reader.example>\n\nAnn, why not check the class?\n\n";

#[test]
fn every_post_of_a_pipermail_volume_is_list_mail_whatever_its_from_shows() {
    let env = Env::new();
    let sources = |env: &Env| by_message(env, |m| m["asks_owner"].as_bool().unwrap());
    // The same posts under a name that is not an archive's volume are a
    // person's mail to the owner (the first) and an archive's (the second,
    // whose From is masked).
    env.write("posts.mbox", PLAIN_PIPERMAIL);
    let r = env.run(&["import", "posts.mbox"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert_eq!(
        sources(&env),
        [
            ("v1@reader.example".into(), "direct".into(), true),
            ("v2@reader.example".into(), "list".into(), false),
        ]
    );
    let env = Env::new();
    env.write("r-devel/2001-March.txt", PLAIN_PIPERMAIL);
    let r = env.run(&["import", "r-devel"]);
    assert!(r.status.success(), "{}", r.stderr);
    let listed = [
        ("v1@reader.example".into(), "list".into(), false),
        ("v2@reader.example".into(), "list".into(), false),
    ];
    assert_eq!(sources(&env), listed);
    let why = env
        .run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .find(|m| m["message_id"] == "v1@reader.example")
        .unwrap()["reasons"]
        .to_string();
    assert!(
        why.contains("named as Mailman names an archive's volume"),
        "{why}"
    );
    // Judged again from the store, the place still says so.
    let r = env.run(&["reclassify"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert_eq!(sources(&env), listed);
}

/// An mbox export of list mail that kept no list header: From, To (the
/// list's address, shaped like no list's), and a Subject with the list's
/// `[Tag]`; and personal mail to the owner with tags of other kinds.
fn tagged_export() -> String {
    let mut mbox = String::new();
    let mut post = |n: usize, from: &str, subject: &str, reply_to: Option<usize>, body: &str| {
        let to = if subject.contains("[Stats]") {
            "stats@uni.example"
        } else {
            "robin@ellis-on-it.example"
        };
        let refs = reply_to
            .map(|r| format!("In-Reply-To: <t{r}@x.example>\n"))
            .unwrap_or_default();
        mbox.push_str(&format!(
            "From {from} Mon Mar  4 10:00:00 2024\nFrom: {from}\nTo: {to}\nSubject: {subject}\nDate: Mon, 4 Mar 2024 10:{n:02}:00 +0000\nMessage-ID: <t{n}@x.example>\n{refs}\n{body}\n\n"
        ));
    };
    // Six threads of a list tagged [Stats] by six people, one with a reply.
    for i in 0..6 {
        post(
            i,
            &format!("m{i}@uni{i}.example"),
            &format!("[Stats] question {i}"),
            None,
            "Can anyone explain why the fit fails?",
        );
    }
    post(
        6,
        "m9@uni9.example",
        "Re: [Stats] question 0",
        Some(0),
        "Does it converge with more iterations?",
    );
    // A correspondent who tags two threads of their own, and a mail
    // filter's tag on mail from six people: no list.
    post(
        7,
        "ann@reader.example",
        "[Question] your last column",
        None,
        "Could you tell me where the figures came from?",
    );
    post(
        8,
        "ann@reader.example",
        "[Question] the one before",
        None,
        "Would you write about pensions?",
    );
    // A site's contact form relays six readers under its own tag and address.
    for i in 20..26 {
        post(
            i,
            "site@robin-blog.example",
            &format!("[RobinsBlog] message {i}"),
            None,
            "Could you write about tariffs?",
        );
    }
    for i in 10..16 {
        post(
            i,
            &format!("p{i}@corp{i}.example"),
            &format!("[EXTERNAL] your column {i}"),
            None,
            "Could you send me the slides?",
        );
    }
    mbox
}

#[test]
fn a_subject_tag_on_many_threads_makes_list_mail_of_an_export_without_list_headers() {
    let env = Env::new();
    env.write("export.mbox", tagged_export().as_bytes());
    let r = env.run(&["import", "export.mbox"]);
    assert!(r.status.success(), "{}", r.stderr);
    let judged = |env: &Env| by_message(env, |m| m["asks_owner"].as_bool().unwrap());
    let first = judged(&env);
    for (id, source, asks) in &first {
        let n: usize = id[1..id.find('@').unwrap()].parse().unwrap();
        if n <= 6 {
            // The list asks its members, not the owner.
            assert_eq!((source.as_str(), *asks), ("list", false), "{id}");
        } else {
            assert_eq!((source.as_str(), *asks), ("direct", true), "{id}");
        }
    }
    assert_eq!(first.len(), 21);
    let why = env
        .run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .find(|m| m["message_id"] == "t3@x.example")
        .unwrap()["reasons"]
        .to_string();
    assert!(why.contains("heads threads from many senders"), "{why}");
    // Judged again from the store, the tag still says so.
    let r = env.run(&["reclassify"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert_eq!(judged(&env), first);
}

#[test]
fn a_post_found_to_be_a_lists_by_its_tag_is_threaded_as_the_lists() {
    // Six tagged posts from six people: the first few are judged personal
    // mail until the import has met the tag on enough threads, and the
    // refresh judges them again as the list's. The owner's reply to the
    // first, with no reply links, sits in no list: subjects group messages
    // of one place only, so it is a thread of its own, as a second
    // judgement from the store says too.
    let mut mbox = String::new();
    for n in 0..6 {
        mbox.push_str(&format!(
            "From m{n}@uni{n}.example Mon Mar  4 10:00:00 2024\nFrom: m{n}@uni{n}.example\nTo: stats@uni.example\nSubject: [Stats] question {n}\nDate: Mon, 4 Mar 2024 10:{n:02}:00 +0000\nMessage-ID: <t{n}@x.example>\n\nCan anyone explain why the fit fails?\n\n"
        ));
    }
    mbox.push_str("From robin@ellis-on-it.example Mon Mar  4 11:00:00 2024\nFrom: robin@ellis-on-it.example\nTo: stats@uni.example\nSubject: Re: [Stats] question 0\nDate: Mon, 4 Mar 2024 11:00:00 +0000\nMessage-ID: <own@ellis-on-it.example>\n\nTry more iterations.\n\n");
    let env = Env::new();
    env.write("export.mbox", mbox.as_bytes());
    let r = env.run(&["import", "export.mbox"]);
    assert!(r.status.success(), "{}", r.stderr);
    let threads = |env: &Env| by_message(env, |m| m["thread"].as_str().unwrap_or("").to_string());
    let first = threads(&env);
    assert!(
        first.contains(&(
            "own@ellis-on-it.example".into(),
            "own".into(),
            "own@ellis-on-it.example".into()
        )),
        "{first:?}"
    );
    for n in 0..6 {
        let id = format!("t{n}@x.example");
        assert!(
            first.contains(&(id.clone(), "list".into(), id)),
            "{first:?}"
        );
    }
    let r = env.run(&["reclassify"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert_eq!(threads(&env), first);
}

#[test]
fn a_png_or_a_text_saying_hello_is_refused_with_its_reason_and_never_stored() {
    let env = Env::new();
    env.write("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
    env.write("hello.txt", "hello\n");
    for (file, why) in [
        ("photo.png", "photo.png: a PNG image"),
        (
            "hello.txt",
            "hello.txt: text that does not begin like mail (a header field, or an mbox \"From \" line): it begins “hello”",
        ),
    ] {
        let r = env.run(&["import", file]);
        assert_eq!(r.status.code(), Some(4), "{file}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{file}: {}", r.stderr);
        assert!(r.stderr.contains("imported 0 new message(s), 0 already known, 0 stored raw with a parse error; 1 file(s) skipped, not mail"), "{}", r.stderr);
    }
    env.write("notmail.gz", gzip(b"hello\n"));
    let r = env.run(&["import", "notmail.gz"]);
    assert!(
        r.stderr
            .contains("gzip-compressed, and inside: text that does not begin like mail"),
        "{}",
        r.stderr
    );
    assert!(stored_ids(&env).is_empty(), "nothing stored");
}

#[test]
fn every_file_under_a_folder_is_imported_known_or_skipped_with_its_reason() {
    let env = Env::new();
    let mail = "Message-ID: <f1@reader.example>\nFrom: a@reader.example\nSubject: one\n\nhi\n";
    env.write("tree/a.eml", mail);
    env.write("tree/copy.eml", mail);
    // Named like a Maildir message, outside cur/ and new/: mail all the same.
    env.write(
        "tree/sub/1529425589.M615261P21663.len:2,S",
        "From: b@reader.example\nMessage-ID: <f2@reader.example>\nSubject: two\n\nho\n",
    );
    env.write("tree/sub/photo.png", b"\x89PNG\r\n\x1a\n\0\0");
    env.write("tree/notes.txt", "hello\n");
    env.write("tree/empty", "");
    env.write("tree/.hidden", "x");
    let r = env.run(&["import", "tree"]);
    assert!(r.status.success(), "{}", r.stderr);
    for want in [
        "tree/sub/photo.png: a PNG image",
        "tree/notes.txt: text that does not begin like mail",
        "tree/empty: an empty file",
        "tree/.hidden: a hidden file",
        "imported 2 new message(s), 1 already known, 0 stored raw with a parse error; 4 file(s) skipped, not mail",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    assert_eq!(stored_ids(&env), ["f1@reader.example", "f2@reader.example"]);
    // A run reads the same sources again and again: the skipped files are counted, not named.
    std::fs::write(
        env.path().join("digest.toml"),
        owner_config("[[source]]\npath = \"tree\"\n"),
    )
    .unwrap();
    let run = env.run(&["run"]);
    assert!(run.status.success(), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("skipped 4 file(s) that are not mail, like"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("a PNG image"), "{}", run.stderr);
    let verbose = env.run(&["-v", "run"]);
    assert!(
        verbose.stderr.contains("tree/sub/photo.png: a PNG image"),
        "{}",
        verbose.stderr
    );
}

#[test]
fn notmuchs_threading_corpus_imports_12_of_12() {
    let Some(root) = corpora("notmuchs_threading_corpus_imports_12_of_12") else {
        return;
    };
    let dir: PathBuf = root.join("notmuch/test/corpora/threading");
    let env = Env::new();
    let r = env.run(&["import", dir.to_str().unwrap()]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("imported 12 new message(s), 0 already known"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
    assert_eq!(env.run(&["messages", "--json"]).json_lines().len(), 12);
}
