//! What judgement needs of a large message, and no more: its structure
//! (BODYSTRUCTURE, RFC 3501 section 7.4.2) says which parts are text; only
//! the header, each part's MIME header and the text parts' bodies are
//! fetched (`BODY.PEEK[section]`, section 6.4.5, so \Seen is never set), and
//! put back together into a message that mailparse reads as it reads the
//! original: the same headers, the same MIME tree and boundaries, the same
//! text; a part left on the server keeps its MIME header and loses its body,
//! and is recorded (part number, type, file name, size) for `allears show`.
//!
//! Why these parts: `message.rs` judges a message by its headers, its MIME
//! types, and its first text/plain and text/html parts that are not
//! attachments; a message/rfc822 part (a forwarded message) is not read
//! past its type. So every text/plain and text/html part that is not an
//! attachment is kept, the header of a forwarded message is kept (`show`
//! names it), and any other part is kept when it is small (`KEEP_SMALL`),
//! where leaving it out saves nothing.

use std::collections::HashMap;

use imap_proto::{BodyStructure, SectionPath};

use crate::store::SkippedPart;

// Which messages: those over the account's `partial_over_kb` (default 32:
// below it a message seldom carries an attachment worth leaving out, and
// the structure's round trip costs more than the bytes it saves; on
// usrp-users the messages over 32 KB are 16% of the messages and 76% of
// the bytes).

/// A part at most this large is fetched whatever it is (a signature, a
/// small calendar file): leaving it out would save nothing worth a line in
/// `show`.
const KEEP_SMALL: u32 = 4 << 10;

/// MIME trees deeper than this are fetched whole (mailparse reads 32 levels).
const MAX_DEPTH: usize = 24;

/// A message's MIME tree as BODYSTRUCTURE gives it, reduced to what the
/// choice and the reassembly need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Multipart(Vec<Node>),
    /// A single part: MIME type (lower case), whether it is an attachment
    /// (Content-Disposition), its file name, its size as sent.
    Single {
        mime: String,
        attachment: bool,
        name: String,
        octets: u32,
    },
    /// A message/rfc822 part: its header is kept, its body is not read.
    Message {
        name: String,
        octets: u32,
    },
}

impl Node {
    /// The tree of a BODYSTRUCTURE, or None when it is deeper than [`MAX_DEPTH`].
    pub fn of(s: &BodyStructure<'_>) -> Option<Node> {
        Self::at(s, 0)
    }

    fn at(s: &BodyStructure<'_>, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match s {
            BodyStructure::Multipart { bodies, .. } => Node::Multipart(
                bodies
                    .iter()
                    .map(|b| Self::at(b, depth + 1))
                    .collect::<Option<_>>()?,
            ),
            BodyStructure::Basic { common, other, .. }
            | BodyStructure::Text { common, other, .. } => Node::Single {
                mime: format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase(),
                attachment: common
                    .disposition
                    .as_ref()
                    .is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment")),
                name: file_name(common),
                octets: other.octets,
            },
            BodyStructure::Message { common, other, .. } => Node::Message {
                name: file_name(common),
                octets: other.octets,
            },
        })
    }

    /// Is a single part's body fetched?
    fn kept(mime: &str, attachment: bool, octets: u32) -> bool {
        let text = matches!(mime, "text/plain" | "text/html");
        (text && !attachment) || octets <= KEEP_SMALL
    }

    /// Would fetching by parts leave anything out?
    pub fn skips_any(&self) -> bool {
        match self {
            Node::Multipart(parts) => parts.iter().any(Node::skips_any),
            Node::Single {
                mime,
                attachment,
                octets,
                ..
            } => !Self::kept(mime, *attachment, *octets),
            Node::Message { octets, .. } => *octets > KEEP_SMALL,
        }
    }
}

/// The file name a part's Content-Disposition or Content-Type gives, RFC
/// 2047 words decoded; "" when none.
fn file_name(common: &imap_proto::BodyContentCommon<'_>) -> String {
    let find = |params: &imap_proto::BodyParams<'_>, key: &str| -> Option<String> {
        params.as_ref()?.iter().find_map(|(k, v)| {
            k.trim_end_matches('*')
                .eq_ignore_ascii_case(key)
                .then(|| v.to_string())
        })
    };
    let raw = common
        .disposition
        .as_ref()
        .and_then(|d| find(&d.params, "filename"))
        .or_else(|| find(&common.ty.params, "name"))
        .unwrap_or_default();
    // The same decoding a header value gets: RFC 2047 encoded words.
    let line = format!("X: {raw}");
    let decoded = mailparse::parse_header(line.as_bytes())
        .map(|(h, _)| h.get_value())
        .unwrap_or(raw);
    crate::text::clip(decoded.trim(), 200)
}

