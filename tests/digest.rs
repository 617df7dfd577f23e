//! The digest as its owner reads it (issue 14): every message in one
//! section, a summary first and in the Subject, ranked and bounded sections
//! that keep the message small on a flood, one-tap mailto: actions, a
//! format=flowed text part with no line over 78 columns but a lone URL, the
//! weekly digest, and the owner's own templates.

use std::collections::{BTreeMap, BTreeSet};

use crate::golden::DEMO_NOW;
use crate::support::{Env, owner_config, repo, unflow};

/// The demo mailbox, run once: the digest's .eml, and its items as
/// `allears items` listed them just before (after it, they are the next
/// digest's).
fn demo(extra: &str) -> (Env, Vec<u8>, Vec<serde_json::Value>) {
    let demo = repo().join("fixtures/demo");
    let env = Env::with_config(&owner_config(&format!(
        "[[source]]\npath = {:?}\n{extra}",
        demo.to_str().unwrap()
    )))
    .now(DEMO_NOW);
    env.run(&["import", demo.to_str().unwrap()]).ok();
    let items = env.run(&["items", "--json"]).json_lines();
    env.run(&["run"]).ok();
    let eml = std::fs::read(env.path().join("out/digest-2026-11-26.eml")).expect("the digest");
    (env, eml, items)
}

/// The text part (as sent, flowed), the HTML part, and the Subject.
fn parts(eml: &[u8]) -> (String, String, String) {
    let mail = mailparse::parse_mail(eml).expect("the digest parses");
    let subject = mail
        .headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case("Subject"))
        .map(|h| h.get_value())
        .unwrap_or_default();
    let (mut text, mut html) = (String::new(), String::new());
    for p in &mail.subparts {
        match p.ctype.mimetype.as_str() {
            "text/plain" => {
                assert_eq!(
                    p.ctype.params.get("format").map(String::as_str),
                    Some("flowed"),
                    "the text part is format=flowed"
                );
                text = p.get_body().unwrap();
            }
            "text/html" => html = p.get_body().unwrap(),
            _ => {}
        }
    }
    (text, html, subject)
}

/// Every line at most 78 characters, except a line that is a single URL.
fn long_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 78)
        .filter(|l| {
            let t = l.trim();
            let lone_url = t.starts_with("http") && !t.contains(' ');
            !lone_url
        })
        .map(str::to_string)
        .collect()
}

/// The mailto: links of an HTML part, decoded: (address, body).
fn mailtos(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&#x3D;", "=")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#x60;", "`")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("href=\"mailto:")
        .skip(1)
        .map(|rest| {
            let href = unescape(&rest[..rest.find('"').unwrap()]);
            let (to, query) = href.split_once('?').unwrap_or((&href, ""));
            let body = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("body="))
                .unwrap_or("");
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .unwrap()
                    .to_string()
            };
            (decode(to), decode(body))
        })
        .collect()
}

