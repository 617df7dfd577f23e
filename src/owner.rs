//! The owner: who they are (`[owner]` in digest.toml) and the one place
//! that says whether text names them. Every rule that asks "is this the
//! owner?" or "does this text name the owner?" asks [`Owner`] or
//! [`Names`]; the name variants are made once per run.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Owner {
    pub name: String,
    pub addresses: Vec<String>,
    /// The ways text may name the owner, made on first use.
    #[serde(skip)]
    names: OnceLock<Names>,
}

impl Owner {
    #[cfg(test)]
    pub fn new(name: &str, addresses: &[&str]) -> Owner {
        Owner {
            name: name.to_string(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            names: OnceLock::new(),
        }
    }

    /// The first address: the owner's own, which allears writes from and to.
    /// `validate` makes sure there is one.
    pub fn primary(&self) -> &str {
        self.addresses
            .first()
            .map(String::as_str)
            .unwrap_or("owner@localhost")
    }

    /// The domain of the primary address.
    pub fn domain(&self) -> &str {
        self.primary().rsplit('@').next().unwrap_or("localhost")
    }

    /// Is this address one of the owner's? An address an archive masked
    /// ("murdoch@dunc@n@gm@||@com", see `message::pipermail_address`) is
    /// theirs when one of theirs masks to it.
    pub fn is_owner(&self, address: &str) -> bool {
        let address = address.trim();
        if self
            .addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(address))
        {
            return true;
        }
        is_masked(address) && self.addresses.iter().any(|a| masked(a).eq(masked(address)))
    }

    /// Is this display name the owner's? Their full name, or a shorter form
    /// of it of at least two words that keeps the first name ("Lucía
    /// Arriaga" for "Lucía Arriaga Benítez").
    pub fn is_owner_name(&self, name: &str) -> bool {
        let full = self.name.trim();
        let name = without_role(name.trim());
        if full.is_empty() || name.is_empty() {
            return false;
        }
        if name.to_lowercase() == full.to_lowercase() {
            return true;
        }
        // A double surname signs with either part too: "Jonas Albrecht"
        // is Jonas Albrecht-Ferri.
        let mut owner: Vec<String> = full.split_whitespace().map(str::to_lowercase).collect();
        let parts: Vec<String> = owner
            .iter()
            .filter(|w| w.contains('-'))
            .flat_map(|w| w.split('-').map(str::to_string).collect::<Vec<_>>())
            .filter(|p| p.chars().count() >= 2)
            .collect();
        owner.extend(parts);
        let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
        words.len() >= 2 && words[0] == owner[0] && words.iter().all(|w| owner.contains(w))
    }

    /// The domains of the owner's addresses (not of a masked one, whose
    /// domain cannot be read: "gm@||@com" would give "com").
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.addresses
            .iter()
            .filter(|a| !is_masked(a))
            .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d))
    }

    pub fn names(&self) -> &Names {
        self.names.get_or_init(|| Names::of(self))
    }
}

/// An address as R's archives mask it: a second '@' or a '|' stands for
/// letters no real address of this shape would show.
fn is_masked(address: &str) -> bool {
    address.bytes().filter(|&b| b == b'@').count() > 1 || address.contains('|')
}

/// An address's characters as the mask leaves them, in lower case: 'a',
/// 's', '.' and '@' become '@'; 'i', 'l', 'f' and '|' become '|'. Two
/// addresses that differ only in those letters look alike masked; the
/// archive keeps nothing to tell them apart.
fn masked(address: &str) -> impl Iterator<Item = char> + '_ {
    address.chars().map(|c| match c.to_ascii_lowercase() {
        'a' | 's' | '.' | '@' => '@',
        'i' | 'l' | 'f' | '|' => '|',
        c => c,
    })
}

/// The ways text may name the owner.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// The full name, first and last name, and mailbox names ("Robin Ellis",
    /// "Robin", "Ellis", "Rellis"), sorted.
    pub variants: Vec<String>,
    /// The full name in lower case.
    full_lower: String,
    /// The owner's addresses in lower case.
    addresses: Vec<String>,
    /// "@robin": the first name as forums write a mention.
    handle: Option<String>,
    /// The words of the variants in ASCII lower case, for `may_be_in`
    /// (made once, not per message); `None` for a word not plain ASCII.
    variant_words: Vec<Option<String>>,
}

impl Names {
    fn of(owner: &Owner) -> Names {
        let full = owner.name.trim().to_string();
        let mut variants: Vec<String> = Vec::new();
        if !full.is_empty() {
            variants.push(full.clone());
            variants.extend(
                full.split_whitespace()
                    .filter(|w| w.chars().count() > 1)
                    .map(str::to_string),
            );
        }
        for a in &owner.addresses {
            let local = a.split('@').next().unwrap_or("");
            if local.chars().count() > 2 && local.chars().all(|c| c.is_alphabetic()) {
                let cap: String = local
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
                    .collect();
                variants.push(cap);
            }
        }
        variants.sort();
        variants.dedup();
        let full_lower = full.to_lowercase();
        let handle = full_lower
            .split_whitespace()
            .next()
            .map(|first| format!("@{first}"));
        let mut variant_words: Vec<Option<String>> = variants
            .iter()
            .flat_map(|n| n.split_whitespace())
            .map(|w| w.is_ascii().then(|| w.to_ascii_lowercase()))
            .collect();
        variant_words.sort();
        variant_words.dedup();
        Names {
            variants,
            full_lower,
            addresses: owner.addresses.iter().map(|a| a.to_lowercase()).collect(),
            handle,
            variant_words,
        }
    }

