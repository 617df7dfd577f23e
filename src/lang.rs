//! The words of each language allears reads, kept as data: one file per
//! language in `src/lang/` (en, es, de, fr, pt, it, and `more.toml` for the
//! phrases of other languages that mail clients write). Every rule reads the
//! lists of all languages merged, so there is one code path whatever the
//! language of a message; adding a language is adding a file.
//!
//! Used by `newtext.rs` (attribution lines, quote headers, mobile
//! signatures, forwarded messages) and `classify/` (questions, requests,
//! whom a sentence addresses, topic requests).

use std::sync::LazyLock;

use serde::Deserialize;

/// The language files, compiled in.
const FILES: &[(&str, &str)] = &[
    ("en", include_str!("lang/en.toml")),
    ("es", include_str!("lang/es.toml")),
    ("de", include_str!("lang/de.toml")),
    ("fr", include_str!("lang/fr.toml")),
    ("pt", include_str!("lang/pt.toml")),
    ("it", include_str!("lang/it.toml")),
    ("more", include_str!("lang/more.toml")),
];

/// One language file. Every list may be empty. Entries marked "regex" in
/// the files are regular-expression fragments (matched without case);
/// the others are plain phrases in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Words {
    #[serde(default)]
    pub newtext: NewText,
    #[serde(default)]
    pub asks: Asks,
    #[serde(default)]
    pub spam: Spam,
    #[serde(default)]
    pub topics: Topics,
    #[serde(default)]
    pub forms: Forms,
    /// Each language's stop words, with its name (for the stemmer).
    #[serde(skip)]
    pub stop_words: Vec<(String, Vec<String>)>,
}

