//! The Search API: the filter grammar (filters with name/value/secondaryValue/operator,
//! groups with `&`/`|` and `children`), the operators on ids, numbers, text, dates, list
//! nodes and relations, and the result rules: ids only, ascending, at most 1,000 per call,
//! paging by adding `<entity>.id > last`. Searches without a filter are rejected.

use super::auth::User;
use super::model::*;
use serde_json::{Value, json};

pub const MAX_RESULTS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Exact,
    NotExact,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Text,
    Date,
    Node,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    PId,
    PFirst,
    PMiddle,
    PLast,
    PEmail,
    PFolder,
    PExternal,
    PCreated,
    PUpdated,
    PCity,
    PState,
    PZip,
    PCountry,
    PLinkedin,
    JId,
    JNumber,
    JTitle,
    JFolder,
    JCategory,
    JPositions,
    JCreated,
    JUpdated,
    WId,
    WStatus,
    WBin,
    WPersonId,
    WPersonEmail,
    WPersonCreated,
    WJobId,
    WCreated,
    WUpdated,
    WSource,
}

impl Field {
    fn kind(self) -> Kind {
        use Field::*;
        match self {
            PId | JId | WId | WPersonId | WJobId | JPositions => Kind::Number,
            PCreated | PUpdated | JCreated | JUpdated | WCreated | WUpdated | WPersonCreated => {
                Kind::Date
            }
            PFolder | PState | PCountry | JFolder | JCategory | WStatus | WBin => Kind::Node,
            _ => Kind::Text,
        }
    }
    /// Standard id used for the restricted user's hidden fields.
    fn standard_id(self) -> Option<&'static str> {
        use Field::*;
        match self {
            PCity | PState | PZip | PCountry => Some("person.addresses"),
            PEmail => Some("person.email"),
            PLinkedin => Some("person.linkedin"),
            WSource => Some("workflow.source"),
            _ => None,
        }
    }
}

