//! Raw bytes -> [`Message`]: decoded headers, addresses, date, and the text body.
//!
//! Comes after a source (IMAP, Maildir, mbox, .eml) hands over raw bytes, and
//! before the store keeps them and the classifier judges them. Parsing never
//! fails outright: mail that `mailparse` rejects still becomes a `Message`,
//! carrying the error, an id made from its content hash, and whatever headers
//! could be read, so that nothing is ever dropped.

use mailparse::{MailHeader, MailHeaderMap, ParsedMail};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Address {
    pub name: String,
    /// Lowercased.
    pub email: String,
}

impl Address {
    /// "Name <email>" or just the email, for people.
    pub fn display(&self) -> String {
        if self.name.is_empty() {
            self.email.clone()
        } else {
            format!("{} <{}>", self.name, self.email)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Message {
    /// Without angle brackets. Made from the content hash when the mail has none.
    pub message_id: String,
    /// True when `message_id` was made up from the content hash.
    pub synthetic_id: bool,
    /// Hex SHA-256 of the raw bytes.
    pub content_hash: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub from: Option<Address>,
    pub sender: Option<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Unix seconds, UTC.
    pub date: Option<i64>,
    /// The sender's UTC offset in minutes, as written in the Date header.
    pub date_offset: Option<i32>,
    /// All top-level headers, names as written, values decoded (RFC 2047).
    pub headers: Vec<(String, String)>,
    /// The text body: text/plain preferred, else HTML converted to text.
    pub text: String,
    /// The body came from HTML only.
    pub html_only: bool,
    /// The HTML part, when there is a text part too (some notices put the
    /// person's words only in the HTML).
    pub html: Option<String>,
    /// Every MIME type in the message, depth first ("multipart/report", ...).
    pub mime_types: Vec<String>,
    /// Why mailparse could not parse it, or a part could not be decoded.
    pub parse_error: Option<String>,
    /// Why the message is known to come from a list's archive, if it is:
    /// From is written as pipermail writes it, or it was read from an
    /// archive's volume file (`source::local::is_archive_volume`).
    pub archived: Option<Archived>,
}

/// How a message shows it comes from a list's archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archived {
    /// From as pipermail hides it: "user at host (Name)", or since 2018 on
    /// some archives "user @end|ng |rom host (Name)".
    HiddenAddress,
    /// Read from a file named as Mailman names an archive's volume
    /// ("2008-March.txt"), whatever its From looks like.
    VolumeFile,
}

impl Message {
    /// The first value of a header, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// The From address (lowercased), or "" when there is none.
    pub fn email_from(&self) -> &str {
        self.from.as_ref().map(|a| a.email.as_str()).unwrap_or("")
    }
}

/// Upper bound on the text kept per message: parsing cost follows the text,
/// and no reader writes a megabyte of new text.
const MAX_TEXT: usize = 256 * 1024;

/// The first 128 bits of a hex [`content_hash`]: a set of them costs a
/// fifth of the strings' memory, and two different messages share one with
/// a chance of 2^-128.
pub(crate) fn hash_key(hex: &str) -> u128 {
    match hex.get(..32).map(|h| u128::from_str_radix(h, 16)) {
        Some(Ok(k)) => k,
        // Not a content hash: its own hash's key.
        _ => hash_key(&content_hash(hex.as_bytes())),
    }
}

pub(crate) fn content_hash(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parse raw mail. Never fails: problems land in `parse_error`.
pub(crate) fn parse(raw: &[u8]) -> Message {
    parse_hashed(raw, content_hash(raw))
}

/// [`parse`] for a caller that has the bytes' [`content_hash`] already.
pub(crate) fn parse_hashed(raw: &[u8], hash: String) -> Message {
    let raw = skip_envelope(raw);
    let mut msg = match mailparse::parse_mail(raw) {
        Ok(parsed) => from_parsed(&parsed),
        Err(e) => {
            // Salvage what headers we can; the raw bytes are kept by the store.
            let mut m = match mailparse::parse_headers(raw) {
                Ok((headers, _)) => headers_only(&headers),
                Err(_) => Message::default(),
            };
            m.parse_error = Some(format!("unparseable MIME: {e}"));
            m
        }
    };
    if msg.message_id.is_empty() {
        msg.message_id = format!("sha256-{}@allears.invalid", &hash[..32]);
        msg.synthetic_id = true;
    }
    msg.content_hash = hash;
    msg
}

/// An mbox envelope line ("From sender date", no colon) is not a header:
/// parse what follows it. The stored raw bytes keep it.
fn skip_envelope(raw: &[u8]) -> &[u8] {
    if !raw.starts_with(b"From ") {
        return raw;
    }
    match raw.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(end) => {
            let mut start = end + 1;
            if raw[end] == b'\r' && raw.get(start) == Some(&b'\n') {
                start += 1;
            }
            &raw[start..]
        }
        None => raw,
    }
}

fn headers_only(headers: &[MailHeader]) -> Message {
    let mut m = Message {
        headers: headers
            .iter()
            .map(|h| (h.get_key(), decode_value(h)))
            .collect(),
        ..Message::default()
    };
    fill_from_headers(&mut m, headers);
    m
}

fn from_parsed(parsed: &ParsedMail) -> Message {
    let mut m = headers_only(&parsed.headers);
    let mut body = Body::default();
    walk(parsed, &mut body, &mut m.mime_types, 0);
    m.html_only = body.plain.is_none() && body.html.is_some();
    (m.text, m.html) = match (body.plain, body.html) {
        (Some(t), h) => (t, h),
        (None, Some(h)) => (html_to_text(&h), None),
        (None, None) => (String::new(), None),
    };
    if m.text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !m.text.is_char_boundary(end) {
            end -= 1;
        }
        m.text.truncate(end);
    }
    m.parse_error = body.error;
    m
}

#[derive(Default)]
struct Body {
    plain: Option<String>,
    html: Option<String>,
    error: Option<String>,
}

/// Depth-first over the MIME tree: the first text/plain and the first
/// text/html that are not attachments. A message/rfc822 part (a forwarded
/// message, a bounce's original) is not the writer's text.
fn walk(part: &ParsedMail, body: &mut Body, types: &mut Vec<String>, depth: usize) {
    let mime = part.ctype.mimetype.to_ascii_lowercase();
    if types.len() < 64 {
        types.push(mime.clone());
    }
    if depth > 32 {
        return;
    }
    if !part.subparts.is_empty() {
        for sub in &part.subparts {
            walk(sub, body, types, depth + 1);
        }
        return;
    }
    let attachment = matches!(
        part.get_content_disposition().disposition,
        mailparse::DispositionType::Attachment
    );
    if attachment {
        return;
    }
    let slot = match mime.as_str() {
        "text/plain" | "text" => &mut body.plain,
        "text/html" => &mut body.html,
        _ => return,
    };
    if slot.is_some() {
        return;
    }
    // Mail that declares no charset (or US-ASCII, the RFC 2045 default) and
    // still carries 8-bit text (pipermail archives, old clients) is UTF-8
    // far more often than Latin-1 today: read it as UTF-8 when it is valid.
    let declared = part.ctype.params.contains_key("charset")
        && !part.ctype.charset.eq_ignore_ascii_case("us-ascii");
    // (Decoded once: ASCII reads the same in every charset.)
    if !declared
        && let Ok(raw) = part.get_body_raw()
        && let Ok(text) = String::from_utf8(raw)
    {
        *slot = Some(text);
        return;
    }
    match part.get_body() {
        Ok(text) => *slot = Some(text),
        Err(e) => {
            // Undecodable transfer encoding: keep the raw text rather than nothing.
            body.error
                .get_or_insert_with(|| format!("{mime} part: {e}"));
            if let Ok(raw) = part.get_body_raw() {
                *slot = Some(String::from_utf8_lossy(&raw).into_owned());
            }
        }
    }
}

/// The attachments of a message, for `allears show`: "name (type, size)",
/// depth first; a part with a file name or `Content-Disposition:
/// attachment` is one. Nothing when the MIME cannot be parsed. `kept_only`:
/// leave out parts without a body (a message fetched without its
/// attachments keeps their headers only; the store lists those).
pub(crate) fn attachments(raw: &[u8], kept_only: bool) -> Vec<String> {
    let Ok(parsed) = mailparse::parse_mail(skip_envelope(raw)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![(&parsed, 0usize)];
    while let Some((part, depth)) = stack.pop() {
        if depth > 32 || out.len() >= 100 {
            break;
        }
        for sub in part.subparts.iter().rev() {
            stack.push((sub, depth + 1));
        }
        if !part.subparts.is_empty() {
            continue;
        }
        let disposition = part.get_content_disposition();
        let name = disposition
            .params
            .get("filename")
            .or_else(|| part.ctype.params.get("name"))
            .cloned();
        let attached = matches!(
            disposition.disposition,
            mailparse::DispositionType::Attachment
        );
        if name.is_none() && !attached {
            continue;
        }
        let size = part.get_body_raw().map(|b| b.len()).unwrap_or(0);
        if kept_only && size == 0 {
            continue;
        }
        out.push(format!(
            "{} ({}, {})",
            name.unwrap_or_else(|| "(no name)".to_string()),
            part.ctype.mimetype,
            crate::text::bytes(size as u64)
        ));
    }
    out
}

/// HTML as plain text: tables read as one column (mail layouts are tables
/// of one column; drawn as a grid, a cell's words were padded or lost),
/// links as footnotes, lines as long as the paragraph.
pub(crate) fn html_to_text(html: &str) -> String {
    // html2text 0.17 drops a paragraph whose closing tag a CR LF follows.
    let html = html.replace("\r\n", "\n");
    html2text::config::plain()
        .raw_mode(true)
        .no_link_wrapping()
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), 10_000)
        .unwrap_or_else(|_| html.to_string())
}

