//! W3C Bitstring Status List: lists of status bits (one per credential), published gzip-compressed and
//! base64url-encoded in a signed `BitstringStatusListCredential`.
//!
//! See <https://www.w3.org/TR/vc-bitstring-status-list/>.

use std::fmt;
use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::issuer::IssuerId;

/// Entries per list: the specification's minimum, which gives every credential herd privacy among
/// 131,072 others (16 KiB uncompressed).
pub const LIST_SIZE: u32 = 131_072;

/// The index at `position` in a list's own pseudorandom order of its `size` indexes: a bijection of
/// `0..size` keyed by `key` (a 4-round Feistel network over the next even number of bits, cycle-walked back
/// into `0..size`, with SHA-256 as its round function). Processes that claim positions from the list's shared
/// count (`status_list.used`) get disjoint indexes without coordinating, and the indexes still look random to
/// anyone without the key, as the specification's privacy considerations ask.
///
/// `position` must be below `size` (it is taken modulo `size`); `size` must be at least 2.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#privacy-considerations>
pub fn permuted_index(key: &[u8; 32], size: u32, position: u32) -> u32 {
    use sha2::{Digest, Sha256};
    debug_assert!(size >= 2, "a status list of {size} indexes");
    let size = size.max(2);
    let bits = 32 - (size - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u32 << half) - 1;
    let round = |r: u8, value: u32| {
        let digest = Sha256::new().chain_update(key).chain_update([r]).chain_update(value.to_le_bytes()).finalize();
        u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) & mask
    };
    let mut x = position % size;
    loop {
        let (mut left, mut right) = (x >> half, x & mask);
        for r in 0..4 {
            (left, right) = (right, left ^ round(r, right));
        }
        x = (left << half) | right;
        if x < size {
            return x;
        }
    }
}

/// What a set bit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// Permanently withdrawn.
    Revocation,
    /// Temporarily withdrawn; can be reinstated.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }
}

impl std::str::FromStr for StatusPurpose {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            other => Err(format!("unknown status purpose {other:?}")),
        }
    }
}

/// Identity of a status list, in its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusListId(pub Uuid);

impl fmt::Display for StatusListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A status list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// Identity.
    pub id: StatusListId,
    /// The issuer that signs it.
    pub issuer_id: IssuerId,
    /// What its bits mean.
    pub purpose: StatusPurpose,
    /// Number of entries.
    pub size: u32,
    /// Changes with every bit; a cached copy with another version is stale.
    pub version: i64,
    /// When it was opened.
    pub created_at: OffsetDateTime,
}

/// A credential's place in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSlot {
    /// The status list holding the credential's bit.
    pub list: StatusListId,
    /// The bit's position in that list (`statusListIndex`).
    pub index: u32,
}

/// The `encodedList` of a list of `size` bits with `set` bits on: GZIP, then multibase base64url without
/// padding (`u…`). Bit 0 is the most significant bit of the first byte, as the specification requires.
pub fn encode_list(size: u32, set: &[u32]) -> Result<String, std::io::Error> {
    let mut bits = vec![0u8; size.div_ceil(8) as usize];
    for &index in set.iter().filter(|i| **i < size) {
        bits[(index / 8) as usize] |= 0x80 >> (index % 8);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&bits)?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(gzip.finish()?)))
}

/// Why an `encodedList` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid encodedList: {0}")]
pub struct InvalidList(String);

/// Largest decompressed list accepted (a list of 131,072 bits is 16 KiB; this allows 128 times that), so a
/// malicious "gzip bomb" list cannot exhaust memory.
const MAX_LIST_BYTES: u64 = 2 * 1024 * 1024;

/// Decodes an `encodedList` into its bytes.
pub fn decode_list(encoded: &str) -> Result<Vec<u8>, InvalidList> {
    let data =
        encoded.strip_prefix('u').ok_or_else(|| InvalidList("must be multibase base64url (start with 'u')".into()))?;
    let gzip = URL_SAFE_NO_PAD.decode(data).map_err(|e| InvalidList(e.to_string()))?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&gzip[..])
        .take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut bits)
        .map_err(|e| InvalidList(e.to_string()))?;
    if bits.len() as u64 > MAX_LIST_BYTES {
        return Err(InvalidList("decompresses to more than 2 MiB".into()));
    }
    Ok(bits)
}

/// Whether bit `index` is set in decoded list bytes (`None` when the index is past the end).
pub fn bit(bits: &[u8], index: u32) -> Option<bool> {
    bits.get((index / 8) as usize).map(|byte| byte & (0x80 >> (index % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list's order is a bijection of its indexes (so disjoint positions give disjoint indexes), depends on
    /// the key, and does not follow the positions (the first block is spread over the whole list).
    #[test]
    fn a_lists_order_is_a_keyed_permutation_of_its_indexes() {
        let (key, other) = ([7u8; 32], [8u8; 32]);
        let mut seen = vec![false; LIST_SIZE as usize];
        for position in 0..LIST_SIZE {
            let index = permuted_index(&key, LIST_SIZE, position);
            assert!(index < LIST_SIZE);
            assert!(!std::mem::replace(&mut seen[index as usize], true), "index {index} given twice");
        }
        let first: Vec<u32> = (0..256).map(|p| permuted_index(&key, LIST_SIZE, p)).collect();
        let first_other: Vec<u32> = (0..256).map(|p| permuted_index(&other, LIST_SIZE, p)).collect();
        assert_ne!(first, first_other, "another key, another order");
        assert!(first.iter().any(|&i| i >= LIST_SIZE / 2) && first.iter().any(|&i| i < LIST_SIZE / 2));
        assert!(
            first.windows(2).filter(|w| w[1] == w[0] + 1).count() < 8,
            "positions in a row are not indexes in a row"
        );
        // Sizes that are not a power of two, nor of four, are walked back into range.
        for size in [2, 3, 1000, 65_537] {
            let mut all: Vec<u32> = (0..size).map(|p| permuted_index(&key, size, p)).collect();
            all.sort_unstable();
            assert_eq!(all, (0..size).collect::<Vec<_>>());
        }
    }

    #[test]
    fn lists_round_trip_with_bit_zero_leftmost() {
        let encoded = encode_list(LIST_SIZE, &[0, 7, 8, 131_071]).unwrap();
        assert!(encoded.starts_with('u'));
        let bits = decode_list(&encoded).unwrap();
        assert_eq!(bits.len(), 16_384);
        assert_eq!(bits[0], 0b1000_0001);
        assert_eq!(bits[1], 0b1000_0000);
        for (index, set) in [(0, true), (1, false), (7, true), (8, true), (9, false), (131_071, true), (131_070, false)]
        {
            assert_eq!(bit(&bits, index), Some(set), "{index}");
        }
        assert_eq!(bit(&bits, LIST_SIZE), None);
        // An empty list compresses to well under the 16 KiB it stands for.
        assert!(encode_list(LIST_SIZE, &[]).unwrap().len() < 200);
    }

    #[test]
    fn bad_lists_are_refused_and_bombs_are_capped() {
        assert!(decode_list("z123").is_err());
        assert!(decode_list("unot-gzip").is_err());
        let bomb = encode_list(u32::MAX / 2, &[]).unwrap();
        assert!(decode_list(&bomb).unwrap_err().0.contains("2 MiB"));
    }
}
