//! Sniffing an export file: wrapper (zip, gzip), text encoding (BOMs, UTF-8, UTF-16,
//! Windows-1252), CSV delimiter, which object it holds, and which columns carry the
//! "updated" date and the workflow status.

use serde::{Deserialize, Serialize};

/// How the bytes are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    Plain,
    Gzip,
    Zip,
}

/// Detects gzip and zip by their magic bytes.
pub fn sniff_wrapper(head: &[u8]) -> Wrapper {
    if head.starts_with(&[0x1F, 0x8B]) {
        Wrapper::Gzip
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Wrapper::Zip
    } else {
        Wrapper::Plain
    }
}

/// The text encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    /// Bytes of byte-order mark at the start of the stream.
    pub fn bom_len(self) -> usize {
        match self {
            TextEncoding::Utf8Bom => 3,
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => 2,
            TextEncoding::Utf8 | TextEncoding::Windows1252 => 0,
        }
    }

    /// The encoding to transcode from, or `None` when the bytes already are UTF-8.
    pub fn transcode_from(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => None,
            TextEncoding::Utf16Le => Some(encoding_rs::UTF_16LE),
            TextEncoding::Utf16Be => Some(encoding_rs::UTF_16BE),
            TextEncoding::Windows1252 => Some(encoding_rs::WINDOWS_1252),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 (BOM)",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Guesses the encoding from the first bytes: a BOM decides; otherwise NUL patterns
/// mean UTF-16, valid UTF-8 means UTF-8, anything else is taken as Windows-1252.
/// `complete` says whether `head` is the whole stream.
pub fn sniff_encoding(head: &[u8], complete: bool) -> TextEncoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    let sample = &head[..head.len().min(4096)];
    if sample.len() >= 4 {
        let even_nuls = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd_nuls = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let half = sample.len() / 2;
        if odd_nuls * 10 > half * 7 && even_nuls * 10 < half {
            return TextEncoding::Utf16Le;
        }
        if even_nuls * 10 > half * 7 && odd_nuls * 10 < half {
            return TextEncoding::Utf16Be;
        }
    }
    // UTF-8 unless invalid sequences outnumber valid multi-byte characters: a UTF-8
    // export with a few broken rows stays UTF-8 (those rows are quarantined), while
    // Windows-1252 text (é = 0xE9 before ASCII) almost never forms valid sequences.
    let (multibyte, invalid) = utf8_census(head, complete);
    if invalid == 0 || multibyte > invalid {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    }
}

/// Counts valid multi-byte characters and invalid sequences in `bytes` (an incomplete
/// character at the end of an incomplete sample is not counted as invalid).
fn utf8_census(mut bytes: &[u8], complete: bool) -> (usize, usize) {
    let (mut multibyte, mut invalid) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                multibyte += text.chars().filter(|c| c.len_utf8() > 1).count();
                return (multibyte, invalid);
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // Safe to count: the prefix is valid UTF-8.
                multibyte += String::from_utf8_lossy(&bytes[..valid])
                    .chars()
                    .filter(|c| c.len_utf8() > 1)
                    .count();
                match e.error_len() {
                    Some(n) => {
                        invalid += 1;
                        bytes = &bytes[valid + n..];
                    }
                    None => {
                        if complete {
                            invalid += 1;
                        }
                        return (multibyte, invalid);
                    }
                }
            }
        }
    }
}

const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// Counts `delim` outside double quotes in one line; returns the count and whether the
/// line ends inside a quoted field.
fn count_outside_quotes(line: &[u8], delim: u8, mut in_quotes: bool) -> (usize, bool) {
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delim && !in_quotes {
            n += 1;
        }
    }
    (n, in_quotes)
}

/// Picks the delimiter (`,` tab `;` `|`) that splits the header and the following
/// lines most consistently; `,` when nothing decides.
pub fn sniff_delimiter(head_utf8: &[u8]) -> u8 {
    let mut lines: Vec<&[u8]> = head_utf8.split(|&b| b == b'\n').take(21).collect();
    if lines.len() > 1 {
        lines.pop(); // possibly cut short
    }
    let mut best = (b',', 0usize, 0usize);
    for delim in DELIMITERS {
        let mut counts = Vec::new();
        let mut in_quotes = false;
        let mut current = 0;
        for line in &lines {
            let (n, q) = count_outside_quotes(line, delim, in_quotes);
            current += n;
            in_quotes = q;
            if !in_quotes {
                counts.push(current);
                current = 0;
            }
        }
        let Some(&header) = counts.first() else {
            continue;
        };
        if header == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header).count();
        if (consistent, header) > (best.1, best.2) {
            best = (delim, consistent, header);
        }
    }
    best.0
}

