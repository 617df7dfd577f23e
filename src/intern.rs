//! Strings interned as dense numbers, kept once in one buffer: the
//! refresh's message ids (`analyze/links.rs`) and the subject lexicon's
//! words (`subjects.rs`), where a boxed string each would cost several
//! times the text.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// Strings interned as dense numbers, kept once in one buffer.
pub(crate) struct Interner {
    text: String,
    /// Where each string ends in `text` (it starts where the one before ends).
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: RandomState,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            text: String::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            hasher: RandomState::new(),
        }
    }
}

impl Interner {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, id: u32) -> &str {
        str_at(&self.text, &self.ends, id)
    }

    /// The number of `s`, given on first sight.
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        let (text, ends) = (&self.text, &self.ends);
        if let Some(&id) = self.table.find(hash, |&id| str_at(text, ends, id) == s) {
            return id;
        }
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.table
            .insert_unique(hash, id, |&id| hasher.hash_one(str_at(text, ends, id)));
        id
    }

    /// The number of `s` if it was interned.
    pub fn find(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |&id| self.get(id) == s).copied()
    }
}

fn str_at<'a>(text: &'a str, ends: &[u32], id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_strings_come_back_and_repeat_their_numbers() {
        let mut ids = Interner::default();
        let words = ["a@x", "", "b@y", "a@x", "ünïcode@z"];
        let nums: Vec<u32> = words.iter().map(|w| ids.intern(w)).collect();
        assert_eq!(nums, [0, 1, 2, 0, 3]);
        for (w, n) in words.iter().zip(&nums) {
            assert_eq!(ids.get(*n), *w);
        }
        assert_eq!(ids.find("b@y"), Some(2));
        assert_eq!(ids.find("c@z"), None);
        assert_eq!(ids.len(), 4);
    }
}
