//! Byte-pair encoding for vocabularies read from GGUF metadata, stored compactly.
//!
//! Why not tokenizers' `BPE`: it keeps the vocabulary twice as owned strings (a map from piece to
//! id and one back) plus a merge map: for SmolLM2's 49k pieces about 8 MiB resident, a twelfth of
//! the Q4_1 model's weights, and 100k small allocations to build before the first token (Qwen2's
//! 151k pieces: three times that). Here the pieces sit in one string buffer with their end
//! offsets, and two hash tables of `u32` (ids by piece, merge ranks by pair) index into it:
//! about 1.7 MiB for SmolLM2. Encoding follows `BPE::merge_word` and `Word::merge_all` step for
//! step (without dropout, subword prefix/suffix or `ignore_merges`, which GGUF vocabularies never
//! set), and the tests hold it to tokenizers' own `BPE` built from the same pieces.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use hashbrown::{DefaultHashBuilder, HashTable};
use tokenizers::models::bpe::{BPE, BpeTrainer, Vocab};
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::{Model, Token};

/// Settings of a SentencePiece-style vocabulary (llama); byte-level ones (gpt2) need none.
#[derive(Clone, Debug, Default)]
pub struct BpeOptions {
    pub unk_token: Option<String>,
    pub fuse_unk: bool,
    pub byte_fallback: bool,
}

#[derive(Clone)]
pub struct GgufBpe {
    /// Every piece, concatenated in id order.
    text: String,
    /// End of each piece in `text` (its start is the previous end).
    ends: Vec<u32>,
    /// Ids by piece. A piece listed twice maps to its last id, as in tokenizers' `BPE`.
    ids: HashTable<u32>,
    /// `(left, right, merged)` ids by rank.
    merges: Vec<[u32; 3]>,
    /// Merge ranks by `(left, right)`; a pair listed twice keeps its last rank.
    ranks: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// The `<0xXX>` piece of each byte (`u32::MAX`: none), with byte fallback.
    byte_ids: Option<Box<[u32; 256]>>,
    options: BpeOptions,
    /// Distinct pieces (what tokenizers reports as the model's vocabulary size).
    distinct: usize,
}

/// One symbol of a word being merged (tokenizers' `Symbol`).
#[derive(Clone, Copy)]
struct Symbol {
    id: u32,
    len: usize,
    prev: isize,
    next: isize,
}

impl GgufBpe {
    /// `merges` highest priority first, each as two pieces of the vocabulary whose concatenation
    /// is in it too.
    pub fn new(tokens: &[&str], merges: &[(&str, &str)], options: BpeOptions) -> Result<Self, String> {
        let mut text = String::with_capacity(tokens.iter().map(|t| t.len()).sum());
        let mut ends = Vec::with_capacity(tokens.len());
        for t in tokens {
            text.push_str(t);
            let end = u32::try_from(text.len()).map_err(|_| "vocabulary text over 4 GiB".to_string())?;
            ends.push(end);
        }
        let mut bpe = Self {
            text,
            ends,
            ids: HashTable::new(),
            merges: Vec::with_capacity(merges.len()),
            ranks: HashTable::with_capacity(merges.len()),
            hasher: DefaultHashBuilder::default(),
            byte_ids: None,
            options,
            distinct: 0,
        };
        // Filled beside `bpe`, whose pieces the hash and equality closures read.
        let mut ids = HashTable::with_capacity(tokens.len());
        for id in 0..tokens.len() as u32 {
            let piece = bpe.piece(id);
            let hash = bpe.hasher.hash_one(piece);
            match ids.find_mut(hash, |&i| bpe.piece(i) == piece) {
                Some(slot) => *slot = id,
                None => {
                    ids.insert_unique(hash, id, |&i| bpe.hasher.hash_one(bpe.piece(i)));
                    bpe.distinct += 1;
                }
            }
        }
        bpe.ids = ids;
        for (a, b) in merges {
            let id = |p: &str| bpe.id(p).ok_or_else(|| format!("merge piece `{p}` is not in the vocabulary"));
            let (left, right) = (id(a)?, id(b)?);
            let merged = id(&format!("{a}{b}"))?;
            let rank = bpe.merges.len() as u32;
            bpe.merges.push([left, right, merged]);
            let hash = bpe.hasher.hash_one((left, right));
            let (list, hasher) = (&bpe.merges, &bpe.hasher);
            match bpe.ranks.find_mut(hash, |&r| list[r as usize][..2] == [left, right]) {
                Some(slot) => *slot = rank,
                None => {
                    bpe.ranks.insert_unique(hash, rank, |&r| {
                        let [l, r, _] = list[r as usize];
                        hasher.hash_one((l, r))
                    });
                }
            }
        }
        if bpe.options.byte_fallback {
            let mut table = Box::new([u32::MAX; 256]);
            for (b, slot) in table.iter_mut().enumerate() {
                *slot = bpe.id(&format!("<{b:#04X}>")).unwrap_or(u32::MAX);
            }
            bpe.byte_ids = Some(table);
        }
        Ok(bpe)
    }

