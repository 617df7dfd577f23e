//! What a topic request is about, and whether two requests name one
//! subject, in any language: used by `classify/topics.rs` (one message's
//! requests) and `analyze/` (the topic groups across the store).
//!
//! A phrase becomes a set of keys: the concepts it names (the cross-language
//! concept table `src/lang/concepts.toml`, and the owner's `[topics]
//! synonyms`), and, for its other content words, their Snowball stem in the
//! phrase's language with accents folded ("privacidad" and "privacy" then
//! meet as cognates by their long shared start). Two phrases name one
//! subject when they share a subject concept (and neither has another one
//! the other lacks), or, without concepts, when most of their content words
//! meet. The piece asked for ("an episode on") and function words are not
//! keys. Groups join by average link, only while at least half their pairs
//! name one subject, so one shared word cannot chain two subjects together.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use crate::intern::Interner;

use rust_stemmers::{Algorithm, Stemmer};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// What a concept is to a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// Makes a topic: requests sharing it are one subject.
    Subject,
    /// Too broad to make two requests one topic alone ("email", "money").
    Field,
    /// Who a piece is for ("kids"): shared, it makes a topic only without other subjects.
    Audience,
    /// Where a subject sits ("old houses"): never a topic alone.
    Setting,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    concept: Vec<ConceptSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptSpec {
    id: String,
    kind: Kind,
    words: Vec<String>,
}

/// The concept table, ready to look words up in.
struct Concepts {
    kinds: HashMap<String, Kind>,
    /// Multi-word (or non-Latin) entries, folded, longest first: found as phrases.
    phrases: Vec<(String, String)>,
    /// Single words, folded: concept key.
    words: HashMap<String, String>,
    /// All of `phrases` at once: which of them occur at all in a text,
    /// so that only those are looked for one by one, longest first.
    present: Option<aho_corasick::AhoCorasick>,
}

static CONCEPTS: LazyLock<Concepts> = LazyLock::new(|| {
    let table: Table = toml::from_str(include_str!("lang/concepts.toml"))
        .unwrap_or_else(|e| panic!("src/lang/concepts.toml: {e}"));
    let mut c = Concepts {
        kinds: HashMap::new(),
        phrases: Vec::new(),
        words: HashMap::new(),
        present: None,
    };
    for spec in table.concept {
        let key = format!("#{}", spec.id);
        c.kinds.insert(key.clone(), spec.kind);
        for w in spec.words {
            let f = fold(&w);
            if f.contains(' ') || !f.is_ascii() && f.chars().any(is_cjk) {
                c.phrases.push((f, key.clone()));
            } else {
                c.words.entry(f).or_insert_with(|| key.clone());
            }
        }
    }
    c.phrases
        .sort_by_key(|(p, _)| std::cmp::Reverse(p.chars().count()));
    c.present = aho_corasick::AhoCorasick::new(c.phrases.iter().map(|(p, _)| p)).ok();
    c
});

