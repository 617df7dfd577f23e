//! Topics readers asked the owner to write about: finding the requests in
//! one message and reducing each to a short phrase, and grouping requests
//! for the same subject made in different words across messages.
//!
//! A request is a sentence that asks for writing ("could you write about
//! X", "a column on X would be welcome", "I'd love to see you cover X", in
//! several languages), or, under the owner's call for topics, a suggestion
//! ("What about X?", "X, please.", the items of a list of ideas). When the
//! request points back ("a column on that"), the phrase is taken from the
//! sentence before; a verb of writing is known by its form or stem in
//! several languages ("escribieras sobre X"). Grouping compares the
//! phrases' content words after normalising them: lower case, a light stem,
//! stop words dropped, and words of one concept (a lexicon of the field's
//! subjects across en/de/fr/es/pt/ja/zh, the longest entry winning, plus
//! the owner's synonyms) made one. A concept may be a subject, a broad
//! field, an audience or a setting; only subjects make a topic alone.

use std::sync::LazyLock;

use super::{Phrases, Place, Reason, Rule, Sentence, TopicRequest};
use crate::lang;

/// Does this text (a subject, a post title, the quoted post) ask readers
/// what to write about?
pub(crate) fn is_call_for_topics(text: &str) -> bool {
    call_for_topics_in(&text.to_lowercase())
}

/// [`is_call_for_topics`] for text in lower case already.
pub(crate) fn call_for_topics_in(l: &str) -> bool {
    static CALLS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.calls)));
    CALLS.any_in(l) || asks_what_to_write(l)
}

/// The owner's question about their own writing, in any wording: a
/// question word, the owner (I, me, my column), and a verb or noun of
/// writing ("What should my column cover in the new year?", "Which topic
/// would you like me to tackle?").
fn asks_what_to_write(l: &str) -> bool {
    if !l.contains('?') {
        return false;
    }
    let words: Vec<&str> = l
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    let question = has(&["what", "which", "anything", "suggestions", "ideas"]);
    let owner = has(&["i", "me", "my"]);
    let writing = has(&[
        "write",
        "cover",
        "tackle",
        "column",
        "columns",
        "topic",
        "topics",
        "newsletter",
        "blog",
    ]);
    // Looking ahead: "what did you think of my column?" asks about the past.
    let ahead = has(&[
        "should",
        "shall",
        "next",
        "like",
        "want",
        "ideas",
        "suggestions",
        "suggest",
    ]);
    question && owner && writing && ahead
}

/// Words that ask for a piece of writing.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "column", "post", "article", "piece", "write-up", "writeup", "follow-up", "followup", "walkthrough",
    "guide", "series", "deep dive", "deep-dive", "explainer", "tutorial", "blog", "episode", "story",
    "artículo", "articulo", "artigo", "coluna", "columna", "article", "billet", "chronique", "artikel",
    "kolumne", "beitrag", "articolo", "rubrica", "コラム", "記事", "文章", "专栏", "博客", "primer",
    "introduction", "intro", "overview", "roundup", "comparison",
];

/// Find the requests for topics in one message's new text.
pub(crate) fn requests(
    sentences: &[Sentence],
    place: &Place,
    reasons: &mut Vec<Reason>,
) -> Vec<TopicRequest> {
    let mut all = sentences.to_vec();
    for s in &mut all {
        if s.text.contains('\n') {
            s.text = s.text.replace('\n', " ");
        }
    }
    let mut out: Vec<TopicRequest> = Vec::new();
    // Every test below reads the sentence in lower case: lower it once.
    let lower: Vec<String> = all.iter().map(|s| s.text.to_lowercase()).collect();
    let ideas_list = lower.iter().any(|l| ANNOUNCES.any_in(l));
    static NOT_TOPICS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.not_topics)));
    for (i, s) in all.iter().enumerate() {
        // An invitation to a panel or a podcast, a pitch: no subject asked for.
        if let Some(cue) = NOT_TOPICS.first_in(&lower[i]) {
            if asks_for_writing(&lower[i]) {
                reasons.push(Reason::new(
                    Rule::NoTopics,
                    format!("an invitation or a pitch (\"{cue}\"), not a subject to write about"),
                    &s.text,
                ));
            }
            continue;
        }
        // "un episodio sul X e uno su Y": a second request in the sentence.
        if let Some((cue, at)) = lang::WORDS
            .topics
            .another
            .iter()
            .find_map(|c| lower[i].find(&format!(" {c} ")).map(|at| (c, at)))
            && let Some(p) = subject(&s.text[byte_at(&s.text, &lower[i], at + cue.len() + 2)..])
        {
            let words_of = content_words(&p);
            if !out
                .iter()
                .any(|t| same_subject(&content_words(&t.phrase), &words_of))
            {
                reasons.push(Reason::new(
                    Rule::Topic,
                    "asks for writing on a second subject",
                    &s.text,
                ));
                out.push(TopicRequest {
                    phrase: p,
                    words: s.text.clone(),
                });
            }
        }
        let found = asked_for(&s.text, &lower[i], place.call_for_topics)
            .or_else(|| writing_request(&s.text, &lower[i]))
            .map(|p| ("asks for writing on a subject", p))
            .or_else(|| {
                (place.call_for_topics || ideas_list)
                    .then(|| suggestion(&all, i, place.call_for_topics))
                    .flatten()
                    .map(|p| ("a suggestion under the call for topics", p))
            });
        // Most sentences ask for nothing: the figure-of-speech test runs only
        // on those that look like a request.
        let Some((rule, mut phrase)) = found else {
            continue;
        };
        if super::asks::figure_of_speech(&lower[i]) {
            continue;
        }
        let mut words = s.text.clone();
        if points_back(&phrase) {
            match all[..i].iter().rev().find(|p| !p.text.trim().is_empty()) {
                Some(prev) => {
                    phrase = reduce(&prev.text);
                    // The asker's words: the subject, then the request.
                    words = format!("{} {}", prev.text, s.text);
                }
                None => continue,
            }
        }
        let phrase = tidy(&phrase);
        let words_of = content_words(&phrase);
        let again = out
            .iter()
            .any(|t| t.phrase == phrase || same_subject(&content_words(&t.phrase), &words_of));
        if words_of.is_empty() || again {
            continue;
        }
        reasons.push(Reason::new(Rule::Topic, rule, &words));
        out.push(TopicRequest { phrase, words });
        if out.len() >= 5 {
            break;
        }
    }
    out
}

