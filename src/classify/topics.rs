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

use std::collections::HashSet;
use std::sync::LazyLock;

use super::{Phrases, Place, Reason, Rule, Sentence, TopicRequest};
use crate::lang::{self, one_of};

/// Does this text (a subject, a post title, the quoted post) ask readers
/// what to write about?
pub(crate) fn is_call_for_topics(text: &str) -> bool {
    call_for_topics_in(&text.to_lowercase())
}

/// [`is_call_for_topics`] for text in lower case already.
pub(crate) fn call_for_topics_in(l: &str) -> bool {
    static CALLS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.calls)));
    CALLS.any_in(l) || asks_what_to_write(l, false)
}

/// [`is_call_for_topics`] for the owner's own words: the owner need not
/// be named ("The members' site is doing a winter series. What would you
/// like covered?").
pub(crate) fn is_owners_call(text: &str) -> bool {
    let l = text.to_lowercase();
    call_for_topics_in(&l) || asks_what_to_write(&l, true)
}

/// The owner's question about their own writing, in any wording: a
/// question word, the owner (I, me, my column), and a verb or noun of
/// writing ("What should my column cover in the new year?", "Which topic
/// would you like me to tackle?").
fn asks_what_to_write(l: &str, by_owner: bool) -> bool {
    // Each question on its own: the words before a "?", back to the end of
    // the sentence before it (at most a few lines, so a quoted call wrapped
    // over lines still counts).
    let mut from = 0;
    for (q, _) in l.match_indices('?') {
        // "?foo" (R's help) is no question's end.
        if l[q + 1..].starts_with(char::is_alphanumeric) {
            continue;
        }
        let head = &l[from..q];
        let start = head.rfind(['.', '!']).map_or(0, |i| i + 1);
        let start = boundary_at(l, (from + start).max(q.saturating_sub(400)));
        let [_, owner, writing, ahead] = call_words(&l[start..q]);
        // The question word opens the question ("What should I cover?",
        // "So, any ideas for ...?"); further in, "was" or "che" is a word
        // of another sentence ("if you don't like the way this was done").
        let asked = &l[start..q];
        // (After a label's colon or a paragraph break: "Cross-posting my
        // usual request: what should the podcast cover next?")
        let cut = [
            asked.rfind(':').map(|i| i + 1),
            asked.rfind("\n\n").map(|i| i + 2),
        ];
        let asked = asked[cut.into_iter().flatten().max().unwrap_or(0)..].trim();
        let asked = if asked.is_empty() {
            &l[start..q]
        } else {
            asked
        };
        // It may open the last clause after a lead-in ("Now that the
        // season is done, which episode should we record next?"), which
        // then asks of writing and the future itself ("I watched your
        // episode on RAID, which drives should I buy next?" does not).
        let opening = |at: usize| {
            let o: String = asked[at..]
                .split_whitespace()
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            call_words(&o[..boundary_at(&o, o.len().min(60))])[0]
        };
        let question = opening(0)
            || asked
                .rfind([',', ';', '–', '—'])
                .map(|i| i + asked[i..].chars().next().map_or(1, char::len_utf8))
                .is_some_and(|at| {
                    let [_, _, w, a] = call_words(&asked[at..]);
                    opening(at) && w && a
                });
        if !(question && ahead) {
            from = q + 1;
            continue;
        }
        // The owner may be named in the paragraph's sentences before it:
        // "I'm planning a spring series. What would you like covered?"
        let before = || {
            let near = boundary_at(l, start.saturating_sub(400));
            let para = l[near..start].rfind("\n\n").map_or(0, |i| near + i + 2);
            call_words(&l[boundary_at(l, para.max(near))..start])
        };
        // The owner's own words may say what is planned first: "I'm
        // planning next month's videos. What would you like to see?"
        let writing = writing
            || by_owner && {
                let [_, o, w, _] = before();
                o && w
            };
        if writing && (by_owner || owner || before()[1]) {
            return true;
        }
        from = q + 1;
    }
    false
}

