//! Seed-dependent status catalogue: the generator's base statuses keep their ids and
//! pipeline names, but bin names and rejection wordings vary by seed (abbreviations such
//! as NMF/NLI, "No Show", "Req Filled", …), and a few rejection statuses are placed
//! outside any rejection bin (an "NMF - Phone Screen" in the interview bin), next to
//! pipeline statuses whose wording looks close ("Background Check", "Interview Not Yet
//! Scheduled"). `Status::is_rejection` is the ground truth detection is tested against.
//! Uses its own random stream, so the rest of the tenant is the same for a seed.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

use super::model::{Status, Workflow};

/// Bin id → the names a tenant may give it.
const BIN_NAMES: [(&str, &[&str]); 7] = [
    (
        "D37001001",
        &["Initial Review", "Screening", "New Applicants", "Review"],
    ),
    (
        "D37001002",
        &["Interview", "Interviewing", "Interviews", "Assessment"],
    ),
    ("D37001003", &["Offer", "Offer Stage", "Offers"]),
    ("D37001004", &["Hired", "Hire", "Onboarding"]),
    ("D37001005", &["On Hold", "Hold", "Parked"]),
    (
        "D37001006",
        &[
            "Rejected",
            "Disqualified",
            "Not Selected",
            "Declined",
            "Closed - Not Hired",
            "Rejections",
        ],
    ),
    (
        "D37001007",
        &["Withdrawn", "Candidate Withdrew", "Withdrew"],
    ),
];

/// Status id → the wordings a tenant may give that (rejection) status.
const REJECTION_NAMES: [(&str, &[&str]); 4] = [
    (
        "C22001",
        &[
            "Rejected - Not Qualified",
            "Does Not Meet Min Quals",
            "DQ - Not Qualified",
            "Unqualified",
            "Other (see notes)",
        ],
    ),
    (
        "C23504",
        &[
            "Rejected - Position Filled",
            "Position Filled",
            "Req Filled",
            "Pos Filled - Other Candidate",
        ],
    ),
    (
        "C23505",
        &[
            "Rejected - Failed Background Check",
            "Failed Background",
            "Background - Did Not Pass",
            "Rej - Background",
        ],
    ),
    (
        "C51324",
        &[
            "Candidate Withdrew",
            "Withdrew Application",
            "NLI - Candidate",
            "Not Interested",
        ],
    ),
];

/// Rejection statuses outside a rejection bin: (name, bin id).
const STRAY_REJECTIONS: [(&str, &str); 12] = [
    ("NMF - Phone Screen", "D37001002"),
    ("Not Moving Fwd", "D37001001"),
    ("No Show - Onsite", "D37001002"),
    ("NLI", "D37001001"),
    ("Offer Declined", "D37001003"),
    ("Position Filled - Hold", "D37001005"),
    ("Req Cancelled", "D37001005"),
    ("Not Selected - HM Review", "D37001002"),
    ("DQ'd - Background", "D37001003"),
    ("No-Show", "D37001002"),
    ("NMF", "D37001001"),
    ("Candidate Declined Offer", "D37001003"),
];

/// Pipeline statuses whose wording sits close to a rejection: (name, bin id).
const LOOKALIKES: [(&str, &str); 6] = [
    ("Interview Not Yet Scheduled", "D37001002"),
    ("Background Check", "D37001003"),
    ("Reference Check", "D37001003"),
    ("Awaiting Hiring Manager Decision", "D37001002"),
    ("Nominated", "D37001001"),
    ("Re-Screen Requested", "D37001001"),
];

fn bin_name(bin_id: &str, choice: &[(String, String)]) -> String {
    choice
        .iter()
        .find(|(id, _)| id == bin_id)
        .map_or_else(|| bin_id.to_string(), |(_, n)| n.clone())
}