/// A sentence that asks for writing, in any language the language files
/// know, and the subject it names. It needs a wish or a request ("could
/// you", "me encantaría", a question; under the owner's call for topics,
/// any sentence) and an anchor: a verb of writing or talking, or a piece
/// ("column", "episodio", "Artikel"). The subject follows a preposition
/// ("about", "sobre", "über"; "of"/"de" right after a piece or a verb of
/// talking), a colon, or a clause word ("how", "cómo", "wie") near the
/// anchor; German puts it before a final verb ("über X schreiben").
fn asked_for(s: &str, l: &str, call: bool) -> Option<String> {
    static WISHES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.wishes)));
    let t = &lang::WORDS.topics;
    let wish = call || l.contains('?') || l.starts_with('¿') || WISHES.any_in(l);
    if !wish {
        return None;
    }
    let toks = word_spans(l);
    let word = |i: usize| &l[toks[i].0..toks[i].1];
    let is = |list: &[String], w: &str| list.iter().any(|x| x == w);
    let piece_near = |i: usize| (i + 1..(i + 5).min(toks.len())).find(|&j| is(&t.pieces, word(j)));
    let from = |at: usize| byte_at(s, l, at);
    for i in 0..toks.len() {
        let w = word(i);
        let verb = is(&t.verbs, w);
        let talk = is(&t.talk_verbs, w);
        let make = is(&t.make_verbs, w) && piece_near(i).is_some();
        let before = i.checked_sub(1).map(word);
        let piece = is(&t.pieces, w) && !possessive(before);
        // "the talk on Friday" is a noun, not a verb.
        let noun = determiner(before);
        if !(verb && !noun || talk && !noun || make || piece) || about_the_past(&l[..toks[i].0]) {
            continue;
        }
        // A title right after the piece: 'un article « ZFS pour les débutants »'.
        if piece
            && let Some(q) = quoted_after(&s[from(toks[i].1)..])
            && let Some(x) = subject(&q)
        {
            return Some(x);
        }
        // A making verb's subject follows its piece ("do a column on X").
        let anchor = if make { piece_near(i).unwrap_or(i) } else { i };
        let reach = (anchor + 9).min(toks.len());
        for j in anchor + 1..reach {
            let p = word(j);
            let after_piece = (piece || make || talk) && j == anchor + 1 && is(&t.piece_preps, p);
            if is(&t.preps, p) || after_piece {
                if let Some(x) = subject(&s[from(toks[j].1)..]) {
                    return Some(x);
                }
            }
            if j <= anchor + 4 && is(&t.clauses, p) {
                if let Some(x) = subject(&s[from(toks[j].0)..]) {
                    return Some(x);
                }
            }
        }
        // "... write an updated version: X" (not "write it up: would X ...?").
        if let Some(c) = l[toks[anchor].1..].find(": ") {
            let at = toks[anchor].1 + c + 2;
            let next = word_spans(&l[at..])
                .first()
                .map(|&(a, b)| &l[at + a..at + b]);
            if !next.is_some_and(auxiliary)
                && let Some(x) = subject(&s[from(at)..])
            {
                return Some(x);
            }
        }
        // Verb last: "über das Mahnwesen schreiben".
        if verb || talk {
            for j in (i.saturating_sub(8)..i).rev() {
                if is(&t.preps, word(j)) {
                    let (a, b) = (from(toks[j].1), from(toks[i].0));
                    if a < b
                        && let Some(x) = subject(&s[a..b])
                    {
                        return Some(x);
                    }
                    break;
                }
            }
        }
    }
    None
}

/// "the", "a", "my": what makes the next word a noun.
fn determiner(w: Option<&str>) -> bool {
    w.is_some_and(|w| {
        [
            "the", "a", "an", "my", "your", "this", "that", "our", "his", "her", "their", "el",
            "la", "un", "una", "le", "der", "die", "das", "ein", "eine", "il", "o", "um", "uma",
        ]
        .contains(&w)
    })
}

/// A question's first word ("would", "is", "can"): not a subject.
fn auxiliary(w: &str) -> bool {
    [
        "would", "could", "is", "are", "do", "does", "did", "can", "will", "should", "have", "has",
        "was", "were",
    ]
    .contains(&w)
}

/// The text of a quotation that opens `rest`: « ... », "...", “...”, „...“.
fn quoted_after(rest: &str) -> Option<String> {
    let r = rest.trim_start();
    let (open, close) = [('«', '»'), ('"', '"'), ('“', '”'), ('„', '“')]
        .into_iter()
        .find(|(o, _)| r.starts_with(*o))?;
    let inner = &r[open.len_utf8()..];
    let end = inner.find(close)?;
    Some(inner[..end].trim().to_string())
}

/// Does the sentence mention writing or a piece at all (for reasons only)?
fn asks_for_writing(l: &str) -> bool {
    let t = &lang::WORDS.topics;
    word_spans(l)
        .iter()
        .map(|&(a, b)| &l[a..b])
        .any(|w| t.verbs.iter().chain(&t.pieces).any(|x| x == w))
}

/// "your column", "tu columna", "Ihre Kolumne": writing that exists.
fn possessive(w: Option<&str>) -> bool {
    w.is_some_and(|w| {
        [
            "your", "my", "his", "her", "their", "tu", "tus", "su", "sus", "mi", "ihre", "ihren",
            "ihrem", "deine", "deinen", "dein", "votre", "vos", "ta", "ton", "tua", "tuo", "sua",
            "seu", "minha", "meu",
        ]
        .contains(&w)
    })
}

/// The words of `l` (letters, digits, apostrophes, hyphens) and where each is.
fn word_spans(l: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in l.char_indices() {
        let inside = c.is_alphanumeric() || c == '\'' || c == '’' || c == '-' || c == '+';
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, l.len()));
    }
    out
}

/// The subject at the start of `rest`: up to its first boundary, without
/// leading articles and trailing fillers, at most ten words; `None` when
/// nothing of substance is left.
fn subject(rest: &str) -> Option<String> {
    let p = tidy(rest);
    let words: Vec<&str> = p.split_whitespace().collect();
    let p = words[..words.len().min(10)].join(" ");
    (!content_words(&p).is_empty() && !points_back(&p)).then_some(p)
}

/// "Two ideas for your column", "some topics", "suggestions:".
fn announces_ideas(s: &str) -> bool {
    ANNOUNCES.any_in(&s.to_lowercase())
}

static ANNOUNCES: super::Phrases = super::Phrases::new(&[
    "ideas for your",
    "idea for your",
    "topics for your",
    "suggestions for your",
    "two ideas",
    "a few ideas",
    "some ideas",
    "column ideas",
    "two requests",
    "a few requests",
]);