fn resolve(t: &Tenant, object: Object, name: &str) -> Option<Field> {
    use Field::*;
    let name = name.to_ascii_lowercase();
    let (entity, rest) = name.split_once('.')?;
    if entity != object.search_entity() {
        return None;
    }
    let linkedin = format!(
        "customfield{}.text",
        t.linkedin_field.trim_start_matches("field")
    );
    Some(match (object, rest) {
        (Object::Person, "id") => PId,
        (Object::Person, "firstname") => PFirst,
        (Object::Person, "middlename") => PMiddle,
        (Object::Person, "lastname") => PLast,
        (Object::Person, "email" | "emailaddress") => PEmail,
        (Object::Person, "folder") => PFolder,
        (Object::Person, "externalid") => PExternal,
        (Object::Person, "createddate") => PCreated,
        (Object::Person, "updateddate") => PUpdated,
        (Object::Person, "addresscity") => PCity,
        (Object::Person, "addressstate") => PState,
        (Object::Person, "addresszip") => PZip,
        (Object::Person, "addresscountry") => PCountry,
        (Object::Person, r) if r == linkedin => PLinkedin,
        (Object::Job, "id") => JId,
        (Object::Job, "jobnumber") => JNumber,
        (Object::Job, "jobtitle") => JTitle,
        (Object::Job, "folder") => JFolder,
        (Object::Job, "positioncategory") => JCategory,
        (Object::Job, "numberofpositions") => JPositions,
        (Object::Job, "createddate") => JCreated,
        (Object::Job, "updateddate") => JUpdated,
        (Object::Workflow, "id") => WId,
        (Object::Workflow, "status") => WStatus,
        (Object::Workflow, "bin") => WBin,
        (Object::Workflow, "person.id") => WPersonId,
        (Object::Workflow, "person.email") => WPersonEmail,
        (Object::Workflow, "person.createddate") => WPersonCreated,
        (Object::Workflow, "job.id") => WJobId,
        (Object::Workflow, "createddate") => WCreated,
        (Object::Workflow, "updateddate") => WUpdated,
        (Object::Workflow, "source") => WSource,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
struct Filter {
    field: Field,
    op: Op,
    values: Vec<String>,
    numbers: Vec<f64>,
    start: Option<i64>,
    end: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Group {
    filters: Vec<Filter>,
    or: bool,
    children: Vec<Group>,
}

fn op_of(s: &str) -> Option<Op> {
    Some(match s {
        "=" => Op::Eq,
        "==" => Op::Exact,
        "!==" => Op::NotExact,
        "!=" => Op::Ne,
        "<" => Op::Lt,
        ">" => Op::Gt,
        "<=" => Op::Le,
        ">=" => Op::Ge,
        _ => return None,
    })
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(format!(
                    "Filter attribute '{what}' must be an array of strings"
                )),
            })
            .collect(),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(_) => Err(format!(
            "Filter attribute '{what}' must be an array of strings"
        )),
    }
}

/// Parse `yyyy-MM-dd hh:mm a`, `yyyy-MM-dd` (midnight) or a `{DATE:±N}` macro (UTC).
pub fn parse_date(s: &str, today_midnight: i64) -> Option<i64> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("{DATE:").and_then(|r| r.strip_suffix('}')) {
        return match inner {
            "START" | "END" => Some(today_midnight),
            n => n.parse::<i64>().ok().map(|d| today_midnight + d * 86_400),
        };
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %I:%M %p") {
        return Some(dt.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// Parse and validate a search body for `object` as seen by `user`.
pub fn parse(
    t: &Tenant,
    object: Object,
    user: User,
    body: &Value,
    now_ts: i64,
) -> Result<Group, String> {
    let today = now_ts - now_ts.rem_euclid(86_400);
    let g = parse_group(t, object, user, body, today)?;
    if count(&g) == 0 {
        return Err("At least one filter must be specified".into());
    }
    Ok(g)
}

fn count(g: &Group) -> usize {
    g.filters.len() + g.children.iter().map(count).sum::<usize>()
}

fn parse_group(
    t: &Tenant,
    object: Object,
    user: User,
    v: &Value,
    today: i64,
) -> Result<Group, String> {
    let Value::Object(m) = v else {
        return Err("A search group must be a JSON object".into());
    };
    for k in m.keys() {
        if !["filters", "operator", "children"].contains(&k.as_str()) {
            return Err(format!("Unrecognized group attribute: {k}"));
        }
    }
    let or = match m.get("operator") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "&" => false,
        Some(Value::String(s)) if s == "|" => true,
        Some(other) => return Err(format!("Invalid group operator: {other}")),
    };
    let mut filters = Vec::new();
    match m.get("filters") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for f in items {
                filters.push(parse_filter(t, object, user, f, today)?);
            }
        }
        Some(_) => return Err("'filters' must be an array".into()),
    }
    let mut children = Vec::new();
    match m.get("children") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for c in items {
                children.push(parse_group(t, object, user, c, today)?);
            }
        }
        Some(_) => return Err("'children' must be an array".into()),
    }
    Ok(Group {
        filters,
        or,
        children,
    })
}

fn parse_filter(
    t: &Tenant,
    object: Object,
    user: User,
    v: &Value,
    today: i64,
) -> Result<Filter, String> {
    let Value::Object(m) = v else {
        return Err("A filter must be a JSON object".into());
    };
    for k in m.keys() {
        if !["name", "value", "secondaryValue", "operator"].contains(&k.as_str()) {
            return Err(format!("Unrecognized filter attribute: {k}"));
        }
    }
    let name = match m.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
        _ => return Err("Filter name is required".into()),
    };
    let field = resolve(t, object, name)
        .filter(|f| {
            user == User::Full
                || f.standard_id()
                    .is_none_or(|s| !t.is_hidden_for_restricted(s))
        })
        .ok_or_else(|| {
            format!("Invalid filter: {name} is unknown, hidden or not valid for this search")
        })?;
    let op = match m.get("operator") {
        None | Some(Value::Null) => Op::Eq,
        Some(Value::String(s)) => {
            op_of(s).ok_or_else(|| format!("Invalid operator '{s}' for filter {name}"))?
        }
        Some(other) => return Err(format!("Invalid operator {other} for filter {name}")),
    };
    let values = strings(m.get("value"), "value")?;
    let secondary = strings(m.get("secondaryValue"), "secondaryValue")?;
    let kind = field.kind();
    if matches!(op, Op::Lt | Op::Gt | Op::Le | Op::Ge) && matches!(kind, Kind::Text | Kind::Node) {
        return Err(format!("Operator is not valid for filter {name}"));
    }
    let mut f = Filter {
        field,
        op,
        values,
        numbers: Vec::new(),
        start: None,
        end: None,
    };
    match kind {
        Kind::Date => {
            if f.values.iter().all(|s| s.trim().is_empty())
                && secondary.iter().all(|s| s.trim().is_empty())
            {
                return Err(format!("Blank date filter {name} is not allowed"));
            }
            // Unparseable dates are ignored (the widest range).
            f.start = f.values.first().and_then(|s| parse_date(s, today));
            f.end = secondary.first().and_then(|s| parse_date(s, today));
        }
        Kind::Number => {
            if f.values.is_empty() {
                return Err(format!("Filter {name} needs a value"));
            }
            for s in &f.values {
                let n = s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("Filter {name}: '{s}' is not a number"))?;
                f.numbers.push(n);
            }
        }
        Kind::Text | Kind::Node => {
            if f.values.is_empty() {
                return Err(format!("Filter {name} needs a value"));
            }
            f.values = f.values.iter().map(|s| s.to_lowercase()).collect();
        }
    }
    Ok(f)
}

