//! Acting on the digest by replying to it, over the real path: the digest is
//! sent (lettre -> smtpd.py -> Dovecot LMTP), the owner's reply lands in the
//! owner's mailbox, `allears run` fetches it over IMAP, sends the answer to the
//! reader through SMTP, and the reader's mailbox holds it, threaded. Replies
//! that may not command send nothing to anyone and show up in the next digest.

use std::path::Path;

use crate::support::Env;
use crate::support::dovecot::{self, Dovecot};
use crate::support::smtp::{self, Smtpd};

const PASSWORD_VAR: &str = "ALLEARS_TEST_PASSWORD";
/// Lisbon in winter is UTC: the 07:30 digest of 26 November is due.
const DAY1: &str = "2026-11-26T08:00:00Z";
const DAY1_LATER: &str = "2026-11-26T09:00:00Z";
const DAY2: &str = "2026-11-27T08:00:00Z";

fn config(d: &Dovecot, smtp_port: u16, ca: &Path, extra: &str) -> String {
    format!(
        r#"[owner]
name = "Robin Ellis"
addresses = ["robin@ellis-on-it.example"]

[[account]]
name = "main"
host = "127.0.0.1"
port = {imap}
tls = "starttls"
ca_file = "{ca}"
username = "robin"
password_env = "{PASSWORD_VAR}"
folders = ["INBOX"]

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "starttls"
ca_file = "{ca}"
username = "robin"
password_env = "{PASSWORD_VAR}"
from = "Robin Ellis <robin@ellis-on-it.example>"
to = "robin@ellis-on-it.example"
timeout_secs = 10

[schedule]
time = "07:30"
timezone = "Europe/Lisbon"
empty = "send"

[commands]
authserv_id = "mx.ellis-on-it.example"
{extra}
"#,
        imap = d.imap_port(),
        ca = ca.display()
    )
}

struct Scene {
    d: Dovecot,
    _s: Smtpd,
    env: Env,
}

fn scene(test: &str) -> Option<Scene> {
    scene_with(test, "")
}

/// A scene whose `[commands]` section has `extra` too.
fn scene_with(test: &str, extra: &str) -> Option<Scene> {
    if !(dovecot::available(test) && smtp::available(test)) {
        return None;
    }
    let d = Dovecot::start();
    let s = Smtpd::start(&d);
    let mut env = Env::with_config(&config(&d, s.port(), &d.ca_pem_path(), extra)).now(DAY1);
    env.vars
        .push((PASSWORD_VAR.into(), dovecot::password_of("robin").into()));
    Some(Scene { d, _s: s, env })
}

const QUESTION: &str = "Message-ID: <q1@reader.example>\r\nFrom: Alice Reader <alice@reader.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: Which spam filter?\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHi Robin,\r\n\r\nwhich spam filter do you use on your own server these days?\r\n\r\nAlice\r\n";

const LIST_QUESTION: &str = "Message-ID: <l1@lists.example.org>\r\nFrom: Bob Lister <bob@reader.example>\r\nTo: announce@lists.example.org\r\nSubject: [Announce] Robin, will you speak at the meetup?\r\nDate: Tue, 24 Nov 2026 11:00:00 +0000\r\nList-Id: Announce <announce.lists.example.org>\r\nList-Post: NO\r\nList-Help: <mailto:announce-request@lists.example.org?subject=help>\r\nX-Mailman-Version: 2.1.39\r\nPrecedence: list\r\n\r\nRobin, would you speak at our December meetup?\r\n";

fn header(raw: &[u8], name: &str) -> Option<String> {
    let (headers, _) = mailparse::parse_headers(raw).ok()?;
    headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}

fn body(raw: &[u8]) -> String {
    let mail = mailparse::parse_mail(raw).expect("mail parses");
    if mail.subparts.is_empty() {
        mail.get_body().unwrap()
    } else {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
            .map(|p| p.get_body().unwrap())
            .unwrap_or_default()
    }
}