/// A sentence that asks for writing, and the subject it names.
/// `lower` is `s` in lower case.
fn writing_request(s: &str, lower: &str) -> Option<String> {
    // Two-word pieces made one word; the byte length stays the same.
    let mut l = lower.to_string();
    for (two, one) in [
        ("deep dive", "deep-dive"),
        ("write up", "write-up"),
        ("follow up", "follow-up"),
    ] {
        if l.contains(two) {
            l = l.replace(two, one);
        }
    }
    // Verb then subject: "write about X", "cover X", "escribir sobre X".
    #[rustfmt::skip]
    const VERB_CUES: &[&str] = &[
        "write about ", "write a column about ", "write a column on ", "write a post about ",
        "write a post on ", "write an article about ", "write an article on ", "write a piece about ",
        "write a piece on ", "write something about ", "write something on ", "write more about ",
        "writing about ", "writing a column on ", "writing a post on ", "writing something on ",
        "write the follow-up post:", "write the follow-up post on ", "write a follow-up on ", "see you cover ", "you could cover ", "you'd cover ",
        "you to cover ", "could cover ", "could you cover ", "would you cover ", "can you cover ",
        "will you cover ", "please cover ", "would cover ", "covering ", 
        "looking for a subject:", "looking for a topic:", "read something about ",
        "read something from you about ", "something from you about ", "read more about ",
        "read your take on ", "read your thoughts on ", "learn more about ", "i'd vote for ", "i vote for ",
        "+1 for ", "my vote goes to ", "a vote for ", "anything you wrote on ", "anything you wrote about ",
        "anything you write on ", "anything you write about ", "anything you'd write on ",
        "anything you'd write about ", "everything you write on ", "everything you write about ",
        "escribir sobre ", "escribir un artículo sobre ", "escrever sobre ",
        "escrever um artigo sobre ", "écrire sur ", "écrire un article sur ", "écrire un article ",
        "parler de ", "scrivere su ", "scrivere di ", "scrivere un articolo su ", "darüber schreiben, ",
        "darüber schreiben ", "schrijven over ",
    ];
    // Piece then subject: "a column on X", "a post about X".
    #[rustfmt::skip]
    const PIECE_CUES: &[&str] = &[
        " on ", " about ", " sobre ", " sur ", " su ", " über ", " zu ", " over ", " that explains ",
        " explaining ", " on how ", " de ", " covering ", " walking through ", " walking us through ",
        " that walks through ", " going through ", " showing ", " describing ", " comparing ",
        " darüber, ", " darüber ", " dazu, ", " for ", " to ",
    ];
    if !wishes(&l) {
        return cjk_request(s);
    }
    if let Some(p) = verb_final_request(s, &l) {
        return Some(p);
    }
    // The first cue of the list found anywhere in the sentence, where it is
    // first found; one pass over the sentence for all cues at once.
    static VERBS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(VERB_CUES).ok());
    let first_cue = match VERBS.as_ref() {
        Some(ac) => {
            let mut best: Option<(usize, usize)> = None;
            for m in ac.find_overlapping_iter(l.as_str()) {
                let (cue, at) = (m.pattern().as_usize(), m.start());
                if best.is_none_or(|(c, a)| cue < c || (cue == c && at < a)) {
                    best = Some((cue, at));
                }
            }
            best
        }
        None => VERB_CUES
            .iter()
            .enumerate()
            .find_map(|(i, cue)| l.find(cue).map(|at| (i, at))),
    };
    if let Some((cue, at)) = first_cue {
        // "Didn't you write about it once?" asks about the past.
        if about_the_past(&l[..at]) {
            return None;
        }
        return Some(s[byte_at(s, &l, at + VERB_CUES[cue].len())..].to_string());
    }
    if let Some(p) = verb_stem_request(s, &l) {
        return Some(p);
    }
    if let Some(p) = cjk_request(s) {
        return Some(p);
    }
    if let Some(p) = labelled_idea(s, &l) {
        return Some(p);
    }
    if let Some(p) = explain_in_a_piece(s, &l) {
        return Some(p);
    }
    let (start, end) = indefinite_piece(&l)?;
    // "X would make a great column": the subject is what came first.
    if let Some(at) = l[..start].find(" would make").filter(|a| *a > 3) {
        return Some(s[..byte_at(s, &l, at)].to_string());
    }
    let after = &l[end..];
    // The nearest cue: "a guide to DNS over HTTPS" is about DNS over HTTPS.
    let nearest = PIECE_CUES
        .iter()
        .filter_map(|cue| after.find(cue).filter(|a| *a < 40).map(|a| (a, cue.len())))
        .min_by_key(|&(a, len)| (a, std::cmp::Reverse(len)));
    if let Some((at, len)) = nearest {
        return Some(s[byte_at(s, &l, end + at + len)..].to_string());
    }
    // "a ZFS for beginners post": the subject sits between article and piece.
    let mut between: Vec<&str> = l[start..end].split_whitespace().skip(1).collect();
    between.pop();
    #[rustfmt::skip]
    const ADJECTIVES: &[&str] = &[
        "proper", "good", "great", "nice", "short", "long", "whole", "new", "beginners'", "follow-up",
        "dedicated", "separate", "full", "future", "next", "upcoming", "later", "fun", "useful",
        "interesting", "practical", "detailed", "quick", "little",
    ];
    if between.iter().any(|w| !ADJECTIVES.contains(w)) {
        return Some(between.join(" "));
    }
    // "X - maybe a future column?": the subject is the clause before.
    if let Some(cut) = l[..start]
        .rfind([',', ';', '–', '—'])
        .or_else(|| l[..start].rfind(" - "))
        && cut > 3
    {
        let before = reduce(&s[..byte_at(s, &l, cut)]);
        if !points_back(&before) {
            return Some(before);
        }
    }
    // "a column on that would be welcome": the subject came before.
    Some("that".to_string())
}

/// "Didn't you write about it once?" asks about the past, not for
/// writing; "I'm writing a thesis on X" is the writer's own writing.
fn about_the_past(before: &str) -> bool {
    let near: Vec<&str> = before.split_whitespace().rev().take(3).collect();
    let mine = near.iter().any(|w| {
        [
            "i", "i'm", "i've", "i'll", "we", "we're", "we've", "we'll", "myself",
        ]
        .contains(w)
    }) && !near.iter().any(|w| w.starts_with("you"));
    mine || [
        "did you",
        "didn't you",
        "did not you",
        "you wrote",
        "you've written",
        "you have written",
        "you already",
    ]
    .iter()
    .any(|p| before.contains(p))
}

/// A verb of writing in any form, then its subject: "write a short column
/// on X", "que escribieras sobre X", "schreib doch mal über X", "tackle X".
/// Stems catch the conjugations a list of phrases would miss.
fn verb_stem_request(s: &str, l: &str) -> Option<String> {
    // English forms whole ("coverage" is no verb); other languages by stem.
    const VERBS: &[&str] = &[
        "write", "writing", "cover", "covering", "tackle", "tackling",
    ];
    #[rustfmt::skip]
    const STEMS: &[&str] = &["escrib", "escrev", "écri", "ecri", "schreib", "scriv", "schrijf", "schrijv"];
    // Past forms report writing that exists.
    const PAST: &[&str] = &[
        "written",
        "wrote",
        "covered",
        "tackled",
        "écrit",
        "escrito",
        "geschrieben",
    ];
    const PREPS: &[&str] = &[
        "about", "on", "sobre", "sur", "über", "su", "di", "over", "zu",
    ];
    // Verbs that take their subject directly: "tackle home VLANs".
    const DIRECT: &[&str] = &["cover", "covering", "tackle", "tackling"];
    let words: Vec<(usize, &str)> = l
        .split_whitespace()
        .scan(0usize, |pos, w| {
            let at = l[*pos..].find(w).map(|i| *pos + i).unwrap_or(*pos);
            *pos = at + w.len();
            Some((at, w))
        })
        .collect();
    for (i, &(at, w)) in words.iter().enumerate() {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
        let Some(stem) = VERBS
            .iter()
            .find(|v| bare == **v)
            .or_else(|| STEMS.iter().find(|st| bare.starts_with(*st)))
        else {
            continue;
        };
        if PAST.contains(&bare) || about_the_past(&l[..at]) {
            continue;
        }
        let prep = words[i + 1..]
            .iter()
            .take(5)
            .find(|(_, p)| PREPS.contains(&p.trim_matches(|c: char| !c.is_alphanumeric())));
        let from = match (prep, DIRECT.contains(stem)) {
            (Some(&(p_at, p)), _) => p_at + p.len(),
            (None, true) => at + w.len(),
            (None, false) => continue,
        };
        let rest = s[byte_at(s, l, from)..].trim();
        if !rest.is_empty() {
            return Some(rest.to_string());
        }
    }
    None
}

/// "Idea for a future column: X", "Topic request: X".
fn labelled_idea(s: &str, l: &str) -> Option<String> {
    let (head, sep) = [": ", " - ", " – ", " — ", " -- "]
        .iter()
        .filter_map(|sep| l.split_once(sep).map(|(h, _)| (h, sep.len())))
        .min_by_key(|(h, _)| h.len())?;
    let labels = [
        "idea",
        "suggestion",
        "topic",
        "request",
        "subject",
        "vorschlag",
        "wunsch",
        "sugerencia",
        "sugestão",
        "idée",
    ];
    if head.split_whitespace().count() > 6 || !labels.iter().any(|w| head.contains(w)) {
        return None;
    }
    let at = byte_at(s, l, head.len() + sep);
    Some(s[at..].to_string())
}