    fn piece(&self, id: u32) -> &str {
        &self.text[start(&self.ends, id)..self.ends[id as usize] as usize]
    }

    fn id(&self, piece: &str) -> Option<u32> {
        self.ids.find(self.hasher.hash_one(piece), |&i| self.piece(i) == piece).copied()
    }

    /// `(rank, merged id)` of a pair.
    fn merge(&self, left: u32, right: u32) -> Option<(u32, u32)> {
        let rank = *self.ranks.find(self.hasher.hash_one((left, right)), |&r| {
            let [l, r, _] = self.merges[r as usize];
            (l, r) == (left, right)
        })?;
        Some((rank, self.merges[rank as usize][2]))
    }

    /// The bytes of `s` as `<0xXX>` pieces, when byte fallback is on and all of them exist.
    fn byte_pieces(&self, s: &str) -> Option<Vec<u32>> {
        let table = self.byte_ids.as_ref()?;
        s.bytes().map(|b| Some(table[b as usize]).filter(|&id| id != u32::MAX)).collect()
    }

    /// The initial symbols of a word: one per character, unknown ones as bytes or `unk`.
    fn symbols(&self, word: &str) -> tokenizers::Result<Vec<Symbol>> {
        let mut symbols: Vec<Symbol> = Vec::with_capacity(word.len());
        let mut add = |id: u32, len: usize| {
            let n = symbols.len() as isize;
            if let Some(last) = symbols.last_mut() {
                last.next = n;
            }
            symbols.push(Symbol { id, len, prev: n - 1, next: -1 });
        };
        let unk_id = |unk: &str| {
            self.id(unk)
                .ok_or_else(|| tokenizers::Error::from(format!("unk token `{unk}` not found in the vocabulary")))
        };
        let mut unk: Option<(u32, usize)> = None;
        for (i, c) in word.char_indices() {
            let s = &word[i..i + c.len_utf8()];
            if let Some(id) = self.id(s) {
                if let Some((u, len)) = unk.take() {
                    add(u, len);
                }
                add(id, s.len());
                continue;
            }
            // As tokenizers does, byte pieces go in before a pending `unk` is flushed.
            if let Some(bytes) = self.byte_pieces(s) {
                bytes.into_iter().for_each(|b| add(b, 1));
                continue;
            }
            if let Some(unk_token) = &self.options.unk_token {
                unk = match (unk, self.options.fuse_unk) {
                    (Some((u, len)), true) => Some((u, len + s.len())),
                    (Some((u, len)), false) => {
                        add(u, len);
                        Some((unk_id(unk_token)?, s.len()))
                    }
                    (None, _) => Some((unk_id(unk_token)?, s.len())),
                };
            }
        }
        if let Some((u, len)) = unk {
            add(u, len);
        }
        Ok(symbols)
    }

