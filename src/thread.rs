//! Threading (a first cut: being replaced by the full JWZ version).

#[allow(dead_code)]
pub(crate) struct ThreadInput<'a> {
    pub message_id: &'a str,
    pub references: &'a [String],
    pub in_reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub date: i64,
    pub permalink: Option<&'a str>,
    pub place: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum Mode {
    Conversation,
    Strict,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Node {
    pub message_id: Option<String>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(crate) struct Thread {
    pub root: String,
    pub messages: Vec<usize>,
    pub tree: Node,
}

pub(crate) fn thread(input: &[ThreadInput], _mode: Mode) -> Vec<Thread> {
    use std::collections::HashMap;
    let mut roots: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Thread> = Vec::new();
    for (i, m) in input.iter().enumerate() {
        let key = m
            .permalink
            .map(str::to_string)
            .or_else(|| m.references.first().cloned())
            .or_else(|| m.in_reply_to.map(str::to_string))
            .unwrap_or_else(|| m.message_id.to_string());
        let node = Node {
            message_id: Some(m.message_id.to_string()),
            children: vec![],
        };
        match roots.get(&key) {
            Some(&t) => {
                out[t].messages.push(i);
                out[t].tree.children.push(node);
            }
            None => {
                roots.insert(key, out.len());
                out.push(Thread {
                    root: m.message_id.to_string(),
                    messages: vec![i],
                    tree: node,
                });
            }
        }
    }
    out
}

pub(crate) fn parse_msg_ids(header: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let id = rest[start + 1..start + end].trim();
        if !id.is_empty() {
            out.push(id.to_string());
        }
        rest = &rest[start + end + 1..];
    }
    if out.is_empty() {
        let t = header.trim();
        if t.contains('@') && !t.contains(char::is_whitespace) {
            out.push(t.to_string());
        }
    }
    out
}