/// The sections to ask for (`BODY.PEEK[...]` items, RFC 3501 section
/// 6.4.5): the header, every part's MIME header, the kept parts' bodies,
/// a forwarded message's header.
pub(super) fn sections(tree: &Node) -> Vec<String> {
    let mut out = vec!["HEADER".to_string()];
    fn walk(node: &Node, path: &str, out: &mut Vec<String>) {
        match node {
            Node::Multipart(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let p = child(path, i);
                    out.push(format!("{p}.MIME"));
                    walk(part, &p, out);
                }
            }
            Node::Single {
                mime,
                attachment,
                octets,
                ..
            } => {
                if Node::kept(mime, *attachment, *octets) {
                    out.push(body_section(path));
                }
            }
            Node::Message { octets, .. } => {
                if *octets <= KEEP_SMALL {
                    out.push(body_section(path));
                } else if !path.is_empty() {
                    out.push(format!("{path}.HEADER"));
                }
            }
        }
    }
    walk(tree, "", &mut out);
    out
}

fn child(path: &str, i: usize) -> String {
    if path.is_empty() {
        (i + 1).to_string()
    } else {
        format!("{path}.{}", i + 1)
    }
}

/// The body of the part at `path`; the top level's is TEXT.
fn body_section(path: &str) -> String {
    if path.is_empty() {
        "TEXT".to_string()
    } else {
        path.to_string()
    }
}

/// The part number `show` gives: a message that is not multipart is part 1.
fn part_number(path: &str) -> String {
    if path.is_empty() {
        "1".to_string()
    } else {
        path.to_string()
    }
}

/// A FETCH response's section name as [`sections`] spells it.
pub(super) fn section_name(s: &Option<SectionPath>) -> String {
    use imap_proto::MessageSection as M;
    let suffix = |m: &M| match m {
        M::Header => "HEADER",
        M::Mime => "MIME",
        M::Text => "TEXT",
    };
    match s {
        None => String::new(),
        Some(SectionPath::Full(m)) => suffix(m).to_string(),
        Some(SectionPath::Part(parts, m)) => {
            let mut p = parts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some(m) = m {
                p.push('.');
                p.push_str(suffix(m));
            }
            p
        }
    }
}

/// Put the fetched sections back together as one message, and list the
/// parts left out. An error says what is missing (the caller then fetches
/// the message whole).
pub(super) fn assemble(
    tree: &Node,
    got: &HashMap<String, Vec<u8>>,
) -> Result<(Vec<u8>, Vec<SkippedPart>), String> {
    let header = got.get("HEADER").ok_or("no HEADER section")?;
    let mut out = Vec::with_capacity(header.len() + 1024);
    let mut skipped = Vec::new();
    push_header(&mut out, header);
    body(tree, "", header, got, &mut out, &mut skipped)?;
    Ok((out, skipped))
}