    /// Merge the lowest-ranked pair first, leftmost on ties, until no pair merges.
    fn merge_all(&self, symbols: &mut Vec<Symbol>) {
        let n = symbols.len();
        let mut queue: BinaryHeap<Reverse<(u32, usize, u32)>> = symbols
            .windows(2)
            .enumerate()
            .filter_map(|(pos, w)| self.merge(w[0].id, w[1].id).map(|(rank, new)| Reverse((rank, pos, new))))
            .collect();
        while let Some(Reverse((_, pos, new))) = queue.pop() {
            let current = symbols[pos];
            if current.len == 0 || current.next == -1 {
                continue;
            }
            let next = current.next as usize;
            let right = symbols[next];
            // An entry left over from before a neighbour changed.
            if self.merge(current.id, right.id).is_none_or(|(_, id)| id != new) {
                continue;
            }
            let merged = Symbol { id: new, len: current.len + right.len, prev: current.prev, next: right.next };
            symbols[pos] = merged;
            symbols[next].len = 0;
            if let Ok(after) = usize::try_from(right.next)
                && after < n
            {
                symbols[after].prev = pos as isize;
            }
            if let Ok(before) = usize::try_from(merged.prev)
                && let Some((rank, id)) = self.merge(symbols[before].id, new)
            {
                queue.push(Reverse((rank, before, id)));
            }
            if let Ok(after) = usize::try_from(merged.next)
                && after < n
                && let Some((rank, id)) = self.merge(new, symbols[after].id)
            {
                queue.push(Reverse((rank, pos, id)));
            }
        }
        symbols.retain(|s| s.len != 0);
    }

    /// The same model as tokenizers' `BPE` (for `tokenizer.json` and `hfx convert`).
    pub fn to_bpe(&self) -> tokenizers::Result<BPE> {
        let vocab: Vocab = self.ids.iter().map(|&i| (self.piece(i).to_string(), i)).collect();
        let merges =
            self.merges.iter().map(|&[l, r, _]| (self.piece(l).to_string(), self.piece(r).to_string())).collect();
        let mut builder = BPE::builder().vocab_and_merges(vocab, merges);
        if let Some(unk) = &self.options.unk_token {
            builder = builder.unk_token(unk.clone());
        }
        builder.fuse_unk(self.options.fuse_unk).byte_fallback(self.options.byte_fallback).build()
    }
}

fn start(ends: &[u32], id: u32) -> usize {
    if id == 0 { 0 } else { ends[id as usize - 1] as usize }
}

impl Model for GgufBpe {
    type Trainer = TrainerWrapper;

    fn tokenize(&self, sequence: &str) -> tokenizers::Result<Vec<Token>> {
        if sequence.is_empty() {
            return Ok(Vec::new());
        }
        let mut symbols = self.symbols(sequence)?;
        self.merge_all(&mut symbols);
        let mut at = 0;
        Ok(symbols
            .iter()
            .map(|s| {
                let token = Token::new(s.id, self.piece(s.id).to_string(), (at, at + s.len));
                at += s.len;
                token
            })
            .collect())
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.id(token)
    }

    /// `None` for an id whose piece is listed again later (tokenizers' reverse map loses it too).
    fn id_to_token(&self, id: u32) -> Option<String> {
        if id as usize >= self.ends.len() {
            return None;
        }
        let piece = self.piece(id);
        (self.id(piece) == Some(id)).then(|| piece.to_string())
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        self.ids.iter().map(|&i| (self.piece(i).to_string(), i)).collect()
    }

    fn get_vocab_size(&self) -> usize {
        self.distinct
    }

    fn save(&self, folder: &Path, prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        self.to_bpe()?.save(folder, prefix)
    }

    fn get_trainer(&self) -> TrainerWrapper {
        BpeTrainer::default().into()
    }
}

/// The model of a tokenizer: as `tokenizer.json` describes it, or a GGUF vocabulary's BPE.
#[derive(Clone)]
pub enum TokenModel {
    Json(ModelWrapper),
    Gguf(GgufBpe),
}

impl Model for TokenModel {
    type Trainer = TrainerWrapper;

    fn tokenize(&self, sequence: &str) -> tokenizers::Result<Vec<Token>> {
        match self {
            Self::Json(m) => m.tokenize(sequence),
            Self::Gguf(m) => m.tokenize(sequence),
        }
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Self::Json(m) => m.token_to_id(token),
            Self::Gguf(m) => m.token_to_id(token),
        }
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        match self {
            Self::Json(m) => m.id_to_token(id),
            Self::Gguf(m) => m.id_to_token(id),
        }
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        match self {
            Self::Json(m) => m.get_vocab(),
            Self::Gguf(m) => m.get_vocab(),
        }
    }

    fn get_vocab_size(&self) -> usize {
        match self {
            Self::Json(m) => m.get_vocab_size(),
            Self::Gguf(m) => m.get_vocab_size(),
        }
    }

    fn save(&self, folder: &Path, prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        match self {
            Self::Json(m) => m.save(folder, prefix),
            Self::Gguf(m) => m.save(folder, prefix),
        }
    }

    fn get_trainer(&self) -> TrainerWrapper {
        match self {
            Self::Json(m) => m.get_trainer(),
            Self::Gguf(m) => m.get_trainer(),
        }
    }
}