fn inbox(d: &Dovecot, user: &str) -> Vec<Vec<u8>> {
    d.session(user)
        .fetch_all("INBOX")
        .into_iter()
        .map(|f| f.raw)
        .collect()
}

/// The digest in robin's INBOX (the newest one).
fn digest(d: &Dovecot) -> Vec<u8> {
    inbox(d, "robin")
        .into_iter()
        .rfind(|m| header(m, "Auto-Submitted").as_deref() == Some("auto-generated"))
        .expect("a digest in robin's INBOX")
}

/// The item id the digest gives a message.
fn item_of(env: &Env, message_id: &str) -> String {
    let items = env.run(&["items", "--json"]).json_lines();
    items
        .iter()
        .find(|i| {
            i["message_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == message_id)
        })
        .unwrap_or_else(|| panic!("{message_id} is not an item: {items:?}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What the owner's own server (`authserv_id`) adds to mail from the owner's domain.
const PASS: &str = "Authentication-Results: mx.ellis-on-it.example; dkim=pass header.d=ellis-on-it.example; spf=pass; dmarc=pass header.from=ellis-on-it.example\r\n";

/// The owner (or someone else) replies to the digest; it lands in robin's
/// INBOX, with the owner's server's passing Authentication-Results unless
/// `extra_headers` brings its own.
fn reply_to_digest(d: &Dovecot, from: &str, to: &str, extra_headers: &str, text: &str) {
    let digest = digest(d);
    let digest_id = header(&digest, "Message-ID").unwrap();
    let auth = if extra_headers.contains("Authentication-Results") {
        ""
    } else {
        PASS
    };
    let extra_headers = format!("{auth}{extra_headers}");
    let raw = format!(
        "Message-ID: <cmd-{n}@mailhost.example>\r\nFrom: {from}\r\nTo: {to}\r\nSubject: Re: Your readers\r\nIn-Reply-To: {digest_id}\r\nReferences: {digest_id}\r\nDate: Thu, 26 Nov 2026 08:30:00 +0000\r\n{extra_headers}\r\n{text}\r\n\r\nOn Thu, 26 Nov 2026, allears wrote:\r\n> #1 Alice Reader - direct mail\r\n> #2 done\r\n",
        n = crate::support::unique()
    );
    d.append("robin", "INBOX", raw.as_bytes());
}

#[test]
fn the_owner_replies_to_the_digest_and_the_reader_gets_the_answer_once() {
    let Some(Scene { d, _s, mut env }) = scene("the_owner_replies_to_the_digest") else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    let first = env.run(&["run"]);
    assert!(first.status.success(), "{}", first.stderr);
    let digest = digest(&d);
    let reply_to = header(&digest, "Reply-To").expect("the digest has a Reply-To");
    assert!(reply_to.contains("robin+"), "{reply_to}");
    let id = item_of(&env, "q1@reader.example");

    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "",
        &format!("{id} reply\r\nHi Alice, rspamd, for three years now.\r\n\r\nRobin"),
    );
    env.now = Some(DAY1_LATER.into());
    let second = env.run(&["run"]);
    assert!(second.status.success(), "{}", second.stderr);

    // The reader has the answer: to her, threaded, from the owner.
    let alice = inbox(&d, "alice");
    assert_eq!(alice.len(), 1, "{}", second.stderr);
    let answer = &alice[0];
    assert_eq!(header(answer, "To").unwrap(), "alice@reader.example");
    assert_eq!(
        header(answer, "In-Reply-To").unwrap(),
        "<q1@reader.example>"
    );
    assert!(
        header(answer, "References")
            .unwrap()
            .contains("<q1@reader.example>")
    );
    assert_eq!(header(answer, "Subject").unwrap(), "Re: Which spam filter?");
    assert!(
        header(answer, "From")
            .unwrap()
            .contains("robin@ellis-on-it.example")
    );
    let text = body(answer);
    assert!(text.contains("rspamd, for three years now."), "{text}");
    assert!(
        !text.contains("#2 done"),
        "the quoted digest is not part of the answer: {text}"
    );

    // The owner gets one results message saying it was sent.
    let results: Vec<_> = inbox(&d, "robin")
        .into_iter()
        .filter(|m| header(m, "Subject").is_some_and(|s| s.starts_with("Results:")))
        .collect();
    assert_eq!(results.len(), 1);
    assert!(body(&results[0]).contains("sent"), "{}", body(&results[0]));

    // The item is answered, and processing again sends nothing more.
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let q = msgs
        .iter()
        .find(|m| m["message_id"] == "q1@reader.example")
        .unwrap();
    assert_eq!(q["answered"], true, "{q}");
    env.run(&["run"]).ok();
    assert_eq!(
        inbox(&d, "alice").len(),
        1,
        "the same command is processed once"
    );

    // The next digest lists it as handled, not as needing a reply.
    env.now = Some(DAY2.into());
    env.run(&["run"]).ok();
    let (text, _) = digest_text(&digest_of_day(&d, "2026-11-27"));
    let needs = text
        .split("NEEDS A REPLY")
        .nth(1)
        .unwrap_or("")
        .split("TOPICS")
        .next()
        .unwrap_or("");
    assert!(!needs.contains("Alice Reader"), "{text}");
    assert!(
        text.contains("Alice Reader"),
        "handled since the last digest: {text}"
    );
}

fn digest_of_day(d: &Dovecot, day: &str) -> Vec<u8> {
    inbox(d, "robin")
        .into_iter()
        .filter(|m| header(m, "Auto-Submitted").as_deref() == Some("auto-generated"))
        .find(|m| header(m, "Message-ID").is_some_and(|id| id.contains(day)))
        .unwrap_or_else(|| panic!("no digest for {day}"))
}

fn digest_text(raw: &[u8]) -> (String, String) {
    let mail = mailparse::parse_mail(raw).unwrap();
    let mut text = String::new();
    let mut html = String::new();
    for p in &mail.subparts {
        match p.ctype.mimetype.as_str() {
            "text/plain" => {
                text = p.get_body().unwrap();
                // The text part is format=flowed: read it as a flowed reader does.
                if p.ctype.params.get("format").map(String::as_str) == Some("flowed") {
                    text = crate::support::unflow(&text);
                }
            }
            "text/html" => html = p.get_body().unwrap(),
            _ => {}
        }
    }
    (text, html)
}

/// Replies that may not command: from another address, without the token, or
/// with a failing DKIM result from the owner's own server. Nobody gets mail.
#[test]
fn replies_that_may_not_command_send_nothing_and_show_in_the_next_digest() {
    let Some(Scene { d, _s, mut env }) = scene("replies_that_may_not_command") else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let id = item_of(&env, "q1@reader.example");
    let command = format!("{id} reply\r\nYou will not see this.");
    reply_to_digest(
        &d,
        "Mallory <mallory@evil.example>",
        &reply_to,
        "",
        &command,
    );
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        "robin@ellis-on-it.example",
        "",
        &command,
    );
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "Authentication-Results: mx.ellis-on-it.example; dkim=fail header.d=ellis-on-it.example; spf=pass\r\n",
        &command,
    );
    let before = inbox(&d, "robin").len();
    env.now = Some(DAY1_LATER.into());
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(inbox(&d, "alice").is_empty(), "no answer went out");
    assert!(inbox(&d, "bob").is_empty());
    assert_eq!(
        inbox(&d, "robin").len(),
        before,
        "no results message, no backscatter"
    );
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let q = msgs
        .iter()
        .find(|m| m["message_id"] == "q1@reader.example")
        .unwrap();
    assert_eq!(q["answered"], false);

    env.now = Some(DAY2.into());
    env.run(&["run"]).ok();
    let (text, html) = digest_text(&digest_of_day(&d, "2026-11-27"));
    assert!(text.contains("IGNORED REPLIES (3)"), "{text}");
    assert!(text.contains("mallory@evil.example"), "{text}");
    assert!(text.contains("secret token"), "{text}");
    assert!(text.contains("dkim=fail"), "{text}");
    assert!(html.contains("Ignored replies (3)"));
}

/// `#N reply-list` to a list whose List-Post is NO is refused, with the reason
/// in the results message; nothing goes to the list or the person.
#[test]
fn reply_list_to_a_list_that_says_no_is_refused_with_a_reason() {
    let Some(Scene { d, _s, mut env }) = scene("reply_list_to_a_list_that_says_no") else {
        return;
    };
    d.append("robin", "INBOX", LIST_QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let id = item_of(&env, "l1@lists.example.org");
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "",
        &format!("{id} reply-list\r\nYes, happily."),
    );
    env.now = Some(DAY1_LATER.into());
    env.run(&["run"]).ok();
    assert!(inbox(&d, "bob").is_empty());
    let results: Vec<_> = inbox(&d, "robin")
        .into_iter()
        .filter(|m| header(m, "Subject").is_some_and(|s| s.starts_with("Results:")))
        .collect();
    assert_eq!(results.len(), 1);
    let text = body(&results[0]);
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("List-Post: NO"), "{text}");
}