enum Val<'a> {
    Num(f64),
    Text(Vec<&'a str>),
    Date(i64),
    Nodes(Vec<(&'a str, &'a str)>),
}

fn value_of<'a>(t: &'a Tenant, object: Object, idx: usize, field: Field) -> Val<'a> {
    use Field::*;
    match object {
        Object::Person => {
            let p = &t.people[idx];
            match field {
                PId => Val::Num(p.id as f64),
                PFirst => Val::Text(vec![&p.firstname]),
                PMiddle => Val::Text(vec![&p.middlename]),
                PLast => Val::Text(vec![&p.lastname]),
                PEmail => Val::Text(vec![&p.email]),
                PExternal => Val::Text(vec![&p.externalid]),
                PLinkedin => Val::Text(vec![&p.linkedin]),
                PCity => Val::Text(p.addresses.iter().map(|a| a.city.as_str()).collect()),
                PZip => Val::Text(p.addresses.iter().map(|a| a.zip.as_str()).collect()),
                PState => Val::Nodes(
                    p.addresses
                        .iter()
                        .flat_map(|a| {
                            [
                                (a.state.id.as_str(), a.state.value.as_str()),
                                (a.state.id.as_str(), a.state.abbrev.as_str()),
                            ]
                        })
                        .collect(),
                ),
                PCountry => Val::Nodes(
                    p.addresses
                        .iter()
                        .flat_map(|a| {
                            [
                                (a.country.id.as_str(), a.country.value.as_str()),
                                (a.country.id.as_str(), a.country.abbrev.as_str()),
                            ]
                        })
                        .collect(),
                ),
                PFolder => Val::Nodes(vec![(&p.folder.id, &p.folder.value)]),
                PCreated => Val::Date(p.createddate),
                _ => Val::Date(p.updateddate),
            }
        }
        Object::Job => {
            let j = &t.jobs[idx];
            match field {
                JId => Val::Num(j.id as f64),
                JNumber => Val::Text(vec![&j.jobid]),
                JTitle => Val::Text(vec![&j.jobtitle]),
                JFolder => Val::Nodes(vec![(&j.folder.id, &j.folder.value)]),
                JCategory => Val::Nodes(vec![(&j.positioncategory.id, &j.positioncategory.value)]),
                JPositions => Val::Num(j.numberofpositions as f64),
                JCreated => Val::Date(j.createddate),
                _ => Val::Date(j.updateddate),
            }
        }
        Object::Workflow => {
            let w = &t.workflows[idx];
            let status = &t.statuses[w.status];
            match field {
                WId => Val::Num(w.id as f64),
                WStatus => Val::Nodes(vec![(&status.id, &status.name)]),
                WBin => Val::Nodes(vec![(&status.bin_id, &status.bin)]),
                WPersonId => Val::Num(w.person as f64),
                WJobId => Val::Num(w.job as f64),
                WPersonEmail => Val::Text(
                    t.person(w.person)
                        .map(|p| vec![p.email.as_str()])
                        .unwrap_or_default(),
                ),
                WPersonCreated => t
                    .person(w.person)
                    .map(|p| Val::Date(p.createddate))
                    .unwrap_or(Val::Text(vec![])),
                WSource => Val::Text(vec![&w.source]),
                WCreated => Val::Date(w.createddate),
                _ => Val::Date(w.updateddate),
            }
        }
    }
}

