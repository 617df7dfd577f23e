//! Does the new text ask the owner something a reasonable person would
//! expect them to answer?
//!
//! Judged sentence by sentence on the writer's new words only (quotes,
//! signatures and forwarded text are already gone, URLs and code masked).
//! A sentence asks when it is a question or a request; it asks *the owner*
//! when it is addressed to them: by default in direct mail to them and in a
//! comment on their post, but on a list only when it names them, is sent to
//! them, or answers their own post. A sentence addressed to someone else
//! ("Maya, could you ...", "anyone on the list?"), a rhetorical question
//! (known by its form: an exclamation as a negative question, the writer's
//! own past, a tag on their own statement, a discourse marker, or answered
//! at once by its writer), the boilerplate question of a signature,
//! disclaimer or a service's call to action, and everything in a message
//! that says "no need to reply" do not ask. A topic request always asks.

use std::sync::LazyLock;

use super::{Phrases, Place, Reason, Rule, Sentence, Source, TopicRequest};
use crate::lang::one_of;

#[derive(Debug, Clone)]
pub(crate) struct Ask {
    pub asks: bool,
    pub question: String,
}

/// Who a sentence is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Addressee {
    Owner,
    Other,
    Group,
    Unstated,
}

/// The reason a message judged spam carries (`T3 tell` writes to no such asker).
pub(crate) const SPAM: &str = "spam comment or message";

pub(crate) fn asks_owner(
    place: &Place,
    text: &str,
    all: &[Sentence],
    topics: &[TopicRequest],
    reasons: &mut Vec<Reason>,
) -> Ask {
    let no = |reasons: &mut Vec<Reason>, why: &str, text: &str| {
        reasons.push(Reason::new(Rule::AsksNothing, why, text));
        Ask {
            asks: false,
            question: String::new(),
        }
    };
    // A mention ("Carys mentioned you in a note: ... @Tessa Lindqvist,
    // I'd love your take on ...") is a person's words to the owner; a
    // pingback's excerpt of another site is not.
    let not_read = match place.source {
        Source::Own | Source::Automated => true,
        Source::Pingback => !mentions_owner(text, place),
        _ => false,
    };
    if not_read {
        return no(reasons, "not for this kind of mail", place.source.as_str());
    }
    let spam = super::source::spam_cues(text);
    if super::source::is_spam(&spam) {
        return no(reasons, SPAM, &spam.join(", "));
    }
    if let Some(cue) = no_reply_wanted(text) {
        return no(reasons, "the writer says no reply is needed", cue);
    }
    let labels = form_labels(text);
    let mut asking = Vec::new();
    let mut para_to = Addressee::Unstated;
    // Whom the paragraph talked to before a question to the group took over.
    let mut before_group = None;
    let mut para = usize::MAX;
    // Where an unaddressed sentence is not for the owner (a list post that
    // neither is to them nor answers them), only a sentence that names them
    // can ask them: without their name anywhere, no sentence needs judging.
    let judge = for_owner(Addressee::Unstated, place)
        || all
            .iter()
            .any(|s| place.names.may_be_in(&s.text.to_lowercase()));
    // A message that opens by greeting the owner ("Hi @thea", "Robin,")
    // speaks to them in every paragraph that does not say otherwise.
    let mut message_to = Addressee::Unstated;
    // Where people talk among themselves (a reply to a comment, a list), a
    // paragraph that opens on another's name talks to them.
    let in_talk = place.is_reply || place.source == Source::List;
    // Under a post, commenters talk to each other too ("Callie, did you
    // ...?"), but a top-level comment's opening speaks for its paragraph
    // only: "Fascinating – ..." opens a comment to the owner.
    let para_talk = in_talk || place.source == Source::Comment;
    for (i, s) in all.iter().enumerate().filter(|_| judge) {
        if s.para != para {
            para = s.para;
            para_to = message_to;
            before_group = None;
        }
        // The opening sentence addresses its paragraph, so it is read
        // whatever it says; the others only when they ask something.
        let asks = is_question(&s.text) || is_request(&s.text);
        if !s.first && !asks {
            continue;
        }
        let to = match addressee(&s.text, place) {
            // A reply to a comment that opens on a name ("Jo, I had the
            // same gap.") talks to that commenter.
            Addressee::Unstated
                if s.first
                    && para_talk
                    && greets_another(&s.text, place)
                    && (in_talk || calls_a_commenter(&s.text)) =>
            {
                Addressee::Other
            }
            to => to,
        };
        // What follows in the paragraph talks to whom its opening did, or
        // to whom a sentence in it called on by name ("Great build. Marco,
        // what light do you run? Did your carpet pearl more?").
        // A question put to the group ("Anyone know why? Is the emulator
        // in warp mode?") carries to the questions after it too, but not
        // to one that speaks to "you" or asks for something ("Has anyone
        // tried the 1541-II? Could you also do a video on ...?").
        if s.first && to == Addressee::Group && asks {
            // "Has anyone tried the 1541-II? Could you also ...?" opening
            // the paragraph: the paragraph talked to whom the message does.
            before_group = Some(message_to);
            para_to = to;
        } else if s.first && to != Addressee::Unstated
            || to == Addressee::Other && vocative(&s.text).is_some()
        {
            para_to = to;
            before_group = None;
        } else if to == Addressee::Group && asks {
            before_group = before_group.or(Some(para_to));
            para_to = to;
        }
        // Only a greeting carries: "Robin, could you write about X?" asks
        // its own question, and what follows may be talk to the list.
        // So does a reply's opening on another commenter's name.
        let greeting = to == Addressee::Owner || (to == Addressee::Other && in_talk);
        if i == 0 && greeting && !asks {
            message_to = to;
        }
        let to = match (to, before_group) {
            // Back to them only for a request for writing ("If so, could
            // you share your settings?" is to the group still).
            (Addressee::Unstated, Some(before))
                if super::topics::asks_for_writing(&s.text.to_lowercase()) =>
            {
                before
            }
            (Addressee::Unstated, _) => para_to,
            (to, _) => to,
        };
        if !asks || !for_owner(to, place) {
            continue;
        }
        if is_rhetorical(all, i) || is_boilerplate(all, i) || labels.contains(&label_key(&s.text)) {
            continue;
        }
        asking.push(s.text.replace('\n', " "));
        // The digest shows the question; a handful of sentences is enough.
        if asking.len() >= 5 {
            break;
        }
    }
    let topic_rule = if place.call_for_topics {
        "answered your call for topics"
    } else {
        "asks you to write about something"
    };
    if !asking.is_empty() {
        let question = asking.join(" ");
        // When every asking sentence is a topic request, say so.
        let only_topics = asking.iter().all(|q| topics.iter().any(|t| t.words == *q));
        let rule = if only_topics && !topics.is_empty() {
            topic_rule.to_string()
        } else {
            why(place)
        };
        reasons.push(Reason::new(Rule::Asks, rule, &question));
        return Ask {
            asks: true,
            question,
        };
    }
    if let Some(t) = topics.first() {
        reasons.push(Reason::new(Rule::Asks, topic_rule, &t.words));
        return Ask {
            asks: true,
            question: t.words.clone(),
        };
    }
    let rule = match place.source {
        Source::List => "asks the list, not you (no question or request addressed to you)",
        _ => "no question or request for you in the new text",
    };
    no(reasons, rule, "")
}

/// The reason the digest shows ("asked you directly on Netadmins").
fn why(place: &Place) -> String {
    match place.source {
        Source::List => {
            let list = place.list_name.as_deref().unwrap_or("a list");
            if place.reply_to_owner {
                format!("replied to your post on {list} with a question")
            } else {
                format!("asked you directly on {list}")
            }
        }
        Source::Comment => "a comment asks you".to_string(),
        _ => "asks you directly".to_string(),
    }
}

/// Is a question or request with this addressee one for the owner?
/// "@Tessa Lindqvist", "@tessa_l": the owner named as a mention (an
/// address's "@" is not one).
pub(crate) fn mentions_owner(text: &str, place: &Place) -> bool {
    text.match_indices('@').any(|(i, _)| {
        let after_word = text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let name: String = text[i..]
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let name = name.trim_end_matches(|c: char| !c.is_alphanumeric());
        !after_word && place.names.is_called(name)
    })
}

