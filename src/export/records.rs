//! A CSV record reader with bounded memory and source line numbers, on `csv_core`.
//!
//! Memory is capped: a record longer than the limit (a huge field, or an unterminated
//! quote swallowing the rest of the file) is consumed without being kept and reported as
//! too long; a record with more fields than the limit is reported likewise. The reader
//! also tracks its byte position, which at a record boundary is a resumable checkpoint.

use std::io::{self, BufRead};

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// Why a record could not be kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordProblem {
    /// The record exceeded this many bytes.
    TooLong(usize),
    /// The record had more than this many fields.
    TooManyFields(usize),
}

/// One record as read: its first line, bytes and field ends (absolute offsets in `bytes`).
pub struct RawRecord<'a> {
    pub line: u64,
    pub bytes: &'a [u8],
    pub ends: &'a [usize],
    pub problem: Option<RecordProblem>,
}

impl RawRecord<'_> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` as bytes.
    pub fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// Reads records from a UTF-8 (or to-be-validated) byte stream.
pub struct RecordReader<R> {
    src: R,
    core: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    max_record: usize,
    max_fields: usize,
    /// Bytes consumed from `src` since the reader's starting point (plus `base`).
    pos: u64,
    /// Line number of the next unconsumed byte (1-based).
    line: u64,
    finished: bool,
}

impl<R: BufRead> RecordReader<R> {
    /// `pos` and `line` say where `src` starts (non-zero when resuming mid-file).
    pub fn new(
        src: R,
        delimiter: u8,
        max_record: usize,
        max_fields: usize,
        pos: u64,
        line: u64,
    ) -> Self {
        RecordReader {
            src,
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; max_record.clamp(1, 64 * 1024)],
            ends: vec![0; max_fields.clamp(1, 64)],
            max_record: max_record.max(1),
            max_fields: max_fields.max(1),
            pos,
            line,
            finished: false,
        }
    }

    /// Byte position after the last record returned, and the line number there.
    pub fn position(&self) -> (u64, u64) {
        (self.pos, self.line)
    }

    /// The next record, or `None` at the end of the stream.
    pub fn next_record(&mut self) -> io::Result<Option<RawRecord<'_>>> {
        if self.finished {
            return Ok(None);
        }
        let mut outlen = 0;
        let mut endlen = 0;
        let mut problem = None;
        let mut start_line: Option<u64> = None;
        loop {
            let input = self.src.fill_buf()?;
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            let consumed = &input[..nin];
            if start_line.is_none()
                && let Some(i) = consumed.iter().position(|&b| b != b'\n' && b != b'\r')
            {
                start_line = Some(self.line + count_newlines(&consumed[..i]));
            }
            self.line += count_newlines(consumed);
            self.pos += nin as u64;
            self.src.consume(nin);
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => continue,
                ReadRecordResult::OutputFull => {
                    if self.out.len() < self.max_record {
                        let new_len = (self.out.len() * 2).min(self.max_record);
                        self.out.resize(new_len, 0);
                    } else {
                        problem = Some(RecordProblem::TooLong(self.max_record));
                        outlen = 0; // keep consuming, discard the bytes
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() < self.max_fields {
                        let new_len = (self.ends.len() * 2).min(self.max_fields);
                        self.ends.resize(new_len, 0);
                    } else {
                        if problem.is_none() {
                            problem = Some(RecordProblem::TooManyFields(self.max_fields));
                        }
                        endlen = 0;
                    }
                }
                ReadRecordResult::Record => {
                    let line = start_line.unwrap_or(self.line);
                    if problem.is_some() {
                        return Ok(Some(RawRecord {
                            line,
                            bytes: &[],
                            ends: &[],
                            problem,
                        }));
                    }
                    return Ok(Some(RawRecord {
                        line,
                        bytes: &self.out[..outlen],
                        ends: &self.ends[..endlen],
                        problem: None,
                    }));
                }
                ReadRecordResult::End => {
                    self.finished = true;
                    return Ok(None);
                }
            }
        }
    }
}

#[inline]
fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max_record: usize) -> Vec<(u64, Vec<String>, Option<RecordProblem>)> {
        let mut r = RecordReader::new(input, b',', max_record, 100, 0, 1);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            let fields = (0..rec.len())
                .map(|i| String::from_utf8_lossy(rec.field(i)).into_owned())
                .collect();
            out.push((rec.line, fields, rec.problem));
        }
        out
    }

    #[test]
    fn quoting_embedded_newlines_and_line_numbers() {
        let input = b"id,note\n1,\"a, \"\"quoted\"\"\nsecond line\"\n\n2,plain\r\n3,last";
        let recs = all(input, 1 << 20);
        assert_eq!(recs.len(), 4);
        assert_eq!(recs[0].0, 1);
        assert_eq!(recs[1].0, 2);
        assert_eq!(recs[1].1, ["1", "a, \"quoted\"\nsecond line"]);
        assert_eq!(recs[2].0, 5);
        assert_eq!(recs[2].1, ["2", "plain"]);
        assert_eq!(recs[3].0, 6);
        assert_eq!(recs[3].1, ["3", "last"]);
    }

    #[test]
    fn oversize_records_are_skipped_with_bounded_memory() {
        let mut input = b"id,note\n1,ok\n2,".to_vec();
        input.extend(std::iter::repeat_n(b'x', 10_000));
        input.extend_from_slice(b"\n3,ok\n");
        let recs = all(&input, 1000);
        assert_eq!(recs.len(), 4);
        assert_eq!(recs[2].0, 3);
        assert_eq!(recs[2].2, Some(RecordProblem::TooLong(1000)));
        assert_eq!(recs[3].1, ["3", "ok"]);
        assert_eq!(recs[3].0, 4);
    }

    #[test]
    fn resuming_at_a_recorded_position_yields_the_rest() {
        let input = b"a,b\r\n1,2\r\n3,4\r\n5,6\r\n";
        let mut r = RecordReader::new(&input[..], b',', 1 << 10, 10, 0, 1);
        r.next_record().unwrap();
        r.next_record().unwrap();
        let (pos, line) = r.position();
        let mut rest = RecordReader::new(&input[pos as usize..], b',', 1 << 10, 10, pos, line);
        let rec = rest.next_record().unwrap().unwrap();
        assert_eq!(rec.field(0), b"3");
        assert_eq!(rec.line, 3);
        let rec = rest.next_record().unwrap().unwrap();
        assert_eq!(rec.field(1), b"6");
        assert_eq!(rec.line, 4);
        assert!(rest.next_record().unwrap().is_none());
    }
}
