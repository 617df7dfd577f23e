//! The code's shape and the behaviours the reorganisation fixed: one status
//! for the digest and `explain`, the digest marked sent without `[smtp]`, a
//! closed pipe, and no circles between modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::{Env, repo};

const QUESTION: &str = "Message-ID: <q1@reader.example>\nFrom: Ann Reader <ann@reader.example>\nTo: robin@ellis-on-it.example\nDate: Mon, 30 Nov 2026 09:00:00 +0000\nSubject: UPS?\n\nRobin, which UPS do you use for your home lab?\n";
const OTHER: &str = "Message-ID: <q2@reader.example>\nFrom: Ben Reader <ben@reader.example>\nTo: robin@ellis-on-it.example\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nSubject: VLANs\n\nRobin, do you put the kids' devices on their own VLAN?\n";

fn items(env: &Env) -> Vec<String> {
    env.run(&["items", "--json"])
        .json_lines()
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn explain_says_an_item_marked_done_is_not_in_the_digest_and_why() {
    let env = Env::new().now("2026-12-01T09:00:00Z");
    env.write("mail/cur/1", QUESTION);
    env.run(&["import", "mail"]).ok();
    let before = env.run(&["explain", "q1@reader.example"]).ok();
    assert!(
        before.contains("in digest: yes, under Needs a reply"),
        "{before}"
    );
    let id = env.item_of("q1@reader.example");
    env.run(&["done", &id]).ok();
    let after = env.run(&["explain", "q1@reader.example"]).ok();
    assert!(
        after.contains("in digest: no: you marked it done"),
        "{after}"
    );
    assert!(items(&env).is_empty(), "the digest's items agree");
    let listed = env.run(&["messages"]).ok();
    assert!(!listed.contains("needs reply"), "{listed}");
}

/// Without `[smtp]`, `run` writes the digest to the output folder and
/// records it as sent: the next day's digest counts from it, and lists what
/// it showed and is still unanswered under "Still waiting".
#[test]
fn without_smtp_a_second_run_a_day_later_lists_the_first_digests_items_as_still_waiting() {
    let config =
        crate::support::owner_config("[[source]]\npath = \"mail\"\n[digest]\noutput = \"out\"\n");
    let env = Env::with_config(&config).now("2026-12-01T09:00:00Z");
    env.write("mail/cur/1", QUESTION);
    let first = env.run(&["run", "--force"]);
    assert!(first.status.success(), "{}", first.stderr);
    let text = std::fs::read_to_string(env.path().join("out/digest-2026-12-01.txt")).unwrap();
    assert!(text.contains("which UPS"), "{text}");
    let env = env.now("2026-12-02T09:00:00Z");
    env.write("mail/cur/2", OTHER);
    let second = env.run(&["run", "--force"]);
    assert!(second.status.success(), "{}", second.stderr);
    let text = std::fs::read_to_string(env.path().join("out/digest-2026-12-02.txt")).unwrap();
    let waiting = text
        .split_once("STILL WAITING")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| panic!("no Still waiting section:\n{text}"));
    assert!(waiting.contains("which UPS"), "{text}");
    let needs = text.split("STILL WAITING").next().unwrap_or("");
    assert!(needs.contains("VLAN"), "{text}");
    assert!(
        !needs.contains("which UPS"),
        "shown once, then waiting: {text}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let env = Env::new();
    for i in 0..2000 {
        env.write(&format!("mail/cur/{i}"),
            format!(
                "Message-ID: <m{i}@x.example>\nFrom: a{i}@x.example\nSubject: hello {i}\n\nHello there, number {i}.\n"
            ),
        );
    }
    env.run(&["import", "mail"]).ok();
    let mut child = env
        .cmd(&["messages", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up, as `| head -1` does.
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read(&mut out, &mut first).unwrap();
    drop(out);
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success(), "exit {:?}", done.status);
    assert!(
        done.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// Which module each `src` file belongs to (a top-level module, or one of
/// `source/`, which only groups the sources), and the modules it names
/// through `crate::`; tests are left out.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let parts: Vec<String> = rel
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .collect();
            let top = if parts[0] == "source" {
                format!("source::{}", parts[1])
            } else {
                parts[0].clone()
            };
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            let deps = graph.entry(top.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + 7..];
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let name: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() && name != top {
                            deps.insert(name);
                        }
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect::<String>()
                        .split("::")
                        .take(if rest.starts_with("source::") { 2 } else { 1 })
                        .collect::<Vec<_>>()
                        .join("::");
                    if !name.is_empty() && name != top {
                        deps.insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// A circle among top-level modules, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = module_graph(&repo().join("src"));
    assert!(graph.len() > 20, "{graph:?}");
    assert!(
        graph["cmd"].contains("run"),
        "the graph is read: {:?}",
        graph["cmd"]
    );
    assert_eq!(circle(&graph), None, "{graph:#?}");
    // The check itself can fail.
    let mut bad = graph.clone();
    bad.entry("store".into()).or_default().insert("cmd".into());
    assert!(circle(&bad).is_some());
}