fn for_owner(to: Addressee, place: &Place) -> bool {
    match to {
        Addressee::Owner => true,
        Addressee::Other | Addressee::Group => false,
        Addressee::Unstated => match place.source {
            Source::List => place.reply_to_owner || place.to_owner,
            Source::Comment => !place.answers_another,
            // A mention in a public note talks to its readers, but where
            // it calls on the owner.
            Source::Pingback => false,
            _ => !place.owner_only_cc,
        },
    }
}

/// Does the sentence call on someone other than the owner by name
/// ("Élise, tu aurais le lien ... ?")? What it asks is for them.
pub(crate) fn calls_on_another(s: &str, place: &Place) -> bool {
    addressee(s, place) == Addressee::Other
}

/// "Maya, could you ...", "Robin - did you ...", "@robin ...", "Robinさん、",
/// "anyone on the list ...?", "Colleagues,".
fn addressee(s: &str, place: &Place) -> Addressee {
    // "Question for Kev: what terminal ...?": the label names whom it is for.
    if let Some(name) = question_for(s) {
        return match place.names.is_called(name) {
            true => Addressee::Owner,
            false => Addressee::Other,
        };
    }
    if let Some((name, certain)) = vocative(s) {
        // "@elinvarga": a handle of the whole name.
        if place.names.is_called(&name) || (certain && place.names.is_called(&format!("@{name}"))) {
            return Addressee::Owner;
        }
        // "Hello everyone, and hello @thea - ...": the group is greeted,
        // the owner called by name.
        if is_group_word(&name) {
            if place.names.at_mention_in(s) {
                return Addressee::Owner;
            }
            return Addressee::Group;
        }
        // "Maya, could you ..." with Maya in Cc; or an unknown name calling
        // on "you" in a question or request. "Understood, thank you." is not.
        // Where many people talk (comments, lists) a question that opens
        // with another name is that person's, "you" or not ("Marta, ¿has
        // probado...?": Spanish needs no pronoun).
        let known = place
            .other_names
            .iter()
            .any(|n| name.split_whitespace().any(|w| w.eq_ignore_ascii_case(n)));
        let asks = is_question(s) || is_request(s);
        let a_word = has_a_stop_word(&name);
        // "Ein Themenwunsch: Könnten Sie ...?" opens with a label, not a name.
        let many = matches!(place.source, Source::Comment | Source::List);
        if certain || known || (asks && !a_word && (speaks_to_you(s) || many)) {
            return Addressee::Other;
        }
    }
    if greets_owner(s, place) {
        return Addressee::Owner;
    }
    // "Robin's column says X - do you all agree?" asks the list; "Hello
    // everyone, and hello @thea" calls on the owner.
    if to_group(s) {
        // "... and hello @thea - could you ...?" calls on the owner;
        // "Who else follows @Thea's series?" speaks of her.
        if place.names.at_mention_in(s) && mentions_owner_as_you(s, place) {
            return Addressee::Owner;
        }
        return Addressee::Group;
    }
    if mentions_owner_as_you(s, place) {
        return Addressee::Owner;
    }
    Addressee::Unstated
}

/// The name a sentence's label says it is for: "Question for Kev: ...",
/// "Pregunta para Marta: ..." (a capitalised name of up to three words,
/// then a colon).
fn question_for(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let lower = t.to_lowercase();
    let label = crate::lang::WORDS
        .asks
        .question_for
        .iter()
        .find(|q| lower.starts_with(&format!("{q} ")))?;
    // The label's letters keep their length in lower case ("question for").
    let rest = t.get(label.len() + 1..)?;
    let (name, _) = rest.split_once(':')?;
    let words: Vec<&str> = name.split_whitespace().collect();
    // "Frage an Sie:", "A Question For You:", "Question for the group:",
    // "Question for Friday's Q&A:" name no one else.
    let no_one = || {
        let lower = name.trim().to_lowercase();
        let lower = lower.strip_prefix("the ").unwrap_or(&lower);
        crate::lang::WORDS
            .asks
            .second_person
            .iter()
            .any(|y| y == lower)
            || ["euch", "toi", "ustedes", "voi", "everyone", "everybody"].contains(&lower)
            || is_group_word(name.trim())
            || ["next ", "this ", "a future ", "the next "]
                .iter()
                .any(|p| lower.starts_with(p))
            || lower.contains("'s ")
            || lower.contains("’s ")
    };
    (!words.is_empty()
        && words.len() <= 3
        && words
            .iter()
            .all(|w| w.starts_with(|c: char| c.is_uppercase() || c == '@'))
        && !no_one())
    .then_some(name.trim())
}

/// A greeting that names the owner, whoever else it greets: "Bonjour à
/// tous, et bonjour Ines en particulier", "Hello all, hi Ines".
fn greets_owner(s: &str, place: &Place) -> bool {
    let words: Vec<&str> = s
        .split(|c: char| !c.is_alphanumeric() && c != '@')
        .filter(|w| !w.is_empty())
        .collect();
    let greets = words.windows(2).any(|w| {
        crate::lang::one_of(&crate::lang::WORDS.asks.greetings, &w[0].to_lowercase())
            && place.names.is_called(w[1])
    });
    greets && !(is_question(s) || is_request(s))
}

/// The sentence opens on a name that is not the owner's nor a word:
/// "Jo, I had exactly the same gap."
fn greets_another(s: &str, place: &Place) -> bool {
    vocative(s).is_some_and(|(name, _)| {
        !place.names.is_called(&name) && !is_group_word(&name) && !has_a_stop_word(&name)
    })
}

/// Under a post, a comment that opens on one given name set off by a
/// comma or a dash ("Callie, ...", "Marcus - ...") calls on that commenter.
/// "Hannah Yeo:" names who speaks; "Schöner Bericht, ..." (German writes
/// its nouns capitalised) is a remark.
fn calls_a_commenter(s: &str) -> bool {
    !labels_a_speaker(s)
        && vocative(s).is_some_and(|(name, certain)| certain || !name.contains(char::is_whitespace))
}

/// "Hannah Yeo:" opening a notice's words names who speaks, not whom.
fn labels_a_speaker(s: &str) -> bool {
    let s = s.trim_start_matches(['-', '*', ' ', '"', '“', '„', '«', '\'']);
    let end = s.find([',', ':', '–', '—']).unwrap_or(s.len());
    s[end..].starts_with(':')
}

/// A word of the "name" is a stop word: a label or a phrase, not a name.
fn has_a_stop_word(name: &str) -> bool {
    name.split_whitespace()
        .any(|w| crate::subjects::is_stop(&crate::subjects::fold(w)))
}