/// `MailHeader::get_value`, the same string, with a short way for the common
/// value that holds no encoded word: mailparse tokenizes every value, and on
/// list mail that was about a tenth of a cold fetch's CPU. Without "=?" its
/// tokens only unfold the lines: each line (as `str::lines` cuts them) with
/// its leading white space trimmed, joined by one space.
fn header_value(h: &MailHeader) -> String {
    let raw = h.get_value_raw();
    if memchr::memmem::find(raw, b"=?").is_some() {
        return h.get_value();
    }
    let text = match std::str::from_utf8(raw) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        // As mailparse: not UTF-8 (RFC 6532), so Latin-1.
        Err(_) => std::borrow::Cow::Owned(raw.iter().map(|&b| char::from(b)).collect()),
    };
    let mut lines = text.lines();
    let mut out = String::with_capacity(text.len());
    if let Some(first) = lines.next() {
        out.push_str(first.trim_start());
    }
    for line in lines {
        out.push(' ');
        out.push_str(line.trim_start());
    }
    out
}

/// Decode a header value: RFC 2047 words, and raw 8-bit as UTF-8 when it is,
/// Latin-1 otherwise (mailparse's fallback); control characters become spaces.
fn decode_value(h: &MailHeader) -> String {
    let v = header_value(h);
    // Header values reach HTML, SQL and other headers: no control characters.
    let control = |c: char| c.is_control() && c != '\t';
    let v = if v.contains(control) {
        v.chars()
            .map(|c| if control(c) { ' ' } else { c })
            .collect()
    } else {
        v
    };
    match v.trim() {
        t if t.len() == v.len() => v,
        t => t.to_string(),
    }
}