/// "Could you explain X in a future column?": a verb of explaining, then
/// the subject, then where it should appear.
fn explain_in_a_piece(s: &str, l: &str) -> Option<String> {
    #[rustfmt::skip]
    const VERBS: &[&str] = &[
        "explain ", "talk about ", "go over ", "look at ", "look into ", "discuss ", "dig into ",
        "address ", "weigh in on ", "tackle ", "cover ", "review ", "compare ", "walk us through ", "break down ",
    ];
    let piece = [
        " in a ",
        " in an ",
        " in your ",
        " in one of your ",
        " in the next ",
        " in a future ",
    ]
    .iter()
    .filter_map(|c| l.find(c))
    .min()?;
    if !PIECES.iter().any(|p| l[piece..].contains(p)) {
        return None;
    }
    let (at, verb) = VERBS
        .iter()
        .filter_map(|v| l.find(v).map(|at| (at, v)))
        .min()?;
    let from = at + verb.len();
    (from < piece).then(|| s[byte_at(s, l, from)..byte_at(s, l, piece)].to_string())
}

/// The sentence wishes for something: a question, a request, a hope.
fn wishes(l: &str) -> bool {
    #[rustfmt::skip]
    static WISHES: super::Phrases = super::Phrases::new(&[
        "would be", "would love", "i'd love", "i'd like", "i would like", "love to see", "love to read",
        "welcome", "helpful", "would help", "would really help", "i hope", "hoping", "wish", "if you ever", "suggest", "idea", "maybe",
        "perhaps", "how about", "would read", "keen", "you should", "should write", "ought to",
        "next column", "future column", "next post", "would make a", "i'd vote", "i vote", "+1 for",
        "curious", "topic", "request", "me encantaría", "gostaria", "j'aimerais", "ich würde",
        "mi piacerebbe", "wunsch", "vorschlag", "sugest", "suggestion", "idée", "i'd read", "wäre",
        "würde mich freuen", "fände ich", "serait", "sería", "seria", "sarebbe", "useful", "deep-dive",
        "i'd pay", "would pay", "a vote for", "put in a vote", "my wish", "like to see", "it'd be",
        "it would be", "doch mal", "schreib doch", "would be amazing",
    ]);
    is_ask(l) || WISHES.any_in(l)
}

/// Where "a/an/another <up to 3 words> column|post|..." sits in `l`: the
/// start of the article and the end of the piece word. A definite piece
/// ("your column", "the follow-up") is writing that exists, not a request.
fn indefinite_piece(l: &str) -> Option<(usize, usize)> {
    const ARTICLES: &[&str] = &[
        "een", "a", "an", "another", "one", "some", "more", "un", "une", "um", "uma", "una", "uno",
        "ein", "eine", "einen",
    ];
    let words: Vec<(usize, &str)> = l
        .split_whitespace()
        .scan(0usize, |pos, w| {
            let at = l[*pos..].find(w).map(|i| *pos + i).unwrap_or(*pos);
            *pos = at + w.len();
            Some((at, w))
        })
        .collect();
    for (i, (at, w)) in words.iter().enumerate() {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if !PIECES.contains(&bare) {
            continue;
        }
        for back in 1..=4.min(i) {
            let (a_at, a) = words[i - back];
            if [
                "your", "my", "the", "this", "that", "his", "her", "their", "our",
            ]
            .contains(&a)
            {
                break;
            }
            if ARTICLES.contains(&a) {
                return Some((a_at, at + w.len()));
            }
        }
    }
    None
}

/// `s` and its lower-case form can differ in byte length (e.g. "İ"):
/// map a byte offset in `l` back to a char boundary in `s`.
fn byte_at(s: &str, l: &str, at: usize) -> usize {
    if s.len() == l.len() && s.is_char_boundary(at) {
        return at;
    }
    let chars = l[..at.min(l.len())].chars().count();
    s.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

fn is_ask(l: &str) -> bool {
    static ASKS: super::Phrases = super::Phrases::new(&[
        "could you",
        "would you",
        "can you",
        "will you",
        "please",
        "any chance",
        "consider",
        "ever",
        "podrías",
        "poderia",
        "pourrais",
        "könnten",
        "potresti",
        "?",
        "？",
        "¿",
    ]);
    ASKS.any_in(l)
}

/// German and Dutch put the verb last: "über X schreiben", "over X schrijven".
fn verb_final_request(s: &str, l: &str) -> Option<String> {
    for (prep, verbs) in [
        (" über ", &["schreiben", "berichten"][..]),
        (" over ", &["schrijven"][..]),
    ] {
        let Some(verb_at) = verbs.iter().filter_map(|v| l.find(v)).min() else {
            continue;
        };
        let Some(at) = l[..verb_at].rfind(prep) else {
            continue;
        };
        let from = byte_at(s, l, at + prep.len());
        let to = byte_at(s, l, verb_at);
        if from < to {
            return Some(s[from..to].to_string());
        }
    }
    None
}

/// Japanese "Xについて…書いていただけ…", Chinese "关于X的文章".
fn cjk_request(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    let wants = [
        "いただけ",
        "ください",
        "お願い",
        "欲しい",
        "ほしい",
        "能否",
        "可以",
        "希望",
        "请",
        "吗",
    ]
    .iter()
    .any(|c| s.contains(c));
    let writes = ["書", "取り上げ", "コラム", "記事", "写", "文章", "专栏"]
        .iter()
        .any(|c| s.contains(c));
    if !(wants && writes) {
        return None;
    }
    // "IPv6を取り上げてください": the object of "take up" / "write".
    let object = ["を取り上げ", "を書いて", "をテーマに", "をコラムで"]
        .iter()
        .filter_map(|m| s.find(m))
        .min();
    if let Some(at) = s.find("について").or(object) {
        let head = &s[..at];
        // From the last comma, or the "で" of "次のコラムで" (where, not what).
        let start = head
            .rfind(['、', '。', '，', 'で'])
            .map(|i| i + '、'.len_utf8())
            .unwrap_or(0);
        return Some(head[start..].to_string());
    }
    if let Some(at) = s.find("关于") {
        let rest = &s[at + "关于".len()..];
        let end = rest
            .find("的文章")
            .or_else(|| rest.find("的"))
            .unwrap_or(rest.len());
        return Some(rest[..end].to_string());
    }
    None
}

/// Under a call for topics: "What about X?", "X, please.", a bullet of a
/// list of ideas, or a short opening noun phrase ("Not home but close: X.").
fn suggestion(all: &[Sentence], i: usize, call: bool) -> Option<String> {
    let s = &all[i];
    let l = s.text.to_lowercase();
    for cue in &lang::WORDS.topics.suggest {
        let Some(at) = l.find(cue.as_str()) else {
            continue;
        };
        // "Here's mine: X", "Yo propongo uno que nadie toca: X".
        let from = match l[at..].find(": ") {
            Some(c) => at + c + 2,
            None if at == 0 || cue.ends_with(' ') && l[..at].trim().len() < 3 => at + cue.len(),
            None => continue,
        };
        if l[from..].trim().is_empty() {
            continue;
        }
        return Some(s.text[byte_at(&s.text, &l, from)..].to_string());
    }
    let t = s.text.trim();
    if let Some(item) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("• "))
    {
        return Some(item.to_string());
    }
    if t.len() > 3 && t.as_bytes()[0].is_ascii_digit() && matches!(t.as_bytes()[1], b'.' | b')') {
        return Some(t[2..].to_string());
    }
    let t_please = l.trim_end_matches(['.', '!', ' ']);
    if let Some(p) = lang::WORDS
        .topics
        .please
        .iter()
        .find(|p| t_please.ends_with(p.as_str()))
        && call
    {
        let before = &t_please[..t_please.len() - p.len()];
        let before = before.trim_end_matches([',', ' ']);
        let start = before.rfind(": ").map(|c| c + 2).unwrap_or(0);
        let x = &s.text[byte_at(&s.text, &l, start)..byte_at(&s.text, &l, before.len())];
        if !x.trim().is_empty() {
            return Some(x.to_string());
        }
    }
    if l.ends_with("please.") || l.ends_with("please!") {
        return Some(
            t.trim_end_matches(['.', '!'])
                .trim_end_matches("please")
                .trim_end_matches([',', ' '])
                .to_string(),
        );
    }
    let opening = i <= first_substantive(all);
    let words = t.split_whitespace().count();
    // "Kat Lindgren wrote:" introduces a quote; "Hi all," greets.
    let greeting = t.ends_with([',', ':']) || words <= 2 || announces_ideas(t);
    let about_self = [
        "i ", "i'", "we ", "my ", "our ", "thank", "this ", "that ", "it ", "great", "love", "nice",
    ]
    .iter()
    .any(|p| l.starts_with(p))
        || first_person(&l)
        || reaction(&l)
        || crate::lang::speaks_to_you(&l);
    // "Great idea!", "¡Claro que sí!": an exclamation reacts.
    let exclaims = t.ends_with('!') || t.starts_with('¡');
    if call && opening && words <= 14 && !greeting && !about_self && !exclaims && !t.ends_with('?')
    {
        let after_colon = t.split_once(": ").map(|(_, r)| r).unwrap_or(t);
        return Some(after_colon.to_string());
    }
    None
}

