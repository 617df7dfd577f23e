//! Which folders of an account to read: LIST everything, decode names from
//! modified UTF-7, match the account's names and patterns (RFC 3501 section
//! 6.3.8), and find the Sent folder by its `\\Sent` attribute (RFC 6154).

use std::collections::HashSet;

use anyhow::{Context, Result};

use super::connect::Session;
use crate::config::Account;

/// One folder to fetch.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    /// In UTF-8: what patterns match, what places, checkpoints and reports say.
    pub name: String,
    /// As the server spells it (modified UTF-7, RFC 3501 section 5.1.3), for EXAMINE.
    pub wire: String,
    /// The owner's Sent folder.
    pub sent: bool,
}

/// The folders one account's patterns choose, and literal names not found.
#[derive(Debug, Default)]
pub(crate) struct Folders {
    /// In server order, each once.
    pub chosen: Vec<Folder>,
    pub missing: Vec<String>,
    /// Patterns with wildcards that matched nothing.
    pub unmatched: Vec<String>,
    pub sent: Option<String>,
}

/// LIST everything, then match the account's names and patterns; add the Sent folder.
pub(crate) fn folders_to_fetch(session: &mut Session, account: &Account) -> Result<Folders> {
    let names = session.list(None, Some("*")).context("LIST")?;
    // (wire name, UTF-8 name, has \Sent, delimiter)
    let mut all: Vec<(String, String, bool, char)> = Vec::new();
    for n in names.iter() {
        let attrs = n.attributes();
        let selectable = !attrs.iter().any(|a| {
            matches!(a, imap_proto::NameAttribute::NoSelect)
                || matches!(a, imap_proto::NameAttribute::Extension(x) if x.eq_ignore_ascii_case("\\NonExistent"))
        });
        let is_sent = attrs
            .iter()
            .any(|a| matches!(a, imap_proto::NameAttribute::Sent));
        let delim = n.delimiter().and_then(|d| d.chars().next()).unwrap_or('/');
        if selectable {
            all.push((n.name().to_string(), decode_mutf7(n.name()), is_sent, delim));
        }
    }
    let mut out = Folders {
        sent: account
            .sent_folder
            .clone()
            .or_else(|| all.iter().find(|f| f.2).map(|f| f.1.clone())),
        ..Folders::default()
    };
    let mut seen = HashSet::new();
    for pattern in &account.folders {
        let wild = pattern.contains(['*', '%', '?']);
        let mut matched = false;
        for (wire, name, _, delim) in &all {
            if folder_matches(pattern, name, *delim) {
                matched = true;
                if seen.insert(name.clone()) {
                    out.chosen.push(Folder {
                        name: name.clone(),
                        wire: wire.clone(),
                        sent: false,
                    });
                }
            }
        }
        if !matched {
            if wild {
                out.unmatched.push(pattern.clone());
            } else {
                out.missing.push(pattern.clone());
            }
        }
    }
    if let Some(sent) = &out.sent {
        match all.iter().find(|f| &f.1 == sent) {
            Some((wire, ..)) => {
                if seen.insert(sent.clone()) {
                    out.chosen.push(Folder {
                        name: sent.clone(),
                        wire: wire.clone(),
                        sent: true,
                    });
                } else if let Some(c) = out.chosen.iter_mut().find(|c| &c.name == sent) {
                    c.sent = true;
                }
            }
            None if account.sent_folder.is_some() => out.missing.push(sent.clone()),
            None => {}
        }
    }
    Ok(out)
}

/// A mailbox name from the server in UTF-8: RFC 3501 section 5.1.3's
/// modified UTF-7 ("&" starts modified base64 of UTF-16BE, "-" ends it, "&-"
/// is "&"). A name that does not decode is kept as sent.
pub(crate) fn decode_mutf7(wire: &str) -> String {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b',' => 63,
            _ => return None,
        } as u32)
    }
    let decode = || -> Option<String> {
        let mut out = String::new();
        let mut rest = wire;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let end = after.find('-')?;
            let b64 = &after.as_bytes()[..end];
            if b64.is_empty() {
                out.push('&');
            } else {
                let (mut bits, mut nbits, mut units) = (0u32, 0u32, Vec::new());
                for &c in b64 {
                    bits = (bits << 6) | sextet(c)?;
                    nbits += 6;
                    if nbits >= 16 {
                        nbits -= 16;
                        units.push((bits >> nbits) as u16);
                        bits &= (1 << nbits) - 1;
                    }
                }
                out.push_str(&String::from_utf16(&units).ok()?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    };
    decode().unwrap_or_else(|| wire.to_string())
}

/// RFC 3501 section 6.3.8 wildcards: `*` matches anything, `%` anything but
/// the hierarchy delimiter; `?` one character. INBOX is case-insensitive
/// (section 5.1), other names are not.
pub(crate) fn folder_matches(pattern: &str, name: &str, delim: char) -> bool {
    let fold = |s: &str| -> String {
        // get() keeps a hostile name from slicing inside a UTF-8 character.
        match (s.get(..5), s.get(5..)) {
            (Some(head), Some(rest)) if head.eq_ignore_ascii_case("INBOX") => {
                format!("INBOX{rest}")
            }
            _ => s.to_string(),
        }
    };
    let p: Vec<char> = fold(pattern).chars().collect();
    let n: Vec<char> = fold(name).chars().collect();
    glob(&p, &n, delim)
}

/// Wildcard match by dynamic programming: `ok[i][j]` says whether pattern
/// `p[i..]` matches name `n[j..]`. O(len(p) * len(n)) whatever the name, so a
/// hostile folder name cannot make it blow up.
fn glob(p: &[char], n: &[char], delim: char) -> bool {
    let mut ok = vec![vec![false; n.len() + 1]; p.len() + 1];
    ok[p.len()][n.len()] = true;
    for i in (0..p.len()).rev() {
        for j in (0..=n.len()).rev() {
            ok[i][j] = match p[i] {
                // Match nothing here, or one more character.
                '*' => ok[i + 1][j] || (j < n.len() && ok[i][j + 1]),
                '%' => ok[i + 1][j] || (j < n.len() && n[j] != delim && ok[i][j + 1]),
                '?' => j < n.len() && ok[i + 1][j + 1],
                c => j < n.len() && n[j] == c && ok[i + 1][j + 1],
            };
        }
    }
    ok[0][0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_rfc3501_wildcards() {
        assert!(folder_matches("Lists/*", "Lists/a/b", '/'));
        assert!(!folder_matches("Lists/%", "Lists/a/b", '/'));
        assert!(folder_matches("Lists/%", "Lists/a", '/'));
        assert!(folder_matches("inbox", "INBOX", '/'));
        assert!(
            !folder_matches("sent", "Sent", '/'),
            "only INBOX ignores case"
        );
        assert!(!folder_matches("Lists/*", "Listsx", '/'));
        assert!(
            !folder_matches("INBOX", "INBO\u{e9}x", '/'),
            "no panic inside a character"
        );
        assert!(folder_matches("*", "Caf\u{e9}/\u{e9}t\u{e9}", '/'));
    }

    #[test]
    fn folder_names_decode_from_modified_utf7() {
        assert_eq!(decode_mutf7("Listas/Opini&AOM-o"), "Listas/Opini\u{e3}o");
        assert_eq!(decode_mutf7("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(decode_mutf7("&ZeVnLIqe-"), "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(decode_mutf7("broken&AOM"), "broken&AOM", "kept as sent");
        assert_eq!(decode_mutf7("INBOX"), "INBOX");
    }
}