/// `m.headers` holds the decoded headers already.
fn fill_from_headers(m: &mut Message, headers: &[MailHeader]) {
    let first = |name: &str| headers.get_first_header(name);
    if let Some(h) = first("Message-ID") {
        m.message_id = crate::thread::parse_msg_ids(&header_value(h))
            .into_iter()
            .next()
            .unwrap_or_default();
    }
    if let Some(h) = first("In-Reply-To") {
        m.in_reply_to = crate::thread::parse_msg_ids(&header_value(h))
            .into_iter()
            .next();
    }
    if let Some(h) = first("References") {
        m.references = crate::thread::parse_msg_ids(&header_value(h));
    }
    // Decoded once already, with the other headers.
    m.subject = m
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Subject"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    m.from = first("From").and_then(|h| addresses(h).into_iter().next());
    m.archived = first("From")
        .is_some_and(|h| pipermail_address(&decode_value(h)).is_some())
        .then_some(Archived::HiddenAddress);
    m.sender = first("Sender").and_then(|h| addresses(h).into_iter().next());
    m.reply_to = first("Reply-To").map(addresses).unwrap_or_default();
    m.to = headers
        .get_all_headers("To")
        .into_iter()
        .flat_map(addresses)
        .collect();
    m.cc = headers
        .get_all_headers("Cc")
        .into_iter()
        .flat_map(addresses)
        .collect();
    if let Some(h) = first("Date") {
        let (date, offset) = parse_date(&header_value(h));
        m.date = date;
        m.date_offset = offset;
    }
}

