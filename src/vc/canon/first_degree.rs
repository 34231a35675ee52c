//! RDFC-1.0 for the common case: every blank node has a first-degree hash of its own.
//!
//! RDFC-1.0 labels blank nodes by the hashes of the quads around them (§4.4.3 "Hash First Degree Quads").
//! When no two blank nodes share such a hash, the canonical labels are simply those hashes in order
//! (§4.4.3 steps 4–5), and the N-degree steps — what makes the algorithm expensive — never run. That is
//! the case for every credential microcred issues, where objects without ids form a tree of blank nodes
//! that differ by their properties. This module does exactly those steps, over text serialized once per
//! term, and declines (`None`) any dataset where two blank nodes share a hash, or where one quad holds a
//! blank node twice, so that the caller can use a complete implementation instead.
//!
//! The terms are written by oxrdf 0.3's canonical N-Quads serialization, as the complete implementation's are
//! (rdf-canon, on oxrdf 0.2), except U+FFFE and U+FFFF, which oxrdf 0.3 escapes and RDFC-1.0 does not
//! ([`unescape_noncharacters`]). Lines are sorted by Unicode code point, as RDFC-1.0 says; rdf-canonize, the
//! JavaScript reference implementation, sorts by UTF-16 code unit (its open issue digitalbazaar/rdf-canonize#52),
//! which differs only between characters U+E000–U+FFFF and those above U+FFFF in the same position.
//!
//! See: <https://www.w3.org/TR/rdf-canon/#canon-algorithm> and <https://www.w3.org/TR/rdf-canon/#hash-1d-quads>

use std::collections::HashSet;
use std::fmt::{Display, Write as _};
use std::ops::Range;

use oxrdf::{BlankNodeRef, GraphNameRef, NamedOrBlankNodeRef, QuadRef, TermRef};
use sha2::{Digest, Sha256};

/// One position of a quad: its canonical N-Quads text (a range of [`Terms::text`]), a blank node (an index
/// into the dataset's blank nodes), or nothing (the default graph).
enum Slot {
    Text(Range<usize>),
    Blank(usize),
    Absent,
}

/// A deduplicated dataset with every term other than blank nodes serialized once.
struct Terms {
    text: String,
    /// Subject, predicate, object, graph name.
    quads: Vec<[Slot; 4]>,
    blanks: usize,
}

impl Terms {
    fn new<'a>(quads: impl IntoIterator<Item = QuadRef<'a>>) -> Option<Self> {
        let quads = quads.into_iter();
        let mut seen = HashSet::with_capacity(quads.size_hint().0);
        let mut blanks: Vec<BlankNodeRef<'a>> = Vec::new();
        let mut terms = Terms { text: String::new(), quads: Vec::with_capacity(quads.size_hint().0), blanks: 0 };
        for quad in quads {
            // RDFC-1.0 takes a dataset: a quad given twice is one quad.
            if !seen.insert(quad) {
                continue;
            }
            let subject = match quad.subject {
                NamedOrBlankNodeRef::NamedNode(n) => terms.write(n),
                NamedOrBlankNodeRef::BlankNode(b) => Slot::Blank(index_of(&mut blanks, b)),
            };
            let predicate = terms.write(quad.predicate);
            let object = match quad.object {
                TermRef::NamedNode(n) => terms.write(n),
                TermRef::BlankNode(b) => Slot::Blank(index_of(&mut blanks, b)),
                TermRef::Literal(l) => terms.write(l),
            };
            let graph = match quad.graph_name {
                GraphNameRef::NamedNode(n) => terms.write(n),
                GraphNameRef::BlankNode(b) => Slot::Blank(index_of(&mut blanks, b)),
                GraphNameRef::DefaultGraph => Slot::Absent,
            };
            let slots = [subject, predicate, object, graph];
            // The same blank node twice in one quad (a loop): left to the complete implementation, which
            // defines how often such a quad counts in the node's hash. (A predicate is never a blank node.)
            let mut ids = slots.iter().filter_map(|s| if let Slot::Blank(b) = s { Some(*b) } else { None });
            let (a, b, c) = (ids.next(), ids.next(), ids.next());
            if (a.is_some() && (a == b || a == c)) || (b.is_some() && b == c) {
                return None;
            }
            terms.quads.push(slots);
        }
        terms.blanks = blanks.len();
        Some(terms)
    }

    fn write(&mut self, term: impl Display) -> Slot {
        let start = self.text.len();
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{term}");
        if let Some(fixed) = unescape_noncharacters(&self.text[start..]) {
            self.text.truncate(start);
            self.text.push_str(&fixed);
        }
        Slot::Text(start..self.text.len())
    }

    /// Appends one quad's N-Quads line to `out`, writing each blank node with `label`.
    fn line(&self, quad: &[Slot; 4], out: &mut String, label: &impl Fn(usize, &mut String)) {
        for (i, slot) in quad.iter().enumerate() {
            match slot {
                Slot::Absent => continue,
                _ if i > 0 => out.push(' '),
                _ => {}
            }
            match slot {
                Slot::Text(range) => out.push_str(&self.text[range.clone()]),
                Slot::Blank(b) => label(*b, out),
                Slot::Absent => {}
            }
        }
        out.push_str(" .\n");
    }

    /// The lines of `quads` (indexes into [`Terms::quads`]) in code point order, as ranges of `buffer`.
    fn sorted_lines(
        &self,
        quads: impl Iterator<Item = usize>,
        buffer: &mut String,
        label: &impl Fn(usize, &mut String),
    ) -> Vec<Range<usize>> {
        buffer.clear();
        let mut lines: Vec<Range<usize>> = quads
            .map(|q| {
                let start = buffer.len();
                self.line(&self.quads[q], buffer, label);
                start..buffer.len()
            })
            .collect();
        lines.sort_unstable_by(|a, b| buffer[a.clone()].cmp(&buffer[b.clone()]));
        lines
    }
}