/// The name a sentence opens with when it calls someone: one or two
/// capitalised words, then a comma, colon or dash; "@name"; or a Japanese
/// name with さん/様 and "、". The flag says the form is unambiguous.
pub(crate) fn vocative(s: &str) -> Option<(String, bool)> {
    // Code and a link's label before the words ("[Photo, 2024][1] @Ruth ...").
    let mut s = s.trim_start();
    loop {
        let rest = s
            .strip_prefix("<code>")
            .or_else(|| s.strip_prefix("<url>"))
            .or_else(|| {
                let t = s.strip_prefix('[')?;
                let (_, after) = t.split_once("][")?;
                let (n, rest) = after.split_once(']')?;
                n.chars().all(|c| c.is_ascii_digit()).then_some(rest)
            });
        match rest {
            Some(r) => s = r.trim_start(),
            None => break,
        }
    }
    let s = s.trim_start_matches(['-', '*', ' ', '"', '“', '„', '«', '\'']);
    // "But Imogen, you should ...": the conjunction opens, the name calls.
    let s = match s.split_once(' ') {
        Some((w, rest))
            if rest.starts_with(char::is_uppercase)
                && crate::lang::one_of(
                    &crate::lang::WORDS.asks.conjunctions,
                    &w.to_lowercase(),
                ) =>
        {
            rest
        }
        _ => s,
    };
    // "Also: Sam, could you ...", "PS: Jo, ...": a label word, then the call.
    let s = match s.split_once(": ") {
        Some((w, rest))
            if !w.contains(' ')
                && rest.starts_with(char::is_uppercase)
                && (has_a_stop_word(w) || not_a_name(&w.to_lowercase())) =>
        {
            rest
        }
        _ => s,
    };
    // A platform's "Name (@handle): @Other ..." quotes a comment that calls on Other.
    let s = match s.find(": @") {
        Some(i) if i < 80 => &s[i + 2..],
        _ => s,
    };
    if let Some(rest) = s.strip_prefix('@') {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        // "@Wren Talbot's newsletter": a possessive names, it does not call.
        let possessive = |w: &str| w.ends_with("'s") || w.ends_with("’s");
        let mut words = rest.split_whitespace();
        let first = words.next().unwrap_or("");
        let surname = words.next().filter(|w| w.starts_with(char::is_uppercase));
        if possessive(first) || surname.is_some_and(possessive) {
            return None;
        }
        return (!name.is_empty()).then_some((name, true));
    }
    for honorific in ["さん、", "様、", "さん，", "先生、"] {
        if let Some(at) = s.find(honorific)
            && s[..at].chars().count() <= 12
        {
            return Some((s[..at].trim().to_string(), true));
        }
    }
    let end = match (s.find([',', ':', '–', '—']), s.find(" -")) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let head = s[..end].trim();
    let words: Vec<&str> = head.split_whitespace().collect();
    if words.is_empty() || words.len() > 2 {
        return None;
    }
    // Each part of a double name is capitalised ("Anne-Marie"); "Follow-up:"
    // is a label.
    let capitalised = words.iter().all(|w| {
        w.split('-')
            .all(|part| part.chars().next().is_some_and(char::is_uppercase))
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-' || c == '.')
    });
    if !capitalised || words.iter().any(|w| not_a_name(&w.to_lowercase())) {
        return None;
    }
    Some((head.to_string(), false))
}

/// Openers that look like a name before a comma but are not one ("Hi,").
/// A reply's word of reaction ("Super, j'attends le billet") is none either.
fn not_a_name(word: &str) -> bool {
    let w = &crate::lang::WORDS;
    // Adverbs of Spanish, Italian and Portuguese ("Sinceramente, ...").
    word.chars().count() > 6 && word.ends_with("mente")
        || w.asks
            .not_names
            .iter()
            .chain(&w.topics.reactions)
            .any(|n| n == word)
}

fn is_group_word(name: &str) -> bool {
    let n = name.to_lowercase();
    crate::lang::WORDS
        .asks
        .group_vocatives
        .iter()
        .any(|g| n == *g || n.starts_with(&format!("{g} ")))
}

/// The owner named in a sentence that speaks to "you" (or "@robin" anywhere).
fn mentions_owner_as_you(s: &str, place: &Place) -> bool {
    // A name that is also a word ("Will you ...", "May I ...") opening the
    // sentence is the word, not the owner.
    // "@robin" speaks to them in a sentence to "you", or opening it;
    // "Reading @robin on X ..." speaks of them.
    if place.names.at_mention_in(s) {
        // "... don't read @Ottilie Barcroft's newsletter, what are you
        // doing?" asks its readers.
        if place.names.possessive_in(s) {
            return false;
        }
        let opens = s.trim_start_matches(['"', '“', '\'', ' ']).starts_with('@');
        return opens || speaks_to_you(s);
    }
    if !place.names.word_in(s) || !place.names.called_in(s, not_a_name) {
        return false;
    }
    // "the mount you printed for Del's cinewhoop" speaks of them.
    !place.names.possessive_in(s) && crate::lang::speaks_to_you(&s.to_lowercase())
}

/// The sentence speaks to someone in the second person.
fn speaks_to_you(s: &str) -> bool {
    crate::lang::speaks_to_you(&s.to_lowercase())
}

/// Questions put to everyone: "anyone", "does anybody", "quelqu'un", ...
pub(crate) fn to_group(s: &str) -> bool {
    let l = s.to_lowercase();
    // Phrases that only ever address a group.
    static GROUP: LazyLock<Phrases> = LazyLock::new(|| {
        Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.group_phrases))
    });
    // Where the list is: in a question ("¿Alguien en la lista ...?") it
    // asks the group; "... X: en la lista hay al menos cinco que ..." only
    // says where they are.
    static PLACES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.group_places)));
    if GROUP.any_in(&l) || (l.contains('?') || l.contains('¿')) && PLACES.any_in(&l) {
        return true;
    }
    // "Does anyone ...?", "Has anybody ...?", "Quelqu'un a ...?": the
    // indefinite pronoun opens the question. "Do you know anyone who ...?"
    // asks the reader, not the group.
    // The question may open after a label or a lead-in: "Pour la salle :
    // quelqu'un ...?", "ya que estamos en el hilo: ¿alguien tiene ...?".
    let tail = l
        .rmatch_indices([':', '¿'])
        .next()
        .map(|(at, m)| &l[at + m.len()..]);
    let who = &crate::lang::WORDS.asks.group_pronouns;
    let opens_with_group = |l: &str| {
        let words: Vec<&str> = l.split_whitespace().take(3).collect();
        words.iter().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
            who.iter().any(|p| p == w)
        }) && !words
            .iter()
            .any(|w| *w == "you" || *w == "vous" || *w == "du" || *w == "tu")
    };
    opens_with_group(&l) || tail.is_some_and(opens_with_group)
}

fn is_question(s: &str) -> bool {
    let t = s.trim_end_matches(['"', '\'', ')', '»', '”', ' ']);
    let words = t.split_whitespace().count();
    let cjk = t.chars().any(|c| c as u32 >= 0x3000);
    // "Thoughts?" asks; "Questions?" on its own is a footer's.
    let footer =
        ["questions?", "problems?", "trouble?", "help?"].contains(&t.to_lowercase().as_str());
    let marked =
        (t.ends_with('?') || t.ends_with('？') || t.starts_with('¿')) && (words >= 1 || cjk);
    (marked && !footer && !cut_inside_quotes(s)) || restated(t)
}

/// A sentence that ends on a "?" inside quotation marks it opened: a
/// title cut where its "?" is ("zu Ihrem Beitrag „Licht aus im Dorf?").
/// Only typographic marks count ('"' is also the inch), and only opened
/// inside the sentence: a platform quotes a whole comment.
fn cut_inside_quotes(s: &str) -> bool {
    let s = s.trim();
    if !s.ends_with('?') || s.starts_with(['„', '“', '«', '"']) {
        return false;
    }
    open_quote_before(s, false)
}

/// Is a quotation open at the end of `s`? Curly quotes and guillemets
/// open and close by their own marks; with `straight`, straight quotes
/// too, by turns.
fn open_quote_before(s: &str, straight: bool) -> bool {
    let mut open: Option<char> = None;
    for c in s.chars() {
        open = match (open, c) {
            (None, '„' | '“' | '«') => Some(c),
            (None, '"') if straight => Some(c),
            (Some('"'), '"') | (Some('„'), '“' | '”') | (Some('“'), '”') | (Some('«'), '»') => {
                None
            }
            (o, _) => o,
        };
    }
    open.is_some()
}

/// A question put as a statement: "the question is whether ...", "I only
/// wanted to know why ...", "je me demande si ...".
fn restated(s: &str) -> bool {
    restated_in(&s.to_lowercase())
}

/// [`restated`] for a sentence in lower case already.
pub(crate) fn restated_in(l: &str) -> bool {
    static RESTATED: LazyLock<Phrases> = LazyLock::new(|| {
        Phrases::new(crate::lang::phrases(
            &crate::lang::WORDS.asks.restated_questions,
        ))
    });
    RESTATED.any_in(l)
}

/// Requests that are not phrased as questions, in any language the
/// language files know ("could you", "könnten Sie", "¿podrías").
fn is_request(s: &str) -> bool {
    static CUES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.requests)));
    static NOT: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.not_requests)));
    let l = s.to_lowercase();
    CUES.any_in(&l) && !NOT.any_in(&l)
}

