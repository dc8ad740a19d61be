//! Live after the initial pass: every interval a cycle reads the tenant's Data Stream
//! events on from the stored position ([`super::stream`]) and queues the records they
//! name; where the stream cannot be trusted for the cycle (no Data Stream credential, no
//! subscription, an error, an event not understood) or a subscription does not carry an
//! object, the cycle searches that object by `updateddate` from the newest updated date
//! already stored (its whole minute again: iCIMS dates have minute precision, so the
//! records of that minute are read once more). Every `reconcile_every` cycles it also
//! reconciles ids (new records a search cannot see, deletions) and re-reads the status
//! catalogue. Found records go through the same work list as the initial pass; each
//! cycle is recorded in `sync_cycles` (mode `stream`, `poll` or `stream+poll`, events
//! read and not understood, why objects were polled) and the log; a change of the Data
//! Stream situation (in use, fallback and why) is logged once, when it changes.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};

use crate::icims::schema::StatusOption;
use crate::store::now_text;

use super::engine::{Ctx, control_check, run_work};
use super::fields::Statuses;
use super::plan::{self, SearchCost, add_work, parse_when, search_date, updated_query};
use super::stream::{self, Read, StreamSource};
use super::{OBJECTS, SyncError, SyncParams, progress};

/// The newest updated date among a team's stored records (`YYYY-MM-DDThh:mm:ss`).
pub fn newest_updated(conn: &Connection, team_id: i64) -> Result<Option<String>, SyncError> {
    let mut stmt = conn.prepare(
        "SELECT updated_at FROM sync_records WHERE team_id = ?1 AND deleted = 0 AND updated_at IS NOT NULL",
    )?;
    let newest = stmt
        .query_map([team_id], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|s| parse_when(&s))
        .max();
    Ok(newest.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()))
}

/// The newest updated date among the records this cycle's work wrote.
fn newest_of_cycle(
    conn: &Connection,
    team_id: i64,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, SyncError> {
    let mut stmt = conn.prepare(
        "SELECT r.updated_at FROM sync_work w JOIN sync_records r
           ON r.team_id = w.team_id AND r.object = w.object AND r.icims_id = w.icims_id
         WHERE w.team_id = ?1 AND w.state = 'done' AND r.updated_at IS NOT NULL",
    )?;
    let newest = stmt
        .query_map([team_id], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|s| parse_when(&s))
        .max();
    Ok(newest)
}

fn state_cycles(conn: &Connection, team_id: i64) -> Result<(u64, Option<String>), SyncError> {
    Ok(conn
        .query_row(
            "SELECT cycles, watermark FROM sync_state WHERE team_id = ?1",
            [team_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?.max(0) as u64,
                    r.get::<_, Option<String>>(1)?,
                ))
            },
        )
        .optional()?
        .unwrap_or((0, None)))
}

/// Runs live cycles until `params.max_live_cycles` (total, across restarts) is reached,
/// or forever; stops on pause, cancel, lost lease or shutdown.
pub async fn run_cycles(ctx: &mut Ctx<'_>, params: &SyncParams) -> Result<(), SyncError> {
    let interval = params
        .live_interval_secs
        .unwrap_or(ctx.settings.live_interval_secs)
        .max(1);
    let mut source = StreamSource::default();
    loop {
        let (done, _) = state_cycles(ctx.conn, ctx.team.id)?;
        if params.max_live_cycles.is_some_and(|m| done >= u64::from(m)) {
            return Ok(());
        }
        let next = chrono::Utc::now() + chrono::Duration::seconds(interval as i64);
        ctx.conn.execute(
            "UPDATE sync_state SET next_cycle_at = ?2 WHERE team_id = ?1",
            params![
                ctx.team.id,
                next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ],
        )?;
        let end = Instant::now() + Duration::from_secs(interval);
        let mut beat = Instant::now();
        while Instant::now() < end {
            control_check(ctx.conn, ctx.handle)?;
            if beat.elapsed() >= Duration::from_secs(5) {
                progress::heartbeat(ctx.conn, ctx.team.id, std::process::id())?;
                beat = Instant::now();
            }
            tokio::time::sleep((end - Instant::now()).min(Duration::from_millis(250))).await;
        }
        cycle(ctx, &mut source).await?;
    }
}