fn addresses(h: &MailHeader) -> Vec<Address> {
    let mut out = Vec::new();
    if let Some(a) = pipermail_address(&decode_value(h)) {
        out.push(a);
        return out;
    }
    let Ok(list) = mailparse::addrparse_header(h) else {
        // Unparseable: take anything that looks like an address.
        let v = decode_value(h);
        if let Some(email) = v
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == ',')
            .find(|w| w.contains('@'))
        {
            out.push(Address {
                name: String::new(),
                email: email.to_ascii_lowercase(),
            });
        }
        return out;
    };
    for addr in list.iter() {
        match addr {
            mailparse::MailAddr::Single(s) => out.push(single(s)),
            mailparse::MailAddr::Group(g) => out.extend(g.addrs.iter().map(single)),
        }
    }
    out
}

/// Pipermail archives hide addresses as "user at example.com (User Name)".
/// Some (R's, since 2018) hide them further as "u@er @end|ng |rom ex@mp|e@com":
/// 'a', 's' and '.' written '@', 'i', 'l' and 'f' written '|'. That address
/// cannot be undone, so it is kept as written ("u@er@ex@mp|e@com"), which
/// is still the same for every post of one person, and
/// [`crate::owner::Owner::is_owner`] compares the owner's in the same form.
fn pipermail_address(v: &str) -> Option<Address> {
    const MASKED_AT: &str = " @end|ng |rom ";
    if v.contains('@') && !v.contains(MASKED_AT) {
        return None;
    }
    let (addr, rest) = match v.find(" (") {
        Some(i) => (&v[..i], v[i + 2..].trim_end_matches(')')),
        None => (v, ""),
    };
    let addr = addr.trim();
    let (user, domain, dot) = match addr.split_once(MASKED_AT) {
        Some((user, domain)) => (user, domain, '@'),
        None => addr.split_once(" at ").map(|(u, d)| (u, d, '.'))?,
    };
    if user.is_empty() || domain.contains(' ') || user.contains(' ') || !domain.contains(dot) {
        return None;
    }
    Some(Address {
        name: rest.trim().to_string(),
        email: format!("{user}@{domain}").to_ascii_lowercase(),
    })
}

fn single(s: &mailparse::SingleInfo) -> Address {
    Address {
        name: s
            .display_name
            .clone()
            .unwrap_or_default()
            .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
            .to_string(),
        email: s.addr.trim().to_ascii_lowercase(),
    }
}

/// RFC 5322 date -> (UTC seconds, original offset in minutes). jiff parses the
/// well-formed ones with their offset; mailparse's lenient parser takes the rest.
fn parse_date(value: &str) -> (Option<i64>, Option<i32>) {
    let v = value.trim();
    if let Ok(z) = jiff::fmt::rfc2822::parse(v) {
        let offset = z.offset().seconds() / 60;
        return (Some(z.timestamp().as_second()), Some(offset));
    }
    match mailparse::dateparse(v) {
        Ok(secs) => (Some(secs), offset_of(v)),
        Err(_) => (None, None),
    }
}