/// A question its writer answers at once ("Who needs X? Not me."), or a
/// figure of speech ("Isn't it ironic ...?", "Is it just me, or ...?").
fn is_rhetorical(all: &[Sentence], i: usize) -> bool {
    // One line, whatever the mail's line breaks ("Who\nknew ...?").
    let l = all[i]
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    // "Who honestly needs ...?" is "Who needs ...?".
    let plain: String = l
        .split(' ')
        .filter(|w| !one_of(&crate::lang::WORDS.topics.intensifiers, w))
        .collect::<Vec<_>>()
        .join(" ");
    let stripped = plain != l;
    // "Honestly? Nothing comes to mind.": a lone intensifier asks nothing.
    let bare = l.trim_end_matches(['?', '!', ' ', '.']);
    if !bare.is_empty()
        && bare
            .split(' ')
            .all(|w| one_of(&crate::lang::WORDS.topics.intensifiers, w))
    {
        return true;
    }
    if figure_of_speech(&l) || stripped && figure_of_speech(&plain) {
        return true;
    }
    let words = &crate::lang::WORDS.asks;
    static FIGURES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.figures)));
    if FIGURES.any_in(&l) || stripped && FIGURES.any_in(&plain) || exasperated(&l) {
        return true;
    }
    // Small talk: "How are you?", "Hope all is well?" (short, nothing else).
    let small_talk = || words.small_talk.iter().any(|p| l.contains(p.as_str()));
    if l.split_whitespace().count() <= 6 && small_talk() {
        return true;
    }
    // "Domande retoriche, lo so.": the writer says so, later in the
    // paragraph, in any of the languages ("rhetorisch", "retórica",
    // "rhétorique", with accents off).
    let said_rhetorical = all[i + 1..]
        .iter()
        .take_while(|n| n.para == all[i].para)
        .any(|n| {
            let f = crate::subjects::fold(&n.text);
            f.contains("rhetori") || f.contains("retoric")
        });
    if said_rhetorical {
        return true;
    }
    if gives_its_own_reason(all, i, &l) {
        return true;
    }
    let Some(next) = all.get(i + 1).filter(|n| n.para == all[i].para) else {
        return false;
    };
    let n = next.text.to_lowercase();
    if answers_itself(&l, &n) {
        return true;
    }
    let short = n.split_whitespace().count() <= 4 && !n.ends_with('?');
    short && words.self_answers.iter().any(|a| n.starts_with(a.as_str())) || marvels(&l, &n)
}

/// "How does she stay so calm with three hundred runs a day? Madness.":
/// a question not to "you", then a verdict of a word or two (`verdicts`
/// in src/lang/*.toml): the writer marvels.
fn marvels(l: &str, next: &str) -> bool {
    let verdict = next
        .trim()
        .trim_start_matches(['¡', '¿'])
        .trim_end_matches(['.', '!', '…'])
        .trim();
    let words = &crate::lang::WORDS.asks;
    next.trim_end().ends_with(['.', '!', '…'])
        && verdict.split_whitespace().count() <= 3
        && !speaks_to_you(l)
        && one_of(&words.verdicts, &verdict.to_lowercase())
}

/// "Why do we do this to ourselves? Cold hands, cut fingers. Because
/// nothing beats that first drive.": a why-question not in the second
/// person, which one of the next two sentences of its paragraph answers
/// with a reason (`because` in src/lang/*.toml) not in the first person
/// singular ("Because I've seen both quoted" says why the writer asks).
fn gives_its_own_reason(all: &[Sentence], i: usize, l: &str) -> bool {
    let asks = &crate::lang::WORDS.asks;
    if !opens_with_why(l) || speaks_to_you(l) {
        return false;
    }
    all[i + 1..]
        .iter()
        .take_while(|n| n.para == all[i].para)
        .take(2)
        .map(|n| n.text.trim().to_lowercase())
        .any(|n| {
            !n.ends_with('?')
                && asks.because.iter().any(|b| {
                    // "Because I've seen both quoted": why the writer asks.
                    n.strip_prefix(b.as_str()).is_some_and(|rest| {
                        let first = rest.split_whitespace().next().unwrap_or("");
                        !crate::lang::WORDS
                            .topics
                            .first_person
                            .iter()
                            .any(|p| p == first)
                    })
                })
        })
}

/// "And why does every launch now need a DJ??": a why-question with its
/// marks doubled is exasperation, not a question.
fn exasperated(l: &str) -> bool {
    let t = l.trim_end();
    (t.ends_with("??") || t.ends_with("?!") || t.ends_with("!?")) && opens_with_why(t)
}

/// Does `l` (lower case) open with "why" in one of the languages, after
/// any marks and a conjunction ("And why ...")?
fn opens_with_why(l: &str) -> bool {
    let t = after_conjunction(l.trim_start_matches(|c: char| !c.is_alphanumeric()));
    crate::lang::WORDS.asks.why.iter().any(|w| {
        t.strip_prefix(w.as_str())
            .is_some_and(|r| r.starts_with(' '))
    })
}

/// `l` (lower case) without the conjunction it opens with ("and why ...").
fn after_conjunction(l: &str) -> &str {
    crate::lang::WORDS
        .asks
        .conjunctions
        .iter()
        .find_map(|c| l.strip_prefix(c.as_str())?.strip_prefix(' '))
        .unwrap_or(l)
}

/// Questions nobody is meant to answer, by their form: an exclamation
/// dressed as a negative question ("Isn't it strange how ...?", "Don't you
/// love it when ...?"), a universal one ("Who among us hasn't ...?"), the
/// writer asking about their own past ("Why didn't I do this years ago?",
/// "What was I thinking?"), and discourse markers ("And guess what?").
pub(crate) fn figure_of_speech(l: &str) -> bool {
    let l = l
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .replace('’', "'");
    let words = &crate::lang::WORDS.asks;
    let l = after_conjunction(&l);
    // At the start, after a comma, or after a label or quotation mark
    // ("Ines: \"Quem diria ...?\""), or after a link that ended the line
    // before ("... sind hier <url> Wer braucht schon ...?").
    let opens = |i: usize| {
        let before = l[..i].trim_end_matches([' ', '"', '“', '«', '„']);
        before.is_empty() || before.ends_with([',', ':']) || before.ends_with("<url>")
    };
    // One automaton for the list: a search per phrase was 1.5% of
    // judging R-devel.
    static RHETORICAL: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(&crate::lang::WORDS.asks.rhetorical)
                .expect("src/lang: rhetorical")
        });
    if RHETORICAL
        .find_overlapping_iter(l)
        .any(|m| opens(m.start()))
    {
        return true;
    }
    // "Isn't it strange how ...", "Wasn't it lovely that ...": an exclamation.
    let exclaims = words
        .exclamations
        .iter()
        .find_map(|p| l.strip_prefix(p.as_str()))
        .is_some_and(|rest| {
            let next: Vec<&str> = rest.split_whitespace().take(4).collect();
            next.iter()
                .skip(1)
                .any(|w| one_of(&words.exclamation_links, w))
        });
    let loves = words
        .exclaimed_feelings
        .iter()
        .any(|p| l.starts_with(p.as_str()));
    // The writer asks about their own past, which only they know.
    let own_past = words.own_past.iter().any(|p| l.starts_with(p.as_str()));
    // "You asked at the end, \"What's the worst ...?\"": the owner's own
    // question, quoted to answer it.
    let reported = words.reported.iter().any(|p| {
        l.trim_start_matches(|c: char| !c.is_alphanumeric())
            .starts_with(p.as_str())
    }) && l
        .rfind('?')
        .is_some_and(|q| open_quote_before(&l[..q], true));
    // "Is there anything more satisfying than ...?": a feeling compared
    // (not "anything cheaper than", which asks).
    let compares = words.comparisons.iter().any(|p| {
        l.match_indices(p.as_str()).any(|(i, m)| {
            opens(i)
                && l[i + m.len()..]
                    .split_whitespace()
                    .next()
                    .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                    .is_some_and(|w| one_of(&words.feelings, w))
        })
    });
    exclaims || loves || own_past || reported || compares || tag_question(l)
}

/// "It's amazing, isn't it?": a tag that asks agreement with the writer's
/// own statement. "You use unbound, right?" checks a fact about the reader
/// and asks.
fn tag_question(l: &str) -> bool {
    let words = &crate::lang::WORDS.asks;
    closing_exclamation(l)
        || words
            .tags
            .iter()
            .find_map(|t| l.strip_suffix(t.as_str()))
            .is_some_and(|stated| {
                !speaks_to_you(stated)
                    && stated
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| one_of(&words.judgements, w))
            })
}