/// The cycle's mode: `stream` (nothing polled), `poll` (every object polled) or
/// `stream+poll`.
pub fn mode_of(polled: &[&str]) -> &'static str {
    match polled.len() {
        0 => "stream",
        n if n == OBJECTS.len() => "poll",
        _ => "stream+poll",
    }
}

/// The Data Stream situation of a cycle: a key (logged once while it stays the same)
/// and the message, plus the cycle's note (why objects were polled).
fn situation(
    read: &Read,
    poll_due: Option<&str>,
    polled: &[&str],
    scoped: &[&str],
) -> (String, String, Option<String>) {
    if let Some((key, why)) = &read.fallback {
        let note = why.clone();
        return (
            format!("poll:{key}"),
            format!("Data Stream not used: {why}; live cycles poll by updateddate"),
            Some(note),
        );
    }
    if let Some(due) = poll_due {
        let note = format!("{due} in an interrupted cycle");
        return (
            "poll:due".into(),
            format!("Data Stream: {note}; this cycle polls by updateddate"),
            Some(note),
        );
    }
    if polled.is_empty() {
        return (
            "stream".into(),
            format!(
                "live cycles read Data Stream events ({} subscription{})",
                read.subscriptions,
                if read.subscriptions == 1 { "" } else { "s" }
            ),
            None,
        );
    }
    let covered: Vec<&str> = read.covered.iter().copied().collect();
    let (in_scope, uncarried): (Vec<&str>, Vec<&str>) =
        polled.iter().partition(|o| scoped.contains(o));
    let mut why = Vec::new();
    if !in_scope.is_empty() {
        why.push(format!(
            "{} scoped by folder (polled with the scope)",
            in_scope.join(", ")
        ));
    }
    if !uncarried.is_empty() {
        why.push(format!(
            "no Data Stream subscription says it carries {}",
            uncarried.join(", ")
        ));
    }
    let note = why.join("; ");
    (
        format!("partial:{}", polled.join(",")),
        format!(
            "live cycles read Data Stream events for {} and poll {} by updateddate ({note})",
            if covered.is_empty() {
                "no object".to_string()
            } else {
                covered.join(", ")
            },
            polled.join(", ")
        ),
        Some(note),
    )
}