impl Concepts {
    /// The indexes (into `phrases`, so longest first) of the phrases that
    /// occur somewhere in `l`, boundaries unchecked.
    fn candidates(&self, l: &str) -> Vec<usize> {
        let Some(ac) = &self.present else {
            return (0..self.phrases.len()).collect();
        };
        let mut found: Vec<usize> = ac
            .find_overlapping_iter(l)
            .map(|m| m.pattern().as_usize())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The subject lexicon (`src/lang/lexicon.tsv`): the words of six
/// languages for one meaning, which become one key (`=headword`). Kept
/// compact (boxed keys to meaning numbers): it is read once per run, and
/// its 58,000 words must cost little time and memory.
struct Lexicon {
    meanings: Vec<Box<str>>,
    /// "<language column><tab><folded word>": meaning. A word of one
    /// language under two meanings is [`AMBIGUOUS`] (its stem speaks for it).
    words: Words,
    /// The same by each form's stem (the vocabulary only): a form the
    /// table lacks ("papeis" for "papel").
    stems: Words,
    /// Long words (six letters or more) of any language: a phrase's
    /// language is a guess, and a long word seldom means another thing
    /// in another of these languages.
    any: Words,
    /// Multi-word entries, folded, by their first word: (entry, meaning),
    /// longest first. (An automaton over all of them took longer to build
    /// than a run of import spends looking.)
    phrases: HashMap<Box<str>, Vec<(Box<str>, u32)>>,
}

/// Words to their meaning, kept in one buffer (58,000 words: as a map of
/// boxed strings they held 6 MB at R-help's import peak).
#[derive(Default)]
struct Words {
    words: Interner,
    meanings: Vec<u32>,
}

impl Words {
    /// `w` means `m`; a word met under two meanings means none.
    fn add(&mut self, w: &str, m: u32) {
        let id = self.words.intern(w) as usize;
        match self.meanings.get_mut(id) {
            None => self.meanings.push(m),
            Some(had) if *had != m => *had = AMBIGUOUS,
            Some(_) => {}
        }
    }

    fn get(&self, w: &str) -> Option<&u32> {
        let id = self.words.find(w)?;
        Some(&self.meanings[id as usize]).filter(|&&m| m != AMBIGUOUS)
    }
}

/// The lexicon's language columns, in file order.
const LEXICON_LANGS: [Algorithm; 6] = [
    Algorithm::English,
    Algorithm::Spanish,
    Algorithm::French,
    Algorithm::German,
    Algorithm::Italian,
    Algorithm::Portuguese,
];

/// A word under two meanings.
const AMBIGUOUS: u32 = u32::MAX;

static LEXICON: LazyLock<Lexicon> =
    LazyLock::new(|| lexicon(include_str!("lang/lexicon.tsv"), false));

/// The general vocabulary (`src/lang/vocabulary.tsv`): everyday words of
/// the six languages by meaning ("paper", "papel", "carta", "Papier"),
/// asked only for words the lexicon lacks. Its forms are also kept by their
/// stem, so an inflection the table lacks still finds its meaning. A
/// meaning of kind `general` ("guide", "cheap") is a `~` key: shared, it
/// adds to a match but never makes one alone.
static VOCABULARY: LazyLock<Lexicon> =
    LazyLock::new(|| lexicon(include_str!("lang/vocabulary.tsv"), true));

fn lexicon(text: &str, by_stem: bool) -> Lexicon {
    let mut meanings: Vec<Box<str>> = Vec::new();
    let (mut words, mut any, mut stems) = (Words::default(), Words::default(), Words::default());
    let mut phrases: HashMap<Box<str>, u32> = HashMap::new();
    // The vocabulary's forms are kept by their stem too, each column's own.
    let stemmers: Vec<Stemmer> = match by_stem {
        true => LEXICON_LANGS.iter().map(|a| Stemmer::create(*a)).collect(),
        false => Vec::new(),
    };
    let add = |map: &mut HashMap<Box<str>, u32>, k: String, m: u32| {
        let e = map.entry(k.into_boxed_str()).or_insert(m);
        if *e != m {
            *e = AMBIGUOUS;
        }
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cells = line.split('\t');
        let Some(head) = cells.next() else { continue };
        let cells: Vec<&str> = cells.collect();
        // The vocabulary's last column says what kind of word it is.
        let general = cells
            .get(LEXICON_LANGS.len())
            .is_some_and(|k| k.trim() == "general");
        let m = meanings.len() as u32;
        let sign = if general { '~' } else { '=' };
        meanings.push(format!("{sign}{}", fold(head.trim())).into_boxed_str());
        for (lang, cell) in cells.iter().enumerate().take(LEXICON_LANGS.len()) {
            let stemmer = stemmers.get(lang);
            for w in cell
                .split(',')
                .map(|w| fold(w.trim()))
                .filter(|w| !w.is_empty())
            {
                if w.contains(' ') {
                    add(&mut phrases, w, m);
                    continue;
                }
                if w.chars().count() >= 6 {
                    any.add(&w, m);
                }
                words.add(&format!("{lang}\t{w}"), m);
                if let Some(stem) = stemmer.map(|s| s.stem(&w))
                    && stem.chars().count() >= 4
                {
                    stems.add(&format!("{lang}\t{stem}"), m);
                }
            }
        }
    }
    let sure = |map: HashMap<Box<str>, u32>| -> HashMap<Box<str>, u32> {
        map.into_iter().filter(|(_, m)| *m != AMBIGUOUS).collect()
    };
    let mut by_first: HashMap<Box<str>, Vec<(Box<str>, u32)>> = HashMap::new();
    for (p, m) in sure(phrases) {
        let first = p
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or_default()
            .into();
        by_first.entry(first).or_default().push((p, m));
    }
    for list in by_first.values_mut() {
        list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    }
    Lexicon {
        meanings,
        words,
        stems,
        any,
        phrases: by_first,
    }
}

impl Lexicon {
    /// The meaning of one folded word in a phrase of language `algo`: the
    /// word as listed, or its stem as listed (a form the list lacks), or a
    /// long word of any language.
    fn meaning(&self, w: &str, algo: Algorithm, stemmer: &Stemmer) -> Option<&str> {
        let lang = LEXICON_LANGS.iter().position(|a| *a == algo)?;
        let listed = |w: &str| self.words.get(format!("{lang}\t{w}").as_str());
        let stem = stemmer.stem(w);
        listed(w)
            .or_else(|| (stem.chars().count() >= 5).then(|| listed(&stem)).flatten())
            .or_else(|| {
                (stem.chars().count() >= 4)
                    .then(|| self.stems.get(format!("{lang}\t{stem}").as_str()))
                    .flatten()
            })
            .or_else(|| self.any.get(w))
            .map(|&m| self.meanings[m as usize].as_ref())
    }

    /// The multi-word entries that may start at each word of `l`, longest
    /// first for each word, with their meanings.
    fn phrases_in<'a>(&'a self, l: &str) -> Vec<(&'a str, &'a str)> {
        l.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .filter_map(|w| self.phrases.get(w))
            .flatten()
            .map(|(p, m)| (p.as_ref(), self.meanings[*m as usize].as_ref()))
            .collect()
    }
}

/// Lower case, accents off ("Contraseña" -> "contrasena").
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// The languages with a stemmer, and their stop words (folded).
static STOPS: LazyLock<Vec<(Algorithm, Vec<String>)>> = LazyLock::new(|| {
    crate::lang::WORDS
        .stop_words
        .iter()
        .filter_map(|(lang, words)| {
            let algo = match lang.as_str() {
                "en" => Algorithm::English,
                "es" => Algorithm::Spanish,
                "pt" => Algorithm::Portuguese,
                "de" => Algorithm::German,
                "fr" => Algorithm::French,
                "it" => Algorithm::Italian,
                _ => return None,
            };
            Some((algo, words.iter().map(|w| fold(w)).collect()))
        })
        .collect()
});

/// A function word (lower case) of `phrase`'s language, that a subject
/// cut short cannot end on: English's `dangling` words (its `stop` holds
/// broad content words too, "home", "school"), or the other language's
/// `stop` words ("oder", "con"). Another language's would cut "Mega Man".
pub(crate) fn is_function_word(w: &str, phrase: &str) -> bool {
    let words: Vec<String> = phrase.split_whitespace().map(fold).collect();
    match language(&words) {
        Algorithm::English => crate::lang::one_of(&crate::lang::WORDS.topics.dangling, w),
        algo => {
            let w = fold(w);
            STOPS.iter().any(|(a, s)| *a == algo && s.contains(&w))
        }
    }
}

/// A word (folded) that says nothing about a subject, in some language.
pub(crate) fn is_stop(w: &str) -> bool {
    STOPS.iter().any(|(_, s)| s.iter().any(|x| x == w))
}

/// The words of a request's frame, folded: the piece asked for and the
/// verbs of writing and talking ("an episode on", "escribieras sobre",
/// "un billet sur"), from the language files' `pieces`, `verbs` and
/// `talk_verbs`. They say what the owner would make, not what about: two
/// requests for a video are not one subject. A word that also names
/// subjects is left out (`frame_words_that_name_subjects`).
/// The language files' `subject_stop` words join them ("aquellos",
/// "würden", "please"). A request that names nothing else ("Which
/// episode?", "starting a podcast") has no keys, so it names no subject.
static FRAMES: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    let t = &crate::lang::WORDS.topics;
    let subjects = &t.frame_words_that_name_subjects;
    t.pieces
        .iter()
        .chain(&t.verbs)
        .chain(&t.talk_verbs)
        .filter(|w| !w.contains(' ') && !subjects.contains(w))
        .chain(&t.subject_stop)
        .map(|w| fold(w))
        .collect()
});