/// "... on the Society's page – isn't it marvellous?": a closing
/// exclamation of one or two words of judgement ("– wasn't it demolished?"
/// asks).
fn closing_exclamation(l: &str) -> bool {
    let tail = [" – ", " — ", " - ", " -- ", ": ", "; ", ", "]
        .iter()
        .filter_map(|sep| l.rfind(sep).map(|at| &l[at + sep.len()..]))
        .min_by_key(|t| t.len())
        .unwrap_or(l)
        .trim_end_matches(['?', '!', ' ', '.']);
    // Only a judgement invites mere agreement.
    let words = &crate::lang::WORDS.asks;
    words
        .exclamations
        .iter()
        .find_map(|p| tail.strip_prefix(p.as_str()))
        .is_some_and(|rest| {
            let rest: Vec<&str> = rest.split_whitespace().collect();
            (1..=2).contains(&rest.len())
                && rest
                    .iter()
                    .all(|w| one_of(&words.judgement_stress, w) || one_of(&words.judgements, w))
        })
}

/// "Why ...? Laziness, mostly.": a question that does not speak to the
/// reader, answered at once by its writer in a fragment.
fn answers_itself(q: &str, next: &str) -> bool {
    let words = next.split_whitespace().count();
    let asks = &crate::lang::WORDS.asks;
    let closing = asks.closings.iter().any(|c| next.starts_with(c.as_str()));
    // "What's the fix? No idea." still asks; "Mesh or APs." offers choices.
    let still_asking = asks
        .still_asking
        .iter()
        .any(|p| next.starts_with(p.as_str()))
        || next.contains(" or ");
    let wh = ["why ", "who ", "what "].iter().any(|w| q.starts_with(w));
    wh && !still_asking
        && !speaks_to_you(q)
        && !next.ends_with('?')
        && words > 0
        && words <= 3
        && next.ends_with(['.', '!'])
        && !closing
}

/// The field labels of a form or template the text fills in ("What were
/// you trying to do?", "**Expected behavior?**"): three or more short lines
/// that open a paragraph and have the answer on the lines right below, or
/// the answer on their own line ("Photos attached? (y/n): n"); in such a
/// form, "Where did you buy it? Car-boot sale" too. A label is no question
/// to the owner, whatever it asks.
pub(super) fn form_labels(text: &str) -> std::collections::HashSet<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let (mut labels, mut n) = (std::collections::HashSet::new(), 0);
    for (i, line) in lines.iter().enumerate() {
        let bare = line.trim_matches(['*', '_', '#', ' ']);
        // A numbered field ("1. What did you enjoy most about the workshop?").
        let bare = match item_number(bare) {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => bare,
        };
        // Its choices after it: "Would you come again? (Yes / No / Maybe)".
        let bare = match bare.rsplit_once("? (") {
            Some((q, choices)) if choices.ends_with(')') => &bare[..=q.len()],
            _ => bare,
        };
        let opens = i == 0 || lines[i - 1].is_empty();
        let answered = lines.get(i + 1).is_some_and(|n| !n.is_empty());
        let short = (1..=8).contains(&bare.split_whitespace().count());
        if opens && answered && short && bare.ends_with(['?', ':']) {
            n += 1;
            // Each question of "Did you expect something else? If so, what?".
            for q in bare.split_inclusive('?') {
                labels.insert(label_key(q.trim()));
            }
            continue;
        }
        // A form filled in as a table: "2. Did the game end on time?    No",
        // or on one line: "What could we improve?: The room was cold."
        // Or with its choices: "Photos attached? (y/n): n".
        if let Some((label, answer)) = line
            .split_once("  ")
            .or_else(|| line.split_once('\t'))
            .or_else(|| line.split_once("?:").map(|(l, a)| (&line[..=l.len()], a)))
            .or_else(|| {
                let (l, rest) = line.split_once("? (")?;
                let (_, a) = rest.split_once("):")?;
                Some((&line[..=l.len()], a))
            })
            && label.contains('?')
            && !answer.trim().is_empty()
            && (1..=12).contains(&label.split_whitespace().count())
        {
            n += 1;
            labels.insert(label_key(label));
        }
    }
    // A short question answered on its line after one space: "Where did
    // you buy it? Car-boot sale".
    fn answered_on_its_line(line: &str) -> Option<(&str, &str)> {
        line.split_once("? ")
            .map(|(l, a)| (&line[..=l.len()], a))
            .filter(|(label, answer)| {
                !answer.trim().is_empty()
                    && !answer.contains('?')
                    && (1..=8).contains(&label.split_whitespace().count())
            })
    }
    // A template's answer is a fragment ("No", "Podcast Republic 2.4"), not
    // a sentence of the writer's ("I did and it blew.").
    let fragment = |line: &str| {
        answered_on_its_line(line).is_some_and(|(_, a)| !a.trim_end().ends_with(['.', '!']))
    };
    // Three such lines in a row are a template filled in ("What did you
    // expect to happen? ...", "Which app and version? ...").
    let mut run = 0;
    for line in &lines {
        run = if fragment(line) { run + 1 } else { 0 };
        n = n.max(run);
    }
    if n < 3 {
        labels.clear();
        return labels;
    }
    // In a form so filled in, each such line is a field.
    for line in &lines {
        if let Some((label, _)) = answered_on_its_line(line) {
            labels.insert(label_key(label));
        }
    }
    labels
}

/// A list item's mark of one or two characters and the rest: ("2", "Did
/// the game end on time?") from "2. Did the game end on time?", ("b", ...)
/// from "b) ...".
fn item_number(s: &str) -> Option<(&str, &str)> {
    let (n, rest) = s.split_once(['.', ')'])?;
    (1..=2).contains(&n.len()).then(|| (n, rest.trim_start()))
}

/// How [`form_labels`] and a sentence's first line are compared.
pub(super) fn label_key(s: &str) -> String {
    // The line that asks, without its number ("2. ", "b) ").
    let first = s
        .lines()
        .find(|l| l.contains('?'))
        .or_else(|| s.lines().next())
        .unwrap_or("");
    let first = first.trim_start();
    let first = match item_number(first) {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_alphanumeric()) => rest,
        _ => first,
    };
    let bare = first.trim_matches(['*', '_', '#', ' ']);
    // A sentence is one question of its line.
    let end = bare.find('?').map_or(bare.len(), |q| q + 1);
    bare[..end].trim_end_matches(['*', '_']).to_lowercase()
}

/// The question of a signature, disclaimer or service footer: followed by
/// an instruction to contact someone else ("Questions? Contact support").
fn is_boilerplate(all: &[Sentence], i: usize) -> bool {
    // A signature runs into the question without punctuation: judge the last line.
    let l = all[i].text.rsplit('\n').next().unwrap_or("").to_lowercase();
    // A disclaimer is a paragraph: its requests ("Please notify the sender
    // immediately") are as much boilerplate as its questions. The sentence
    // itself names one, or its paragraph names two ("riservata a una
    // decina di persone" alone is an invitation's).
    let markers = |text: &str| {
        let l = text.to_lowercase();
        crate::lang::WORDS
            .asks
            .disclaimers
            .iter()
            .filter(|d| l.contains(d.as_str()))
            .count()
    };
    let paragraph: String = all
        .iter()
        .filter(|s| s.para == all[i].para)
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let disclaimer = markers(&all[i].text) > 0 || markers(&paragraph) >= 2;
    if disclaimer
        || l.contains("this e-mail")
        || l.contains("this email") && l.contains("confidential")
    {
        return true;
    }
    let Some(next) = all.get(i + 1) else {
        return false;
    };
    let n = next.text.to_lowercase();
    let words = l.split_whitespace().count();
    let contact = words <= 5
        && crate::lang::WORDS.asks.contact_lines.iter().any(|c| {
            n.starts_with(c.as_str())
                || n.contains(&format!(" {c}")) && n.split_whitespace().count() < 8
        });
    // "Thoughts? Visit my notes at ...": a person points to their own page.
    let own = format!(" {n} ");
    let person = [" my ", " me ", " i ", " i'm ", " i've "]
        .iter()
        .any(|w| own.contains(w));
    !person && (contact || call_to_action(&l, &n))
}