/// The first char boundary of `l` at or after byte `i`.
fn boundary_at(l: &str, mut i: usize) -> usize {
    while !l.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Which of a call's words a question holds: a question word, the owner,
/// writing, looking ahead, in any of the languages (`call_*` in src/lang).
fn call_words(sentence: &str) -> [bool; 4] {
    static WORDS: LazyLock<[HashSet<&'static str>; 4]> = LazyLock::new(|| {
        let t = &lang::WORDS.topics;
        let set = |v: &'static [String]| v.iter().map(String::as_str).collect();
        [
            set(&t.call_question),
            set(&t.call_owner),
            set(&t.call_writing),
            set(&t.call_ahead),
        ]
    });
    let mut seen = [false; 4];
    // Elided words stand apart: "j'écrive" is "j" and "écrive".
    for w in sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        for (k, set) in WORDS.iter().enumerate() {
            seen[k] |= set.contains(w);
        }
    }
    seen
}

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
    // The first request found in an aside ("Late to this, sorry."), kept
    // for a message that asks for nothing else.
    let mut aside: Option<(&str, String, String)> = None;
    static NOT_TOPICS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.not_topics)));
    for (i, s) in all.iter().enumerate() {
        // "Élise, tu aurais un billet sur X ?": asked of another member.
        // "Not a topic, but does anyone else here have ...?": asked of
        // everyone, not a subject for the owner. Whom a sentence speaks to
        // is read only for one that asks for something (most ask nothing).
        let for_another = std::cell::OnceCell::new();
        let for_another = || {
            *for_another.get_or_init(|| {
                super::asks::calls_on_another(&s.text, place) || super::asks::to_group(&s.text)
            })
        };
        // An invitation to a panel or a podcast, a pitch: no subject asked for.
        if let Some(cue) = NOT_TOPICS
            .first_in(&lower[i])
            .or_else(|| invited_to_speak(&lower[i]))
        {
            if asks_for_writing(&lower[i]) && !for_another() {
                reasons.push(Reason::new(
                    Rule::NoTopics,
                    format!("an invitation or a pitch (\"{cue}\"), not a subject to write about"),
                    &s.text,
                ));
            }
            continue;
        }
        // "un episodio sul X e uno su Y": a second request in the sentence
        // (the first cue of the list it holds, where that is first found).
        if let Some(cue) = ANOTHER.first_in(&lower[i])
            && let Some(at) = lower[i].find(cue)
            && let Some(p) = subject(&s.text[byte_at(&s.text, &lower[i], at + cue.len())..])
        {
            if for_another() {
                continue;
            }
            let words_of = crate::subjects::keys(&p, &[]);
            if !out.iter().any(|t| {
                crate::subjects::same_subject(&crate::subjects::keys(&t.phrase, &[]), &words_of)
            }) {
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
        // "Two ideas for future posts, if you are taking requests: X, and
        // Y.": the ideas the sentence announces, listed after its colon.
        // (`ideas_list` says whether any sentence announces ideas at all.)
        let listed = if ideas_list {
            listed_ideas(&s.text, &lower[i])
        } else {
            Vec::new()
        };
        if !listed.is_empty() {
            if for_another() {
                continue;
            }
            for p in &listed {
                if out.len() >= 5 {
                    break;
                }
                let rule = "one of the ideas a sentence lists";
                add_request(&mut out, reasons, rule, tidy(p), s.text.clone());
            }
            continue;
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
        let Some((mut rule, mut phrase)) = found else {
            continue;
        };
        // "Un sujet qui me tient à cœur : la réparation des lecteurs
        // optiques.": under a call, a label before a colon ("un sujet ...
        // à" read as a piece and its subject) introduces the subject after
        // it; such a label may run to eight words.
        if place.call_for_topics
            && let Some((idea_at, labelled)) = labelled_idea_within(&s.text, &lower[i], 8)
            && let Some(at) = s.text.find(phrase.trim())
            && at + phrase.trim().len() <= idea_at
        {
            (rule, phrase) = ("a suggestion under the call for topics", labelled);
        }
        if for_another() || super::asks::figure_of_speech(&lower[i]) || says_when(&phrase) {
            continue;
        }
        let mut words = s.text.clone();
        if points_back(&phrase)
            && let Some(own) = clause_before_the_request(&s.text)
        {
            phrase = own;
        } else if points_back(&phrase) {
            match all[..i].iter().rev().find(|p| !p.text.trim().is_empty()) {
                Some(prev) => {
                    phrase = reduce(&prev.text);
                    // The asker's words: the subject, then the request.
                    words = format!("{} {}", prev.text, s.text);
                }
                None => continue,
            }
        }
        // "... on the legal side next? Specifically what I'm obliged to
        // report ...": the next sentence names a subject of three words at
        // most more narrowly, and the title says both ("legal side: what I'm
        // obliged to report").
        let mut title = tidy(&phrase);
        if title.split_whitespace().count() <= 3
            && let Some(next) = all.get(i + 1)
            && let Some(narrower) = narrowed(&next.text, &lower[i + 1])
        {
            title = format!("{title}: {narrower}");
            words = format!("{words} {}", next.text);
        }
        // "Late to this, sorry.": an aside is a request only when the
        // message asks for nothing else.
        if ASIDES.any_in(&lower[i]) {
            aside.get_or_insert((rule, title, words));
            continue;
        }
        add_request(&mut out, reasons, rule, title, words);
        if out.len() >= 5 {
            break;
        }
    }
    if out.is_empty()
        && let Some((rule, title, words)) = aside
    {
        add_request(&mut out, reasons, rule, title, words);
    }
    out
}

/// The subject a sentence opening with a narrowing word names
/// ("Specifically how you use the old county maps", "En concreto, ..."),
/// when it names one.
fn narrowed(s: &str, l: &str) -> Option<String> {
    let lead = lang::WORDS.topics.specifics.iter().find(|w| {
        l.strip_prefix(w.as_str())
            .is_some_and(|rest| rest.starts_with([' ', ',', ':']))
    })?;
    let rest = &s[byte_at(s, l, lead.len())..];
    subject(rest.trim_start_matches([',', ':', ' ']))
}

/// Keep one request, with its reason, unless it names nothing or a
/// subject the message already asked for.
fn add_request(
    out: &mut Vec<TopicRequest>,
    reasons: &mut Vec<Reason>,
    rule: &str,
    phrase: String,
    words: String,
) {
    let words_of = crate::subjects::keys(&phrase, &[]);
    let again = out.iter().any(|t| {
        t.phrase == phrase
            || crate::subjects::same_subject(&crate::subjects::keys(&t.phrase, &[]), &words_of)
    });
    if words_of.is_empty() || again {
        return;
    }
    reasons.push(Reason::new(Rule::Topic, rule, &words));
    out.push(TopicRequest { phrase, words });
}

/// The `another` cues as whole words: " and one on ".
static ANOTHER: LazyLock<Phrases> = LazyLock::new(|| {
    let padded: Vec<String> = lang::WORDS
        .topics
        .another
        .iter()
        .map(|c| format!(" {c} "))
        .collect();
    Phrases::new(lang::phrases(Box::leak(padded.into_boxed_slice())))
});

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
    if let Some(x) = deserves_a_piece(s, l) {
        return Some(x);
    }
    // "Volevo chiedervi se ... potesse parlare di X": a question put as a
    // statement wishes as a question does.
    let wish = call
        || l.contains('?')
        || l.starts_with('¿')
        || WISHES.any_in(&lang::without_intensifiers(l))
        || conditional(l)
        || super::asks::restated_in(l);
    if !wish || (!l.contains('?') && of_an_existing_piece(l)) {
        return None;
    }
    let toks = word_spans(l);
    let word = |i: usize| &l[toks[i].0..toks[i].1];
    let is = one_of;
    // "o PDF do programa do workshop": another thing's piece.
    let of_another = |i: usize| {
        let head = l[..toks[i].0].trim_end();
        t.of_the.iter().any(|o| {
            head.strip_suffix(o.as_str())
                .is_some_and(|h| h.is_empty() || h.ends_with(' '))
        })
    };
    // "do one on X": "one" is a piece when a preposition follows it.
    let pronoun_piece = |j: usize| {
        is(&t.piece_pronouns, word(j)) && j + 1 < toks.len() && is(&t.preps, word(j + 1))
    };
    let piece_near = |i: usize| {
        (i + 1..(i + 5).min(toks.len()))
            .find(|&j| (is(&t.pieces, word(j)) || pronoun_piece(j)) && !of_another(j))
    };
    // "dedicar un episodio a la amplificación": "a" with its article.
    let dative_at =
        |k: usize| word(k) == "a" && determiner((k + 1 < toks.len()).then(|| word(k + 1)));
    let from = |at: usize| byte_at(s, l, at);
    for i in 0..toks.len() {
        let w = word(i);
        let verb = is(&t.verbs, w);
        let talk = is(&t.talk_verbs, w);
        let make = is(&t.make_verbs, w) && piece_near(i).is_some();
        // "hear you on X"; under the owner's call, "hear how you X" too.
        let hears_you = is(&t.hear_verbs, w)
            && (call || i + 1 < toks.len() && is(&lang::WORDS.asks.second_person, word(i + 1)));
        let read = (is(&t.read_verbs, w) || hears_you) && !l.contains('?') && !l.starts_with('¿');
        let before = i.checked_sub(1).map(word);
        // A "how" within the next three words; with `amounts`, not "how
        // long", "how much".
        let how_follows = |amounts: bool| {
            (i + 1..(i + 4).min(toks.len())).any(|j| {
                is(&t.how_words, word(j))
                    && !(amounts && j + 1 < toks.len() && is(&t.how_amounts, word(j + 1)))
            })
        };
        // "zeigen, wie du X", "enseñarnos cómo X": a piece that shows how;
        // "erklären, wie man X", but not "explain how long you'd keep it"
        // nor "explain what goes wrong". ("on the show, was that ...?" is
        // a noun.)
        let shows = (is(&t.show_verbs, w) && how_follows(false)
            || is(&t.explain_how_verbs, w) && how_follows(true))
            && !determiner(before);
        // "a deep dive into X": a piece of two words.
        let two_words = before.is_some_and(|b| is(&t.pieces, &format!("{b} {w}")));
        // "in the last episode", "in der letzten Folge": one already out.
        let earlier = before.is_some_and(|b| is(&t.earlier, b));
        // "in our club newsletter": the writer's own piece, two words back.
        let own_two_back = i >= 2 && is(&t.own_possessives, word(i - 2));
        // "Ottima nota sulla X, ma ...", "Great post on X": an opening that
        // praises a piece out already ("Un ottimo articolo sulla X sarebbe
        // utile", with its article, wishes for one).
        let praised = i == 1 && before.is_some_and(|b| is(&t.praise, b));
        let piece = ((is(&t.pieces, w) || two_words)
            && !possessive(before)
            && !earlier
            && !own_two_back
            && !praised
            || is(&t.next_pieces, w)
                && possessive(before)
                && (i + 1 < toks.len())
                && (dative_at(i + 1) || is(&t.preps, word(i + 1))))
            && !of_another(i);
        // "the talk on Friday" is a noun, not a verb.
        let noun = determiner(before);
        // "Follow-up though: when you ...?": a piece word heading the
        // sentence as its label, not a piece asked for ("Post idea: X" is).
        let label = i == 0
            && piece
            && l[toks[i].1..].split_once(':').is_some_and(|(between, _)| {
                let w: Vec<&str> = between.split_whitespace().collect();
                w.len() <= 1 && !w.iter().any(|w| is(&t.idea_labels, w))
            });
        let anchored = ((verb || talk) && !noun || make || piece || read || shows) && !label;
        if !anchored || about_the_past(&l[..toks[i].0]) {
            continue;
        }
        // "Which earlier episode had X?", "¿en qué artículo hablaste de X?":
        // a piece asked after is one that exists.
        let asked_after = |j: Option<usize>| j.is_some_and(|j| is(&t.clauses, word(j)));
        if piece
            && (asked_after(i.checked_sub(1))
                || asked_after(i.checked_sub(2)) && !determiner(before))
        {
            continue;
        }
        // A title right after the piece: 'un article « ZFS pour les débutants »'.
        if piece
            && let Some(q) = quoted_after(&s[from(toks[i].1)..])
            && let Some(x) = subject(&q)
        {
            return Some(x);
        }
        // A verb that ends its clause ("über Lampenfieber schreiben, gerade
        // über ...", "über Boxenruhe schreibst: wie man ..."): its subject
        // came before it.
        let clause_ends = l[toks[i].1..]
            .trim_start()
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ',' | '.' | '?' | '!' | ';' | ':'));
        if (verb || talk) && clause_ends {
            let back = (i.saturating_sub(8)..i)
                .rev()
                .find(|&j| is(&t.preps, word(j)));
            // "darüber ... schreiben" points back: read below.
            if let Some(j) = back
                && !is(&t.about_that, word(j))
                && let Some(x) = subject(&s[from(toks[j].1)..from(toks[i].0)])
            {
                return Some(x);
            }
        }
        // A making verb's subject follows its piece ("do a column on X").
        let anchor = if make { piece_near(i).unwrap_or(i) } else { i };
        let reach = (anchor + 9).min(toks.len());
        // "a post that walks through X", "un billet qui explique X".
        if piece || make {
            let explains = (anchor + 1..(anchor + 6).min(toks.len())).find_map(|j| {
                let rest = &l[toks[j].0..];
                t.explains
                    .iter()
                    .filter(|c| rest.starts_with(c.as_str()))
                    .max_by_key(|c| c.len())
                    .map(|c| toks[j].0 + c.len())
            });
            if let Some(at) = explains
                && let Some(x) = subject(&s[from(at)..])
            {
                return Some(x);
            }
        }
        for j in anchor + 1..reach {
            // "parlare dell'allevamento", "parler d'une": an elided
            // preposition is its own word; the subject starts after it.
            let (p, after) = match word(j).split_once(['\'', '’']) {
                Some((pre, rest)) if !rest.is_empty() && is(&t.elided_preps, pre) => {
                    let mark = word(j)[pre.len()..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                    (pre, toks[j].0 + pre.len() + mark)
                }
                _ => (word(j), toks[j].1),
            };
            // "an issue of the newsletter that ...": of what piece, not its subject.
            let piece_of_piece = (j + 1..(j + 3).min(toks.len())).any(|k| is(&t.pieces, word(k)));
            // "hablar algún día de X": a filler may stand between.
            let between = l[toks[anchor].1..toks[j].0].trim_matches([' ', ',']);
            // "hablar en el podcast de X": or where the piece goes.
            let in_piece = || {
                let w: Vec<&str> = between.split_whitespace().collect();
                w.len() <= 8 && w.iter().any(|w| is(&t.pieces, w.trim_matches(',')))
            };
            let next_to = j == anchor + 1 || is(&t.fillers, between) || (talk && in_piece());
            // "dedicar un número entero a la pátina": the piece between.
            let elided = after != toks[j].1;
            let after_piece = ((piece || make || talk || read)
                && next_to
                && (is(&t.piece_preps, p) || elided || dative_at(j))
                || verb && in_piece() && dative_at(j))
                && !piece_of_piece;
            // "Ein ganzer Newsletter dazu wäre ...": the subject came before.
            // ("darüber schreiben, wie man X" names it after.)
            let names_after = (j + 1..(j + 4).min(toks.len()))
                .any(|k| is(&t.clauses, word(k)) && l[toks[j].1..toks[k].0].contains(','));
            if is(&t.about_that, p) && j <= anchor + 2 && !names_after {
                return Some("that".to_string());
            }
            // "... dans un prochain article, surtout les plis et les
            // languettes à tirer": after the comma, another clause's "à".
            let clause_over = l[toks[anchor].1..toks[j].0].contains(',')
                && !is(&t.fillers, between)
                && !in_piece();
            if ((is(&t.preps, p) || elided) && !clause_over || after_piece)
                && let Some(x) = subject(&s[from(after)..])
            {
                return Some(x);
            }
            if j <= anchor + 4
                && is(&t.clauses, p)
                && let Some(x) = subject(&s[from(toks[j].0)..])
            {
                return Some(x);
            }
        }
        // "... write an updated version: X" (not "write it up: would X ...?";
        // nor "dedicar un episodio a los suplentes: la presión ...", whose
        // piece names the subject before the colon).
        let named_before = |c: usize| {
            let end = toks[anchor].1 + c;
            (anchor + 1..toks.len())
                .take_while(|&j| toks[j].1 <= end)
                .any(|j| {
                    let prep = j + 1 < toks.len()
                        && toks[j + 1].1 <= end
                        && (is(&t.preps, word(j + 1)) || dative_at(j + 1));
                    prep && is(&t.pieces, word(j))
                        && subject(&s[from(toks[j + 1].1)..from(end)]).is_some()
                })
        };
        let colon = l[toks[anchor].1..].find(": ");
        // "cover the whole transition, not just the climbing: parking, ...":
        // a verb's direct object, then its details.
        if let Some(c) = colon
            && verb
            && !piece
            && is(&t.direct_verbs, w)
        {
            let object = &l[toks[anchor].1..toks[anchor].1 + c];
            let names_piece = object.split_whitespace().any(|o| is(&t.pieces, o));
            if determiner(object.split_whitespace().next())
                && !names_piece
                && let Some(x) = subject(&s[from(toks[anchor].1)..from(toks[anchor].1 + c)])
            {
                return Some(x);
            }
        }
        if let Some(c) = colon
            && !named_before(c)
        {
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
        // Verb last: "über das Mahnwesen schreiben", "dazu eine Folge machen".
        let verb_like = verb || talk || read || make;
        if verb_like || piece {
            // "Darüber würde ich gern einen Beitrag lesen": the sentence before.
            if is(&t.about_that, word(0)) {
                return Some("that".to_string());
            }
            for j in (i.saturating_sub(8)..i).rev() {
                if is(&t.about_that, word(j)) {
                    return Some("that".to_string());
                }
                // A piece's subject is after it ("a piece on X for our
                // spring issue"), but for "dazu eine Folge".
                if is(&t.preps, word(j)) && verb_like {
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

/// "In Ihrem Beitrag über X schreiben Sie, ...": the sentence speaks of a
/// piece of the owner's that exists ("in your" and a piece), not of one
/// to write ("in your next post" is one to write).
fn of_an_existing_piece(l: &str) -> bool {
    let t = &lang::WORDS.topics;
    t.in_your.iter().any(|p| {
        l.match_indices(p.as_str()).any(|(at, _)| {
            let rest = &l[at + p.len()..];
            let next = rest.split_whitespace().next().unwrap_or("");
            let next = next.trim_matches(|c: char| !c.is_alphanumeric());
            rest.starts_with(' ') && t.pieces.iter().any(|piece| piece == next)
        })
    })
}

/// "How you dealt with the gaps deserves its own post": the subject is
/// what came before the words that say it deserves a piece of its own.
fn deserves_a_piece(s: &str, l: &str) -> Option<String> {
    static DESERVES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.deserves)));
    let t = &lang::WORDS.topics;
    let (at, cue) = DESERVES.leftmost_longest(l)?;
    let after = &l[at + cue.len()..];
    let piece = after
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .take(3)
        .any(|w| t.pieces.iter().any(|p| p == w));
    if !piece || at < 4 {
        return None;
    }
    // "Ce passage mériterait un article à part entière : X": the subject
    // is named after the colon, what came before only points at it.
    if let Some(c) = after.find(": ")
        && let Some(x) = subject(&s[byte_at(s, l, at + cue.len() + c + 2)..])
    {
        return Some(x);
    }
    Some(s[..byte_at(s, l, at)].trim().to_string())
}

/// A verb in the conditional mood ("pediría", "sauverait", "sarebbe"):
/// what a sentence would like, in the languages that inflect it.
fn conditional(l: &str) -> bool {
    let endings = &lang::WORDS.topics.conditional;
    l.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 5)
        .any(|w| endings.iter().any(|e| w.ends_with(e.as_str())))
}

/// "the", "a", "my": what makes the next word a noun.
fn determiner(w: Option<&str>) -> bool {
    w.is_some_and(|w| one_of(&lang::WORDS.topics.determiners, w))
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

/// Does the sentence (lower case) mention writing or a piece at all?
pub(crate) fn asks_for_writing(l: &str) -> bool {
    let t = &lang::WORDS.topics;
    // Scripts written without spaces ("コラムで書いて") are searched, not split.
    let unspaced = |p: &str| p.chars().any(|c| c as u32 >= 0x3040);
    word_spans(l)
        .iter()
        .map(|&(a, b)| &l[a..b])
        .any(|w| t.verbs.iter().chain(&t.pieces).any(|x| x == w))
        || t.piece_words
            .iter()
            .any(|p| unspaced(p) && l.contains(p.as_str()))
}

/// "your column", "tu columna", "the article you mentioned": writing that
/// exists ("the next column" is asked for: its word before is "next").
fn possessive(w: Option<&str>) -> bool {
    w.is_some_and(|w| one_of(&lang::WORDS.topics.definites, w))
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

/// "and", "of", "the", "y", "sulla": words that cannot end a subject.
fn function_word(w: &str) -> bool {
    let t = &lang::WORDS.topics;
    let a = &lang::WORDS.asks;
    let lead = |l: &String| l.trim_end_matches([' ', '\'', '’']) == w;
    a.conjunctions.iter().any(|x| x == w)
        || t.preps.iter().any(|x| x == w)
        || t.piece_preps.iter().any(|x| x == w)
        || t.clauses.iter().any(|x| x == w)
        || t.leads.iter().any(lead)
}

/// A subject is at most this many words: eight would read more like a
/// working title, but cuts words that group ("na caixa de entrada").
const MAX_SUBJECT_WORDS: usize = 10;

/// The subject at the start of `rest`: up to its first boundary, without
/// leading articles and trailing fillers, at most ten words; `None` when
/// nothing of substance is left.
fn subject(rest: &str) -> Option<String> {
    let p = tidy(rest);
    let mut words: Vec<&str> = p.split_whitespace().collect();
    let cut = words.len() > MAX_SUBJECT_WORDS;
    words.truncate(MAX_SUBJECT_WORDS);
    // A subject ends on a word of substance, not "and", "of the"; one cut
    // short, not on a function word of its language either ("a much
    // bigger audience it", "lieber löten oder").
    let phrase = words.join(" ");
    while words.len() > 1 && {
        let last = words[words.len() - 1].trim_matches(|c: char| !c.is_alphanumeric());
        let last = last.to_lowercase();
        last.is_empty()
            || function_word(&last)
            || cut && crate::subjects::is_function_word(&last, &phrase)
    } {
        words.pop();
    }
    let p = words
        .join(" ")
        .trim_end_matches([',', ';', ':', '(', ' '])
        .to_string();
    let keys = crate::subjects::keys(&p, &[]);
    // "my Spanish": a place or a language that is the writer's own.
    let only_places = keys.iter().all(|k| k.starts_with("=@"));
    let first = p.split_whitespace().next().unwrap_or("").to_lowercase();
    let own = lang::WORDS.topics.own_possessives.contains(&first);
    let junk = keys.is_empty() || (only_places && own) || says_when(&p) || points_back(&p);
    (!junk).then_some(p)
}

/// "Two ideas for your column", "some topics", "suggestions:".
fn announces_ideas(s: &str) -> bool {
    ANNOUNCES.any_in(&s.to_lowercase())
}

/// The subjects a sentence that announces ideas lists after its colon,
/// parted by "; " or a comma and a conjunction (`[topics] list_joins`):
/// "Two ideas for future posts: how families haul toddlers on a box bike,
/// and getting a bike onto the regional trains (where to stand)."
fn listed_ideas(s: &str, l: &str) -> Vec<String> {
    if !ANNOUNCES.any_in(l) {
        return Vec::new();
    }
    let Some(colon) = l.find(": ") else {
        return Vec::new();
    };
    let rest = &s[byte_at(s, l, colon + 2)..];
    // Asides in brackets are the reader's detail, not another idea.
    let mut plain = String::new();
    let mut depth = 0u32;
    for c in rest.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut items = vec![plain];
    for join in &lang::WORDS.topics.list_joins {
        items = items
            .iter()
            .flat_map(|i| {
                i.split(join.as_str())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    if items.len() < 2 {
        return Vec::new();
    }
    items.iter().filter_map(|i| subject(i)).collect()
}

static ANNOUNCES: LazyLock<Phrases> =
    LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.announces)));

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
    // "write up your workflow" is the verb, taking its subject directly
    // ("a write up on X" is the piece).
    let mut at = 0;
    while let Some(i) = l[at..].find("write-up ").map(|i| at + i) {
        let next = l[i + "write-up ".len()..].split_whitespace().next();
        if determiner(next) {
            l.replace_range(i..i + "write-up".len(), "write up");
        }
        at = i + "write-up".len();
    }
    let t = &lang::WORDS.topics;
    // "your take on: X": the colon after a preposition only introduces
    // its object (replaced by a space, the length stays the same).
    if l.contains(':') {
        for prep in &t.preps {
            let colon = format!(" {prep}:");
            if l.contains(&colon) {
                l = l.replace(&colon, &format!(" {prep} "));
            }
        }
    }
    if !wishes(&l) {
        return cjk_request(s);
    }
    if let Some(p) = verb_final_request(s, &l) {
        return Some(p);
    }
    // The first cue of the list found anywhere in the sentence, where it is
    // first found; one pass over the sentence for all cues at once.
    // Verb then subject: "write about X", "cover X", "escribir sobre X".
    static VERBS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(&lang::WORDS.topics.verb_cues).ok()
        });
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
        None => t
            .verb_cues
            .iter()
            .enumerate()
            .find_map(|(i, cue)| l.find(cue.as_str()).map(|at| (i, at))),
    };
    if let Some((cue, at)) = first_cue {
        // "Didn't you write about it once?" asks about the past.
        if about_the_past(&l[..at]) {
            return None;
        }
        return Some(s[byte_at(s, &l, at + t.verb_cues[cue].len())..].to_string());
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
    // Piece then subject: "a column on X", "a post about X"; the nearest
    // cue: "a guide to DNS over HTTPS" is about DNS over HTTPS.
    let nearest = t
        .piece_cues
        .iter()
        .filter_map(|cue| {
            after
                .find(cue.as_str())
                .filter(|a| *a < 40)
                .map(|a| (a, cue.len()))
        })
        .min_by_key(|&(a, len)| (a, std::cmp::Reverse(len)));
    if let Some((at, len)) = nearest {
        return Some(s[byte_at(s, &l, end + at + len)..].to_string());
    }
    // "a ZFS for beginners post": the subject sits between article and piece.
    let mut between: Vec<&str> = l[start..end].split_whitespace().skip(1).collect();
    between.pop();
    if between.iter().any(|w| !one_of(&t.piece_adjectives, w)) {
        // In the writer's case ("RPM filtering", not "rpm filtering").
        let mut words: Vec<&str> = s[byte_at(s, &l, start)..byte_at(s, &l, end)]
            .split_whitespace()
            .skip(1)
            .collect();
        words.pop();
        return Some(words.join(" "));
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
    let t = &lang::WORDS.topics;
    let near: Vec<&str> = before.split_whitespace().rev().take(3).collect();
    let mine =
        near.iter().any(|w| one_of(&t.own_doing, w)) && !near.iter().any(|w| w.starts_with("you"));
    mine || t.done_before.iter().any(|p| before.contains(p.as_str()))
}

/// Does the sentence (lower case) name what it asks to be written about:
/// a verb of writing or talking, or a piece, and near it a word that
/// brings in a subject: a preposition ("a column on", "un episodio sobre",
/// "schreibst du in dem Zusammenhang auch was zur", "über ... schreiben")
/// or, right after, a clause word ("una newsletter entera a cómo").
/// "Write several equations", "writing it in C", "issue a warning" name
/// none.
pub(crate) fn names_a_subject(l: &str) -> bool {
    // Scripts written without spaces ask in their own forms ("コラムで書いて
    // ほしい"), which `cjk_request` reads: nothing to check word by word.
    if l.chars().any(|c| c as u32 >= 0x3040) {
        return true;
    }
    let t = &lang::WORDS.topics;
    let is = one_of;
    let words: Vec<&str> = word_spans(l).iter().map(|&(a, b)| &l[a..b]).collect();
    words.iter().enumerate().any(|(i, w)| {
        let verb = is(&t.verbs, w) || is(&t.talk_verbs, w) || writing_verb(w);
        let after = &words[i + 1..];
        // "an issue I'd like advice on", "show how my thought ...": a
        // loose piece counts only with its subject's word right after it
        // ("eine Ausgabe für", "un numéro sur").
        let next_brings = after
            .first()
            .is_some_and(|n| is(&t.preps, n) || is(&t.piece_preps, n));
        let piece = is(&t.pieces, w)
            && (!is(&t.loose_pieces, w)
                || next_brings
                || after.iter().take(2).any(|n| is(&t.preps, n)));
        // "cover the whole gym-to-crag transition": a verb that takes its
        // subject directly, then the subject's article.
        let direct = is(&t.direct_verbs, w) && determiner(after.first().copied())
            || writing_verb(w) && after.first().is_some_and(|p| is(&t.write_particles, p));
        direct
            || (verb || piece)
                && (after.iter().take(3).any(|n| {
                    is(&t.clauses, n) || (piece || is(&t.talk_verbs, w)) && is(&t.piece_preps, n)
                }) || after.iter().take(8).any(|n| is(&t.preps, n))
                    || words[..i].iter().rev().take(6).any(|p| is(&t.preps, p)))
    })
}

/// Does the sentence (lower case) ask for writing in so many words: a
/// verb of writing ("write", "escribieras", "schreiben"), not only a word
/// that may name a piece ("issue", "show")?
pub(crate) fn names_writing(l: &str) -> bool {
    word_spans(l).iter().any(|&(a, b)| writing_verb(&l[a..b]))
}

/// "write", "writing", or any form of the other languages' verbs of
/// writing ("escribieras", "schreibst").
fn writing_verb(w: &str) -> bool {
    matches!(w, "write" | "writing")
        || lang::WORDS
            .topics
            .write_stems
            .iter()
            .any(|st| w.starts_with(st.as_str()))
}

/// A verb of writing in any form, then its subject: "write a short column
/// on X", "que escribieras sobre X", "schreib doch mal über X", "tackle X".
/// Stems catch the conjugations a list of phrases would miss.
fn verb_stem_request(s: &str, l: &str) -> Option<String> {
    let t = &lang::WORDS.topics;
    let is = one_of;
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
        let Some(stem) = t
            .write_verbs
            .iter()
            .find(|v| bare == v.as_str())
            .or_else(|| {
                t.write_stems
                    .iter()
                    .find(|st| bare.starts_with(st.as_str()))
            })
        else {
            continue;
        };
        // Past forms report writing that exists.
        if is(&t.past, bare) || about_the_past(&l[..at]) {
            continue;
        }
        let prep = words[i + 1..].iter().take(5).find(|(_, p)| {
            is(
                &t.verb_preps,
                p.trim_matches(|c: char| !c.is_alphanumeric()),
            )
        });
        // Verbs that take their subject directly: "tackle home VLANs",
        // "write up your workflow".
        let particle = words
            .get(i + 1)
            .filter(|(_, p)| is(&t.write_particles, p))
            .map(|&(p_at, p)| p_at + p.len());
        let from = match (prep, is(&t.direct_verbs, stem), particle) {
            (Some(&(p_at, p)), _, _) => p_at + p.len(),
            (None, true, _) => at + w.len(),
            (None, false, Some(end)) => end,
            (None, false, None) => continue,
        };
        let rest = s[byte_at(s, l, from)..].trim();
        if !rest.is_empty() {
            return Some(rest.to_string());
        }
    }
    None
}

/// "Idea for a future column: X", "Topic request: X": a label of at most
/// six words.
fn labelled_idea(s: &str, l: &str) -> Option<String> {
    labelled_idea_within(s, l, 6).map(|(_, idea)| idea)
}

/// [`labelled_idea`] with a label of at most `most` words: where in `s`
/// the idea after the label starts, and the idea.
fn labelled_idea_within(s: &str, l: &str, most: usize) -> Option<(usize, String)> {
    let (head, sep) = [": ", " - ", " – ", " — ", " -- "]
        .iter()
        .filter_map(|sep| l.split_once(sep).map(|(h, _)| (h, sep.len())))
        .min_by_key(|(h, _)| h.len())?;
    let labels = &lang::WORDS.topics.idea_labels;
    if head.split_whitespace().count() > most
        || !labels.iter().any(|w| crate::owner::contains_word(head, w))
    {
        return None;
    }
    let at = byte_at(s, l, head.len() + sep);
    Some((at, s[at..].to_string()))
}

/// "Could you explain X in a future column?": a verb of explaining, then
/// the subject, then where it should appear.
fn explain_in_a_piece(s: &str, l: &str) -> Option<String> {
    let t = &lang::WORDS.topics;
    let piece = t
        .in_a_piece
        .iter()
        .filter_map(|c| l.find(c.as_str()))
        .min()?;
    let words = l[piece..].split(|c: char| !c.is_alphanumeric() && c != '-');
    if !words
        .take(6)
        .any(|w| t.piece_words.iter().chain(&t.pieces).any(|p| p == w))
    {
        return None;
    }
    let (at, verb) = t
        .explain_verbs
        .iter()
        .filter_map(|v| l.find(v.as_str()).map(|at| (at, v)))
        .min()?;
    let from = at + verb.len();
    (from < piece).then(|| s[byte_at(s, l, from)..byte_at(s, l, piece)].to_string())
}

/// "give an evening talk", "dar una charla", "einen Vortrag halten": a
/// verb of giving and a piece of speaking within three words of each
/// other, where no verb of writing asks for writing ("write about how to
/// give a good talk"). The piece word is the cue.
fn invited_to_speak(l: &str) -> Option<&str> {
    let t = &lang::WORDS.topics;
    if names_writing(l) {
        return None;
    }
    let words: Vec<&str> = word_spans(l).iter().map(|&(a, b)| &l[a..b]).collect();
    words.iter().enumerate().find_map(|(i, w)| {
        if !one_of(&t.speak_pieces, w) {
            return None;
        }
        let from = i.saturating_sub(3);
        let v = (from..(i + 4).min(words.len())).find(|&v| one_of(&t.speak_verbs, words[v]))?;
        // "an episode on how to run a workshop" asks about speaking.
        let before = &words[..v.min(i)];
        let about = before
            .iter()
            .any(|b| one_of(&t.clauses, b) || one_of(&t.pieces, b));
        (!about).then_some(*w)
    })
}

/// The sentence wishes for something: a question, a request, a hope.
fn wishes(l: &str) -> bool {
    static WISHES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.wish_cues)));
    let l = lang::without_intensifiers(l);
    is_ask(&l) || WISHES.any_in(&l)
}

