//! Learning from the owner (issue 13): `not-for-me` and `needs-reply`
//! corrections shape later judgement, survive `reclassify`, are listed by
//! `allears corrections` and can be forgotten; a merge teaches a topic its
//! other wordings, `split` undoes it, `rename` gives a working title.

use crate::support::Env;

fn direct(id: &str, from: &str, subject: &str, body: &str) -> String {
    format!(
        "Message-ID: <{id}>\nFrom: {from}\nTo: Robin Ellis <robin@ellis-on-it.example>\nDate: Mon, 30 Nov 2026 09:00:00 +0000\nSubject: {subject}\n\n{body}\n"
    )
}

fn comment(id: &str, author: &str, email: &str, post: &str, text: &str) -> String {
    format!(
        "Message-ID: <{id}>\nFrom: Ellis On It <wordpress@ellis-on-it.example>\nTo: robin@ellis-on-it.example\nDate: Tue, 01 Dec 2026 08:00:00 +0000\nSubject: [Ellis On It] Comment: \"{post}\"\n\nNew comment on your post \"{post}\"\nAuthor: {author} (IP address: 198.51.100.9, host.example)\nEmail: {email}\nURL: \nComment: \n{text}\n\nYou can see all comments on this post here:\nhttps://ellis-on-it.example/2026/11/post/#comments\n\nPermalink: https://ellis-on-it.example/2026/11/post/#comment-{id}\n"
    )
}

/// The message ids `messages --json` says need a reply.
fn flagged(env: &Env) -> Vec<String> {
    env.run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .filter(|m| m["asks_owner"] == true)
        .filter_map(|m| m["message_id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn not_for_me_unflags_mail_like_it_survives_reclassify_and_can_be_forgotten() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    let shop = "Lampshop <hello@lampshop.example>";
    env.write(
        "mail/cur/1",
        direct(
            "a1@lampshop.example",
            shop,
            "Your order",
            "Robin, could you rate the desk lamp you bought from us last week?",
        ),
    );
    env.write(
        "mail/cur/2",
        direct(
            "q1@reader.example",
            "Ann Reader <ann@reader.example>",
            "UPS?",
            "Robin, which UPS do you use for your home lab?",
        ),
    );
    env.run(&["import", "mail"]).ok();
    assert_eq!(flagged(&env).len(), 2, "both flagged by the rules");

    let id = env.item_of("a1@lampshop.example");
    let said = env.run(&["not-for-me", &id]).ok();
    assert!(said.contains("correction 1"), "{said}");
    assert_eq!(flagged(&env), vec!["q1@reader.example".to_string()]);
    let why = env.run(&["explain", "a1@lampshop.example"]).ok();
    assert!(why.contains("not for you (correction 1"), "{why}");

    // Later mail of the same kind from the same shop is not flagged.
    env.write(
        "mail/cur/3",
        direct(
            "a2@lampshop.example",
            shop,
            "Your order",
            "Robin, could you rate the standing lamp you bought?",
        ),
    );
    env.run(&["import", "mail"]).ok();
    assert_eq!(flagged(&env), vec!["q1@reader.example".to_string()]);

    // The correction lives in the store: a full reclassify keeps it.
    env.run(&["reclassify"]).ok();
    assert_eq!(flagged(&env), vec!["q1@reader.example".to_string()]);
    let listed = env.run(&["corrections"]).ok();
    assert!(
        listed.contains("not for you: hello@lampshop.example through domain:lampshop.example"),
        "{listed}"
    );

    // Forgotten, the shop's questions come back.
    env.run(&["corrections", "forget", "1"]).ok();
    assert_eq!(flagged(&env).len(), 3);
    assert!(!env.run(&["corrections", "forget", "1"]).status.success());
}

#[test]
fn needs_reply_on_a_comment_in_the_digest_flags_it_and_the_same_readers_next_one() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    let post = "Moving my home lab to IPv6-only";
    env.write(
        "mail/cur/1",
        comment(
            "c1",
            "Nadia Rahman",
            "nadia@rahman.example",
            post,
            "My old office printer never survived a move like that.",
        ),
    );
    env.run(&["import", "mail"]).ok();
    assert!(flagged(&env).is_empty(), "the rules do not flag it");
    let digest = env.run(&["digest"]).ok();
    let line = digest
        .lines()
        .find(|l| l.contains("Nadia Rahman"))
        .unwrap_or_else(|| panic!("the comment is in the digest: {digest}"));
    let id = line
        .trim()
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(
        id.parse::<i64>().is_ok(),
        "the comment carries an item id: {line}"
    );

    let said = env.run(&["needs-reply", &id]).ok();
    assert!(said.contains("is flagged"), "{said}");
    assert_eq!(flagged(&env), vec!["c1".to_string()]);
    let digest = env.run(&["digest"]).ok();
    let needs = digest.split("STILL WAITING").next().unwrap();
    assert!(needs.contains("old office printer"), "{digest}");

    // Her next comment with a question is flagged too; another reader's
    // remark on the same post is not.
    env.write(
        "mail/cur/2",
        comment(
            "c2",
            "Nadia Rahman",
            "nadia@rahman.example",
            post,
            "How did your printer take it?",
        ),
    );
    env.write(
        "mail/cur/3",
        comment(
            "c3",
            "Omar Diaz",
            "omar@diaz.example",
            post,
            "Great write-up, thanks.",
        ),
    );
    env.run(&["import", "mail"]).ok();
    let f = flagged(&env);
    assert!(f.contains(&"c2".to_string()), "{f:?}");
    assert!(!f.contains(&"c3".to_string()), "{f:?}");
}

fn topic_ids(env: &Env) -> Vec<(String, String, usize)> {
    env.run(&["topics", "--json"])
        .json_lines()
        .into_iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["label"].as_str().unwrap().to_string(),
                t["messages"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

#[test]
fn a_merge_teaches_the_topic_its_other_wording_split_undoes_it_rename_titles_it() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    let ask = |n: u32, who: &str, what: &str| {
        env.write(
            &format!("mail/cur/{n}"),
            direct(
                &format!("t{n}@reader.example"),
                who,
                "An idea",
                &format!("Robin, could you write a column about {what}?"),
            ),
        );
    };
    ask(
        1,
        "Ann <ann@reader.example>",
        "moving a family photo archive off Facebook",
    );
    ask(
        2,
        "Ben <ben@reader.example>",
        "saving decades of snapshots before a social network deletes them",
    );
    env.run(&["import", "mail"]).ok();
    let before = topic_ids(&env);
    assert_eq!(before.len(), 2, "two wordings, two topics: {before:?}");
    let (photos, snapshots) = (&before[0].0, &before[1].0);
    env.run(&["topic", "merge", snapshots, photos]).ok();
    let listed = env.run(&["corrections"]).ok();
    assert!(
        listed.contains(
            "also means “saving decades of snapshots before a social network deletes them”"
        ),
        "{listed}"
    );

    // A later request close to the merged-away wording joins the topic.
    ask(
        3,
        "Cleo <cleo@reader.example>",
        "saving decades of snapshots from a dying social network",
    );
    env.run(&["import", "mail"]).ok();
    let after = topic_ids(&env);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].2, 3);

    env.run(&[
        "topic",
        "rename",
        photos,
        "Family photos out of social networks",
    ])
    .ok();
    assert_eq!(topic_ids(&env)[0].1, "Family photos out of social networks");

    env.run(&["topic", "split", photos]).ok();
    let split = topic_ids(&env);
    assert!(split.len() >= 2, "the merge is undone: {split:?}");
    assert!(!env.run(&["corrections"]).ok().contains("also means"));
}

