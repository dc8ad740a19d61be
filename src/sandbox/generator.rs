//! The seeded tenant generator: deterministic from (seed, size). Builds people, jobs and
//! recruiting workflows as of the export cut-off, then applies the changes, creations and
//! deletions that happened after it, and records the ground truth tests assert against.

use super::model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashSet};

const FIRST: [&str; 64] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Paul",
    "Kimberly",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "George",
    "Amanda",
    "Timothy",
    "Melissa",
    "Ronald",
    "Deborah",
    "Jason",
    "Stephanie",
    "Edward",
    "Rebecca",
    "Jeffrey",
    "Sharon",
    "Ryan",
    "Laura",
    "Jacob",
    "Cynthia",
    "Gary",
    "Dorothy",
    "Nicholas",
    "Amy",
    "Eric",
    "Kathleen",
    "Jonathan",
    "Angela",
];
const LAST: [&str; 64] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
];
const MIDDLE: [&str; 6] = ["A.", "J.", "Lee", "Marie", "R.", "Ann"];
const TITLES: [&str; 10] = [
    "Software Engineer",
    "Senior Software Engineer - Infrastructure",
    "Account Executive",
    "Customer Support Specialist",
    "Financial Analyst",
    "Operations Manager",
    "Data Scientist",
    "Sales Development Representative",
    "Product Manager, Platform",
    "Warehouse Associate \"Night Shift\"",
];
const SOURCES: [&str; 5] = [
    "Career Site",
    "LinkedIn",
    "Employee Referral",
    "Agency",
    "Other (Please Specify)",
];
const SOURCE_NAMES: [&str; 4] = [
    "Indeed",
    "Applicant from previous year",
    "Job fair",
    "Referral program",
];

