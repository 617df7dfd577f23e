//! The bulk FETCH reader: `UID FETCH` sent on the session's stream and each
//! response read whole (literals by their announced length, RFC 3501
//! section 4.3) and parsed once with imap-proto. The imap crate re-parses a
//! response from its start at every line it reads; this reader does not.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};

use super::connect::Shared;
use super::partial::{self, Node};

/// What a body fetch returned: (UID, bytes) of each message, and (UID,
/// size) of each the server sent larger than the limit, whose bytes were
/// read past and dropped.
#[derive(Debug, Default)]
pub(super) struct Bodies {
    pub whole: Vec<(u32, Vec<u8>)>,
    pub too_large: Vec<(u32, u64)>,
}

/// `UID FETCH set (UID BODY.PEEK[])` under `tag` on the session's stream.
/// BODY.PEEK never sets \Seen (RFC 3501 section 6.4.5). A body larger
/// than `max` (a server whose RFC822.SIZE said less) is never held: see
/// [`read_response`].
pub(super) fn fetch_bodies(
    shared: &Shared,
    tag: &str,
    set: &str,
    max: u64,
) -> std::io::Result<Bodies> {
    let mut out = Bodies::default();
    uid_fetch(
        shared,
        tag,
        set,
        "(UID BODY.PEEK[])",
        max,
        |attrs, dropped| {
            let (uid, body) = uid_and_section(attrs);
            // A FETCH of flags only (another client's change) has no body.
            match (uid, body, dropped) {
                (Some(uid), Some(_), Some(size)) => out.too_large.push((uid, size)),
                (Some(uid), Some(body), None) => out.whole.push((uid, body)),
                _ => {}
            }
        },
    )?;
    Ok(out)
}

/// `UID FETCH set (UID BODY.PEEK[HEADER])` under `tag`: (UID, header bytes)
/// of each message, for those over the size limit (RFC 3501 section 6.4.5).
pub(super) fn fetch_headers(
    shared: &Shared,
    tag: &str,
    set: &str,
    max: u64,
) -> std::io::Result<Vec<(u32, Vec<u8>)>> {
    let mut out = Vec::new();
    uid_fetch(
        shared,
        tag,
        set,
        "(UID BODY.PEEK[HEADER])",
        max,
        |attrs, _| {
            if let (Some(uid), Some(header)) = uid_and_section(attrs) {
                out.push((uid, header));
            }
        },
    )?;
    Ok(out)
}

/// The UID of a FETCH response, and the bytes of its body section, if any.
fn uid_and_section(attrs: Vec<imap_proto::AttributeValue<'_>>) -> (Option<u32>, Option<Vec<u8>>) {
    use imap_proto::AttributeValue;
    let (mut uid, mut body) = (None, None);
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(u),
            AttributeValue::BodySection { data: Some(d), .. } => body = Some(d.into_owned()),
            _ => {}
        }
    }
    (uid, body)
}

/// `UID FETCH set (UID RFC822.SIZE)` under `tag`: (UID, size) of each message.
pub(super) fn fetch_sizes(
    shared: &Shared,
    tag: &str,
    set: &str,
) -> std::io::Result<HashMap<u32, u64>> {
    use imap_proto::AttributeValue;
    let mut out = HashMap::new();
    uid_fetch(shared, tag, set, "(UID RFC822.SIZE)", 0, |attrs, _| {
        let (mut uid, mut size) = (None, None);
        for a in attrs {
            match a {
                AttributeValue::Uid(u) => uid = Some(u),
                AttributeValue::Rfc822Size(n) => size = Some(u64::from(n)),
                _ => {}
            }
        }
        if let (Some(uid), Some(size)) = (uid, size) {
            out.insert(uid, size);
        }
    })?;
    Ok(out)
}

/// `UID FETCH set (UID BODYSTRUCTURE)` under `tag`: each message's MIME
/// tree (RFC 3501 section 7.4.2). A message whose structure does not parse
/// (or nests too deep) is left out, said in a log line: the caller fetches
/// it whole.
pub(super) fn fetch_structures(
    shared: &Shared,
    tag: &str,
    set: &str,
) -> std::io::Result<HashMap<u32, Node>> {
    use imap_proto::AttributeValue;
    let mut out = HashMap::new();
    let cmd = [(
        tag.to_string(),
        format!("UID FETCH {set} (UID BODYSTRUCTURE)"),
    )];
    fetch_many(shared, &cmd, 0, true, |attrs, _| {
        let (mut uid, mut tree) = (None, None);
        for a in attrs {
            match a {
                AttributeValue::Uid(u) => uid = Some(u),
                AttributeValue::BodyStructure(s) => tree = Node::of(&s),
                _ => {}
            }
        }
        if let (Some(uid), Some(tree)) = (uid, tree) {
            out.insert(uid, tree);
        }
    })?;
    Ok(out)
}

/// One message's fetched sections by name ([`partial::section_name`]).
pub(super) type Sections = HashMap<String, Vec<u8>>;

/// Commands in flight at once when fetching sections: a few KB of
/// commands, so the writes never wait on a server that is busy writing.
const WINDOW: usize = 32;