/// One live cycle.
pub async fn cycle(ctx: &mut Ctx<'_>, source: &mut StreamSource) -> Result<(), SyncError> {
    let team_id = ctx.team.id;
    let started = now_text();
    let stats0 = ctx.client.stats();
    let (fetched0, deleted0) = (ctx.report.fetched, ctx.report.deleted);
    let (done, watermark) = state_cycles(ctx.conn, team_id)?;
    let number = done + 1;
    let reconcile = number % u64::from(ctx.settings.reconcile_every.max(1)) == 0;
    ctx.conn.execute(
        "DELETE FROM sync_work WHERE team_id = ?1 AND state != 'todo'",
        [team_id],
    )?;
    let from = watermark
        .as_deref()
        .and_then(parse_when)
        .unwrap_or_else(|| chrono::Utc::now() - chrono::Duration::days(1));
    let from_text = search_date(from);
    let conn = ctx.conn;
    let handle = ctx.handle;
    let mut check = || control_check(conn, handle);
    let mut cost = SearchCost::default();
    let mut catalogue = None;
    if reconcile {
        let _ = ctx.budget.acquire();
        let r = ctx.client.status_catalogue().await;
        ctx.budget.release(ctx.client.quota());
        if let Ok(opts) = r {
            ctx.statuses = Statuses::from_options(&opts);
            catalogue = Some(opts);
        }
    }
    let (poll_due, stream_note): (Option<String>, Option<String>) = conn.query_row(
        "SELECT poll_due, stream_note FROM sync_state WHERE team_id = ?1",
        [team_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Scoped objects are polled with their scope (an event does not say the folder).
    let scoped: Vec<&str> = OBJECTS
        .into_iter()
        .filter(|o| ctx.settings.scope.folders(o).is_some())
        .collect();
    let read = source
        .read(ctx.store, conn, ctx.team, &ctx.budget, &scoped, &mut check)
        .await?;
    let polled = stream::objects_to_poll(&read, poll_due.is_some());
    let mode = mode_of(&polled);
    let (situation_key, situation_msg, note) =
        situation(&read, poll_due.as_deref(), &polled, &scoped);
    for object in OBJECTS {
        if polled.contains(&object) {
            let mut page = |ids: &[u64]| -> Result<(), SyncError> {
                let tx = super::progress::begin(conn)?;
                add_work(&tx, team_id, object, ids, "changed")?;
                tx.commit()?;
                Ok(())
            };
            plan::search_ids(
                conn,
                team_id,
                &ctx.client,
                &ctx.budget,
                object,
                updated_query(&ctx.settings.scope, object, &from_text),
                &mut cost,
                &mut check,
                &mut page,
            )
            .await?;
        }
        if reconcile {
            plan::reconcile(
                conn,
                team_id,
                &ctx.client,
                &ctx.budget,
                &ctx.settings.scope,
                object,
                &mut cost,
                &mut check,
            )
            .await?;
        }
    }
    // New work counts towards each object's total.
    for (object, (c, m, d)) in plan::work_counts(conn, team_id)? {
        conn.execute(
            "UPDATE sync_objects SET total = total + ?3 WHERE team_id = ?1 AND object = ?2",
            params![team_id, object, (c + m + d) as i64],
        )?;
    }
    run_work(ctx).await?;
    let stats = ctx.client.stats();
    let calls = stats.api_calls - stats0.api_calls + read.calls;
    let fetched = ctx.report.fetched - fetched0;
    let deleted = ctx.report.deleted - deleted0;
    let newest = newest_of_cycle(conn, team_id)?;
    let watermark = match (watermark.as_deref().and_then(parse_when), newest) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
    .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string());
    let tx = super::progress::begin(conn)?;
    // Calls not yet counted by the work batches (searches of a cycle without work).
    let (c0, r0) = ctx.counted_calls();
    progress::add_calls(
        &tx,
        team_id,
        stats.api_calls.saturating_sub(c0) + read.calls,
        stats.retries.saturating_sub(r0) + read.retries,
    )?;
    let finished = now_text();
    tx.execute(
        "INSERT INTO sync_cycles (team_id, started_at, finished_at, mode, reconciled, changed, deleted, calls,
             events, events_unknown, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            team_id,
            started,
            finished,
            mode,
            reconcile as i64,
            fetched as i64,
            deleted as i64,
            calls as i64,
            read.events as i64,
            read.unknown as i64,
            note
        ],
    )?;
    // Every object polled: a poll still due (events not understood) is done.
    if polled.len() == OBJECTS.len() {
        tx.execute(
            "UPDATE sync_state SET poll_due = NULL WHERE team_id = ?1",
            [team_id],
        )?;
    }
    // The Data Stream situation is logged when it changes, not every cycle.
    if stream_note.as_deref() != Some(situation_key.as_str()) {
        tx.execute(
            "UPDATE sync_state SET stream_note = ?2 WHERE team_id = ?1",
            params![team_id, situation_key],
        )?;
        progress::event(&tx, team_id, "cycle", &situation_msg)?;
    }
    tx.execute(
        "UPDATE sync_state SET cycles = cycles + 1, last_cycle_at = ?2, last_cycle_changes = ?3, watermark = ?4,
             next_cycle_at = NULL WHERE team_id = ?1",
        params![team_id, finished, (fetched + deleted) as i64, watermark],
    )?;
    let (limit, remaining, reset) = ctx.budget.seen();
    progress::set_quota(&tx, team_id, limit, remaining, reset.as_deref())?;
    progress::heartbeat(&tx, team_id, std::process::id())?;
    let source_text = match (mode, read.events, read.unknown) {
        ("poll", 0, _) => "poll".to_string(),
        (m, e, 0) => format!("{m}, {e} event{}", if e == 1 { "" } else { "s" }),
        (m, e, u) => format!("{m}, {e} events, {u} not understood"),
    };
    let msg = format!(
        "live cycle {number} ({source_text}): {fetched} new or changed, {deleted} deleted, {calls} calls{}",
        if reconcile { " (ids reconciled)" } else { "" }
    );
    progress::event(&tx, team_id, "cycle", &msg)?;
    tx.commit()?;
    ctx.set_counted(stats.api_calls, stats.retries);
    ctx.report.live_cycles += 1;
    (ctx.events)(&msg);
    refresh_stage_catalogue(ctx, catalogue.as_deref());
    Ok(())
}

