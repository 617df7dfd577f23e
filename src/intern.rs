//! Strings interned as dense numbers, kept once in one buffer: the
//! refresh's places, senders and permalinks (`analyze/links.rs`), the subjects
//! threading merges on (`thread.rs`) and the subject lexicon's words
//! (`subjects.rs`), where a boxed string each would cost several times the
//! text. The refresh's message ids are numbered by hash alone
//! ([`HashedIds`]).

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

/// Strings numbered densely by the first 128 bits of their SHA-256, their
/// text not kept: R-help's 200,000 message ids took about 5 MB while the
/// refresh loaded them (freed after), not the 13 MB of their text. Two ids
/// share a number only if their hashes collide, which no mail can arrange.
#[derive(Default)]
pub(crate) struct HashedIds {
    hashes: Vec<u128>,
    table: HashTable<u32>,
}

impl HashedIds {
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// The number of `s`, given on first sight.
    pub fn intern(&mut self, s: &str) -> u32 {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(s.as_bytes());
        let hash = u128::from_le_bytes(digest[..16].try_into().expect("16 of 32 bytes"));
        let hashes = &self.hashes;
        if let Some(&id) = self
            .table
            .find(hash as u64, |&id| hashes[id as usize] == hash)
        {
            return id;
        }
        let id = self.hashes.len() as u32;
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table
            .insert_unique(hash as u64, id, |&id| hashes[id as usize] as u64);
        id
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
    }

    #[test]
    fn hashed_ids_repeat_their_numbers() {
        let mut ids = HashedIds::default();
        let words = ["a@x", "", "b@y", "a@x", "ünïcode@z", "b@y"];
        let nums: Vec<u32> = words.iter().map(|w| ids.intern(w)).collect();
        assert_eq!(nums, [0, 1, 2, 0, 3, 2]);
        assert_eq!(ids.len(), 4);
        let many: Vec<u32> = (0..10_000)
            .map(|i| ids.intern(&format!("id{i}@x")))
            .collect();
        assert_eq!(many, (4..10_004).collect::<Vec<u32>>());
        assert_eq!(ids.intern("id9999@x"), 10_003);
        assert_eq!(ids.len(), 10_004);
    }
}