/// Where "a/an/another <up to 3 words> column|post|..." sits in `l`: the
/// start of the article and the end of the piece word. A definite piece
/// ("your column", "the follow-up") is writing that exists, not a request.
fn indefinite_piece(l: &str) -> Option<(usize, usize)> {
    let t = &lang::WORDS.topics;
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
        if !one_of(&t.piece_words, bare) {
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
            if one_of(&t.articles, a) {
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
    static ASKS: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.ask_cues)));
    ASKS.any_in(l)
}

/// German and Dutch put the verb last: "über X schreiben", "over X schrijven".
fn verb_final_request(s: &str, l: &str) -> Option<String> {
    let t = &lang::WORDS.topics;
    // A word of its own: "beschreiben" holds "schreiben" but is not it.
    let word_start = |at: &usize| {
        l[..*at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    };
    let verb_at = t
        .final_verbs
        .iter()
        .filter_map(|v| {
            l.match_indices(v.as_str())
                .map(|(at, _)| at)
                .find(word_start)
        })
        .min()?;
    for prep in &t.final_preps {
        let Some(at) = l[..verb_at].rfind(prep.as_str()) else {
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
    // "Count me in for the veterans' side: something on X": at the
    // opening or after a label's colon, the subject follows the cue.
    for cue in &lang::WORDS.topics.something {
        if let Some(at) = l.find(cue.as_str())
            && (l[..at].trim().len() < 3 || l[..at].trim_end().ends_with(':'))
            && !l[at + cue.len()..].trim().is_empty()
        {
            return Some(s.text[byte_at(&s.text, &l, at + cue.len())..].to_string());
        }
    }
    for cue in &lang::WORDS.topics.suggest {
        let Some(at) = l.find(cue.as_str()) else {
            continue;
        };
        // "Here's mine: X", "Voto por algo práctico: X"; but "I'd vote
        // for X in the field: why ..." names X first (four words or more
        // before the colon), and explains after.
        let opens = at == 0 || cue.ends_with(' ') && l[..at].trim().len() < 3;
        let after_cue = at + cue.len();
        let from = match l[at..].find(": ") {
            Some(c)
                if opens
                    && cue.ends_with(' ')
                    && l[after_cue..at + c].split_whitespace().count() >= 4 =>
            {
                after_cue
            }
            Some(c) => at + c + 2,
            None if opens => after_cue,
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
    // "First, the rules for hives on roofs. Second, ...": numbered in words.
    if call
        && let Some(rest) = lang::WORDS
            .topics
            .ordinals
            .iter()
            .find_map(|o| l.strip_prefix(o.as_str())?.strip_prefix(", "))
    {
        return Some(s.text[byte_at(&s.text, &l, l.len() - rest.len())..].to_string());
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
        // "Ooh yes, please.": a reaction to the call; the subject, if
        // any, is the next sentence's ("Reading the shingle ridges, that's
        // the bit everyone gets wrong."), unless it tells of the writer or
        // reacts too ("I'll be at the meetup", "Thanks for asking").
        if only_reaction(x) {
            let next = all.get(i + 1)?;
            let nl = next.text.to_lowercase();
            let tells = about_self(&nl) || next.text.ends_with('?');
            return (!tells).then(|| next.text.clone());
        }
        if !x.trim().is_empty() {
            return Some(x.to_string());
        }
    }
    if (l.ends_with("please.") || l.ends_with("please!")) && !only_reaction(t) {
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
    let about_self = about_self(&l);
    // "Great idea!", "¡Claro que sí!": an exclamation reacts; but
    // "Buying on auction sites without getting burned!" names a subject
    // as an -ing phrase of some length, exclaimed or not.
    let gerund = words >= 4
        && t.split_whitespace().next().is_some_and(|w| {
            // ("Nothing beats that!" is no subject.)
            w.len() >= 6
                && w.ends_with("ing")
                && !w.ends_with("thing")
                && w.starts_with(char::is_uppercase)
        });
    let exclaims = (t.ends_with('!') || t.starts_with('¡')) && !gerund;
    // "How a touring set is loaded, driven overnight and squeezed into
    // venues ...": a subject told as a clause may run longer. ("si", "se",
    // "que" open conditions and more as often.)
    let clause = lang::WORDS.topics.clauses.iter().any(|c| {
        !["si", "se", "que"].contains(&c.as_str())
            && l.strip_prefix(c.as_str())
                .is_some_and(|r| r.starts_with(' '))
    });
    let short = words <= 14 || (clause && words <= 24);
    if call && opening && short && !greeting && !about_self && !exclaims && !t.ends_with('?') {
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

/// The sentence (lower case) tells of the writer, reacts, or speaks to
/// the owner: it offers no subject of its own.
fn about_self(l: &str) -> bool {
    [
        "i ", "i'", "we ", "my ", "our ", "thank", "this ", "that ", "it ", "great", "love", "nice",
    ]
    .iter()
    .any(|p| l.starts_with(p))
        || third_person(l)
        || praises_the_work(l)
        || first_person(l)
        || reaction(l)
        || crate::lang::speaks_to_you(l)
}

/// Every word of `s` reacts or pleads ("Ooh yes", "Oh yes please!"): it
/// names nothing.
fn only_reaction(s: &str) -> bool {
    let t = &lang::WORDS.topics;
    let l = s.to_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '+'))
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words
            .iter()
            .all(|w| one_of(&t.reactions, w) || one_of(&t.please, w))
}

/// The writer speaks of themselves ("I", "my", "ich", "je", "yo", ...): a
/// story, not a subject offered.
fn first_person(l: &str) -> bool {
    let i = &lang::WORDS.topics.first_person;
    l.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .any(|w| one_of(i, w))
}

/// "Amazing work on this series so far!", "Great episode!": praise of
/// the work or a piece opens the sentence.
fn praises_the_work(l: &str) -> bool {
    let t = &lang::WORDS.topics;
    let mut words = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    words.next().is_some_and(|w| one_of(&t.praise, w))
        && words
            .next()
            .is_some_and(|w| one_of(&t.praise_objects, w) || one_of(&t.pieces, w))
}

/// The sentence opens on "he", "she", "they", "ella", ...: it tells of
/// someone.
fn third_person(l: &str) -> bool {
    l.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .next()
        .is_some_and(|w| one_of(&lang::WORDS.topics.third_person, w))
}

/// The index of the first sentence that is more than a greeting.
fn first_substantive(all: &[Sentence]) -> usize {
    all.iter()
        .position(|p| p.text.split_whitespace().count() > 3 && !p.text.ends_with(','))
        .unwrap_or(all.len())
}

/// The language files' `asides`: apologies and remarks on the reply itself.
static ASIDES: LazyLock<Phrases> =
    LazyLock::new(|| Phrases::new(lang::phrases(&lang::WORDS.topics.asides)));

/// "Mich würde interessieren, wie man Gyroflow nutzt - könnten Sie dazu
/// etwas schreiben?": the clause (after a comma, opened by "wie", "how",
/// "cómo") before a dash or semicolon that a request pointing back means.
fn clause_before_the_request(s: &str) -> Option<String> {
    let l = s.to_lowercase();
    let cut = [" - ", " – ", " — ", "; "]
        .iter()
        .filter_map(|d| l.find(d))
        .min()?;
    let head = &l[..cut];
    word_spans(head).into_iter().find_map(|(a, b)| {
        (one_of(&lang::WORDS.topics.clauses, &head[a..b]) && head[..a].trim_end().ends_with(','))
            .then(|| s[byte_at(s, &l, a)..byte_at(s, &l, cut)].to_string())
    })
}

/// "that", "this", "exactly that", "those three", "how you did it".
fn points_back(phrase: &str) -> bool {
    let l = phrase.to_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let deictic = &lang::WORDS.topics.deictic;
    words.is_empty()
        || words.len() <= 5
            && words
                .iter()
                .all(|w| one_of(deictic, w) || crate::subjects::is_stop(w))
        || l.starts_with("exactly that")
        // "those ideas", "this problem of mine" point back; "those tiny
        // chains in fusee clocks" names its subject.
        // "was that an original or a later one", "those three for people
        // like me" are a pronoun's.
        || ["that ", "this ", "those "].iter().any(|d| l.starts_with(d))
            && (words.get(1).is_some_and(|w| determiner(Some(w)) || one_of(deictic, w))
                || words[1..words.len().min(5)]
                    .iter()
                    .filter(|w| !crate::subjects::is_stop(w))
                    .count()
                    < 2)
}

/// "Tuesday instead while we wait" ("record the episode on Tuesday
/// instead"): a day or time, then nothing or a function word, says when,
/// not what; so does a date ("Wednesday 18 June"); "Sunday roasts for
/// one" names a subject.
fn says_when(phrase: &str) -> bool {
    let l = phrase.to_lowercase();
    let words: Vec<&str> = l
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'))
        })
        .filter(|w| !w.is_empty())
        .collect();
    let t = &lang::WORDS.topics;
    let time = |w: &str| one_of(&t.times, &w.replace('’', "'"));
    // "un articolo per aprile": a month alone, in the lower case of the
    // languages that write it so, says when ("Mars" is the planet).
    if let [only] = phrase.split_whitespace().collect::<Vec<_>>()[..]
        && only.starts_with(char::is_lowercase)
        && one_of(&t.months, only.trim_matches(|c: char| !c.is_alphanumeric()))
    {
        return true;
    }
    // "Wednesday 18 June", "mercredi 18 juin": with a weekday, a date;
    // "May 1968", "the 4th of July" and "25 aprile" name subjects.
    let date_word = |w: &str| {
        time(w)
            || one_of(&t.months, w)
            || w.starts_with(|c: char| c.is_ascii_digit())
                && w.trim_end_matches(|c: char| c.is_alphabetic() || c == '.' || c == 'º')
                    .chars()
                    .all(|c| c.is_ascii_digit())
            || crate::subjects::is_function_word(w, &l)
    };
    if words.len() > 1
        && words.iter().any(|w| one_of(&t.times, w))
        && words.iter().all(|w| date_word(w))
    {
        return true;
    }
    // "Tuesday instead": a day, then nothing or a function word.
    words.first().is_some_and(|w| time(w))
        && words
            .get(1)
            .is_none_or(|n| crate::subjects::is_function_word(n, &l))
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
    for lead in &lang::WORDS.topics.question_leads {
        if let Some(at) = l.find(lead.as_str()) {
            return s[byte_at(s, &l, at + lead.len())..].to_string();
        }
    }
    if let Some(at) = l.find(" supposed to ") {
        return s[byte_at(s, &l, at + " supposed to ".len())..].to_string();
    }
    // "Könnten Sie mal erklären, warum X?": the clause after the comma
    // that ends the request's opening words.
    for (at, _) in l.match_indices(", ") {
        let next = l[at + 2..].split_whitespace().next().unwrap_or("");
        if l[..at].split_whitespace().count() <= 6 && one_of(&lang::WORDS.topics.clauses, next) {
            return s[byte_at(s, &l, at + 2)..].to_string();
        }
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
        .trim_start_matches([':', ',', '-', '–', ' ', '«', '"', '“', '¿', '¡'])
        .to_string();
    const STOPS: &[&str] = &["? ", ". ", "! ", "; ", "、", "。", "?", "!"];
    // `lower` is `p` in lower case, made again only when `p` is cut.
    let mut lower = p.to_lowercase();
    for e in t
        .ends
        .iter()
        .map(String::as_str)
        .chain(STOPS.iter().copied())
    {
        if let Some(at) = lower.find(e)
            && at > 3
        {
            let at = byte_at(&p, &lower, at);
            p.truncate(at);
            lower = p.to_lowercase();
        }
    }
    // "la historia de las mujeres en el ajedrez en general, no solo…": a
    // subject is named before its first comma; what follows says more
    // about it (a list of subjects is read by `listed_ideas`), unless a
    // relative clause goes on with it ("Daten, die größer sind als…") or
    // what comes before names nothing yet ("wie es ist, als Frau allein…").
    let content = |s: &str| {
        s.split_whitespace()
            .map(crate::subjects::fold)
            .filter(|w| w.chars().count() >= 3 && !crate::subjects::is_stop(w))
            .count()
    };
    if let Some(at) = p.find(", ")
        && p[..at].split_whitespace().count() >= 3
        && content(&p[..at]) >= 2
    {
        let next = p[at + 2..].to_lowercase();
        let relative = t.carry_on.iter().any(|r| {
            next.strip_prefix(r.as_str())
                .is_some_and(|rest| rest.starts_with(' '))
        });
        if !relative {
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
        let ends_with_word = |f: &&String| {
            lower
                .strip_suffix(f.as_str())
                .is_some_and(|head| head.ends_with(' '))
        };
        let Some(f) = t.fillers.iter().find(ends_with_word) else {
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
            answers_another: false,
            is_reply: false,
        };
        requests(&super::super::sentences(text), &place, &mut Vec::new())
            .into_iter()
            .map(|t| t.phrase)
            .collect()
    }

    /// The topic phrases of each paragraph of a file, for a look at why a
    /// request is or is not read (`ALLEARS_TOPICS_FILE=requests.txt cargo
    /// test --release print_topics -- --ignored --nocapture`); a paragraph
    /// opening with "CALL " is read as an answer to the owner's call for
    /// topics. Prints, asserts nothing.
    #[test]
    #[ignore]
    fn print_topics() {
        let Ok(p) = std::env::var("ALLEARS_TOPICS_FILE") else {
            return;
        };
        for para in std::fs::read_to_string(p).unwrap().split("\n\n") {
            let call = para.starts_with("CALL ");
            let t = para.trim_start_matches("CALL ");
            println!("{:?}\n  -> {:?}", t, topics_of(t, call));
        }
    }

    #[test]
    fn answers_to_a_call_that_name_their_pick_or_something_on_a_subject() {
        assert_eq!(
            topics_of(
                "Ooh, yes please. The one I'd want is how you know it's time to retire a veteran.",
                true
            ),
            ["how you know it's time to retire a veteran"]
        );
        assert_eq!(
            topics_of(
                "Count me in for the veterans' side: something on distance handling for older handlers.",
                true
            ),
            ["distance handling for older handlers"]
        );
        // The colon after the subject only explains.
        assert_eq!(
            topics_of(
                "Something on DNS at home: Pi-hole vs. plain unbound, and whether it is worth it.",
                true
            ),
            ["DNS at home"]
        );
        // So in every language: the cue leads, a colon after it explains.
        for (text, subject) in [
            (
                "Etwas über Höhlenvermessung: wie man anfängt und was man braucht.",
                "Höhlenvermessung",
            ),
            (
                "Algo sobre espeleobuceo: por dónde empezar y qué equipo llevar.",
                "espeleobuceo",
            ),
            (
                "Quelque chose sur la photo souterraine : les flashs et les temps de pose.",
                "photo souterraine",
            ),
            (
                "Qualcosa sulla topografia: come si comincia e che strumenti servono.",
                "topografia",
            ),
        ] {
            let found = topics_of(text, true);
            assert!(
                found.iter().any(|t| t.trim() == subject),
                "{text}: {found:?}"
            );
        }
        // A sentence telling of someone ("He is, Gordon, ...") offers none.
        assert!(
            topics_of(
                "He is, Gordon, at the lower height and only on grass.",
                true
            )
            .is_empty()
        );
        // A verb of writing closing its clause before a colon: its subject
        // is before it, the colon explains.
        assert_eq!(
            topics_of(
                "Ich würde mich sehr freuen, wenn du mal ausführlich über Boxenruhe schreibst: wie man den Kopf eines Arbeitshundes beschäftigt.",
                false
            ),
            ["Boxenruhe"]
        );
    }

    #[test]
    fn a_praised_piece_or_the_writers_own_is_no_request_and_an_exclaimed_ing_phrase_is_a_pick() {
        assert_eq!(
            topics_of(
                "Ottima nota sulla smagnetizzazione, ma approfitto per una richiesta fuori tema: potresti scrivere una guida su come sostituire l'alimentatore del C64?",
                false
            ),
            ["sostituire l'alimentatore del C64"]
        );
        assert!(topics_of("I want to quote them in our club newsletter this week: what did you measure on the 1084S?", false).is_empty());
        // With its article, the praised piece is one wished for.
        let wished = topics_of("Un ottimo articolo sulla demoscene sarebbe utile.", false);
        assert!(wished.iter().any(|t| t.contains("demoscene")), "{wished:?}");
        let wished = topics_of(
            "A brilliant video on SID replacement would help me a lot.",
            false,
        );
        assert!(
            wished.iter().any(|t| t.contains("SID replacement")),
            "{wished:?}"
        );
        assert_eq!(
            topics_of(
                "Buying on auction sites without getting burned! I've been burned twice.",
                true
            ),
            ["Buying on auction sites without getting burned"]
        );
        assert!(topics_of("Nothing beats a real tape deck! I've said it before.", true).is_empty());
        // An -ing word of praise or liking opens a reaction, not a subject.
        assert!(topics_of("Amazing work on this series so far!", true).is_empty());
        assert!(topics_of("Loving the new format!", true).is_empty());
        // Praise of a subject is a subject.
        for text in [
            "Stunning cave photography on a budget.",
            "Interesting caves near Madrid.",
        ] {
            assert!(!topics_of(text, true).is_empty(), "{text}");
        }
        // English hesitation is no German pronoun.
        let er = topics_of("Er, cassette loaders maybe.", true);
        assert!(er.iter().any(|t| t.contains("cassette loaders")), "{er:?}");
    }

    #[test]
    fn an_owners_call_may_ask_for_topics_or_what_readers_wish_for() {
        assert!(is_owners_call("[Bdac] Podcast topics - club wisdom wanted"));
        assert!(is_owners_call(
            "I'm planning the next podcast series. What do you wish someone had told you when you started?"
        ));
        assert!(is_owners_call("¿Qué temas os gustaría que tratara?"));
        assert!(!is_owners_call("What do you wish someone had told you?"));
        // A help topic is no column's, and a word of another language
        // ("was") far into a question is no question word.
        assert!(!is_call_for_topics(
            "Q6. What if <topic> exist in two packages and I want to specify that I mean topic <topic> of package 'pkgA'?"
        ));
        assert!(!is_owners_call(
            "I would think it's easier to write those lines. If you don't like the way this was done in my three lines above, why don't you do it yourself?"
        ));
        assert!(!is_owners_call(
            "This is consistent: ?foo will present a list if it matches two or more topics, and I think we like that."
        ));
        // "?write.table" (R's help) ends no question.
        assert!(!is_owners_call(
            "What I would like to write next ?write.table covers, see the docs."
        ));
        // The question word may open a clause after a lead-in.
        assert!(is_owners_call(
            "Now that the season is done, which episode should we record next?"
        ));
        // Not when the writing is only in the lead-in.
        assert!(!is_call_for_topics(
            "I watched your episode on RAID, which drives should I buy next?"
        ));
    }

    #[test]
    fn an_owners_call_may_name_the_owner_in_the_sentence_before_or_not_at_all() {
        let planned = "I'm planning a spring series of short videos.\nWhat would you like covered?";
        assert!(is_call_for_topics(planned));
        let site = "The members' site is doing a winter series of audio guides. What would you like covered?";
        assert!(!is_call_for_topics(site));
        assert!(is_owners_call(site));
        assert!(!is_owners_call("What would you like for dinner?"));
    }

    #[test]
    fn a_wish_names_a_subject_when_a_word_brings_one_in() {
        for l in [
            "me encantaría que escribieras una columna sobre el primer móvil",
            "te pediría que dedicaras una newsletter entera a cómo repartir los gastos",
            "schreibst du in dem zusammenhang auch was zur e-rechnungspflicht?",
            "uma sugestão para um próximo texto: como trabalhar com arquivos grandes",
            "could you write a post about restore testing?",
            "ich wünsche mir eine ausgabe für absolute anfänger",
        ] {
            assert!(names_a_subject(l), "{l}");
        }
        for l in [
            "the only solution is to write several displayed equations when one is too long?",
            "writing it in c is much more portable",
            "an issue i'd like advice on is: what does such a symbol mean?",
            "part of it was to show how my original thought would be done",
        ] {
            assert!(!names_a_subject(l), "{l}");
        }
    }

    #[test]
    fn a_piece_that_explains_in_a_relative_clause_or_a_discussion_asked_for_names_its_subject() {
        let de = topics_of(
            "Ich würde mich sehr über eine Folge freuen, in der du erklärst, welche Schnurklasse man an Bächen fischt.",
            false,
        );
        assert_eq!(de, vec!["welche Schnurklasse man an Bächen fischt"]);
        let en = topics_of(
            "I'd like to hear a proper discussion of what hatchery fish do to wild trout.",
            true,
        );
        assert_eq!(en, vec!["what hatchery fish do to wild trout"]);
    }

    #[test]
    fn a_colon_after_the_preposition_and_a_step_by_step_or_checklist_asked_for() {
        assert_eq!(
            topics_of(
                "One thing I'd love your take on: balancing and tuning twin SUs properly, without a flow meter.",
                false
            ),
            vec!["balancing and tuning twin SUs properly"]
        );
        assert_eq!(
            topics_of(
                "Could you do a full step-by-step on replacing the inner and outer sills?",
                false
            ),
            vec!["replacing the inner and outer sills"]
        );
        assert_eq!(
            topics_of(
                "Could you write up a proper checklist for viewing a project car?",
                false
            ),
            vec!["viewing a project car"]
        );
        // Where the list is, said after the subject, is not to whom the wish is.
        assert_eq!(
            topics_of(
                "Me encantaría que escribieras sobre la conversión a eléctrico de un Seat 600: en la lista hay al menos cinco que lo estamos pensando.",
                false
            ),
            vec!["conversión a eléctrico de un Seat 600"]
        );
    }

    #[test]
    fn a_reader_offering_to_be_the_guest_asks_for_no_topic() {
        for l in [
            "Would you be interested in having me on the show to talk about what the riverfly samples tell us?",
            "Hätten Sie Lust, mich in die Sendung einzuladen, um über Wasserproben zu sprechen?",
            "¿Te interesaría invitarme al podcast para hablar de la calidad del agua?",
        ] {
            assert!(topics_of(l, false).is_empty(), "{l}");
        }
        // The reader's wish to hear someone else on the show names a topic.
        assert!(!topics_of("Would you be interested in doing an episode about what the riverfly samples tell us?", false).is_empty());
    }

    #[test]
    fn ideas_numbered_in_words_under_a_call_are_each_a_topic() {
        let text = "Two from me, Dana.\n\nFirst, the rules for hives on roofs and balconies. Half the new members ask about it.\n\nSecond, a proper walk-through of vaporising oxalic acid.";
        let got = topics_of(text, true);
        assert!(got.iter().any(|t| t.contains("hives on roofs")), "{got:?}");
        assert!(got.iter().any(|t| t.contains("oxalic acid")), "{got:?}");
        assert!(!got.iter().any(|t| t.contains("Two from me")), "{got:?}");
        // Not under a call, "First, ..." tells; it asks for nothing.
        assert!(topics_of("First, the hives on the roof did well this year.", false).is_empty());
    }

    #[test]
    fn a_sentence_that_says_specifically_narrows_a_short_request() {
        let got = topics_of(
            "Kilns, please! Specifically how you wire a second-hand kiln safely in a garage.",
            true,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("Kilns: "), "{got:?}");
        assert!(got[0].contains("second-hand kiln"), "{got:?}");
        // A request that already names its subject keeps it.
        let got = topics_of(
            "Could you write about firing porcelain in an electric kiln at home? Specifically the cone you'd pick.",
            false,
        );
        assert!(got.iter().all(|t| !t.contains(':')), "{got:?}");
    }

    #[test]
    fn a_subject_cut_short_ends_on_a_word_of_substance() {
        let got = topics_of(
            "Könntest du mal einen Artikel schreiben, ob man für das erste eigene Board lieber löten oder stecken sollte?",
            false,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(!got[0].ends_with(" oder"), "{got:?}");
        assert!(got[0].ends_with("löten"), "{got:?}");
        // Uncut, a subject keeps its last word.
        let got = topics_of("Could you write a post on how you handle it?", false);
        assert_eq!(got, vec!["how you handle it"], "{got:?}");
        // A word of another language's stop list ends an English subject.
        let got = topics_of(
            "Could you write about how the old games on cartridges like Mega Man were made?",
            false,
        );
        assert_eq!(
            got,
            vec!["how the old games on cartridges like Mega Man"],
            "{got:?}"
        );
    }

    #[test]
    fn under_a_call_a_label_before_a_colon_introduces_the_subject() {
        let got = topics_of(
            "Un sujet qui me tient à cœur : la réparation des lecteurs optiques.",
            true,
        );
        assert_eq!(got, vec!["réparation des lecteurs optiques"], "{got:?}");
    }

    #[test]
    fn a_piece_already_out_is_no_piece_asked_for() {
        let got = topics_of(
            "Quick question, since you raved about it in the last episode: which solder do you use when recapping?",
            false,
        );
        assert_eq!(got, Vec::<String>::new(), "{got:?}");
        let got = topics_of("Could you do an episode on recapping old consoles?", false);
        assert_eq!(got, vec!["recapping old consoles"], "{got:?}");
    }

    #[test]
    fn an_invitation_to_speak_or_a_sponsorship_asks_for_no_subject() {
        for text in [
            "Would you be willing to give an evening talk on cave conservation for our members?",
            "¿Podrías impartir una breve ponencia sobre espeleobuceo en nuestro club?",
            "Könnten Sie bei uns einen kurzen Vortrag über Höhlenrettung halten?",
            "We'd like to sponsor an episode of Squeeze & Sump over the summer, ideally one for beginners.",
        ] {
            let got = topics_of(text, false);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
        // Speaking or sponsoring as the subject asked for is a subject.
        for text in [
            "Could you do an episode on how to run a workshop?",
            "¿Podrías hacer un vídeo sobre cómo dar una buena charla?",
            "Could you do an episode on how to sponsor a refugee family?",
        ] {
            let got = topics_of(text, false);
            assert!(!got.is_empty(), "{text}");
        }
        // Talk as writing's subject, or a piece that is no talk, asks.
        let got = topics_of(
            "Could you write about how to give a good talk at a club night?",
            false,
        );
        assert!(
            got.iter().any(|t| t.contains("give a good talk")),
            "{got:?}"
        );
        let got = topics_of(
            "Would you write up your full DistoX-to-Therion workflow, from calibrating the Disto to the final PDF?",
            false,
        );
        assert!(
            got.iter().any(|t| t.contains("DistoX-to-Therion workflow")),
            "{got:?}"
        );
        let got = topics_of(
            "Also - would really like a dedicated RPM filtering write-up.",
            false,
        );
        assert_eq!(got, vec!["dedicated RPM filtering"], "{got:?}");
        let got = topics_of(
            "Mich würde interessieren, wie man Gyroflow mit den Blackbox-Daten nutzt - könnten Sie dazu etwas schreiben?",
            false,
        );
        assert!(got.iter().any(|t| t.contains("Gyroflow")), "{got:?}");
        let got = topics_of("Could you do an episode on cave conservation?", false);
        assert_eq!(got, vec!["cave conservation"], "{got:?}");
    }

    #[test]
    fn a_day_after_a_piece_says_when_not_what() {
        let got = topics_of(
            "On it. Shall we record the Maria episode on Tuesday instead while we wait?",
            false,
        );
        assert_eq!(got, Vec::<String>::new(), "{got:?}");
        // Nor is the sentence before it the subject.
        let got = topics_of(
            "The battery post went up yesterday. Shall we record the episode on Tuesday instead?",
            false,
        );
        assert_eq!(got, Vec::<String>::new(), "{got:?}");
        // A day that opens a subject's name is part of it.
        let got = topics_of("Could you write a column on Sunday roasts for one?", false);
        assert_eq!(got, vec!["Sunday roasts for one"], "{got:?}");
        // A date with its weekday is no subject, in any language.
        let got = topics_of("Could you write a column on Wednesday 18 June?", false);
        assert!(got.is_empty(), "{got:?}");
        // A month or a day's name alone is a subject.
        for (text, subject) in [
            (
                "Could you write a column on the March of the Penguins?",
                "March of the Penguins",
            ),
            ("Could you write about Mars?", "Mars"),
            ("Could you do an episode on May 1968?", "May 1968"),
            ("Potresti scrivere un articolo sul 25 aprile?", "25 aprile"),
        ] {
            let got = topics_of(text, false);
            assert_eq!(got, vec![subject], "{text}");
        }
    }

    #[test]
    fn a_reaction_to_the_call_is_no_subject_the_next_sentence_may_be() {
        let got = topics_of(
            "Oh yes please.\n\nGlaze recipes for wood-fired kilns, that's the part nobody explains.",
            true,
        );
        assert_eq!(got, vec!["Glaze recipes for wood-fired kilns"], "{got:?}");
        // A suggestion that opens with a reaction's word is no reaction.
        let got = topics_of("Great Lakes shipwrecks, please.", true);
        assert_eq!(got, vec!["Great Lakes shipwrecks"], "{got:?}");
        // An aside is a topic only when nothing else is asked for.
        let got = topics_of(
            "Late to this, sorry.\n\nCould you do a piece on firing schedules for stoneware?",
            true,
        );
        assert!(got.iter().all(|t| !t.contains("sorry")), "{got:?}");
        assert!(
            got.iter().any(|t| t.contains("firing schedules")),
            "{got:?}"
        );
        // The writer's own news after the reaction is no subject.
        let got = topics_of("Ooh yes please!\n\nI'll be at the meetup on Friday.", true);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn the_ideas_a_sentence_lists_after_its_colon_are_each_a_topic() {
        let got = topics_of(
            "Two ideas for future posts, if you are taking requests: how small bakeries price \
             their bread when flour doubles, and the real cost of a wood-fired oven (gas, \
             wood, and the repairs).",
            false,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("small bakeries price"), "{got:?}");
        assert!(
            got[1].contains("wood-fired oven") && !got[1].contains("repairs"),
            "{got:?}"
        );
        // Without announcing ideas, a colon and a comma list nothing.
        assert!(topics_of("My day: flour, and then the oven.", false).is_empty());
    }

    #[test]
    fn a_question_put_as_a_statement_asks_for_writing() {
        let got = topics_of(
            "Volevo chiedervi se in una delle prossime puntate potete parlare di come si \
             organizza un orto sul balcone.",
            false,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("orto sul balcone"), "{got:?}");
    }

    #[test]
    fn a_wish_in_the_conditional_mood_asks_for_writing() {
        for (text, want) in [
            (
                "Te pediría que dedicaras una newsletter entera a cómo repartir los gastos en pareja.",
                "repartir los gastos en pareja",
            ),
            (
                "Un numéro sur combien mettre de côté chaque mois me sauverait la vie.",
                "combien mettre de côté chaque mois",
            ),
            (
                "Sarebbe bello un articolo a parte sulla plastica nel sale da cucina.",
                "plastica nel sale da cucina",
            ),
        ] {
            let got = topics_of(text, false);
            assert!(got.iter().any(|t| t.contains(want)), "{text}: {got:?}");
        }
        // The past is no wish: "your article on X was great".
        assert!(topics_of("Votre article sur la retraite était parfait.", false).is_empty());
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
    fn a_question_after_a_piece_that_exists_asks_for_none() {
        for text in [
            "Which earlier episode had the section on the 1795 bread riots?",
            "¿En qué episodio hablaste de los impuestos trimestrales?",
            "In welcher Folge ging es um die Brotunruhen?",
        ] {
            assert!(topics_of(text, false).is_empty(), "{text}");
        }
        assert!(!topics_of("Could you do an episode on the 1795 bread riots?", false).is_empty());
    }

    #[test]
    fn requests_to_show_how_elided_prepositions_and_a_piece_named_before_its_subject() {
        let cases = [
            // Showing or teaching how, in other languages.
            (
                "¿Podrías enseñarnos cómo afilas las plumas itálicas?",
                "afilas las plumas itálicas",
            ),
            (
                "Könntest du mal zeigen, wie du deine Nasspalette selbst baust?",
                "wie du deine Nasspalette selbst baust",
            ),
            // "dell'", "delle": a preposition joined to its article.
            (
                "Potresti parlare dell'allevamento delle regine per piccoli apicoltori?",
                "allevamento delle regine per piccoli apicoltori",
            ),
            (
                "Potresti parlare delle app che riconoscono i canti?",
                "app che riconoscono i canti",
            ),
            // The piece between the verb and its subject.
            ("¿Podrías dedicar un número entero a la pátina?", "pátina"),
            // "those" and a subject of its own.
            (
                "Could you do an episode about those tiny chains in fusee clocks?",
                "those tiny chains in fusee clocks",
            ),
            // "beschreiben" is not "schreiben".
            (
                "Würden Sie einmal ausführlich beschreiben, wie man ein Fenster neu verbleit?",
                "Fenster neu verbleit",
            ),
            // After a comma, another clause's "à" is not the piece's.
            (
                "Pourriez-vous détailler les mécanismes des cartes pop-up dans un prochain article, surtout les languettes à tirer ?",
                "mécanismes des cartes pop-up",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(topics_of(text, false), vec![want.to_string()], "{text}");
        }
        // Explaining how (not how long, nor what): a piece asked for.
        assert_eq!(
            topics_of(
                "Pourriez-vous un jour expliquer comment lire un diagramme de plis ?",
                false
            ),
            vec!["lire un diagramme de plis".to_string()]
        );
        for text in [
            "Can you explain how long you'd keep a dry start going before flooding?",
            "Could you explain what goes wrong if I drop back too early?",
        ] {
            assert!(topics_of(text, false).is_empty(), "{text}");
        }
        // "one" standing for a piece: "en faire un sur X".
        assert_eq!(
            topics_of(
                "Pourriez-vous en faire un sur l'indice de réparabilité ?",
                false
            ),
            vec!["indice de réparabilité".to_string()]
        );
        // "Ein ganzer Newsletter dazu": the subject is the sentence before.
        let dazu = "Könnten Sie mal erklären, warum meine schwarze Patina grau wird? Ein ganzer Newsletter dazu wäre wunderbar.";
        assert_eq!(
            topics_of(dazu, false),
            vec!["warum meine schwarze Patina grau wird".to_string()]
        );
        // Nouns and pronouns, not requests.
        for text in [
            "So when you listened on the show, was that an original 214?",
            "Would you be up for 1,800 words on restoring a bike for our spring issue?",
            "We'd love to invite you to lead a folding session for two classes.",
            "Could you record one on your phone and send it?",
        ] {
            assert!(topics_of(text, false).is_empty(), "{text}");
        }
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
                "chiffrement des sauvegardes",
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
}
