//! Sending the digest over the real path: the `allears` binary -> lettre ->
//! STARTTLS + AUTH on tests/support/smtpd.py -> Dovecot LMTP -> read back over
//! IMAP. Exactly once, retried with the same Message-ID, clear errors, and
//! reader text that comes out inert.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::Env;
use crate::support::dovecot::{self, Dovecot};
use crate::support::smtp::{self, Options, Smtpd};

/// Summer in Lisbon (UTC+1), after the 07:30 slot: the digest for 1 July is due.
const NOW: &str = "2026-07-01T07:00:00Z";
const PASSWORD_VAR: &str = "ALLEARS_TEST_SMTP_PASSWORD";

fn servers_available(test: &str) -> bool {
    dovecot::available(test) && smtp::available(test)
}

fn config(port: u16, ca: &Path, extra: &str) -> String {
    format!(
        r#"[owner]
name = "Robin Ellis"
addresses = ["robin@ellis-on-it.example"]

[[source]]
path = "mail"

[smtp]
host = "127.0.0.1"
port = {port}
tls = "starttls"
ca_file = "{ca}"
username = "robin"
password_env = "{PASSWORD_VAR}"
from = "allears <robin@ellis-on-it.example>"
to = "robin@ellis-on-it.example"
timeout_secs = 10

[schedule]
time = "07:30"
timezone = "Europe/Lisbon"
{extra}
"#,
        ca = ca.display()
    )
}

/// An env whose config sends through `port`, with the right password and a pinned clock.
fn env(d: &Dovecot, port: u16) -> Env {
    let mut env = Env::with_config(&config(port, &d.ca_pem_path(), "")).now(NOW);
    env.vars.push((
        PASSWORD_VAR.to_string(),
        dovecot::password_of("robin").to_string(),
    ));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    std::fs::create_dir_all(env.path().join("mail/new")).unwrap();
    env
}

fn point_at(env: &Env, d: &Dovecot, port: u16) {
    std::fs::write(
        env.path().join("digest.toml"),
        config(port, &d.ca_pem_path(), ""),
    )
    .unwrap();
}

fn add_mail(env: &Env, name: &str, raw: &str) {
    std::fs::write(env.path().join("mail/cur").join(name), raw).unwrap();
}

const QUESTION: &str = "Message-ID: <q1@reader.example>\r\nFrom: Carla Mendes <carla@reader.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: Backups for your mail server?\r\nDate: Mon, 29 Jun 2026 10:00:00 +0000\r\n\r\nHi Robin, how do you back up your mail server?\r\n";

fn inbox(d: &Dovecot) -> Vec<Vec<u8>> {
    d.session("robin")
        .fetch_all("INBOX")
        .into_iter()
        .map(|f| f.raw)
        .collect()
}

fn header(raw: &[u8], name: &str) -> Option<String> {
    let (headers, _) = mailparse::parse_headers(raw).expect("headers parse");
    headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}

/// The decoded text/plain and text/html parts.
fn parts(raw: &[u8]) -> (String, String) {
    let mail = mailparse::parse_mail(raw).expect("digest parses");
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let mut text = String::new();
    let mut html = String::new();
    for p in &mail.subparts {
        match p.ctype.mimetype.as_str() {
            "text/plain" => text = p.get_body().unwrap(),
            "text/html" => html = p.get_body().unwrap(),
            other => panic!("unexpected part {other}"),
        }
    }
    (text, html)
}