/// Which iCIMS object a file holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    People,
    Jobs,
    Workflows,
    Unknown,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::People => "people",
            ObjectKind::Jobs => "jobs",
            ObjectKind::Workflows => "workflows",
            ObjectKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> ObjectKind {
        match s {
            "people" => ObjectKind::People,
            "jobs" => ObjectKind::Jobs,
            "workflows" => ObjectKind::Workflows,
            _ => ObjectKind::Unknown,
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowercase letters and digits only: "Date Updated" → "dateupdated".
pub fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The object, from the file name first, then from the headers.
pub fn sniff_object(file_name: &str, headers: &[String]) -> ObjectKind {
    let name = file_name.to_lowercase();
    let base = name.rsplit('/').next().unwrap_or(&name);
    if ["workflow", "application", "submittal"]
        .iter()
        .any(|w| base.contains(w))
    {
        return ObjectKind::Workflows;
    }
    if ["job", "requisition", "posting"]
        .iter()
        .any(|w| base.contains(w))
    {
        return ObjectKind::Jobs;
    }
    if ["people", "person", "candidate", "applicant", "contact"]
        .iter()
        .any(|w| base.contains(w))
    {
        return ObjectKind::People;
    }
    let h: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let has = |names: &[&str]| h.iter().any(|x| names.contains(&x.as_str()));
    let person_link = has(&[
        "personid",
        "candidateid",
        "person",
        "baseprofileid",
        "associatedprofile",
    ]);
    let job_link = has(&["jobid", "job", "requisitionid", "jobprofileid"]);
    if person_link && job_link && h.iter().any(|x| x.contains("status")) {
        return ObjectKind::Workflows;
    }
    if has(&[
        "jobtitle",
        "title",
        "jobnumber",
        "positiontype",
        "hiringmanager",
        "recruiter",
    ]) && !has(&["firstname", "lastname"])
    {
        return ObjectKind::Jobs;
    }
    if has(&["firstname", "lastname", "email", "emailaddress", "phone"]) {
        return ObjectKind::People;
    }
    ObjectKind::Unknown
}

/// Index of the column with the record's last update time.
pub fn updated_column(headers: &[String]) -> Option<usize> {
    const EXACT: [&str; 12] = [
        "updateddate",
        "updated",
        "dateupdated",
        "lastupdated",
        "lastupdateddate",
        "lastupdate",
        "updatedat",
        "updatedon",
        "lastmodified",
        "lastmodifieddate",
        "modifieddate",
        "datemodified",
    ];
    let h: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    h.iter()
        .position(|x| EXACT.contains(&x.as_str()))
        .or_else(|| {
            h.iter()
                .position(|x| x.contains("updated") || x.contains("modified"))
        })
}

/// Index of the column with the workflow status name.
pub fn status_column(headers: &[String]) -> Option<usize> {
    const EXACT: [&str; 6] = [
        "status",
        "workflowstatus",
        "currentstatus",
        "statusname",
        "applicantworkflowstatus",
        "candidatestatus",
    ];
    let h: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    h.iter()
        .position(|x| EXACT.contains(&x.as_str()))
        .or_else(|| {
            h.iter().position(|x| {
                x.contains("status")
                    && !["date", "id", "updated", "bin", "code", "changed"]
                        .iter()
                        .any(|w| x.contains(w))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn encodings() {
        assert_eq!(
            sniff_encoding(b"\xEF\xBB\xBFa,b", true),
            TextEncoding::Utf8Bom
        );
        assert_eq!(sniff_encoding(b"\xFF\xFEa\0", true), TextEncoding::Utf16Le);
        assert_eq!(sniff_encoding(b"\xFE\xFF\0a", true), TextEncoding::Utf16Be);
        assert_eq!(sniff_encoding("a,é\n".as_bytes(), true), TextEncoding::Utf8);
        assert_eq!(sniff_encoding(b"a,\xE9\n", true), TextEncoding::Windows1252);
        assert_eq!(
            sniff_encoding(b"Jos\xE9,Z\xFCrich,na\xEFve\n", true),
            TextEncoding::Windows1252
        );
        // Mostly valid UTF-8 with one broken byte: UTF-8 (the bad row is quarantined).
        assert_eq!(
            sniff_encoding(
                "José,Zürich,\u{20ac}\n"
                    .as_bytes()
                    .iter()
                    .chain(b"\xFF\n")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
                true
            ),
            TextEncoding::Utf8
        );
        // Cut inside a multi-byte character: still UTF-8 when more follows.
        assert_eq!(sniff_encoding(b"a,\xC3", false), TextEncoding::Utf8);
        assert_eq!(
            sniff_encoding(b"a\0,\0b\0\n\0", true),
            TextEncoding::Utf16Le
        );
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1;\"2,5\";3\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1,5\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n"), b'|');
        assert_eq!(sniff_delimiter(b"single\n1\n"), b',');
    }

    #[test]
    fn objects_and_columns() {
        assert_eq!(sniff_object("export/Jobs_2026.csv", &[]), ObjectKind::Jobs);
        assert_eq!(
            sniff_object("applicant_workflows.csv", &[]),
            ObjectKind::Workflows
        );
        assert_eq!(sniff_object("people.csv.gz", &[]), ObjectKind::People);
        assert_eq!(
            sniff_object("x.csv", &hs(&["Person ID", "Job ID", "Status"])),
            ObjectKind::Workflows
        );
        assert_eq!(
            sniff_object("x.csv", &hs(&["ID", "First Name", "Email"])),
            ObjectKind::People
        );
        assert_eq!(
            sniff_object("x.csv", &hs(&["ID", "Job Title"])),
            ObjectKind::Jobs
        );
        assert_eq!(sniff_object("x.csv", &hs(&["a"])), ObjectKind::Unknown);
        assert_eq!(
            updated_column(&hs(&["ID", "Date Created", "Updated Date"])),
            Some(2)
        );
        assert_eq!(updated_column(&hs(&["ID", "Last Modified On"])), Some(1));
        assert_eq!(
            status_column(&hs(&["Status Date", "Workflow Status"])),
            Some(1)
        );
        assert_eq!(status_column(&hs(&["ID"])), None);
    }
}
