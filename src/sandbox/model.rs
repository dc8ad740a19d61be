//! The tenant's data model: people, jobs, recruiting workflows, list nodes, the status
//! catalogue, and the ground truth the generator records for tests (collisions, renamed
//! labels, hidden fields, changes after the export cut-off, field-mapping truth).

use serde::Serialize;
use std::collections::HashMap;

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// A list-node value (`{"id":"D…"/"C…","value":…,"formattedvalue":…}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListNode {
    pub id: String,
    pub value: String,
}

/// A state/country node carries an `abbrev` as in real captures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbbrevNode {
    pub id: String,
    pub abbrev: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phone {
    pub entry: u64,
    pub phonetype: ListNode,
    pub phonenumber: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub entry: u64,
    pub street1: String,
    pub city: String,
    pub state: AbbrevNode,
    pub country: AbbrevNode,
    pub zip: String,
    pub addresstype: ListNode,
}

/// What a person is in the tenant (derived from the folder prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonKind {
    Candidate,
    HiringManager,
    Employee,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: u64,
    pub firstname: String,
    pub middlename: String,
    pub lastname: String,
    pub email: String,
    pub folder: ListNode,
    pub kind: PersonKind,
    pub externalid: String,
    pub phones: Vec<Phone>,
    pub addresses: Vec<Address>,
    /// The tenant's LinkedIn URL custom field (`field####`); empty when not set.
    pub linkedin: String,
    pub createddate: Timestamp,
    pub updateddate: Timestamp,
}

impl Person {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.firstname, self.lastname)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobLocation {
    pub id: u64,
    pub companyid: u64,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: u64,
    /// Human requisition number, e.g. `2026-1042`.
    pub jobid: String,
    pub jobtitle: String,
    pub folder: ListNode,
    pub positioncategory: ListNode,
    pub numberofpositions: u32,
    pub joblocation: JobLocation,
    pub hiringmanager: Option<u64>,
    pub recruiter: Option<u64>,
    /// Multi-line free text (exercises embedded newlines in the export).
    pub overview: String,
    pub createddate: Timestamp,
    pub updateddate: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    pub id: u64,
    /// The person (`associatedprofile`).
    pub person: u64,
    /// The job (`baseprofile`).
    pub job: u64,
    /// Index into [`Tenant::statuses`].
    pub status: usize,
    pub source: String,
    pub sourcename: String,
    pub createddate: Timestamp,
    pub updateddate: Timestamp,
}

/// One recruiting-workflow status of the tenant's catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub id: String,
    pub name: String,
    pub bin: String,
    pub bin_id: String,
    pub is_rejection: bool,
}

/// The three profile kinds the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Object {
    Person,
    Job,
    Workflow,
}

impl Object {
    pub const ALL: [Object; 3] = [Object::Person, Object::Job, Object::Workflow];
    /// Prefix of standard field ids (`person.firstname`).
    pub fn prefix(self) -> &'static str {
        match self {
            Object::Person => "person",
            Object::Job => "job",
            Object::Workflow => "workflow",
        }
    }
    /// URL segment of the Profiles API.
    pub fn segment(self) -> &'static str {
        match self {
            Object::Person => "people",
            Object::Job => "jobs",
            Object::Workflow => "applicantworkflows",
        }
    }
    /// Entity prefix in search filters.
    pub fn search_entity(self) -> &'static str {
        match self {
            Object::Person => "person",
            Object::Job => "job",
            Object::Workflow => "applicantworkflow",
        }
    }
    /// Profile type of the Schema API.
    pub fn schema_type(self) -> &'static str {
        match self {
            Object::Person => "person",
            Object::Job => "job",
            Object::Workflow => "submittal",
        }
    }
    pub fn from_segment(s: &str) -> Option<Object> {
        Object::ALL.into_iter().find(|o| o.segment() == s)
    }
    pub fn from_schema_type(s: &str) -> Option<Object> {
        Object::ALL.into_iter().find(|o| o.schema_type() == s)
    }
}

/// A group of live people sharing one dedupe key (exactly the people that share it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollisionGroup {
    pub key: String,
    pub person_ids: Vec<u64>,
}

/// Expected dedupe collisions among live (API-visible) people. Keys are compared
/// case-insensitively; `name` keys are `"first last"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Collisions {
    pub email: Vec<CollisionGroup>,
    pub linkedin: Vec<CollisionGroup>,
    pub name: Vec<CollisionGroup>,
}

/// A recruiter email of the team and the iCIMS users (HM:/Emp: folders) it matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecruiterEmailCase {
    pub email: String,
    pub user_ids: Vec<u64>,
}

/// Records touched after the export cut-off for one object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangeSet {
    /// In the export with older values; the API shows the newer ones.
    pub changed: Vec<u64>,
    /// Not in the export; in the API.
    pub created: Vec<u64>,
    /// In the export; gone from the API (404, not found by search).
    pub deleted: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AfterCutoff {
    pub cutoff: String,
    pub cutoff_ts: Timestamp,
    pub people: ChangeSet,
    pub jobs: ChangeSet,
    pub workflows: ChangeSet,
}

impl AfterCutoff {
    pub fn of(&self, object: Object) -> &ChangeSet {
        match object {
            Object::Person => &self.people,
            Object::Job => &self.jobs,
            Object::Workflow => &self.workflows,
        }
    }
}