#[test]
fn the_digest_arrives_once_as_multipart_alternative_with_its_headers() {
    if !servers_available("the_digest_arrives_once_as_multipart_alternative_with_its_headers") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    add_mail(&env, "1:2,S", QUESTION);
    let first = env.run(&["run"]);
    assert!(first.status.success(), "{}\n{}", first.stderr, s.events());
    assert!(
        first.stderr.contains("digest for 2026-07-01 sent"),
        "{}",
        first.stderr
    );
    assert!(s.events().contains("auth"), "AUTH was used: {}", s.events());
    let got = inbox(&d);
    assert_eq!(got.len(), 1, "{}", d.log());
    let raw = &got[0];
    let id = header(raw, "Message-ID").unwrap();
    assert!(id.starts_with("<allears-digest.2026-07-01."), "{id}");
    assert_eq!(
        header(raw, "Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(
        header(raw, "Date").as_deref(),
        Some("Wed, 01 Jul 2026 08:00:00 +0100"),
        "the owner's zone, summer time"
    );
    // Replies with commands go to a subaddress carrying the secret token (issue 6).
    let reply_to = header(raw, "Reply-To").unwrap();
    let token = reply_to
        .strip_prefix("robin+")
        .and_then(|r| r.strip_suffix("@ellis-on-it.example"))
        .unwrap_or_else(|| panic!("Reply-To {reply_to}"));
    assert!(
        token.len() >= 16 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "{reply_to}"
    );
    let (text, html) = parts(raw);
    assert!(
        text.contains("how do you back up your mail server?"),
        "{text}"
    );
    assert!(html.contains("Carla Mendes"), "{html}");

    let second = env.run(&["run"]);
    assert!(second.status.success(), "{}", second.stderr);
    assert!(second.stderr.contains("already sent"), "{}", second.stderr);
    assert_eq!(inbox(&d).len(), 1, "a second run sends nothing");

    let forced = env.run(&["run", "--force"]);
    assert!(forced.status.success(), "{}", forced.stderr);
    let got = inbox(&d);
    assert_eq!(got.len(), 2, "--force sends now");
    assert_ne!(
        header(&got[1], "Message-ID"),
        Some(id),
        "a forced digest has its own id"
    );
}

#[test]
fn items_shown_once_accepted_are_still_waiting_the_next_day() {
    if !servers_available("items_shown_once_accepted_are_still_waiting_the_next_day") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    add_mail(&env, "1:2,S", QUESTION);
    env.run(&["run"]).ok();
    add_mail(
        &env,
        "2:2,S",
        &QUESTION
            .replace("q1@", "q2@")
            .replace("Carla Mendes", "Dev Patel")
            .replace("29 Jun", "01 Jul"),
    );
    let next_day = Env {
        now: Some("2026-07-02T07:00:00Z".to_string()),
        ..env
    };
    let r = next_day.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    let got = inbox(&d);
    assert_eq!(got.len(), 2);
    let (text, _) = parts(&got[1]);
    let waiting = text.split("STILL WAITING").nth(1).unwrap_or("");
    assert!(waiting.contains("Carla Mendes"), "{text}");
    let needs = text.split("NEEDS A REPLY").nth(1).unwrap_or("");
    let needs = needs.split("TOPICS").next().unwrap_or("");
    assert!(
        !needs.contains("Carla Mendes"),
        "shown before: not new: {text}"
    );
    assert!(needs.contains("Dev Patel"), "{text}");
}

#[test]
fn a_server_down_or_refusing_leaves_the_digest_pending_and_the_next_run_sends_the_same() {
    if !servers_available("a_server_down_or_refusing_leaves_the_digest_pending") {
        return;
    }
    let d = Dovecot::start();
    let nobody = smtp::free_port();
    let env = env(&d, nobody);
    add_mail(&env, "1:2,S", QUESTION);

    let down = env.run(&["run"]);
    assert!(!down.status.success(), "a failed send is an error");
    assert!(down.stderr.contains("stays pending"), "{}", down.stderr);
    assert!(inbox(&d).is_empty());

    let refusing = Smtpd::start_with(
        &d,
        Options {
            refuse_data: true,
            ..Options::default()
        },
    );
    point_at(&env, &d, refusing.port());
    let refused = env.run(&["run"]);
    assert!(!refused.status.success());
    assert!(refused.stderr.contains("451"), "{}", refused.stderr);
    let refused_id = refusing
        .events()
        .lines()
        .find_map(|l| l.strip_prefix("refused ").map(str::to_string))
        .expect("the refusing server saw the digest");
    drop(refusing);
    assert!(inbox(&d).is_empty());

    // New mail meanwhile does not change the pending digest: it goes out as built.
    add_mail(
        &env,
        "2:2,S",
        &QUESTION
            .replace("q1@", "q2@")
            .replace("Carla Mendes", "Dev Patel"),
    );
    let s = Smtpd::start(&d);
    point_at(&env, &d, s.port());
    let ok = env.run(&["run"]);
    assert!(ok.status.success(), "{}\n{}", ok.stderr, s.events());
    assert!(ok.stderr.contains("again"), "{}", ok.stderr);
    let got = inbox(&d);
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0], "Message-ID").unwrap(),
        refused_id,
        "the same digest"
    );
    assert!(
        !parts(&got[0]).0.contains("Dev Patel"),
        "byte for byte the pending one"
    );
    assert!(env.run(&["run"]).stderr.contains("already sent"));
    assert_eq!(inbox(&d).len(), 1);
}