/// Keeps step 6's status catalogue current from what the cycle synced: for a team whose
/// stage mapping was started, the catalogue is rebuilt from the synced workflows (and the
/// status options, when the cycle re-read them), so a status first seen after approval
/// makes step 6 "needs attention" and shows as an alert on the home screen. A failure
/// here is logged in the event log; it never fails the sync.
pub fn refresh_stage_catalogue(ctx: &mut Ctx<'_>, options: Option<&[StatusOption]>) {
    use crate::mapping::stages::storage;
    let started = matches!(storage::load(ctx.store, ctx.team), Ok(rows) if !rows.is_empty());
    if !started {
        return;
    }
    let actor = crate::store::Actor::named(&ctx.handle.actor);
    if let Err(e) = storage::refresh(ctx.store, ctx.team, options, &actor) {
        let msg = format!("stage catalogue not refreshed: {e}");
        let _ = progress::event(ctx.conn, ctx.team.id, "cycle", &msg);
        (ctx.events)(&msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_and_situation_say_how_changes_were_found() {
        let mut read = Read {
            subscriptions: 3,
            covered: ["people", "jobs", "workflows"].into_iter().collect(),
            ..Read::default()
        };
        let polled = stream::objects_to_poll(&read, false);
        assert_eq!(mode_of(&polled), "stream");
        let (key, msg, note) = situation(&read, None, &polled, &[]);
        assert_eq!(key, "stream");
        assert_eq!(msg, "live cycles read Data Stream events (3 subscriptions)");
        assert_eq!(note, None);

        // A poll still owed (events not understood before a crash) polls everything.
        let polled = stream::objects_to_poll(&read, true);
        assert_eq!(mode_of(&polled), "poll");
        let (key, _, note) = situation(
            &read,
            Some("2 Data Stream events not understood"),
            &polled,
            &[],
        );
        assert_eq!(key, "poll:due");
        assert!(note.unwrap().contains("interrupted cycle"));

        // People scoped, jobs carried by no subscription.
        read.covered = ["workflows"].into_iter().collect();
        let polled = stream::objects_to_poll(&read, false);
        assert_eq!(polled, vec!["people", "jobs"]);
        assert_eq!(mode_of(&polled), "stream+poll");
        let (key, msg, note) = situation(&read, None, &polled, &["people"]);
        assert_eq!(key, "partial:people,jobs");
        assert_eq!(
            note.as_deref(),
            Some(
                "people scoped by folder (polled with the scope); no Data Stream subscription says it carries jobs"
            )
        );
        assert!(
            msg.starts_with(
                "live cycles read Data Stream events for workflows and poll people, jobs"
            ),
            "{msg}"
        );

        // Any fallback polls everything, whatever the subscriptions cover.
        read.fallback = Some((
            "no-subscription",
            "the tenant has no Data Stream subscription".into(),
        ));
        let polled = stream::objects_to_poll(&read, false);
        assert_eq!(mode_of(&polled), "poll");
        let (key, msg, _) = situation(&read, None, &polled, &[]);
        assert_eq!(key, "poll:no-subscription");
        assert_eq!(
            msg,
            "Data Stream not used: the tenant has no Data Stream subscription; live cycles poll by updateddate"
        );
    }
}