/// "Thanks!", "¡Claro que sí!", "Grazie mille": a reaction, not a subject.
fn reaction(l: &str) -> bool {
    let l = l.trim_start_matches(['¡', '¿', ' ']);
    lang::WORDS.topics.reactions.iter().any(|r| {
        l.starts_with(r.as_str())
            && !l[r.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    })
}

/// The writer speaks of themselves ("I", "ich", "je", "yo", ...): a story,
/// not a subject offered.
fn first_person(l: &str) -> bool {
    const I: &[&str] = &[
        "i", "i'm", "i've", "ich", "je", "j'ai", "yo", "eu", "io", "wir", "nous", "私", "僕",
    ];
    l.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .any(|w| I.contains(&w))
}

/// The index of the first sentence that is more than a greeting.
fn first_substantive(all: &[Sentence]) -> usize {
    all.iter()
        .position(|p| p.text.split_whitespace().count() > 3 && !p.text.ends_with(','))
        .unwrap_or(all.len())
}

/// "that", "this", "exactly that", "those three", "how you did it".
fn points_back(phrase: &str) -> bool {
    let l = phrase.to_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let deictic = [
        "that", "this", "it", "those", "these", "them", "exactly", "three", "two", "how", "you",
        "did", "topic", "subject", "one", "would", "be",
    ];
    let more = &lang::WORDS.topics.deictic;
    words.is_empty()
        || words.len() <= 5
            && words
                .iter()
                .all(|w| deictic.contains(w) || STOP.contains(w) || more.iter().any(|d| d == w))
        || l.starts_with("that ")
        || l.starts_with("this ")
        || l.starts_with("those ")
        || l.starts_with("exactly that")
}

/// The subject of an earlier sentence: the sentence without its opening
/// question words.
fn reduce(s: &str) -> String {
    let s = s.trim();
    let s = match s.rsplit_once(": ") {
        Some((_, after)) if after.split_whitespace().count() >= 3 => after,
        _ => s,
    };
    let l = s.to_lowercase();
    #[rustfmt::skip]
    const LEADS: &[&str] = &[
        "i want to ", "i'd like to ", "i would like to ", "i need to ", "we want to ", "we need to ",
        "how do i ", "how do we ", "how can i ", "how can we ", "how should i ", "how should we ", "how to ",
        "i'm trying to ", "we're trying to ", "i am trying to ", "what you'd say about ",
        "what you would say about ", "what you think about ", "what you think of ", "your thoughts on ",
        "your take on ",
    ];
    for lead in LEADS {
        if let Some(at) = l.find(lead) {
            return s[byte_at(s, &l, at + lead.len())..].to_string();
        }
    }
    if let Some(at) = l.find(" supposed to ") {
        return s[byte_at(s, &l, at + " supposed to ".len())..].to_string();
    }
    s.to_string()
}

/// Cut the phrase at the end of its subject: the first clause boundary
/// (the language files' `ends`, a sentence's end), then drop what its
/// first and last words need not say (`leads`, `fillers`).
fn tidy(phrase: &str) -> String {
    let t = &lang::WORDS.topics;
    let mut p = phrase
        .trim()
        .trim_start_matches([':', '-', '–', ' ', '«', '"', '“', '¿', '¡'])
        .to_string();
    const STOPS: &[&str] = &["? ", ". ", "! ", "; ", "、", "。", "?", "!"];
    for e in t
        .ends
        .iter()
        .map(String::as_str)
        .chain(STOPS.iter().copied())
    {
        let lower = p.to_lowercase();
        if let Some(at) = lower.find(e)
            && at > 3
        {
            let at = byte_at(&p, &lower, at);
            p.truncate(at);
        }
    }
    let mut p = p
        .trim()
        .trim_end_matches(['?', '.', '!', ',', ':', ';', '»', '"', '”', '？', ' '])
        .trim()
        .to_string();
    loop {
        let lower = p.to_lowercase();
        let Some(lead) = t
            .leads
            .iter()
            .find(|l| lower.starts_with(l.as_str()) && lower.len() > l.len())
        else {
            break;
        };
        let at = byte_at(&p, &lower, lead.len());
        p = p[at..].trim_start().to_string();
    }
    loop {
        let lower = p.to_lowercase();
        let Some(f) = t.fillers.iter().find(|f| lower.ends_with(&format!(" {f}"))) else {
            break;
        };
        let at = byte_at(&p, &lower, lower.len() - f.len() - 1);
        p.truncate(at);
        p = p.trim_end_matches([',', ' ']).to_string();
    }
    let words: Vec<&str> = p.split_whitespace().collect();
    let mut short = words[..words.len().min(14)].join(" ");
    if short.chars().count() > 100 {
        short = short.chars().take(100).collect();
    }
    short
}

/// Words that say nothing about a subject.
#[rustfmt::skip]
const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "without", "from",
    "about", "into", "how", "what", "why", "when", "where", "which", "who", "whether", "is", "are", "be",
    "it", "its", "that", "this", "these", "those", "you", "your", "i", "my", "me", "we", "our", "us", "they",
    "their", "do", "does", "did", "doing", "can", "could", "would", "should", "will", "just", "really",
    "actually", "so", "some", "any", "more", "most", "very", "too", "also", "like", "people", "someone",
    "something", "thing", "things", "way", "ways", "get", "getting", "make", "making", "keep", "keeping",
    "set", "setting", "up", "down", "out", "use", "using", "run", "running", "build", "building", "one",
    "two", "three", "only", "ever", "even", "much", "many", "all", "every", "each", "other", "own", "there",
    "here", "then", "than", "as", "if", "not", "no", "yes", "post", "column", "article", "piece", "write",
    "writing", "cover", "specifically", "exactly", "actually", "really", "still", "whole", "new", "old",
    "good", "best", "better", "work", "works", "worth", "sure", "de", "la", "le", "les", "des", "du", "un",
    "une", "et", "ou", "en", "pour", "sur", "el", "los", "las", "una", "y", "o", "para", "sobre", "como",
    "em", "os", "das", "dos", "um", "uma", "na", "no", "der", "die", "das", "und", "oder", "für", "über",
    "wie", "man", "im", "ein", "eine", "il", "lo", "gli", "di", "da", "per", "su", "con", "e", "follow",
    "beginners", "small", "home", "tiny", "little", "team", "teams", "network", "networks", "office",
    "company", "companies", "firm", "firms", "business", "data", "setup", "system", "systems", "cost",
    "costs", "budget", "guide", "beginner", "basics", "tips", "advice", "world", "life", "time", "year",
    "part", "idea", "topic", "question", "issue", "problem", "online", "tech", "technology", "computer",
    "computers", "digital", "tool", "tools", "app", "apps", "device", "devices", "free", "open", "source",
    "person", "ten-person", "people's", "everyone", "anyone", "users", "user", "family", "families",
    "school", "schools", "club", "clubs", "house", "local", "easy", "simple", "cheap", "proper", "practical",
    "parents", "parent", "website", "websites", "account", "accounts", "access", "management", "manage",
    "control", "controls", "service", "services", "provider", "providers", "options", "choose", "choosing",
    "start", "starting", "basic", "important", "common", "different", "general", "whether", "really",
    "instead", "without", "ourselves", "yourself", "myself", "things", "stuff", "questions", "answer",
];