#[test]
fn topics_show_askers_first_and_last_request_and_the_last_30_days_most_readers_first() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    let ask = |n: u32, who: &str, date: &str, what: &str| {
        env.write(&format!("mail/cur/{n}"),
            format!(
                "Message-ID: <r{n}@reader.example>\nFrom: {who}\nTo: robin@ellis-on-it.example\nDate: {date}\nSubject: An idea\n\nRobin, could you write a column about {what}?\n"
            ),
        );
    };
    ask(
        1,
        "Ann <ann@reader.example>",
        "Mon, 05 Oct 2026 09:00:00 +0000",
        "IPv6 at home",
    );
    ask(
        2,
        "Ben <ben@reader.example>",
        "Mon, 23 Nov 2026 09:00:00 +0000",
        "IPv6 at home",
    );
    ask(
        3,
        "Cleo <cleo@reader.example>",
        "Mon, 30 Nov 2026 09:00:00 +0000",
        "composting on a balcony",
    );
    env.run(&["import", "mail"]).ok();
    let t = env.run(&["topics", "--json"]).json_lines();
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[0]["label"], "IPv6 at home", "most readers first");
    assert_eq!(t[0]["askers"].as_array().unwrap().len(), 2);
    assert_eq!(t[0]["first_asked"], "2026-10-05T09:00:00Z");
    assert_eq!(t[0]["last_asked"], "2026-11-23T09:00:00Z");
    assert_eq!(t[0]["askers_last_30_days"], 1);
    assert_eq!(t[0]["state"], "open");
    assert_eq!(t[0]["told"], 0);
    let text = env.run(&["topics"]).ok();
    assert!(
        text.contains("2 reader(s), 1 in the last 30 days"),
        "{text}"
    );
}

#[test]
fn several_corrections_in_one_go_are_all_learned_and_each_reports_the_judging_again() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    for (n, (id, from, text)) in [
        (
            "a1@lampshop.example",
            "Lampshop <hello@lampshop.example>",
            "Robin, could you rate the desk lamp you bought?",
        ),
        (
            "b1@chairs.example",
            "Chairs <hi@chairs.example>",
            "Robin, would you review our new office chair?",
        ),
        (
            "q1@reader.example",
            "Ann Reader <ann@reader.example>",
            "Robin, which UPS do you use for your home lab?",
        ),
    ]
    .iter()
    .enumerate()
    {
        env.write(&format!("mail/cur/{n}"), direct(id, from, "Hello", text));
    }
    env.run(&["import", "mail"]).ok();
    assert_eq!(flagged(&env).len(), 3, "all flagged by the rules");
    let (a, b) = (
        env.item_of("a1@lampshop.example"),
        env.item_of("b1@chairs.example"),
    );
    let said = env.run(&["not-for-me", &a, &b]).ok();
    assert!(
        said.contains("correction 1") && said.contains("correction 2"),
        "{said}"
    );
    // The stored mail is judged again after the last correction (once, in
    // `commands::apply`); each correction reports that count.
    let counts: Vec<&str> = said
        .lines()
        .filter_map(|l| {
            l.split("; ")
                .find(|p| p.ends_with("message(s) judged again"))
        })
        .collect();
    assert_eq!(counts, vec!["3 message(s) judged again"; 2], "{said}");
    assert_eq!(flagged(&env), vec!["q1@reader.example".to_string()]);
}