/// `allears daemon` watches the owner's INBOX with IMAP IDLE: a reply command
/// is acted on within seconds, long before the next interval fetch (an hour).
#[test]
fn the_daemon_acts_on_a_reply_promptly_through_idle() {
    use std::time::{Duration, Instant};
    let Some(Scene { d, _s, env }) = scene("the_daemon_acts_on_a_reply_promptly") else {
        return;
    };
    let text = std::fs::read_to_string(env.path().join("digest.toml")).unwrap();
    let text = text.replace(
        "empty = \"send\"",
        "empty = \"send\"\nfetch_every_minutes = 60",
    );
    std::fs::write(env.path().join("digest.toml"), text).unwrap();
    d.append("robin", "INBOX", QUESTION.as_bytes());
    let mut daemon = env
        .cmd(&["--debug", "daemon"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the daemon");
    let wait_for = |what: &str, secs: u64, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_for("the digest", 30, &|| {
        inbox(&d, "robin")
            .iter()
            .any(|m| header(m, "Auto-Submitted").as_deref() == Some("auto-generated"))
    });
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let id = item_of(&env, "q1@reader.example");
    std::thread::sleep(Duration::from_secs(1));
    let sent_at = Instant::now();
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "",
        &format!("{id} reply\r\nrspamd."),
    );
    // Within a minute (the interval fetch is an hour away); a loaded
    // machine running the whole suite has taken over 20 s.
    wait_for("the answer in alice's INBOX", 60, &|| {
        !inbox(&d, "alice").is_empty()
    });
    let took = sent_at.elapsed();
    // SAFETY: plain syscall on the child we started.
    unsafe {
        libc::kill(daemon.id() as i32, libc::SIGTERM);
    }
    let status = daemon.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(daemon.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{log}");
    assert!(log.contains("IDLE on main/INBOX"), "{log}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(inbox(&d, "alice").len(), 1);
}

/// Issue 18, findings 4 and 6: with the token, a From that lists the owner
/// first (two addresses, two From headers), `From: owner` with `Sender:
/// evil`, and a spoofed owner From that the owner's server saw with
/// `dkim=pass header.d=evil.example; spf=pass; dmarc=none` all commanded.
/// A command needs one author, the owner, no other Sender, and a DKIM or
/// DMARC pass aligned with the owner's domain.
#[test]
fn only_one_author_who_is_the_owner_with_an_aligned_pass_commands() {
    let Some(Scene { d, _s, mut env }) = scene("only_one_author_who_is_the_owner") else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let id = item_of(&env, "q1@reader.example");
    let command = format!("{id} reply\r\nYou will not see this.");
    let owner = "Robin Ellis <robin@ellis-on-it.example>";
    for (from, extra) in [
        (
            "robin@ellis-on-it.example, Mallory <mallory@evil.example>",
            "",
        ),
        (
            "robin@ellis-on-it.example\r\nFrom: mallory@evil.example",
            "",
        ),
        (owner, "Sender: mallory@evil.example\r\n"),
        ("\"robin@ellis-on-it.example\" <mallory@evil.example>", ""),
        (
            owner,
            "Authentication-Results: mx.ellis-on-it.example; dkim=pass header.d=evil.example; spf=pass; dmarc=none\r\n",
        ),
        (
            owner,
            // A pass forged below the delivering server's Received counts for nothing.
            "Authentication-Results: mx.ellis-on-it.example; dkim=none; spf=pass\r\nReceived: from mail.evil.example by mx.ellis-on-it.example\r\nAuthentication-Results: mx.ellis-on-it.example; dkim=pass header.d=ellis-on-it.example\r\n",
        ),
    ] {
        reply_to_digest(&d, from, &reply_to, extra, &command);
    }
    let before = inbox(&d, "robin").len();
    env.now = Some(DAY1_LATER.into());
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(inbox(&d, "alice").is_empty(), "no answer went out");
    assert_eq!(inbox(&d, "robin").len(), before, "no results message");
    env.now = Some(DAY2.into());
    env.run(&["run"]).ok();
    let (text, _) = digest_text(&digest_of_day(&d, "2026-11-27"));
    assert!(text.contains("IGNORED REPLIES (6)"), "{text}");
    assert!(text.contains("a command has exactly one author"), "{text}");
    assert!(
        text.contains("a command has exactly one\n") || text.contains("2 From headers"),
        "{text}"
    );
    assert!(
        text.contains("its Sender is mallory@evil.example"),
        "{text}"
    );
    assert!(text.contains("not one of your addresses"), "{text}");
    assert!(
        text.contains("no DKIM or DMARC pass for ellis-on-it.example"),
        "{text}"
    );
}

/// Each digest has its own secret token, and a token commands for
/// `[commands] token_days` only.
#[test]
fn each_digest_has_its_own_token_which_expires() {
    let Some(Scene { d, _s, mut env }) = scene_with(
        "each_digest_has_its_own_token_which_expires",
        "token_days = 3",
    ) else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let first = header(&digest(&d), "Reply-To").unwrap();
    env.now = Some(DAY2.into());
    env.run(&["run"]).ok();
    let second = header(&digest_of_day(&d, "2026-11-27"), "Reply-To").unwrap();
    assert_ne!(first, second, "a new digest, a new token");
    let id = item_of(&env, "q1@reader.example");
    // Three and a half days after the first digest, its token no longer commands.
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &first,
        "",
        &format!("{id} reply\r\nToo late."),
    );
    env.now = Some("2026-11-29T20:00:00Z".into());
    env.run(&["run"]).ok();
    assert!(inbox(&d, "alice").is_empty());
    let (text, _) = digest_text(&digest_of_day(&d, "2026-11-29"));
    assert!(text.contains("older than 3 days"), "{text}");
    // The second digest's (two and a half days old) still does.
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &second,
        "",
        &format!("{id} reply\r\nIn time."),
    );
    env.run(&["run"]).ok();
    assert_eq!(inbox(&d, "alice").len(), 1);
}

/// Issue 18, finding 4: with `[commands] address` set, the footer asks the
/// owner to keep "allears key TOKEN" in the reply, and that line, kept
/// below the answer, went to the reader. The token goes to nobody but the owner.
#[test]
fn the_secret_token_never_reaches_the_reader() {
    let Some(Scene { d, _s, mut env }) = scene_with(
        "the_secret_token_never_reaches_the_reader",
        "address = \"robin+allears@ellis-on-it.example\"",
    ) else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let (text, _) = digest_text(&digest(&d));
    let key = text
        .split("allears key ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("the footer has the key: {text}"))
        .trim()
        .to_string();
    assert!(key.len() >= 16, "{key}");
    let id = item_of(&env, "q1@reader.example");
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        "robin+allears@ellis-on-it.example",
        "",
        &format!(
            "{id} reply\r\nHi Alice, rspamd.\r\n\r\nallears key {key}\r\n(keep this line in your reply: allears key {key})\r\n"
        ),
    );
    env.now = Some(DAY1_LATER.into());
    let r = env.run(&["run"]);
    assert!(r.status.success(), "{}", r.stderr);
    let alice = inbox(&d, "alice");
    assert_eq!(alice.len(), 1, "{}", r.stderr);
    let raw = String::from_utf8_lossy(&alice[0]);
    assert!(body(&alice[0]).contains("Hi Alice, rspamd."), "{raw}");
    assert!(!raw.contains(&key), "the token reached the reader: {raw}");
    assert!(!raw.contains("allears key"), "{raw}");
}
/// The results messages in robin's INBOX, oldest first, as text.
fn results(d: &Dovecot) -> Vec<String> {
    inbox(d, "robin")
        .into_iter()
        .filter(|m| header(m, "Subject").is_some_and(|s| s.starts_with("Results:")))
        .map(|m| body(&m))
        .collect()
}

/// Issue 18, finding 3: the same command text sent again under a new
/// Message-ID was applied again, and the reader got the answer twice. A
/// command is applied once per item and verb; a repeat is reported.
#[test]
fn a_command_sent_again_under_a_new_message_id_is_not_applied_again() {
    let Some(Scene { d, _s, mut env }) = scene("a_command_sent_again_under_a_new_message_id")
    else {
        return;
    };
    d.append("robin", "INBOX", QUESTION.as_bytes());
    env.run(&["run"]).ok();
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let id = item_of(&env, "q1@reader.example");
    let command = format!("{id} reply\r\nrspamd, for three years now.");
    let owner = "Robin Ellis <robin@ellis-on-it.example>";
    reply_to_digest(&d, owner, &reply_to, "", &command);
    env.now = Some(DAY1_LATER.into());
    env.run(&["run"]).ok();
    assert_eq!(inbox(&d, "alice").len(), 1);
    // The same text again, as a new message; and twice in one message.
    reply_to_digest(&d, owner, &reply_to, "", &command);
    reply_to_digest(
        &d,
        owner,
        &reply_to,
        "",
        &format!("{command}\r\n{id} reply\r\nAgain?"),
    );
    env.run(&["run"]).ok();
    assert_eq!(
        inbox(&d, "alice").len(),
        1,
        "the reader got the answer once"
    );
    let results = results(&d);
    assert_eq!(results.len(), 3, "{results:#?}");
    for r in &results[1..] {
        assert!(r.contains(&format!("{id} reply: not done again")), "{r}");
        assert!(r.contains("by your reply <cmd-"), "{r}");
    }
}

/// A post to the Announce list (List-Post: NO) asking Robin something, as `from` wrote it.
fn list_post(id: &str, from: &str, extra: &str) -> String {
    format!(
        "Message-ID: <{id}@lists.example.org>\r\nFrom: {from}\r\n{extra}To: announce@lists.example.org\r\nSubject: [Announce] Robin, will you speak at the meetup?\r\nDate: Tue, 24 Nov 2026 11:00:00 +0000\r\nList-Id: Announce <announce.lists.example.org>\r\nList-Post: NO\r\nX-Mailman-Version: 2.1.39\r\nPrecedence: list\r\n\r\nRobin, would you speak at our December meetup?\r\n"
    )
}

/// Issue 18, finding 1: a private `#4 reply` to a post from a `List-Post:
/// NO` list went to the whole list, through the list's munged Reply-To.
/// A private answer goes to the person's own address, never a list's; a
/// DMARC-munged "X via List" sender is resolved to the person, or the
/// command is refused with the reason.
#[test]
fn a_private_reply_to_a_list_post_never_goes_to_the_list() {
    let Some(Scene { d, _s, mut env }) =
        scene("a_private_reply_to_a_list_post_never_goes_to_the_list")
    else {
        return;
    };
    let list = "Announce <announce@lists.example.org>";
    for raw in [
        // The list's Reply-To points back at the list.
        list_post(
            "l1",
            "Bob Lister <bob@reader.example>",
            &format!("Reply-To: {list}\r\n"),
        ),
        // DMARC munging: the list's address in From, the person in Reply-To.
        list_post(
            "l2",
            "\"Alice Reader via Announce\" <announce@lists.example.org>",
            "Reply-To: Alice Reader <alice@reader.example>\r\n",
        ),
        // DMARC munging with nobody to resolve to.
        list_post(
            "l3",
            "\"Carol via Announce\" <announce@lists.example.org>",
            &format!("Reply-To: {list}\r\n"),
        ),
    ] {
        d.append("robin", "INBOX", raw.as_bytes());
    }
    env.run(&["run"]).ok();
    let (text, _) = digest_text(&digest(&d));
    assert!(
        text.contains("answers go to alice@reader.example (the list rewrote the sender"),
        "{text}"
    );
    assert!(
        text.contains("no private answer: the list rewrote the sender as “Carol via Announce”"),
        "{text}"
    );
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let (b, a, c) = (
        item_of(&env, "l1@lists.example.org"),
        item_of(&env, "l2@lists.example.org"),
        item_of(&env, "l3@lists.example.org"),
    );
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "",
        &format!("{b} reply\r\nYes, Bob.\r\n{a} reply\r\nYes, Alice.\r\n{c} reply\r\nYes, Carol."),
    );
    env.now = Some(DAY1_LATER.into());
    env.run(&["run"]).ok();
    let to_bob = inbox(&d, "bob");
    assert_eq!(to_bob.len(), 1);
    assert_eq!(header(&to_bob[0], "To").unwrap(), "bob@reader.example");
    let to_alice = inbox(&d, "alice");
    assert_eq!(to_alice.len(), 1);
    assert!(body(&to_alice[0]).contains("Yes, Alice."));
    assert!(
        !_s.events().contains("announce@"),
        "nothing went to the list: {}",
        _s.events()
    );
    let results = results(&d);
    assert_eq!(results.len(), 1);
    assert!(
        results[0].contains(&format!("{c} reply: FAILED: the list rewrote the sender")),
        "{}",
        results[0]
    );
}