/// "Questions about your bill? Open a ticket at <url>", "Do you want to
/// keep receiving mail? [Upgrade storage now][1]": a short question that
/// a service's button or link answers, not the reader.
fn call_to_action(q: &str, next: &str) -> bool {
    let words = &crate::lang::WORDS.asks;
    let n = next.trim_start_matches(['[', '(', '*', ' ']);
    let link = next.contains("<url>") || next.contains("][") || next.contains("http");
    let personal = ["could you", "can you", "would you", "will you"]
        .iter()
        .any(|p| q.contains(p));
    // A service asks about the reader's account or needs, never their opinion.
    let service = q.contains("your ")
        || words
            .service_questions
            .iter()
            .any(|p| q.starts_with(p.as_str()));
    q.split_whitespace().count() <= 8
        && service
        && !personal
        && link
        && words.action_verbs.iter().any(|v| n.starts_with(v.as_str()))
}

/// "No need to reply", "no action needed", in any language the language files know.
fn no_reply_wanted(text: &str) -> Option<&'static str> {
    static NO_REPLY: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.asks.no_reply)));
    NO_REPLY.first_in(&text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Place;

    fn place(source: Source) -> Place {
        Place {
            source,
            names: crate::owner::Owner::new("Robin Ellis", &["robin@ellis-on-it.example"])
                .names()
                .clone(),
            to_owner: true,
            owner_only_cc: false,
            other_names: vec!["Maya".into()],
            reply_to_owner: false,
            call_for_topics: false,
            list_name: Some("Ops".into()),
            answers_another: false,
            is_reply: false,
        }
    }

    fn asks(source: Source, text: &str) -> bool {
        asks_owner(
            &place(source),
            text,
            &super::super::sentences(text),
            &[],
            &mut Vec::new(),
        )
        .asks
    }

    #[test]
    fn a_mention_that_names_the_owner_as_one_who_owns_asks_its_readers() {
        // "@Robin Ellis's newsletter": spoken of, to whoever reads the note.
        assert!(!asks(
            Source::Pingback,
            "If you run a home lab and don't read @Robin Ellis's newsletter, what are you doing?"
        ));
        // "@Robin Ellis, what are you doing ...?" calls on the owner.
        assert!(asks(
            Source::Pingback,
            "@Robin Ellis, what are you doing about the outage?"
        ));
    }

    #[test]
    fn teasing_questions_are_rhetorical_and_the_owners_question_quoted_is_answered() {
        assert!(!asks(
            Source::Direct,
            "Guess who finally finished the garage rack? Four hundred cables!"
        ));
        // "You asked at the end, \"What's the worst ...?\"" quotes the owner.
        assert!(!asks(
            Source::Comment,
            "You asked at the end, \"What's the worst router you ever bought?\" Mine was a 2009 Netgear."
        ));
        assert!(!asks(
            Source::Comment,
            "You asked at the end, \u{201c}What's the worst router you ever bought?\u{201d} Mine was a 2009 Netgear."
        ));
        assert!(asks(
            Source::Comment,
            "You asked about routers. What's the worst one you ever bought?"
        ));
        assert!(asks(
            Source::Comment,
            "You asked \"why?\" but what do you think?"
        ));
    }

    #[test]
    fn where_the_list_is_said_in_a_statement_addresses_no_group() {
        assert!(to_group("¿Alguien en la lista conoce un tapicero?"));
        assert!(to_group(
            "Please let me know if any of you has a spare SU carb."
        ));
        assert!(!to_group(
            "Me encantaría que escribieras sobre X: en la lista hay al menos cinco que lo estamos pensando."
        ));
    }

    #[test]
    fn why_do_we_all_is_rhetorical() {
        assert!(!asks(
            Source::Comment,
            "Ground testing saved my rocket. Why do we all keep skipping it when it takes twenty minutes? Anyway, three pins did it."
        ));
        // Only "all" makes it everyone's habit, not a question.
        assert!(!figure_of_speech(
            "why do we still need a ballast resistor with electronic ignition?"
        ));
    }

    #[test]
    fn a_why_question_the_writer_answers_with_a_reason_asks_nothing() {
        assert!(!asks(
            Source::Comment,
            "Why do we do this to ourselves? Cold hands, cut fingers, a garage full of bits. Because nothing beats that first drive, that's why. Lovely piece."
        ));
        assert!(!asks(
            Source::Comment,
            "Warum tun wir uns das an? Weil nichts die erste Fahrt schlägt."
        ));
        // Put to the owner, answered with another question, or followed
        // by why the writer asks, it asks.
        assert!(asks(
            Source::Comment,
            "Why is the axle ratio different on the GT? Because I've seen both 3.9 and 3.7 quoted."
        ));
        assert!(asks(
            Source::Comment,
            "Why do you still use a MIG? Because I was told TIG is better, and I wonder."
        ));
        assert!(asks(
            Source::Comment,
            "Why do the sills rot first? Because of the drain holes, or the seams?"
        ));
    }

    #[test]
    fn a_question_labelled_for_another_a_group_question_carried_and_complaints() {
        assert!(!asks(
            Source::Comment,
            "Great episode. Question for Kev: what terminal program were you running on the Amiga?"
        ));
        assert!(asks(
            Source::Comment,
            "Great episode. Question for Robin: what terminal program were you running?"
        ));
        // A label for "you", a group or an occasion names no one else.
        for label in [
            "Frage an Sie:",
            "Una domanda per Lei:",
            "Question for Friday's Q&A:",
            "A Question For You:",
            "One for Next Week:",
        ] {
            assert!(
                asks(
                    Source::Comment,
                    &format!("Great episode. {label} what terminal program were you running?")
                ),
                "{label}"
            );
        }
        // Names that hold a stop word or an apostrophe are names still.
        for name in [
            "Will",
            "O'Brien",
            "Ana Da Silva",
            "Lei Zhang",
            "Home Lab Joe",
        ] {
            assert!(
                !asks(
                    Source::Comment,
                    &format!(
                        "Great episode. Question for {name}: what terminal program were you running?"
                    )
                ),
                "{name}"
            );
        }
        assert!(!asks(
            Source::Comment,
            "Works on my C64, but in the emulator it runs twice as fast. Anyone know why? Is the emulator running in warp mode by default?"
        ));
        // A question to the group does not carry to a request for writing,
        // whether it opens the paragraph or not; it does to its follow-up.
        assert!(asks(
            Source::Comment,
            "Loved the disk drive episode. Has anyone tried this with the 1541-II? Could you also do a video on the JiffyDOS install?"
        ));
        assert!(asks(
            Source::Comment,
            "Has anyone tried this with the 1541-II? Could you also do a video on the JiffyDOS install?"
        ));
        assert!(!asks(
            Source::Comment,
            "Great write-up. Has anyone here flashed the new firmware? If so, could you share your settings?"
        ));
        assert!(!asks(
            Source::Comment,
            "Why is it always the cap right next to the heatsink that's cooked? Who designs these things?"
        ));
        assert!(!asks(
            Source::Comment,
            "Are we really sure authenticity matters this much? Nobody in 1986 had a reference monitor."
        ));
    }

    #[test]
    fn a_question_about_someone_then_a_verdict_marvels() {
        assert!(!asks(
            Source::Comment,
            "The episode with the judge was the best forty minutes of my week. How does she stay so calm with three hundred runs a day? Madness. Keep it up."
        ));
        assert!(!asks(
            Source::Comment,
            "¿Cómo aguanta tanto ese perro? Una locura."
        ));
        // Put to the owner, or followed by more than a verdict, it asks.
        assert!(asks(
            Source::Comment,
            "How do you stay so calm at trials? Madness."
        ));
        assert!(asks(
            Source::Comment,
            "How does she stay so calm? Madness is how I would describe my own runs."
        ));
        assert!(!asks(
            Source::Comment,
            "Isn't it amazing how much the entrance has changed? Who would have guessed a single winter could shift that much boulder? Thanks for the photos."
        ));
        // Praise after a question is no verdict on it: the question asks.
        assert!(asks(
            Source::Comment,
            "How long did the whole thing take? Respect."
        ));
        assert!(asks(
            Source::Comment,
            "Is the PCB layout going to be on GitHub? Legend."
        ));
        assert!(!asks(
            Source::Comment,
            "How does she squeeze through that gap? Unbelievable."
        ));
    }

    #[test]
    fn a_vocative_after_code_or_a_links_label_and_a_speakers_label() {
        assert_eq!(
            vocative("<code> <code> [Hallow Fell, 2024][1] @Ruth Keane did yours arrive flat?"),
            Some(("Ruth".to_string(), true))
        );
        assert!(labels_a_speaker(
            "Hannah Yeo: \"Forty! Did you ever work it out?"
        ));
        assert!(!labels_a_speaker(
            "Callie, também cheguei aqui. Você chegou a ir?"
        ));
    }

    #[test]
    fn a_form_filled_in_as_a_table_asks_nothing_and_a_fronted_german_modal_states() {
        let asks_in = |place: &Place, text: &str| {
            asks_owner(
                place,
                text,
                &super::super::sentences(text),
                &[],
                &mut Vec::new(),
            )
            .asks
        };
        let form = "Our form from tonight, filled in.\n\nFEEDBACK FORM v3\n1. How long did setup take?        25 min\n2. Did it end when you expected?    No, a round early\n3. Would you play again? (Y/N)      Y, 3 of 4\n\nOliver\n";
        assert!(!asks_in(&place(Source::Direct), form));
        // Choices and answers on the questions' own lines.
        let filled = "=== Submission ===\nTitle: Blue cart\nWhere did you buy it? Car-boot sale\nIs there a seal? (y/n): y, but blurry\nDoes it save? (y/n): n\nPhotos attached? (y/n): n, later\nAnything else? Odd board.\n=== end ===\n\nThanks,\nMaddie\n";
        assert!(!asks_in(&place(Source::Direct), filled));
        // Two answered labels are no form: the questions still ask.
        let two = "1. How long did setup take?        25 min\n\nCould you send the rules again?\n";
        assert!(asks_in(&place(Source::Direct), two));
        assert!(!asks_in(
            &place(Source::Direct),
            "Ich bringe die Soennecken mit, dann kannst du dir die Feder ansehen."
        ));
        assert!(asks_in(
            &place(Source::Direct),
            "Kannst du dir die Feder einmal ansehen."
        ));
    }

    #[test]
    fn an_intensifier_does_not_hide_a_figure_of_speech() {
        let asks_in = |text: &str| {
            asks_owner(
                &place(Source::Comment),
                text,
                &super::super::sentences(text),
                &[],
                &mut Vec::new(),
            )
            .asks
        };
        assert!(!asks_in("Who honestly needs forty flankers a year?"));
        assert!(!asks_in("Isn't that what Field Day is really for?"));
        assert!(asks_in("Do you honestly prefer the 1920s formula?"));
    }

    #[test]
    fn a_name_called_mid_paragraph_keeps_the_paragraph_and_a_greeting_by_name_carries() {
        // The questions after "Marco, ..." are Marco's too.
        assert!(!asks(
            Source::Comment,
            "Great build. Marco, what light are you running over your 45P? I'm trying to decide. Did your carpet pearl more after the switch?"
        ));
        assert!(asks(
            Source::Comment,
            "Great build. Did your carpet pearl more after the switch?"
        ));
        // A list post to all that greets the owner by name asks them what it asks in "tu".
        let list = Place {
            to_owner: false,
            ..place(Source::List)
        };
        let text = "Bonjour à tous, et bonjour Robin en particulier,\n\nDans ta dernière vidéo tu montres des Betta. Pourrais-tu nous dire d'où ils viennent ?";
        let ask = |text: &str| {
            asks_owner(
                &list,
                text,
                &super::super::sentences(text),
                &[],
                &mut Vec::new(),
            )
            .asks
        };
        assert!(ask(text));
        assert!(!ask(
            &text.replace("et bonjour Robin en particulier", "et merci")
        ));
        // "Robin tells me ..." names the owner without greeting them.
        assert!(!greets_owner(
            "Robin tells me you're bringing your telescope.",
            &list
        ));
    }

    #[test]
    fn thanks_for_advice_taken_and_a_lone_intensifier_ask_nothing() {
        assert!(!asks(
            Source::Direct,
            "Took your advice and gave the pleco a slice of cucumber before bed. Who knew a pleco could eat a whole cucumber overnight?"
        ));
        assert!(asks(
            Source::Direct,
            "I'd appreciate your advice on feeding plecos."
        ));
        assert!(!asks(
            Source::Direct,
            "Honestly? Nothing comes to mind - keep doing what you're doing."
        ));
        assert!(!asks(
            Source::Comment,
            "Why do people still cram clown loaches into 40 litre tanks when there are scapes like this to copy?"
        ));
        assert!(!asks(
            Source::Comment,
            "Chi avrebbe mai detto che un acero campestre reagisse così bene a un taglio così drastico?"
        ));
        assert!(!asks(
            Source::Comment,
            "Do we still need dive tables when the computer beeps at us?"
        ));
        // "@Wren Talbot's newsletter" speaks of the owner, not to her.
        assert_eq!(
            vocative("@Robin Ellis's Brood Notes, and Hive. Any others I should add?"),
            None
        );
        assert_eq!(
            vocative("@robin could you add it?").map(|v| v.1),
            Some(true)
        );
    }

    #[test]
    fn a_name_after_an_opening_conjunction_is_called() {
        assert_eq!(
            vocative("But Robin, you should do flex nibs one day."),
            Some(("Robin".to_string(), false))
        );
        assert_eq!(vocative("But the nib, is it gold?").map(|v| v.0), None);
    }

    #[test]
    fn a_why_question_with_doubled_marks_is_exasperation() {
        assert!(exasperated(
            "and why does every press launch now need a dj??"
        ));
        assert!(exasperated("warum muss das immer so laut sein?!"));
        assert!(!exasperated("what's the piece you play at 4:32??"));
        assert!(!exasperated("why is the build failing?"));
    }

    #[test]
    fn a_reply_to_another_commenter_talks_to_them_unless_it_calls_on_the_owner() {
        let answering = Place {
            answers_another: true,
            is_reply: true,
            ..place(Source::Comment)
        };
        let asks_in = |place: &Place, text: &str| {
            asks_owner(
                place,
                text,
                &super::super::sentences(text),
                &[],
                &mut Vec::new(),
            )
            .asks
        };
        let text = "Yes, that's the Wheatsheaf. Did your family keep it before they moved?";
        assert!(asks_in(&place(Source::Comment), text));
        assert!(!asks_in(&answering, text));
        assert!(asks_in(
            &answering,
            "Robin, could you check the 1910 directory for the licensee?"
        ));
    }

    #[test]
    fn a_reply_that_opens_on_another_name_talks_to_them_in_what_follows() {
        let reply = Place {
            is_reply: true,
            ..place(Source::Comment)
        };
        let asks_in = |place: &Place, text: &str| {
            asks_owner(
                place,
                text,
                &super::super::sentences(text),
                &[],
                &mut Vec::new(),
            )
            .asks
        };
        let to_jo = "Jo, I had the same gap at the heel. Did you pick up the extra stitch?";
        assert!(!asks_in(&reply, to_jo));
        // A top-level comment's paragraph that opens on another commenter's
        // name talks to them too, but only that paragraph: the next one may
        // turn to the owner. A reply's opening carries through it.
        assert!(!asks_in(&place(Source::Comment), to_jo));
        let then_owner = "Jo, I had the same gap at the heel.\n\nDid you ever write about heels?";
        assert!(asks_in(&place(Source::Comment), then_owner));
        assert!(!asks_in(&reply, then_owner));
        // "Fascinating – ..." and "Complimenti, ..." are no names.
        assert!(asks_in(
            &place(Source::Comment),
            "Complimenti, davvero! Quanto duravano le singole pose?"
        ));
        // The owner's name, or a word, opens no talk to another.
        assert!(asks_in(
            &reply,
            "Robin, I had the same gap. Did you pick up the extra stitch?"
        ));
        assert!(asks_in(
            &reply,
            "Honestly, I had the same gap. Did you pick up the extra stitch?"
        ));
    }

    #[test]
    fn questions_to_other_commenters_do_not_ask_but_discourse_markers_are_no_names() {
        // Where many people talk, a question opening with another name is theirs.
        assert!(!asks(
            Source::Comment,
            "Marta, ¿has probado a medir la continuidad con el aparato apagado?"
        ));
        assert!(!asks(
            Source::Comment,
            "\"@Jürgen: Hast du die Werte selbst gemessen?"
        ));
        assert!(!asks(
            Source::Comment,
            "Thomas Girard (@tgirard): @Julien Roux tu es sûr de ça ?"
        ));
        // "So," and "Entonces," open a sentence; they call on nobody.
        assert!(asks(
            Source::Comment,
            "Quindi, se ho capito bene, mi consigli di aspettare l'autunno?"
        ));
        assert!(asks(
            Source::Comment,
            "Entonces, si lo he entendido bien, las consolas quedan fuera, ¿no? Porque la mía está rota."
        ));
        // In direct mail an unknown name alone does not say who is asked.
        assert!(asks(Source::Direct, "Marta, ¿has probado a medirlo?"));
    }

    #[test]
    fn questions_to_others_rhetoric_and_boilerplate_do_not_ask() {
        assert!(asks(
            Source::Direct,
            "Hi Robin,\n\nWhich UPS do you run for the rack?\n\nAnn"
        ));
        assert!(!asks(
            Source::Direct,
            "Maya, could you send Robin the photos?\nAnd can you check the cable?"
        ));
        assert!(!asks(
            Source::Direct,
            "Who needs a cloud router anyway? Not me. Great post."
        ));
        // A title with a "?" is no question.
        assert!(!asks(
            Source::Direct,
            "Hallo,\n\nzu Ihrem Beitrag „Licht aus im Dorf? Warum Straßenlaternen uns alle angehen“ gibt es einen Kommentar."
        ));
        // A figure of speech quoted after its writer's name.
        assert!(!asks(
            Source::Direct,
            "Ines Carvalho: \"Quem diria que um diapasão ia mudar a relojoaria?\""
        ));
        // The writer says the questions are rhetorical, in their language.
        assert!(!asks(
            Source::Direct,
            "Robin,\n\n¿Quién paga los cortes de luz? ¿Y por qué nadie avisa? Preguntas retóricas, ya lo sé.\n\nAna"
        ));
        assert!(!asks(
            Source::Direct,
            "Thanks!\n\nJo Bloggs\nBloggs Plumbing | since 1990\nQuestions about your boiler? Call us 24/7!"
        ));
        assert!(!asks(
            Source::Direct,
            "Fixed with `ls app.log.?` and https://x.example/?a=1 works."
        ));
        assert!(!asks(
            Source::Direct,
            "Quick fix: 2009, not 2011. No need to reply."
        ));
        assert!(asks(
            Source::Direct,
            "Would you be open to a 15-minute briefing next week"
        ));
        assert!(!asks(Source::List, "Does anyone run Kea in production?"));
        assert!(!asks(
            Source::Direct,
            "Colleagues,\n\nIs anyone else being asked to cut columns?"
        ));
        assert!(asks(
            Source::Direct,
            "Do you know anyone who repairs old routers?"
        ));
        assert!(asks(Source::List, "Robin, did you ever publish part two?"));
        assert!(!asks(
            Source::List,
            "Robinson, did you ever publish part two?"
        ));
        assert!(asks(
            Source::List,
            "Robinさん、いつかコラムで書いていただけませんか？"
        ));
        assert!(!asks(Source::List, "高橋さん、設定を教えてください。"));
        // A form's field labels are not questions to the owner.
        assert!(!asks(
            Source::Comment,
            "Form: Report a problem\n\nWhat were you trying to do?\nWork out hydration.\n\nWhat happened instead?\nThe box showed NaN.\n\nDid you expect something else? If so, what?\nA number.\n\nCan we contact you about this report?\nNo need"
        ));
        assert!(asks(
            Source::Comment,
            "What were you trying to do?\nWork out hydration.\n\nCould you add a rye preset to the calculator?"
        ));
        // One word of a disclaimer's in an invitation makes none.
        assert!(asks(
            Source::Direct,
            "Gentile Robin,\n\nIl 21 novembre organizziamo una degustazione riservata a dieci persone. Le andrebbe di essere nostra ospite?\n\nElena"
        ));
        // A disclaimer's request is as much boilerplate as its question.
        assert!(!asks(
            Source::Direct,
            "Hi Robin,\n\nOur invoice is attached, as discussed.\n\nJo\n\nReceived this email in error? Please notify the sender immediately and delete it. This email is confidential and may be privileged."
        ));
    }

    #[test]
    fn a_feeling_compared_asks_nothing_a_property_compared_asks() {
        for q in [
            "Is there anything more satisfying than a clean hairline on sanded pine?",
            "¿Hay algo más relajante que una tarde de acuarela?",
            "C'è qualcosa di più bello di una pagina piena?",
        ] {
            assert!(!asks(Source::Comment, q), "{q}");
        }
        assert!(asks(
            Source::Comment,
            "Is there anything more affordable than Arches paper?"
        ));
        assert!(asks(Source::Comment, "¿Hay algo más que pueda hacer?"));
    }

    #[test]
    fn figures_of_speech_and_calls_to_action_do_not_ask() {
        for text in [
            "Isn't it strange how one column changes a habit?",
            "Why didn't I do this years ago? Laziness, mostly.",
            "And guess what? It worked.",
            "Who among us hasn't lost a weekend to that?",
            "It's amazing, isn't it?",
            "I've put the 1957 photo on the Society's page – isn't it marvellous?",
            "Reading this back in 2024 -- weren't we lucky?",
            "Can you believe it took me ten years?",
            "Who would've thought a $40 box could do that?",
            "How did I ever live without VLANs?",
            "Questions about your bill? Open a ticket at https://x.example/support",
            "Do you want to keep receiving mail? [Upgrade storage now][1]",
        ] {
            assert!(!asks(Source::Direct, text), "{text:?}");
        }
        for text in [
            "You use unbound, right?",
            "It's port 53, right?",
            "The old mill on Bridge Street – wasn't it demolished?",
            "What is the fix? No idea.",
            "Which is better for a flat? Mesh or APs.",
            "Which UPS do you use? Thanks.",
            "What did I do wrong?",
            "Should I replace the router or the modem?",
            "Could you check the config? See https://x.example/c for the file.",
            "I was wondering which firmware you flashed.",
            "Curious what you think about Starlink.",
            "Thoughts? Visit https://x.example/notes for my notes.",
        ] {
            assert!(asks(Source::Direct, text), "{text:?}");
        }
    }

    /// Request detection, sentence by sentence, on Parakweet's labelled
    /// email sentences (a measurement; prints precision and recall).
    #[test]
    fn corpus_parakweet_request_sentences() {
        let Some(root) = std::env::var_os("ALLEARS_CORPORA").filter(|v| !v.is_empty()) else {
            eprintln!("SKIPPED corpus_parakweet_request_sentences: set ALLEARS_CORPORA to run it");
            return;
        };
        let dir = std::path::PathBuf::from(root).join("parakweet-email-intent/src/resources");
        let (mut tp, mut fp, mut fn_, mut n) = (0, 0, 0, 0);
        for file in ["Ask0729-fixed.txt", "testSet-qualifiedBatch-fixed.txt"] {
            let text = std::fs::read(dir.join(file)).expect("parakweet file");
            for line in String::from_utf8_lossy(&text).lines() {
                let Some((label, sentence)) = line.split_once('\t') else {
                    continue;
                };
                let want = label.trim().eq_ignore_ascii_case("yes");
                let s = super::super::mask(sentence);
                let got = is_question(&s) || is_request(&s);
                n += 1;
                match (want, got) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    _ => {}
                }
            }
        }
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / (tp + fn_).max(1) as f64;
        eprintln!(
            "parakweet: {n} sentences, request precision {p:.3} recall {r:.3} (tp {tp} fp {fp} fn {fn_})"
        );
        assert!(n > 4000, "read {n} sentences");
        assert!(p > 0.5 && r > 0.5, "precision {p:.3} recall {r:.3}");
    }
}