/// For each (UID, sections), `UID FETCH uid (UID BODY.PEEK[s1] ...)`,
/// pipelined ([`WINDOW`] commands at a time, RFC 3501 section 5.5), tagged
/// `{tag}.{n}`: each message's sections by name ([`partial::section_name`]).
/// BODY.PEEK never sets \Seen (section 6.4.5). A response with a section
/// larger than `max` (a server whose RFC822.SIZE said less) is dropped, and
/// its UID returned apart: the caller fetches that message whole, which
/// keeps its header only.
pub(super) fn fetch_sections(
    shared: &Shared,
    tag: &str,
    wanted: &[(u32, Vec<String>)],
    max: u64,
) -> std::io::Result<(HashMap<u32, Sections>, Vec<u32>)> {
    use imap_proto::AttributeValue;
    let mut out: HashMap<u32, Sections> = HashMap::new();
    let mut over = Vec::new();
    for (w, window) in wanted.chunks(WINDOW).enumerate() {
        let cmds: Vec<(String, String)> = window
            .iter()
            .enumerate()
            .map(|(i, (uid, sections))| {
                let items: Vec<String> =
                    sections.iter().map(|s| format!("BODY.PEEK[{s}]")).collect();
                (
                    format!("{tag}.{}", w * WINDOW + i),
                    format!("UID FETCH {uid} (UID {})", items.join(" ")),
                )
            })
            .collect();
        fetch_many(shared, &cmds, max, false, |attrs, dropped| {
            let mut uid = None;
            let mut got = HashMap::new();
            for a in attrs {
                match a {
                    AttributeValue::Uid(u) => uid = Some(u),
                    AttributeValue::BodySection {
                        section,
                        data: Some(d),
                        ..
                    } => {
                        got.insert(partial::section_name(&section), d.into_owned());
                    }
                    _ => {}
                }
            }
            // A section over the limit came back as nothing: the message
            // is not put together from it.
            match (uid, dropped) {
                (Some(uid), None) => out.entry(uid).or_default().extend(got),
                (Some(uid), Some(_)) => over.push(uid),
                (None, _) => {}
            }
        })?;
    }
    for uid in &over {
        out.remove(uid);
    }
    Ok((out, over))
}

/// Send `UID FETCH set items` under `tag` on the session's stream and hand
/// each FETCH response's attributes to `each`, with the size of a literal
/// over `max` that was dropped (0: no literal expected).
fn uid_fetch(
    shared: &Shared,
    tag: &str,
    set: &str,
    items: &str,
    max: u64,
    each: impl FnMut(Vec<imap_proto::AttributeValue<'_>>, Option<u64>),
) -> std::io::Result<()> {
    let cmd = [(tag.to_string(), format!("UID FETCH {set} {items}"))];
    fetch_many(shared, &cmd, max, false, each)
}

/// Send the (tag, command) pairs at once on the session's stream and hand
/// each FETCH response's attributes to `each` until every tag is done. Each
/// response is read whole (`read_response`, literals by their announced
/// length) and parsed once with imap-proto, the parser the imap crate uses.
/// `lenient`: a FETCH response that does not parse is logged and passed
/// over (the reader stays in step: it was read by its literals).
fn fetch_many(
    shared: &Shared,
    cmds: &[(String, String)],
    max: u64,
    lenient: bool,
    mut each: impl FnMut(Vec<imap_proto::AttributeValue<'_>>, Option<u64>),
) -> std::io::Result<()> {
    use imap_proto::{Response, Status};
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut stream = shared.clone();
    let mut wire = Vec::new();
    for (tag, cmd) in cmds {
        wire.extend_from_slice(format!("{tag} {cmd}\r\n").as_bytes());
    }
    stream.write_all(&wire)?;
    stream.flush()?;
    let mut open: std::collections::HashSet<&str> = cmds.iter().map(|(t, _)| t.as_str()).collect();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, stream);
    let mut response = Vec::new();
    while !open.is_empty() {
        response.clear();
        let dropped = read_response(&mut reader, &mut response, max)?;
        match imap_proto::parser::parse_response(&response) {
            Ok((_, Response::Fetch(_, attrs))) => each(attrs, dropped),
            Ok((
                _,
                Response::Done {
                    tag: t,
                    status,
                    information,
                    ..
                },
            )) if open.contains(t.0.as_str()) => {
                open.remove(t.0.as_str());
                if status != Status::Ok {
                    return Err(bad(format!(
                        "the server answered {status:?}: {}",
                        information.unwrap_or_default()
                    )));
                }
            }
            Ok((
                _,
                Response::Data {
                    status: Status::Bye,
                    information,
                    ..
                },
            )) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    format!(
                        "the server closed the session: {}",
                        information.unwrap_or_default()
                    ),
                ));
            }
            // EXISTS, EXPUNGE, RECENT, OK notices: nothing to do here.
            Ok(_) => {}
            Err(_) if lenient && response.starts_with(b"* ") => {
                let head = String::from_utf8_lossy(&response[..response.len().min(120)]);
                tracing::info!(
                    "a FETCH response that does not parse ({head}): its message is fetched whole"
                );
            }
            Err(_) => {
                let head = String::from_utf8_lossy(&response[..response.len().min(120)]);
                return Err(bad(format!("cannot parse the server's response: {head}")));
            }
        }
    }
    Ok(())
}