fn matches_filter(t: &Tenant, object: Object, idx: usize, f: &Filter) -> bool {
    match value_of(t, object, idx, f.field) {
        Val::Num(x) => match f.op {
            Op::Eq | Op::Exact => f.numbers.contains(&x),
            Op::Ne | Op::NotExact => !f.numbers.contains(&x),
            Op::Lt => x < f.numbers[0],
            Op::Gt => x > f.numbers[0],
            Op::Le => x <= f.numbers[0],
            Op::Ge => x >= f.numbers[0],
        },
        Val::Text(texts) => {
            let lower: Vec<String> = texts
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.to_lowercase())
                .collect();
            let contains = || {
                f.values
                    .iter()
                    .any(|v| lower.iter().any(|s| s.contains(v.as_str())))
            };
            let exact = || f.values.iter().any(|v| lower.iter().any(|s| s == v));
            match f.op {
                Op::Eq => contains(),
                Op::Exact => exact(),
                Op::Ne => !contains(),
                Op::NotExact => !exact(),
                _ => false,
            }
        }
        Val::Nodes(nodes) => {
            let hit = f.values.iter().any(|v| {
                nodes
                    .iter()
                    .any(|(id, value)| id.eq_ignore_ascii_case(v) || value.to_lowercase() == *v)
            });
            match f.op {
                Op::Ne | Op::NotExact => !hit,
                _ => hit,
            }
        }
        Val::Date(d) => {
            let after_start = f.start.is_none_or(|s| d >= s);
            let before_end = f.end.is_none_or(|e| d <= e);
            match (f.op, f.start) {
                (Op::Gt, Some(s)) => d > s,
                (Op::Ge, Some(s)) => d >= s,
                (Op::Lt, Some(s)) => d < s,
                (Op::Le, Some(s)) => d <= s,
                (Op::Ne | Op::NotExact, _) => !(after_start && before_end),
                _ => after_start && before_end,
            }
        }
    }
}

fn matches(t: &Tenant, object: Object, idx: usize, g: &Group) -> bool {
    let mut fs = g.filters.iter().map(|f| matches_filter(t, object, idx, f));
    let mut cs = g.children.iter().map(|c| matches(t, object, idx, c));
    if g.or {
        fs.any(|b| b) || cs.any(|b| b)
    } else {
        fs.all(|b| b) && cs.all(|b| b)
    }
}