/// A header as the server sent it, ending in its blank line.
fn push_header(out: &mut Vec<u8>, header: &[u8]) {
    out.extend_from_slice(header);
    if !(header.ends_with(b"\r\n\r\n") || header.ends_with(b"\n\n") || header == b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
}

/// The body of the part at `path`, whose own header is `header`.
fn body(
    node: &Node,
    path: &str,
    header: &[u8],
    got: &HashMap<String, Vec<u8>>,
    out: &mut Vec<u8>,
    skipped: &mut Vec<SkippedPart>,
) -> Result<(), String> {
    let section = |name: &str| {
        got.get(name)
            .ok_or_else(|| format!("no {name} section"))
            .map(Vec::as_slice)
    };
    match node {
        Node::Multipart(parts) => {
            let boundary = boundary(header).ok_or_else(|| {
                format!("no boundary in the header of part {}", body_section(path))
            })?;
            for (i, part) in parts.iter().enumerate() {
                let p = child(path, i);
                let mime = section(&format!("{p}.MIME"))?;
                out.extend_from_slice(b"--");
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(b"\r\n");
                push_header(out, mime);
                body(part, &p, mime, got, out, skipped)?;
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"--\r\n");
        }
        Node::Single {
            mime,
            attachment,
            name,
            octets,
        } => {
            if Node::kept(mime, *attachment, *octets) {
                out.extend_from_slice(section(&body_section(path))?);
            } else {
                skipped.push(SkippedPart {
                    part: part_number(path),
                    mime: mime.clone(),
                    name: name.clone(),
                    size: u64::from(*octets),
                });
            }
        }
        Node::Message { name, octets } => {
            if *octets <= KEEP_SMALL {
                out.extend_from_slice(section(&body_section(path))?);
            } else {
                if !path.is_empty() {
                    push_header(out, section(&format!("{path}.HEADER"))?);
                }
                skipped.push(SkippedPart {
                    part: part_number(path),
                    mime: "message/rfc822".to_string(),
                    name: name.clone(),
                    size: u64::from(*octets),
                });
            }
        }
    }
    Ok(())
}

/// The boundary a multipart part's Content-Type names, as mailparse reads it.
fn boundary(header: &[u8]) -> Option<String> {
    use mailparse::MailHeaderMap;
    let (headers, _) = mailparse::parse_headers(header).ok()?;
    let ctype = mailparse::parse_content_type(&headers.get_first_value("Content-Type")?);
    ctype.params.get("boundary").cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(mime: &str, attachment: bool, octets: u32) -> Node {
        Node::Single {
            mime: mime.into(),
            attachment,
            name: if attachment {
                "f.pdf".into()
            } else {
                String::new()
            },
            octets,
        }
    }

    #[test]
    fn text_is_fetched_and_large_attachments_are_not() {
        let tree = Node::Multipart(vec![
            Node::Multipart(vec![
                single("text/plain", false, 100_000),
                single("text/html", false, 200_000),
            ]),
            single("application/pdf", true, 900_000),
            single("application/pgp-signature", false, 500),
            single("text/plain", true, 50_000),
            Node::Message {
                name: String::new(),
                octets: 90_000,
            },
        ]);
        assert!(tree.skips_any());
        assert_eq!(
            sections(&tree),
            [
                "HEADER", "1.MIME", "1.1.MIME", "1.1", "1.2.MIME", "1.2", "2.MIME", "3.MIME", "3",
                "4.MIME", "5.MIME", "5.HEADER"
            ]
        );
        assert!(!Node::Multipart(vec![single("text/plain", false, 90_000)]).skips_any());
        assert_eq!(
            sections(&single("application/zip", true, 90_000)),
            ["HEADER"]
        );
    }

    /// The reassembled message parses as the original does: the same
    /// text, the same MIME types, the attachments' headers without bodies.
    #[test]
    fn the_sections_make_a_message_mailparse_reads_as_the_original() {
        let big = "QUJD".repeat(30_000);
        let original = format!(
            "From: a@example.org\r\nSubject: logs\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
             preamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
             --inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCould you write about this?\r\n\
             --inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Could you write about this?</p>\r\n--inner--\r\n\
             \r\n--outer\r\nContent-Type: application/octet-stream; name=\"run.log\"\r\nContent-Disposition: attachment; filename=\"run.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n--outer--\r\n"
        );
        let tree = Node::Multipart(vec![
            Node::Multipart(vec![
                single("text/plain", false, 28),
                single("text/html", false, 35),
            ]),
            Node::Single {
                mime: "application/octet-stream".into(),
                attachment: true,
                name: "run.log".into(),
                octets: big.len() as u32,
            },
        ]);
        // What Dovecot sends for each section.
        let got: HashMap<String, Vec<u8>> = [
            ("HEADER", "From: a@example.org\r\nSubject: logs\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"),
            ("1.MIME", "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"),
            ("1.1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n"),
            ("1.1", "Could you write about this?"),
            ("1.2.MIME", "Content-Type: text/html; charset=utf-8\r\n\r\n"),
            ("1.2", "<p>Could you write about this?</p>"),
            ("2.MIME", "Content-Type: application/octet-stream; name=\"run.log\"\r\nContent-Disposition: attachment; filename=\"run.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
        let (kept, skipped) = assemble(&tree, &got).unwrap();
        assert!(kept.len() < 1000, "{}", kept.len());
        assert_eq!(
            skipped,
            [SkippedPart {
                part: "2".into(),
                mime: "application/octet-stream".into(),
                name: "run.log".into(),
                size: big.len() as u64
            }]
        );
        let a = crate::message::parse(original.as_bytes());
        let b = crate::message::parse(&kept);
        assert_eq!(a.text, b.text);
        assert_eq!(a.html, b.html);
        assert_eq!(a.mime_types, b.mime_types);
        assert_eq!(a.subject, b.subject);
        assert_eq!(a.parse_error, b.parse_error);
        assert_eq!(a.text, "Could you write about this?");
        // A section missing is an error, not a message without its text.
        let mut short = got.clone();
        short.remove("1.1");
        assert!(assemble(&tree, &short).unwrap_err().contains("1.1"));
    }

    #[test]
    fn section_names_read_back_as_asked() {
        use imap_proto::MessageSection as M;
        assert_eq!(section_name(&Some(SectionPath::Full(M::Header))), "HEADER");
        assert_eq!(
            section_name(&Some(SectionPath::Part(vec![1, 2], Some(M::Mime)))),
            "1.2.MIME"
        );
        assert_eq!(section_name(&Some(SectionPath::Part(vec![3], None))), "3");
    }
}