/// The most bytes of a line (outside literals) kept: a server that sends
/// an endless line cannot make allears hold it.
const MAX_LINE: u64 = 1 << 20;

/// One whole response into `into`: a line and, while a line ends by
/// announcing a literal ("{123}", RFC 3501 section 4.3), the literal's bytes
/// and the line after them. Read as the bytes arrive: a length the server
/// announces is never allocated up front. A literal longer than `max`
/// (when `max` is not 0) is read past and dropped, and announced as `{0}`
/// in `into`; its length is returned, so no message over the limit is ever
/// held in memory, whatever RFC822.SIZE said.
fn read_response(
    r: &mut impl BufRead,
    into: &mut Vec<u8>,
    max: u64,
) -> std::io::Result<Option<u64>> {
    let mut dropped = None;
    loop {
        let start = into.len();
        if r.by_ref().take(MAX_LINE).read_until(b'\n', into)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        if !into.ends_with(b"\n") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the server sent a line longer than 1 MB",
            ));
        }
        let Some(n) = literal_len(&into[start..]) else {
            return Ok(dropped);
        };
        if max > 0 && n > max {
            let open = into.iter().rposition(|&b| b == b'{').unwrap_or(start);
            into.truncate(open);
            into.extend_from_slice(b"{0}\r\n");
            let skipped = std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink())?;
            if skipped < n {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection inside a message",
                ));
            }
            dropped = Some(n);
            continue;
        }
        let got = r.by_ref().take(n).read_to_end(into)?;
        if (got as u64) < n {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection inside a message",
            ));
        }
    }
}

/// The length a line's closing "{n}" (or non-synchronizing "{n+}") announces.
fn literal_len(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_read_whole_by_its_literals_and_parsed_once() {
        // The body's own last line looks like a literal announcement: it is
        // read as content, by the announced length.
        let body = b"Subject: x\r\n\r\nsee {3}\r\n";
        let mut wire = format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", body.len()).into_bytes();
        wire.extend_from_slice(body);
        wire.extend_from_slice(b")\r\nf0 OK done\r\n");
        let mut r = std::io::BufReader::new(&wire[..]);
        let mut first = Vec::new();
        assert_eq!(read_response(&mut r, &mut first, 1000).unwrap(), None);
        assert!(first.ends_with(b")\r\n"));
        match imap_proto::parser::parse_response(&first).unwrap().1 {
            imap_proto::Response::Fetch(1, attrs) => assert!(attrs.iter().any(|a| matches!(
                a,
                imap_proto::AttributeValue::BodySection { data: Some(d), .. } if &d[..] == body
            ))),
            other => panic!("{other:?}"),
        }
        let mut done = Vec::new();
        read_response(&mut r, &mut done, 1000).unwrap();
        assert_eq!(done, b"f0 OK done\r\n");
        // A connection that ends inside a literal is an error, not a short message.
        let cut = b"* 1 FETCH (UID 7 BODY[] {50}\r\nshort";
        let err = read_response(&mut &cut[..], &mut Vec::new(), 1000).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    /// A scripted server (Dovecot's RFC822.SIZE is honest, so it cannot be
    /// made to do this): a body larger than the limit is read past, never
    /// held, and reported with its size; the response still parses.
    #[test]
    fn a_literal_over_the_limit_is_dropped_and_its_size_said() {
        let body = vec![b'x'; 5000];
        let mut wire = format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", body.len()).into_bytes();
        wire.extend_from_slice(&body);
        wire.extend_from_slice(b")\r\nf0 OK done\r\n");
        let mut r = std::io::BufReader::new(&wire[..]);
        let mut first = Vec::new();
        assert_eq!(read_response(&mut r, &mut first, 1000).unwrap(), Some(5000));
        assert!(first.len() < 100, "{}", String::from_utf8_lossy(&first));
        match imap_proto::parser::parse_response(&first).unwrap().1 {
            imap_proto::Response::Fetch(1, attrs) => {
                assert_eq!(uid_and_section(attrs), (Some(7), Some(Vec::new())))
            }
            other => panic!("{other:?}"),
        }
        let mut done = Vec::new();
        read_response(&mut r, &mut done, 1000).unwrap();
        assert_eq!(done, b"f0 OK done\r\n");
    }

    #[test]
    fn literal_lengths_are_read_from_the_end_of_a_line() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {2354}\r\n"), Some(2354));
        assert_eq!(literal_len(b"a APPEND x {12+}\r\n"), Some(12));
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(literal_len(b"* OK {}\r\n"), None);
        assert_eq!(literal_len(b"* 1 FETCH (UID 7)\r\n"), None);
        assert_eq!(literal_len(b"{99999999999999999999}\r\n"), None);
    }
}