/// Issue 18, finding 2: `#6 reply` to a reader whose Reply-To names a
/// third party went to the third party, and the digest showed only the
/// reader's name. Such a Reply-To is shown in the digest item and the
/// results message, and used only by `#6 reply-to`.
#[test]
fn a_reply_to_in_another_domain_is_shown_and_used_only_when_told() {
    let Some(Scene { d, _s, mut env }) = scene("a_reply_to_in_another_domain_is_shown") else {
        return;
    };
    let question = QUESTION.replace(
        "To: robin@ellis-on-it.example\r\n",
        "To: robin@ellis-on-it.example\r\nReply-To: Bob <bob@third.example>\r\n",
    );
    d.append("robin", "INBOX", question.as_bytes());
    env.run(&["run"]).ok();
    let (text, html) = digest_text(&digest(&d));
    let id = item_of(&env, "q1@reader.example");
    assert!(
        text.contains(&format!(
            "answers go to alice@reader.example; its Reply-To asks for bob@third.example, another domain than the sender's: `{id} reply-to` answers there"
        )),
        "{text}"
    );
    assert!(html.contains("bob@third.example"), "{html}");
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    let owner = "Robin Ellis <robin@ellis-on-it.example>";
    reply_to_digest(&d, owner, &reply_to, "", &format!("{id} reply\r\nrspamd."));
    env.now = Some(DAY1_LATER.into());
    env.run(&["run"]).ok();
    assert_eq!(inbox(&d, "alice").len(), 1, "the answer went to the reader");
    assert!(inbox(&d, "bob").is_empty(), "and not to the Reply-To");
    let results = results(&d);
    assert!(
        results[0].contains("its Reply-To asks for bob@third.example"),
        "{}",
        results[0]
    );
    reply_to_digest(
        &d,
        owner,
        &reply_to,
        "",
        &format!("{id} reply-to\r\nFor you too, Bob."),
    );
    env.run(&["run"]).ok();
    let to_bob = inbox(&d, "bob");
    assert_eq!(to_bob.len(), 1, "told so, it goes to the Reply-To");
    assert_eq!(header(&to_bob[0], "To").unwrap(), "bob@third.example");
}