    /// The full name (when longer than two letters) or one of the owner's
    /// addresses in `lower` (text in lower case): the owner is named for sure.
    pub fn full_name_or_address_in(&self, lower: &str) -> bool {
        (self.full_lower.len() > 2 && lower.contains(&self.full_lower))
            || self.addresses.iter().any(|a| lower.contains(a.as_str()))
    }

    /// A line that names the owner, as the digest's mentions list them: the
    /// full name, an address, or the @handle (not "@robinhood").
    pub fn named_in_line(&self, line: &str) -> bool {
        let lower = line.to_lowercase();
        (!self.full_lower.is_empty() && lower.contains(&self.full_lower))
            || self.addresses.iter().any(|a| lower.contains(a.as_str()))
            || self.handle.as_ref().is_some_and(|h| {
                lower.match_indices(h.as_str()).any(|(i, _)| {
                    !lower[i + h.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphanumeric())
                })
            })
    }

    /// Could `lower` (text in lower case) name the owner? A cheap test that
    /// errs towards yes: any word of any of the owner's names, in any case,
    /// or a name that is not plain ASCII.
    pub fn may_be_in(&self, lower: &str) -> bool {
        self.variant_words
            .iter()
            .any(|w| w.as_ref().is_none_or(|w| lower.contains(w.as_str())))
    }

    /// Is `name` (a vocative: "Robin", "@robin", "Robin Ellis") the owner?
    /// Whole words only: "Robinson, ..." does not call Robin.
    pub fn is_called(&self, name: &str) -> bool {
        let n = name.trim_start_matches('@');
        // A handle joins its words: "@carmen_terrasana", "@cdw.data".
        let handle = name.starts_with('@') || !n.contains(' ') && n.contains(['_', '.']);
        // ... or writes the name as one word: "@ottiliemarsh",
        // "@ottiliemarsh.example" (a site named after its owner), a short
        // given name or an initial with the surname ("@teovance", "@tvance").
        let joined = || {
            let full: String = self.full_lower.split_whitespace().collect();
            let Some(word) = n.split(['_', '.', '-', ' ']).next().map(str::to_lowercase) else {
                return false;
            };
            let surname = self.full_lower.split_whitespace().last().unwrap_or("");
            let given = |g: &str| {
                word.strip_suffix(surname)
                    .or_else(|| word.strip_prefix(surname))
                    .is_some_and(|rest| rest == g)
            };
            full.len() > 5
                && word.len() > 5
                && (word == full
                    || surname.len() > 2
                        && (self.full_lower.get(..1).is_some_and(given)
                            || self.variants.iter().any(|v| {
                                let v = v.to_lowercase();
                                !v.contains(' ') && v != surname && given(&v)
                            })))
        };
        self.variants.iter().any(|o| {
            n.eq_ignore_ascii_case(o)
                || n.split_whitespace().any(|w| w.eq_ignore_ascii_case(o))
                || handle && n.split(['_', '.', '-']).any(|w| w.eq_ignore_ascii_case(o))
        }) || handle && joined()
    }

    /// A variant of the name appears in `s` as a whole word; a name that is
    /// also a word ("Will you ...", "May I ...") opening the sentence is the
    /// word, not the owner.
    pub fn word_in(&self, s: &str) -> bool {
        self.variants.iter().any(|n| {
            let opening = s.starts_with(n.as_str()) && !s[n.len()..].starts_with([',', ':', '!']);
            contains_word(if opening { &s[n.len()..] } else { s }, n)
        })
    }

    /// A variant of the name stands in `s` where one calls a person: at
    /// either end of the sentence, or set off by punctuation or by a word
    /// for which `greets` holds ("Nell, could you", "what do you think,
    /// Nell?", "Hi Nell could you"); not as a word inside it ("kannst du
    /// Nell die Fotos schicken?", "could you send Nell the photos").
    pub fn called_in(&self, s: &str, greets: impl Fn(&str) -> bool) -> bool {
        let s = s.trim_end_matches(|c: char| c.is_whitespace() || c == '"' || c == '”');
        self.variants.iter().any(|n| {
            s.match_indices(n.as_str()).any(|(start, _)| {
                let end = start + n.len();
                let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
                if !edge(s[..start].chars().next_back()) || !edge(s[end..].chars().next()) {
                    return false;
                }
                let before = s[..start].trim_end();
                let after = s[end..].trim_start();
                let set_off_before = before.is_empty()
                    || before
                        .ends_with([',', ';', ':', '(', '-', '—', '–', '!', '.', '?', '¿', '¡'])
                    || before
                        .rsplit(|c: char| !c.is_alphanumeric() && c != '\'')
                        .next()
                        .is_some_and(|w| greets(&w.to_lowercase()));
                let set_off_after = after.is_empty()
                    || after.starts_with([',', '?', '!', '.', ':', ';', ')', '—', '–']);
                set_off_before || set_off_after
            })
        })
    }