#[test]
fn the_demo_digest_shows_each_message_once_summary_first_with_one_tap_actions() {
    let (_env, eml, items) = demo("");
    let (text, html, subject) = parts(&eml);
    // No message id in two sections.
    let mut sections: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in &items {
        for m in i["message_ids"].as_array().unwrap() {
            sections
                .entry(m.as_str().unwrap().to_string())
                .or_default()
                .insert(i["section"].as_str().unwrap().to_string());
        }
    }
    assert!(sections.len() >= 18, "{sections:?}");
    let twice: Vec<_> = sections.iter().filter(|(_, s)| s.len() > 1).collect();
    assert!(twice.is_empty(), "in two sections: {twice:?}");
    // And in the text each item id heads one entry only.
    let mut heads = BTreeMap::new();
    for l in unflow(&text).lines().take_while(|l| *l != "--") {
        if let Some(id) = l.split_whitespace().next().filter(|w| w.starts_with('#')) {
            *heads.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    assert!(heads.values().all(|&n| n == 1), "{heads:?}");
    // Sam's request is under its topic only, not under Needs a reply or Comments.
    assert_eq!(
        unflow(&text).matches("What about IPv6 at home?").count(),
        1,
        "{text}"
    );
    // The summary, first, and its figures in the Subject.
    let summary = unflow(&text).lines().nth(2).unwrap_or("").to_string();
    assert!(
        summary.starts_with("6 people are waiting for you (the oldest for 2 weeks)"),
        "{text}"
    );
    assert!(
        summary.contains("new topic requests (T1 asked by 5)"),
        "{summary}"
    );
    assert!(html.contains("6 people are waiting for you"), "{html}");
    assert!(subject.contains("6 waiting (oldest 2 weeks)"), "{subject}");
    // Every needs-reply item in the HTML has links whose body holds its commands,
    // to the command address that carries the token.
    let links = mailtos(&html);
    let needs: Vec<&serde_json::Value> = items
        .iter()
        .filter(|i| i["kind"] == "needs_reply" && i["shown"] == true)
        .collect();
    assert_eq!(needs.len(), 6, "{items:?}");
    for i in needs {
        let id = i["id"].as_str().unwrap();
        for command in ["done", "snooze 3d", "reply"] {
            let want = format!("{id} {command}\r\n");
            assert!(
                links
                    .iter()
                    .any(|(to, body)| body.starts_with(&want) && to.starts_with("robin+")),
                "no link for {want:?}: {links:?}"
            );
        }
    }
    // Lines: at most 78 columns but a lone URL, wrapped at 72 otherwise.
    assert!(long_lines(&text).is_empty(), "{:?}", long_lines(&text));
    // The details that misled.
    assert!(
        !text.contains("vpn"),
        "held spam is counted, not shown: {text}"
    );
    assert!(
        text.contains("1 comment held for moderation looks like spam"),
        "{text}"
    );
    assert!(
        html.contains(">approve</a>")
            && !html.contains(
                ">the comment</a> &middot; <a href=\"https://ellis-on-it.example/wp-admin"
            ),
        "a held comment's link says approve"
    );
    assert!(
        !html.contains(">the archive<"),
        "link labels say what they open"
    );
    assert!(html.contains(">the thread on forum.example.net<"), "{html}");
    assert!(
        text.contains("did you move to…"),
        "excerpts end at a word: {text}"
    );
}

/// `T1 written URL` then its askers' requests leave (they were under the
/// topic, not under Needs a reply).
#[test]
fn a_written_topic_takes_its_askers_requests_with_it() {
    let (env, _, items) = demo("");
    let t1: Vec<String> = items
        .iter()
        .filter(|i| i["kind"] == "topic_request" && i["summary"].as_str().unwrap().ends_with("T1"))
        .map(|i| i["message_ids"][0].as_str().unwrap().to_string())
        .collect();
    assert!(t1.len() >= 3, "{items:?}");
    env.run(&["topic", "written", "T1", "https://ellis-on-it.example/ipv6"])
        .ok();
    let after = env.run(&["items", "--json"]).json_lines();
    for m in &t1 {
        assert!(
            !after.iter().any(|i| i["message_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == m.as_str())),
            "{m} is still listed: {after:?}"
        );
    }
}

/// 20,000 list messages and 300 direct questions: the HTML part under
/// 90 KB, the message under 100 KB, the summary and the footer inside, at
/// most 20 needs-reply items and the rest counted. `ALLEARS_VOLUME=N`
/// changes the number of list messages.
#[test]
fn a_flood_makes_a_digest_under_100_kb_with_the_summary_and_footer_inside() {
    let n: usize = std::env::var("ALLEARS_VOLUME")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let env = Env::with_config(&owner_config("[[source]]\npath = \"Maildir\"\n"))
        .now("2026-11-05T07:30:00Z");
    let made = std::process::Command::new(repo().join("scripts/gen-list-mail"))
        .arg(env.path().join("Maildir"))
        .arg(n.to_string())
        .arg("300")
        .status()
        .expect("scripts/gen-list-mail runs");
    assert!(made.success());
    env.run(&["run"]).ok();
    let eml = std::fs::read(env.path().join("out/digest-2026-11-05.eml")).unwrap();
    let (text, html, subject) = parts(&eml);
    eprintln!(
        "{n} list messages + 300 questions: message {} bytes, HTML part {} bytes, text part {} bytes",
        eml.len(),
        html.len(),
        text.len()
    );
    assert!(html.len() < 90 * 1024, "HTML part {} bytes", html.len());
    assert!(eml.len() < 100 * 1024, "message {} bytes", eml.len());
    for part in [&text, &html] {
        assert!(
            part.contains("302 people are waiting for you"),
            "the summary"
        );
        assert!(part.contains("one command per line"), "the footer");
    }
    assert!(subject.contains("302 waiting"), "{subject}");
    let items = env.run(&["items", "--json"]).json_lines();
    let needs = |shown: bool| {
        items
            .iter()
            .filter(|i| i["kind"] == "needs_reply" && i["shown"] == shown)
            .count()
    };
    assert_eq!(needs(true), 20, "at most [digest] max_items shown");
    assert!(needs(false) >= 280, "{}", needs(false));
    let more = format!("And {} more waiting", needs(false));
    assert!(unflow(&text).contains(&more), "{text}");
    assert!(
        html.contains(&format!("<strong>{} more</strong>", needs(false))),
        "the rest counted"
    );
    assert_eq!(
        mailtos(&html)
            .iter()
            .filter(|(_, b)| b.contains(" done"))
            .count(),
        20
    );
    assert!(long_lines(&text).is_empty(), "{:?}", long_lines(&text));
}

/// `[schedule] weekly`: on its day, a second message, its own period, with
/// the topics' trend and who waits longest; sent once; the daily one too.
#[test]
fn the_weekly_digest_goes_once_on_its_day_beside_the_daily_one() {
    let (env, _, _) = demo("");
    let cfg = std::fs::read_to_string(env.path().join("digest.toml")).unwrap();
    let cfg = cfg.replace("[schedule]\n", "[schedule]\nweekly = \"thursday\"\n");
    std::fs::write(env.path().join("digest.toml"), cfg).unwrap();
    let out = env.run(&["run"]).ok();
    let weekly = env.path().join("out/digest-week-2026-11-26.eml");
    let eml = std::fs::read(&weekly).unwrap_or_else(|_| panic!("no weekly digest: {out}"));
    let (text, html, subject) = parts(&eml);
    let text = unflow(&text);
    assert!(subject.starts_with("What your readers want"), "{subject}");
    assert!(
        text.contains("T1  IPv6 at home · 5 readers · quieter (0 this week, 2 the week before)"),
        "{text}"
    );
    assert!(text.contains("WAITING LONGEST"), "{text}");
    assert!(text.contains("#5  Jordan Blake"), "{text}");
    assert!(html.contains("mailto:"), "{html}");
    assert!(long_lines(&eml_text(&eml)).is_empty());
    // Once a week: the next run sends no second one.
    let before = std::fs::metadata(&weekly).unwrap().modified().unwrap();
    env.run(&["run"]).ok();
    assert_eq!(
        std::fs::metadata(&weekly).unwrap().modified().unwrap(),
        before
    );
    // Off by default: the demo's first run wrote none.
    let (plain, _, _) = demo("");
    assert!(!plain.path().join("out/digest-week-2026-11-26.eml").exists());
}

fn eml_text(eml: &[u8]) -> String {
    parts(eml).0
}

/// `[digest] templates`: the owner's file replaces the built-in one; a
/// missing one falls back; one that does not parse stops the run, naming it.
#[test]
fn the_owners_templates_replace_the_built_in_ones() {
    let env = Env::with_config(&owner_config("[digest]\ntemplates = \"tpl\"\n")).now(DEMO_NOW);
    env.write(
        "tpl/digest.txt.hbs",
        "Hello {{owner}}: {{len needs_reply}} waiting\n",
    );
    let out = env.run(&["digest"]).ok();
    assert_eq!(out, "Hello Robin Ellis: 0 waiting\n");
    let html = std::fs::read_to_string(env.path().join("out/digest-2026-11-26.html")).unwrap();
    assert!(html.contains("Needs a reply"), "the built-in HTML template");
    env.write("tpl/digest.html.hbs", "{{#if x}} never closed");
    let r = env.run(&["digest"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("tpl/digest.html.hbs"), "{}", r.stderr);
    assert!(r.stderr.contains("does not parse"), "{}", r.stderr);
}