/// A word that elides before a vowel, apostrophe and all: "l'achat",
/// "dell'acqua", "qu'un". What follows it is the word.
fn without_elision(w: &str) -> &str {
    const ELIDED: [&str; 18] = [
        "l", "d", "j", "m", "n", "s", "t", "c", "qu", "un", "dell", "all", "dall", "nell", "sull",
        "quell", "quest", "coll",
    ];
    match w.split_once('\'') {
        Some((head, rest)) if ELIDED.contains(&head) && rest.chars().count() >= 2 => rest,
        _ => w,
    }
}

/// The phrase's language, by its stop words; English when none says.
fn language(words: &[String]) -> Algorithm {
    STOPS
        .iter()
        .map(|(algo, stops)| (*algo, words.iter().filter(|w| stops.contains(w)).count()))
        .filter(|&(_, n)| n > 0)
        .max_by_key(|&(_, n)| n)
        .map_or(Algorithm::English, |(a, _)| a)
}

/// The keys of a phrase: concepts (`#id`), the owner's synonyms
/// (`#syn:first`), and the stems of its other content words.
pub(crate) fn keys(phrase: &str, synonyms: &[Vec<String>]) -> Vec<String> {
    let c = &*CONCEPTS;
    let mut l = fold(phrase);
    let mut out: Vec<String> = Vec::new();
    let push = |w: String, out: &mut Vec<String>| {
        if !out.contains(&w) {
            out.push(w);
        }
    };
    // Phrases first, longest first; what they cover is spoken for.
    for syn in synonyms {
        for s in syn.iter().map(|s| fold(s)).filter(|s| s.contains(' ')) {
            if let Some(at) = find_phrase(&l, &s) {
                let first = syn.first().map(|f| fold(f)).unwrap_or_default();
                push(format!("#syn:{first}"), &mut out);
                l.replace_range(at..at + s.len(), &" ".repeat(s.len()));
            }
        }
    }
    for (p, key) in c.candidates(&l).into_iter().map(|i| &c.phrases[i]) {
        if blank_out(&mut l, p) {
            push(key.clone(), &mut out);
        }
    }
    let (lex, vocab) = (&*LEXICON, &*VOCABULARY);
    // Places, kept apart: a phrase made only of them is about them.
    let mut places: Vec<String> = Vec::new();
    // The lexicon's phrases, then the vocabulary's in what is left.
    for table in [lex, vocab] {
        let mut found = table.phrases_in(&l);
        found.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        found.dedup();
        // The concept table comes first: "electricity bill" is its "power",
        // not the lexicon's "energy bills".
        found.retain(|(p, _)| !p.split(' ').any(|w| c.words.contains_key(w)));
        for (p, meaning) in found {
            if blank_out(&mut l, p) {
                if meaning.starts_with("=@") {
                    push(meaning.to_string(), &mut places);
                } else {
                    push(meaning.to_string(), &mut out);
                }
            }
        }
    }
    let words: Vec<String> = l
        .split(|ch: char| {
            !(ch.is_alphanumeric() || ch == '-' || ch == '/' || ch == '\'' || ch == '+')
        })
        .map(|w| without_elision(w.trim_matches(['-', '\'', '/'])).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let algo = language(&words);
    let stemmer = Stemmer::create(algo);
    let english = Stemmer::create(Algorithm::English);
    for w in &words {
        if is_stop(w) || FRAMES.contains(w) || w.chars().all(|ch| ch.is_ascii_digit()) {
            continue;
        }
        if let Some(syn) = synonyms.iter().find(|s| s.iter().any(|x| fold(x) == *w)) {
            let first = syn.first().map(|f| fold(f)).unwrap_or_default();
            push(format!("#syn:{first}"), &mut out);
            continue;
        }
        if let Some(key) = concept_of(w, &stemmer) {
            push(key, &mut out);
            continue;
        }
        // "rebuilding a magneto" may be guessed Italian; none of the other
        // five languages ends a word in "-ing", so it is looked up (and
        // stemmed, below) as English.
        let english_ing = algo != Algorithm::English && w.len() >= 6 && w.ends_with("ing");
        let (look, look_stemmer) = match english_ing {
            true => (Algorithm::English, &english),
            false => (algo, &stemmer),
        };
        if let Some(meaning) = lex
            .meaning(w, look, look_stemmer)
            .or_else(|| vocab.meaning(w, look, look_stemmer))
        {
            // "casas", "Familie": a meaning the stop words leave out in
            // English ("house", "family") says no more in another language.
            // A place ("Brasil", "=@brazil") is where a subject sits.
            if meaning.starts_with("=@") {
                push(meaning.to_string(), &mut places);
            } else if !is_stop(&meaning[1..]) {
                push(meaning.to_string(), &mut out);
            }
            continue;
        }
        // A German compound the table lacks ("rohmilchkase"): its parts,
        // when each has a meaning.
        if algo == Algorithm::German {
            let pieces: Vec<(&str, Option<Vec<String>>)> = w
                .split('-')
                .filter(|p| !p.is_empty())
                .map(|p| (p, compound_parts(p, lex, &stemmer, 0)))
                .collect();
            if pieces.iter().any(|(_, parts)| parts.is_some()) {
                for part in pieces
                    .iter()
                    .filter_map(|(_, parts)| parts.clone())
                    .flatten()
                {
                    push(part, &mut out);
                }
                // The hyphen's other parts, as words.
                for (p, _) in pieces.iter().filter(|(_, parts)| parts.is_none()) {
                    if p.chars().count() >= 3 && !is_stop(p) {
                        let key = lex
                            .meaning(p, algo, &stemmer)
                            .map(str::to_string)
                            .unwrap_or_else(|| stemmer.stem(p).into_owned());
                        push(key, &mut out);
                    }
                }
                continue;
            }
        }
        // A compound the table lacks ("handy-backups"): its parts.
        if w.contains('-') && !w.chars().any(is_cjk) {
            for part in keys(&w.replace('-', " "), synonyms) {
                push(part, &mut out);
            }
            continue;
        }
        if w.chars().any(is_cjk) {
            for part in cjk_words(w, &stemmer) {
                push(part, &mut out);
            }
            continue;
        }
        if w.chars().count() < 3 {
            continue;
        }
        let stem = look_stemmer.stem(w).into_owned();
        push(stem, &mut out);
    }
    // "ND filters", "UV lamps": an acronym of two capitals names the
    // subject as much as a longer word.
    for w in phrase.split(|c: char| !c.is_alphanumeric()) {
        if w.len() == 2 && w.chars().all(|c| c.is_ascii_uppercase()) {
            push(w.to_ascii_lowercase(), &mut out);
        }
    }
    if out.is_empty() {
        return places;
    }
    out
}

/// The meanings of a German compound's parts ("rohmilchkase" -> raw,
/// milk, cheese), longest last part first; a linking "s" or "n" may join
/// them ("arbeits|zeit"). None unless every part of three letters or more
/// has a meaning.
fn compound_parts(w: &str, lex: &Lexicon, stemmer: &Stemmer, depth: usize) -> Option<Vec<String>> {
    let meaning = |p: &str| {
        concept_of(p, stemmer).or_else(|| {
            lex.meaning(p, Algorithm::German, stemmer)
                .or_else(|| VOCABULARY.meaning(p, Algorithm::German, stemmer))
                .filter(|m| !is_stop(&m[1..]) && !m.starts_with("=@"))
                .map(str::to_string)
        })
    };
    let chars: Vec<(usize, char)> = w.char_indices().collect();
    if depth > 2 || chars.len() < 7 || !w.chars().all(char::is_alphabetic) {
        return None;
    }
    for &(at, _) in chars.iter().skip(3) {
        let (head, tail) = w.split_at(at);
        if tail.chars().count() < 4 {
            break;
        }
        let Some(last) = meaning(tail) else { continue };
        let heads = [head, head.strip_suffix(['s', 'n']).unwrap_or(head)];
        for h in heads.iter().filter(|h| h.chars().count() >= 3) {
            // A first part the table lacks counts as its stem ("roh").
            let first = meaning(h)
                .map(|m| vec![m])
                .or_else(|| compound_parts(h, lex, stemmer, depth + 1))
                .or_else(|| {
                    (depth > 0 || h.chars().count() >= 4)
                        .then(|| vec![stemmer.stem(h).into_owned()])
                });
            if let Some(mut parts) = first {
                parts.push(last);
                return Some(parts);
            }
        }
    }
    None
}

/// Blank out every occurrence of phrase `p` in `l` (same length, so later
/// offsets hold): what a phrase covered is spoken for. Was it there?
fn blank_out(l: &mut String, p: &str) -> bool {
    let mut found = false;
    while let Some(at) = find_phrase(l, p) {
        l.replace_range(at..at + p.len(), &" ".repeat(p.len()));
        found = true;
    }
    found
}

/// `p` in `l` on word boundaries.
fn find_phrase(l: &str, p: &str) -> Option<usize> {
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    l.match_indices(p)
        .find(|(i, _)| {
            let cjk = p.chars().any(is_cjk);
            cjk || edge(l[..*i].chars().next_back()) && edge(l[i + p.len()..].chars().next())
        })
        .map(|(i, _)| i)
}

/// The concept a single word names: itself, or its stem, in the table.
fn concept_of(w: &str, stemmer: &Stemmer) -> Option<String> {
    let c = &*CONCEPTS;
    if let Some(k) = c.words.get(w) {
        return Some(k.clone());
    }
    let stem = stemmer.stem(w);
    if stem.len() >= 4
        && let Some(k) = c.words.get(stem.as_ref())
    {
        return Some(k.clone());
    }
    // Plurals the language's stemmer leaves ("backups" in a German phrase).
    let bare = w.strip_suffix('s').filter(|b| b.len() >= 3)?;
    c.words.get(bare).cloned()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Hiragana is grammar (particles, endings), not subject.
fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x309f)
}

