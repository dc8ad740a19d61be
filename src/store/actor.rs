//! Who is acting: `$SUDO_USER` or `$USER`, and the SSH client address from `$SSH_CONNECTION`.

use std::fmt;

/// The person behind an action, as recorded in facts and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    pub ssh_client: Option<String>,
}

impl Actor {
    /// Reads the acting user from the environment.
    pub fn from_env() -> Actor {
        let user = ["SUDO_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".to_string());
        let ssh_client = std::env::var("SSH_CONNECTION")
            .ok()
            .and_then(|v| v.split_whitespace().next().map(str::to_string));
        Actor { user, ssh_client }
    }

    /// The actor a job records: the person at this process's keyboard (with their SSH
    /// client address) when the job runs for them in this process, else `user` alone
    /// (a detached worker acting for a queued job).
    pub fn for_job(user: &str) -> Actor {
        let here = Actor::from_env();
        if here.user == user {
            here
        } else {
            Actor::named(user)
        }
    }

    /// A fixed actor (tests, the worker acting for a queued job).
    pub fn named(user: &str) -> Actor {
        Actor {
            user: user.to_string(),
            ssh_client: None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ssh_client {
            Some(addr) => write!(f, "{} (ssh {addr})", self.user),
            None => f.write_str(&self.user),
        }
    }
}