/// Where a scan may start: past the ids an AND group's `id >` (or `>=`) filter excludes.
/// Records are held in ascending id order (generated so, created with the next id), so
/// id paging stays linear over a big tenant.
fn first_candidate(len: usize, id_at: &dyn Fn(usize) -> u64, g: &Group) -> usize {
    if g.or {
        return 0;
    }
    // The first index whose id is not `below`.
    let partition = |below: &dyn Fn(u64) -> bool| {
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(id_at(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    g.filters
        .iter()
        .filter(|f| matches!(f.field, Field::PId | Field::JId | Field::WId))
        .filter_map(|f| {
            let n = *f.numbers.first()?;
            match f.op {
                Op::Gt => Some(partition(&|id| id as f64 <= n)),
                Op::Ge => Some(partition(&|id| (id as f64) < n)),
                _ => None,
            }
        })
        .max()
        .unwrap_or(0)
}

/// Ids matching `g`, ascending, at most [`MAX_RESULTS`].
pub fn run(t: &Tenant, object: Object, g: &Group) -> Vec<u64> {
    let (len, id_at): (usize, Box<dyn Fn(usize) -> u64 + '_>) = match object {
        Object::Person => (t.people.len(), Box::new(|i| t.people[i].id)),
        Object::Job => (t.jobs.len(), Box::new(|i| t.jobs[i].id)),
        Object::Workflow => (t.workflows.len(), Box::new(|i| t.workflows[i].id)),
    };
    let start = first_candidate(len, &*id_at, g);
    (start..len)
        .map(|i| (i, id_at(i)))
        .filter(|(i, _)| matches(t, object, *i, g))
        .map(|(_, id)| id)
        .take(MAX_RESULTS)
        .collect()
}

/// The response body `{"searchResults":[{"self":…,"id":…}]}`.
pub fn results_json(ids: &[u64], customer_base: &str, object: Object) -> Value {
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"self": format!("{customer_base}/{}/{id}", object.segment()), "id": id}))
        .collect();
    json!({ "searchResults": items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::generator::generate;

    fn search(t: &Tenant, o: Object, body: Value) -> Result<Vec<u64>, String> {
        parse(t, o, User::Full, &body, 1_800_000_000).map(|g| run(t, o, &g))
    }

    #[test]
    fn id_paging_is_ascending_and_capped() {
        let t = generate(5, 2500);
        let mut last = 0u64;
        let mut all = Vec::new();
        loop {
            let page = search(
                &t,
                Object::Person,
                json!({"filters":[{"name":"person.id","value":[last.to_string()],"operator":">"}]}),
            )
            .unwrap();
            assert!(page.len() <= MAX_RESULTS);
            assert!(page.windows(2).all(|w| w[0] < w[1]));
            all.extend_from_slice(&page);
            if page.len() < MAX_RESULTS {
                break;
            }
            last = *page.last().unwrap();
        }
        let expected: Vec<u64> = t.people.iter().map(|p| p.id).collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn operators_groups_and_children() {
        let t = generate(5, 600);
        let p = &t.people[100];
        let by_email = search(&t, Object::Person, json!({"filters":[{"name":"person.email","value":[p.email.to_uppercase()],"operator":"=="}]})).unwrap();
        let expected: Vec<u64> = t
            .people
            .iter()
            .filter(|q| q.email.eq_ignore_ascii_case(&p.email))
            .map(|q| q.id)
            .collect();
        assert_eq!(by_email, expected);
        // contains on text with "="
        let part = &p.lastname[..3];
        let hits = search(
            &t,
            Object::Person,
            json!({"filters":[{"name":"person.lastname","value":[part]}]}),
        )
        .unwrap();
        let exp: Vec<u64> = t
            .people
            .iter()
            .filter(|q| q.lastname.to_lowercase().contains(&part.to_lowercase()))
            .map(|q| q.id)
            .take(1000)
            .collect();
        assert_eq!(hits, exp);
        // OR of two folders in a child group AND a date range
        let body = json!({
            "filters":[{"name":"person.updateddate","value":["2025-01-01"],"secondaryValue":["2026-01-01 11:59 PM"]}],
            "operator":"&",
            "children":[{"filters":[{"name":"person.folder","value":["C30101"]},{"name":"person.folder","value":["Cand:Archived"]}],"operator":"|"}]
        });
        let hits = search(&t, Object::Person, body).unwrap();
        let lo = parse_date("2025-01-01", 0).unwrap();
        let hi = parse_date("2026-01-01 11:59 PM", 0).unwrap();
        let exp: Vec<u64> = t
            .people
            .iter()
            .filter(|q| {
                q.updateddate >= lo
                    && q.updateddate <= hi
                    && (q.folder.id == "C30101" || q.folder.value == "Cand:Archived")
            })
            .map(|q| q.id)
            .collect();
        assert!(!exp.is_empty());
        assert_eq!(hits, exp);
        // relation filters on workflows
        let w = &t.workflows[10];
        let hits = search(&t, Object::Workflow, json!({"filters":[{"name":"applicantworkflow.person.id","value":[w.person.to_string()]},{"name":"applicantworkflow.status","value":[t.statuses[w.status].id]}]})).unwrap();
        let exp: Vec<u64> = t
            .workflows
            .iter()
            .filter(|x| x.person == w.person && x.status == w.status)
            .map(|x| x.id)
            .collect();
        assert_eq!(hits, exp);
        // != on nodes
        let hits = search(
            &t,
            Object::Job,
            json!({"filters":[{"name":"job.folder","value":["D31001"],"operator":"!="}]}),
        )
        .unwrap();
        let exp: Vec<u64> = t
            .jobs
            .iter()
            .filter(|j| j.folder.id != "D31001")
            .map(|j| j.id)
            .collect();
        assert_eq!(hits, exp);
    }

    #[test]
    fn rejections() {
        let t = generate(5, 100);
        let e = |b: Value| search(&t, Object::Person, b).unwrap_err();
        assert!(e(json!({"filters":[]})).contains("At least one filter"));
        assert!(e(json!({})).contains("At least one filter"));
        assert!(e(json!({"filters":[{"name1":"person.id","value":["1"]}]})).contains("name1"));
        assert!(
            e(json!({"filters":[{"name":"job.jobtitle","value":["x"]}]})).contains("job.jobtitle")
        );
        assert!(
            e(json!({"filters":[{"name":"person.id","value":["1"]}],"operator":"^"}))
                .contains("group operator")
        );
        assert!(
            e(json!({"filters":[{"name":"person.firstname","value":["a"],"operator":">"}]}))
                .contains("not valid")
        );
        assert!(e(json!({"filters":[{"name":"person.updateddate"}]})).contains("Blank date"));
        let g = parse(
            &t,
            Object::Person,
            User::Restricted,
            &json!({"filters":[{"name":"person.addresscity","value":["Boston"]}]}),
            0,
        );
        assert!(g.is_err());
    }
}