/// The trailing "+hhmm" / "-hhmm" of a date, if any.
fn offset_of(v: &str) -> Option<i32> {
    let tok = v
        .split_whitespace()
        .rev()
        .find(|t| t.starts_with(['+', '-']))?;
    let digits = tok.get(1..5)?;
    let n: i32 = digits.parse().ok()?;
    let mins = (n / 100) * 60 + n % 100;
    Some(if tok.starts_with('-') { -mins } else { mins })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_read_as_mailparse_reads_them() {
        let values: &[&[u8]] = &[
            b"plain",
            b"  leading and trailing  ",
            b"folded\r\n\tonto two lines",
            b"folded\n   with LF\n and\r\n\r\n blank lines",
            b"ends in a fold\r\n ",
            b"trailing space \r\n\tbefore a fold",
            b"bare\rcarriage return",
            b"caf\xe9 latin-1",
            b"caf\xc3\xa9 utf-8",
            b"",
            b"   ",
            b"tab\tinside",
            b"=?UTF-8?Q?Jo=C3=A3o?= <j@x>",
            b"=?utf-8?b?Y2Fmw6k=?=\r\n =?utf-8?b?Y2Fmw6k=?=",
            b"not=?an encoded word",
            b"a=?b?=c",
        ];
        for v in values {
            let mut line = b"X-Test: ".to_vec();
            line.extend_from_slice(v);
            line.extend_from_slice(b"\r\n");
            let (h, _) = mailparse::parse_header(&line).unwrap();
            assert_eq!(
                header_value(&h),
                h.get_value(),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn decodes_rfc2047_subject_and_date_offset() {
        let raw = b"Message-ID: <a@b>\r\nFrom: =?UTF-8?Q?Jo=C3=A3o?= <JOAO@Example.PT>\r\nSubject: =?ISO-8859-1?Q?Caf=E9?= talk\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n\r\nhello\r\n";
        let m = parse(raw);
        assert_eq!(m.message_id, "a@b");
        assert_eq!(m.subject, "Café talk");
        let from = m.from.unwrap();
        assert_eq!(from.name, "João");
        assert_eq!(from.email, "joao@example.pt");
        assert_eq!(m.date_offset, Some(60));
        assert_eq!(m.date, Some(1_795_510_800));
        assert_eq!(m.text.trim(), "hello");
    }

    #[test]
    fn html_only_becomes_text() {
        let raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Could you <b>write</b> about &amp; this?</p>";
        let m = parse(raw);
        assert!(m.html_only);
        assert!(m.text.contains("Could you"), "{}", m.text);
        assert!(m.text.contains("& this?"), "{}", m.text);
        assert!(m.synthetic_id);
    }

    #[test]
    fn pipermail_hidden_addresses_are_read() {
        let m = parse(b"From: jdoe at example.org (Jane Doe)\nSubject: x\n\nbody\n");
        let from = m.from.unwrap();
        assert_eq!(from.email, "jdoe@example.org");
        assert_eq!(from.name, "Jane Doe");
        assert_eq!(m.archived, Some(Archived::HiddenAddress));
        let m = parse(b"From: jd@e @end|ng |rom ex@mp|e@org (Jane Doe)\nSubject: x\n\nbody\n");
        let from = m.from.unwrap();
        assert_eq!(from.email, "jd@e@ex@mp|e@org");
        assert_eq!(from.name, "Jane Doe");
        assert_eq!(m.archived, Some(Archived::HiddenAddress));
        let m = parse(b"From: Jane Doe <jdoe@example.org>\nSubject: x\n\nbody\n");
        assert_eq!(m.archived, None);
    }

    #[test]
    fn garbage_still_becomes_a_message() {
        let m = parse(b"\xff\xfe\x00garbage without headers");
        assert!(m.message_id.ends_with("@allears.invalid"));
        let m2 = parse(b"");
        assert!(!m2.message_id.is_empty());
    }

    #[test]
    fn control_characters_do_not_survive_in_headers() {
        let raw = b"Subject: =?UTF-8?Q?hi=0D=0ABcc:_evil@x?=\r\n\r\nx";
        let m = parse(raw);
        assert!(
            !m.subject.contains('\n') && !m.subject.contains('\r'),
            "{:?}",
            m.subject
        );
    }
}
