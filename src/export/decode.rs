//! Transcoding a byte stream into UTF-8 while reading (UTF-16 LE/BE, Windows-1252).
//!
//! A malformed input sequence is not replaced by U+FFFD: it becomes a single `0xFF` byte,
//! which is never valid UTF-8, so the row that contains it fails UTF-8 validation and is
//! quarantined as badly encoded instead of being imported with a silent substitution.

use std::io::{self, BufRead, Read};

use encoding_rs::{DecoderResult, Encoding};

const IN_CAP: usize = 64 * 1024;
const OUT_CAP: usize = 3 * IN_CAP + 16;

/// A `BufRead` of UTF-8 bytes decoded from `inner` in `encoding`.
pub struct Utf8Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    input_done: bool,
    finished: bool,
}

impl<R: Read> Utf8Transcoder<R> {
    /// Decodes `inner` (whose BOM, if any, was already skipped) from `encoding`.
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        Utf8Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; IN_CAP],
            in_start: 0,
            in_end: 0,
            output: vec![0; OUT_CAP],
            out_start: 0,
            out_end: 0,
            input_done: false,
            finished: false,
        }
    }

    /// Refills `output`; leaves it empty only at the end of the stream.
    fn refill(&mut self) -> io::Result<()> {
        self.out_start = 0;
        self.out_end = 0;
        while self.out_end == 0 && !self.finished {
            if self.in_start == self.in_end && !self.input_done {
                self.in_start = 0;
                self.in_end = 0;
                loop {
                    match self.inner.read(&mut self.input) {
                        Ok(0) => {
                            self.input_done = true;
                            break;
                        }
                        Ok(n) => {
                            self.in_end = n;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            let last = self.input_done;
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_start..self.in_end],
                &mut self.output[self.out_end..],
                last,
            );
            self.in_start += read;
            self.out_end += written;
            match result {
                DecoderResult::InputEmpty => {
                    if last {
                        self.finished = true;
                    }
                }
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(_, _) => {
                    if self.out_end < self.output.len() {
                        self.output[self.out_end] = 0xFF;
                        self.out_end += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf8Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Utf8Transcoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.out_start == self.out_end {
            self.refill()?;
        }
        Ok(&self.output[self.out_start..self.out_end])
    }

    fn consume(&mut self, amt: usize) {
        self.out_start = (self.out_start + amt).min(self.out_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], enc: &'static Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        Utf8Transcoder::new(bytes, enc)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn utf16_and_windows_1252_become_utf8() {
        let text = "name,city\nJosé,Zürich\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode_all(&le, encoding_rs::UTF_16LE), text.as_bytes());
        assert_eq!(decode_all(&be, encoding_rs::UTF_16BE), text.as_bytes());
        let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        assert_eq!(decode_all(&cp, encoding_rs::WINDOWS_1252), text.as_bytes());
    }

    #[test]
    fn malformed_input_becomes_an_invalid_utf8_marker() {
        // A lone low surrogate in UTF-16LE.
        let mut le: Vec<u8> = "a,".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        le.extend_from_slice(&0xDC00u16.to_le_bytes());
        le.extend("\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
        let out = decode_all(&le, encoding_rs::UTF_16LE);
        assert_eq!(out, b"a,\xFF\n");
        assert!(std::str::from_utf8(&out).is_err());
    }

    #[test]
    fn long_inputs_cross_buffer_boundaries() {
        let text = "é".repeat(200_000);
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode_all(&le, encoding_rs::UTF_16LE), text.as_bytes());
    }
}