/// A GGUF vocabulary is written as the `BPE` it equals.
impl serde::Serialize for TokenModel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Json(m) => m.serialize(s),
            Self::Gguf(m) => ModelWrapper::BPE(m.to_bpe().map_err(serde::ser::Error::custom)?).serialize(s),
        }
    }
}

impl<'de> serde::Deserialize<'de> for TokenModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ModelWrapper::deserialize(d).map(Self::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(tokens: &[&str], merges: &[(&str, &str)], options: BpeOptions) -> (GgufBpe, BPE) {
        let compact = GgufBpe::new(tokens, merges, options).unwrap();
        let bpe = compact.to_bpe().unwrap();
        (compact, bpe)
    }

    fn same(compact: &GgufBpe, bpe: &BPE, text: &str) {
        let a: Vec<_> = compact.tokenize(text).unwrap().into_iter().map(|t| (t.id, t.value, t.offsets)).collect();
        let b: Vec<_> = bpe.tokenize(text).unwrap().into_iter().map(|t| (t.id, t.value, t.offsets)).collect();
        assert_eq!(a, b, "{text:?}");
    }

    /// A SentencePiece-style vocabulary with byte fallback, a fused `unk`, a piece listed twice and
    /// merges whose ranks disagree with piece length (and `aa`, where ties go leftmost), against tokenizers' `BPE` on many strings.
    #[test]
    fn matches_tokenizers_bpe_with_unk_and_byte_fallback() {
        let tokens = [
            "<unk>",
            "<0xC3>",
            "<0xA9>",
            "a",
            "b",
            "c",
            "ab",
            "bc",
            "abc",
            "ca",
            "cab",
            "b",
            "\u{2581}",
            "\u{2581}a",
            "aa",
        ];
        let merges = [
            ("b", "c"),
            ("a", "b"),
            ("c", "a"),
            ("a", "bc"),
            ("ab", "c"),
            ("c", "ab"),
            ("\u{2581}", "a"),
            ("a", "b"),
            ("a", "a"),
        ];
        for fuse_unk in [false, true] {
            for byte_fallback in [false, true] {
                let options = BpeOptions { unk_token: Some("<unk>".into()), fuse_unk, byte_fallback };
                let (compact, bpe) = both(&tokens, &merges, options);
                assert_eq!(compact.get_vocab_size(), bpe.get_vocab_size());
                assert_eq!(compact.get_vocab(), bpe.get_vocab());
                for id in 0..tokens.len() as u32 + 1 {
                    assert_eq!(compact.id_to_token(id), bpe.id_to_token(id), "id {id}");
                }
                // Every string of up to 5 characters over this alphabet.
                let alphabet = ['a', 'b', 'c', 'é', 'x', '\u{2581}'];
                let mut words = vec![String::new()];
                for _ in 0..5 {
                    words = words.iter().flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}"))).collect();
                    for w in &words {
                        same(&compact, &bpe, w);
                    }
                }
            }
        }
    }

    #[test]
    fn without_unk_unknown_characters_are_dropped_like_tokenizers() {
        let (compact, bpe) = both(&["a", "b", "ab"], &[("a", "b")], BpeOptions::default());
        for text in ["ab", "axb", "xx", "a\u{1F980}b", "abab"] {
            same(&compact, &bpe, text);
        }
    }

    #[test]
    fn bad_merges_and_missing_unk_are_errors() {
        let err = GgufBpe::new(&["a", "b"], &[("a", "b")], BpeOptions::default()).err().unwrap();
        assert!(err.contains("`ab`"), "{err}");
        let options = BpeOptions { unk_token: Some("<unk>".into()), ..BpeOptions::default() };
        let compact = GgufBpe::new(&["a"], &[], options).unwrap();
        let err = compact.tokenize("ax").unwrap_err().to_string();
        assert!(err.contains("<unk>"), "{err}");
    }
}