/// Words of a CJK run, which has no spaces: Latin letters inside it are
/// words ("ai活用" -> "ai", mapped to its concept), and the rest is taken
/// as overlapping pairs of characters, leaving out pairs of kana grammar.
fn cjk_words(token: &str, stemmer: &Stemmer) -> Vec<String> {
    let mut out = Vec::new();
    let mut latin = String::new();
    let chars: Vec<char> = token.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() || (c == '-' && !latin.is_empty()) {
            latin.push(c);
            continue;
        }
        if !latin.is_empty() {
            out.push(concept_of(&latin, stemmer).unwrap_or_else(|| latin.clone()));
            latin.clear();
        }
        if let Some(&next) = chars.get(i + 1)
            && is_cjk(c)
            && is_cjk(next)
            && !(is_hiragana(c) || is_hiragana(next))
        {
            out.push(format!("{c}{next}"));
        }
    }
    if !latin.is_empty() {
        out.push(concept_of(&latin, stemmer).unwrap_or(latin));
    }
    out
}

fn kind(key: &str) -> Option<Kind> {
    if key.starts_with("#syn:") {
        return Some(Kind::Subject);
    }
    CONCEPTS.kinds.get(key).copied()
}

/// Do two phrases' keys name one subject?
pub(crate) fn same_subject(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let is_subject = |w: &&String| kind(w) == Some(Kind::Subject);
    let shared = shared_keys(a, b);
    if shared.iter().any(is_subject) {
        // "Energy use of AI data centres" and "charging an electric car
        // with solar energy" share a facet, but each has another subject.
        let extra = |x: &[String]| x.iter().any(|w| is_subject(&w) && !shared.contains(&w));
        return !(extra(a) && extra(b));
    }
    // Both name a subject, and not the same one: "password managers for
    // older people" and "video calls for older people" are two topics.
    let subject_a = a.iter().any(|w| is_subject(&w));
    let subject_b = b.iter().any(|w| is_subject(&w));
    if subject_a && subject_b {
        return false;
    }
    if shared.iter().any(|w| kind(w) == Some(Kind::Audience)) {
        return true;
    }
    // Two broad fields together are a subject: "self-hosted email" and
    // "running my own mail server".
    if shared
        .iter()
        .filter(|w| kind(w) == Some(Kind::Field))
        .count()
        >= 2
    {
        return true;
    }
    // A general word ("~guide", "~cheap") adds to a match, never makes one.
    let plain = shared
        .iter()
        .filter(|w| !w.starts_with(['#', '~']) && (w.starts_with('=') || letters(w) >= 4))
        .count();
    let smaller = a.len().min(b.len());
    // Two shared content words; or one distinctive word ("Linux for my
    // parents" / "switching to Linux", "solar panels" / "placas solares").
    let long = shared
        .iter()
        .filter(|w| !w.starts_with(['#', '~']) && letters(w) >= 5)
        .count();
    plain >= 1 && (shared.len() >= 2 || smaller <= 2 || long >= 1)
}

