//! IMAP against a real private Dovecot (tests/support/dovecot.rs): the harness
//! itself, then `allears fetch` and `allears check`.

use crate::support::dovecot::{self, Dovecot};

const MSG: &str = "Message-ID: <h1@test.example>\r\nFrom: Reader <r@test.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: harness\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n";

#[test]
fn harness_appends_lists_fetches_and_restarts_on_the_same_mail() {
    if !dovecot::available("harness_appends_lists_fetches_and_restarts_on_the_same_mail") {
        return;
    }
    let mut d = Dovecot::start();
    d.append("alice", "Lists/x", MSG.as_bytes());
    let mut s = d.session("alice");
    assert!(s.list().iter().any(|f| f == "Lists/x"), "{:?}", s.list());
    let got = s.fetch_all("Lists/x");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, MSG.as_bytes());
    drop(s);
    let n = d.bulk_write(
        "bob",
        "lists/bench",
        (0..20).map(|i| {
            format!("Message-ID: <b{i}@x>\r\nSubject: {i}\r\n\r\nbody {i}\r\n").into_bytes()
        }),
    );
    assert_eq!(n, 20);
    let pgid = d.pgid().expect("running");
    d.restart();
    assert_ne!(d.pgid(), Some(pgid), "a new master after restart");
    assert_eq!(
        dovecot::live_members(pgid),
        0,
        "no process of the old server is left"
    );
    let bench = d.session("bob").fetch_all("lists/bench");
    assert_eq!(bench.len(), 20);
    assert!(bench.windows(2).all(|w| w[0].uid < w[1].uid));
    assert!(
        String::from_utf8_lossy(&bench[19].raw).contains("body 19"),
        "UIDs follow file order"
    );
    assert_eq!(
        d.session("alice").fetch_all("Lists/x").len(),
        1,
        "mail survives a restart"
    );
}

#[test]
fn harness_delivers_over_lmtp() {
    if !dovecot::available("harness_delivers_over_lmtp") {
        return;
    }
    let d = Dovecot::start();
    let script = format!(
        "import smtplib\nc = smtplib.LMTP('127.0.0.1', {})\nc.sendmail('a@x.example', ['bob@localhost'], {:?})\nc.quit()\n",
        d.lmtp_port(),
        MSG
    );
    let out = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    let inbox = d.session("bob").fetch_all("INBOX");
    assert_eq!(inbox.len(), 1, "{}", d.log());
    assert!(String::from_utf8_lossy(&inbox[0].raw).contains("Subject: harness"));
}
