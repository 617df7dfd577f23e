//! The labelled evaluation: imports a labelled mailbox through the real binary,
//! reads `messages --json` and `topics --json`, and compares them with the
//! labels (`labels.json`: source, asks_owner, answered, topic keys per
//! Message-ID). Prints every figure and every disagreement, and fails below
//! the bar. Runs on `fixtures/eval` and on the demo mailbox.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use crate::support::{Env, repo};

/// What one labelled set scored.
#[derive(Debug, Default)]
struct Score {
    messages: usize,
    source_right: usize,
    open_tp: usize,
    open_fp: usize,
    open_fn: usize,
    topic_labels: usize,
    topic_found: usize,
    keys: usize,
    keys_grouped: usize,
    false_merges: usize,
    spurious_topics: usize,
    disagreements: Vec<String>,
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.open_tp, self.open_tp + self.open_fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.open_tp, self.open_tp + self.open_fn)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn source_accuracy(&self) -> f64 {
        ratio(self.source_right, self.messages)
    }
    fn topic_recall(&self) -> f64 {
        ratio(self.topic_found, self.topic_labels)
    }
    fn grouping(&self) -> f64 {
        ratio(self.keys_grouped, self.keys)
    }

    fn print(&self, name: &str) {
        eprintln!("== {name}: {} labelled messages", self.messages);
        eprintln!(
            "   open items (asks && !answered): precision {:.3} recall {:.3} F1 {:.3} (tp {} fp {} fn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.open_tp,
            self.open_fp,
            self.open_fn
        );
        eprintln!(
            "   source accuracy {:.3} ({}/{})",
            self.source_accuracy(),
            self.source_right,
            self.messages
        );
        eprintln!(
            "   topic recall {:.3} ({}/{}); topic keys in one group {:.3} ({}/{}); false merges {}; spurious topics {}",
            self.topic_recall(),
            self.topic_found,
            self.topic_labels,
            self.grouping(),
            self.keys_grouped,
            self.keys,
            self.false_merges,
            self.spurious_topics
        );
        for d in &self.disagreements {
            eprintln!("   - {d}");
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Import `paths` (the bool marks sent mail) and score them against `labels`.
fn score(labels: &Path, paths: &[(&Path, bool)]) -> Score {
    let env = Env::new();
    for (p, sent) in paths {
        let p = p.to_str().expect("utf-8 path");
        let args: Vec<&str> = if *sent {
            vec!["import", "--sent", p]
        } else {
            vec!["import", p]
        };
        env.run(&args).ok();
    }
    let messages: HashMap<String, Value> = env
        .run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .map(|m| (m["message_id"].as_str().unwrap_or("").to_string(), m))
        .collect();
    let groups: Vec<BTreeSet<String>> = env
        .run(&["topics", "--json"])
        .json_lines()
        .iter()
        .map(|g| {
            g["messages"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let text = std::fs::read_to_string(labels).expect("read labels.json");
    let labels: Value = serde_json::from_str(&text).expect("labels.json is JSON");
    let labels = labels["messages"].as_object().expect("labels.messages");
    assert!(!labels.is_empty(), "no labels in {}", labels.len());

    let mut s = Score::default();
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, want) in labels {
        // The demo keys a list echo of a sent message as "<id>#<row>": the store
        // keeps it as the same message.
        let id = if messages.contains_key(key) {
            key.as_str()
        } else {
            key.split('#').next().unwrap_or(key)
        };
        let Some(got) = messages.get(id) else {
            s.messages += 1;
            s.disagreements.push(format!("{key}: not imported"));
            continue;
        };
        s.messages += 1;
        let file = want["file"].as_str().unwrap_or("");
        let want_source = want["source"].as_str().unwrap_or("");
        let got_source = got["source"].as_str().unwrap_or("");
        if want_source == got_source {
            s.source_right += 1;
        } else {
            s.disagreements.push(format!(
                "{file}: source {got_source}, labelled {want_source}; {}",
                reasons(got)
            ));
        }
        let want_open = want["asks_owner"] == true && want["answered"] != true;
        let got_open = got["asks_owner"] == true
            && got["answered"] != true
            && !matches!(got_source, "own" | "automated");
        match (want_open, got_open) {
            (true, true) => s.open_tp += 1,
            (false, true) => s.open_fp += 1,
            (true, false) => s.open_fn += 1,
            (false, false) => {}
        }
        if want_open != got_open {
            s.disagreements.push(format!(
                "{file}: open {got_open} (asks {}, answered {}), labelled asks {} answered {}; question {:?}; {}",
                got["asks_owner"], got["answered"], want["asks_owner"], want["answered"], got["question"], reasons(got)
            ));
        }
        let want_topics: Vec<String> = want["topics"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let got_topics = got["topics"].as_array().map(Vec::len).unwrap_or(0);
        let in_groups = groups.iter().filter(|g| g.contains(id)).count();
        s.topic_labels += want_topics.len();
        s.topic_found += want_topics.len().min(got_topics).min(in_groups);
        if want_topics.is_empty() && got_topics > 0 {
            s.spurious_topics += 1;
            s.disagreements
                .push(format!("{file}: topics {} not labelled", got["topics"]));
        } else if got_topics < want_topics.len() {
            s.disagreements.push(format!(
                "{file}: topics {}, labelled {want_topics:?}",
                got["topics"]
            ));
        }
        for k in want_topics {
            by_key.entry(k).or_default().push(id.to_string());
        }
    }
    grouping(&mut s, &by_key, &groups);
    s
}

/// Same key in one group; different keys never in one group.
fn grouping(s: &mut Score, by_key: &BTreeMap<String, Vec<String>>, groups: &[BTreeSet<String>]) {
    for (key, ids) in by_key {
        s.keys += 1;
        if groups.iter().any(|g| ids.iter().all(|id| g.contains(id))) {
            s.keys_grouped += 1;
        } else {
            let split: Vec<Vec<&String>> = groups
                .iter()
                .map(|g| ids.iter().filter(|id| g.contains(*id)).collect::<Vec<_>>())
                .filter(|v| !v.is_empty())
                .collect();
            s.disagreements
                .push(format!("topic {key} split over groups: {split:?}"));
        }
    }
    for g in groups {
        let keys: Vec<&String> = by_key
            .iter()
            .filter(|(_, ids)| ids.iter().any(|id| g.contains(id)))
            .map(|(k, _)| k)
            .collect();
        // A message with two requests sits in two groups; a group is mixed only
        // when it holds a message of one key that is in no other key's list.
        let exclusive = keys
            .iter()
            .filter(|k| {
                by_key[**k].iter().any(|id| {
                    g.contains(id) && !keys.iter().any(|o| o != *k && by_key[*o].contains(id))
                })
            })
            .count();
        if exclusive > 1 {
            s.false_merges += 1;
            s.disagreements
                .push(format!("one group mixes topics {keys:?}"));
        }
    }
}

fn reasons(m: &Value) -> String {
    m["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|r| !r.starts_with("newtext"))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

/// The bar: the bar for the hidden set (open-item F1 0.9, source
/// 95%, every topic request found, same subject in one group), held on our
/// own sets. These sets were read while the rules were written, so passing
/// them is necessary, not proof: the hidden set is other mail.
fn assert_bar(name: &str, s: &Score) {
    s.print(name);
    assert!(s.messages > 0, "{name}: nothing scored");
    assert!(s.f1() >= 0.9, "{name}: open-item F1 {:.3} < 0.9", s.f1());
    assert!(
        s.source_accuracy() >= 0.95,
        "{name}: source accuracy {:.3} < 0.95",
        s.source_accuracy()
    );
    assert!(
        s.topic_recall() >= 1.0,
        "{name}: topic recall {:.3} < 1: a request was missed",
        s.topic_recall()
    );
    assert!(
        s.grouping() >= 1.0,
        "{name}: grouping {:.3} < 1: one subject is split",
        s.grouping()
    );
    assert!(
        s.false_merges == 0,
        "{name}: {} groups mix subjects",
        s.false_merges
    );
}

#[test]
fn eval_set_meets_the_bar() {
    let root = repo().join("fixtures/eval");
    let s = score(&root.join("labels.json"), &[(&root.join("mail"), false)]);
    assert_bar("fixtures/eval", &s);
}

#[test]
fn demo_mailbox_meets_the_bar() {
    let root = repo().join("fixtures/demo");
    let s = score(
        &root.join("labels.json"),
        &[
            (&root.join("INBOX"), false),
            (&root.join("lists"), false),
            (&root.join("Sent"), true),
        ],
    );
    assert_bar("fixtures/demo", &s);
}

/// A second set, written blind to the rules by someone who read neither the
/// classifier nor the other sets: the closest stand-in here for the hidden set.
#[test]
fn blind_set_meets_the_bar() {
    let root = repo().join("fixtures/eval-blind");
    let s = score(&root.join("labels.json"), &[(&root.join("mail"), false)]);
    assert_bar("fixtures/eval-blind", &s);
}