/// How readers ask for writing. Words are matched whole; cues and ends
/// anywhere in a sentence (lower case).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Topics {
    /// The owner asks what to write about ("what should I write about").
    #[serde(default)]
    pub calls: Vec<String>,
    /// The owner's question about their own writing, word by word: a
    /// question word, the owner, writing, and looking ahead, all four in
    /// one question ("what should I write next?", "¿sobre qué os gustaría
    /// que escribiera?"). A word may be in more than one list.
    #[serde(default)]
    pub call_question: Vec<String>,
    #[serde(default)]
    pub call_owner: Vec<String>,
    #[serde(default)]
    pub call_writing: Vec<String>,
    #[serde(default)]
    pub call_ahead: Vec<String>,
    /// Verbs of writing ("write", "escribas", "schreiben").
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Verbs of talking: the subject may follow a piece's "of" too ("hablar de").
    #[serde(default)]
    pub talk_verbs: Vec<String>,
    /// Verbs of making: a request only with a piece ("do a column on").
    #[serde(default)]
    pub make_verbs: Vec<String>,
    /// Pieces of writing ("column", "episodio", "Artikel").
    #[serde(default)]
    pub pieces: Vec<String>,
    /// A sentence holding one of these apologises or remarks on the reply
    /// itself ("Late to this, sorry."): its topic counts only when the
    /// message asks for no other.
    #[serde(default)]
    pub asides: Vec<String>,
    /// Days and times: a phrase opening with one says when, not what
    /// ("record the episode on Tuesday instead").
    #[serde(default)]
    pub times: Vec<String>,
    /// Months: with days and numbers only, a phrase is a date ("Wednesday
    /// 18 June").
    #[serde(default)]
    pub months: Vec<String>,
    /// Words a subject cut short cannot end on ("it", "just", "the"):
    /// English's `stop` holds broad content words too ("home", "school"),
    /// so its function words are listed here; the other languages' `stop`
    /// lists are function words only and serve as they are.
    #[serde(default)]
    pub dangling: Vec<String>,
    /// Words before a piece that make it one already out ("the last
    /// episode", "in der letzten Folge"): no piece asked for.
    #[serde(default)]
    pub earlier: Vec<String>,
    /// A sentence opening with one of these narrows the request before it
    /// ("Specifically what I must report ...").
    #[serde(default)]
    pub specifics: Vec<String>,
    /// Words that say nothing about a subject beyond `stop`: left out of
    /// a request's keys (`subjects::keys`, which groups requests and tells
    /// whether a phrase names a subject at all); nothing else reads them.
    #[serde(default)]
    pub subject_stop: Vec<String>,
    /// Pieces and verbs of writing that also name subjects ("programa",
    /// "Ausgabe"): kept as words of a request's subject.
    #[serde(default)]
    pub frame_words_that_name_subjects: Vec<String>,
    /// "The next" standing for the next piece: "dedicar la próxima a X".
    #[serde(default)]
    pub next_pieces: Vec<String>,
    /// Pieces that are more often something else ("issue", "show",
    /// "número"): on a list, a piece only with its subject right after it.
    #[serde(default)]
    pub loose_pieces: Vec<String>,
    /// Words that introduce the subject after a verb or a piece ("about", "sobre").
    #[serde(default)]
    pub preps: Vec<String>,
    /// ... only right after a piece ("a breakdown of", "un episodio de").
    #[serde(default)]
    pub piece_preps: Vec<String>,
    /// A wish or a request ("could you", "me encantaría").
    #[serde(default)]
    pub wishes: Vec<String>,
    /// Verbs of reading: a wish to read about something asks for writing
    /// ("I'd love to read about X", "vorrei leggere qualcosa sullo X"),
    /// unless it is a question ("Have you read about X?").
    #[serde(default)]
    pub read_verbs: Vec<String>,
    /// Verbs of hearing that ask for a piece when "you" follows them
    /// ("I'd like to hear you on X"); "hear how you ..." asks a question.
    #[serde(default)]
    pub hear_verbs: Vec<String>,
    /// Verbs of showing or teaching that ask for a piece when "how"
    /// follows them ("zeigen, wie du X", "enseñarnos cómo X").
    #[serde(default)]
    pub show_verbs: Vec<String>,
    /// Verbs of explaining that ask for a piece when "how" follows them
    /// ("erklären, wie man X"); `how_words` are each language's "how",
    /// `how_amounts` the words that make it ask an amount ("how long").
    #[serde(default)]
    pub explain_how_verbs: Vec<String>,
    #[serde(default)]
    pub how_words: Vec<String>,
    #[serde(default)]
    pub how_amounts: Vec<String>,
    /// "one" standing for a piece after a making verb ("do one on X").
    #[serde(default)]
    pub piece_pronouns: Vec<String>,
    /// Prepositions joined to an article by an apostrophe ("dell'", "d'"),
    /// read only at the start of such a word.
    #[serde(default)]
    pub elided_preps: Vec<String>,
    /// What announces a list of ideas ("two ideas", "duas coisas"): the
    /// sentences or bullets after it are suggestions.
    #[serde(default)]
    pub announces: Vec<String>,
    /// Endings of the conditional mood ("-ría", "-rait", "-rebbe"): a word
    /// ending so wishes ("te pediría", "me sauverait la vie"). Only endings
    /// no common word of the language shares.
    #[serde(default)]
    pub conditional: Vec<String>,
    /// Words that open a subject clause ("how", "cómo", "wie").
    #[serde(default)]
    pub clauses: Vec<String>,
    /// After a subject, what says it would be welcome ("would be", "wäre").
    #[serde(default)]
    pub welcome: Vec<String>,
    /// How a suggestion under a call for topics opens ("what about ").
    #[serde(default)]
    pub suggest: Vec<String>,
    /// "Something on X": the subject follows at once; a colon after it
    /// only explains ("Something on DNS at home: Pi-hole vs. unbound").
    #[serde(default)]
    pub something: Vec<String>,
    /// Where a subject ends (", because").
    #[serde(default)]
    pub ends: Vec<String>,
    /// What a subject's first words need not say ("the ", "how to ").
    #[serde(default)]
    pub leads: Vec<String>,
    /// What a subject's last words need not say ("please", "too").
    #[serde(default)]
    pub fillers: Vec<String>,
    /// Forms that report writing that exists ("wrote", "escribiste").
    #[serde(default)]
    pub past: Vec<String>,
    /// Words that say nothing about a subject; the grouping ignores them.
    #[serde(default)]
    pub stop: Vec<String>,
    /// An invitation, a pitch or a sale ("as a guest", "our product"): never a topic.
    #[serde(default)]
    pub not_topics: Vec<String>,
    /// "Amazing work on this series!": praise (`praise`) of one of these
    /// (or of a piece) opens a reaction, not a subject.
    #[serde(default)]
    pub praise_objects: Vec<String>,
    /// "give an evening talk", "einen Vortrag halten": a verb of giving
    /// (`speak_verbs`) with a piece of speaking (`speak_pieces`) within
    /// three words invites the owner to speak, asks for no writing.
    #[serde(default)]
    pub speak_verbs: Vec<String>,
    #[serde(default)]
    pub speak_pieces: Vec<String>,
    /// Words that point back to an earlier sentence ("that", "eso").
    #[serde(default)]
    pub deictic: Vec<String>,
    /// After a comma, words that carry the subject on (relative pronouns,
    /// "that", "i.e."): "Daten, die größer sind als der Arbeitsspeicher".
    #[serde(default)]
    pub carry_on: Vec<String>,
    /// Reactions, not suggestions ("thanks", "claro").
    #[serde(default)]
    pub reactions: Vec<String>,
    /// "please" words ("por favor", "bitte").
    #[serde(default)]
    pub please: Vec<String>,
    /// A second request in a sentence ("and one on", "e uno su").
    #[serde(default)]
    pub another: Vec<String>,
    /// Between the ideas a sentence lists ("Two ideas: X, and Y").
    #[serde(default)]
    pub list_joins: Vec<String>,
    /// After a piece, what says what it would explain ("a post that walks
    /// through X", "un billet qui explique X"): the subject follows.
    #[serde(default)]
    pub explains: Vec<String>,
    /// A verb whose object is the subject when "in a piece" follows
    /// ("explain X in a post", "spiegare X in un articolo").
    #[serde(default)]
    pub explain_verbs: Vec<String>,
    /// "In a ...", "in your next ...": a piece the explaining goes in.
    #[serde(default)]
    pub in_a_piece: Vec<String>,
    /// "In your ...": before a piece, one that exists.
    #[serde(default)]
    pub in_your: Vec<String>,
    /// One word for "about that" before a final verb ("darüber ... lesen"):
    /// the subject is the sentence before.
    #[serde(default)]
    pub about_that: Vec<String>,
    /// After a subject, what says it deserves a piece of its own ("X
    /// deserves its own post", "X mériterait un billet"); a piece follows.
    #[serde(default)]
    pub deserves: Vec<String>,
    /// Words that only stress a wish ("I'd really love", "j'aimerais
    /// vraiment"): a wish is found with them left out.
    #[serde(default)]
    pub intensifiers: Vec<String>,
    /// Words that number a reader's ideas ("First, X. Second, Y."): under
    /// a call for topics, what follows each is one.
    #[serde(default)]
    pub ordinals: Vec<String>,
    /// A verb of writing and what brings its subject, the subject right
    /// after ("write about ", "escribir sobre "). The first of the merged
    /// list found in a sentence wins: longer and surer cues come first.
    #[serde(default)]
    pub verb_cues: Vec<String>,
    /// After a piece, what brings its subject (" on ", " über ", " that explains ").
    #[serde(default)]
    pub piece_cues: Vec<String>,
    /// Words that name a piece of writing, matched inside a sentence
    /// ("column", "Beitrag", "記事").
    #[serde(default)]
    pub piece_words: Vec<String>,
    /// Adjectives between an article and a piece that say nothing of its
    /// subject ("a proper post", "a short column").
    #[serde(default)]
    pub piece_adjectives: Vec<String>,
    /// Indefinite articles before a piece ("a", "un", "eine").
    #[serde(default)]
    pub articles: Vec<String>,
    /// Verbs of writing matched whole ("write", "cover"), and ...
    #[serde(default)]
    pub write_verbs: Vec<String>,
    /// A particle that makes a verb of writing take its subject directly
    /// ("write up your workflow").
    #[serde(default)]
    pub write_particles: Vec<String>,
    /// ... of the other languages by stem, every conjugation ("escrib", "schreib").
    #[serde(default)]
    pub write_stems: Vec<String>,
    /// Of those, which take their subject directly ("cover X", "tackle X").
    #[serde(default)]
    pub direct_verbs: Vec<String>,
    /// The words that bring a verb of writing's subject ("about", "sobre", "über").
    #[serde(default)]
    pub verb_preps: Vec<String>,
    /// Words of the writer speaking of themselves ("i", "ich", "je"): a
    /// story, not a subject offered.
    #[serde(default)]
    pub first_person: Vec<String>,
    /// Pronouns of someone else ("he", "sie", "ella") that open a sentence
    /// telling of them ("He is, Gordon, at the lower height"): no subject
    /// offered.
    #[serde(default)]
    pub third_person: Vec<String>,
    /// Words praising a piece that opens a sentence ("Great post on X",
    /// "Ottima nota sulla X"): that piece is out already.
    #[serde(default)]
    pub praise: Vec<String>,
    /// Words near a request before its verb that make it the writer's own
    /// writing ("i'm", "we") unless a "you" word is near too.
    #[serde(default)]
    pub own_doing: Vec<String>,
    /// Phrases before a request that ask about writing done ("did you",
    /// "you already").
    #[serde(default)]
    pub done_before: Vec<String>,
    /// How a labelled idea's label reads ("idea", "Vorschlag", "sugerencia").
    #[serde(default)]
    pub idea_labels: Vec<String>,
    /// A sentence with one of these wishes for something: a request for
    /// writing may be in it ("would love", "me encantaría", "wäre").
    #[serde(default)]
    pub wish_cues: Vec<String>,
    /// Words that make the next word a noun ("the", "my", "el", "ein").
    #[serde(default)]
    pub determiners: Vec<String>,
    /// Possessives and definite articles: before a piece, writing that
    /// exists ("your column", "tu columna", "the article").
    #[serde(default)]
    pub definites: Vec<String>,
    /// "Of the" ("do", "della", "du"): a piece named after it is another
    /// thing's ("o PDF do programa"), not one asked for.
    #[serde(default)]
    pub of_the: Vec<String>,
    /// The writer's own possessives ("my", "nuestro"): "my Spanish" is no subject.
    #[serde(default)]
    pub own_possessives: Vec<String>,
    /// What makes a sentence ask ("could you", "podrías", "?").
    #[serde(default)]
    pub ask_cues: Vec<String>,
    /// Languages that put the verb last ("über X schreiben"): the
    /// preposition before the subject and the final verbs of writing.
    #[serde(default)]
    pub final_preps: Vec<String>,
    #[serde(default)]
    pub final_verbs: Vec<String>,
    /// The opening words of a question a subject is read from ("how do i ",
    /// "your take on "): the subject follows.
    #[serde(default)]
    pub question_leads: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spam {
    /// Phrases only spam and phishing use ("dear account holder"); weigh two.
    #[serde(default)]
    pub strong: Vec<String>,
    /// Words a person may use too ("crypto", "cheap"); weigh one.
    #[serde(default)]
    pub weak: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewText {
    /// regex: the line that starts a forwarded message ("forwarded message").
    #[serde(default)]
    pub forwarded: Vec<String>,
    /// regex: the title of an "-----Original Message-----" rule.
    #[serde(default)]
    pub original_message: Vec<String>,
    /// regex: how a mobile or webmail signature starts ("sent from my").
    #[serde(default)]
    pub mobile: Vec<String>,
    /// regex: the verb of an attribution line ("wrote", "a\s+écrit").
    #[serde(default)]
    pub attribution_verbs: Vec<String>,
    /// regex: a verb that ends an attribution line without a colon.
    #[serde(default)]
    pub attribution_end_verbs: Vec<String>,
    /// The first word of an attribution ("on", "am", "le", "el").
    #[serde(default)]
    pub attribution_openers: Vec<String>,
    /// Weekdays (or their abbreviations) an attribution may open with.
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// The "From:" key of a quote header block, in the client's language.
    #[serde(default)]
    pub header_from: Vec<String>,
    /// The other keys of a quote header block ("sent", "to", "subject").
    #[serde(default)]
    pub header_other: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Asks {
    /// A sentence with one of these asks something of the reader ("could you").
    #[serde(default)]
    pub requests: Vec<String>,
    /// ... unless it has one of these ("please find attached").
    #[serde(default)]
    pub not_requests: Vec<String>,
    /// A question put without a question mark ("the question is whether").
    #[serde(default)]
    pub restated_questions: Vec<String>,
    /// Phrases that only ever address a group ("anyone here", "any of you").
    #[serde(default)]
    pub group_phrases: Vec<String>,
    /// Indefinite pronouns a question to the group opens with ("anyone").
    #[serde(default)]
    pub group_pronouns: Vec<String>,
    /// Words that call a group by name ("all", "everyone", "folks").
    #[serde(default)]
    pub group_vocatives: Vec<String>,
    /// Words that speak to the reader ("you", "vous", "Sie").
    #[serde(default)]
    pub second_person: Vec<String>,
    /// Words a sentence may open with before a comma that are not a name.
    #[serde(default)]
    pub not_names: Vec<String>,
    /// Words that greet someone named after them ("hello", "bonjour").
    #[serde(default)]
    pub greetings: Vec<String>,
    /// The writer says no reply is needed.
    #[serde(default)]
    pub no_reply: Vec<String>,
    /// A question that opens with one of these is a figure of speech
    /// ("who among us", "¿quién no").
    #[serde(default)]
    pub rhetorical: Vec<String>,
    /// Conjunctions a sentence may open with before its question ("and", "y").
    #[serde(default)]
    pub conjunctions: Vec<String>,
    /// A sentence with one of these is a disclaimer's ("intended recipient").
    #[serde(default)]
    pub disclaimers: Vec<String>,
    /// Figures of speech anywhere in a question ("is it just me", "who knew").
    #[serde(default)]
    pub figures: Vec<String>,
    /// A comparison no one answers ("is there anything more satisfying
    /// than ..."): the opening, followed by one of `feelings`.
    #[serde(default)]
    pub comparisons: Vec<String>,
    /// What such a comparison measures: a feeling, not a property ("more
    /// satisfying", not "cheaper").
    #[serde(default)]
    pub feelings: Vec<String>,
    /// Small talk: a short question with one of these asks nothing ("how are you").
    #[serde(default)]
    pub small_talk: Vec<String>,
    /// How a writer answers their own question at once ("not me", "nope").
    #[serde(default)]
    pub self_answers: Vec<String>,
    /// A verdict of a word or two after a question ("How does she stay so
    /// calm? Madness."): the writer marvels, asks nothing.
    #[serde(default)]
    pub verdicts: Vec<String>,
    /// A label naming whom a question is for ("Question for Kev:").
    #[serde(default)]
    pub question_for: Vec<String>,
    /// Where the list is ("on the list", "en la lista"): in a question,
    /// it asks the group; in a statement it only says where they are.
    #[serde(default)]
    pub group_places: Vec<String>,
    /// What a sentence that gives a reason opens with ("because", "weil"):
    /// after a why-question of the writer's own, it answers it.
    #[serde(default)]
    pub because: Vec<String>,
    /// What a fragment right after a question opens with when it still
    /// asks ("no idea", "not sure").
    #[serde(default)]
    pub still_asking: Vec<String>,
    /// A closing line's first word ("thanks", "cheers", "merci").
    #[serde(default)]
    pub closings: Vec<String>,
    /// An exclamation dressed as a negative question ("isn't it ", "weren't we ").
    #[serde(default)]
    pub exclamations: Vec<String>,
    /// ... followed within four words by one of these ("isn't it strange how").
    #[serde(default)]
    pub exclamation_links: Vec<String>,
    /// How an exclamation of liking opens ("don't you love").
    #[serde(default)]
    pub exclaimed_feelings: Vec<String>,
    /// The writer asking about their own past ("why didn't i ", "how did we ever").
    #[serde(default)]
    pub own_past: Vec<String>,
    /// The owner's question reported to answer it ("You asked at the end,
    /// \"What's the worst kite you ever built?\""): the question is quoted.
    #[serde(default)]
    pub reported: Vec<String>,
    /// A tag asking agreement at a sentence's end (", isn't it?", ", ¿verdad?").
    #[serde(default)]
    pub tags: Vec<String>,
    /// Words of judgement: only a judgement invites mere agreement
    /// ("amazing", "lucky"); "It's port 53, right?" asks.
    #[serde(default)]
    pub judgements: Vec<String>,
    /// Words that only stress a closing judgement ("just", "so").
    #[serde(default)]
    pub judgement_stress: Vec<String>,
    /// A line after a short question that points to a contact ("contact",
    /// "email us"): the question is the footer's.
    #[serde(default)]
    pub contact_lines: Vec<String>,
    /// A service's questions about the reader's account or needs ("need
    /// help", "ready to") and the button verbs that answer them ("upgrade").
    #[serde(default)]
    pub service_questions: Vec<String>,
    #[serde(default)]
    pub action_verbs: Vec<String>,
    /// The word "why" ("por qué", "warum"): a why-question with doubled
    /// marks ("??") is exasperation.
    #[serde(default)]
    pub why: Vec<String>,
}

/// How a blog's contact form relays a visitor's message.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Forms {
    /// Phrases (lower case) in the body or subject that name the form or
    /// label the visitor's message ("message body:", "cuerpo del mensaje:").
    #[serde(default)]
    pub contact_form: Vec<String>,
    /// A form's fields, as a relay lists them ("name:", "nome:"): a name
    /// field and a message field together make a form's message.
    #[serde(default)]
    pub name_fields: Vec<String>,
    #[serde(default)]
    pub message_fields: Vec<String>,
    /// What a comment system writes after the name of the site's own
    /// people ("Tamsin Achterberg (admin)"), lower case.
    #[serde(default)]
    pub site_roles: Vec<String>,
}

/// Each list of `$to` extended by the same list of `$from`.
macro_rules! merge {
    ($to:expr, $from:expr; $($list:ident),+ $(,)?) => {
        $($to.$list.extend($from.$list);)+
    };
}

/// Every language's words, merged.
pub(crate) static WORDS: LazyLock<Words> = LazyLock::new(|| {
    let mut all = Words::default();
    for (name, text) in FILES {
        let w: Words = toml::from_str(text).unwrap_or_else(|e| panic!("src/lang/{name}.toml: {e}"));
        merge!(all.newtext, w.newtext; forwarded, original_message, mobile, attribution_verbs,
            attribution_end_verbs, attribution_openers, weekdays, header_from, header_other);
        merge!(all.asks, w.asks; requests, not_requests, restated_questions, group_phrases,
            group_pronouns, group_vocatives, second_person, not_names, greetings, no_reply, rhetorical,
            conjunctions, disclaimers, figures, comparisons, feelings, small_talk, self_answers, verdicts, question_for, group_places, because, still_asking, closings,
            exclamations, exclamation_links, exclaimed_feelings, own_past, reported, tags, judgements,
            judgement_stress, why, contact_lines, service_questions, action_verbs);
        // Stop words stay per language, for each language's stemmer.
        all.stop_words
            .push((name.to_string(), w.topics.stop.clone()));
        merge!(all.topics, w.topics; calls, call_question, call_owner, call_writing, call_ahead,
            verbs, talk_verbs, make_verbs, pieces, next_pieces, loose_pieces, preps, piece_preps, wishes,
            conditional, read_verbs, hear_verbs, show_verbs, explain_how_verbs, how_words, how_amounts, piece_pronouns, elided_preps, announces, clauses, welcome, suggest, something, ends, leads, fillers,
            past, not_topics, praise_objects, speak_verbs, speak_pieces, deictic, carry_on, reactions, please, another, list_joins,
            intensifiers, ordinals, explains, explain_verbs, in_a_piece, in_your, about_that, deserves,
            verb_cues, piece_cues, piece_words, piece_adjectives, articles, write_verbs, write_particles,
            write_stems, direct_verbs, verb_preps, first_person, third_person, praise, own_doing, done_before,
            idea_labels, question_leads, wish_cues, determiners, definites, of_the, own_possessives,
            ask_cues, final_preps, final_verbs, frame_words_that_name_subjects, subject_stop, specifics, asides, times, months, dangling, earlier);
        merge!(all.forms, w.forms; contact_form, name_fields, message_fields, site_roles);
        merge!(all.spam, w.spam; strong, weak);
    }
    all
});

/// `lower` without the words that only stress a wish ("i'd really love"
/// -> "i'd love"), for finding the wish; borrowed when it has none.
pub(crate) fn without_intensifiers(lower: &str) -> std::borrow::Cow<'_, str> {
    let stress = |w: &str| WORDS.topics.intensifiers.iter().any(|i| i == w);
    if !lower.split_whitespace().any(stress) {
        return std::borrow::Cow::Borrowed(lower);
    }
    std::borrow::Cow::Owned(
        lower
            .split_whitespace()
            .filter(|w| !stress(w))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Is `w` one of `list`'s words?
pub(crate) fn one_of(list: &[String], w: &str) -> bool {
    list.iter().any(|x| x == w)
}

/// A merged list as the `&'static [&'static str]` that
/// `classify::Phrases` compiles; made once per list, for the process.
pub(crate) fn phrases(list: &'static [String]) -> &'static [&'static str] {
    Box::leak(
        list.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// Does `lower` (text in lower case) hold one of the `second_person`
/// words ("you", "vous", "usted")? Words of Latin script count whole
/// (" you ", " you're"); others anywhere ("您").
pub(crate) fn speaks_to_you(lower: &str) -> bool {
    let padded = format!(
        " {} ",
        lower.replace(['?', ',', '.', '!', ';', ':', '¿', '¡'], " ")
    );
    WORDS.asks.second_person.iter().any(|w| {
        if w.chars()
            .all(|c| c.is_alphabetic() && (c as u32) < 0x2000 || c == '\'')
        {
            if w.ends_with('\'') {
                padded.contains(&format!(" {w}"))
            } else {
                padded.contains(&format!(" {w} "))
            }
        } else {
            padded.contains(w.as_str())
        }
    })
}

/// The entries as one regex alternation: `a|b|c`.
pub(crate) fn alternation(list: &[String]) -> String {
    list.join("|")
}

/// [`alternation`], where each character outside ASCII may also be '?', as
/// an archive that could keep only ASCII wrote it ("a ?crit" for "a
/// écrit"). An entry without an ASCII letter stays as it is, so that it
/// never becomes a run of '?'.
pub(crate) fn alternation_lossy(list: &[String]) -> String {
    let lossy = |p: &String| -> String {
        if !p.chars().any(|c| c.is_ascii_alphabetic()) {
            return p.clone();
        }
        p.chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("(?:{c}|\\?)")
                }
            })
            .collect()
    };
    list.iter().map(lossy).collect::<Vec<_>>().join("|")
}

/// The lower-case ASCII letters the phrases of `list` start with, for a
/// cheap test before a regex anchored at the line's start; `None` when some
/// entry may start otherwise (a group, a class, a non-ASCII letter).
pub(crate) fn first_letters(list: &[String]) -> Option<String> {
    let mut out = String::new();
    for p in list {
        // A phrase that starts with a non-ASCII letter passes the cheap test
        // anyway; one that starts with `\S` (a word, then the phrase) is
        // tested by its end by the caller.
        if p.starts_with("\\S") {
            continue;
        }
        let c = p.chars().next()?;
        if !c.is_ascii() {
            continue;
        }
        if !c.is_ascii_alphabetic() {
            return None;
        }
        let c = c.to_ascii_lowercase();
        if !out.contains(c) {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_file_reads_and_has_its_words() {
        for (name, text) in FILES {
            let w: Words = toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            if *name != "more" {
                assert!(!w.asks.requests.is_empty(), "{name}: no requests");
                assert!(
                    !w.newtext.attribution_verbs.is_empty(),
                    "{name}: no attribution verbs"
                );
                assert!(!w.newtext.mobile.is_empty(), "{name}: no mobile signatures");
                assert!(
                    !w.newtext.header_from.is_empty(),
                    "{name}: no quote header keys"
                );
            }
        }
        for r in WORDS
            .newtext
            .mobile
            .iter()
            .chain(&WORDS.newtext.attribution_verbs)
        {
            regex::Regex::new(r).unwrap_or_else(|e| panic!("{r}: {e}"));
        }
    }
}
