//! Opening export files as UTF-8 text streams: zip archives become one unit per entry,
//! gzip is unwrapped, the encoding is sniffed and transcoded, and a resumed import skips
//! straight to its checkpointed position.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ExportError;
use super::decode::Utf8Transcoder;
use super::sniff::{TextEncoding, Wrapper, sniff_delimiter, sniff_encoding, sniff_wrapper};

const HEAD: usize = 64 * 1024;
const BUF: usize = 256 * 1024;

/// One importable unit: a file, or one entry of a zip archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSpec {
    /// Shown and stored name: the file name, or `archive.zip/entry.csv`.
    pub name: String,
    pub file: PathBuf,
    pub zip_index: Option<usize>,
}

/// How a unit's text is encoded and delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFormat {
    pub encoding: TextEncoding,
    pub delimiter: u8,
    pub gzip: bool,
}

fn io_err(file: &Path) -> impl Fn(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        file: file.display().to_string(),
        source,
    }
}

fn read_head<R: Read>(r: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head)?;
    let complete = head.len() < HEAD;
    Ok((head, complete))
}

/// The units of a file: itself, or each file entry of a zip archive (in archive order).
pub fn units_of(file: &Path, name: &str) -> Result<Vec<UnitSpec>, ExportError> {
    let mut f = File::open(file).map_err(io_err(file))?;
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).map_err(io_err(file))?;
    if sniff_wrapper(&magic[..n]) != Wrapper::Zip {
        return Ok(vec![UnitSpec {
            name: name.to_string(),
            file: file.to_path_buf(),
            zip_index: None,
        }]);
    }
    f.seek(SeekFrom::Start(0)).map_err(io_err(file))?;
    let mut archive = zip::ZipArchive::new(f).map_err(|e| ExportError::Unreadable {
        file: name.to_string(),
        reason: format!("not a readable zip archive: {e}"),
    })?;
    let mut units = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| ExportError::Unreadable {
            file: name.to_string(),
            reason: format!("zip entry {i}: {e}"),
        })?;
        if entry.is_dir() {
            continue;
        }
        let entry_name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry{i}"));
        let base = entry_name.rsplit('/').next().unwrap_or(&entry_name);
        if entry_name.starts_with("__MACOSX/") || base.starts_with('.') {
            continue;
        }
        units.push(UnitSpec {
            name: format!("{name}/{entry_name}"),
            file: file.to_path_buf(),
            zip_index: Some(i),
        });
    }
    if units.is_empty() {
        return Err(ExportError::Unreadable {
            file: name.to_string(),
            reason: "the zip archive holds no files".into(),
        });
    }
    Ok(units)
}

/// Runs `f` with the unit's text as a UTF-8 `BufRead` and its sniffed format.
///
/// With `resume = Some((format, offset))` the sniffing is skipped (the checkpoint's
/// format is used) and the stream starts `offset` bytes into the decoded text.
pub fn with_text<T>(
    spec: &UnitSpec,
    resume: Option<(TextFormat, u64)>,
    f: impl FnOnce(&mut dyn BufRead, TextFormat) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let file = File::open(&spec.file).map_err(io_err(&spec.file))?;
    match spec.zip_index {
        None => {
            // Fast path for plain UTF-8 files being resumed: seek instead of re-reading.
            if let Some((format, offset)) = resume
                && !format.gzip
                && format.encoding.transcode_from().is_none()
            {
                let mut file = file;
                file.seek(SeekFrom::Start(format.encoding.bom_len() as u64 + offset))
                    .map_err(io_err(&spec.file))?;
                let mut r = BufReader::with_capacity(BUF, file);
                return f(&mut r, format);
            }
            text_from(spec, Box::new(file), resume, f)
        }
        Some(index) => {
            let mut archive = zip::ZipArchive::new(file).map_err(|e| ExportError::Unreadable {
                file: spec.name.clone(),
                reason: format!("not a readable zip archive: {e}"),
            })?;
            let entry = archive
                .by_index(index)
                .map_err(|e| ExportError::Unreadable {
                    file: spec.name.clone(),
                    reason: format!("zip entry: {e}"),
                })?;
            text_from(spec, Box::new(entry), resume, f)
        }
    }
}

fn text_from<'a, T>(
    spec: &UnitSpec,
    mut raw: Box<dyn Read + 'a>,
    resume: Option<(TextFormat, u64)>,
    f: impl FnOnce(&mut dyn BufRead, TextFormat) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let unreadable = |e: io::Error| ExportError::Unreadable {
        file: spec.name.clone(),
        reason: e.to_string(),
    };
    let (head, _) = read_head(&mut raw).map_err(unreadable)?;
    let gzip = sniff_wrapper(&head) == Wrapper::Gzip;
    let mut stream: Box<dyn Read + 'a> = Box::new(Cursor::new(head).chain(raw));
    if gzip {
        stream = Box::new(flate2::read::MultiGzDecoder::new(stream));
    }
    let (head, complete) = read_head(&mut stream).map_err(|e| ExportError::Unreadable {
        file: spec.name.clone(),
        reason: if gzip {
            format!("corrupt gzip data: {e}")
        } else {
            e.to_string()
        },
    })?;
    let encoding = match resume {
        Some((format, _)) => format.encoding,
        None => sniff_encoding(&head, complete),
    };
    let bom = encoding.bom_len().min(head.len());
    let has_bom = head.get(..bom) == Some(bom_bytes(encoding));
    let skip = if has_bom { bom } else { 0 };
    let body: Box<dyn Read + 'a> = Box::new(Cursor::new(head).chain(stream));
    let mut body = body;
    io::copy(&mut (&mut body).take(skip as u64), &mut io::sink()).map_err(unreadable)?;
    let mut text: Box<dyn BufRead + 'a> = match encoding.transcode_from() {
        Some(enc) => Box::new(Utf8Transcoder::new(body, enc)),
        None => Box::new(BufReader::with_capacity(BUF, body)),
    };
    let format = match resume {
        Some((format, offset)) => {
            let skipped =
                io::copy(&mut (&mut text).take(offset), &mut io::sink()).map_err(unreadable)?;
            if skipped != offset {
                return Err(ExportError::Unreadable {
                    file: spec.name.clone(),
                    reason: format!(
                        "the file is shorter than when the import started ({skipped} < {offset} bytes); re-import it from the start"
                    ),
                });
            }
            format
        }
        None => {
            let sample = text.fill_buf().map_err(unreadable)?;
            TextFormat {
                encoding,
                delimiter: sniff_delimiter(sample),
                gzip,
            }
        }
    };
    f(&mut text, format)
}

fn bom_bytes(e: TextEncoding) -> &'static [u8] {
    match e {
        TextEncoding::Utf8Bom => &[0xEF, 0xBB, 0xBF],
        TextEncoding::Utf16Le => &[0xFF, 0xFE],
        TextEncoding::Utf16Be => &[0xFE, 0xFF],
        TextEncoding::Utf8 | TextEncoding::Windows1252 => &[],
    }
}
