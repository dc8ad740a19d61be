//! The plan: what changed since the export's cut-off (an `updateddate` search from the
//! cut-off minus the safety overlap), and an id reconciliation (every id, paged by
//! `id >`) that finds records deleted since the export and records the export lacks (new
//! or quarantined at import). The work list goes to `sync_work`; the plan (calls per
//! object, quota share, a day-by-day ETA across 00:00 UTC resets) to `sync_state.plan`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::icims::{Filter, IcimsClient, SearchQuery};

use super::budget::{Budget, Decision};
use super::settings::{Scope, SyncSettings};
use super::{OBJECTS, SyncError, profile_type, progress};

/// Per object figures of the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPlan {
    pub seeded: u64,
    /// Changed or created since the cut-off (found by the updated-date search).
    pub changed: u64,
    /// Present in iCIMS, absent from the seed and not changed (export rows quarantined or
    /// otherwise missing), found by the id reconciliation.
    pub missing: u64,
    /// In the seed, gone from iCIMS (marked deleted; no call needed).
    pub deleted: u64,
    /// Profile GETs needed (changed + missing).
    pub gets: u64,
    /// Search pages made for this object while planning.
    pub search_calls: u64,
}

/// One day of the ETA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPlan {
    /// 1 = today (until the next 00:00 UTC reset).
    pub day: u32,
    /// UTC date the day's calls fall on (as this machine's clock counts).
    pub date: String,
    pub calls: u64,
}

/// The stored plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub made_at: String,
    /// The export's cut-off as recorded by the import.
    pub cutoff: String,
    /// Where the updated-date search started (`yyyy-MM-dd hh:mm a`, UTC).
    pub search_from: String,
    pub overlap_minutes: i64,
    pub scope: String,
    pub objects: BTreeMap<String, ObjectPlan>,
    /// Calls made while planning (status catalogue + search pages).
    pub plan_calls: u64,
    /// GETs still to make.
    pub gets: u64,
    /// Everything the initial pass costs: planning calls + GETs (retries excluded).
    pub calls_total: u64,
    pub quota_share: f64,
    pub quota_limit: Option<u64>,
    pub quota_remaining: Option<u64>,
    pub quota_reset: Option<String>,
    /// Calls the sync may make per full day (`limit × share`).
    pub calls_per_day: Option<u64>,
    /// Calls per second assumed for the ETA (concurrency ÷ measured call time).
    pub rate_assumed: f64,
    pub days: Vec<DayPlan>,
    /// Expected end of the initial pass (RFC 3339 UTC).
    pub eta: String,
    /// The day (1 = today) the initial pass ends on.
    pub eta_day: u32,
    /// Mapped standard fields not synced because the export does not carry them.
    pub not_synced: Vec<String>,
}

/// The date format of search filters.
pub fn search_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %I:%M %p").to_string()
}