/// Where a customer-visible field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSource {
    /// A column header of the historical export.
    ExportHeader,
    /// A custom field (`field####`) of the Profiles/Schema API.
    CustomField,
}

/// Mapping ground truth: which standard field a customer field is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldTruth {
    pub object: Object,
    pub source: FieldSource,
    /// The export header (tenant label) or the custom field id.
    pub name: String,
    /// `<object>.<iCIMS field id>`, e.g. `job.recruiter`; `<object>.id` for system ids.
    pub standard_id: String,
    /// The label iCIMS ships for this field.
    pub default_label: String,
    /// True when the tenant renamed the label (e.g. recruiter → "Coordinator").
    pub renamed: bool,
}

/// A row of an export file that an importer must quarantine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadRow {
    /// 1-based data record number (header excluded).
    pub record: usize,
    /// 1-based physical line where the record starts (header is line 1).
    pub line: usize,
    /// System id of the record the row was meant to carry.
    pub id: u64,
    pub reason: String,
}

/// One historical export file as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportFile {
    pub object: Object,
    pub file: String,
    pub headers: Vec<String>,
    /// Good data rows.
    pub rows: usize,
    pub bad_rows: Vec<BadRow>,
    pub sha256: String,
    pub bytes: u64,
}

/// The generated tenant: data plus ground truth.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub seed: u64,
    pub customer_id: u64,
    /// Custom field id of the LinkedIn URL, e.g. `field41522`.
    pub linkedin_field: String,
    pub statuses: Vec<Status>,
    pub person_folders: Vec<ListNode>,
    pub job_folders: Vec<ListNode>,
    pub position_categories: Vec<ListNode>,
    /// Live people, ascending id (deleted ones are in `export_people` only).
    pub people: Vec<Person>,
    pub jobs: Vec<Job>,
    pub workflows: Vec<Workflow>,
    /// State as of the export cut-off (older values; includes later-deleted records).
    pub export_people: Vec<Person>,
    pub export_jobs: Vec<Job>,
    pub export_workflows: Vec<Workflow>,
    pub after_cutoff: AfterCutoff,
    pub collisions: Collisions,
    pub recruiter_emails: Vec<RecruiterEmailCase>,
    /// Standard ids hidden from the restricted API user, e.g. `person.addresses`.
    pub restricted_hidden: Vec<String>,
    /// Standard ids the tenant does not use at all (no record and no export row has a
    /// value), e.g. `job.recruiter`; the Schema API still lists them (they are defined).
    pub unused: Vec<String>,
    pub field_truth: Vec<FieldTruth>,
    /// Filled by the export writer.
    pub export_files: Vec<ExportFile>,
    /// Data Stream events of edits made while the tenant runs ([`super::mutate`]),
    /// served after the generated after-cut-off events, oldest first.
    pub stream_log: Vec<super::datastream::Event>,
    /// The customer has no Data Stream subscription (the subscriptions list is empty).
    pub datastream_off: bool,
    pub(crate) person_index: HashMap<u64, usize>,
    pub(crate) job_index: HashMap<u64, usize>,
    pub(crate) workflow_index: HashMap<u64, usize>,
}

impl Tenant {
    pub fn person(&self, id: u64) -> Option<&Person> {
        self.person_index.get(&id).map(|&i| &self.people[i])
    }
    pub fn job(&self, id: u64) -> Option<&Job> {
        self.job_index.get(&id).map(|&i| &self.jobs[i])
    }
    pub fn workflow(&self, id: u64) -> Option<&Workflow> {
        self.workflow_index.get(&id).map(|&i| &self.workflows[i])
    }
    pub fn status_by_id(&self, id: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }
    /// Export file record for an object (after the export was written).
    pub fn export_file(&self, object: Object) -> Option<&ExportFile> {
        self.export_files.iter().find(|f| f.object == object)
    }
    /// Does the tenant leave this field (standard id) unused? The address parts
    /// (`person.addresscity`, …) follow `person.addresses`.
    pub fn is_unused(&self, standard_id: &str) -> bool {
        self.unused.iter().any(|u| {
            u == standard_id
                || (u == "person.addresses" && standard_id.starts_with("person.address"))
        })
    }
    /// Is this field (standard id such as `person.addresses`) hidden for the restricted user?
    pub fn is_hidden_for_restricted(&self, standard_id: &str) -> bool {
        self.restricted_hidden.iter().any(|h| h == standard_id)
    }
    pub fn live_count(&self, object: Object) -> usize {
        match object {
            Object::Person => self.people.len(),
            Object::Job => self.jobs.len(),
            Object::Workflow => self.workflows.len(),
        }
    }
    pub(crate) fn rebuild_indexes(&mut self) {
        self.person_index = self
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        self.job_index = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id, i))
            .collect();
        self.workflow_index = self
            .workflows
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
    }
}

/// Format a timestamp the way iCIMS formats DATETIME fields: `yyyy-MM-dd hh:mm a`, UTC.
pub fn format_datetime(ts: Timestamp) -> String {
    match chrono::DateTime::from_timestamp(ts, 0) {
        Some(d) => d.format("%Y-%m-%d %I:%M %p").to_string(),
        None => String::new(),
    }
}