/// Applies the seed's variation to `statuses` (renames, extra statuses appended) and moves
/// a few workflows into each extra status — live and export copies alike, never one that
/// changed after the cut-off — so every status stays in use.
pub fn vary(
    seed: u64,
    statuses: &mut Vec<Status>,
    live: &mut [Workflow],
    export: &mut [Workflow],
    changed_after_cutoff: &[u64],
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5354_4147_4553_0006);
    let bins: Vec<(String, String)> = BIN_NAMES
        .iter()
        .map(|(id, names)| {
            (
                id.to_string(),
                names[rng.random_range(0..names.len())].to_string(),
            )
        })
        .collect();
    for s in statuses.iter_mut() {
        s.bin = bin_name(&s.bin_id, &bins);
        if let Some((_, names)) = REJECTION_NAMES.iter().find(|(id, _)| *id == s.id) {
            s.name = names[rng.random_range(0..names.len())].to_string();
        }
    }
    let mut strays: Vec<&(&str, &str)> = STRAY_REJECTIONS.iter().collect();
    strays.shuffle(&mut rng);
    let n_strays = rng.random_range(2..=3);
    let mut looks: Vec<&(&str, &str)> = LOOKALIKES.iter().collect();
    looks.shuffle(&mut rng);
    let n_looks = rng.random_range(1..=2);
    let mut extra: Vec<(&str, &str, bool)> = Vec::new();
    extra.extend(
        strays
            .into_iter()
            .take(n_strays)
            .map(|(n, b)| (*n, *b, true)),
    );
    extra.extend(
        looks
            .into_iter()
            .take(n_looks)
            .map(|(n, b)| (*n, *b, false)),
    );
    let changed: HashSet<u64> = changed_after_cutoff.iter().copied().collect();
    let in_export: HashSet<u64> = export.iter().map(|w| w.id).collect();
    for (k, (name, bin_id, rejection)) in extra.into_iter().enumerate() {
        let index = statuses.len();
        statuses.push(Status {
            id: format!("C6{:04}", 1000 + (seed % 97) * 10 + k as u64),
            name: name.to_string(),
            bin: bin_name(bin_id, &bins),
            bin_id: bin_id.to_string(),
            is_rejection: rejection,
        });
        // Move a few unchanged workflows of the busiest status into the new one.
        let mut counts = vec![0usize; index];
        for w in live.iter() {
            if w.status < index {
                counts[w.status] += 1;
            }
        }
        let busiest = (0..index).max_by_key(|&s| counts[s]).unwrap_or(0);
        let take = rng
            .random_range(1..=3usize)
            .min(counts[busiest].saturating_sub(1));
        let ids: Vec<u64> = live
            .iter()
            .rev()
            .filter(|w| {
                w.status == busiest && !changed.contains(&w.id) && in_export.contains(&w.id)
            })
            .take(take)
            .map(|w| w.id)
            .collect();
        for w in live.iter_mut().filter(|w| ids.contains(&w.id)) {
            w.status = index;
        }
        for w in export.iter_mut().filter(|w| ids.contains(&w.id)) {
            w.status = index;
        }
    }
}

/// Adds a status to a running tenant (see [`super::Sandbox::add_status`]): a new `C7…` id,
/// in the bin named `bin` (its id when the tenant has that bin, else a new one); it is a
/// rejection when its bin is the tenant's rejection bin (ground truth for tests).
pub fn add_status(
    state: &super::api::AppState,
    tenant: &super::model::Tenant,
    name: &str,
    bin: &str,
) -> Status {
    let Ok(mut added) = state.added_statuses.lock() else {
        return Status {
            id: String::new(),
            name: name.to_string(),
            bin: bin.to_string(),
            bin_id: String::new(),
            is_rejection: false,
        };
    };
    let known = tenant.statuses.iter().chain(added.iter());
    let same_bin = known.clone().find(|s| s.bin.eq_ignore_ascii_case(bin));
    let status = Status {
        id: format!("C7{:04}", 1000 + added.len()),
        name: name.to_string(),
        bin: same_bin.map_or_else(|| bin.to_string(), |s| s.bin.clone()),
        bin_id: same_bin.map_or_else(|| format!("D3700199{}", added.len()), |s| s.bin_id.clone()),
        is_rejection: same_bin.is_some_and(|s| s.bin_id == "D37001006" || s.bin_id == "D37001007"),
    };
    added.push(status.clone());
    status
}

/// `POST /_sandbox/statuses` with `{"name": …, "bin": …}` (no auth; loopback only): adds a
/// status as [`add_status`] does and answers 201 with it.
pub fn add_status_request(state: &super::api::AppState, body: &[u8]) -> super::response::Response {
    #[derive(serde::Deserialize)]
    struct Body {
        name: String,
        bin: String,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) if !b.name.trim().is_empty() && !b.bin.trim().is_empty() => {
            let s = add_status(state, &state.tenant(), b.name.trim(), b.bin.trim());
            super::response::Response::json(
                201,
                &serde_json::json!({"id": s.id, "name": s.name, "bin": s.bin, "binid": s.bin_id}),
            )
        }
        _ => super::response::Response::json(
            400,
            &serde_json::json!({"errors": [{"errorMessage": "expected {\"name\": …, \"bin\": …}", "errorCode": 10}]}),
        ),
    }
}