#[test]
fn a_wrong_password_is_a_clear_error() {
    if !servers_available("a_wrong_password_is_a_clear_error") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let mut env = env(&d, s.port());
    add_mail(&env, "1:2,S", QUESTION);
    env.vars = vec![(PASSWORD_VAR.to_string(), "not-the-password".to_string())];
    let r = env.run(&["run"]);
    assert!(!r.status.success());
    assert!(
        r.stderr.contains("refused the login of `robin`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("smtp.username"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("not-the-password"),
        "the password never prints"
    );
    assert!(s.events().contains("failed"), "{}", s.events());
    assert!(inbox(&d).is_empty());
}

#[test]
fn implicit_tls_is_spoken_too() {
    if !servers_available("implicit_tls_is_spoken_too") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start_with(
        &d,
        Options {
            implicit: true,
            ..Options::default()
        },
    );
    let env = env(&d, s.port());
    let text =
        config(s.port(), &d.ca_pem_path(), "").replace("tls = \"starttls\"", "tls = \"implicit\"");
    std::fs::write(env.path().join("digest.toml"), text).unwrap();
    add_mail(&env, "1:2,S", QUESTION);
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}\n{}", r.stderr, s.events());
    assert_eq!(inbox(&d).len(), 1);
}

#[test]
fn an_empty_day_is_skipped_when_told_to() {
    // No server is needed: a skipped day never connects (the port is closed).
    let nobody = smtp::free_port();
    let mut env = Env::with_config(&config(
        nobody,
        Path::new("/nonexistent/ca.pem"),
        "empty = \"skip\"",
    ))
    .now(NOW);
    env.vars.push((PASSWORD_VAR.to_string(), "x".to_string()));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("nothing new"), "{}", r.stderr);
    let again = env.run(&["run"]);
    assert!(
        again.stderr.contains("already skipped"),
        "decided once per day: {}",
        again.stderr
    );
}