/// Issue 18, finding 5: `T1 tell` after a spam comment "requested" T1
/// mailed the addresses the spam named. `tell` writes only to readers whose
/// requests were not judged spam or automated, and the digest lists who.
#[test]
fn tell_writes_only_to_readers_whose_request_was_not_spam() {
    let Some(Scene { d, _s, mut env }) = scene("tell_writes_only_to_readers_whose_request") else {
        return;
    };
    let ask = |id: &str, from: &str, text: &str| {
        format!(
            "Message-ID: <{id}>\r\nFrom: {from}\r\nTo: robin@ellis-on-it.example\r\nSubject: an idea\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n{text}\r\n"
        )
    };
    // Spam that came through a list: read for requests, judged spam.
    let spam = ask(
        "t2@spam.example",
        "Best Loans <bob@spam.example>",
        "Robin, could you write about IPv6 at home? Fast cash, payday loan, no credit check!",
    )
    .replace(
        "To: robin@ellis-on-it.example\r\n",
        "To: announce@lists.example.org\r\nList-Id: Announce <announce.lists.example.org>\r\n",
    );
    d.append(
        "robin",
        "INBOX",
        ask(
            "t1@reader.example",
            "Alice Reader <alice@reader.example>",
            "Hi Robin, could you write about IPv6 at home? Thanks, Alice",
        )
        .as_bytes(),
    );
    d.append("robin", "INBOX", spam.as_bytes());
    env.run(&["run"]).ok();
    let topics = env.run(&["topics", "--json"]).json_lines();
    let t = topics
        .iter()
        .find(|t| {
            t["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "t2@spam.example")
        })
        .unwrap_or_else(|| panic!("the spam's request is grouped: {topics:?}"));
    let id = t["id"].as_str().unwrap().to_string();
    let (text, _) = digest_text(&digest(&d));
    assert!(
        text.lines()
            .any(|l| l.trim() == format!("{id} tell writes to: alice@reader.example")),
        "{text}"
    );
    assert!(
        text.contains("and not to: bob@spam.example (spam)"),
        "{text}"
    );
    let reply_to = header(&digest(&d), "Reply-To").unwrap();
    reply_to_digest(
        &d,
        "Robin Ellis <robin@ellis-on-it.example>",
        &reply_to,
        "",
        &format!("{id} written https://ellis-on-it.example/ipv6\r\n{id} tell"),
    );
    env.now = Some(DAY1_LATER.into());
    env.run(&["run"]).ok();
    assert_eq!(inbox(&d, "alice").len(), 1, "the reader is told");
    assert!(inbox(&d, "bob").is_empty(), "the spammer is not");
    assert!(
        results(&d)[0].contains("not: bob@spam.example (spam)"),
        "{}",
        results(&d)[0]
    );
}