/// A light stem: enough that "networks"/"network", "filtering"/"filter" meet.
fn stem(w: &str) -> String {
    let mut w = w.to_string();
    if w.chars().count() > 5 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
        return w;
    }
    for suffix in ["ing", "es", "s", "ed"] {
        if w.chars().count() > suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    w
}

/// Concepts: words (and stems) in several languages that name one subject.
/// The owner adds their own through `[topics] synonyms` in digest.toml.
#[rustfmt::skip]
const CONCEPTS: &[(&str, &[&str])] = &[
    ("ipv6", &["ipv6", "v6", "dual-stack", "dualstack", "ds-lite", "ipv4", "/56", "/64", "slaac", "dhcpv6",
        "prefix delegation", "ipv6-only"]),
    ("zfs", &["zfs", "zpool", "openzfs", "truenas", "raidz"]),
    ("power", &["power", "energy", "electricity", "watt", "watts", "kwh", "bill", "idle", "draw",
        "énergie", "électricité", "consommation", "strom", "energie", "energía", "electricidad", "energia",
        "eletricidade", "consumo", "耗电", "节能", "电费", "功耗", "電力", "電気代", "消費電力", "省エネ"]),
    ("rural", &["rural", "rurales", "farm", "farms", "farmer", "farmers", "village", "villages", "countryside",
        "mountain", "pueblo", "pueblos", "aldea", "campagne", "dorf", "dörfer", "ländlich", "campagna", "地方",
        "山間部", "村", "田舎", "农村", "乡村", "山区", "zonas rurales", "zona rural", "zonas rurais"]),
    ("internet", &["internet", "broadband", "fibre", "fiber", "connectivity", "isp", "starlink", "banda ancha",
        "fibra", "光回線", "回線", "インターネット", "宽带", "网络接入", "co-op", "coop", "co-ops", "cooperative"]),
    ("sso", &["sso", "sign-on", "signon", "okta", "keycloak", "authentik", "entra", "saml", "oidc",
        "single sign-on", "single sign on", "シングルサインオン", "单点登录", "identity"]),
    ("kids", &["kid", "kids", "child", "children", "teen", "teens", "teenager", "teenagers", "parental",
        "screen time", "niños", "hijos", "enfants", "kinder", "crianças", "filhos", "bambini", "子供", "子ども",
        "孩子", "儿童"]),
    ("mail-delivery", &["deliverability", "spf", "dkim", "dmarc", "gmail", "spam folder", "inbox", "junk",
        "caixa de entrada", "bandeja de entrada", "zustellung", "posteingang", "lands in spam", "goes to spam",
        "迷惑メール", "垃圾邮件"]),
    ("email", &["email", "e-mail", "emails", "e-mails", "mail", "mails", "correo", "courriel", "メール", "邮件"]),
    ("homelab", &["homelab", "home-lab", "home lab", "server", "servers", "rack", "nas", "家庭实验室", "服务器",
        "サーバー", "サーバ", "tower", "towers"]),
    ("monitoring", &["monitoring", "monitor", "prometheus", "grafana", "alerting", "nagios", "zabbix",
        "uptime", "überwachung", "supervision", "monitoreo", "監視", "监控"]),
    ("backup", &["backup", "backups", "back-up", "back up", "backing up", "restore", "restores", "restoring",
        "restauration", "restaurer", "restaure", "restaurar", "wiederherstellung", "sauvegardes", "sauvegarde",
        "sicherung", "datensicherung", "copia de seguridad", "copias de seguridad", "cópias de segurança",
        "cópia de segurança", "バックアップ", "备份"]),
    ("dns", &["dns", "resolver", "resolvers", "resolvedor", "résolveur", "pi-hole", "pihole", "unbound", "adguard",
        "dnsmasq", "namensauflösung", "名前解決", "域名解析"]),
    ("password", &["password", "passwords", "vaultwarden", "bitwarden", "keepass", "1password", "passkey", "2fa", "mfa",
        "two-factor", "authenticator",
        "passkeys", "mot de passe", "passwort", "contraseña", "senha", "パスワード", "密码"]),
    ("chat", &["chat", "matrix", "element", "messenger", "whatsapp", "slack", "discord", "mattermost"]),
    ("mesh", &["mesh", "meshtastic", "lora", "freifunk", "guifi"]),
    // Mesh kit in a house is Wi-Fi; "mesh" alone is a community network.
    ("wifi", &["wifi", "wi-fi", "wireless", "access point", "access points", "roaming", "wlan", "mesh kit",
        "mesh wi-fi", "mesh wifi", "mesh system", "mesh systems", "mesh router", "mesh routers", "mesh node",
        "mesh nodes", "無線lan", "ワイファイ", "无线网络"]),
    ("vpn", &["vpn", "wireguard", "ipsec", "openvpn", "tailscale", "zerotier", "remote access", "split tunnelling",
        "split tunneling", "fernzugriff", "acceso remoto", "accès à distance", "acesso remoto", "リモートアクセス",
        "远程访问"]),
    ("old-building", &["old house", "old houses", "older house", "older houses", "old home", "old homes",
        "older homes", "old building", "old buildings", "victorian", "thick walls", "stone walls",
        "lath-and-plaster", "plaster walls", "altbau", "altbauten", "dicke wände", "dicken wänden",
        "vieille maison", "vieilles maisons", "maison ancienne", "murs épais", "casa antigua", "casas antiguas",
        "casa vieja", "paredes gruesas", "casa antiga", "古い家", "古民家", "老房子"]),
    ("smart-home", &["smart home", "home assistant", "home automation", "iot", "zigbee", "z-wave", "domotique",
        "hausautomation", "domótica", "casa inteligente", "スマートホーム", "智能家居", "smart", "smart plug",
        "smart plugs", "smart speaker", "smart speakers", "smart bulbs"]),
    ("tv", &["smart tv", "smart tvs", "tv", "tvs", "television", "televisions", "fernseher", "télé", "téléviseur",
        "televisor", "televisão", "テレビ", "电视"]),
    ("vlan", &["vlan", "vlans", "segmentation", "segmenting", "segment", "segmented", "guest network",
        "separate network", "own network", "subnet", "subnets", "netzwerksegmentierung", "réseau invité",
        "red de invitados", "ゲストネットワーク"]),
    ("tls", &["tls", "ssl", "https", "certificate", "certificates", "let's encrypt", "letsencrypt", "certbot",
        "zertifikat", "zertifikate", "certificat", "certificats", "certificado", "certificados", "証明書", "证书"]),
    ("ups", &["ups", "battery backup", "power cut", "power cuts", "power outage", "power outages", "outage",
        "outages", "blackout", "brownout", "stromausfall", "usv", "coupure de courant", "onduleur", "apagón",
        "停電", "停电"]),
    ("selfhost", &["self-host", "self-hosted", "self-hosting", "selfhosted", "selfhosting", "host my own",
        "host your own", "hosting", "run my own", "run your own", "running my own", "running your own",
        "my own", "your own", "at home", "auto-hébergement", "auto-hébergé", "selbst hosten", "autoalojado",
        "自宅", "自建"]),
    ("privacy", &["privacy", "tracking", "tracker", "trackers", "gdpr", "surveillance", "spy", "spying", "vie privée",
        "datenschutz", "privacidad", "privacidade", "riservatezza", "プライバシー", "隐私"]),
    ("ai", &["ai", "llm", "llms", "chatgpt", "copilot", "machine learning", "artificial intelligence",
        "intelligence artificielle", "künstliche intelligenz", "inteligencia artificial", "inteligência artificial",
        "intelligenza artificiale", "人工知能", "人工智能"]),
    ("raspberry-pi", &["raspberry", "pi", "rpi"]),
    ("linux", &["linux", "ubuntu", "debian", "fedora", "mint"]),
    ("phone", &["phone", "phones", "smartphone", "smartphones", "android", "iphone", "ios", "mobile",
        "handy", "teléfono", "móvil", "movil", "celular", "telefone", "portable", "スマホ", "手机"]),
    ("cloud-files", &["nextcloud", "owncloud", "seafile", "syncthing", "dropbox", "file sharing", "file sync"]),
    ("scams", &["scam", "scams", "phishing", "fraud", "estafa", "arnaque", "betrug", "golpe", "truffa", "詐欺",
        "诈骗"]),
    ("encryption", &["encryption", "encrypt", "encrypted", "pgp", "gpg", "chiffrement", "verschlüsselung",
        "cifrado", "criptografia", "暗号化", "加密"]),
    ("seniors", &["senior", "seniors", "elderly", "older people", "older adults", "older relatives",
        "aging parents", "ageing parents", "elderly parents", "grandparents", "grandma",
        "grandpa", "retirees", "personnes âgées", "senioren", "mayores", "idosos", "anziani", "高齢者", "老人"]),
    ("accessibility", &["accessibility", "accessible", "a11y", "screen reader", "blind", "disabled",
        "accessibilité", "barrierefreiheit", "accesibilidad", "acessibilidade"]),
    ("repair", &["repair", "right to repair", "e-waste", "refurbished", "refurbish", "refurbishing",
        "recycling", "recycle", "old laptops", "réparation", "reparatur", "reparación", "reparação",
        "riparazione", "修理", "维修"]),
    ("photos", &["photo", "photos", "pictures", "picture", "photography", "immich", "photoprism",
        "google photos", "icloud photos", "fotos", "foto", "photothèque", "bilder", "fotografie", "写真",
        "照片"]),
    ("library", &["library", "libraries", "librarian", "librarians", "bibliothèque", "bibliothèques",
        "bibliothek", "bibliotheken", "biblioteca", "bibliotecas", "図書館", "图书馆"]),
    ("video-calls", &["video call", "video calls", "video chat", "video calling", "videocall", "zoom",
        "facetime", "skype", "jitsi", "visio", "videollamada", "videochamada", "videoanruf", "ビデオ通話",
        "视频通话"]),
    ("security", &["security", "firewall", "sécurité", "sicherheit", "seguridad", "segurança"]),
];