#[test]
fn reader_text_comes_out_inert() {
    if !servers_available("reader_text_comes_out_inert") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    // A list message: CR/LF encoded into the subject and name (RFC 2047 Q), markup in the
    // name and body, and javascript: as its archive link.
    let hostile = "Message-ID: <evil@reader.example>\r\n\
        From: =?utf-8?q?Eve_=3Cimg_src=3Dx_onerror=3Dalert(1)=3E?= <eve@reader.example>\r\n\
        To: netadmins@lists.example.org\r\n\
        List-Id: Netadmins <netadmins.lists.example.org>\r\n\
        Archived-At: <javascript:alert(document.cookie)>\r\n\
        Subject: =?utf-8?q?Hello=0D=0ABcc=3A_victim=40example=2Eorg=0D=0A=0D=0A<script>x</script>?=\r\n\
        Date: Tue, 30 Jun 2026 10:00:00 +0000\r\n\
        \r\n\
        <script>alert(1)</script> Robin Ellis, could you see <a href=\"javascript:alert(2)\">this</a>?\r\n";
    add_mail(&env, "1:2,S", hostile);
    // A WordPress comment notification whose permalink is javascript: (the link the digest
    // would follow) and whose post title and author carry markup.
    let comment = "Message-ID: <c666@ellis-on-it.example>\r\n\
        From: Ellis On It <wordpress@ellis-on-it.example>\r\n\
        To: robin@ellis-on-it.example\r\n\
        Subject: [Ellis On It] Comment: \"<script>alert(3)</script>\"\r\n\
        Date: Tue, 30 Jun 2026 11:00:00 +0000\r\n\
        \r\n\
        Author: Mallory <img src=x onerror=alert(4)> (IP address: 203.0.113.9)\r\n\
        Email: mallory@reader.example\r\n\
        Comment: \r\n\
        Would you <b>click</b> here?\r\n\
        \r\n\
        Permalink: javascript:alert(5)\r\n";
    add_mail(&env, "2:2,S", comment);
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}\n{}", r.stderr, s.events());
    let got = inbox(&d);
    assert_eq!(got.len(), 1);
    let raw = &got[0];
    let (head, _) = mailparse::parse_headers(raw).unwrap();
    assert!(
        !head.iter().any(|h| h.get_key().eq_ignore_ascii_case("Bcc")),
        "no injected header"
    );
    let (text, html) = parts(raw);
    assert!(
        text.contains("could you see"),
        "the item is in the digest: {text}"
    );
    assert!(
        text.contains("click"),
        "the comment is in the digest: {text}"
    );
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("<img"), "{html}");
    assert!(
        !lower.contains("javascript:alert(5)"),
        "no javascript: link: {html}"
    );
    assert!(
        !lower.contains("onerror=alert"),
        "escaped, so no attribute: {html}"
    );
    assert!(lower.contains("&lt;script&gt;"), "shown as text: {html}");
    assert!(
        !text.lines().any(|l| l.starts_with("Bcc:")),
        "CR/LF from the subject does not start a line: {text}"
    );
}

