//! What a source hands to the import pipeline.

/// A message as a source found it: whole, or (over the size limit) its
/// header and its size, never the rest.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Whole(Vec<u8>),
    TooLarge { header: Vec<u8>, size: u64 },
}