/// The content words of a phrase, each mapped to its concept when it has one.
pub(crate) fn content_words(phrase: &str) -> Vec<String> {
    content_words_with(phrase, &[])
}

fn content_words_with(phrase: &str, synonyms: &[Vec<String>]) -> Vec<String> {
    let l = phrase.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if !out.contains(&w) {
            out.push(w);
        }
    };
    // Multi-word and CJK entries are found as substrings; their words are
    // then spoken for ("mesh kit" is Wi-Fi, so "mesh" alone is not read).
    let mut covered: Vec<&str> = Vec::new();
    for (concept, words) in CONCEPTS {
        for w in words.iter().filter(|w| {
            (w.contains(' ') || !w.is_ascii()) && w.chars().count() > 1 && l.contains(*w)
        }) {
            push(format!("#{concept}"));
            covered.extend(w.split(' '));
        }
    }
    for syn in synonyms {
        if syn
            .iter()
            .any(|w| w.contains(' ') && l.contains(&w.to_lowercase()))
        {
            push(format!(
                "#syn:{}",
                syn.first().map(String::as_str).unwrap_or("").to_lowercase()
            ));
        }
    }
    for raw in l.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '/' || c == '\'')) {
        let w = raw.trim_matches(['-', '\'', '/']);
        if w.is_empty()
            || STOP.contains(&w)
            || covered.contains(&w)
            || w.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        if let Some(syn) = synonyms
            .iter()
            .find(|s| s.iter().any(|x| x.eq_ignore_ascii_case(w)))
        {
            push(format!(
                "#syn:{}",
                syn.first().map(String::as_str).unwrap_or(w).to_lowercase()
            ));
            continue;
        }
        if let Some((concept, _)) = CONCEPTS
            .iter()
            .find(|(_, ws)| ws.contains(&w) || ws.contains(&stem(w).as_str()))
        {
            push(format!("#{concept}"));
            continue;
        }
        // A compound the lexicon lacks ("Handy-Backups"): its parts.
        if w.contains('-') && !w.chars().any(is_cjk) {
            for part in content_words_with(&w.replace('-', " "), synonyms) {
                push(part);
            }
            continue;
        }
        if w.chars().any(is_cjk) {
            for part in cjk_words(w) {
                push(part);
            }
            continue;
        }
        if w.chars().count() < 3 {
            continue;
        }
        push(stem(w));
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Hiragana is grammar (particles, endings), not subject.
fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x309f)
}

/// Words of a CJK run, which has no spaces: Latin letters inside it are
/// words ("AI活用" -> "ai", mapped to its concept), and the rest is taken
/// as overlapping pairs of characters, leaving out pairs of kana grammar.
fn cjk_words(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut latin = String::new();
    let chars: Vec<char> = token.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // "Wi-Fi" inside a CJK run is one Latin word.
        if c.is_ascii_alphanumeric() || (c == '-' && !latin.is_empty()) {
            latin.push(c);
            continue;
        }
        if !latin.is_empty() {
            out.push(concept_of(&latin).unwrap_or_else(|| latin.clone()));
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
        out.push(concept_of(&latin).unwrap_or(latin));
    }
    out
}

fn concept_of(w: &str) -> Option<String> {
    CONCEPTS
        .iter()
        .find(|(_, ws)| ws.contains(&w) || ws.contains(&stem(w).as_str()))
        .map(|(c, _)| format!("#{c}"))
}

/// A group of requests for one subject.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: String,
    pub label: String,
    /// Indices into the requests given to [`group`].
    pub members: Vec<usize>,
}

