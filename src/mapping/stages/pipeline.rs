//! A team's pipeline stages: the defaults from `assets/`, and the edits (add, rename,
//! reorder, remove when unused). Stage ids are stable slugs, so a rename keeps every
//! status mapped to it. Pure: the caller saves.

use super::model::REJECTED;
use super::rules::Stage;

/// A refused pipeline edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("a stage name cannot be empty")]
    EmptyName,
    #[error("{0:?} is reserved: rejection reasons map to rejected, which is not a stage")]
    Reserved(String),
    #[error("there is already a stage named {0:?}")]
    Duplicate(String),
    #[error("no stage {0:?}")]
    Unknown(String),
    #[error("stage {name:?} is used by {statuses} status(es); map them elsewhere first")]
    InUse { name: String, statuses: usize },
    #[error("position {0} is out of range (1–{1})")]
    Position(usize, usize),
}

/// Finds a stage by id or (case-insensitive) name.
pub fn find<'a>(stages: &'a [Stage], key: &str) -> Option<(usize, &'a Stage)> {
    let key = key.trim();
    stages
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == key || s.name.eq_ignore_ascii_case(key))
}

fn check_name(
    stages: &[Stage],
    name: &str,
    except: Option<usize>,
) -> Result<String, PipelineError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PipelineError::EmptyName);
    }
    if name.eq_ignore_ascii_case(REJECTED) {
        return Err(PipelineError::Reserved(name.to_string()));
    }
    if stages
        .iter()
        .enumerate()
        .any(|(i, s)| Some(i) != except && s.name.eq_ignore_ascii_case(name))
    {
        return Err(PipelineError::Duplicate(name.to_string()));
    }
    Ok(name.to_string())
}

/// A slug of `name` unused by `stages` (`Phone Screen` → `phone_screen`, `_2` if taken).
fn new_id(stages: &[Stage], name: &str) -> String {
    let base: String = super::rules::words(name).join("_");
    let base = if base.is_empty() {
        "stage".to_string()
    } else {
        base
    };
    let mut id = base.clone();
    let mut n = 2;
    while id == REJECTED || stages.iter().any(|s| s.id == id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// Appends a stage; returns its id.
pub fn add(stages: &mut Vec<Stage>, name: &str) -> Result<String, PipelineError> {
    let name = check_name(stages, name, None)?;
    let id = new_id(stages, &name);
    stages.push(Stage {
        id: id.clone(),
        name,
    });
    Ok(id)
}

/// Renames a stage (its id stays).
pub fn rename(stages: &mut [Stage], key: &str, name: &str) -> Result<(), PipelineError> {
    let (i, _) = find(stages, key).ok_or_else(|| PipelineError::Unknown(key.to_string()))?;
    let name = check_name(stages, name, Some(i))?;
    stages[i].name = name;
    Ok(())
}

/// Moves a stage to 1-based `position`.
pub fn move_to(stages: &mut Vec<Stage>, key: &str, position: usize) -> Result<(), PipelineError> {
    let (i, _) = find(stages, key).ok_or_else(|| PipelineError::Unknown(key.to_string()))?;
    if position == 0 || position > stages.len() {
        return Err(PipelineError::Position(position, stages.len()));
    }
    let s = stages.remove(i);
    stages.insert(position - 1, s);
    Ok(())
}

/// Removes a stage no status is mapped to; `used` counts the statuses mapped to an id.
pub fn remove(
    stages: &mut Vec<Stage>,
    key: &str,
    used: impl Fn(&str) -> usize,
) -> Result<Stage, PipelineError> {
    let (i, s) = find(stages, key).ok_or_else(|| PipelineError::Unknown(key.to_string()))?;
    let n = used(&s.id);
    if n > 0 {
        return Err(PipelineError::InUse {
            name: s.name.clone(),
            statuses: n,
        });
    }
    Ok(stages.remove(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::stages::rules::Rules;

    #[test]
    fn add_rename_reorder_remove() {
        let mut st = Rules::standard().default_stages.clone();
        let id = add(&mut st, "Phone Screen").unwrap();
        assert_eq!(id, "phone_screen");
        assert_eq!(
            add(&mut st, "phone screen"),
            Err(PipelineError::Duplicate("phone screen".into()))
        );
        assert_eq!(
            add(&mut st, " Rejected "),
            Err(PipelineError::Reserved("Rejected".into()))
        );
        assert_eq!(add(&mut st, "  "), Err(PipelineError::EmptyName));
        rename(&mut st, "phone_screen", "Recruiter call").unwrap();
        assert_eq!(st.last().unwrap().id, "phone_screen");
        assert_eq!(st.last().unwrap().name, "Recruiter call");
        move_to(&mut st, "Recruiter call", 2).unwrap();
        assert_eq!(st[1].id, "phone_screen");
        assert_eq!(
            move_to(&mut st, "offer", 9),
            Err(PipelineError::Position(9, 6))
        );
        assert!(matches!(
            remove(&mut st, "offer", |_| 3),
            Err(PipelineError::InUse { .. })
        ));
        remove(&mut st, "offer", |_| 0).unwrap();
        assert!(find(&st, "offer").is_none());
        // The renamed stage keeps its id, so a new stage of the old name gets another.
        assert_eq!(add(&mut st, "Phone screen!").unwrap(), "phone_screen_2");
    }
}
