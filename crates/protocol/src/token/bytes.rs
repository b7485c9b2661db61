//! The little-endian packer and checked reader shared by both token formats.
//!
//! Wire rules (SPEC 2.1): integers are little-endian, `str` is a `u16` length
//! followed by that many bytes, `map` is a `u16` count followed by
//! `(u16 key, u32 value)` pairs in ascending key order.
//!
//! The reader never panics: every read is bounds-checked and a short buffer
//! yields [`TokenError::BadEncoding`].

use std::collections::BTreeMap;

use super::error::TokenError;

/// Appends little-endian fields to a growing buffer.
#[derive(Debug, Default)]
pub(crate) struct Packer {
    buf: Vec<u8>,
}

impl Packer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A `u16` length followed by the bytes; `field` names the field in the
    /// error when it does not fit in 65535 bytes.
    pub(crate) fn bytes(&mut self, v: &[u8], field: &'static str) -> Result<&mut Self, TokenError> {
        let len = u16::try_from(v.len()).map_err(|_| TokenError::FieldTooLong { field })?;
        self.u16(len);
        self.buf.extend_from_slice(v);
        Ok(self)
    }

    pub(crate) fn str(&mut self, v: &str, field: &'static str) -> Result<&mut Self, TokenError> {
        self.bytes(v.as_bytes(), field)
    }

    /// A `map` of `u16 -> u32`, in ascending key order (a `BTreeMap` iterates so).
    pub(crate) fn map_u32(
        &mut self,
        m: &BTreeMap<u16, u32>,
        field: &'static str,
    ) -> Result<&mut Self, TokenError> {
        self.count(m.len(), field)?;
        for (k, v) in m {
            self.u16(*k).u32(*v);
        }
        Ok(self)
    }

    /// A `u16` element count.
    pub(crate) fn count(&mut self, n: usize, field: &'static str) -> Result<&mut Self, TokenError> {
        let n = u16::try_from(n).map_err(|_| TokenError::FieldTooLong { field })?;
        Ok(self.u16(n))
    }

    pub(crate) fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads little-endian fields from a byte slice with bounds checks.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], TokenError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(TokenError::BadEncoding {
                reason: truncated(what),
            })?;
        let out = self.buf.get(self.pos..end).ok_or(TokenError::BadEncoding {
            reason: truncated(what),
        })?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, TokenError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, TokenError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], TokenError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    /// A `str` that must be valid UTF-8 (user ids decide authorisation, so no lossy decoding).
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, TokenError> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| TokenError::BadEncoding {
            reason: format!("{what} is not valid UTF-8"),
        })
    }

    pub(crate) fn map_u32(&mut self, what: &'static str) -> Result<BTreeMap<u16, u32>, TokenError> {
        let n = self.u16(what)?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let k = self.u16(what)?;
            let v = self.u32(what)?;
            m.insert(k, v);
        }
        Ok(m)
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

fn truncated(what: &str) -> String {
    format!("truncated while reading {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fields() {
        let mut m = BTreeMap::new();
        m.insert(2u16, 7u32);
        m.insert(1, 9);
        let mut p = Packer::new();
        p.u16(0xbeef).u32(0xdead_beef);
        p.str("hé", "s").unwrap();
        p.map_u32(&m, "m").unwrap();
        let v = p.into_vec();
        assert_eq!(&v[..6], &[0xef, 0xbe, 0xef, 0xbe, 0xad, 0xde]);
        let mut r = Reader::new(&v);
        assert_eq!(r.u16("a").unwrap(), 0xbeef);
        assert_eq!(r.u32("b").unwrap(), 0xdead_beef);
        assert_eq!(r.string("c").unwrap(), "hé");
        assert_eq!(r.map_u32("d").unwrap(), m);
        assert!(r.is_empty());
        assert!(r.u16("e").is_err());
    }

    #[test]
    fn short_reads_fail_cleanly() {
        let mut r = Reader::new(&[0xff, 0xff, 1, 2]);
        assert!(matches!(r.bytes("x"), Err(TokenError::BadEncoding { .. })));
        let mut r = Reader::new(&[1]);
        assert!(r.u32("x").is_err());
        let mut r = Reader::new(&[2, 0, 0xff, 0xfe]);
        assert!(r.string("x").is_err());
    }

    #[test]
    fn oversized_fields_are_refused() {
        let big = vec![b'a'; 70_000];
        assert!(matches!(
            Packer::new().bytes(&big, "user_id"),
            Err(TokenError::FieldTooLong { field: "user_id" })
        ));
    }
}