/// The keys of `a` that some key of `b` is, or is a cognate of.
fn shared_keys<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    a.iter()
        .filter(|w| b.iter().any(|v| v == *w || cognates(w, v)))
        .collect()
}

/// A key's length as a word: a meaning (`=tax`) by its headword.
fn letters(key: &str) -> usize {
    key.trim_start_matches('=').chars().count()
}

/// Words of one root across forms and languages: "solar"/"solares",
/// "privacy"/"privacidad". A long shared start (five letters, and three
/// quarters of the shorter word) is the cheap test.
fn cognates(a: &str, b: &str) -> bool {
    // Two meanings of the lexicon are one or not; a meaning and a word
    // may still be cognates ("=satellite", "satelit").
    if a.starts_with(['#', '~'])
        || b.starts_with(['#', '~'])
        || a.starts_with('=') && b.starts_with('=')
    {
        return false;
    }
    let (a, b) = (a.trim_start_matches('='), b.trim_start_matches('='));
    // A meaning and the word it is named by: "=nail" and "nail".
    if a == b {
        return true;
    }
    let shorter = a.chars().count().min(b.chars().count());
    // Every test below needs five letters in the shorter word.
    if shorter < 5 {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if common >= 5 && common * 4 >= shorter * 3 {
        return true;
    }
    // The same root spelt by each language's habits ("proyeccion",
    // "projection", "proiezion", "projeco"): compared as a skeleton, when
    // the two begin alike as skeletons do.
    if skeleton_start(a) == skeleton_start(b) {
        let (sa, sb) = (skeleton(a), skeleton(b));
        let common = sa
            .chars()
            .zip(sb.chars())
            .take_while(|(x, y)| x == y)
            .count();
        let shorter_sk = sa.chars().count().min(sb.chars().count());
        if common >= 5 && common * 4 >= shorter_sk * 3 {
            return true;
        }
    }
    // A compound holding the other word whole ("microplasticos" holds
    // "plastic"), or one letter apart in a long word ("satelites" and
    // "satellites", "pension" and "pensao").
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let same_start = a.chars().next() == b.chars().next();
    (shorter >= 6 && long.contains(short))
        || (shorter >= 7 && same_start && one_edit_apart(short, long))
}

/// A folded word with the spelling habits of its language evened out:
/// j and y as i, k and z as c, ph as f, th as t, and no doubled letter
/// ("proyeccion" -> "proiecion", "proiezion" -> "proiecion").
fn skeleton(w: &str) -> String {
    let w = w.replace("ph", "f").replace("th", "t");
    let mut out = String::with_capacity(w.len());
    for c in w.chars() {
        let c = match c {
            'j' | 'y' => 'i',
            'k' | 'z' => 'c',
            'w' => 'v',
            c => c,
        };
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// The first letter of a word's [`skeleton`], without making it.
fn skeleton_start(w: &str) -> Option<char> {
    let mut c = w.chars();
    Some(match (c.next()?, c.next()) {
        ('p', Some('h')) => 'f',
        ('j' | 'y', _) => 'i',
        ('k' | 'z', _) => 'c',
        ('w', _) => 'v',
        (x, _) => x,
    })
}

/// Levenshtein distance of at most one, without allocating a matrix.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..], &b[start..]);
    if a.len() == b.len() {
        ra.len() <= 1 || ra[1..] == rb[1..]
    } else {
        ra == &rb[1..]
    }
}

/// A group of requests for one subject.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: String,
    pub label: String,
    /// Indices into the requests given to [`group`].
    pub members: Vec<usize>,
}

/// Group requests (phrases) that name the same subject, by average link:
/// the two groups whose requests most often name one subject join, while
/// at least half their pairs do; of equal shares, the pairs sharing more
/// keys, then the groups' phrases (the first of each in alphabetical
/// order). So the groups do not depend on the order the requests come in;
/// they are listed in that order.
pub(crate) fn group(phrases: &[&str], synonyms: &[Vec<String>]) -> Vec<Group> {
    // Each request's keys; the group's key is made from them, matching
    // uses them without the owner's field.
    let all_keys: Vec<Vec<String>> = phrases.iter().map(|p| keys(p, synonyms)).collect();
    let words = without_the_field(&all_keys);
    let n = phrases.len();
    // Groups by their first request (a merged group's place is left
    // empty); for each, its links to the later groups it shares pairs of
    // one subject with. Few pairs name one subject, so this stays small
    // where a table of all pairs would not.
    let mut groups: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut links: Vec<BTreeMap<usize, Link>> = vec![BTreeMap::new(); n];
    for i in 0..n {
        for j in i + 1..n {
            if same_subject(&words[i], &words[j]) {
                let keys = shared_keys(&words[i], &words[j]).len();
                links[i].insert(j, Link { pairs: 1, keys });
            }
        }
    }
    // Each group's first phrase in alphabetical order, folded: what a tie
    // left after the keys goes by.
    let mut names: Vec<String> = phrases.iter().map(|p| fold(p)).collect();
    loop {
        // (a, b, the link, pairs in all), a before b.
        let mut best: Option<(usize, usize, Link, usize)> = None;
        let tie = |a: usize, b: usize| {
            let (x, y) = (names[a].as_str(), names[b].as_str());
            (x.min(y), x.max(y))
        };
        for (a, near) in links.iter().enumerate() {
            for (&b, &link) in near {
                let pairs = groups[a].len() * groups[b].len();
                if link.pairs * 2 < pairs {
                    continue;
                }
                let better = best.is_none_or(|(x, y, l, p)| {
                    (link.pairs * p)
                        .cmp(&(l.pairs * pairs))
                        .then((link.keys * p).cmp(&(l.keys * pairs)))
                        .then(tie(x, y).cmp(&tie(a, b)))
                        .is_gt()
                });
                if better {
                    best = Some((a, b, link, pairs));
                }
            }
        }
        let Some((a, b, _, _)) = best else { break };
        if names[b] < names[a] {
            names[a] = std::mem::take(&mut names[b]);
        }
        // b joins a: every link of b's is a's now, kept in the map of the
        // earlier of the two groups it joins.
        let moved = std::mem::take(&mut groups[b]);
        groups[a].extend(moved);
        groups[a].sort_unstable();
        links[a].remove(&b);
        for (c, link) in std::mem::take(&mut links[b]) {
            links[a].entry(c).or_default().add(link);
        }
        for c in 0..b {
            if let Some(link) = links[c].remove(&b) {
                let (from, to) = if c < a { (c, a) } else { (a, c) };
                links[from].entry(to).or_default().add(link);
            }
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
        .into_iter()
        .map(|members| {
            let mut g = Group {
                key: String::new(),
                label: phrases[members[0]].to_string(),
                members,
            };
            g.key = group_key(&g, &all_keys);
            g
        })
        .collect()
}

/// What joins two groups: their pairs of requests that name one subject,
/// and the keys those pairs share.
#[derive(Debug, Clone, Copy, Default)]
struct Link {
    pairs: usize,
    keys: usize,
}

impl Link {
    fn add(&mut self, other: Link) {
        self.pairs += other.pairs;
        self.keys += other.keys;
    }
}

/// The requests' keys without the owner's field: a word or meaning in a
/// fifth of them or more (five at least) is what the owner writes about,
/// not what one reader asks for ("cycling" on a cycling blog joins
/// nothing). The concept table's subjects stay. A request left with no
/// key keeps its own.
fn without_the_field(words: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for w in words {
        for k in w {
            *df.entry(k.as_str()).or_default() += 1;
        }
    }
    let field = |k: &String| {
        let n = df.get(k.as_str()).copied().unwrap_or(0);
        !k.starts_with('#') && n >= 5 && n * 5 >= words.len()
    };
    words
        .iter()
        .map(|w| {
            let rest: Vec<String> = w.iter().filter(|k| !field(k)).cloned().collect();
            if rest.is_empty() { w.clone() } else { rest }
        })
        .collect()
}

/// The key of a group is its first request's keys, sorted: later requests
/// joining the group do not change it, so the store's topic id, state and
/// the owner's merges stay with it.
fn group_key(g: &Group, words: &[Vec<String>]) -> String {
    let Some(first) = g.members.first().and_then(|&m| words.get(m)) else {
        return g.label.to_lowercase();
    };
    let mut w: Vec<&str> = first.iter().map(String::as_str).collect();
    w.sort_unstable();
    if w.is_empty() {
        return g.label.to_lowercase();
    }
    w.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of each line of a file, for a look at why two requests do
    /// or do not meet (`ALLEARS_KEYS_FILE=phrases.txt cargo test --release
    /// print_keys -- --ignored --nocapture`). Prints, asserts nothing.
    #[test]
    #[ignore]
    fn print_keys() {
        let Ok(path) = std::env::var("ALLEARS_KEYS_FILE") else {
            return;
        };
        for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
            println!("{line}\t{:?}", keys(line, &[]));
        }
    }

    /// Groups the phrases of a file, one per line, and prints each
    /// phrase's group number: for measuring grouping on labelled phrases
    /// (`ALLEARS_GROUP_FILE=phrases.txt cargo test --release --bin allears
    /// print_groups -- --ignored --nocapture`). Prints, asserts nothing.
    #[test]
    #[ignore]
    fn print_groups() {
        let Ok(path) = std::env::var("ALLEARS_GROUP_FILE") else {
            return;
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let phrases: Vec<&str> = text.lines().collect();
        let mut of = vec![0; phrases.len()];
        for (g, group) in group(&phrases, &[]).iter().enumerate() {
            for &m in &group.members {
                of[m] = g;
            }
        }
        for (p, g) in phrases.iter().zip(of) {
            println!("GROUP\t{g}\t{p}");
        }
    }

    #[test]
    fn the_concept_table_reads_and_folds() {
        assert!(CONCEPTS.kinds.len() >= 40);
        assert_eq!(fold("Contraseña Éducation"), "contrasena education");
    }

    #[test]
    fn one_subject_across_languages_and_not_across_shared_words() {
        let k = |p: &str| keys(p, &[]);
        assert!(same_subject(
            &k("password managers for a small team"),
            &k("compartir contraseñas con los empleados")
        ));
        assert!(same_subject(
            &k("privacy for families"),
            &k("privacidad en casa")
        ));
        assert!(!same_subject(
            &k("backups for a small office"),
            &k("office 365 licensing")
        ));
    }

    #[test]
    fn old_house_wifi_in_three_languages_is_one_group() {
        let p = [
            "Wi-Fi in old houses",
            "so ein Haus mit WLAN versorgt",
            "古い家のWi-Fi",
            "Mesh kit, or pull cable to wired access points",
            "insulating old houses",
            "meshtastic for hikers",
        ];
        let g = group(&p, &[]);
        assert_eq!(g[0].members, vec![0, 1, 2, 3], "{g:?}");
        assert_eq!(g.len(), 3, "{g:?}");
    }

    #[test]
    fn subjects_of_the_field_group_apart_in_different_words() {
        let sets: &[&[&str]] = &[
            &[
                "home VLANs for IoT gadgets",
                "segmenting IoT devices",
                "putting smart plugs on their own network",
            ],
            &[
                "self-hosted email",
                "running my own mail server",
                "hosting e-mail at home",
            ],
            &[
                "backing up phones",
                "Handy-Backups",
                "copias de seguridad del móvil",
            ],
            &[
                "password managers for families",
                "sharing passwords with my partner",
                "Bitwarden for the household",
            ],
            &[
                "Let's Encrypt for beginners",
                "TLS certificates at home",
                "HTTPS for internal services",
            ],
            &[
                "choose a UPS for a small rack",
                "battery backup for the homelab",
                "what to do in a power cut",
            ],
            &[
                "smart TV privacy",
                "TVs that spy on you",
                "disabling ACR tracking on televisions",
            ],
            &[
                "kids screen time",
                "parental controls on the router",
                "controlo parental",
            ],
            &[
                "Starlink in the countryside",
                "satellite internet for farms",
                "rural broadband",
            ],
            &[
                "NAS for photos",
                "where to keep family pictures",
                "Immich vs Google Photos",
            ],
            &[
                "router firmware updates",
                "OpenWrt on old routers",
                "flashing custom firmware",
            ],
        ];
        let all: Vec<&str> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        let got: Vec<Vec<&str>> = group(&all, &[])
            .iter()
            .map(|g| g.members.iter().map(|&m| all[m]).collect())
            .collect();
        let want: Vec<Vec<&str>> = sets.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn cognates_across_compounds_and_spellings() {
        assert!(cognates("microplasticos", "plastic"));
        assert!(cognates("satelites", "satellites"));
        assert!(!cognates("tax", "syntax"));
        assert!(!cognates("pension", "tension"));
        assert!(!cognates("backup", "backlog"));
        assert!(cognates("proyeccion", "project"));
        assert!(cognates("proiezion", "project"));
    }

    #[test]
    fn same_subject_in_different_words_is_one_group() {
        let p = [
            "IPv6 at home",
            "moving my home network to v6",
            "dual-stack for a small office",
            "monitoring for tiny teams",
        ];
        let g = group(&p, &[]);
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].members, vec![0, 1, 2]);
    }

    #[test]
    fn the_vocabulary_joins_everyday_words_across_languages() {
        let k = |p: &str| keys(p, &[]);
        // Words the subject lexicon lacks: by the vocabulary's meaning.
        assert!(same_subject(&k("writing left-handed"), &k("les gauchers")));
        assert!(same_subject(&k("Linkshänder"), &k("writing left-handed")));
        assert!(same_subject(
            &k("cheap paper"),
            &k("papéis baratos que aguentam tinta")
        ));
        // A general word ("cheap") shared alone makes no subject.
        assert!(
            k("cheap ink")
                .iter()
                .all(|w| !w.starts_with('=') || w == "=ink")
        );
        assert!(!same_subject(&k("cheap paper"), &k("tinta barata")));
        // Every line has its name, six languages and a kind.
        for line in include_str!("lang/vocabulary.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 8, "{line}");
            assert!(["thing", "general"].contains(&cells[7]), "{line}");
        }
    }

    #[test]
    fn an_ing_word_is_stemmed_as_english_whatever_the_phrase_is_guessed() {
        let a = keys("rebuilding a magneto", &[]);
        let b = keys("gearbox rebuilds", &[]);
        assert!(a.iter().any(|k| b.contains(k)), "{a:?} {b:?}");
    }

    #[test]
    fn the_lexicon_joins_words_of_one_meaning_in_six_languages() {
        let p = [
            "heat pumps in old flats",
            "bombas de calor en pisos antiguos",
            "Wärmepumpe im Altbau",
            "pompe à chaleur pour une maison ancienne",
            "how recycling really works",
        ];
        let g = group(&p, &[]);
        assert_eq!(g[0].members, vec![0, 1, 2, 3], "{g:?}");
        assert_eq!(g.len(), 2, "{g:?}");
        // A word of the stop list's meaning says nothing in any language
        // ("casa" is "house"), and places are not in the lexicon.
        assert!(
            !keys("desperdício em casa", &[])
                .iter()
                .any(|k| k == "=house")
        );
        assert!(!same_subject(
            &keys("impostos no Brasil", &[]),
            &keys("café no Brasil", &[])
        ));
        assert!(same_subject(
            &keys("quarterly taxes", &[]),
            &keys("impuestos trimestrales", &[])
        ));
    }

    #[test]
    fn the_piece_asked_for_and_function_words_are_not_keys() {
        assert_eq!(keys("an episode about tremolo", &[]), keys("tremolo", &[]));
        assert_eq!(keys("un billet sur le trémolo", &[]), keys("trémolo", &[]));
        // Two requests for a video are not one subject.
        assert!(!same_subject(
            &keys("um vídeo sobre como cuidar das unhas", &[]),
            &keys("un vídeo sobre cómo elegir una guitarra", &[])
        ));
        // "aquellos", "würden": words of no subject in any language.
        assert!(keys("würden Sie etwas über Rosen schreiben", &[]).len() == 1);
        // An elided article is not part of the word.
        assert_eq!(keys("l'irrigation", &[]), keys("irrigation", &[]));
        // A meaning meets the word it is named by, however short.
        assert!(same_subject(&["=nail".to_string()], &["nail".to_string()]));
        assert!(same_subject(&["=gym".to_string()], &["=gym".to_string()]));
        // A two-capital acronym is a key; "kind of" is none.
        assert!(keys("ND filters for this kind of cinewhoop", &[]).contains(&"nd".to_string()));
        assert!(!keys("RPM filter", &[]).contains(&"nd".to_string()));
        assert_eq!(keys("this kind of cinewhoop", &[]), keys("cinewhoop", &[]));
    }

    /// The groups of `p` given in `order`, as sets of indices into `p`.
    fn partition(p: &[&str], order: &[usize]) -> Vec<Vec<usize>> {
        let phrases: Vec<&str> = order.iter().map(|&i| p[i]).collect();
        let mut groups: Vec<Vec<usize>> = group(&phrases, &[])
            .into_iter()
            .map(|g| {
                let mut m: Vec<usize> = g.members.iter().map(|&k| order[k]).collect();
                m.sort_unstable();
                m
            })
            .collect();
        groups.sort();
        groups
    }

    #[test]
    fn groups_do_not_depend_on_the_order_of_requests() {
        let p = [
            "repotting a ficus",
            "winter care for a ficus",
            "ficus bonsai soil",
            "choosing a watering can",
            "rainwater for watering",
        ];
        for order in [[4, 3, 2, 1, 0], [2, 4, 0, 3, 1]] {
            assert_eq!(partition(&p, &[0, 1, 2, 3, 4]), partition(&p, &order));
        }
        // Equal choices: which two groups join first is decided by their
        // phrases, not by which came first.
        let p = [
            "move a tiny team off the password spreadsheet",
            "Passwörter im Team sauber teilen, ohne Excel",
            "accompagner une équipe comptable qui ne jure que par les tableurs",
            "how you use the old county series sheets to find lost farmsteads",
        ];
        for order in [[1, 2, 0, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            assert_eq!(
                partition(&p, &[0, 1, 2, 3]),
                partition(&p, &order),
                "{order:?}"
            );
        }
    }

    #[test]
    fn a_word_in_most_requests_is_the_owners_field_not_a_subject() {
        let p = [
            "cycling in winter",
            "cycling with kids to school",
            "cycling and trains",
            "cycling up steep hills",
            "cycling in the rain",
            "winter tyres for cycling",
        ];
        let g = group(&p, &[]);
        assert_eq!(g[0].members, vec![0, 5], "{g:?}");
        assert_eq!(g.len(), 5, "{g:?}");
    }

    #[test]
    fn cognates_meet_across_languages() {
        let p = [
            "solar panels for a small farmhouse roof",
            "placas solares en el tejado",
        ];
        assert_eq!(group(&p, &[]).len(), 1);
        assert!(!cognates("internet", "interview"));
    }

    #[test]
    fn owner_synonyms_join_groups() {
        let p = ["matrix for a rowing club", "element server for a choir"];
        assert_eq!(group(&p, &[]).len(), 1, "Element is a Matrix client");
        let p = [
            "tabletop gaming nights",
            "board game evenings for the library",
        ];
        assert_eq!(group(&p, &[]).len(), 2);
        let syn = vec![vec!["tabletop".to_string(), "board game".to_string()]];
        assert_eq!(group(&p, &syn).len(), 1);
    }

    /// The labelled sets (`fixtures/*/labels.json`), or the folders
    /// ALLEARS_GROUPING_SETS names, colon separated.
    fn labelled_sets() -> Vec<std::path::PathBuf> {
        if let Ok(v) = std::env::var("ALLEARS_GROUPING_SETS") {
            return v.split(':').map(std::path::PathBuf::from).collect();
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut sets: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("labels.json").exists())
            .collect();
        sets.sort();
        sets
    }

    /// Issue 13's measure of grouping alone, on the labelled sets' own
    /// topic phrases (`fixtures/*/labels.json`, or the sets named by
    /// ALLEARS_GROUPING_SETS, colon separated): same-subject pairs put
    /// together and pairs of different subjects put together, per set and
    /// in all, and the pairs `same_subject` itself joins. With
    /// ALLEARS_GROUPING_VERBOSE set, each pair it misses or joins wrongly,
    /// with both requests' keys. Prints figures, asserts nothing:
    /// `cargo test --release --bin allears grouping_of_labelled_phrases -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn grouping_of_labelled_phrases() {
        let sets = labelled_sets();
        let show = std::env::var_os("ALLEARS_GROUPING_VERBOSE").is_some();
        let (mut together, mut pairs, mut wrong) = (0, 0, 0);
        // The pairs `same_subject` itself says are one subject, before grouping.
        let (mut said_right, mut said_wrong) = (0, 0);
        for set in sets {
            let labels: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(set.join("labels.json")).unwrap())
                    .unwrap();
            // (file, key, phrase), in the order of the files.
            let mut asked: Vec<(String, String, String)> = Vec::new();
            for m in labels["messages"].as_object().unwrap().values() {
                for (key, phrase) in m["topic_phrases"].as_object().into_iter().flatten() {
                    if let Some(p) = phrase.as_str().filter(|p| !p.is_empty()) {
                        let file = m["file"].as_str().unwrap_or("").to_string();
                        asked.push((file, key.clone(), p.to_string()));
                    }
                }
            }
            asked.sort();
            let phrases: Vec<&str> = asked.iter().map(|a| a.2.as_str()).collect();
            let mut group_of = vec![0; phrases.len()];
            for (g, grp) in group(&phrases, &[]).iter().enumerate() {
                for &m in &grp.members {
                    group_of[m] = g;
                }
            }
            let words =
                without_the_field(&phrases.iter().map(|p| keys(p, &[])).collect::<Vec<_>>());
            let (mut t, mut n, mut w) = (0, 0, 0);
            for i in 0..asked.len() {
                for j in i + 1..asked.len() {
                    let same = asked[i].1 == asked[j].1;
                    let joined = group_of[i] == group_of[j];
                    let said = same_subject(&words[i], &words[j]);
                    n += usize::from(same);
                    t += usize::from(same && joined);
                    w += usize::from(!same && joined);
                    said_right += usize::from(same && said);
                    said_wrong += usize::from(!same && said);
                    if show && same != said {
                        let what = if same { "missed" } else { "wrong" };
                        println!(
                            "  {what}: {} {:?} | {} {:?}",
                            phrases[i], words[i], phrases[j], words[j]
                        );
                    }
                }
            }
            println!(
                "{}: {} phrases, same-subject pairs together {t}/{n}, different subjects together {w}",
                set.file_name().unwrap().to_string_lossy(),
                asked.len()
            );
            (together, pairs, wrong) = (together + t, pairs + n, wrong + w);
        }
        println!(
            "all: same-subject pairs together {together}/{pairs}, different subjects together {wrong}"
        );
        println!("pairs same_subject joins: {said_right} of one subject, {said_wrong} of two");
    }

    /// How long grouping takes for the labelled sets' topic phrases, the
    /// first 200 and all of them at once (issue 13 asks for 200 in under
    /// a second); keys are made first, so the tables' loading is not
    /// counted. Prints, asserts nothing:
    /// `cargo test --release --bin allears grouping_time -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn grouping_time() {
        let mut all: Vec<String> = Vec::new();
        for set in labelled_sets() {
            let labels: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(set.join("labels.json")).unwrap())
                    .unwrap();
            for m in labels["messages"].as_object().unwrap().values() {
                let phrases = m["topic_phrases"].as_object().into_iter().flatten();
                all.extend(phrases.filter_map(|(_, p)| p.as_str()).map(str::to_string));
            }
        }
        keys("warm-up", &[]);
        for n in [200, all.len()] {
            let p: Vec<&str> = all.iter().take(n).map(String::as_str).collect();
            let start = std::time::Instant::now();
            let groups = group(&p, &[]);
            println!(
                "{n} requests: {} groups in {:?}",
                groups.len(),
                start.elapsed()
            );
        }
    }
}
