//! Issue 18, the offline half: mail written to attack whoever reads it or
//! whatever reads it, through the real binary. A terminal only gets text;
//! no file, folder or lock makes an import hang, loop or lose mail without
//! saying so; a store is never silently replaced; an mbox is split only at
//! real separators.

use crate::support::{Env, owner_config};

/// Characters a terminal would act on: every control but the line feed,
/// and the bidirectional and invisible format characters.
fn acted_on(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn assert_inert(what: &str, out: &str) {
    let bad: Vec<String> = out
        .chars()
        .filter(|&c| acted_on(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(bad.is_empty(), "{what} printed raw {bad:?}:\n{out}");
}

/// A reader's question whose name, subject and words carry terminal
/// escapes (CSI, OSC title and hyperlink, C1 CSI) and a bidi override.
const HOSTILE: &str = "Message-ID: <evil\u{202E}1@reader.example>\r\nFrom: =?UTF-8?Q?Eve=1B]0;owned=07_=C2=9B31m?= <eve@reader.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: =?UTF-8?Q?Invoice_=E2=80=AEgpj.exe?= \u{202E}fdp\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nRobin, could you write about IPv6 at home \x1b[2J\x1b]8;;https://evil.example\x07here\x1b]8;;\x07?\r\nAnd which router do you use\u{202E} at home\u{9b}0m?\r\n";

/// Issue 18, finding 7: `messages`, `explain`, `threads`, `items`,
/// `topics` and the stdout of `digest` printed a mail's raw escape
/// sequences and bidi overrides.
#[test]
fn mail_text_reaches_the_terminal_as_visible_escapes_only() {
    let env = Env::new().now("2026-11-26T08:00:00Z");
    env.write("mail/cur/1:2,S", HOSTILE.as_bytes());
    env.run(&["import", "mail"]).ok();
    let id = "evil\u{202E}1@reader.example";
    for args in [
        vec!["messages"],
        vec!["explain", id],
        vec!["threads"],
        vec!["items"],
        vec!["topics"],
        vec!["digest"],
    ] {
        let out = env.run(&args).ok();
        assert_inert(&args.join(" "), &out);
        assert!(!out.trim().is_empty(), "{args:?} printed nothing");
    }
    let explained = env.run(&["explain", id]).ok();
    assert!(explained.contains("\\x1b"), "{explained}");
    assert!(explained.contains("<U+202E>"), "{explained}");
    for args in [
        vec!["messages", "--json"],
        vec!["threads", "--json"],
        vec!["items", "--json"],
        vec!["topics", "--json"],
    ] {
        let r = env.run(&args);
        assert_inert(&args.join(" "), &r.stdout);
        // Still JSON, and the text comes back whole from it.
        let lines = r.json_lines();
        assert!(!lines.is_empty(), "{args:?}");
    }
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let m = msgs
        .iter()
        .find(|m| m["message_id"] == id)
        .expect("the message, its id intact through JSON");
    assert!(m["subject"].as_str().unwrap().contains('\u{202E}'), "{m}");
}

fn import_one(env: &Env) {
    env.write(
        "mail/a.eml",
        b"Message-ID: <a@reader.example>\nFrom: r@reader.example\nSubject: hi\n\nCould you help?\n",
    );
    env.run(&["import", "mail"]).ok();
}

/// Issue 18, finding 14: a store truncated to zero bytes was silently
/// replaced by a new, empty one (every item, topic, digest and the command
/// token gone, exit 0). Neither an empty file nor a file that is not an
/// allears store is ever replaced.
#[test]
fn a_store_that_is_empty_or_not_allears_is_never_replaced() {
    let env = Env::new();
    import_one(&env);
    let db = env.path().join("allears.db");
    assert!(std::fs::metadata(&db).unwrap().len() > 0);
    std::fs::write(&db, b"").unwrap();
    let r = env.run(&["messages"]);
    assert!(!r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
    assert!(r.stderr.contains("allears.db"), "{}", r.stderr);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it was");

    std::fs::write(&db, b"my notes, not a database\n").unwrap();
    let r = env.run(&["import", "mail"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("not an allears store"), "{}", r.stderr);
    assert_eq!(std::fs::read(&db).unwrap(), b"my notes, not a database\n");

    std::fs::remove_file(&db).unwrap();
    {
        let other = rusqlite::Connection::open(&db).unwrap();
        other
            .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let r = env.run(&["run"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("not an allears store"), "{}", r.stderr);
    let other = rusqlite::Connection::open(&db).unwrap();
    let tables: i64 = other
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1, "nothing was added to another program's database");
    drop(other);

    // Where no file is, a new store is made.
    std::fs::remove_file(&db).unwrap();
    import_one(&env);
    assert_eq!(env.run(&["messages", "--json"]).json_lines().len(), 1);
}

/// Issue 18, finding 14: `allears import Maildir/cur` stored 0 of 50
/// messages and exited 0 (Maildir file names have a dot, so they were not
/// taken for mail).
#[test]
fn importing_a_maildirs_cur_folder_reads_every_message_in_it() {
    let env = Env::new();
    for i in 0..50 {
        env.write(&format!("Maildir/cur/17000000{i:02}.M{i}P1.host,S=90:2,S"),
            format!("Message-ID: <m{i}@reader.example>\nFrom: r@reader.example\nSubject: m{i}\n\nhello\n").as_bytes(),
        );
    }
    std::fs::create_dir_all(env.path().join("Maildir/new")).unwrap();
    let r = env.run(&["import", "Maildir/cur"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 50 new"), "{}", r.stderr);
}

/// Run allears, killed after `secs`: `None` when it had not finished by then.
fn run_within(env: &Env, args: &[&str], secs: u64) -> Option<crate::support::Run> {
    use std::time::{Duration, Instant};
    let mut child = env
        .cmd(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start allears");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(crate::support::Run::from(child.wait_with_output().unwrap()));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a plain syscall on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

const ONE: &[u8] =
    b"Message-ID: <one@reader.example>\nFrom: r@reader.example\nSubject: one\n\nhello\n";

/// Issue 18, finding 8: a FIFO in a folder being imported (beside cur/, in
/// cur/, or in a plain folder) blocked the import forever. Only regular
/// files are opened; the others are reported and skipped.
#[test]
fn a_fifo_among_the_mail_is_reported_and_skipped_not_waited_on() {
    let env = Env::new();
    env.write("Maildir/cur/1:2,S", ONE);
    std::fs::create_dir_all(env.path().join("Maildir/new")).unwrap();
    env.write("plain/a.eml", ONE.to_vec().replace_all_ids("two"));
    mkfifo(&env.path().join("Maildir/fifo"));
    mkfifo(&env.path().join("Maildir/cur/2:2,S"));
    mkfifo(&env.path().join("plain/b.eml"));
    let r = run_within(&env, &["import", "Maildir", "plain"], 30)
        .expect("the import finished instead of waiting on a FIFO");
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 2 new"), "{}", r.stderr);
    for fifo in ["Maildir/fifo", "Maildir/cur/2:2,S", "plain/b.eml"] {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(fifo) && l.contains("FIFO")),
            "{fifo} is reported: {}",
            r.stderr
        );
    }
    let named = run_within(&env, &["import", "plain/b.eml"], 30).expect("finished");
    assert!(!named.status.success(), "{}", named.stderr);
    assert!(named.stderr.contains("FIFO"), "{}", named.stderr);
}

/// Issue 18, finding 9: three symlinks pointing at `.` made the folder
/// walk exponential (killed after 60 s). Folders are read once, by device
/// and inode.
#[test]
fn symlinks_back_to_a_folder_do_not_make_the_walk_loop() {
    let env = Env::new();
    env.write("mail/a.eml", ONE);
    for l in ["l1", "l2", "l3"] {
        std::os::unix::fs::symlink(".", env.path().join("mail").join(l)).unwrap();
    }
    std::os::unix::fs::symlink("..", env.path().join("mail/up")).unwrap();
    let started = std::time::Instant::now();
    let r = run_within(&env, &["import", "mail"], 30).expect("the walk ended");
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 1 new"), "{}", r.stderr);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

/// Issue 18, finding 11: a Maildir++ subfolder that cannot be read was
/// skipped with no warning, its mail silently missing.
#[test]
fn a_maildir_subfolder_that_cannot_be_read_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.write("Maildir/cur/1:2,S", ONE);
    env.write(
        "Maildir/.Lists/cur/2:2,S",
        ONE.to_vec().replace_all_ids("two"),
    );
    env.write(
        "Maildir/.Notes/cur/3:2,S",
        ONE.to_vec().replace_all_ids("three"),
    );
    let locked = env.path().join("Maildir/.Lists");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = as_unprivileged(&env, &["import", "Maildir"]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 2 new"), "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(".Lists") && l.contains("cannot be read")),
        "{}",
        r.stderr
    );
}

/// Run allears as a user file modes apply to: as root (the CI machine),
/// as `nobody`, with the test's folder open to it.
fn as_unprivileged(env: &Env, args: &[&str]) -> crate::support::Run {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let mut cmd = env.cmd(args);
    // SAFETY: plain syscall.
    if unsafe { libc::geteuid() } == 0 {
        std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        cmd.uid(65534).gid(65534);
    }
    crate::support::Run::from(cmd.output().expect("run allears"))
}

trait ReplaceIds {
    fn replace_all_ids(self, with: &str) -> Vec<u8>;
}

impl ReplaceIds for Vec<u8> {
    /// The same message under another Message-ID and subject.
    fn replace_all_ids(self, with: &str) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replace("one", with)
            .into_bytes()
    }
}

/// An mbox of `n` short messages.
fn mbox_of(n: usize) -> Vec<u8> {
    let mut mbox = String::new();
    for i in 0..n {
        mbox.push_str(&format!(
            "From r@reader.example Mon Nov  2 10:00:00 2026\nMessage-ID: <bulk{i}@reader.example>\nFrom: r@reader.example\nSubject: bulk {i}\n\nhello {i}\n\n"
        ));
    }
    mbox.into_bytes()
}

/// Issue 18, finding 10: a store error in the middle of an import (another
/// writer holding the database past the busy timeout) deadlocked it: the
/// reader blocked on a full channel after the store thread had gone. It
/// now ends with the error and a non-zero exit.
#[test]
fn a_store_error_in_the_middle_of_an_import_ends_it_with_the_error() {
    let env = Env::with_config(&owner_config("[store]\nlock_timeout_secs = 1\n"));
    import_one(&env);
    env.write("big.mbox", mbox_of(6000));
    let other = rusqlite::Connection::open(env.path().join("allears.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r = run_within(&env, &["import", "big.mbox"], 60)
        .expect("the import ended instead of deadlocking");
    other.execute_batch("ROLLBACK").unwrap();
    assert!(!r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("storing"), "{}", r.stderr);
    assert!(r.stderr.contains("locked"), "{}", r.stderr);
    // Once the other writer is gone, the same import goes through.
    let again = env.run(&["import", "big.mbox"]);
    assert!(
        again.stderr.contains("imported 6000 new"),
        "{}",
        again.stderr
    );
}

/// Issue 18, finding 10: two allears at once on one store: the second hung
/// until killed. It waits `[store] lock_timeout_secs`, then says which run
/// (by pid) holds the store.
#[test]
fn a_second_allears_on_the_same_store_waits_then_names_the_one_holding_it() {
    use std::io::Write;
    let env = Env::with_config(&owner_config("[store]\nlock_timeout_secs = 1\n"));
    import_one(&env);
    // The first holds the store while it waits for its answer's text.
    let mut first = env
        .cmd(&["reply", "1", "--file", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = first.id();
    let lock = env.path().join("allears.db.run-lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains(&pid.to_string())) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never took the store"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let started = std::time::Instant::now();
    let second = run_within(&env, &["run"], 30).expect("the second run gave up");
    assert!(started.elapsed().as_secs() < 15, "{:?}", started.elapsed());
    assert!(!second.status.success(), "{}", second.stderr);
    assert!(
        second.stderr.contains("another allears"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("pid {pid}")),
        "{}",
        second.stderr
    );
    first.stdin.take().unwrap().write_all(b"thanks\n").unwrap();
    first.wait().unwrap();
    assert!(
        env.run(&["run"]).status.success(),
        "free again once the first has finished"
    );
}

/// Two months of a pipermail archive as it writes them: senders as "user
/// at host", and body lines that start with "From " left unescaped.
const PIPERMAIL: &str = "From jdoe at example.org  Sun Oct  3 09:51:20 2010
From: jdoe at example.org (Jane Doe)
Date: Sun, 03 Oct 2010 08:51:20 +0100
Subject: [Rd] nlme Suggests Hmisc
Message-ID: <p1@example.org>

Hello,

From what I can tell, nlme is the only recommended package that now
has a Suggests for a package that is not recommended.

From R-help
...
>I notice that you have the IPSUR package loaded

Jane

From bob at example.org  Sun Oct  3 10:02:11 2010
From: bob at example.org (Bob Builder)
Date: Sun, 03 Oct 2010 09:02:11 +0100
Subject: [Rd] nlme Suggests Hmisc
In-Reply-To: <p1@example.org>
Message-ID: <p2@example.org>

From R-admin: http://r.research.att.com/man/R-exts.html#Using-Makevars

Bob

";

/// Issue 18, finding 15: pipermail does not escape body lines that start
/// with "From ": allears split there, so messages were cut short and
/// fragments with no sender became messages (on R-devel 2007-2011, three
/// and four).
#[test]
fn a_pipermail_body_line_starting_with_from_does_not_split_the_message() {
    let env = Env::new();
    env.write("archive/2010-October.txt", PIPERMAIL.as_bytes());
    let r = env.run(&["import", "archive"]);
    assert!(r.stderr.contains("imported 2 new"), "{}", r.stderr);
    let msgs = env.run(&["messages", "--json"]).json_lines();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    for m in &msgs {
        assert!(!m["from"].as_str().unwrap().is_empty(), "a fragment: {m}");
    }
    let ids: Vec<&str> = msgs
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"p1@example.org") && ids.contains(&"p2@example.org"),
        "{ids:?}"
    );
}

/// Issue 18, finding 13, for local mail: a message larger than `[store]
/// max_message_mb` is read only as far as its header ends, kept with its
/// size, and said in the summary; the messages around it are whole.
#[test]
fn a_local_message_over_the_size_limit_is_kept_as_its_header() {
    let env = Env::with_config(&owner_config("[store]\nmax_message_mb = 1\n"));
    let body = format!("{}\n", "y".repeat(99)).repeat(30_000);
    let big = format!(
        "Message-ID: <big@reader.example>\nFrom: r@reader.example\nSubject: a 3 MB message\n\n{body}"
    );
    env.write("mail/big.eml", big.as_bytes());
    let mut mbox = String::from_utf8(mbox_of(2)).unwrap();
    mbox.push_str(&format!(
        "From r@reader.example Mon Nov  2 10:00:00 2026\n{}\nFrom r@reader.example Mon Nov  2 10:00:00 2026\nMessage-ID: <after@reader.example>\nFrom: r@reader.example\nSubject: after\n\nhello\n",
        big.replace("big@", "big2@")
    ));
    env.write("mail/archive.mbox", mbox.as_bytes());
    let r = env.run(&["import", "mail"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 5 new"), "{}", r.stderr);
    assert!(
        r.stderr.contains("2 message(s) larger than the size limit"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("<big@reader.example>: 2.9 MB"),
        "{}",
        r.stderr
    );
    let msgs = env.run(&["messages", "--json"]).json_lines();
    for id in ["big@reader.example", "big2@reader.example"] {
        let m = msgs.iter().find(|m| m["message_id"] == id).expect(id);
        assert_eq!(m["subject"], "a 3 MB message");
        assert!(
            m["parse_error"].as_str().unwrap().contains("size limit"),
            "{m}"
        );
    }
    assert!(
        msgs.iter()
            .any(|m| m["message_id"] == "after@reader.example")
    );
    let again = env.run(&["import", "mail"]);
    assert!(again.stderr.contains("imported 0 new"), "{}", again.stderr);
}