    /// "Robin's", "@Robin Ellis's": the owner named as one who owns
    /// something, spoken of, not to.
    pub fn possessive_in(&self, s: &str) -> bool {
        let lower = s.to_lowercase();
        self.variants.iter().any(|n| {
            let n = n.to_lowercase();
            ["'s", "’s"]
                .iter()
                .any(|mark| contains_word(&lower, &format!("{n}{mark}")))
        })
    }

    /// "@robin" anywhere in `s`.
    pub fn at_mention_in(&self, s: &str) -> bool {
        let lower = s.to_lowercase();
        self.variants
            .iter()
            .any(|n| lower.contains(&format!("@{}", n.to_lowercase())))
    }

    /// The words of the full name, in lower case.
    pub fn name_words(&self) -> Vec<String> {
        self.full_lower
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

/// `word` in `s` as a whole word (CJK neighbours count as boundaries).
pub(crate) fn contains_word(s: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(at) = s[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before = s[..start].chars().next_back();
        let after = s[end..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        if edge(before) && edge(after) {
            return true;
        }
        from = end;
    }
    false
}

/// A comment system marks the site's own people after their name: "Tamsin
/// Achterberg (admin)", "Lena Wolf [Moderator]" (the language files'
/// `site_roles`). The name without the mark.
fn without_role(name: &str) -> &str {
    let Some(last) = name.chars().last().filter(|c| matches!(c, ')' | ']')) else {
        return name;
    };
    let open = if last == ')' { '(' } else { '[' };
    match name.rfind(open) {
        Some(i)
            if i > 0
                && crate::lang::one_of(
                    &crate::lang::WORDS.forms.site_roles,
                    &name[i + 1..name.len() - 1].trim().to_lowercase(),
                ) =>
        {
            name[..i].trim_end()
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_an_archive_masked_is_the_owners_when_theirs_masks_to_it() {
        let owner = Owner::new("Duncan Murdoch", &["Murdoch.Duncan@gmail.com"]);
        assert!(owner.is_owner("murdoch@dunc@n@gm@||@com"));
        assert!(owner.is_owner("murdoch.duncan@GMAIL.com"));
        // Another user at the same host, or the same user elsewhere.
        assert!(!owner.is_owner("murdoch@dunc@n@y@hoo@com"));
        assert!(!owner.is_owner("murdoch@jr@gm@||@com"));
        // A plain address is compared as it is, never masked.
        assert!(!owner.is_owner("murdoch-duncan@gmail.com"));
        // An owner given as the archive shows them has no domain to read.
        let masked = Owner::new("Duncan Murdoch", &["murdoch@dunc@n@gm@||@com"]);
        assert!(masked.is_owner("murdoch@dunc@n@gm@||@com"));
        assert_eq!(masked.domains().count(), 0);
    }

    #[test]
    fn the_owner_is_named_by_name_address_or_handle() {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let n = owner.names();
        assert!(n.named_in_line("as robin ellis said"));
        assert!(n.named_in_line("@robin, thoughts?"));
        assert!(!n.named_in_line("@robinhood is a bird"));
        assert!(!n.named_in_line("a robin sang"));
        assert!(n.is_called("Robin"));
        assert!(!n.is_called("Robinson"));
        // A handle or a site named after the whole name.
        assert!(n.is_called("@robinellis"));
        assert!(n.is_called("@robinellis.example what"));
        assert!(!n.is_called("@robinelliott.example"));
        assert!(!n.is_called("robinellis"));
        assert_eq!(n.variants, vec!["Ellis", "Robin", "Robin Ellis"]);
        // A short given name (from an address) or an initial, with the surname.
        let owner = Owner::new("Teodora Vance", &["teo@inkandedge.example"]);
        let n = owner.names();
        assert!(n.is_called("@teovance"));
        assert!(n.is_called("@tvance"));
        assert!(n.is_called("@vanceteo"));
        assert!(!n.is_called("@leovance"));
    }

    #[test]
    fn a_double_surname_signs_with_either_part() {
        let owner = Owner::new("Jonas Albrecht-Ferri", &["jonas@x.example"]);
        assert!(owner.is_owner_name("Jonas Albrecht"));
        assert!(owner.is_owner_name("Jonas Ferri"));
        assert!(!owner.is_owner_name("Anna Albrecht"));
        assert!(!owner.is_owner_name("Jonas"));
        // A comment system's mark of the site's own people.
        assert!(owner.is_owner_name("Jonas Albrecht-Ferri (admin)"));
        assert!(owner.is_owner_name("Jonas Albrecht [Moderator]"));
        assert!(!owner.is_owner_name("Anna Albrecht (admin)"));
        assert!(!owner.is_owner_name("(admin)"));
        assert!(!owner.is_owner_name("Jonas Albrecht (fan)"));
    }
}