struct Place {
    city: &'static str,
    state: (&'static str, &'static str, &'static str),
    zip: &'static str,
    street: &'static str,
}
const PLACES: [Place; 5] = [
    Place {
        city: "Boston",
        state: ("D41001024", "MA", "Massachusetts"),
        zip: "02111",
        street: "60 Temple Place",
    },
    Place {
        city: "Chicago",
        state: ("D41001016", "IL", "Illinois"),
        zip: "60661",
        street: "540 W. Madison Street",
    },
    Place {
        city: "Austin",
        state: ("D41001046", "TX", "Texas"),
        zip: "73301",
        street: "100 Congress Ave",
    },
    Place {
        city: "New York",
        state: ("D41001035", "NY", "New York"),
        zip: "10001",
        street: "350 Fifth Avenue",
    },
    Place {
        city: "San Jose",
        state: ("D41001005", "CA", "California"),
        zip: "95113",
        street: "1 Market St",
    },
];

/// Start of the tenant's history, the export cut-off and the end of the after-cut-off window.
pub const HISTORY_START: Timestamp = 1_672_531_200; // 2023-01-01 00:00 UTC
pub const CUTOFF: Timestamp = 1_763_078_400 + 365 * 86_400; // 2026-11-14 00:00 UTC
pub const CHANGES_END: Timestamp = CUTOFF + 6 * 86_400 + 18 * 3_600; // 2026-11-20 06:00 PM

fn node(id: &str, value: &str) -> ListNode {
    ListNode {
        id: id.to_string(),
        value: value.to_string(),
    }
}

pub fn status_catalogue() -> Vec<Status> {
    let s = |id: &str, name: &str, bin: &str, bin_id: &str, rej: bool| Status {
        id: id.into(),
        name: name.into(),
        bin: bin.into(),
        bin_id: bin_id.into(),
        is_rejection: rej,
    };
    vec![
        s(
            "D10100",
            "New Submission",
            "Initial Review",
            "D37001001",
            false,
        ),
        s(
            "C36951",
            "Reviewed by Recruiter",
            "Initial Review",
            "D37001001",
            false,
        ),
        s("C38354", "Phone Screen", "Interview", "D37001002", false),
        s(
            "C38355",
            "Onsite Interview",
            "Interview",
            "D37001002",
            false,
        ),
        s("C38356", "Final Interview", "Interview", "D37001002", false),
        s("C14661", "Offer Extended", "Offer", "D37001003", false),
        s("C12295", "Offer Accepted", "Offer", "D37001003", false),
        s("D10105", "Hired", "Hired", "D37001004", false),
        s("C12296", "On Hold", "On Hold", "D37001005", false),
        s(
            "C22001",
            "Rejected - Not Qualified",
            "Rejected",
            "D37001006",
            true,
        ),
        s(
            "C23504",
            "Rejected - Position Filled",
            "Rejected",
            "D37001006",
            true,
        ),
        s(
            "C23505",
            "Rejected - Failed Background Check",
            "Rejected",
            "D37001006",
            true,
        ),
        s(
            "C51324",
            "Candidate Withdrew",
            "Withdrawn",
            "D37001007",
            true,
        ),
    ]
}

pub fn person_folders() -> Vec<ListNode> {
    vec![
        node("C30101", "Cand:Active"),
        node("C30102", "Cand:Hired"),
        node("C30103", "Cand:Do Not Hire"),
        node("C30104", "Cand:Archived"),
        node("D32011", "HM:Active"),
        node("D32012", "HM:Inactive"),
        node("D32013", "Emp:Current Employee"),
        node("C16818", "Emp:New Hire"),
        node("D32018", "Emp:Former Employee"),
    ]
}

pub fn job_folders() -> Vec<ListNode> {
    vec![
        node("D31001", "Approved"),
        node("D31003", "Closed (Filled)"),
        node("D31004", "On Hold"),
        node("C31005", "Draft"),
    ]
}

pub fn position_categories() -> Vec<ListNode> {
    vec![
        node("C36823", "Engineering"),
        node("C36824", "Sales"),
        node("C36825", "Customer Support"),
        node("C36826", "Finance"),
        node("C36827", "Operations"),
    ]
}

/// Standard ids hidden from the restricted API user.
pub fn restricted_hidden() -> Vec<String> {
    [
        "person.phones",
        "person.addresses",
        "person.linkedin",
        "job.hiringmanager",
        "workflow.source",
        "workflow.sourcename",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// (export header, standard id, iCIMS default label) per object, in column order.
pub fn export_columns(object: Object) -> &'static [(&'static str, &'static str, &'static str)] {
    match object {
        Object::Person => &[
            ("System ID", "person.id", "System ID"),
            ("First Name", "person.firstname", "First Name"),
            ("Middle Name", "person.middlename", "Middle Name"),
            ("Last Name", "person.lastname", "Last Name"),
            ("Email", "person.email", "Email"),
            ("Person Folder", "person.folder", "Folder"),
            ("Phone Number", "person.phones", "Phone Number"),
            ("City", "person.addresscity", "City"),
            ("State", "person.addressstate", "State/Province"),
            ("LinkedIn Profile", "person.linkedin", "LinkedIn Profile"),
            ("Created Date", "person.createddate", "Created Date"),
            ("Last Updated", "person.updateddate", "Updated Date"),
        ],
        Object::Job => &[
            ("System ID", "job.id", "System ID"),
            ("Job ID", "job.jobid", "Job ID"),
            ("Requisition Title", "job.jobtitle", "Job Title"),
            ("Folder", "job.folder", "Folder"),
            (
                "Position Category",
                "job.positioncategory",
                "Position Category",
            ),
            (
                "Number of Positions",
                "job.numberofpositions",
                "Number of Positions",
            ),
            ("Job Location", "job.joblocation", "Job Location"),
            ("Hiring Manager", "job.hiringmanager", "Hiring Manager"),
            ("Coordinator", "job.recruiter", "Recruiter"),
            ("Overview", "job.overview", "Overview"),
            ("Created Date", "job.createddate", "Created Date"),
            ("Updated Date", "job.updateddate", "Updated Date"),
        ],
        Object::Workflow => &[
            ("System ID", "workflow.id", "System ID"),
            (
                "Candidate ID",
                "workflow.associatedprofile",
                "Associated Profile",
            ),
            ("Job System ID", "workflow.baseprofile", "Base Profile"),
            ("Status", "workflow.status", "Status"),
            ("Bin", "workflow.bin", "Bin"),
            ("Source", "workflow.source", "Source"),
            ("Source Name", "workflow.sourcename", "Source Name"),
            ("Created Date", "workflow.createddate", "Created Date"),
            ("Status Date", "workflow.updateddate", "Updated Date"),
        ],
    }
}

fn field_truth(linkedin_field: &str) -> Vec<FieldTruth> {
    let mut out = Vec::new();
    for object in Object::ALL {
        for (header, standard, default) in export_columns(object) {
            out.push(FieldTruth {
                object,
                source: FieldSource::ExportHeader,
                name: header.to_string(),
                standard_id: standard.to_string(),
                default_label: default.to_string(),
                renamed: header != default,
            });
        }
    }
    out.push(FieldTruth {
        object: Object::Person,
        source: FieldSource::CustomField,
        name: linkedin_field.to_string(),
        standard_id: "person.linkedin".into(),
        default_label: "LinkedIn Profile".into(),
        renamed: false,
    });
    out
}

/// Generate the tenant for `(seed, people)`. `people` is the total number of person
/// records ever created (some are created after the cut-off, a few deleted).
pub fn generate(seed: u64, people: usize) -> Tenant {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = people.max(20);
    let customer_id = 1000 + seed % 9000;
    let linkedin_field = format!("field{}", 40000 + (seed.wrapping_mul(7919)) % 9000);
    let statuses = status_catalogue();
    let pfolders = person_folders();
    let jfolders = job_folders();
    let cats = position_categories();
    let company = ["acme", "globex", "initech", "umbrella"][(seed % 4) as usize];

    // ---- people as of creation -------------------------------------------------------
    let users = (n / 40).max(8);
    let span = (CHANGES_END - HISTORY_START) as f64;
    let mut all_people: Vec<Person> = Vec::with_capacity(n);
    let mut id = 1000u64;
    let combos = FIRST.len() * LAST.len();
    let mut entry = 2000u64;
    for i in 0..n {
        id += rng.random_range(1..=3);
        let k = (i * 2_654_435_761usize) % combos; // permutation of name combos
        let first = FIRST[k % FIRST.len()];
        let last = LAST[k / FIRST.len()];
        let (kind, folder) = if i < users {
            match i % 4 {
                0 | 1 => (
                    PersonKind::HiringManager,
                    pfolders[4 + (i % 2) * (i / 8 % 2)].clone(),
                ),
                2 => (PersonKind::Employee, pfolders[6].clone()),
                _ => (PersonKind::Employee, pfolders[7].clone()),
            }
        } else {
            let r: f64 = rng.random();
            let f = if r < 0.7 {
                0
            } else if r < 0.85 {
                3
            } else if r < 0.95 {
                1
            } else {
                2
            };
            (PersonKind::Candidate, pfolders[f].clone())
        };
        let email = if kind == PersonKind::Candidate {
            format!("{}.{}{}@mail.example", slug(first), slug(last), id)
        } else {
            format!("{}.{}{}@{company}.example", slug(first), slug(last), id)
        };
        let middlename = if rng.random_bool(0.3) {
            MIDDLE[rng.random_range(0..MIDDLE.len())].to_string()
        } else {
            String::new()
        };
        let mut phones = Vec::new();
        let nphones = if rng.random_bool(0.7) {
            if rng.random_bool(0.25) { 2 } else { 1 }
        } else {
            0
        };
        for p in 0..nphones {
            entry += 1;
            let (tid, tv) = if p == 0 {
                ("D84101", "Mobile")
            } else {
                ("D84102", "Home")
            };
            phones.push(Phone {
                entry,
                phonetype: node(tid, tv),
                phonenumber: format!("617-555-{:04}", rng.random_range(0..10_000)),
            });
        }
        let mut addresses = Vec::new();
        if rng.random_bool(0.8) {
            entry += 1;
            let place = &PLACES[rng.random_range(0..PLACES.len())];
            addresses.push(Address {
                entry,
                street1: format!("{} Unit {}", place.street, rng.random_range(1..400)),
                city: place.city.into(),
                state: AbbrevNode {
                    id: place.state.0.into(),
                    abbrev: place.state.1.into(),
                    value: place.state.2.into(),
                },
                country: AbbrevNode {
                    id: "D41001".into(),
                    abbrev: "US".into(),
                    value: "United States".into(),
                },
                zip: place.zip.into(),
                addresstype: node("D84002", "Home"),
            });
        }
        let linkedin = if rng.random_bool(0.8) {
            format!(
                "https://www.linkedin.com/in/{}-{}-{:x}",
                slug(first),
                slug(last),
                id * 31 + 7
            )
        } else {
            String::new()
        };
        let created =
            HISTORY_START + ((i as f64 + rng.random::<f64>() * 0.5) / n as f64 * span) as i64;
        let created = created - created % 60;
        let upto = (CUTOFF - 60).max(created);
        let updated = if created >= CUTOFF {
            created
        } else {
            rng.random_range(created..=upto)
        };
        all_people.push(Person {
            id,
            firstname: first.into(),
            middlename,
            lastname: last.into(),
            email,
            folder,
            kind,
            externalid: if rng.random_bool(0.2) {
                format!("EXT-{id}")
            } else {
                String::new()
            },
            phones,
            addresses,
            linkedin,
            createddate: created,
            updateddate: updated - updated % 60,
        });
    }
    // Users are created early (before the cut-off) so recruiter links exist in the export.
    for (i, p) in all_people.iter_mut().take(users).enumerate() {
        p.createddate = HISTORY_START + i as i64 * 3_600;
        p.updateddate = p.createddate + 86_400;
    }

    // ---- planted collisions among candidates created before the cut-off -------------
    let cand: Vec<usize> = (users..n)
        .filter(|&i| all_people[i].createddate < CUTOFF)
        .collect();
    let groups = (n / 200).max(3);
    let mut used: HashSet<usize> = HashSet::new();
    let pick = |rng: &mut ChaCha8Rng, used: &mut HashSet<usize>| -> Option<usize> {
        for _ in 0..64 {
            let i = cand[rng.random_range(0..cand.len())];
            if used.insert(i) {
                return Some(i);
            }
        }
        None
    };
    for g in 0..groups {
        let size = if g % 3 == 0 { 3 } else { 2 };
        // shared email
        if let Some(a) = pick(&mut rng, &mut used) {
            for _ in 1..size {
                if let Some(b) = pick(&mut rng, &mut used) {
                    all_people[b].email = all_people[a].email.clone();
                }
            }
        }
        // shared LinkedIn URL
        if let Some(a) = pick(&mut rng, &mut used) {
            if all_people[a].linkedin.is_empty() {
                all_people[a].linkedin = format!("https://www.linkedin.com/in/shared-{a:x}");
            }
            if let Some(b) = pick(&mut rng, &mut used) {
                all_people[b].linkedin = all_people[a].linkedin.clone();
            }
        }
        // shared name (different email)
        if let Some(a) = pick(&mut rng, &mut used)
            && let Some(b) = pick(&mut rng, &mut used)
        {
            all_people[b].firstname = all_people[a].firstname.clone();
            all_people[b].lastname = all_people[a].lastname.clone();
        }
    }
    // A suffix with a comma exercises CSV quoting.
    if let Some(&i) = cand.iter().find(|&&i| !used.contains(&i)) {
        all_people[i].lastname = format!("{}, Jr.", all_people[i].lastname);
    }
    // Two users share one email: a recruiter email that matches several users.
    let shared_user_email = all_people[4].email.clone();
    all_people[5].email = shared_user_email.clone();

    // ---- jobs ------------------------------------------------------------------------
    let njobs = (n / 8).max(6);
    let hms: Vec<u64> = all_people[..users]
        .iter()
        .filter(|p| p.kind == PersonKind::HiringManager)
        .map(|p| p.id)
        .collect();
    let recruiters: Vec<u64> = all_people[..users].iter().map(|p| p.id).collect();
    let mut all_jobs = Vec::with_capacity(njobs);
    let mut jid = 1000u64;
    for i in 0..njobs {
        jid += rng.random_range(1..=2);
        let place_i = rng.random_range(0..PLACES.len());
        let place = &PLACES[place_i];
        let created = HISTORY_START + ((i as f64 + 0.3) / njobs as f64 * span) as i64;
        let created = created - created % 60;
        let updated = if created >= CUTOFF {
            created
        } else {
            rng.random_range(created..=(CUTOFF - 60).max(created))
        };
        let title = TITLES[rng.random_range(0..TITLES.len())];
        let folder = if rng.random_bool(0.75) {
            0
        } else {
            rng.random_range(1..jfolders.len())
        };
        all_jobs.push(Job {
            id: jid,
            jobid: format!(
                "{}-{}",
                2023 + (created - HISTORY_START) / (365 * 86_400),
                jid
            ),
            jobtitle: title.into(),
            folder: jfolders[folder].clone(),
            positioncategory: cats[rng.random_range(0..cats.len())].clone(),
            numberofpositions: rng.random_range(1..=5),
            joblocation: JobLocation {
                id: 10 + place_i as u64,
                companyid: 500 + place_i as u64,
                value: format!(
                    "{} - {} {}, {} {} United States ",
                    place.city, place.street, place.city, place.state.2, place.zip
                ),
            },
            hiringmanager: if rng.random_bool(0.9) {
                Some(hms[rng.random_range(0..hms.len())])
            } else {
                None
            },
            recruiter: if rng.random_bool(0.95) {
                Some(recruiters[rng.random_range(0..recruiters.len())])
            } else {
                None
            },
            overview: format!(
                "About the role:\nJoin our \"{}\" team in {}, {}.\n- {} positions open",
                cats[i % cats.len()].value,
                place.city,
                place.state.1,
                1 + i % 3
            ),
            createddate: created,
            updateddate: updated - updated % 60,
        });
    }

    // ---- workflows -------------------------------------------------------------------
    let mut all_wf = Vec::new();
    let mut wid = 10_000u64;
    let weights: [u32; 13] = [20, 10, 8, 5, 3, 2, 2, 4, 2, 15, 8, 2, 4];
    let wsum: u32 = weights.iter().sum();
    for (ci, p) in all_people.iter().enumerate().skip(users) {
        let apps = if ci % 3 == 0 { 2 } else { 1 };
        for _ in 0..apps {
            // A job that already existed when the person applied.
            let latest = all_jobs
                .partition_point(|j| j.createddate <= p.createddate)
                .max(1);
            let job = &all_jobs[rng.random_range(0..latest)];
            wid += rng.random_range(1..=2);
            let status = if all_wf.len() < statuses.len() {
                all_wf.len()
            } else {
                let mut r = rng.random_range(0..wsum);
                let mut s = 0;
                while r >= weights[s] {
                    r -= weights[s];
                    s += 1;
                }
                s
            };
            let created = p.createddate.max(job.createddate) + 60 * rng.random_range(1..600);
            let created = if p.createddate < CUTOFF {
                created.min(CUTOFF - 60)
            } else {
                created
            };
            let updated = if created >= CUTOFF {
                created
            } else {
                rng.random_range(created..=(CUTOFF - 60).max(created))
            };
            all_wf.push(Workflow {
                id: wid,
                person: p.id,
                job: job.id,
                status,
                source: SOURCES[rng.random_range(0..SOURCES.len())].into(),
                sourcename: if rng.random_bool(0.4) {
                    SOURCE_NAMES[rng.random_range(0..SOURCE_NAMES.len())].into()
                } else {
                    String::new()
                },
                createddate: created,
                updateddate: updated,
            });
        }
    }
    // Workflow ids ascend with creation order in iCIMS; sort by created date and renumber.
    all_wf.sort_by_key(|w| (w.createddate, w.id));
    let mut wid = 10_000u64;
    for w in &mut all_wf {
        wid += 1 + (w.createddate % 2) as u64;
        w.id = wid;
    }

    // ---- export state (as of the cut-off) and changes after it ------------------------
    let export_people: Vec<Person> = all_people
        .iter()
        .filter(|p| p.createddate < CUTOFF)
        .cloned()
        .collect();
    let export_jobs: Vec<Job> = all_jobs
        .iter()
        .filter(|j| j.createddate < CUTOFF)
        .cloned()
        .collect();
    let mut export_workflows: Vec<Workflow> = all_wf
        .iter()
        .filter(|w| w.createddate < CUTOFF)
        .cloned()
        .collect();

    let mut ac = AfterCutoff {
        cutoff: format_datetime(CUTOFF),
        cutoff_ts: CUTOFF,
        ..Default::default()
    };
    let after = |rng: &mut ChaCha8Rng| {
        let t = rng.random_range(CUTOFF + 60..CHANGES_END);
        t - t % 60
    };
    ac.people.created = all_people
        .iter()
        .filter(|p| p.createddate >= CUTOFF)
        .map(|p| p.id)
        .collect();
    ac.jobs.created = all_jobs
        .iter()
        .filter(|j| j.createddate >= CUTOFF)
        .map(|j| j.id)
        .collect();
    ac.workflows.created = all_wf
        .iter()
        .filter(|w| w.createddate >= CUTOFF)
        .map(|w| w.id)
        .collect();

    // Deleted people: candidates outside the collision groups (their workflows go too).
    let ndel = (n / 100).max(2);
    let mut deleted_people: HashSet<u64> = HashSet::new();
    let mut tries = 0;
    while deleted_people.len() < ndel && tries < 10_000 {
        tries += 1;
        let i = cand[rng.random_range(0..cand.len())];
        if !used.contains(&i) {
            deleted_people.insert(all_people[i].id);
        }
    }
    // One job is deleted with its workflows.
    let deleted_job = export_jobs[export_jobs.len() / 2].id;
    let mut deleted_wf: HashSet<u64> = HashSet::new();
    for w in &all_wf {
        if w.createddate < CUTOFF && (deleted_people.contains(&w.person) || w.job == deleted_job) {
            deleted_wf.insert(w.id);
        }
    }
    // Workflows created after the cut-off never point at deleted records.
    all_wf.retain(|w| {
        !(w.createddate >= CUTOFF && (deleted_people.contains(&w.person) || w.job == deleted_job))
    });
    ac.workflows.created = all_wf
        .iter()
        .filter(|w| w.createddate >= CUTOFF)
        .map(|w| w.id)
        .collect();

    let mut live_people: Vec<Person> = all_people
        .into_iter()
        .filter(|p| !deleted_people.contains(&p.id))
        .collect();
    let mut live_jobs: Vec<Job> = all_jobs
        .into_iter()
        .filter(|j| j.id != deleted_job)
        .collect();
    let mut live_wf: Vec<Workflow> = all_wf
        .into_iter()
        .filter(|w| !deleted_wf.contains(&w.id))
        .collect();

    // Changed people: folder and phone change (dedupe keys untouched).
    for p in live_people.iter_mut().skip(users) {
        if p.createddate < CUTOFF && rng.random_bool(0.03) {
            p.folder = pfolders[if p.folder.id == "C30101" { 3 } else { 0 }].clone();
            if let Some(ph) = p.phones.first_mut() {
                ph.phonenumber = format!("857-555-{:04}", rng.random_range(0..10_000));
            }
            p.updateddate = after(&mut rng);
            ac.people.changed.push(p.id);
        }
    }
    for j in live_jobs.iter_mut() {
        if j.createddate < CUTOFF && rng.random_bool(0.08) {
            j.folder = jfolders[if j.folder.id == "D31001" { 1 } else { 0 }].clone();
            j.numberofpositions += 1;
            j.updateddate = after(&mut rng);
            ac.jobs.changed.push(j.id);
        }
    }
    for w in live_wf.iter_mut() {
        if w.createddate < CUTOFF && rng.random_bool(0.08) {
            w.status = (w.status + 1 + rng.random_range(0..statuses.len() - 1)) % statuses.len();
            w.updateddate = after(&mut rng);
            ac.workflows.changed.push(w.id);
        }
    }
    let mut dp: Vec<u64> = deleted_people.into_iter().collect();
    dp.sort_unstable();
    ac.people.deleted = dp;
    ac.jobs.deleted = vec![deleted_job];
    let mut dw: Vec<u64> = deleted_wf.into_iter().collect();
    dw.sort_unstable();
    ac.workflows.deleted = dw;
    // Every status stays in use among live workflows whatever was deleted or changed:
    // move an unchanged workflow of the most used status (live and export copy alike).
    for st in 0..statuses.len() {
        if live_wf.iter().any(|w| w.status == st) {
            continue;
        }
        let mut counts = vec![0usize; statuses.len()];
        for w in &live_wf {
            counts[w.status] += 1;
        }
        let busiest = (0..statuses.len()).max_by_key(|&s| counts[s]).unwrap_or(0);
        let changed: HashSet<u64> = ac.workflows.changed.iter().copied().collect();
        if let Some(w) = live_wf
            .iter_mut()
            .find(|w| w.status == busiest && !changed.contains(&w.id))
        {
            w.status = st;
            let id = w.id;
            if let Some(old) = export_workflows.iter_mut().find(|x| x.id == id) {
                old.status = st;
            }
        }
    }
    // Seed-dependent bin names, rejection wordings and extra statuses (own random stream).
    let mut statuses = statuses;
    super::status_variants::vary(
        seed,
        &mut statuses,
        &mut live_wf,
        &mut export_workflows,
        &ac.workflows.changed,
    );
    live_people.sort_by_key(|p| p.id);
    live_jobs.sort_by_key(|j| j.id);
    live_wf.sort_by_key(|w| w.id);

    // ---- ground truth ----------------------------------------------------------------
    let collisions = collisions_of(&live_people);
    let user_matches = |email: &str| -> Vec<u64> {
        live_people
            .iter()
            .filter(|p| p.kind != PersonKind::Candidate && p.email.eq_ignore_ascii_case(email))
            .map(|p| p.id)
            .collect()
    };
    let recruiter_emails = vec![
        RecruiterEmailCase {
            email: live_people[0].email.clone(),
            user_ids: user_matches(&live_people[0].email),
        },
        RecruiterEmailCase {
            email: live_people[1].email.clone(),
            user_ids: user_matches(&live_people[1].email),
        },
        RecruiterEmailCase {
            email: format!("nobody@{company}.example"),
            user_ids: Vec::new(),
        },
        RecruiterEmailCase {
            email: shared_user_email.clone(),
            user_ids: user_matches(&shared_user_email),
        },
    ];

    let mut tenant = Tenant {
        seed,
        customer_id,
        field_truth: field_truth(&linkedin_field),
        linkedin_field,
        statuses,
        person_folders: pfolders,
        job_folders: jfolders,
        position_categories: cats,
        people: live_people,
        jobs: live_jobs,
        workflows: live_wf,
        export_people,
        export_jobs,
        export_workflows,
        after_cutoff: ac,
        collisions,
        recruiter_emails,
        restricted_hidden: restricted_hidden(),
        unused: Vec::new(),
        export_files: Vec::new(),
        stream_log: Vec::new(),
        datastream_off: false,
        person_index: Default::default(),
        job_index: Default::default(),
        workflow_index: Default::default(),
    };
    tenant.rebuild_indexes();
    tenant
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Group live people by each dedupe key; keep only keys shared by two or more people.
pub fn collisions_of(people: &[Person]) -> Collisions {
    fn groups<F: Fn(&Person) -> String>(people: &[Person], key: F) -> Vec<CollisionGroup> {
        let mut m: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for p in people {
            let k = key(p);
            if !k.is_empty() {
                m.entry(k).or_default().push(p.id);
            }
        }
        m.into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(key, person_ids)| CollisionGroup { key, person_ids })
            .collect()
    }
    Collisions {
        email: groups(people, |p| p.email.to_lowercase()),
        linkedin: groups(people, |p| p.linkedin.to_lowercase()),
        name: groups(people, |p| {
            format!("{} {}", p.firstname, p.lastname).to_lowercase()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tenant_and_different_seed_differs() {
        let a = generate(7, 500);
        let b = generate(7, 500);
        assert_eq!(a.people, b.people);
        assert_eq!(a.jobs, b.jobs);
        assert_eq!(a.workflows, b.workflows);
        assert_eq!(a.after_cutoff, b.after_cutoff);
        assert_eq!(a.collisions, b.collisions);
        let c = generate(8, 500);
        assert_ne!(a.people, c.people);
    }

    #[test]
    fn every_status_is_used_for_any_seed() {
        for seed in 0..40 {
            let t = generate(seed, 60);
            for i in 0..t.statuses.len() {
                assert!(
                    t.workflows.iter().any(|w| w.status == i),
                    "seed {seed} status {i}"
                );
            }
        }
    }

    #[test]
    fn ten_thousand_people_generate() {
        let t = generate(1, 10_000);
        assert!(t.people.len() > 9_800 && t.workflows.len() > 12_000);
    }

    #[test]
    fn ids_ascend_and_every_status_is_used() {
        let t = generate(3, 300);
        assert!(t.people.windows(2).all(|w| w[0].id < w[1].id));
        assert!(t.workflows.windows(2).all(|w| w[0].id < w[1].id));
        for (i, _) in t.statuses.iter().enumerate() {
            assert!(
                t.workflows.iter().any(|w| w.status == i),
                "status {i} unused"
            );
        }
        assert!(t.statuses.iter().any(|s| s.is_rejection));
    }

    #[test]
    fn ground_truth_is_consistent() {
        let t = generate(11, 1000);
        assert!(!t.collisions.email.is_empty());
        assert!(!t.collisions.linkedin.is_empty());
        assert!(!t.collisions.name.is_empty());
        for g in &t.collisions.email {
            for id in &g.person_ids {
                let p = t.person(*id).unwrap();
                assert_eq!(p.email.to_lowercase(), g.key);
            }
        }
        let sizes: Vec<usize> = t
            .recruiter_emails
            .iter()
            .map(|c| c.user_ids.len())
            .collect();
        assert!(sizes.contains(&0) && sizes.contains(&1) && sizes.iter().any(|&s| s > 1));
        let ac = &t.after_cutoff;
        for id in &ac.people.deleted {
            assert!(t.person(*id).is_none());
            assert!(t.export_people.iter().any(|p| p.id == *id));
        }
        for id in &ac.people.created {
            assert!(t.person(*id).is_some());
            assert!(!t.export_people.iter().any(|p| p.id == *id));
        }
        for id in &ac.workflows.changed {
            let live = t.workflow(*id).unwrap();
            let old = t.export_workflows.iter().find(|w| w.id == *id).unwrap();
            assert_ne!(live.status, old.status);
            assert!(live.updateddate > CUTOFF);
        }
        assert!(!ac.jobs.deleted.is_empty() && !ac.workflows.changed.is_empty());
        // every workflow points at live records
        for w in &t.workflows {
            assert!(t.person(w.person).is_some() && t.job(w.job).is_some());
        }
        let coordinator = t
            .field_truth
            .iter()
            .find(|f| f.name == "Coordinator")
            .unwrap();
        assert_eq!(coordinator.standard_id, "job.recruiter");
        assert!(coordinator.renamed);
    }

    #[test]
    fn cutoff_constant_is_2026_11_14() {
        assert_eq!(format_datetime(CUTOFF), "2026-11-14 12:00 AM");
    }
}