#[test]
fn the_daemon_sends_once_and_stops_on_sigterm() {
    if !servers_available("the_daemon_sends_once_and_stops_on_sigterm") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    add_mail(&env, "1:2,S", QUESTION);
    let mut child = env
        .cmd(&["daemon"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the daemon");
    let deadline = Instant::now() + Duration::from_secs(30);
    while inbox(&d).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(inbox(&d).len(), 1, "one digest: {}", s.events());
    // SAFETY: plain syscall on the child we started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let stopped = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if stopped.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("the daemon did not stop within 5 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{status}\n{log}");
    assert!(log.contains("daemon stopped"), "{log}");
    assert_eq!(inbox(&d).len(), 1);
}

#[test]
fn after_days_asleep_one_digest_catches_up_and_replaces_the_pending_one() {
    if !servers_available("after_days_asleep_one_digest_catches_up") {
        return;
    }
    let d = Dovecot::start();
    let env = env(&d, smtp::free_port());
    add_mail(&env, "1:2,S", QUESTION);
    assert!(!env.run(&["run"]).status.success(), "server down on 1 July");
    let s = Smtpd::start(&d);
    point_at(&env, &d, s.port());
    let woke = Env {
        now: Some("2026-07-04T09:00:00Z".to_string()),
        ..env
    };
    let r = woke.run(&["run"]);
    assert!(r.status.success(), "{}\n{}", r.stderr, s.events());
    assert!(
        r.stderr.contains("digest for 2026-07-04 sent"),
        "{}",
        r.stderr
    );
    assert_eq!(woke.run(&["run"]).status.code(), Some(0));
    let got = inbox(&d);
    assert_eq!(
        got.len(),
        1,
        "one digest for the days missed: {}",
        s.events()
    );
    let id = header(&got[0], "Message-ID").unwrap();
    assert!(id.contains("2026-07-04"), "{id}");
    assert!(
        parts(&got[0]).0.contains("Carla Mendes"),
        "its items are in it"
    );
}

#[test]
fn an_item_answered_after_its_digest_is_listed_as_handled() {
    if !servers_available("an_item_answered_after_its_digest_is_listed_as_handled") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    add_mail(&env, "1:2,S", QUESTION);
    env.run(&["run"]).ok();
    let reply = "Message-ID: <r1@ellis-on-it.example>\r\nFrom: Robin Ellis <robin@ellis-on-it.example>\r\nTo: carla@reader.example\r\nSubject: Re: Backups for your mail server?\r\nIn-Reply-To: <q1@reader.example>\r\nReferences: <q1@reader.example>\r\nDate: Wed, 01 Jul 2026 10:00:00 +0000\r\n\r\nRestic, nightly, to a second box.\r\n";
    add_mail(&env, "2:2,S", reply);
    let next_day = Env {
        now: Some("2026-07-02T07:00:00Z".to_string()),
        ..env
    };
    let r = next_day.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    let got = inbox(&d);
    assert_eq!(got.len(), 2, "the reply alone is news: {}", r.stderr);
    let (text, html) = parts(&got[1]);
    let handled = text
        .split("HANDLED SINCE THE LAST DIGEST")
        .nth(1)
        .unwrap_or("");
    assert!(handled.contains("Carla Mendes"), "{text}");
    assert!(handled.contains("you replied"), "{text}");
    assert!(!text.contains("STILL WAITING"), "{text}");
    assert!(html.contains("Handled since the last digest"), "{html}");
}

#[test]
fn an_empty_day_sends_a_short_all_quiet_when_told_to_or_forced() {
    if !servers_available("an_empty_day_sends_a_short_all_quiet_when_told_to_or_forced") {
        return;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let env = env(&d, s.port());
    let skipped = env.run(&["run"]);
    assert!(skipped.stderr.contains("nothing new"), "{}", skipped.stderr);
    assert!(inbox(&d).is_empty());
    let forced = env.run(&["run", "--force"]);
    assert!(forced.status.success(), "{}\n{}", forced.stderr, s.events());
    assert_eq!(inbox(&d).len(), 1, "--force sends a skipped day");
    let text = config(s.port(), &d.ca_pem_path(), "empty = \"send\"");
    std::fs::write(env.path().join("digest.toml"), text).unwrap();
    let next_day = Env {
        now: Some("2026-07-02T07:00:00Z".to_string()),
        ..env
    };
    let r = next_day.run(&["run"]);
    assert!(r.status.success(), "{}\n{}", r.stderr, s.events());
    let got = inbox(&d);
    assert_eq!(got.len(), 2);
    assert!(
        parts(&got[1]).0.contains("Nothing new"),
        "{}",
        parts(&got[1]).0
    );
}

#[test]
fn a_second_process_does_not_send_while_one_is_sending() {
    // The lock is taken before any connection, so no server is needed: the port is closed.
    let mut env = Env::with_config(&config(
        smtp::free_port(),
        Path::new("/nonexistent/ca.pem"),
        "",
    ))
    .now(NOW);
    env.vars.push((PASSWORD_VAR.to_string(), "x".to_string()));
    std::fs::create_dir_all(env.path().join("mail/cur")).unwrap();
    add_mail(&env, "1:2,S", QUESTION);
    let lock = std::fs::File::create(env.path().join("allears.db.send-lock")).unwrap();
    lock.try_lock().expect("the test holds the send lock");
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(
        r.stderr.contains("another allears is sending"),
        "{}",
        r.stderr
    );
    drop(lock);
    let r = env.run(&["run"]);
    assert!(
        !r.status.success(),
        "now it tries, and the closed port fails it"
    );
    assert!(r.stderr.contains("stays pending"), "{}", r.stderr);
}