/// Group requests (phrases) that name the same subject: two phrases meet
/// when they share a concept, or when most of the shorter one's content
/// words are in the other. Requests join groups in order (the store's
/// order, so groups are stable from one run to the next).
pub(crate) fn group(phrases: &[&str], synonyms: &[Vec<String>]) -> Vec<Group> {
    let words: Vec<Vec<String>> = phrases
        .iter()
        .map(|p| content_words_with(p, synonyms))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for (i, phrase) in phrases.iter().enumerate() {
        // Join the group whose members this request matches best, and only
        // if it matches at least half of them: a request that shares one
        // word with one member cannot chain two subjects together.
        let best = groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let hits = group
                    .members
                    .iter()
                    .filter(|&&m| same_subject(&words[i], &words[m]))
                    .count();
                (g, hits, group.members.len())
            })
            .filter(|&(_, hits, n)| hits > 0 && hits * 2 >= n)
            .max_by(|a, b| (a.1 * b.2).cmp(&(b.1 * a.2)).then(b.0.cmp(&a.0)));
        match best {
            Some((g, _, _)) => groups[g].members.push(i),
            None => groups.push(Group {
                key: String::new(),
                label: phrase.to_string(),
                members: vec![i],
            }),
        }
    }
    for g in &mut groups {
        g.key = group_key(g, &words);
    }
    groups
}

fn same_subject(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let is_subject = |w: &&String| {
        w.starts_with('#')
            && ![GENERIC, AUDIENCE, SETTING]
                .iter()
                .any(|set| set.contains(&w.as_str()))
    };
    let shared: Vec<&String> = a
        .iter()
        .filter(|w| b.iter().any(|v| v == *w || cognates(w, v)))
        .collect();
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
    if shared.iter().any(|w| AUDIENCE.contains(&w.as_str())) {
        return true;
    }
    // Two broad concepts together are a subject: "self-hosted email" and
    // "running my own mail server".
    if shared
        .iter()
        .filter(|w| GENERIC.contains(&w.as_str()))
        .count()
        >= 2
    {
        return true;
    }
    let plain = shared
        .iter()
        .filter(|w| !w.starts_with('#') && w.chars().count() >= 4)
        .count();
    let smaller = a.len().min(b.len());
    // Two shared content words; or one distinctive word ("Linux for my
    // parents" / "switching to Linux", "solar panels" / "placas solares").
    let long = shared
        .iter()
        .filter(|w| !w.starts_with('#') && w.chars().count() >= 5)
        .count();
    plain >= 1 && (shared.len() >= 2 || smaller <= 2 || long >= 1)
}

/// Words of one root across forms and languages: "solar"/"solares",
/// "privacy"/"privacidad", "encrypt"/"encryption". A long shared start
/// (five letters, and three quarters of the shorter word) is the cheap test.
fn cognates(a: &str, b: &str) -> bool {
    if a.starts_with('#') || b.starts_with('#') {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    common >= 5 && common * 4 >= shorter * 3
}

/// Concepts that say who a piece is for, not what it is about.
const AUDIENCE: &[&str] = &["#kids", "#seniors", "#rural"];

/// Concepts that say where a subject sits ("in old houses"), not what it
/// is; unlike an audience, sharing one alone makes no topic.
const SETTING: &[&str] = &["#old-building"];

/// Concepts too broad to make two requests one subject on their own.
const GENERIC: &[&str] = &[
    "#email",
    "#homelab",
    "#internet",
    "#security",
    "#phone",
    "#selfhost",
];

/// The key of a group is its first request's content words, sorted: later
/// requests joining the group do not change it, so the store's topic id,
/// state and the owner's merges stay with it.
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
    use crate::classify::Source;

    fn topics_of(text: &str, call: bool) -> Vec<String> {
        let place = Place {
            source: Source::Direct,
            names: crate::owner::Owner::new("Dana", &["dana@x.example"])
                .names()
                .clone(),
            to_owner: true,
            owner_only_cc: false,
            other_names: Vec::new(),
            reply_to_owner: call,
            call_for_topics: call,
            list_name: None,
        };
        requests(&super::super::sentences(text), &place, &mut Vec::new())
            .into_iter()
            .map(|t| t.phrase)
            .collect()
    }

    #[test]
    fn requests_in_many_shapes_become_short_phrases() {
        let cases = [
            (
                "Have you ever considered writing about e-waste from old laptops?",
                "e-waste from old laptops",
            ),
            (
                "Backups for photographers would make a great column.",
                "Backups for photographers",
            ),
            ("Could you explain passkeys in a future column?", "passkeys"),
            (
                "Idea for a future column: mesh Wi-Fi for big old houses.",
                "mesh Wi-Fi for big old houses",
            ),
            (
                "I'd love a post on running Home Assistant without the cloud.",
                "running Home Assistant without the cloud",
            ),
            (
                "Zou je een artikel over thuisnetwerken kunnen schrijven?",
                "thuisnetwerken kunnen schrijven",
            ),
        ];
        for (text, want) in cases {
            let got = topics_of(text, false);
            assert!(
                got.iter()
                    .any(|g| g.starts_with(want) || want.starts_with(g.as_str())),
                "{text:?} -> {got:?}"
            );
        }
        assert_eq!(
            topics_of("What about printers that still work with Linux?", true).len(),
            1
        );
        assert!(topics_of("What about printers that still work with Linux?", false).is_empty());
        assert!(
            topics_of(
                "You wrote about routers in your column - which one do you use?",
                false
            )
            .is_empty()
        );
        assert!(
            topics_of(
                "It's good to see someone write about the volunteers.",
                false
            )
            .is_empty()
        );
    }

    #[test]
    fn more_request_shapes_and_what_is_not_one() {
        let cases = [
            (
                "Would love a deep dive on IPv6 at home some time.",
                "IPv6 at home",
            ),
            (
                "I'd read anything you wrote on IPv6 for home connections, honestly.",
                "IPv6 for home connections",
            ),
            (
                "A column walking through a WireGuard tunnel back home would be really useful.",
                "WireGuard tunnel back home",
            ),
            (
                "Someday I hope you tackle smart TV privacy.",
                "smart TV privacy",
            ),
            (
                "Column idea -- how to choose a UPS for a small rack.",
                "choose a UPS",
            ),
            (
                "What I'd really like to see is a column about Let's Encrypt.",
                "Let's Encrypt",
            ),
            (
                "Me encantaría que escribieras sobre redes mesh en casas viejas.",
                "redes mesh",
            ),
            (
                "Schreib doch mal über Backups für Fotografen!",
                "Backups für Fotografen",
            ),
            (
                "J'aimerais beaucoup que tu écrives sur le chiffrement des sauvegardes.",
                "le chiffrement",
            ),
            (
                "It'd be great to see you cover Pi-hole some time.",
                "Pi-hole",
            ),
            (
                "A beginner's guide to WireGuard would be amazing.",
                "WireGuard",
            ),
            ("ぜひ次のコラムでIPv6を取り上げてください。", "IPv6"),
            (
                "I'm curious what you'd say about mesh Wi-Fi versus access points - maybe a future column?",
                "mesh Wi-Fi",
            ),
            (
                "Isn't it time someone wrote a proper guide to DNS over HTTPS?",
                "DNS over HTTPS",
            ),
        ];
        for (text, want) in cases {
            let got = topics_of(text, false);
            assert!(
                got.iter().any(|g| g.starts_with(want)),
                "{text:?} -> {got:?}"
            );
        }
        for text in [
            "Your column on IPv6 was great, I set it up last weekend.",
            "I covered the same ground in my own blog last year.",
            "Thanks for writing about backups, it saved my photos.",
            "It would be great if my ISP supported IPv6 at all.",
            "Do you have a link to the article about WireGuard you mentioned?",
            "I'm writing a thesis on rural broadband, could we talk?",
            "The coverage on my street is terrible, any tips?",
            "Isn't it strange how a single column can change a habit of twenty years?",
        ] {
            assert!(topics_of(text, false).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn calls_for_topics_by_form() {
        assert!(is_call_for_topics(
            "Re: What should my column cover in the new year?"
        ));
        assert!(is_call_for_topics(
            "Which topics would you like me to tackle?"
        ));
        assert!(!is_call_for_topics("What did you think of my column?"));
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
}