/// `term` (oxrdf 0.3's N-Quads text of one term) with the escapes `\uFFFE` and `\uFFFF` written as the
/// characters, or `None` if it has neither. oxrdf 0.3 escapes these two noncharacters in literals; RDFC-1.0's
/// canonical N-Quads escape only `"`, `\`, and the control characters U+0000–U+001F and U+007F, and write every
/// other character as it is, as the reference implementation (rdf-canonize) and oxrdf 0.2 (under rdf-canon,
/// the complete algorithm) do. A different byte there gave another verifier a different hash, so neither
/// could check the other's signature (tests/fixtures/rdf-canonize/noncharacters.nq). Every backslash oxrdf
/// writes starts an escape, so reading the text escape by escape finds exactly the ones it made.
///
/// See: <https://www.w3.org/TR/rdf-canon/#canonical-quads> and <https://www.w3.org/TR/n-triples/#canonical-ntriples>
pub(super) fn unescape_noncharacters(term: &str) -> Option<String> {
    if !term.contains("\\uFFF") {
        return None;
    }
    let mut out = String::with_capacity(term.len());
    let mut rest = term;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        let (text, length) = if escape.starts_with("\\uFFFE") {
            ("\u{FFFE}", 6)
        } else if escape.starts_with("\\uFFFF") {
            ("\u{FFFF}", 6)
        } else {
            // Any other escape is two characters (`\\`, `\"`, `\n`…) or six (`\u0007`): copying its first two
            // keeps the reading in step, since no escape's third character is a backslash.
            let mut chars = escape.char_indices().skip(1);
            let end = chars.next().map_or(escape.len(), |(i, c)| i + c.len_utf8());
            (&escape[..end], end)
        };
        out.push_str(text);
        rest = &escape[length..];
    }
    out.push_str(rest);
    (out != term).then_some(out)
}

fn index_of<'a>(blanks: &mut Vec<BlankNodeRef<'a>>, blank: BlankNodeRef<'a>) -> usize {
    match blanks.iter().position(|b| *b == blank) {
        Some(i) => i,
        None => {
            blanks.push(blank);
            blanks.len() - 1
        }
    }
}

/// The RDFC-1.0 (SHA-256) canonical N-Quads of `quads`, each line ending in `\n`, in code point order; `None`
/// when two blank nodes share a first-degree hash or a quad holds one blank node twice (then the complete
/// algorithm is needed).
pub(super) fn canonicalize<'a>(quads: impl IntoIterator<Item = QuadRef<'a>>) -> Option<String> {
    let terms = Terms::new(quads)?;
    let mut buffer = String::with_capacity(terms.text.len() * 2);
    // Hash First Degree Quads (§4.6): each blank node's quads, itself as `_:a` and every other as `_:z`.
    let mut mentions: Vec<Vec<usize>> = vec![Vec::new(); terms.blanks];
    for (q, slots) in terms.quads.iter().enumerate() {
        for slot in slots {
            if let Slot::Blank(b) = slot {
                mentions[*b].push(q);
            }
        }
    }
    let mut hashes: Vec<([u8; 32], usize)> = Vec::with_capacity(terms.blanks);
    for (blank, quads) in mentions.iter().enumerate() {
        let label = |b: usize, out: &mut String| out.push_str(if b == blank { "_:a" } else { "_:z" });
        let lines = terms.sorted_lines(quads.iter().copied(), &mut buffer, &label);
        let mut hasher = Sha256::new();
        for line in lines {
            hasher.update(buffer[line].as_bytes());
        }
        hashes.push((hasher.finalize().into(), blank));
    }
    // Canonical identifiers in the order of the hashes (their hexadecimal forms sort as the bytes do).
    hashes.sort_unstable();
    if hashes.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return None;
    }
    let mut canonical = vec![0; terms.blanks];
    for (position, (_, blank)) in hashes.iter().enumerate() {
        canonical[*blank] = position;
    }
    let label = |b: usize, out: &mut String| {
        let _ = write!(out, "_:c14n{}", canonical[b]);
    };
    let lines = terms.sorted_lines(0..terms.quads.len(), &mut buffer, &label);
    let mut out = String::with_capacity(buffer.len());
    for line in lines {
        out.push_str(&buffer[line]);
    }
    Some(out)
}