/// The common zone-less shapes read without chrono's format parser (it dominated the
/// end of a big initial pass): `YYYY-MM-DD`, then `[T ]hh:mm`, `:ss`, ` AM`/` PM`.
fn parse_when_fast(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    if b.len() == 10 {
        return date.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
    }
    if !matches!(b.get(10), Some(b'T' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (mut hour, minute) = (num(11, 2)?, num(14, 2)?);
    let mut rest = &s[16..];
    let mut second = 0;
    if let Some(r) = rest.strip_prefix(':') {
        second = num(17, 2)?;
        rest = &r[2..];
    }
    match rest {
        "" if b[10] == b'T' || b.len() == 19 => {}
        " AM" | " am" if (1..=12).contains(&hour) => hour %= 12,
        " PM" | " pm" if (1..=12).contains(&hour) => hour = hour % 12 + 12,
        _ => return None,
    }
    date.and_hms_opt(hour, minute, second).map(|d| d.and_utc())
}

/// Reads a cut-off or updated date in the formats the export and API use.
pub fn parse_when(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    parse_when_fast(s).or_else(|| parse_when_chrono(s))
}

/// [`parse_when`] through chrono alone: RFC 3339, then the zone-less formats.
fn parse_when_chrono(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %I:%M %p",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// The scope filter group of an object (`None` = all).
pub fn scope_group(scope: &Scope, object: &str) -> Option<SearchQuery> {
    let folders = scope.folders(object)?;
    let entity = profile_type(object).search_entity();
    Some(SearchQuery::any(
        folders
            .iter()
            .map(|f| Filter::eq(&format!("{entity}.folder"), f))
            .collect(),
    ))
}

/// The updated-date search of an object from `from`, scope applied.
pub fn updated_query(scope: &Scope, object: &str, from: &str) -> SearchQuery {
    let entity = profile_type(object).search_entity();
    let q = SearchQuery::all(vec![Filter::between(
        &format!("{entity}.updateddate"),
        Some(from),
        None,
    )]);
    match scope_group(scope, object) {
        Some(g) => q.with_child(g),
        None => q,
    }
}

/// The id reconciliation query of an object (every id in scope).
pub fn all_query(scope: &Scope, object: &str) -> SearchQuery {
    scope_group(scope, object).unwrap_or_default()
}

/// Calls and time spent by searches, for the ETA's rate.
#[derive(Debug, Default, Clone, Copy)]
pub struct SearchCost {
    pub calls: u64,
    pub elapsed: Duration,
}

/// Waits (recorded in the store) while the budget says so. `check` is asked every second
/// whether to stop.
pub async fn take_call(
    conn: &Connection,
    team_id: i64,
    budget: &Budget,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    loop {
        match budget.acquire() {
            Decision::Go => return Ok(()),
            Decision::Wait { until, secs } => {
                wait_for_quota(conn, team_id, until, secs, check).await?
            }
        }
    }
}

/// Records a quota wait, sleeps until it ends (checking for pause/cancel/shutdown every
/// second) and records the end.
pub async fn wait_for_quota(
    conn: &Connection,
    team_id: i64,
    until: chrono::DateTime<chrono::Utc>,
    secs: u64,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let until_text = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // `x-ratelimit-reset` counts to the tenant's 00:00 UTC (its clock may differ from ours).
    let msg = format!("waiting for quota until 00:00 UTC, {}", human_secs(secs));
    {
        let tx = super::progress::begin(conn)?;
        progress::begin_wait(&tx, team_id, &until_text, &msg)?;
        progress::event(&tx, team_id, "waiting", &msg)?;
        tx.commit()?;
    }
    let end = Instant::now() + Duration::from_secs(secs);
    let mut beat = Instant::now();
    while Instant::now() < end {
        check()?;
        if beat.elapsed() >= Duration::from_secs(5) {
            progress::heartbeat(conn, team_id, std::process::id())?;
            beat = Instant::now();
        }
        tokio::time::sleep((end - Instant::now()).min(Duration::from_millis(500))).await;
    }
    let tx = super::progress::begin(conn)?;
    progress::end_wait(&tx, team_id)?;
    progress::event(&tx, team_id, "resumed", "quota reset; resuming")?;
    tx.commit()?;
    Ok(())
}

/// `3h12m`, `4m05s`, `12s`.
pub fn human_secs(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Pages through `query` and hands each page of ids (ascending) to `page`.
#[allow(clippy::too_many_arguments)]
pub async fn search_ids(
    conn: &Connection,
    team_id: i64,
    client: &IcimsClient,
    budget: &Budget,
    object: &str,
    query: SearchQuery,
    cost: &mut SearchCost,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
    page: &mut dyn FnMut(&[u64]) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let mut pager = client.search_pager(profile_type(object), query);
    loop {
        check()?;
        take_call(conn, team_id, budget, check).await?;
        let t = Instant::now();
        let before = client.stats();
        let res = pager.next_page().await;
        let after = client.stats();
        // Calls made, retries excluded (the last page of a search needs no call).
        cost.calls += (after.api_calls - after.retries) - (before.api_calls - before.retries);
        cost.elapsed += t.elapsed();
        budget.release(client.quota());
        match res {
            Ok(Some(hits)) => {
                let ids: Vec<u64> = hits.iter().map(|h| h.id.0).collect();
                page(&ids)?;
            }
            Ok(None) => return Ok(()),
            Err(crate::icims::IcimsError::QuotaExhausted { reset_secs, .. }) => {
                budget.exhausted(reset_secs);
                // The page was not served: ask again after the wait (the pager did not move).
                cost.calls = cost.calls.saturating_sub(1);
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Stored live ids of an object, ascending (numeric ids; others are left out).
pub fn stored_ids(conn: &Connection, team_id: i64, object: &str) -> Result<Vec<u64>, SyncError> {
    let mut stmt = conn.prepare(
        "SELECT icims_id FROM sync_records WHERE team_id = ?1 AND object = ?2 AND deleted = 0",
    )?;
    let mut ids: Vec<u64> = stmt
        .query_map(params![team_id, object], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok().and_then(|s| s.parse::<u64>().ok()))
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Adds work rows (ignored when the id is already listed).
pub fn add_work(
    conn: &Connection,
    team_id: i64,
    object: &str,
    ids: &[u64],
    reason: &str,
) -> Result<u64, SyncError> {
    let mut n = 0;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO sync_work (team_id, object, icims_id, reason) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (team_id, object, icims_id) DO UPDATE SET reason = excluded.reason, state = 'todo', attempts = 0
         WHERE sync_work.state != 'todo'",
    )?;
    for id in ids {
        n += stmt.execute(params![team_id, object, id.to_string(), reason])? as u64;
    }
    Ok(n)
}

/// Reconciles one object's ids: every page of iCIMS ids is merged with the stored ids;
/// ids iCIMS has that are not stored become `missing` work, stored ids iCIMS lacks become
/// `deleted` work. Returns (missing, deleted).
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    conn: &Connection,
    team_id: i64,
    client: &IcimsClient,
    budget: &Budget,
    scope: &Scope,
    object: &str,
    cost: &mut SearchCost,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
) -> Result<(u64, u64), SyncError> {
    let stored = stored_ids(conn, team_id, object)?;
    let mut pos = 0usize; // next stored id not yet compared
    let (mut missing, mut deleted) = (0u64, 0u64);
    let mut page = |ids: &[u64]| -> Result<(), SyncError> {
        let tx = super::progress::begin(conn)?;
        let mut new_ids = Vec::new();
        let mut gone = Vec::new();
        for &id in ids {
            while pos < stored.len() && stored[pos] < id {
                gone.push(stored[pos]);
                pos += 1;
            }
            if pos < stored.len() && stored[pos] == id {
                pos += 1;
            } else {
                new_ids.push(id);
            }
        }
        missing += add_work(&tx, team_id, object, &new_ids, "missing")?;
        deleted += add_work(&tx, team_id, object, &gone, "deleted")?;
        tx.commit()?;
        Ok(())
    };
    search_ids(
        conn,
        team_id,
        client,
        budget,
        object,
        all_query(scope, object),
        cost,
        check,
        &mut page,
    )
    .await?;
    let rest: Vec<u64> = stored[pos..].to_vec();
    let tx = super::progress::begin(conn)?;
    deleted += add_work(&tx, team_id, object, &rest, "deleted")?;
    tx.commit()?;
    Ok((missing, deleted))
}

/// Counts `todo` work per object and reason: object → (changed, missing, deleted).
pub fn work_counts(
    conn: &Connection,
    team_id: i64,
) -> Result<BTreeMap<String, (u64, u64, u64)>, SyncError> {
    let mut out: BTreeMap<String, (u64, u64, u64)> =
        OBJECTS.iter().map(|o| (o.to_string(), (0, 0, 0))).collect();
    let mut stmt = conn.prepare(
        "SELECT object, reason, COUNT(*) FROM sync_work WHERE team_id = ?1 AND state = 'todo' GROUP BY object, reason",
    )?;
    let rows = stmt.query_map([team_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (o, reason, n) = row?;
        let e = out.entry(o).or_default();
        let n = n.max(0) as u64;
        match reason.as_str() {
            "changed" => e.0 += n,
            "missing" => e.1 += n,
            _ => e.2 += n,
        }
    }
    Ok(out)
}

/// The day-by-day split of `calls` under the quota, and the ETA.
pub fn schedule(
    calls: u64,
    share: f64,
    limit: Option<u64>,
    remaining: Option<u64>,
    reset_in: Option<u64>,
    rate: f64,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<DayPlan>, chrono::DateTime<chrono::Utc>, u32) {
    let rate = if rate > 0.0 { rate } else { 10.0 };
    let date = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let (Some(limit), Some(remaining)) = (limit, remaining) else {
        let eta = now + chrono::Duration::milliseconds((calls as f64 / rate * 1000.0) as i64);
        return (
            vec![DayPlan {
                day: 1,
                date: date(now),
                calls,
            }],
            eta,
            1,
        );
    };
    let per_day = ((limit as f64) * share).floor() as u64;
    let reserve = limit - per_day;
    let today = remaining.saturating_sub(reserve).min(calls);
    let reset = now + chrono::Duration::seconds(reset_in.unwrap_or(86_400) as i64);
    let mut days = vec![DayPlan {
        day: 1,
        date: date(now),
        calls: today,
    }];
    let mut left = calls - today;
    if left == 0 {
        let eta = now + chrono::Duration::milliseconds((calls as f64 / rate * 1000.0) as i64);
        return (days, eta, 1);
    }
    if per_day == 0 {
        // Nothing may ever be spent: no end.
        return (days, reset + chrono::Duration::days(36_500), u32::MAX);
    }
    let mut day = 1;
    let mut start = reset;
    loop {
        day += 1;
        let n = left.min(per_day);
        days.push(DayPlan {
            day,
            date: date(start),
            calls: n,
        });
        left -= n;
        if left == 0 {
            let eta = start + chrono::Duration::milliseconds((n as f64 / rate * 1000.0) as i64);
            return (days, eta, day);
        }
        start += chrono::Duration::days(1);
        if day > 3650 {
            return (days, start, day);
        }
    }
}

/// Makes the plan: searches, work list, figures. Resets the work list first.
#[allow(clippy::too_many_arguments)]
pub async fn make(
    conn: &Connection,
    team_id: i64,
    client: &IcimsClient,
    budget: &Budget,
    settings: &SyncSettings,
    cutoff: &str,
    catalogue_calls: u64,
    not_synced: Vec<String>,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
) -> Result<Plan, SyncError> {
    let cut = parse_when(cutoff).ok_or_else(|| {
        SyncError::Runtime(format!(
            "the export's cut-off {cutoff:?} is not a date this sync can read"
        ))
    })?;
    let from = search_date(cut - chrono::Duration::minutes(settings.overlap_minutes));
    conn.execute("DELETE FROM sync_work WHERE team_id = ?1", [team_id])?;
    let mut objects: BTreeMap<String, ObjectPlan> = BTreeMap::new();
    let mut cost = SearchCost::default();
    for object in OBJECTS {
        let before = cost.calls;
        let mut changed = 0u64;
        let mut page = |ids: &[u64]| -> Result<(), SyncError> {
            let tx = super::progress::begin(conn)?;
            changed += add_work(&tx, team_id, object, ids, "changed")?;
            tx.commit()?;
            Ok(())
        };
        search_ids(
            conn,
            team_id,
            client,
            budget,
            object,
            updated_query(&settings.scope, object, &from),
            &mut cost,
            check,
            &mut page,
        )
        .await?;
        let (missing, deleted) = reconcile(
            conn,
            team_id,
            client,
            budget,
            &settings.scope,
            object,
            &mut cost,
            check,
        )
        .await?;
        let seeded: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sync_records WHERE team_id = ?1 AND object = ?2",
            params![team_id, object],
            |r| r.get(0),
        )?;
        objects.insert(
            object.to_string(),
            ObjectPlan {
                seeded: seeded.max(0) as u64,
                changed,
                missing,
                deleted,
                gets: changed + missing,
                search_calls: cost.calls - before,
            },
        );
    }
    let gets: u64 = objects.values().map(|o| o.gets).sum();
    let plan_calls = cost.calls + catalogue_calls;
    let (limit, remaining, reset) = budget.seen();
    let reset_in = reset
        .as_deref()
        .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())
        .map(|t| (t.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64);
    let per_call = if cost.calls > 0 {
        cost.elapsed.as_secs_f64() / cost.calls as f64
    } else {
        0.05
    };
    let rate = (settings.concurrency as f64 / per_call.max(0.0005)).min(2000.0);
    let now = chrono::Utc::now();
    let (days, eta, eta_day) =
        schedule(gets, budget.share(), limit, remaining, reset_in, rate, now);
    let plan = Plan {
        made_at: crate::store::now_text(),
        cutoff: cutoff.to_string(),
        search_from: from,
        overlap_minutes: settings.overlap_minutes,
        scope: settings.scope.describe(),
        objects,
        plan_calls,
        gets,
        calls_total: plan_calls + gets,
        quota_share: budget.share(),
        quota_limit: limit,
        quota_remaining: remaining,
        quota_reset: reset,
        calls_per_day: limit.map(|l| ((l as f64) * budget.share()).floor() as u64),
        rate_assumed: (rate * 10.0).round() / 10.0,
        days,
        eta: eta.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        eta_day,
        not_synced,
    };
    let tx = super::progress::begin(conn)?;
    progress::ensure_state(&tx, team_id)?;
    tx.execute(
        "UPDATE sync_state SET plan = ?2, plan_calls = ?3, phase = 'planned' WHERE team_id = ?1",
        params![
            team_id,
            serde_json::to_string(&plan).unwrap_or_default(),
            plan_calls as i64
        ],
    )?;
    for (object, o) in &plan.objects {
        tx.execute(
            "INSERT INTO sync_objects (team_id, object, seeded, total, done, failed) VALUES (?1, ?2, ?3, ?4, 0, 0)
             ON CONFLICT (team_id, object) DO UPDATE SET total = excluded.total, done = 0, failed = 0",
            params![team_id, object, o.seeded as i64, (o.gets + o.deleted) as i64],
        )?;
    }
    progress::set_quota(&tx, team_id, limit, remaining, plan.quota_reset.as_deref())?;
    progress::event(
        &tx,
        team_id,
        "planned",
        &format!(
            "plan made: {} GETs + {} planning calls = {} calls; {} deleted to mark; ETA day {} ({})",
            plan.gets,
            plan.plan_calls,
            plan.calls_total,
            plan.objects.values().map(|o| o.deleted).sum::<u64>(),
            plan.eta_day,
            plan.eta
        ),
    )?;
    tx.commit()?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_dates_read_like_chrono() {
        for s in [
            "2026-11-30",
            "2026-11-30T08:05:09",
            "2026-11-30 23:59:59",
            "2026-11-30 12:00 AM",
            "2026-11-30 12:30 PM",
            "2026-11-30 01:07 pm",
            "2026-11-30 11:59 PM",
            "2026-11-30T07:45",
            "2026-02-29",
            "2026-13-01",
            "2026-11-30 13:00 PM",
            "2026-11-30 00:10 AM",
            "2026-11-30T24:00:00",
            "2026-11-30T10:00:00Z",
            "2026-11-30T10:00:00+02:00",
            "2026-11-30 10:00",
            "30/11/2026",
            "2026-11-3",
            "",
        ] {
            assert_eq!(parse_when(s), parse_when_chrono(s), "{s:?}");
        }
    }

    #[test]
    fn schedule_spans_resets_and_leaves_the_reserve() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T23:59:00Z")
            .unwrap()
            .to_utc();
        // 10,000 a day, 80% share, 2,500 left today (reserve 2,000 → 500 usable).
        let (days, eta, day) =
            schedule(12_000, 0.8, Some(10_000), Some(2_500), Some(60), 100.0, now);
        assert_eq!(
            days.iter().map(|d| d.calls).collect::<Vec<_>>(),
            vec![500, 8000, 3500]
        );
        assert_eq!(day, 3);
        assert_eq!(days[1].date, "2026-12-02");
        assert_eq!(days[2].date, "2026-12-03");
        assert_eq!(eta.to_rfc3339(), "2026-12-03T00:00:35+00:00");
        // Fits today.
        let (days, _, day) = schedule(100, 0.8, Some(10_000), Some(9_000), Some(60), 100.0, now);
        assert_eq!((days.len(), day), (1, 1));
        assert_eq!(human_secs(3 * 3600 + 12 * 60), "3h12m");
        assert_eq!(
            parse_when("2026-11-13T23:59:00"),
            parse_when("2026-11-13 11:59 PM")
        );
    }
}
